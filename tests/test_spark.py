"""The Spark engine (issue 11) in local mode: the same slice, term tables and month as the local
engine, for 1, 3 and 8 shuffle partitions, from a register in memory and from a dataset Spark reads
itself; and `slrt run --engine spark` writes the files the local engine writes. One Spark session
for the whole test run (conftest ``spark``). Synthetic people only."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from slrt_cli import pipeline
from slrt_cli.engines import RegisterDataset
from slrt_cli.engines.local import slice_frame, slice_local
from slrt_cli.engines.spark import slice_spark
from slrt_cli.match import MatchSettings, match
from slrt_cli.schemas import load_schema
from slrt_synth.national import national_month, write_district_batches, write_register_dataset

TODAY = dt.date(2026, 12, 5)
SETTINGS = MatchSettings.default().replace(u_pairs=2_000)
REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def month():
    return national_month(kabs=("3201", "3273"), quiet=("3578",), persons=5000, rows=200, seed=23)


@pytest.fixture(scope="module")
def dataset(month, tmp_path_factory):
    root = tmp_path_factory.mktemp("spark") / "dtsen"
    write_register_dataset(month.register, root, files_per_kab=3)
    return RegisterDataset.open(root)


def same_slice(a, b):
    assert_frame_equal(a.register, b.register)
    assert a.n_register == b.n_register
    for name in ("word_bits", "dob_bits", "common", "frequent", "n_register"):
        assert getattr(a.tables, name) == getattr(b.tables, name), name


@pytest.mark.parametrize("partitions", [1, 3, 8])
@pytest.mark.parametrize("coverage", ["household", "desa"])
def test_spark_cuts_the_slice_the_local_engine_cuts(spark, month, partitions, coverage):
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        local = slice_frame(month.batch, month.register, SETTINGS, coverage=coverage)
        cluster = slice_spark(month.batch, month.register, SETTINGS, load_schema(), TODAY, spark, coverage=coverage)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "3")
    assert cluster.engine == "spark" and cluster.register.height < month.register.height
    same_slice(local, cluster)
    assert_frame_equal(match(month.batch, month.register, SETTINGS),
                       match(month.batch, cluster.register, SETTINGS, tables=cluster.tables))


@pytest.mark.parametrize("partitions", [1, 8])
def test_spark_reads_a_dataset_as_the_local_engine_does(spark, month, dataset, partitions):
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        cluster = slice_spark(month.batch, dataset, SETTINGS, load_schema(), TODAY, spark)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "3")
    local = slice_local(month.batch, dataset, SETTINGS, load_schema(), TODAY)
    same_slice(local, cluster)
    # the register's own file and line of each row, as written in the dataset
    named = cluster.register.select("register_file", "source_row", "person_id").row(0)
    f = next(f for f in dataset.files if f.name == named[0])
    assert pl.read_parquet(f.path).row(named[1] - 2, named=True)["person_id"] == named[2]


def test_slrt_run_with_engine_spark_writes_what_the_local_engine_writes(tmp_path):
    """A real subprocess (its own Spark, local[2]): the sample month against the sample register as a
    dataset (which Spark slices), every table the same."""
    folder = tmp_path / "dtsen" / "kode_prov=32" / "kode_kab=3201"
    folder.mkdir(parents=True)
    pl.read_parquet(REPO / "sample_data" / "register" / "dtks.parquet").write_parquet(folder / "part-0.parquet")
    cmd = [sys.executable, "-m", "slrt_cli", "run", "-q", "--register", str(tmp_path / "dtsen"),
           "sample_data/desa", "--period", "2026-10"]
    subprocess.run([*cmd, "--out", str(tmp_path / "local")], cwd=REPO, check=True, timeout=300)
    done = subprocess.run([*cmd, "--out", str(tmp_path / "spark"), "--engine", "spark", "--spark-master", "local[2]",
                           "--spark-conf", "spark.sql.shuffle.partitions=4", "--log-file", str(tmp_path / "spark.log")],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "register slice engine=spark" in (tmp_path / "spark.log").read_text(encoding="utf-8")  # Spark cut it
    for name in ("reconciliation.csv", "not_found.csv", "households.csv", "changes.csv", "issues.csv"):
        assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "spark" / name).read_bytes(), name
    assert "FutureWarning" not in done.stderr
    # Spark's start-up warnings are not the operator's business (slrt_cli/engines/log4j2.properties)
    # (the JVM's own "WARNING: Using incubator modules" line stays)
    assert not re.search(r"\bWARN\b|log4j profile|default log level", done.stderr), done.stderr[-2000:]


def test_slrt_nasional_on_spark_writes_what_the_local_engine_writes(spark, month, dataset, tmp_path):
    from slrt_cli.engines import Engine
    from slrt_cli.nasional import nasional

    write_district_batches(month.batch, tmp_path / "hasil")
    local = nasional([tmp_path / "hasil"], [dataset.root], tmp_path / "local", settings=SETTINGS)
    cluster = nasional([tmp_path / "hasil"], [dataset.root], tmp_path / "spark", settings=SETTINGS,
                       engine=Engine("spark", "local[2]", {"spark.sql.shuffle.partitions": "5"}))
    assert local.outputs == cluster.outputs and cluster.counts()["movers"] >= month.movers.height
    for name in local.outputs:
        if name.endswith(".csv"):
            assert (tmp_path / "local" / name).read_bytes() == (tmp_path / "spark" / name).read_bytes(), name


def test_spark_dedup_finds_the_pairs_of_the_local_engine(spark, month, dataset):
    from slrt_cli.engines.local import dedup_frame, dedup_local
    from slrt_cli.engines.spark import dedup_spark
    from slrt_cli.match.dedup import find_duplicates
    from tests.test_engines import _dedup_register

    reg = _dedup_register(month)
    local = dedup_frame(reg, SETTINGS)
    cluster = dedup_spark(reg, SETTINGS, load_schema(), TODAY, spark)
    assert_frame_equal(local.register.sort("person_id"), cluster.register.sort("person_id"))
    assert local.n_rows == cluster.n_rows
    assert_frame_equal(local.name_counts.sort("name_hash"), cluster.name_counts.sort("name_hash"))
    pairs = find_duplicates(cluster.register, SETTINGS, name_counts=cluster.name_counts, n_rows=cluster.n_rows)
    assert pairs.equals(find_duplicates(reg, SETTINGS)) and pairs.height >= 4
    # and from a dataset Spark reads itself
    a = dedup_local(dataset, SETTINGS, load_schema(), TODAY)
    b = dedup_spark(dataset, SETTINGS, load_schema(), TODAY, spark)
    assert_frame_equal(a.register.sort("person_id"), b.register.sort("person_id"))


def test_spark_slice_when_a_file_names_no_desa(spark, month):
    file = month.batch["source_file"].unique().sort()[0]
    batch = month.batch.with_columns(pl.when(pl.col("source_file") == file).then(None)
                                     .otherwise(pl.col("kode_desa")).alias("kode_desa"))
    local = slice_frame(batch, month.register, SETTINGS, coverage="desa")
    cluster = slice_spark(batch, month.register, SETTINGS, load_schema(), TODAY, spark, coverage="desa")
    same_slice(local, cluster)


def test_scoring_goes_to_the_executors_of_a_cluster_only(spark, month):
    """In local mode the executors share the driver's machine: the pairs are scored here (the mapper
    is None); the mapper itself, given a cluster, scores one job per partition in order."""
    from slrt_cli.engines import spark as engine_spark

    assert engine_spark.scoring_mapper(spark) is None

    class Cluster:  # a SparkSession whose master is not local, on the same local context
        sparkContext = type("Ctx", (), {"master": "spark://pusdatin:7077", "parallelize": spark.sparkContext.parallelize,
                                        "defaultParallelism": 2})()

    mapper = engine_spark.scoring_mapper(Cluster())
    assert_frame_equal(match(month.batch, month.register, SETTINGS),
                       match(month.batch, month.register, SETTINGS, mapper=mapper))


STUCK = '''
import pathlib, sys, time
from slrt_cli.engines.spark import session

marker = pathlib.Path(sys.argv[1])

def stuck_once(batches):
    if not marker.exists():  # the first try hangs, as PySpark's Arrow exchange sometimes does
        marker.write_text("stuck")
        time.sleep(150)
    yield from batches

spark = session("local[1]", {"spark.python.worker.idleTimeoutSeconds": "3", "spark.sql.shuffle.partitions": "1"})
spark.sparkContext.setLogLevel("OFF")
print(sorted(r.id for r in spark.range(5).mapInArrow(stuck_once, "id long").collect()))
'''


def test_a_stuck_python_worker_is_killed_and_its_task_runs_again(spark, tmp_path):
    """A Python worker that hangs is killed after the idle timeout (DEFAULT_CONF) and, in local mode
    too (``local[1]`` becomes ``local[1,4]``), its task runs again: the job ends, with every row,
    instead of waiting for ever. Its own Spark (a subprocess), with a 3 s timeout."""
    import time

    script = tmp_path / "stuck.py"
    script.write_text(STUCK, encoding="utf-8")
    t = time.monotonic()
    proc = subprocess.run([sys.executable, str(script), str(tmp_path / "marker")], capture_output=True, text=True,
                          timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().splitlines()[-1] == "[0, 1, 2, 3, 4]"
    assert (tmp_path / "marker").is_file()  # the first try did hang
    assert time.monotonic() - t < 120  # not the 150 s the stuck try sleeps


def test_local_masters_get_task_retries():
    from slrt_cli.engines.spark import with_retries

    assert with_retries("local") == "local[1,4]"
    assert with_retries("local[2]") == "local[2,4]"
    assert with_retries("local[*]") == "local[*,4]"
    assert with_retries("local[2,1]") == "local[2,1]"  # the operator's own count of tries
    assert with_retries("spark://head:7077") == "spark://head:7077"
    assert with_retries("sc://head") == "sc://head"


def _people(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "_r": pl.int_range(0, n, eager=True, dtype=pl.Int64),
        "nama": pl.Series([f"NAMA ORANG {i}" if i % 7 else None for i in range(n)]),
        "tanggal_lahir": pl.date_range(dt.date(1950, 1, 1), dt.date(1950, 1, 1) + dt.timedelta(days=n - 1), eager=True),
        "ok": pl.Series([i % 3 == 0 for i in range(n)]),
    })


def test_a_frame_made_from_arrow_holds_no_arrow_memory():
    # polars takes Arrow's buffers without copying: a slice made straight from the Arrow table Spark
    # hands over kept every batch's buffer alive for the whole matching (GiBs on the national month)
    import pyarrow as pa

    from slrt_cli.engines.spark import _owned

    source = _people(60_000)
    before = pa.total_allocated_bytes()

    def table() -> pa.Table:  # batches in one buffer of Arrow's, as an IPC stream gives them
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, source.to_arrow().schema) as w:
            w.write_table(source.to_arrow(), max_chunksize=10_000)
        return pa.ipc.open_stream(sink.getvalue()).read_all()

    out = _owned(table)
    assert pa.total_allocated_bytes() - before < 50_000
    assert_frame_equal(out, source)
    assert out.n_chunks("all") == [1] * 4


def test_a_frame_brought_from_spark_is_the_frame_sent(spark):
    import pyarrow as pa

    from slrt_cli.engines.spark import _collected

    source = _people(30_000)
    frame = spark.createDataFrame(source.to_arrow().cast(pa.schema([
        ("_r", pa.int64()), ("nama", pa.string()), ("tanggal_lahir", pa.date32()), ("ok", pa.bool_())]))).repartition(3)
    assert_frame_equal(_collected(frame).sort("_r"), source)
    empty = _collected(frame.filter("_r < 0"))
    assert empty.height == 0 and empty.columns == ["_r", "nama", "tanggal_lahir", "ok"]
