"""The part of a register a batch can touch, found piece by piece: what lets a register that does
not fit in memory (a province, the nation) be matched with the very code that matches a district.

The matcher reads the register in four ways only, and each can be computed on one piece of the
register at a time, then combined:

1. **term frequencies** (how common a name word or a birth date is) and the register size: integer
   counts, summed over the pieces (:func:`term_counts`, :func:`add_counts`, :func:`tables_from_counts`);
2. **candidate pairs**: a register row is a candidate of some batch row only when it shares the
   keys of a blocking rule with it. Once the term counts are summed (which words are common or
   frequent), each piece keeps its rows that share a key with the batch (:func:`batch_keys`,
   :func:`register_keys`). A rule's keys are hashed into one number: a collision only ever keeps
   *more* rows than blocking pairs, never fewer;
3. **samples for the weights** (the u probabilities): the rows with the smallest hashes of their
   values; the smallest of each piece contain the smallest of all (:func:`sample_candidates`,
   :func:`merge_samples`);
4. **households and desa**: the household stage needs the size of a candidate's household (counted
   per piece, summed: :func:`household_counts`); the reconciliation reads every member of a
   household a row is linked to, and with ``--coverage desa`` every person of a covered desa
   (:func:`closure_filter`: the desa in the second pass, the households once the links are known).

The rows so kept (the *slice*), in the register's own order, with the term tables of the whole
register, give the matcher exactly the pairs, weights, links and not-found persons the whole
register gives: :func:`slrt_cli.match.match` with ``tables=`` (tests compare the two). Every
function here is pure and works on one piece; the engines (``slrt_cli.engines``) run them over
files on one machine or over the partitions of a Spark job.

``_r``, the register position, must be global in a piece (the row's position in the whole
register): ties are broken by it.
"""

from __future__ import annotations

import polars as pl

from slrt_cli.match import features
from slrt_cli.match.blocking import key_frame, word_key_frames
from slrt_cli.match.settings import MatchSettings
from slrt_cli.match.weights import TermTables, merge_samples, sample_candidates, tables_from_counts

__all__ = [
    "KEY_SEED",
    "add_counts",
    "add_households",
    "household_counts",
    "batch_keys",
    "closure_filter",
    "prepare_piece",
    "merge_samples",
    "register_keys",
    "sample_candidates",
    "tables_from_counts",
    "term_counts",
]

KEY_SEED = 20261205
_NO_WORDS: frozenset[int] = frozenset()


def prepare_piece(piece: pl.DataFrame, settings: MatchSettings, first_r: int) -> pl.DataFrame:
    """A piece of the canonical register prepared for matching, numbered ``_r`` from ``first_r``
    (its first row's position in the whole register; rows are consecutive)."""
    prepared = features.prepare_register(piece, settings.names)
    return prepared.with_columns((pl.col("_r").cast(pl.Int64) + first_r).cast(pl.UInt32).alias("_r"))


def _keys(df: pl.DataFrame, idx: str, settings: MatchSettings, common: frozenset[int] = _NO_WORDS,
          frequent: frozenset[int] = _NO_WORDS) -> pl.DataFrame:
    """(``idx``, ``k``): for each blocking rule, a hash of the rule and its key values.

    ``common``, ``frequent``: the whole register's (:class:`TermTables`), so that the keys are the
    blocking's own; without them the word keys are a superset. The NIK itself is a key too (the
    weights' equal-NIK pairs).
    """
    words = word_key_frames(features.explode_words(df, idx, settings.names), idx, common, frequent)
    nik = pl.struct(pl.lit(-1).alias("rule"), "_nik").hash(KEY_SEED).alias("k")
    parts = [df.filter(pl.col("_nik").is_not_null()).select(idx, nik)]
    for i, rule in enumerate(settings.blocking):
        frame = key_frame(df, idx, rule.keys, words)
        parts.append(frame.select(idx, pl.struct(pl.lit(i).alias("rule"), *rule.keys).hash(KEY_SEED).alias("k")))
    return pl.concat(parts, how="vertical_relaxed")


def batch_keys(batch: pl.DataFrame, settings: MatchSettings, tables: TermTables | None = None) -> pl.DataFrame:
    """The keys (``k``, distinct, sorted) of the batch rows that are matched (a prepared batch);
    ``tables``: the whole register's (without them, a superset)."""
    live = batch.filter(pl.col("_status") != "rejected")
    return _keys(live, "_b", settings, *_words(tables)).select("k").unique().sort("k")


def register_keys(piece: pl.DataFrame, settings: MatchSettings, tables: TermTables | None = None) -> pl.DataFrame:
    """(``_r``, ``k``) of a prepared register piece: its rows that :func:`batch_keys` holds are candidates."""
    return _keys(piece, "_r", settings, *_words(tables))


def candidates(piece: pl.DataFrame, keys: pl.DataFrame, settings: MatchSettings,
               tables: TermTables | None = None) -> pl.DataFrame:
    """The rows of a prepared piece that share a key with the batch (``keys``: :func:`batch_keys`
    with the same ``tables``)."""
    hit = register_keys(piece, settings, tables).join(keys, on="k", how="semi").select("_r").unique()
    return piece.join(hit, on="_r", how="semi")


def _words(tables: TermTables | None) -> tuple[frozenset[int], frozenset[int]]:
    return (tables.common, tables.frequent) if tables is not None else (_NO_WORDS, _NO_WORDS)


def term_counts(piece: pl.DataFrame, settings: MatchSettings) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """Counts of a prepared piece: (``w``, ``n``) per name word, (``_dob``, ``n``) per birth date, rows."""
    words = features.explode_words(piece, "_r", settings.names)
    w = words.group_by("w").agg(pl.len().cast(pl.UInt64).alias("n"))
    d = piece.group_by("_dob").agg(pl.len().cast(pl.UInt64).alias("n"))
    return w, d, piece.height


def household_counts(piece: pl.DataFrame) -> pl.DataFrame:
    """(``_hid``, ``hh_n``): members of each household of a prepared piece (summed with :func:`add_households`)."""
    return piece.filter(pl.col("_hid").is_not_null()).group_by("_hid").agg(pl.len().cast(pl.UInt32).alias("hh_n"))


def add_households(parts: list[pl.DataFrame]) -> pl.DataFrame:
    if not parts:
        return pl.DataFrame(schema={"_hid": pl.Utf8, "hh_n": pl.UInt32})
    return pl.concat(parts, how="vertical_relaxed").group_by("_hid").agg(pl.col("hh_n").sum())


def add_counts(parts: list[pl.DataFrame], key: str) -> pl.DataFrame:
    """Counts of several pieces summed (``key``, ``n``)."""
    if not parts:
        return pl.DataFrame(schema={key: pl.UInt64 if key == "w" else pl.Int32, "n": pl.UInt64})
    return pl.concat(parts, how="vertical_relaxed").group_by(key).agg(pl.col("n").sum())


def closure_filter(piece: pl.DataFrame, households: pl.Series, desa: pl.Series | None) -> pl.Expr:
    """Rows of a *canonical* register piece in one of these households (as the matcher keys them,
    ``_hid``) or desa (``kode_desa``)."""
    hid = features.col(piece, "household_id").str.strip_chars()
    cond = hid.is_in(households.cast(pl.Utf8).implode()).fill_null(False)
    if desa is not None and desa.len():
        cond = cond | features.col(piece, "kode_desa").is_in(desa.cast(pl.Utf8).implode()).fill_null(False)
    return cond


def slice_tables(words: pl.DataFrame, dobs: pl.DataFrame, n_register: int, settings: MatchSettings,
                 households: pl.DataFrame | None = None) -> TermTables:
    """:class:`TermTables` of the whole register from its summed counts (and household sizes)."""
    tables = tables_from_counts(words, dobs, n_register, settings)
    tables.household_sizes = households
    return tables
