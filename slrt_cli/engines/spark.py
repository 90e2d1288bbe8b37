"""The Spark engine: the slice of a register computed by an Apache Spark job (PySpark >= 4).

The job does on the cluster what :mod:`.local` does file after file, with the same polars code
run on each partition through Arrow (``mapInArrow``, ``groupBy(...).applyInArrow``):

1. a dataset's files are read by Spark (``_metadata.file_path`` and ``row_index`` give each row
   its place in the register's order) and each file is normalised whole, as one machine would;
2. each partition gives its term counts, its rows sharing a blocking key with the batch (the
   batch's keys travel with the function), and its sample rows; the counts are summed by a
   ``groupBy``;
3. each partition keeps the candidates' households and desa, the samples and the decisions' people.

Only the slice and small tables come back to the driver. Nothing depends on the number of
partitions or executors, or on the order rows arrive in: every result is a set, ordered by the
register position at the end (tests compare 1, 3 and 8 shuffle partitions with the local engine).

PySpark is an optional dependency (``pip install "slrt-cli[spark]"``); Java 17 must be installed.
"""

from __future__ import annotations

import datetime as dt
import functools
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
    _closure_columns,
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
#: what pass 2 sends back: the positions of the rows kept (the rows themselves are joined in Spark)
_POSITIONS = pa.schema([("_r", pa.int64())])


def _narrow(canon: DataFrame) -> DataFrame:
    """The columns the passes' polars code reads (the matcher's input columns, ``_r``), of some 55:
    only these cross from Spark to Python and back."""
    return canon.select(*[c for c in features.INPUT_COLUMNS if c in canon.columns], "_r")


def _rows_at(canon: DataFrame, positions: DataFrame) -> pl.DataFrame:
    """The whole rows of ``canon`` at ``positions`` (``_r``), joined in Spark (the positions
    broadcast: some 6 million for a month of 1 million rows) and brought back to the driver,
    sorted by ``_r`` within each partition: a dataset's partitions hold its files in order
    (:func:`_dataset_frame`), so that the slice comes back in order and is not sorted again here."""
    from pyspark.sql import functions as F

    return _collected(canon.join(F.broadcast(positions), on="_r", how="left_semi").sortWithinPartitions("_r"))


def _collected(frame: DataFrame) -> pl.DataFrame:
    """``frame`` brought to the driver as a polars frame that owns its memory, a batch at a time.

    The Arrow table Spark hands over holds each batch's columns in one buffer, and polars takes
    Arrow's numbers and a string column's bytes without copying them: a frame made from the table
    would keep every batch's buffer for as long as it lives (on the 10M-person national month some
    GiBs more than the local engine holds, for the whole matching). So each batch is copied into
    polars' own memory (its strings rebuilt, its rows gathered) and let go before the next, and the
    columns are made contiguous one at a time."""
    return _owned(frame.toArrow)


def _owned(arrow: Callable[[], pa.Table]) -> pl.DataFrame:
    """The table ``arrow()`` makes, as a polars frame in polars' own memory (:func:`_collected`);
    the table is made here so that nothing outside holds it while its batches are let go."""
    table = arrow()
    schema, batches = table.schema, table.to_batches()
    del table
    batches.reverse()
    parts = []
    while batches:
        piece = _frame(batches.pop())
        strings = [c for c, t in piece.schema.items() if t == pl.String]
        piece = piece.with_columns(pl.concat_str([pl.col(c), pl.lit("")]).alias(c) for c in strings)
        parts.append(piece.gather(pl.int_range(0, piece.height, eager=True)))
    if not parts:
        return _frame(schema.empty_table())
    out = pl.concat(parts, rechunk=False)
    del parts
    for name in out.columns:
        out = out.with_columns(out[name].rechunk())
    return out


def _prepared(piece: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    r = piece["_r"]
    return sl.prepare_piece(piece.drop("_r"), settings, 0).with_columns(r.cast(pl.UInt32).alias("_r"))


def _pass1(batches: Iterator[pa.RecordBatch], *, settings: MatchSettings, n_register: int) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: term counts, household sizes and sample rows of each piece."""
    for batch in batches:
        piece = _frame(batch)
        if piece.height == 0:
            continue
        prepared = _prepared(piece, settings)
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


def _pass2(batches: Iterator[pa.RecordBatch], *, rows: pl.Series, households: pl.Series, desa: pl.Series | None,
           person_ids: pl.Series, out_schema: pa.Schema, keys: pl.DataFrame | None = None,
           settings: MatchSettings | None = None, tables=None, candidates_only: bool = False) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: the rows of each piece the slice keeps: ``rows``, the candidates of ``keys``
    (the batch's blocking keys), the ``households``, ``desa`` and ``person_ids``; with ``out_schema``
    :data:`_POSITIONS`, only their positions (``_r``)."""
    for batch in batches:
        piece = _frame(batch).with_columns(pl.col("_r").cast(pl.UInt32))
        if piece.height == 0:
            continue
        wanted_rows = rows
        if keys is not None:
            hit = sl.candidates(_prepared(piece, settings), keys, settings, tables)["_r"]
            if candidates_only:
                kept = piece.join(pl.DataFrame({"_r": hit}), on="_r", how="semi")
                if kept.height:
                    yield from _batches(kept, out_schema)
                continue
            wanted_rows = pl.concat([rows.cast(pl.UInt32), hit]).unique()
        kept = piece.filter(keep_expr(piece, wanted_rows, households, desa, person_ids))
        if kept.height:
            yield from _batches(kept, out_schema)


# ---------------------------------------------------------------- the driver


def _spark_schema(schema: pa.Schema):
    from pyspark.sql.pandas.types import from_arrow_schema

    return from_arrow_schema(schema)


def _dataset_frame(spark: SparkSession, dataset: RegisterDataset, today: dt.date,
                   schema: Schema) -> tuple[DataFrame, pa.Schema, pl.Schema]:
    """The dataset's canonical rows as a Spark DataFrame with ``_r``: one task per file, which
    reads the file and normalises it whole, as :meth:`RegisterDataset.read` does (no shuffle of the
    raw rows). The executors read the files by the paths the driver sees (a shared file system)."""
    from pyspark.sql.types import LongType, StringType, StructField, StructType

    first = next(f for f in dataset.files if f.rows)
    sample = pl.read_parquet(first.path, n_rows=50)
    probe = normalised_piece(sample, first.name, pl.int_range(2, sample.height + 2, eager=True), schema, today)
    out_schema = _arrow(probe.with_columns(pl.lit(0, pl.Int64).alias("_r"))).schema
    files = [(str(f.path.resolve()), f.name, f.first) for f in dataset.files if f.rows]
    listing = spark.createDataFrame(files, StructType([StructField("path", StringType()), StructField(
        "name", StringType()), StructField("first", LongType())]))
    fn = functools.partial(_read_files, out_schema=out_schema, today=today)
    # one file per partition: by its first row's position (hashing the paths left 17 of 40 partitions
    # empty and read 4 files in one task on the national benchmark)
    return (listing.repartitionByRange(len(files), "first").mapInArrow(fn, _spark_schema(out_schema)), out_schema,
            probe.schema)


def _read_files(batches: Iterator[pa.RecordBatch], *, out_schema: pa.Schema, today: dt.date) -> Iterator[pa.RecordBatch]:
    """``mapInArrow`` over the dataset's file list: each file read and normalised whole, ``_r`` its rows'
    positions in the register."""
    schema = load_schema()
    for batch in batches:
        for path, name, first in _frame(batch).iter_rows():
            frame = pl.read_parquet(path)
            lines = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
            canon = normalised_piece(frame, name, lines, schema, today)
            canon = canon.with_columns(pl.int_range(first, first + canon.height, dtype=pl.Int64).alias("_r"))
            yield from _batches(canon, out_schema)


def _frame_to_spark(spark: SparkSession, register: pl.DataFrame) -> tuple[DataFrame, pa.Schema, pl.Schema]:
    t = _arrow(register.with_row_index("_r").with_columns(pl.col("_r").cast(pl.Int64)).select(
        *register.columns, "_r"))
    # spread over the shuffle partitions in no particular order: the slice must not depend on it
    parts = int(spark.conf.get("spark.sql.shuffle.partitions") or 1)
    return spark.createDataFrame(t).repartition(parts), t.schema, register.schema


def _slice(spark: SparkSession, canon: DataFrame, n_register: int, want: Wanted,
           settings: MatchSettings) -> tuple[pl.DataFrame, Any, dict[str, float]]:
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    narrow = _narrow(canon)
    fn1 = functools.partial(_pass1, settings=settings, n_register=n_register)
    p1 = narrow.mapInArrow(fn1, _spark_schema(_PASS1))
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
    common = dict(rows=picked, households=NO_HOUSEHOLDS, person_ids=want.person_ids, keys=keys, settings=settings,
                  tables=tables)
    fn2 = functools.partial(_pass2, desa=want.desa, out_schema=_POSITIONS, **common)
    positions = narrow.mapInArrow(fn2, _spark_schema(_POSITIONS))
    if want.infer_desa:  # a file that names no desa covers the desa of the persons it links
        narrow_schema = _arrow_schema(narrow)
        cand = _frame(narrow.mapInArrow(functools.partial(_pass2, desa=None, candidates_only=True,
                                                          out_schema=narrow_schema, **common),
                                        _spark_schema(narrow_schema)).toArrow())
        extra = closure_sets(cand.select(*_closure_columns(cand)), want)
        fn3 = functools.partial(_pass2, rows=pl.Series("_r", [], pl.UInt32), households=NO_HOUSEHOLDS, desa=extra,
                                person_ids=want.person_ids, out_schema=_POSITIONS)
        positions = positions.union(narrow.mapInArrow(fn3, _spark_schema(_POSITIONS))).distinct()
    kept = _rows_at(canon, positions)
    in_order = kept["_r"].is_sorted()
    log.info("spark slice came back %s", "in order" if in_order else "out of order: sorted here")
    kept = kept if in_order else kept.sort("_r")
    return kept, tables, {"pass1": round(t1 - t0, 3), "pass2": round(time.perf_counter() - t1, 3)}


def _arrow_schema(frame: DataFrame) -> pa.Schema:
    from pyspark.sql.pandas.types import to_arrow_schema

    return to_arrow_schema(frame.schema)


#: :func:`slrt_cli.match.slice.closure_filter`'s ``str.strip_chars()`` in Spark: Unicode white space
#: at either end (Java's ``\s`` with ``(?U)`` is Unicode's White_Space, as Rust's ``trim``)
_STRIPPED = r"(?U)^\s+|\s+$"


def _fetcher(canon: DataFrame, like: pl.Schema):
    """Pass 3 on Spark: the rows (with ``_r``) of some households, found by a join in Spark (the
    households broadcast), without a pass through Python (:func:`slrt_cli.match.slice.closure_filter`)."""
    from pyspark.sql import functions as F

    def fetch(households: pl.Series) -> pl.DataFrame:
        ids = households.cast(pl.Utf8).drop_nulls()
        if "household_id" not in canon.columns or not ids.len():
            got = pl.DataFrame(schema={**like, "_r": pl.Int64})
        else:
            wanted = canon.sparkSession.createDataFrame(pa.table({"_hid": ids.to_arrow().cast(pa.string())}))
            hid = F.regexp_replace(F.col("household_id").cast("string"), _STRIPPED, "")
            got = _collected(canon.join(F.broadcast(wanted), hid == F.col("_hid"), "left_semi"))
        return _as_like(got, like)
    return fetch


def _as_like(frame: pl.DataFrame, like: pl.Schema) -> pl.DataFrame:
    """``frame``'s columns of ``like`` (and ``_r``) in their dtypes, which Arrow widened: a column
    cast at a time, so that a slice of GiBs is never copied whole."""
    out = frame.select(*like, "_r")
    for name, dtype in [*like.items(), ("_r", pl.UInt32)]:
        if out.schema[name] != dtype:
            out = out.with_columns(pl.col(name).cast(dtype))
    return out


def slice_spark(rows: pl.DataFrame, register: pl.DataFrame | RegisterDataset, settings: MatchSettings,
                schema: Schema, today: dt.date, spark: SparkSession, coverage: str = "household",
                person_ids: pl.Series | None = None) -> RegisterSlice:
    """The slice of a register (in memory, or a dataset Spark reads itself) computed by Spark."""
    want = wanted(rows, settings, coverage, person_ids)
    if isinstance(register, RegisterDataset):
        canon, _, like = _dataset_frame(spark, register, today, schema)
        n_register, files = register.rows, [{"file": f.name, "rows": f.rows} for f in register.files]
    else:
        canon, _, like = _frame_to_spark(spark, register)
        n_register, files = register.height, []
    from pyspark import StorageLevel

    canon = canon.persist(StorageLevel.DISK_ONLY)  # read (and normalised) once for the three passes
    try:
        out, tables, seconds = _slice(spark, canon, n_register, want, settings)
    except BaseException:
        canon.unpersist()
        raise
    out = _as_like(out, like)
    log.info("spark slice rows=%d of %d", out.height, n_register)
    _collect_driver_garbage(spark)
    return RegisterSlice(out.drop("_r"), tables, n_register, "spark", len(files) or 1, seconds, files, out["_r"],
                         _fetcher(canon, like), canon.unpersist)


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


def _dedup_pass1(batches: Iterator[pa.RecordBatch], *, settings: MatchSettings) -> Iterator[pa.RecordBatch]:
    """``mapInArrow``: each piece's block keys, name counts and rows (:func:`slrt_cli.match.dedup.block_keys`)."""
    from slrt_cli.match.dedup import block_keys

    for batch in batches:
        piece = _frame(batch).drop("_r", strict=False)
        if piece.height == 0:
            continue
        keys, names, n = block_keys(piece, settings)
        out = pl.concat([
            keys.select(pl.lit(0, pl.Int32).alias("kind"), "person_id", pl.col("k").reinterpret(signed=True)),
            names.select(pl.lit(1, pl.Int32).alias("kind"), pl.col("name_hash").cast(pl.Int64).alias("k"),
                         pl.col("n").cast(pl.Int64)),
            pl.DataFrame({"kind": [2], "n": [n]}, schema={"kind": pl.Int32, "n": pl.Int64}),
        ], how="diagonal_relaxed")
        yield from _batches(out, _DEDUP1)


def _dedup_pass2(batches: Iterator[pa.RecordBatch], *, ids: pl.Series, out_schema: pa.Schema) -> Iterator[pa.RecordBatch]:
    for batch in batches:
        piece = _frame(batch)
        kept = piece.filter(person_filter(piece, ids))
        if kept.height:
            yield from _batches(kept, out_schema)


def dedup_spark(register: pl.DataFrame | RegisterDataset, settings: MatchSettings, schema: Schema, today: dt.date,
                spark: SparkSession) -> DedupSlice:
    """:class:`DedupSlice` computed by Spark: the blocks shared by two persons found by a ``groupBy``."""
    from pyspark import StorageLevel
    from pyspark.sql import functions as F

    t0 = time.perf_counter()
    if isinstance(register, RegisterDataset):
        canon, out_schema, like = _dataset_frame(spark, register, today, schema)
        n_register = register.rows
    else:
        canon, out_schema, like = _frame_to_spark(spark, register)
        n_register = register.height
    fn = functools.partial(_dedup_pass1, settings=settings)
    p1 = canon.mapInArrow(fn, _spark_schema(_DEDUP1)).persist(StorageLevel.DISK_ONLY)
    keys = p1.filter(F.col("kind") == 0)
    twice = keys.groupBy("k").count().filter(F.col("count") > 1).select("k")
    ids = _frame(keys.join(twice, on="k", how="left_semi").select("person_id").distinct().toArrow())["person_id"]
    names = _frame(p1.filter(F.col("kind") == 1).groupBy("k").agg(F.sum("n").alias("n")).toArrow())
    n_rows = int(p1.filter(F.col("kind") == 2).agg(F.sum("n")).collect()[0][0] or 0)
    p1.unpersist()
    counts = add_name_counts([names.select(pl.col("k").alias("name_hash"), pl.col("n").cast(pl.UInt64))])
    t1 = time.perf_counter()
    fn2 = functools.partial(_dedup_pass2, ids=ids.cast(pl.Utf8).sort(), out_schema=out_schema)
    kept = _frame(canon.mapInArrow(fn2, _spark_schema(out_schema)).toArrow()).drop("_r")
    kept = kept.select([pl.col(c).cast(t) for c, t in like.items()])
    return DedupSlice(kept, counts, n_rows, n_register, "spark",
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
