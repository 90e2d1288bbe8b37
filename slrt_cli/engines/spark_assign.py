"""Stages 3 and 4 of the matcher on Spark: the one-to-one assignment and the household stage as
Spark DataFrame operations, for :func:`slrt_cli.match.matcher.resolve` (``assigner``).

The same rules as :func:`slrt_cli.match.matcher.assign_rows`, and so the same pairs:

- **assignment**, in rounds: a pair that is the best of its row (``_b``) and of its register
  person (``_r``) is taken; a row whose best pair lost its person to another row in the round is
  a ``duplicate`` when it may be one (:func:`~slrt_cli.match.matcher.can_duplicate`); the rows and
  persons so settled leave. "Best" is one total order (``pri``, ``bits``, then ``_b``, ``_pid_r``,
  ``_r``), as the matcher's sort, so that no pair depends on partitions or arrival. A round is
  two window minimums (over ``_b`` and over ``_r``) and the flags they give; its result is
  checkpointed, so that the plan does not grow with the rounds;
- **household stage**: each family's links counted by a ``groupBy``, the household most of them
  link to chosen by a window, and the pairs inside it rescored on the executors by the matcher's
  own polars code (:func:`~slrt_cli.match.matcher.rescore_inside`, ``mapInArrow``); then the
  assignment again.

The row-wise rules (which pairs the assignment considers, which make a link, which may be a
duplicate, the majority a family needs, the rescoring) are the matcher's polars expressions, run
on the driver or in ``mapInArrow``: only the grouping is written in Spark's terms.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

import polars as pl
import pyarrow as pa

from slrt_cli.engines.spark import _arrow, _batches, _collect_driver_garbage, _frame, _is_connect, _spark_schema
from slrt_cli.match import matcher
from slrt_cli.match.settings import MatchSettings
from slrt_cli.match.weights import Weights

if TYPE_CHECKING:
    from pyspark.sql import Column, DataFrame, SparkSession

log = logging.getLogger("slrt")


def _flagged(edges: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """The row-wise rules the rounds read, as columns: ``_elig`` (the assignment considers the
    pair), ``_dupc`` (its row may be a duplicate), ``_link`` (the pair makes a link)."""
    return edges.with_columns(matcher.eligible(settings).alias("_elig"),
                              matcher.can_duplicate(settings).alias("_dupc"),
                              matcher.linked(settings).alias("_link"))


def _order() -> Column:
    """The matcher's order of pairs (:func:`slrt_cli.match.matcher.assign`: ``pri`` and ``bits``
    descending, then ``_b``, ``_pid_r``, ``_r``; nulls last) as a struct whose minimum is the best
    pair: a flag before each value that may be null, so that the struct holds no null."""
    from pyspark.sql import functions as F

    def last(name: str, fill, negate: bool = False) -> list[Column]:
        value = F.coalesce(F.col(name), F.lit(fill))
        return [F.col(name).isNull().alias(f"{name}_null"), (-value if negate else value).alias(name)]

    return F.struct(*last("pri", 0, True), *last("bits", 0.0, True), F.col("_b"), *last("_pid_r", ""), F.col("_r"))


def _assign(pairs: DataFrame) -> DataFrame:
    """The pairs taken by the one-to-one assignment of ``pairs`` (with ``k``, :func:`_order`, and
    ``_dupc``): ``_b``, ``_r``, ``dup`` (the row is a duplicate of that person)."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    by_b, by_r = Window.partitionBy("_b"), Window.partitionBy("_r")
    k = F.col("k")
    rem = pairs.select("_b", "_r", "k", "_dupc")
    taken, rounds = [], 0
    while not rem.isEmpty():
        rounds += 1
        w = (rem.withColumn("kb", F.min("k").over(by_b)).withColumn("kr", F.min("k").over(by_r))
             .withColumn("acc", (k == F.col("kb")) & (k == F.col("kr")))
             .withColumn("taken_r", F.max("acc").over(by_r))
             .withColumn("dup", (k == F.col("kb")) & ~F.col("acc") & F.col("taken_r") & F.col("_dupc"))
             .withColumn("gone_b", F.max(F.col("acc") | F.col("dup")).over(by_b))
             .localCheckpoint(storageLevel=StorageLevel.DISK_ONLY))
        taken.append(w.filter(F.col("acc") | F.col("dup")).select("_b", "_r", "dup"))
        rem = w.filter(~F.col("gone_b") & ~F.col("taken_r")).select("_b", "_r", "k", "_dupc")
    log.info("spark assignment rounds=%d", rounds)
    return functools.reduce(lambda a, b: a.unionByName(b), taken) if taken else pairs.select(
        "_b", "_r", F.lit(False).alias("dup"))


_MAJORITY = pa.schema([("_b", pa.int64()), ("hh", pa.string())])


def _majority(batches: Iterator[pa.RecordBatch], *, settings: MatchSettings) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: the rows whose family has enough other rows in its household (the matcher's rule)."""
    for batch in batches:
        rows = _frame(batch).filter(matcher.household_majority(settings)).select("_b", "hh")
        if rows.height:
            yield from _batches(rows, _MAJORITY)


def _rescored(batches: Iterator[pa.RecordBatch], *, weights: Weights, settings: MatchSettings,
              out_schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: the pairs rescored inside their family's household (the matcher's rule), flagged again."""
    for batch in batches:
        piece = _frame(batch)
        if piece.height:
            yield from _batches(_flagged(matcher.rescore_inside(piece, weights), settings), out_schema)


def _light(weights: Weights) -> Weights:
    """``weights`` without the register's term tables (the executors' rescoring needs none of them)."""
    return dataclasses.replace(weights, word_bits={}, dob_bits={}, common=frozenset(), frequent=frozenset(),
                               household_sizes=None, diagnostics={})


#: the ``spark_conf`` key of the number of scored pairs from which Spark assigns them; fewer are
#: assigned on the driver, by the same rules in polars
MIN_PAIRS_KEY = "spark.slrt.assign.minPairs"
#: its default with a ``local[...]`` master, whose executors are the driver's machine: a month's pairs
#: are on the driver already, which assigns a million in about a second, while Spark's rounds are
#: some 40 jobs (the 1M-person district month's 104,417 pairs: 12 s on ``local[2]``). On a cluster
#: (or through Spark Connect) Spark assigns every month.
DEFAULT_MIN_PAIRS_LOCAL = 2_000_000


def default_min_pairs(spark: SparkSession) -> int:
    """:data:`DEFAULT_MIN_PAIRS_LOCAL` with a local master, else 0 (as :func:`~slrt_cli.engines.spark.scoring_mapper`
    scores on the executors of a cluster only)."""
    if not _is_connect(spark) and spark.sparkContext.master.startswith("local"):
        return DEFAULT_MIN_PAIRS_LOCAL
    return 0


def spark_assigner(spark: SparkSession, min_pairs: int | None = None) -> matcher.Assigner:
    """An ``assigner`` for :func:`slrt_cli.match.match`: stages 3 and 4 as Spark DataFrame operations
    when the month has ``min_pairs`` scored pairs or more (default: the session's
    :data:`MIN_PAIRS_KEY`, else :func:`default_min_pairs`), else on the driver."""
    limit = min_pairs if min_pairs is not None else int(spark.conf.get(MIN_PAIRS_KEY, str(default_min_pairs(spark))))

    def assigner(edges: pl.DataFrame, batch: pl.DataFrame, register: pl.DataFrame, weights: Weights,
                 settings: MatchSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
        if edges.height < limit:
            log.info("assignment on the driver: pairs=%d, fewer than %s=%d", edges.height, MIN_PAIRS_KEY, limit)
            return matcher.assign_rows(edges, batch, register, weights, settings)
        return assign_rows_spark(spark, edges, batch, register, weights, settings)

    return assigner


def assign_rows_spark(spark: SparkSession, edges: pl.DataFrame, batch: pl.DataFrame, register: pl.DataFrame,
                      weights: Weights, settings: MatchSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """:func:`slrt_cli.match.matcher.assign_rows` computed by Spark: the same chosen pairs and best scores."""
    from pyspark import StorageLevel
    from pyspark.sql import Window
    from pyspark.sql import functions as F

    t = time.perf_counter()
    e = _flagged(edges.select(matcher.ASSIGN_COLUMNS), settings)
    pairs = spark.createDataFrame(_arrow(e)).withColumn("k", _order()).localCheckpoint(storageLevel=StorageLevel.DISK_ONLY)
    first = _assign(pairs.filter("_elig"))

    # the household stage: each family's household, where most of its rows are linked
    fam = spark.createDataFrame(_arrow(matcher.families(batch)))
    links = (first.filter(~F.col("dup")).join(pairs, ["_b", "_r"]).filter("_link")
             .select("_b", F.col("_hid_r").alias("hh")).join(fam, "_b"))
    size = fam.groupBy("fam").agg(F.count(F.lit(1)).alias("n"))
    counts = links.groupBy("fam", "hh").agg(F.count(F.lit(1)).alias("c"))
    ranked = Window.partitionBy("fam").orderBy(F.col("c").desc(), F.col("hh").asc_nulls_first())
    best = counts.withColumn("_i", F.row_number().over(ranked)).filter("_i = 1").drop("_i")
    rows = (fam.join(best, "fam").join(size, "fam")
            .join(links.select("_b", F.col("hh").alias("own")), "_b", "left"))
    rows = rows.mapInArrow(functools.partial(_majority, settings=settings), _spark_schema(_MAJORITY))
    sizes = weights.household_sizes
    homes = edges["_hid_r"].drop_nulls().unique().implode()
    if sizes is None:
        sizes = register.select("_hid").filter(pl.col("_hid").is_in(homes)).group_by("_hid").agg(pl.len().alias("hh_n"))
    sizes = spark.createDataFrame(_arrow(sizes.filter(pl.col("_hid").is_in(homes)).select("_hid", "hh_n")))
    inside = pairs.drop("k").join(rows, "_b", "left").join(sizes, pairs["_hid_r"] == sizes["_hid"], "left").drop("_hid")
    schema = _arrow(e.head(0)).schema
    rescored = inside.mapInArrow(functools.partial(_rescored, weights=_light(weights), settings=settings,
                                                   out_schema=schema), _spark_schema(schema))
    rescored = rescored.withColumn("k", _order()).localCheckpoint(storageLevel=StorageLevel.DISK_ONLY)

    second = _assign(rescored.filter("_elig"))
    chosen = _frame(second.join(rescored, ["_b", "_r"]).select(
        "_b", "_r", *matcher.RESCORED, F.when(F.col("dup"), "d").otherwise("a").alias("_kind")).toArrow())
    best = _frame(rescored.groupBy("_b").agg(F.max("score").alias("_best")).toArrow())
    log.info("spark assignment pairs=%d chosen=%d seconds=%.3f", edges.height, chosen.height, time.perf_counter() - t)
    _collect_driver_garbage(spark)
    chosen = chosen.with_columns(pl.col("_b").cast(pl.UInt32), pl.col("_r").cast(pl.UInt32))
    return chosen, best.with_columns(pl.col("_b").cast(pl.UInt32))
