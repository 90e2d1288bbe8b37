"""The Spark engine: the slice of a register computed by an Apache Spark job (PySpark >= 4).

The job does on the cluster what :mod:`.local` does file after file, with the same polars code
run in the executors' Python workers (``mapInArrow``):

1. one task per file of a dataset (``spark.range`` over the file numbers, one per partition, in
   the register's order): each pass's task reads its file and normalises it whole, as one machine
   would, so that the register's rows never cross between the JVM and Python, only what a pass
   gives back does;
2. pass 1 gives each file's term counts, household sizes and sample rows; the counts are summed
   by a ``groupBy``;
3. pass 2 gives the rows the slice keeps: the candidates of the batch's keys (which travel with
   the function), the samples, the covered desa, the decisions' people; a later pass the
   households of the linked persons.

Only the slice and small tables come back to the driver. Nothing depends on the number of
partitions or executors, or on the order rows arrive in: every result is a set, ordered by the
register position (tests compare 1, 3 and 8 shuffle partitions with the local engine).
:mod:`.spark_assign` runs the matcher's assignment and household stage as Spark operations.

PySpark is an optional dependency (``pip install "slrt-cli[spark]"``); Java 17 must be installed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import logging
import os
import re
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
import pyarrow as pa

from slrt_cli.engines.dataset import RegisterDataset, normalised_piece
from slrt_cli.engines.local import (
    DedupSlice,
    RegisterSlice,
    Wanted,
    add_name_counts,
    NO_HOUSEHOLDS,
    closure_sets,
    keep_expr,
    person_filter,
    wanted,
)
from slrt_cli.errors import UsageError
from slrt_cli.match import features
from slrt_cli.match import slice as sl
from slrt_cli.match.settings import MatchSettings
from slrt_cli.schemas import Schema, load_schema

if TYPE_CHECKING:
    from pyspark.sql import DataFrame, SparkSession

log = logging.getLogger("slrt")

#: settings slrt gives every session it starts (a config's ``spark_conf`` overrides them)
DEFAULT_CONF = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.execution.arrow.pyspark.enabled": "true",
    # each Arrow batch a pass's polars code is given: 100,000 rows instead of 10,000 (each batch
    # is prepared, counted and keyed on its own): the 1M-person district month 44-46 s -> 41-43 s
    "spark.sql.execution.arrow.maxRecordsPerBatch": "100000",
    "spark.sql.adaptive.enabled": "true",
    # the slice comes back to the driver whole (its size follows the month, not the register: some
    # 1.2 GiB serialised for a month of 1M rows against 10M persons), past Spark's 1 GiB default
    "spark.driver.maxResultSize": "0",
    # PySpark 4's Arrow exchange with a Python worker can hang for ever, both sides waiting on the
    # socket (seen here once on the 10M-person national month, and reported elsewhere): a worker
    # that neither sends nor takes data for this long is killed, and its task runs again
    # (:func:`with_retries`). A file is normalised in well under a minute.
    "spark.python.worker.idleTimeoutSeconds": "600",
    "spark.python.worker.killOnIdleTimeout": "true",
}

#: the log configuration of the driver's JVM that slrt starts (errors only)
LOG4J = Path(__file__).with_name("log4j2.properties")

#: tries of a task in local mode (a cluster retries 4 times by default; local mode once, unless told)
LOCAL_TASK_TRIES = 4


def with_retries(master: str) -> str:
    """``local``, ``local[N]``, ``local[*]`` -> the same with :data:`LOCAL_TASK_TRIES` tries per task
    (``local[N,F]``), so that a task whose worker was killed as stuck runs again, as on a cluster.
    Any other master (one that says its tries, a cluster, Spark Connect) is left as it is.

    Example:
        >>> with_retries("local[2]"), with_retries("local[*]"), with_retries("spark://h:7077")
        ('local[2,4]', 'local[*,4]', 'spark://h:7077')
    """
    if master == "local":
        return f"local[1,{LOCAL_TASK_TRIES}]"
    found = re.fullmatch(r"local\[(\*|\d+)\]", master.strip())
    return f"local[{found.group(1)},{LOCAL_TASK_TRIES}]" if found else master


def require_pyspark() -> None:
    """Raise a one-line :class:`UsageError` when PySpark is not installed."""
    try:
        import pyspark  # noqa: F401
    except ImportError:
        raise UsageError("error_spark_missing") from None


def session(master: str = "local[*]", conf: Mapping[str, Any] | None = None) -> SparkSession:
    """The Spark session of this process: ``local[*]``/``local[N]``, ``spark://host:port``, or
    ``sc://host`` (Spark Connect). An existing session is reused, with ``conf`` applied."""
    require_pyspark()
    _quiet_pyspark()
    from pyspark.sql import SparkSession

    quiet = {} if master.startswith("sc://") else {  # the driver's JVM: errors only on the console
        "spark.driver.extraJavaOptions": f"-Dlog4j2.configurationFile={LOG4J.as_uri()}"}
    conf = {**DEFAULT_CONF, **quiet, **{str(k): str(v) for k, v in (conf or {}).items()}}
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # executors run this Python, with polars
    if master.startswith("sc://"):
        builder = SparkSession.builder.remote(master)
    else:
        builder = SparkSession.builder.master(with_retries(master)).config("spark.pyspark.python", sys.executable)
    for k, v in conf.items():
        builder = builder.config(k, v)
    spark = builder.appName("slrt").getOrCreate()
    for k, v in conf.items():  # a reused session takes the settings of this run
        try:
            spark.conf.set(k, v)
        except Exception:  # noqa: BLE001 - static settings cannot change on a running session
            pass
    return spark


def _quiet_pyspark() -> None:
    """PySpark warns about the pandas version when its Arrow functions are used; slrt never hands
    pandas to Spark, so the operator's console does not need it."""
    import warnings

    warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support", category=FutureWarning)


# ---------------------------------------------------------------- Arrow <-> polars


def _arrow(df: pl.DataFrame) -> pa.Table:
    """A polars frame as Arrow types Spark reads: plain strings, signed integers."""
    t = df.to_arrow(compat_level=pl.CompatLevel.oldest())
    fields = []
    for f in t.schema:
        ty = f.type
        if pa.types.is_large_string(ty) or pa.types.is_string_view(ty):
            ty = pa.string()
        elif pa.types.is_unsigned_integer(ty):
            ty = pa.int64()
        elif pa.types.is_null(ty):
            ty = pa.string()
        fields.append(pa.field(f.name, ty))
    return t.cast(pa.schema(fields))


def _frame(batch: pa.RecordBatch | pa.Table) -> pl.DataFrame:
    out = pl.from_arrow(batch)
    assert isinstance(out, pl.DataFrame)
    return out


def _batches(df: pl.DataFrame, schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    t = _arrow(df.select([c for c in schema.names if c in df.columns]))
    t = pa.Table.from_arrays([t.column(f.name) if f.name in t.column_names else pa.nulls(t.num_rows, f.type)
                              for f in schema], schema=schema) if t.schema != schema else t
    yield from t.to_batches()


# ---------------------------------------------------------------- functions run on the executors

_PASS1 = pa.schema([("kind", pa.int32()), ("r", pa.int64()), ("key", pa.int64()), ("n", pa.int64()),
                    ("household_id", pa.string()), ("pid", pa.string())])
_KIND_WORD, _KIND_DOB, _KIND_SAMPLE_A, _KIND_SAMPLE_B, _KIND_HOUSEHOLD = 0, 1, 3, 4, 5
#: what the candidates' pass gives back when a file names no desa: the desa of the candidates
_DESA = pa.schema([("kode_desa", pa.string())])


def _prepared(piece: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    r = piece["_r"]
    return sl.prepare_piece(piece.drop("_r"), settings, 0).with_columns(r.cast(pl.UInt32).alias("_r"))


def _pass1(pieces: Iterator[pl.DataFrame], *, settings: MatchSettings, n_register: int) -> Iterator[pa.RecordBatch]:
    """Pass 1: term counts, household sizes and sample rows of each piece."""
    for piece in pieces:
        prepared = _prepared(piece, settings)
        del piece
        w, d, _ = sl.term_counts(prepared, settings)
        sa, sb = sl.sample_candidates(prepared, n_register, settings)
        parts = [
            w.select(pl.lit(_KIND_WORD).alias("kind"), pl.lit(None, pl.Int64).alias("r"),
                     pl.col("w").reinterpret(signed=True).alias("key"), pl.col("n").cast(pl.Int64)),
            d.select(pl.lit(_KIND_DOB).alias("kind"), pl.lit(None, pl.Int64).alias("r"),
                     pl.col("_dob").cast(pl.Int64).alias("key"), pl.col("n").cast(pl.Int64)),
            sa.select(pl.lit(_KIND_SAMPLE_A).alias("kind"), pl.col("_r").cast(pl.Int64).alias("r"),
                      pl.col("h").reinterpret(signed=True).alias("key")),
            sb.select(pl.lit(_KIND_SAMPLE_B).alias("kind"), pl.col("_r").cast(pl.Int64).alias("r"),
                      pl.col("_nik_r").cast(pl.Int64).alias("key"), pl.col("_pid_r").alias("pid")),
            sl.household_counts(prepared).select(pl.lit(_KIND_HOUSEHOLD).alias("kind"),
                                                 pl.col("_hid").alias("household_id"), pl.col("hh_n").cast(pl.Int64).alias("n")),
        ]
        out = pl.concat(parts, how="diagonal_relaxed").with_columns(pl.col("kind").cast(pl.Int32))
        yield from _batches(out, _PASS1)


def _kept(pieces: Iterator[pl.DataFrame], *, rows: pl.Series, desa: pl.Series | None, person_ids: pl.Series,
          keys: pl.DataFrame, settings: MatchSettings, tables) -> Iterator[pl.DataFrame]:
    """Pass 2: the rows of each piece the slice keeps: ``rows`` (the samples), the candidates of
    ``keys`` (the batch's blocking keys), the covered ``desa`` and the decisions' ``person_ids``."""
    for piece in pieces:
        hit = sl.candidates(_prepared(piece, settings), keys, settings, tables)["_r"]
        wanted_rows = pl.concat([rows.cast(pl.UInt32), hit]).unique()
        yield piece.filter(keep_expr(piece, wanted_rows, NO_HOUSEHOLDS, desa, person_ids))


def _candidate_desa(pieces: Iterator[pl.DataFrame], *, keys: pl.DataFrame, settings: MatchSettings,
                    tables) -> Iterator[pa.RecordBatch]:
    """The desa of each piece's candidates (``--coverage desa``, a file that names none)."""
    for piece in pieces:
        hit = sl.candidates(_prepared(piece, settings), keys, settings, tables).select("_r")
        cand = piece.join(hit, on="_r", how="semi")
        yield from _batches(cand.select(features.col(cand, "kode_desa").cast(pl.Utf8).alias("kode_desa")), _DESA)


def _closure_rows(pieces: Iterator[pl.DataFrame], *, households: pl.Series,
                  desa: pl.Series | None) -> Iterator[pl.DataFrame]:
    """The rows of each piece in these households or desa (:func:`slrt_cli.match.slice.closure_filter`)."""
    for piece in pieces:
        yield piece.filter(sl.closure_filter(piece, households, desa))


# ---------------------------------------------------------------- where a task's rows come from


def _pieces(batches: Iterator[pa.RecordBatch], *, dataset: RegisterDataset | None = None,
            today: dt.date | None = None) -> Iterator[pl.DataFrame]:
    """The canonical pieces of a task, each with ``_r`` (its rows' positions in the register):

    - a dataset's: the task is given the numbers of its files (its partition of ``spark.range``)
      and reads and normalises each file whole, as :meth:`RegisterDataset.read` does on one
      machine. The register's rows never cross between the JVM and Python, only what a pass gives
      back: a file is read and normalised again by each pass, which costs less than Spark's
      carrying the normalised rows (the 1M-person district month: 41.8 -> 29.5 s);
    - a register in memory's (``dataset`` None): the task's own rows."""
    if dataset is None:
        for batch in batches:
            piece = _frame(batch)
            if piece.height:
                yield piece.with_columns(pl.col("_r").cast(pl.UInt32))
        return
    schema = load_schema()
    for i in sorted(i for batch in batches for i in _frame(batch)["id"].to_list()):  # in the register's order
        f = dataset.files[i]
        canon = dataset.read(f, schema, today)
        yield canon.with_columns(pl.int_range(f.first, f.first + canon.height, dtype=pl.UInt32).alias("_r"))


def _on_pieces(batches: Iterator[pa.RecordBatch], *, fn: Callable, source: Callable,
               kw: dict) -> Iterator[pa.RecordBatch]:
    return fn(source(batches), **kw)


#: what a pass that keeps rows gives back: the rows themselves, in Arrow IPC (LZ4) pieces of at
#: most :data:`_IPC_ROWS` rows, which Spark carries as bytes, field by field conversions skipped
_IPC = pa.schema([("ipc", pa.binary())])
_IPC_ROWS = 50_000


def _rows_out(pieces: Iterator[pl.DataFrame], *, keep: Callable, **kw: Any) -> Iterator[pa.RecordBatch]:
    for kept in keep(pieces, **kw):
        for part in kept.iter_slices(_IPC_ROWS):
            buf = io.BytesIO()
            part.write_ipc(buf, compression="lz4")
            yield pa.record_batch([pa.array([buf.getvalue()], pa.binary())], schema=_IPC)


def _from_ipc(arrow: Callable[[], pa.Table]) -> list[pl.DataFrame]:
    """The pieces of rows in the table ``arrow()`` makes (:func:`_rows_out`), each read into polars'
    own memory and its bytes let go before the next."""
    table = arrow()
    column = table.column("ipc")
    del table
    chunks = column.chunks
    del column
    chunks.reverse()
    out = []
    while chunks:
        for blob in chunks.pop():
            out.append(pl.read_ipc(io.BytesIO(blob.as_py())))
    return out


# ---------------------------------------------------------------- the driver


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


class _Register:
    """The register as Spark sees it: :meth:`map` runs a pass (a function of canonical pieces,
    :func:`_pieces`) on every piece, one task per file of a dataset; :meth:`rows` brings the rows a
    pass keeps to the driver, in the register's order."""

    def __init__(self, spark: SparkSession, register: pl.DataFrame | RegisterDataset, today: dt.date,
                 schema: Schema) -> None:
        if isinstance(register, RegisterDataset):
            files = tuple(dataclasses.replace(f, path=f.path.resolve()) for f in register.files if f.rows)
            if files:  # the columns a file gives, from its first rows
                sample = pl.read_parquet(files[0].path, n_rows=50)
                lines = pl.int_range(2, sample.height + 2, eager=True)
                self.like = normalised_piece(sample, files[0].name, lines, schema, today).schema
            else:
                self.like = pl.Schema()
            # one partition per file, in the register's order (the executors read the files by the
            # paths the driver sees: a shared file system)
            self.frame = spark.range(0, len(files), 1, max(1, len(files)))
            self.source = functools.partial(_pieces, dataset=RegisterDataset(register.root.resolve(), files),
                                            today=today)
            self.n_register, self.files = register.rows, [{"file": f.name, "rows": f.rows} for f in register.files]
        else:
            from pyspark import StorageLevel

            t = _arrow(register.with_row_index("_r").with_columns(pl.col("_r").cast(pl.Int64)).select(
                *register.columns, "_r"))
            # spread over the shuffle partitions in no particular order: the slice must not depend on it
            parts = int(spark.conf.get("spark.sql.shuffle.partitions") or 1)
            self.frame = spark.createDataFrame(t).repartition(parts).persist(StorageLevel.DISK_ONLY)
            self.source = _pieces
            self.n_register, self.like, self.files = register.height, register.schema, []

    def map(self, fn: Callable[..., Iterator[pa.RecordBatch]], out_schema: pa.Schema, **kw: Any) -> DataFrame:
        """``fn(pieces, **kw)`` run on every piece of the register (``mapInArrow``), giving ``out_schema``."""
        return self.frame.mapInArrow(functools.partial(_on_pieces, fn=fn, source=self.source, kw=kw),
                                     _spark_schema(out_schema))

    def rows(self, keep: Callable[..., Iterator[pl.DataFrame]], **kw: Any) -> pl.DataFrame:
        """The whole rows (with ``_r``) ``keep(pieces, **kw)`` keeps, at the driver in the register's
        order, in polars' own memory (:func:`_from_ipc`): a dataset's partitions hold its files in
        order, so that they come back in order and are not sorted again here."""
        parts = _from_ipc(self.map(_rows_out, _IPC, keep=keep, **kw).toArrow)
        if not parts:
            return self.empty()
        got = _contiguous(pl.concat(parts, rechunk=False))
        del parts
        in_order = got["_r"].is_sorted()
        log.debug("spark rows came back %s", "in order" if in_order else "out of order: sorted here")
        return _as_like(got if in_order else got.sort("_r"), self.like)

    def empty(self) -> pl.DataFrame:
        """No rows, in the columns :meth:`rows` gives."""
        return pl.DataFrame(schema={**self.like, "_r": pl.UInt32})

    def release(self) -> None:
        if self.frame.is_cached:
            self.frame.unpersist()


def _contiguous(out: pl.DataFrame) -> pl.DataFrame:
    """``out`` with each column in one piece, made a column at a time (never a whole copy)."""
    for name in out.columns:
        out = out.with_columns(out[name].rechunk())
    return out


def _as_like(frame: pl.DataFrame, like: pl.Schema) -> pl.DataFrame:
    """``frame``'s columns of ``like`` (and ``_r``) in their dtypes, which Arrow widened: a column
    cast at a time, so that a slice of GiBs is never copied whole."""
    out = frame.select(*like, "_r")
    for name, dtype in [*like.items(), ("_r", pl.UInt32)]:
        if out.schema[name] != dtype:
            out = out.with_columns(pl.col(name).cast(dtype))
    return out


def _slice(reg: _Register, want: Wanted, settings: MatchSettings) -> tuple[pl.DataFrame, Any, dict[str, float]]:
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    n_register = reg.n_register
    p1 = reg.map(_pass1, _PASS1, settings=settings, n_register=n_register)
    found = _frame(p1.groupBy("kind", "key", "household_id", "r", "pid").agg(F.sum("n").alias("n")).toArrow())
    words = found.filter(pl.col("kind") == _KIND_WORD).select(
        pl.col("key").reinterpret(signed=False).alias("w"), pl.col("n").cast(pl.UInt64))
    dobs = found.filter(pl.col("kind") == _KIND_DOB).select(
        pl.col("key").cast(pl.Int32).alias("_dob"), pl.col("n").cast(pl.UInt64))
    sizes = found.filter(pl.col("kind") == _KIND_HOUSEHOLD).select(
        pl.col("household_id").alias("_hid"), pl.col("n").cast(pl.UInt32).alias("hh_n"))
    tables = sl.slice_tables(words, dobs, n_register, settings, sl.add_households([sizes]))
    sample_a = found.filter(pl.col("kind") == _KIND_SAMPLE_A).select(
        pl.col("r").cast(pl.UInt32).alias("_r"), pl.col("key").reinterpret(signed=False).alias("h"))
    sample_b = found.filter(pl.col("kind") == _KIND_SAMPLE_B).select(
        pl.col("r").cast(pl.UInt32).alias("_r"), pl.col("key").alias("_nik_r"), pl.col("pid").alias("_pid_r"))
    picked = sl.merge_samples([sample_a], [sample_b], n_register, settings)
    keys = sl.batch_keys(want.batch, settings, tables)
    del found
    t1 = time.perf_counter()
    kept = reg.rows(_kept, rows=picked, desa=want.desa, person_ids=want.person_ids, keys=keys, settings=settings,
                    tables=tables)
    if want.infer_desa:  # a file that names no desa covers the desa of the persons it links
        cand = _frame(reg.map(_candidate_desa, _DESA, keys=keys, settings=settings, tables=tables).toArrow())
        more = reg.rows(_closure_rows, households=NO_HOUSEHOLDS, desa=closure_sets(cand, want))
        kept = pl.concat([kept, more]).unique("_r", keep="first").sort("_r")
    return kept, tables, {"pass1": round(t1 - t0, 3), "pass2": round(time.perf_counter() - t1, 3)}


def _fetcher(reg: _Register) -> Callable[[pl.Series], pl.DataFrame]:
    """Pass 3 on Spark: the rows (with ``_r``) of some households, each piece read again."""
    def fetch(households: pl.Series) -> pl.DataFrame:
        return reg.rows(_closure_rows, households=households, desa=None) if households.len() else reg.empty()
    return fetch


def slice_spark(rows: pl.DataFrame, register: pl.DataFrame | RegisterDataset, settings: MatchSettings,
                schema: Schema, today: dt.date, spark: SparkSession, coverage: str = "household",
                person_ids: pl.Series | None = None) -> RegisterSlice:
    """The slice of a register (in memory, or a dataset Spark reads itself) computed by Spark."""
    want = wanted(rows, settings, coverage, person_ids)
    reg = _Register(spark, register, today, schema)
    try:
        out, tables, seconds = _slice(reg, want, settings)
    except BaseException:
        reg.release()
        raise
    log.info("spark slice rows=%d of %d", out.height, reg.n_register)
    _collect_driver_garbage(spark)
    return RegisterSlice(out.drop("_r"), tables, reg.n_register, "spark", len(reg.files) or 1, seconds, reg.files,
                         out["_r"], _fetcher(reg), reg.release)


def _collect_driver_garbage(spark: SparkSession) -> None:
    """Ask the driver's JVM to collect its garbage once the slice has crossed to Python: its heap
    (GiBs after the national month's slice) would otherwise stay at its high mark while this process
    matches; after a full collection the JVM gives back what it no longer needs. Not through Spark
    Connect (its JVM is the server's)."""
    if _is_connect(spark):
        return
    try:
        spark.sparkContext._jvm.System.gc()
    except Exception:  # noqa: BLE001 - only a request: matching goes on without it
        log.debug("the driver's JVM was not asked to collect its garbage", exc_info=True)


def _is_connect(spark: SparkSession) -> bool:
    return type(spark).__module__.startswith("pyspark.sql.connect")


# ---------------------------------------------------------------- slrt dedup

_DEDUP1 = pa.schema([("kind", pa.int32()), ("person_id", pa.string()), ("k", pa.int64()), ("n", pa.int64())])


def _dedup_pass1(pieces: Iterator[pl.DataFrame], *, settings: MatchSettings) -> Iterator[pa.RecordBatch]:
    """Each piece's block keys, name counts and rows (:func:`slrt_cli.match.dedup.block_keys`)."""
    from slrt_cli.match.dedup import block_keys

    for piece in pieces:
        keys, names, n = block_keys(piece.drop("_r"), settings)
        out = pl.concat([
            keys.select(pl.lit(0, pl.Int32).alias("kind"), "person_id", pl.col("k").reinterpret(signed=True)),
            names.select(pl.lit(1, pl.Int32).alias("kind"), pl.col("name_hash").cast(pl.Int64).alias("k"),
                         pl.col("n").cast(pl.Int64)),
            pl.DataFrame({"kind": [2], "n": [n]}, schema={"kind": pl.Int32, "n": pl.Int64}),
        ], how="diagonal_relaxed")
        yield from _batches(out, _DEDUP1)


def _persons(pieces: Iterator[pl.DataFrame], *, ids: pl.Series) -> Iterator[pl.DataFrame]:
    for piece in pieces:
        yield piece.filter(person_filter(piece, ids))


def dedup_spark(register: pl.DataFrame | RegisterDataset, settings: MatchSettings, schema: Schema, today: dt.date,
                spark: SparkSession) -> DedupSlice:
    """:class:`DedupSlice` computed by Spark: the blocks shared by two persons found by a ``groupBy``."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    reg = _Register(spark, register, today, schema)
    try:
        p1 = reg.map(_dedup_pass1, _DEDUP1, settings=settings).persist(StorageLevel.DISK_ONLY)
        keys = p1.filter(F.col("kind") == 0)
        twice = keys.groupBy("k").count().filter(F.col("count") > 1).select("k")
        ids = _frame(keys.join(twice, on="k", how="left_semi").select("person_id").distinct().toArrow())["person_id"]
        names = _frame(p1.filter(F.col("kind") == 1).groupBy("k").agg(F.sum("n").alias("n")).toArrow())
        n_rows = int(p1.filter(F.col("kind") == 2).agg(F.sum("n")).collect()[0][0] or 0)
        p1.unpersist()
        counts = add_name_counts([names.select(pl.col("k").alias("name_hash"), pl.col("n").cast(pl.UInt64))])
        t1 = time.perf_counter()
        kept = reg.rows(_persons, ids=ids.cast(pl.Utf8).sort()).drop("_r")
    finally:
        reg.release()
    return DedupSlice(kept, counts, n_rows, reg.n_register, "spark",
                      {"pass1": round(t1 - t0, 3), "pass2": round(time.perf_counter() - t1, 3)})


# ---------------------------------------------------------------- scoring on the executors


def scoring_mapper(spark: SparkSession):
    """A ``mapper`` for :func:`slrt_cli.match.match`: the candidate pairs of each partition (kabupaten)
    are scored by the matcher's polars code on a Spark executor, one task per partition, the results
    back in order. Spark Connect has no task API for that, and in local mode the executors are this
    machine: there the scoring stays on the driver (None)."""
    if _is_connect(spark):
        return None
    sc = spark.sparkContext
    if sc.master.startswith("local"):
        # the executors share this machine: shipping each partition's frames through the JVM to
        # them only doubles the memory (the 10M-person national month exhausted the JVM's heap)
        return None

    def one(fn, make):
        return sc.parallelize([make()], 1).map(fn).collect()[0]

    def mapper(fn, tasks: list) -> list:
        # one job per partition, as many at once as the cluster has cores: the tasks' frames pass
        # through the driver's JVM a few at a time, never all together (a national month is GiBs)
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=max(1, min(len(tasks), sc.defaultParallelism))) as pool:
            return list(pool.map(lambda t: one(fn, t), tasks))

    return mapper
