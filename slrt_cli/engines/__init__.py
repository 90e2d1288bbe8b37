"""The engines: where a register too large for one process is read and cut to what a batch needs.

A district's register is read whole, as always (with ``--engine spark`` and a cluster's master
its candidate pairs are scored on the cluster's executors). A register *dataset* (a folder of Parquet files,
for a province or the nation, partitioned by province and kabupaten) is read piece by piece, and
only its **slice** is kept: the rows some batch row can be linked to, the households and desa
they belong to, the rows the weights sample, with the term frequencies of the whole register
(:mod:`slrt_cli.match.slice` says why the matcher's results are then those of the whole).

Two engines compute the same slice:

- ``local`` (:mod:`.local`): one process reads the files one after another; memory grows with the
  slice, not with the register;
- ``spark`` (:mod:`.spark`): an Apache Spark job (``local[*]``, a cluster, or Spark Connect) reads
  the dataset in partitions; the per-piece work is the same polars code, run through Arrow.

Then the same matcher, reconciliation and outputs run on the slice, in this process.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import polars as pl

from slrt_cli.engines.dataset import RegisterDataset, is_dataset, normalised_register
from slrt_cli.errors import UsageError
from slrt_cli.schemas import Schema

if TYPE_CHECKING:  # the matcher is imported when a slice is cut, not with the package
    from slrt_cli.engines.local import DedupSlice, RegisterSlice
    from slrt_cli.match.settings import MatchSettings
    from slrt_cli.match.weights import TermTables

log = logging.getLogger("slrt.pipeline")

ENGINES = ("local", "spark")


@dataclass(frozen=True)
class Engine:
    """Which engine cuts the register, and how Spark is reached (config keys ``engine``,
    ``spark_master``, ``spark_conf``)."""

    name: str = "local"
    spark_master: str = "local[*]"
    spark_conf: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.name not in ENGINES:
            raise UsageError("error_engine_unknown", engine=self.name, engines=", ".join(ENGINES))
        if self.name == "spark":
            from slrt_cli.engines.spark import require_pyspark

            require_pyspark()


def needs_slice(register: pl.DataFrame | RegisterDataset, engine: Engine) -> bool:
    """A dataset is cut to the month's slice (by the engine asked for); a register extract already
    read into memory (a district's) is matched whole, the spark engine then scoring its pairs on
    a cluster's executors (:func:`scoring_mapper`)."""
    return isinstance(register, RegisterDataset)


def slice_register(rows: pl.DataFrame, register: pl.DataFrame | RegisterDataset, settings: MatchSettings,
                   schema: Schema, today: dt.date, engine: Engine, coverage: str = "household",
                   person_ids: pl.Series | None = None) -> RegisterSlice:
    """The slice of ``register`` this batch needs, by the engine asked for (:mod:`.local`, :mod:`.spark`)."""
    if engine.name == "spark":
        from slrt_cli.engines.spark import session, slice_spark

        spark = session(engine.spark_master, engine.spark_conf)
        return slice_spark(rows, register, settings, schema, today, spark, coverage, person_ids)
    from slrt_cli.engines.local import slice_frame, slice_local

    if isinstance(register, RegisterDataset):
        return slice_local(rows, register, settings, schema, today, coverage, person_ids)
    return slice_frame(rows, register, settings, coverage, person_ids)

def scoring_mapper(engine: Engine):
    """Where the matcher scores its partitions: a Spark cluster's executors with the spark engine,
    else None (here). With a ``local`` master the executors would be this machine (see
    :func:`slrt_cli.engines.spark.scoring_mapper`): no Spark is started for that."""
    if engine.name != "spark" or engine.spark_master.strip().startswith("local"):
        return None
    from slrt_cli.engines.spark import scoring_mapper as on_spark, session

    return on_spark(session(engine.spark_master, engine.spark_conf))


def assigner(engine: Engine, cut: RegisterSlice | None):
    """Where the matcher runs the one-to-one assignment and the household stage: as Spark DataFrame
    operations (:mod:`.spark_assign`: every month on a cluster, a month of many pairs in local mode)
    when Spark is this run's engine (it cut the register's slice, or a cluster's master is given),
    else None (here, the same rules in polars). A register file with a ``local`` master starts no
    Spark (:func:`scoring_mapper`)."""
    if engine.name != "spark" or (cut is None and engine.spark_master.strip().startswith("local")):
        return None
    from slrt_cli.engines.spark import session
    from slrt_cli.engines.spark_assign import spark_assigner

    return spark_assigner(session(engine.spark_master, engine.spark_conf))


def register_for(
    rows: pl.DataFrame, source: pl.DataFrame | RegisterDataset, settings: MatchSettings | None, schema: Schema,
    today: dt.date, engine: Engine, coverage: str, person_ids: pl.Series | None = None,
) -> tuple[pl.DataFrame, TermTables | None, int, RegisterSlice | None]:
    """The register the batch is matched against: the whole extract, or the slice of a dataset this
    batch needs (cut by the engine asked for), with the whole register's term tables and size, and
    the slice itself (:meth:`RegisterSlice.with_households` once the rows are linked; then ``close``)."""
    if not needs_slice(source, engine):
        assert isinstance(source, pl.DataFrame)
        return source, None, source.height, None
    from slrt_cli.match import MatchSettings

    cut = slice_register(rows, source, settings or MatchSettings.default(), schema, today, engine, coverage,
                         person_ids)
    log.info("register slice engine=%s rows=%d of %d seconds=%s", cut.engine, cut.register.height, cut.n_register,
             cut.seconds)
    return cut.register, cut.tables, cut.n_register, cut


def completed(cut: RegisterSlice | None, reg: pl.DataFrame, rows: pl.DataFrame, links: pl.DataFrame) -> pl.DataFrame:
    """The register to reconcile against: ``reg`` itself, or a slice with the other members of the
    households the rows are linked to (then the engine lets go of what it kept for that)."""
    if cut is None:
        return reg
    try:
        return cut.with_households(linked_households(rows, links))
    finally:
        cut.close()


def linked_households(rows: pl.DataFrame, links: pl.DataFrame) -> pl.Series:
    """The register households a month's rows touch: those its rows are linked to (or compared
    with), and those a row names itself. The reconciliation reads all their members."""
    parts = [links["household_id"].cast(pl.Utf8)]
    if "household_id" in rows.columns:
        parts.append(rows["household_id"].cast(pl.Utf8))
    return pl.concat(parts).drop_nulls().unique().sort()


def dedup_slice(register: pl.DataFrame | RegisterDataset, settings: MatchSettings, schema: Schema, today: dt.date,
                engine: Engine) -> DedupSlice:
    """The persons of ``register`` who share a dedup block with someone, by the engine asked for."""
    if engine.name == "spark":
        from slrt_cli.engines.spark import dedup_spark, session

        return dedup_spark(register, settings, schema, today, session(engine.spark_master, engine.spark_conf))
    from slrt_cli.engines.local import dedup_frame, dedup_local

    if isinstance(register, RegisterDataset):
        return dedup_local(register, settings, schema, today)
    return dedup_frame(register, settings)


__all__ = [
    "ENGINES",
    "Engine",
    "completed",
    "linked_households",
    "register_for",
    "dedup_slice",
    "needs_slice",
    "scoring_mapper",
    "slice_register",
    "RegisterDataset",
    "is_dataset",
    "normalised_register",
]
