"""Public entry points: :func:`estimate`, :func:`match_partition`, :func:`match`.

How the work is split (and why results never depend on it): blocking keys
never involve the partition, so every batch row gets the same candidate pairs
whether the batch is split by kabupaten, by kecamatan or not at all; the
weights are estimated once on the whole input; scoring a pair only looks at
that pair. :func:`match` therefore blocks once, scores the pairs partition by
partition (in a process pool when ``workers > 1``: that is the heavy, pure
part) and then runs the one-to-one assignment and the household stage once
over all scored pairs, which is cheap. ``match(batch, register, s)`` equals
``match_partition(batch, register, estimate(batch, register, s), s)`` row for
row, for any ``partition_by``.

Rows whose region is unknown are matched like the others: the NIK, No KK, id
and name + birth-date rules reach the whole register; only the rules keyed on
desa/kecamatan cannot fire for them.
"""

from __future__ import annotations

import concurrent.futures as cf
import functools
import multiprocessing
import time
from collections.abc import Callable, Iterable
from typing import Any

import polars as pl

from slrt_cli.match import explain, features, matcher
from slrt_cli.match.blocking import Blocker, candidate_pairs
from slrt_cli.match.settings import MatchSettings
from slrt_cli.match.weights import TermTables, Weights, estimate_prepared, term_tables

#: ``mapper(fn, tasks) -> [fn(t) for t in tasks]``, run elsewhere (see :func:`match`)
Mapper = Callable[[Callable[[Any], pl.DataFrame], list], Iterable[pl.DataFrame]]

#: output columns of :func:`match` and :func:`match_partition`, in order
OUTPUT_COLUMNS = [
    "source_file",
    "source_sheet",
    "source_row",
    "outcome",
    "person_id",
    "household_id",
    "score",
    "reasons",
    "alasan",
    "match_stage",
]
OUTCOMES = ("matched", "review", "new", "rejected", "duplicate")


def _settings(settings: MatchSettings | None) -> MatchSettings:
    return settings if settings is not None else MatchSettings.default()


def estimate(batch: pl.DataFrame, register: pl.DataFrame, settings: MatchSettings | None = None) -> Weights:
    """Estimate the model (m, u, term frequencies, prior) from the data. Deterministic.

    Args:
        batch: the villages' rows (canonical columns, see module doc of ``slrt_cli.match``).
        register: the register extract.
        settings: thresholds and defaults; ``MatchSettings.default()`` when None.

    Returns:
        :class:`Weights`, to pass to :func:`match_partition`.

    Example:
        >>> w = estimate(batch, register)  # doctest: +SKIP
        >>> w.bits["name"]  # doctest: +SKIP
    """
    s = _settings(settings)
    return estimate_prepared(features.prepare_batch(batch, s.names), features.prepare_register(register, s.names), s)


def match_partition(
    batch_part: pl.DataFrame,
    register_part: pl.DataFrame,
    weights: Weights,
    settings: MatchSettings | None = None,
    decisions: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Link one partition of the batch to one partition of the register (a pure function).

    Returns exactly one row per batch row, sorted by the row key, with the
    columns of :data:`OUTPUT_COLUMNS`. ``decisions``: see :func:`match`.

    Example:
        >>> out = match_partition(batch, register, estimate(batch, register))  # doctest: +SKIP
    """
    s = _settings(settings)
    b = features.prepare_batch(batch_part, s.names)
    r = features.prepare_register(register_part, s.names)
    return _run(b, r, weights, s, None, 1, decisions=decisions)


def match(
    batch: pl.DataFrame,
    register: pl.DataFrame,
    settings: MatchSettings | None = None,
    *,
    partition_by: str | None = "kode_kab",
    workers: int = 1,
    decisions: pl.DataFrame | None = None,
    tables: TermTables | None = None,
    mapper: Mapper | None = None,
    assigner: matcher.Assigner | None = None,
) -> pl.DataFrame:
    """Link every batch row to the register or declare it new.

    Args:
        batch: the villages' rows (``rows.parquet`` of ``slrt validate``).
        register: the register extract (canonical columns).
        settings: ``MatchSettings.default()`` when None.
        partition_by: batch column that splits the scoring work (``kode_kab``,
            ``kode_kec``, or None). Results do not depend on it.
        workers: processes for scoring partitions (1 = in this process).
        decisions: reviewers' decisions: ``source_file``, ``source_sheet``,
            ``source_row``, ``person_id``, ``keputusan`` (``sama``: link the row to
            that person, ``match_stage="decision"``; ``beda``: never this pair, the
            row takes its next candidate or is new). Other values are ignored.
        tables: the term tables of the whole register when ``register`` is only the slice of it
            this batch needs (:mod:`slrt_cli.match.slice`).
        mapper: runs the scoring of the partitions elsewhere: ``mapper(fn, makers)`` returns
            ``[fn(make()) for make in makers]``, in order (e.g. on Spark executors; each task is
            made when it is handed over); ``workers`` is then unused.
        assigner: runs the one-to-one assignment and the household stage elsewhere (e.g. as
            Spark DataFrame operations, :mod:`slrt_cli.engines.spark_assign`), with the same result.

    Returns:
        One row per batch row, sorted by ``source_file``, ``source_sheet``,
        ``source_row``: see :data:`OUTPUT_COLUMNS`.

    Example:
        >>> out = match(batch, register, partition_by="kode_kec")  # doctest: +SKIP
        >>> out.group_by("outcome").len()  # doctest: +SKIP
    """
    return match_details(
        batch, register, settings, partition_by=partition_by, workers=workers, decisions=decisions, tables=tables,
        mapper=mapper, assigner=assigner,
    )[0]


def match_details(
    batch: pl.DataFrame,
    register: pl.DataFrame,
    settings: MatchSettings | None = None,
    *,
    partition_by: str | None = "kode_kab",
    workers: int = 1,
    decisions: pl.DataFrame | None = None,
    tables: TermTables | None = None,
    mapper: Mapper | None = None,
    assigner: matcher.Assigner | None = None,
) -> tuple[pl.DataFrame, Weights]:
    """:func:`match`, also returning the estimated :class:`Weights`.

    ``weights.diagnostics`` then holds the pair counts (``pairs_blocked``,
    ``pairs_compared``, ``pairs_scored``) and the seconds of each stage.

    ``tables``: the term tables of a whole register of which ``register`` is the slice this batch
    needs (:mod:`slrt_cli.match.slice`); the result is then the whole register's.
    """
    s = _settings(settings)
    clock = _Clock()
    b = features.prepare_batch(batch, s.names, (partition_by,) if partition_by else ())
    clock.lap("prepare_batch")
    r = features.prepare_register(register, s.names)
    clock.lap("prepare_register")
    live = b.filter(pl.col("_status") != "rejected")
    r_words = features.explode_words(r, "_r", s.names)
    tables = tables if tables is not None else term_tables(r, s, r_words)
    blocker = Blocker(live, r, s.names, tables.common, tables.frequent, r_words)
    del r_words
    pairs, name_dob = blocker.pairs(s.blocking, keep="name_dob")
    del blocker
    clock.lap("blocking")
    cache = features.RegisterFeatures(r, s.names)
    w = estimate_prepared(b, r, s, cache, tables, name_dob)
    clock.lap("estimate")
    out = _run(b, r, w, s, partition_by, workers, cache, pairs, clock, decisions, mapper, assigner)
    w.diagnostics["seconds"] = clock.laps
    return out, w


class _Clock:
    def __init__(self) -> None:
        self.laps: dict[str, float] = {}
        self.t = time.perf_counter()

    def lap(self, name: str) -> None:
        now = time.perf_counter()
        self.laps[name] = round(now - self.t, 3)
        self.t = now


def _partition_labels(b: pl.DataFrame, partition_by: str | None) -> pl.Series:
    if not partition_by or partition_by not in b.columns:
        return pl.Series("part", [""] * b.height, dtype=pl.Utf8)
    width = {"kode_kab": 4, "kode_kec": 6, "kode_desa": 10}.get(partition_by)
    derived = pl.col("_desa").str.slice(0, width) if width else pl.lit(None, pl.Utf8)
    expr = pl.coalesce(pl.col(partition_by).cast(pl.Utf8).str.replace_all(r"\D", ""), derived, pl.lit(""))
    return b.select(expr.alias("part"))["part"]


def _score_task(args: tuple) -> pl.DataFrame:
    pairs, b, r, w, s = args
    return matcher.score_pairs(pairs, b, r, w, s)


def _run(
    b: pl.DataFrame,
    r: pl.DataFrame,
    w: Weights,
    s: MatchSettings,
    partition_by: str | None,
    workers: int,
    cache: features.RegisterFeatures | None = None,
    pairs: pl.DataFrame | None = None,
    clock: _Clock | None = None,
    decisions: pl.DataFrame | None = None,
    mapper: Mapper | None = None,
    assigner: matcher.Assigner | None = None,
) -> pl.DataFrame:
    cache = cache if cache is not None else features.RegisterFeatures(r, s.names)
    clock = clock if clock is not None else _Clock()
    if pairs is None:
        pairs = candidate_pairs(b.filter(pl.col("_status") != "rejected"), r, s, w.common, w.frequent)
    n_blocked = pairs.height
    pairs = matcher.prefilter(pairs, b, r, w, s)
    rf = cache.get(pairs["_r"])
    clock.lap("prefilter_features")
    labels = b.select("_b").with_columns(_partition_labels(b, partition_by).alias("part"))
    pairs = pairs.join(labels, on="_b", how="left")
    use_pool = workers > 1 or mapper is not None

    def task(pp: pl.DataFrame) -> tuple:
        # a process gets only the rows it needs; in this process the frames are shared
        bb = b.join(pp.select("_b").unique(), on="_b", how="semi") if use_pool else b
        rr = rf.join(pp.select("_r").unique(), on="_r", how="semi") if use_pool else rf
        return (pp, bb, rr, w, s)

    parts = [pp.drop("part") for (_p,), pp in sorted(pairs.partition_by("part", as_dict=True).items(),
                                                      key=lambda kv: kv[0])]
    if mapper is not None and parts:
        # each task made when it is handed over (a national month's tasks together are GiBs)
        scored = list(mapper(_score_task, [functools.partial(task, pp) for pp in parts]))
    elif use_pool and len(parts) > 1:
        ctx = multiprocessing.get_context("spawn")
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=ctx) as executor:
            scored = list(executor.map(_score_task, [task(pp) for pp in parts]))
    else:
        scored = [_score_task(task(pp)) for pp in parts]
    edges = pl.concat(scored, how="vertical_relaxed") if scored else _empty_edges(b, cache, w, s)
    decided = _decided_pairs(decisions, b, r)
    if decided is not None and decided.height:
        missing = (
            decided.filter(pl.col("keputusan") == "sama").select("_b", "_r").join(edges, on=["_b", "_r"], how="anti")
        )
        if missing.height:  # a reviewer's `sama` on a pair the blocking or the pruning left out
            forced = matcher.score_pairs(missing, b, cache.get(missing["_r"]), w, s, keep_all=True)
            edges = pl.concat([edges, forced], how="vertical_relaxed")
        edges = matcher.apply_decisions(edges, decided)
    w.diagnostics.update(pairs_blocked=n_blocked, pairs_compared=pairs.height, pairs_scored=edges.height)
    clock.lap("score")
    resolved = matcher.resolve(edges, b, r, w, s, assigner)
    clock.lap("assign")
    out = _render(resolved, b, r, s)
    clock.lap("render")
    return out


def _decided_pairs(decisions: pl.DataFrame | None, b: pl.DataFrame, r: pl.DataFrame) -> pl.DataFrame | None:
    """Decisions as (``_b``, ``_r``, ``keputusan``): rows found by their key, people by ``person_id``."""
    if decisions is None or decisions.height == 0:
        return None
    d = decisions.select(
        pl.col("source_file").cast(pl.Utf8),
        pl.col("source_sheet").cast(pl.Utf8).fill_null(""),
        pl.col("source_row").cast(pl.Int64),
        pl.col("person_id").cast(pl.Utf8),
        pl.col("keputusan").cast(pl.Utf8).str.strip_chars().str.to_lowercase(),
    ).filter(pl.col("keputusan").is_in(["sama", "beda"]))
    rows = b.filter(pl.col("_status") != "rejected").select(
        "_b",
        pl.col("source_file").cast(pl.Utf8),
        pl.col("source_sheet").cast(pl.Utf8).fill_null(""),
        pl.col("source_row").cast(pl.Int64),
    )
    people = r.select("_r", pl.col("_pid").alias("person_id"))
    out = d.join(rows, on=features.ROW_KEY).join(people, on="person_id").select("_b", "_r", "keputusan")
    # a later line wins when one pair got both answers
    return out.unique(["_b", "_r"], keep="last", maintain_order=True)


def _empty_edges(b: pl.DataFrame, cache: features.RegisterFeatures, w: Weights, s: MatchSettings) -> pl.DataFrame:
    pairs = pl.DataFrame(schema={"_b": pl.UInt32, "_r": pl.UInt32})
    return matcher.score_pairs(pairs, b, cache.get(pairs["_r"]), w, s)


_SIDE_COLUMNS = ("nama", "nik", "no_kk", "tanggal_lahir", "_sex", "_pid", "_hid", "_rt", "_rw", "_desa", "_hub")


def _side(df: pl.DataFrame, idx: str, suffix: str) -> pl.DataFrame:
    exprs = [pl.col(idx)]
    for c in _SIDE_COLUMNS:
        e = pl.col(c) if c in df.columns else pl.lit(None, pl.Utf8)
        exprs.append(e.alias(f"{c}_{suffix}"))
    return df.select(exprs)


def _render(resolved: pl.DataFrame, b: pl.DataFrame, r: pl.DataFrame, s: MatchSettings) -> pl.DataFrame:
    chosen = resolved["_r"].drop_nulls().unique().sort()
    r = r[chosen.to_numpy().astype("int64")]  # only the register rows shown (``_r`` is the position)
    ids = r.select(
        "_r",
        features.col(r, "person_id").alias("person_id"),
        features.col(r, "household_id").alias("household_id"),
    )
    out = (
        resolved.join(b.select("_b", *features.ROW_KEY), on="_b", how="left")
        .join(_side(b, "_b", "b"), on="_b", how="left")
        .join(_side(r, "_r", "r"), on="_r", how="left")
        .join(ids, on="_r", how="left")
    )
    reasons = explain.reasons_frame(out.filter(pl.col("_r").is_not_null()), s)
    out = out.join(reasons, on="_b", how="left")
    out = out.with_columns(explain.helper_columns()).with_columns(explain.alasan_expr(s).alias("alasan"))
    return out.sort("_b").select(OUTPUT_COLUMNS)
