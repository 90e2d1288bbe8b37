"""Recognise a column title by its words, not its exact spelling.

The exact lookup in ``schemas/aliases.csv`` comes first (confidence 1.0). When it
fails, the title is cut into words (bracketed hints set aside, numbering dropped,
``_ . / -``, line breaks and camelCase split, spellings unified by
``schemas/titles.toml``) and compared with the words of every alias of every
field: the alias table is the data the recogniser learns from, not the only way
in. See ``schemas/titles.toml`` for the rule, written for non-programmers.

Example:
    >>> from slrt_cli.schemas import load_schema
    >>> rec = TitleRecogniser.for_schema(load_schema())
    >>> rec.recognise("NIK (WAJIB 16 ANGKA)").field, rec.recognise("kartu_tanggal_lahir").field
    ('nik', 'tanggal_lahir')
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache

from slrt_cli.schemas import Schema, header_key, schemas_dir

_BRACKETS = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|\{[^{}]*\}")
_LEAD_NUMBER = re.compile(r"^\s*(?:\(?\d{1,3}[a-z]?\s*[.)]\s*|\d{1,3}\s+(?=[^\d\s]))", re.IGNORECASE)
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")
_SPLIT = re.compile(r"[^0-9a-z]+")
_DIGITS = re.compile(r"^(?:\d+[a-z]?|[a-z]{1,2}\d{1,4}[a-z]?)$")  # 12, 3a, item codes k4, r312, b4


@dataclass(frozen=True)
class TitleMatch:
    """What a title was recognised as.

    Attributes:
        field: canonical field, or a combined entry (``tempat_tanggal_lahir``), or None.
        codelist: code-list override of the alias (e.g. ``keberadaan_art``), or None.
        confidence: 1.0 for an exact alias, less for a match by words.
        how: ``alias``, ``words`` or ``""`` (not recognised).
        rivals: other fields that fit as well (the title is ambiguous when not empty).
    """

    field: str | None
    codelist: str | None = None
    confidence: float = 0.0
    how: str = ""
    rivals: tuple[str, ...] = ()


NO_MATCH = TitleMatch(None)
#: the field name an operator's column mapping gives a column that must not be read as any field
IGNORE = "abaikan"


@dataclass(frozen=True)
class _Vocabulary:
    noise: frozenset[str]
    generic: frozenset[str]
    phrases: tuple[tuple[str, str], ...]
    words: dict[str, str]
    min_confidence: float
    combined: dict[str, tuple[str, ...]]  # name -> fields
    combined_titles: dict[str, tuple[str, ...]]
    field_words: dict[str, tuple[str, ...]]
    own_prefix: str = ""  # titles of slrt's own columns (SLRT_STATUS…): never data


def _load_vocabulary() -> _Vocabulary:
    spec = tomllib.loads((schemas_dir() / "titles.toml").read_text("utf-8"))
    combined = spec.get("combined", {})
    return _Vocabulary(
        noise=frozenset(spec.get("noise", [])),
        generic=frozenset(spec.get("generic", [])),
        phrases=tuple(spec.get("phrases", {}).items()),
        words=dict(spec.get("words", {})),
        min_confidence=float(spec.get("min_confidence", 0.6)),
        combined={k: tuple(v["fields"]) for k, v in combined.items()},
        combined_titles={k: tuple(v.get("titles", [])) for k, v in combined.items()},
        field_words={k: tuple(v) for k, v in spec.get("fields", {}).items()},
        own_prefix=str(spec.get("own_prefix", "")).casefold(),
    )


def is_own_title(title: object) -> bool:
    """True for the title of a column slrt added to a file it wrote (``SLRT_STATUS``): never data.

    Example:
        >>> is_own_title("SLRT_ALASAN"), is_own_title("STATUS")
        (True, False)
    """
    prefix = _vocabulary().own_prefix
    return bool(prefix) and isinstance(title, str) and title.lstrip().casefold().startswith(prefix)


def title_words(text: str, vocabulary: _Vocabulary, *, keep_hints: bool = False,
                camel: bool = False, expand=None) -> tuple[str, ...]:
    """Cut a title into unified words (hints and numbering dropped unless ``keep_hints``;
    camelCase split only when ``camel``: ``TglLahir``, but not a title typed in random case).

    Example:
        >>> v = _vocabulary()
        >>> title_words("(3) Tgl. Lahir (HH-BB-TTTT)", v)
        ('tanggal', 'lahir')
    """
    s = _CAMEL.sub(" ", str(text)) if camel else str(text)
    if not keep_hints:
        stripped = _BRACKETS.sub(" ", s)
        s = stripped if stripped.strip() else s
    s = _LEAD_NUMBER.sub(" ", s.replace("\n", " ")).casefold()
    words = [w for w in _SPLIT.split(s) if w and not _DIGITS.match(w)]
    s = " ".join(vocabulary.words.get(w, w) for w in words)
    if expand is not None:  # abbreviations and misspellings, before phrases are looked for
        s = " ".join(expand(w) for w in s.split())
    for pattern, replacement in _phrase_patterns(vocabulary.phrases):
        s = pattern.sub(replacement, s)
    return tuple(dict.fromkeys(s.split()))  # order kept, repeats dropped


@lru_cache(maxsize=4)
def _phrase_patterns(phrases: tuple[tuple[str, str], ...]) -> tuple[tuple[re.Pattern, str], ...]:
    return tuple((re.compile(rf"\b{re.escape(p)}\b"), r) for p, r in phrases)


@lru_cache(maxsize=1)
def _vocabulary() -> _Vocabulary:
    return _load_vocabulary()


class TitleRecogniser:
    """Map column titles to fields: exact alias first, then by words.

    Build it once per schema with :meth:`for_schema` (cached).
    """

    def __init__(self, schema: Schema, vocabulary: _Vocabulary):
        self.schema = schema
        self.vocabulary = vocabulary
        self._patterns: dict[str, list[tuple[frozenset[str], str | None]]] = {}
        spellings: list[tuple[str, str, str | None]] = []
        for name, fld in schema.fields.items():
            spellings += [(name, name, None), (fld.label_id, name, None), (fld.label_en, name, None)]
        spellings += [(r["alias"], r["field"], r.get("codelist") or None) for r in schema.alias_rows]
        for combo, titles in vocabulary.combined_titles.items():
            spellings += [(t, combo, None) for t in titles]
        unknown = set(vocabulary.field_words) - set(schema.fields)
        if unknown:
            raise ValueError(f"titles.toml [fields]: unknown field(s) {', '.join(sorted(unknown))}")
        spellings += [(t, fld, None) for fld, ts in vocabulary.field_words.items() for t in ts]
        plain: dict[frozenset[str], set[str]] = {}
        reduced: list[tuple[frozenset[str], str, str | None]] = []
        for text, fld, codelist in spellings:
            all_words = title_words(text, vocabulary)
            words = frozenset(w for w in all_words if w not in vocabulary.noise)
            if not words:
                continue
            if len(words) == len(all_words):
                plain.setdefault(words, set()).add(fld)
                self._patterns.setdefault(fld, []).append((words, codelist))
            else:
                reduced.append((words, fld, codelist))
        combined_sets = {p for c in vocabulary.combined for p, _ in self._patterns.get(c, [])}
        for fld in schema.fields:  # "TEMPAT/TGL LAHIR TEMPAT" (a two-row header) is, by its words, a TTL column
            if fld in self._patterns:
                self._patterns[fld] = [(p, cl) for p, cl in self._patterns[fld] if p not in combined_sets]
        for words, fld, codelist in reduced:
            # "KEL_NAME" without its noise word is just "nama": keep such a shortened alias only
            # when it says something of its own (not generic words only, not another field's alias)
            if words <= vocabulary.generic or plain.get(words, {fld}) != {fld}:
                continue
            self._patterns.setdefault(fld, []).append((words, codelist))
        self._combined_exact = {header_key(t): c for c, ts in vocabulary.combined_titles.items() for t in ts}
        phrase_words = {w for pair in vocabulary.phrases for part in pair for w in part.split()}
        self._known = frozenset().union(*(p for ps in self._patterns.values() for p, _ in ps),
                                        vocabulary.generic, vocabulary.noise, phrase_words,
                                        *(v.split() for v in vocabulary.words.values()))
        self._guessed: dict[str, str] = {}
        self._by_initial: dict[str, list[str]] = {}
        self._skeletons: dict[str, set[str]] = {}
        for k in sorted(self._known):
            self._by_initial.setdefault(k[0], []).append(k)
            if len(k) >= 3:
                self._skeletons.setdefault(_skeleton(k), set()).add(k)
        self._seen: dict[str, TitleMatch] = {}
        self._words: dict[tuple, tuple[str, ...]] = {}

    @classmethod
    def for_schema(cls, schema: Schema) -> TitleRecogniser:
        """The recogniser of ``schema`` (built once per schema object)."""
        return _recogniser(schema)

    def combined_fields(self, name: str) -> tuple[str, ...]:
        """The fields a combined entry splits into (empty for an ordinary field)."""
        return self.vocabulary.combined.get(name, ())

    def recognise(self, title: str | None) -> TitleMatch:
        """Recognise one title; :data:`NO_MATCH` when nothing fits well enough (cached per text)."""
        if not title or not str(title).strip():
            return NO_MATCH
        found = self._seen.get(title)
        if found is None:
            if len(self._seen) > 50_000:  # header scans see data cells too: keep the caches bounded
                self._seen.clear()
                self._words.clear()
            found = self._seen[title] = self._recognise(title)
        return found

    def _recognise(self, title: str) -> TitleMatch:
        if is_own_title(title):
            return TitleMatch(None, None, 1.0, "ignored")  # slrt's own column (a fix-file sent back)
        key = header_key(title)
        exact = self.schema.aliases.get(key)  # first: an operator's mapping (slrt_cli.io.mapping) may name any title
        if exact and exact[0] == IGNORE:
            return TitleMatch(None, None, 1.0, "ignored")  # the operator's mapping says: not a field
        if exact:
            return TitleMatch(exact[0], exact[1], 1.0, "alias")
        if key in self._combined_exact:
            return TitleMatch(self._combined_exact[key], None, 1.0, "alias")
        best = self._by_words(self.words_of(title))
        if best.field is None and _CAMEL.search(str(title)):
            best = self._by_words(self.words_of(title, camel=True))
        if best.field is None and _BRACKETS.search(str(title)):
            best = self._by_words(self.words_of(title, keep_hints=True))
        return best

    def words_of(self, title: str, **options) -> tuple[str, ...]:
        """:func:`title_words`, with each unknown word read as the one known word it abbreviates or
        misspells: ``lengkp`` -> lengkap (same consonants), ``angg`` -> anggota (its only word
        starting so). Single letters (``f_nama``) say nothing and are dropped.

        Example:
            >>> from slrt_cli.schemas import load_schema
            >>> TitleRecogniser.for_schema(load_schema()).words_of("f_nama_lengkp_art (6)")
            ('nama', 'lengkap', 'art')
        """
        key = (title, tuple(sorted(options.items())))
        words = self._words.get(key)
        if words is None:  # the same title is asked about by recognise, speaks_of and overlaps
            found = title_words(title, self.vocabulary, expand=self._known_like, **options)
            words = self._words[key] = tuple(w for w in found if len(w) > 1)
        return words

    def _known_like(self, word: str) -> str:
        if len(word) < 3 or word in self._known:
            return word
        if word in self._guessed:
            return self._guessed[word]
        same_initial = self._by_initial.get(word[0], ())
        hits = {k for k in same_initial if len(k) >= len(word) and k.startswith(word)}
        hits |= {k for k in self._skeletons.get(_skeleton(word), ()) if len(k) >= len(word)}  # shortened, not lengthened
        if not hits:  # "lkp" for lengkap: the letters of one known word, in order, from its first
            hits = {k for k in same_initial if len(k) > len(word) and _in_order(word, k)}
        self._guessed[word] = hits.pop() if len(hits) == 1 else word
        return self._guessed[word]

    def speaks_of(self, title: str | None) -> set[str]:
        """Fields a title names a kind of without being them: ``tgl_lpj`` is a date, but not the
        birth date; ``nama_ortu`` a name, but not the person's. Content must not make them those fields.

        Example:
            >>> from slrt_cli.schemas import load_schema
            >>> "tanggal_lahir" in TitleRecogniser.for_schema(load_schema()).speaks_of("tgl_lpj")
            True
        """
        if not title:
            return set()
        all_words = set(self.words_of(title))
        words = all_words & self.vocabulary.generic
        if not words or not all_words - self._known:  # only known words: no other thing is named
            return set()
        return {fld for fld, patterns in self._patterns.items() if any(words & p for p, _ in patterns)}

    def overlaps(self, title: str | None) -> set[str]:
        """Fields sharing at least one (non-noise) word with a title: a hint for content to prefer
        ``kepala_keluarga`` over ``rumah`` when both hold name-like words."""
        if not title:
            return set()
        words = set(self.words_of(title)) - self.vocabulary.noise
        return {fld for fld, patterns in self._patterns.items() if any(words & p for p, _ in patterns)}

    def _by_words(self, words: tuple[str, ...]) -> TitleMatch:
        v = self.vocabulary
        meaningful = frozenset(w for w in words if w not in v.noise)
        if not meaningful:
            return NO_MATCH
        scored: list[tuple[float, int, str, str | None]] = []
        for fld, patterns in self._patterns.items():
            hits = [(p, cl) for p, cl in patterns if p <= meaningful]
            if not hits:
                continue
            covered = frozenset().union(*(p for p, _ in hits))
            rest = meaningful - covered
            if covered <= v.generic and rest - v.generic:
                continue  # "NAMA" alone fits "Nama SLS" no better than anything else
            weight = sum(0.5 if w in v.generic else 1.0 for w in rest)
            confidence = len(covered) / (len(covered) + weight)
            codelist = max(hits, key=lambda h: len(h[0]))[1]
            scored.append((confidence, len(covered), fld, codelist))
        if not scored:
            return NO_MATCH
        scored.sort(key=lambda s: (-s[0], -s[1], s[2]))
        conf, size, fld, codelist = scored[0]
        if conf < v.min_confidence:
            return NO_MATCH
        rivals = tuple(s[2] for s in scored[1:] if s[0] == conf and s[1] == size)
        if rivals:
            return TitleMatch(None, None, conf, "", (fld, *rivals))
        return TitleMatch(fld, codelist, round(conf, 2), "words")


def _in_order(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _skeleton(word: str) -> str:
    """A word's consonants after its first letter: how Indonesian titles abbreviate (tgl, lhr, lngkp)."""
    return word[0] + re.sub(r"[aeiou]", "", word[1:])


_BUILT: dict[int, tuple[Schema, TitleRecogniser]] = {}


def _recogniser(schema: Schema) -> TitleRecogniser:
    built = _BUILT.get(id(schema))
    if built is None or built[0] is not schema:
        built = _BUILT[id(schema)] = (schema, TitleRecogniser(schema, _vocabulary()))
    return built[1]
