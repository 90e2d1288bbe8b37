"""Blocking: which batch rows are compared with which register rows.

A pair is a candidate when it shares every key of at least one rule of
``[[blocking]]`` in ``schemas/match.toml`` (the rules are OR-ed). The default
rules keep recall while comparing few pairs:

==============  ==============================================================
nik15           first 15 NIK digits (also finds Excel-damaged NIKs, twins)
no_kk           first 15 digits of the No KK (the household)
nik_date        NIK region + birth-date block (a typo in the serial)
person_id       register person id carried by the village file
household_id    register household id carried by the village file
name_dob        any word of the name (phonetic key) + birth date (day/month
                in either order): finds people who moved, without any NIK
desa_dob        desa + birth date: a name spelt beyond recognition
desa_name_md    desa + name word + day and month of birth: a wrong year
desa_name_year  desa + name word + birth year: a wrong day or month
desa_name_nodob desa + name word, for rows without a birth date
desa_name       desa + an uncommon name word: a wrong birth date
kec_name_year   kecamatan + uncommon name word + birth year
==============  ==============================================================

No rule depends on how the batch is partitioned, so every batch row gets the
same candidates whatever the partitioning (and rows whose region is unknown are
still found through the NIK, No KK, id and name+birth-date rules, against the
whole register).
"""

from __future__ import annotations

import polars as pl

from slrt_cli.match.features import explode_words
from slrt_cli.match.settings import BlockingRule

_SCALAR_KEYS = {
    "nik15": pl.col("_nik") // 10,
    "nik12": pl.col("_nik") // 10_000,
    "kk": pl.col("_kk") // 10,
    "person_id": pl.col("_pid"),
    "household_id": pl.col("_hid"),
    "dob_key": pl.col("_y") * 10_000
    + pl.min_horizontal("_d", "_m") * 100
    + pl.max_horizontal("_d", "_m"),
    "md_key": pl.min_horizontal("_d", "_m") * 100 + pl.max_horizontal("_d", "_m"),
    "birth_year": pl.col("_y"),
    "kode_desa": pl.col("_desa"),
    "kode_kec": pl.col("_kec"),
}


def _key(k: str, idx: str) -> pl.Expr:
    if k == "missing_dob":  # batch rows without a birth date meet every register row
        return (pl.when(pl.col("_dob").is_null()).then(pl.lit(1)) if idx == "_b" else pl.lit(1)).alias(k)
    return _SCALAR_KEYS[k].alias(k)


def key_frame(
    df: pl.DataFrame, idx: str, keys: tuple[str, ...], common: frozenset[str], words: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per (row, key values) with no null key; word keys are exploded.

    ``words``: the (``idx``, ``w``) rows of :func:`explode_words`, when already computed.
    """
    scalar = [_key(k, idx) for k in keys if k not in ("name_token", "rare_token")]
    word_key = next((k for k in keys if k in ("name_token", "rare_token")), None)
    out = df.select(pl.col(idx), *scalar).drop_nulls()
    if word_key is None:
        return out
    w = (words if words is not None else explode_words(df, idx)).rename({"w": word_key})
    if word_key == "rare_token" and common:
        w = w.filter(~pl.col(word_key).is_in(sorted(common)))
    return out.join(w, on=idx, how="inner")


def rule_pairs(
    batch: pl.DataFrame,
    register: pl.DataFrame,
    rule: BlockingRule,
    common: frozenset[str],
    words: tuple[pl.DataFrame, pl.DataFrame] | None = None,
) -> pl.DataFrame:
    """Pairs (``_b``, ``_r``) found by one rule (``words``: exploded words of both sides)."""
    bw, rw = words if words is not None else (None, None)
    b = key_frame(batch, "_b", rule.keys, common, bw)
    r = key_frame(register, "_r", rule.keys, common, rw)
    return b.join(r, on=list(rule.keys), how="inner").select("_b", "_r")


def candidate_pairs(
    batch: pl.DataFrame,
    register: pl.DataFrame,
    rules: tuple[BlockingRule, ...],
    common: frozenset[str],
    words: tuple[pl.DataFrame, pl.DataFrame] | None = None,
    keep: str | None = None,
) -> pl.DataFrame | tuple[pl.DataFrame, pl.DataFrame]:
    """All candidate pairs of prepared frames, distinct, sorted by (``_b``, ``_r``).

    With ``keep`` (a rule name), also returns that rule's own pairs.

    Example:
        >>> pairs = candidate_pairs(prepared_batch, prepared_register, settings.blocking, weights.common)  # doctest: +SKIP
    """
    if words is None:
        words = (explode_words(batch, "_b"), explode_words(register, "_r"))
    parts = {rule.name: rule_pairs(batch, register, rule, common, words) for rule in rules}
    empty = pl.DataFrame(schema={"_b": pl.UInt32, "_r": pl.UInt32})
    union = pl.concat(list(parts.values())).unique().sort("_b", "_r") if parts else empty
    if keep is None:
        return union
    return union, parts.get(keep, empty).unique()


def blocking_recall(
    batch: pl.DataFrame,
    register: pl.DataFrame,
    rules: tuple[BlockingRule, ...],
    common: frozenset[str],
    truth: pl.DataFrame,
) -> dict[str, float]:
    """Share of true pairs (``truth``: ``_b``, ``_r``) kept by each rule and by all together."""
    out: dict[str, float] = {}
    n = max(truth.height, 1)
    found = []
    for rule in rules:
        pairs = rule_pairs(batch, register, rule, common)
        found.append(pairs)
        out[rule.name] = truth.join(pairs.unique(), on=["_b", "_r"], how="semi").height / n
    allp = pl.concat(found).unique() if found else pl.DataFrame(schema={"_b": pl.UInt32, "_r": pl.UInt32})
    out["all"] = truth.join(allp, on=["_b", "_r"], how="semi").height / n
    return out
