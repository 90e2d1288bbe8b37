"""Blocking: which batch rows are compared with which register rows.

A pair is a candidate when it shares every key of at least one rule of
``[[blocking]]`` in ``schemas/match.toml`` (the rules are OR-ed). The default
rules keep recall while comparing few pairs:

===============  =============================================================
nik15            first 15 NIK digits (also finds Excel-damaged NIKs, twins)
no_kk            first 15 digits of the No KK (the household)
nik_date         NIK region + birth-date block (a typo in the serial)
person_id        register person id carried by the village file
household_id     register household id carried by the village file
name_dob         a name word (sound key; SITI, MUHAMMAD ... only when the name
                 has nothing else) + birth date (day/month in either order):
                 finds people who moved, without any NIK
desa_dob         desa + birth date: a name spelt beyond recognition
desa_name_md     desa + all the name words + day and month: a wrong year
desa_name_year   desa + all the name words + birth year: a wrong day or month
desa_name_nodob  desa + a name word, for rows without a birth date
===============  =============================================================

Measured on synthetic data (1,000,000 register people, 100,000 rows) the rules
together keep 99.999 % of the true pairs while blocking about 6.7 pairs per row.
No rule depends on how the batch is partitioned, so every batch row gets the
same candidates whatever the partitioning (and rows whose region is unknown are
still found through the NIK, No KK, id and name+birth-date rules, against the
whole register).
"""

from __future__ import annotations

import polars as pl

from slrt_cli.match.features import explode_words
from slrt_cli.match.settings import BlockingRule, MatchSettings, NameRules

_SCALAR_KEYS = {
    "nik15": pl.col("_nik") // 10,
    "nik12": pl.col("_nik") // 10_000,
    "kk": pl.col("_kk") // 10,
    "person_id": pl.col("_pid"),
    "household_id": pl.col("_hid"),
    "dob_key": pl.col("_y") * 10_000 + pl.min_horizontal("_d", "_m") * 100 + pl.max_horizontal("_d", "_m"),
    "md_key": pl.min_horizontal("_d", "_m") * 100 + pl.max_horizontal("_d", "_m"),
    "birth_year": pl.col("_y"),
    "kode_desa": pl.col("_desa"),
    "kode_kec": pl.col("_kec"),
}


def _key(k: str, idx: str) -> pl.Expr:
    if k == "missing_dob":  # batch rows without a birth date meet every register row
        return (pl.when(pl.col("_dob").is_null()).then(pl.lit(1)) if idx == "_b" else pl.lit(1)).alias(k)
    return _SCALAR_KEYS[k].alias(k)


_WORD_KEYS = ("name_token", "rare_token", "name_key")


def word_key_frames(
    words: pl.DataFrame, idx: str, common: frozenset[int], frequent: frozenset[int]
) -> dict[str, pl.DataFrame]:
    """The word-based keys of one side, from its :func:`explode_words` rows.

    - ``name_token``: each word, except very frequent ones (SITI, MUHAMMAD, NUR)
      unless the name has nothing else;
    - ``rare_token``: each word that is not common;
    - ``name_key``: all the words of the name, in any order (a hash).
    """
    hashed = words  # words are integers already (features.word_hash): joins compare numbers

    def h(xs: frozenset[int]) -> pl.Series:
        return pl.Series(sorted(xs), dtype=pl.UInt64)

    freq = hashed.with_columns(pl.col("w").is_in(h(frequent).implode()).alias("f"))
    only_frequent = freq.group_by(idx).agg(pl.col("f").all().alias("all_f")).filter("all_f").select(idx)
    tokens = pl.concat([freq.filter(~pl.col("f")), freq.join(only_frequent, on=idx, how="semi")])
    return {  # (a word twice in one name gives a pair twice: removed with the union of the rules)
        "name_token": tokens.select(idx, pl.col("w").alias("name_token")),
        "rare_token": hashed.filter(~pl.col("w").is_in(h(common).implode())).select(
            idx, pl.col("w").alias("rare_token")
        ),
        "name_key": hashed.group_by(idx).agg((pl.col("w") % 2_147_483_647).sum().alias("name_key")),
    }


def key_frame(
    df: pl.DataFrame, idx: str, keys: tuple[str, ...], word_keys: dict[str, pl.DataFrame],
    only: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per (row, key values) with no null key; word keys come from :func:`word_key_frames`.

    ``only``: the other side's key frame; rows whose plain keys it lacks are left out before the
    (costly) word keys are joined: they could not pair anyway.
    """
    scalar = [_key(k, idx) for k in keys if k not in _WORD_KEYS]
    out = df.select(pl.col(idx), *scalar).drop_nulls()
    plain = [k for k in keys if k not in _WORD_KEYS]
    if only is not None and plain:
        out = out.join(only.select(plain).unique(), on=plain, how="semi")
    for k in keys:
        if k in _WORD_KEYS:
            out = out.join(word_keys[k], on=idx, how="inner")
    return out


class Blocker:
    """Blocking of one batch against one register; word keys computed once for all rules.

    Example:
        >>> pairs = Blocker(batch, register, rules, common, frequent).pairs()  # doctest: +SKIP
    """

    def __init__(
        self,
        batch: pl.DataFrame,
        register: pl.DataFrame,
        rules: NameRules,
        common: frozenset[int],
        frequent: frozenset[int],
        register_words: pl.DataFrame | None = None,
    ):
        self.batch, self.register = batch, register
        rw = register_words if register_words is not None else explode_words(register, "_r", rules)
        self.b_words = word_key_frames(explode_words(batch, "_b", rules), "_b", common, frequent)
        self.r_words = word_key_frames(rw, "_r", common, frequent)

    def rule_pairs(self, rule: BlockingRule) -> pl.DataFrame:
        """Pairs (``_b``, ``_r``) found by one rule (may repeat)."""
        b = key_frame(self.batch, "_b", rule.keys, self.b_words)
        if b.height == 0:  # e.g. no row lacks a birth date: the register side is not built at all
            return pl.DataFrame(schema={"_b": pl.UInt32, "_r": pl.UInt32})
        r = key_frame(self.register, "_r", rule.keys, self.r_words, only=b)
        return b.join(r, on=list(rule.keys), how="inner").select("_b", "_r")

    def pairs(self, rules: tuple[BlockingRule, ...], keep: str | None = None):
        """All candidate pairs, distinct, sorted; with ``keep`` (a rule name) also that rule's own pairs."""
        parts = {rule.name: self.rule_pairs(rule) for rule in rules}
        empty = pl.DataFrame(schema={"_b": pl.UInt32, "_r": pl.UInt32})
        union = pl.concat(list(parts.values())).unique().sort("_b", "_r") if parts else empty
        if keep is None:
            return union
        return union, parts.get(keep, empty).unique()


def candidate_pairs(
    batch: pl.DataFrame,
    register: pl.DataFrame,
    settings: MatchSettings,
    common: frozenset[int],
    frequent: frozenset[int] = frozenset(),
) -> pl.DataFrame:
    """All candidate pairs of prepared frames, distinct, sorted by (``_b``, ``_r``).

    Example:
        >>> pairs = candidate_pairs(prepared_batch, prepared_register, settings, w.common, w.frequent)  # doctest: +SKIP
    """
    return Blocker(batch, register, settings.names, common, frequent).pairs(settings.blocking)


def blocking_recall(blocker: Blocker, rules: tuple[BlockingRule, ...], truth: pl.DataFrame) -> dict[str, float]:
    """Share of true pairs (``truth``: ``_b``, ``_r``) kept by each rule and by all together."""
    out: dict[str, float] = {}
    n = max(truth.height, 1)
    found = []
    for rule in rules:
        pairs = blocker.rule_pairs(rule)
        found.append(pairs)
        out[rule.name] = truth.join(pairs.unique(), on=["_b", "_r"], how="semi").height / n
    allp = pl.concat(found).unique() if found else pl.DataFrame(schema={"_b": pl.UInt32, "_r": pl.UInt32})
    out["all"] = truth.join(allp, on=["_b", "_r"], how="semi").height / n
    return out
