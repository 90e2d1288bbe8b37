"""Indonesian names: the matching key and the features compared.

The display name (``nama``) is never changed; matching uses a *key*:

1. an ``ALM``/``ALMH``/``ALMARHUM(AH)`` marker is removed;
2. everything after a comma (degrees: ``SITI, S.PD``) is removed; ``A/B`` aliases
   keep both names;
3. each word: titles (``H.``, ``HJ.``, ``DRS.`` ...) and degrees (``S.PD``,
   ``A.MD`` ...) are dropped, dotted initials are split (``M.RIZKI`` ->
   ``M RIZKI``), punctuation removed, old spellings modernised (``oe``->``u``,
   ``dj``->``j``, ``tj``->``c``, ``nj``->``ny``, ``sj``->``sy``, ``ch``->``kh``,
   ``j``->``y``) and known variants merged (``MOCH``/``MOH``/``MUH``/... ->
   ``MUHAMMAD``, ``ABD`` -> ``ABDUL``, ``ST``/``SITTI`` -> ``SITI``, ``NOER`` -> ``NUR``);
4. ``BIN``/``BINTI`` and the father's name after it are removed;
5. a first word ``M`` followed by another word becomes ``MUHAMMAD``.

All rules are data in ``schemas/match.toml`` (``[names]``). The per-word work runs
in Python once per distinct word (a few thousand in a district); whole columns
go through polars, so a million names take well under a second.

Example:
    >>> normalise_name("H. MOCH. DJOEHARI, S.PD")
    'MUHAMMAD YUHARI'
    >>> normalise_name("ST. AMINAH BINTI SALIM")
    'SITI AMINAH'
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import polars as pl

from slrt_cli.match.settings import MatchSettings, NameRules, spell, squeeze

#: words that mark a deceased person (dropped wherever they stand)
DECEASED = frozenset(("ALM", "ALMH", "ALMARHUM", "ALMARHUMAH"))
#: polars- and re-compatible patterns (no look-arounds)
AFTER_COMMA = r",.*$"
_AFTER_COMMA_RE = re.compile(AFTER_COMMA, re.DOTALL)
#: " BIN ..." / " BINTI ..." (not as the first word) up to the end
PATRONYMIC = r" (?:{words})(?: .*)?$"
_SPLIT_PARTS = re.compile(r"[.\-_/\s]+")
_NOT_LETTER = re.compile(r"[^A-Z]")
_OUTER_PUNCT = "'\"`()[]{}.:;-_*/"


def _rules(rules: NameRules | None) -> NameRules:
    return rules if rules is not None else MatchSettings.default().names


def _ascii_upper(word: str) -> str:
    if not word.isascii():
        word = "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))
    return word.upper()


def map_word(raw: str, rules: NameRules | None = None) -> str:
    """Matching form of one whitespace-separated word ('' when it is a title/degree).

    Example:
        >>> map_word("MOCH.")
        'MUHAMMAD'
        >>> map_word("S.PD"), map_word("M.RIZKI"), map_word("DJOKO")
        ('', 'M RIZKI', 'YOKO')
    """
    return _map_word(raw, _rules(rules))


@lru_cache(maxsize=200_000)
def _map_word(raw: str, rules: NameRules) -> str:
    word = _ascii_upper(raw).strip(_OUTER_PUNCT)
    if not word:
        return ""
    bare = word.replace(".", "")
    for form in (bare, spell(bare, rules.spelling)):  # both, so that the result maps to itself
        if form in rules.titles or form in DECEASED:
            return ""
        if form in rules.degrees and ("." in word or form not in rules.degrees_need_dot):
            return ""
    out = []
    for part in _SPLIT_PARTS.split(word):
        part = _NOT_LETTER.sub("", part)
        spelled = spell(part, rules.spelling)
        if not part or part in DECEASED or part in rules.titles or spelled in rules.titles or spelled in DECEASED:
            continue
        canon = rules.aliases.get(part) or rules.aliases.get(spelled) or rules.aliases.get("=" + squeeze(spelled))
        if canon is None:
            canon = spelled
        out.append(canon)
    return " ".join(out)


def _pre(text: str) -> str:
    """Whole-name step before the words are mapped (same as :func:`_split_pre`)."""
    return _AFTER_COMMA_RE.sub("", text.upper())


def _post_patterns(rules: NameRules) -> tuple[str, list[tuple[str, str]]]:
    words = "|".join(sorted(rules.patronymic, key=len, reverse=True))
    initials = [(rf"^{a} ", f"{b} ") for a, b in rules.first_initial]
    return PATRONYMIC.format(words=words), initials


def normalise_name(name: str | None, rules: NameRules | None = None) -> str | None:
    """The matching key of a name, or None when nothing is left.

    Idempotent: ``normalise_name(normalise_name(x)) == normalise_name(x)``.

    Example:
        >>> normalise_name("Muhamad  Rizki")
        'MUHAMMAD RIZKI'
        >>> normalise_name("M. RIZKI") == normalise_name("MOCHAMMAD RIZKI")
        True
    """
    if name is None:
        return None
    r = _rules(rules)
    words = [w for raw in _pre(str(name)).split() for w in _map_word(raw, r).split(" ") if w]
    text = " ".join(words)
    patron, initials = _post_patterns(r)
    text = re.sub(patron, "", text, count=1)
    for pat, repl in initials:
        text = re.sub(pat, repl, text)
    return text or None


@lru_cache(maxsize=200_000)
def phonetic(word: str) -> str:
    """A coarse sound key of one normalised word, for blocking and similar-name checks.

    Example:
        >>> phonetic("RIZKI") == phonetic("RISKI"), phonetic("NURHAYATI") == phonetic("NURHAYATY")
        (True, True)
    """
    w = word
    for a, b in (
        ("KH", "H"),
        ("DZ", "Z"),
        ("SY", "S"),
        ("Q", "K"),
        ("X", "KS"),
        ("V", "F"),
        ("F", "P"),
        ("Z", "S"),
        ("Y", "I"),
        ("AI", "E"),
        ("AE", "E"),
        ("OE", "U"),
    ):
        w = w.replace(a, b)
    if len(w) > 1:
        w = w[0] + w[1:].replace("H", "")
    out = []
    for c in w:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out) or word


def core_words(norm: str | None, rules: NameRules | None = None) -> list[str]:
    """The distinctive words of a normalised name, in order: common words and initials left out.

    Falls back to all words when nothing distinctive remains.

    Example:
        >>> core_words("MUHAMMAD RIZKI"), core_words("SITI")
        (['RIZKI'], ['SITI'])
    """
    if not norm:
        return []
    r = _rules(rules)
    words = norm.split(" ")
    core = [w for w in words if len(w) > 1 and w not in r.common]
    return core or words


# ------------------------------------------------------------------ polars path


def _word_table(words: pl.Series, func) -> dict[str, str]:
    """``func`` applied once per distinct word (a few thousand in a district)."""
    return {w: func(w) for w in words.unique().drop_nulls().to_list()}


def _norm_expr(raw: pl.Expr, words: pl.Series, rules: NameRules) -> pl.Expr:
    """Polars expression of :func:`normalise_name`; ``words`` = the split column (for the word map)."""
    wmap = _word_table(words, lambda w: _map_word(w, rules))
    wmap = {k: v for k, v in wmap.items() if k != v}
    patron, initials = _post_patterns(rules)
    mapped = _split_pre(raw).list.eval(pl.element().replace(list(wmap), list(wmap.values())))
    norm = mapped.list.join(" ").str.replace_all("  +", " ").str.strip_chars(" ").str.replace(patron, "")
    for pat, repl in initials:
        norm = norm.str.replace(pat, repl)
    return pl.when(norm == "").then(None).otherwise(norm)


def _split_pre(raw: pl.Expr) -> pl.Expr:
    return raw.str.to_uppercase().str.replace(AFTER_COMMA, "").str.split(" ")


def normalise_names(names: pl.Series, rules: NameRules | None = None) -> pl.Series:
    """Vectorised :func:`normalise_name` (same result, row for row).

    Example:
        >>> normalise_names(pl.Series(["MOH. NOER", None])).to_list()
        ['MUHAMMAD NUR', None]
    """
    r = _rules(rules)
    df = pl.DataFrame({"raw": names.cast(pl.Utf8)})
    words = df.select(_split_pre(pl.col("raw")).explode())["raw"]
    return df.select(_norm_expr(pl.col("raw"), words, r).alias(names.name or "norm")).to_series()


_HASH_SEED = 20261103
_HASH_MOD = 2_147_483_647


def _core_pattern(rules: NameRules) -> str:
    common = "|".join(sorted(rules.common, key=len, reverse=True))
    return rf"(?-u:\b)(?:{common}|[A-Z])(?-u:\b)"


def name_features(names: pl.Series, rules: NameRules | None = None, prefix: str = "name") -> pl.DataFrame:
    """Matching features of a column of names, one row per input row.

    Columns (``prefix`` = ``name``): ``name_norm`` (the key, :func:`normalise_name`),
    ``name_core`` (the key without common words and initials, see :func:`core_words`;
    ``name_core_fb`` says nothing distinctive was left, so it is the whole key)
    and ``name_hash`` (the same for any order of the words: tells a reordered name).
    Work is done once per distinct name.

    Example:
        >>> name_features(pl.Series(["MOCH. RIZKI"]))["name_core"].to_list()
        ['RIZKI']
    """
    r = _rules(rules)
    p = prefix
    df = pl.DataFrame({"raw": names.cast(pl.Utf8)})
    uniq = df.unique()
    words = uniq.select(_split_pre(pl.col("raw")).explode())["raw"]
    uniq = uniq.with_columns(_norm_expr(pl.col("raw"), words, r).alias("norm"))
    core = pl.col("norm").str.replace_all(_core_pattern(r), "").str.replace_all("  +", " ").str.strip_chars(" ")
    word_hash = pl.col("norm").str.split(" ").list.eval(pl.element().hash(_HASH_SEED) % _HASH_MOD).list.sum()
    uniq = uniq.with_columns(
        pl.when(core == "").then(pl.col("norm")).otherwise(core).alias("core"),
        (core == "").alias("core_fb"),
        word_hash.cast(pl.Int64).alias("hash"),
    )
    out = df.join(uniq, on="raw", how="left", maintain_order="left", nulls_equal=True)
    return out.select(
        pl.col("norm").alias(f"{p}_norm"),
        pl.col("core").alias(f"{p}_core"),
        pl.col("hash").alias(f"{p}_hash"),
        pl.col("core_fb").alias(f"{p}_core_fb"),
    )


def vowel_stem(core: pl.Expr) -> pl.Expr:
    """The words without their final vowel (Y counts as I): RIZKI and RIZKA -> RIZK.

    Two different names with the same stem differ only by a final vowel: RIZKI / RIZKA,
    PUTRA / PUTRI (twins are named so), not a typo.
    """
    return core.str.replace_all(r"Y(?-u:\b)", "I").str.replace_all(r"[AIUEO](?-u:\b)", "")
