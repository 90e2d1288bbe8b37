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
                           "--spark-conf", "spark.sql.shuffle.partitions=4", "--spark-conf", "spark.slrt.assign.minPairs=0",
                           "--log-file", str(tmp_path / "spark.log")],
                          cwd=REPO, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    logged = (tmp_path / "spark.log").read_text(encoding="utf-8")
    assert "register slice engine=spark" in logged and "spark assignment rounds=" in logged  # Spark cut it, assigned
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
                       engine=Engine("spark", "local[2]", {"spark.sql.shuffle.partitions": "5",
                                                           "spark.slrt.assign.minPairs": "0"}))
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


def test_rows_kept_by_a_pass_come_back_as_sent_and_let_go_of_spark_memory():
    """A pass's kept rows cross as Arrow IPC pieces (:func:`_rows_out`): read back, they are the
    rows sent, dtypes and all, in polars' own memory; the table Spark handed over is let go while
    they are read (the national month's slice is GiBs)."""
    import pyarrow as pa

    from slrt_cli.engines.spark import _IPC_ROWS, _contiguous, _from_ipc, _rows_out

    source = _people(2 * _IPC_ROWS + 40_123).with_columns(pl.col("_r").cast(pl.UInt32),
                                                       pl.lit(None, pl.Utf8).alias("kosong"))

    def keep(pieces):
        for piece in pieces:
            yield piece.filter(pl.col("_r") % 2 == 0)

    def table() -> pa.Table:
        return pa.Table.from_batches(list(_rows_out(iter([source.head(120_000), source.tail(-120_000)]), keep=keep)))

    before = pa.total_allocated_bytes()
    parts = _from_ipc(table)
    assert pa.total_allocated_bytes() - before < 50_000
    assert len(parts) == 3  # pieces of at most _IPC_ROWS rows
    out = _contiguous(pl.concat(parts, rechunk=False))
    assert_frame_equal(out, source.filter(pl.col("_r") % 2 == 0))
    assert out.n_chunks("all") == [1] * out.width
    assert _from_ipc(lambda: pa.Table.from_batches([], schema=pa.schema([("ipc", pa.binary())]))) == []


@pytest.mark.parametrize("partitions", [1, 3, 8])
def test_spark_assigns_and_rescores_households_as_the_matcher_does(spark, month, partitions):
    """Stages 3 and 4 as Spark DataFrame operations (``assigner``): the month's every row the same,
    whatever the number of partitions; the month has duplicates and household-stage links."""
    from slrt_cli.engines.spark_assign import spark_assigner

    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        cluster = match(month.batch, month.register, SETTINGS, assigner=spark_assigner(spark, min_pairs=0))
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "3")
    here = match(month.batch, month.register, SETTINGS)
    assert_frame_equal(here, cluster)
    assert here.filter(pl.col("outcome") == "duplicate").height


@pytest.fixture(scope="module")
def rules_background():
    from tests.test_match_rules import REGISTER_COLUMNS, build_population, register_canonical

    pop = build_population("3201", 3000, 11, dt.date(2025, 6, 30))
    return register_canonical(pop.df, pop.geo).select(REGISTER_COLUMNS)


def test_spark_assigner_decides_the_matchers_hand_made_cases_alike(spark, rules_background):
    """The matcher's own cases of stages 3 and 4 (tests/test_match_rules.py): a member linked by
    its household's evidence, a person listed twice, twins; the same rows with the Spark assigner."""
    from slrt_cli.engines.spark_assign import spark_assigner
    from tests import test_match_rules as rules

    fam = rules.family()
    fam[3]["nama"] = "SITI NURJANAH"
    rows = [dict(p) for p in fam]
    rows[3] = dict(fam[3], nik=None, tanggal_lahir=None, jenis_kelamin=None, nama_ibu_kandung=None)
    rows.append(dict(fam[2], nik=None, nama="RIZAL FAUZAN", source_file="desa/susulan.xlsx"))
    tw = rules.twins()
    rows += [dict(p, nik=None) for p in reversed(tw)]
    here = rules.run(rules_background, fam + tw, rows)
    cluster = rules.run(rules_background, fam + tw, rows, assigner=spark_assigner(spark, min_pairs=0))
    assert_frame_equal(here, cluster)
    assert set(here["match_stage"].drop_nulls()) >= {"household", "nik", "probabilistic"}
    assert here.filter(pl.col("outcome") == "duplicate")["person_id"].to_list() == ["P3"]


def _chain_edges() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Rows b0..b3 and persons r0..r3 where each row's best person is taken by the row before it
    (four rounds), row b4 a duplicate of r0, and a tie on bits broken by the row key."""
    pairs = [  # _b, _r, bits, dup_ok
        (0, 0, 30.0, False), (1, 0, 29.0, False), (1, 1, 28.0, False), (2, 1, 27.0, False), (2, 2, 26.0, False),
        (3, 2, 25.0, False), (3, 3, 24.0, False), (4, 0, 29.5, True), (5, 5, 20.0, False), (6, 5, 20.0, False),
    ]
    b, r, bits, dup = zip(*pairs)
    edges = pl.DataFrame({
        "_b": pl.Series(b, dtype=pl.UInt32), "_r": pl.Series(r, dtype=pl.UInt32), "pri": pl.Series([1] * len(b), dtype=pl.Int8),
        "bits": bits, "score": [0.99] * len(b), "dup_ok": dup, "decided": [False] * len(b), "stage1": [False] * len(b),
        "nik_conflict": [False] * len(b), "_pid_r": [f"P{x}" for x in r],
        "_hid_r": pl.Series([None] * len(b), dtype=pl.Utf8),
        "bits_person": bits, "tf_name": [0.0] * len(b), "tf_dob": [0.0] * len(b), "hh_bonus": [False] * len(b),
    })
    batch = pl.DataFrame({"_b": pl.Series(range(7), dtype=pl.UInt32), "_status": ["ok"] * 7,
                          "_kk": pl.Series([None] * 7, dtype=pl.Int64), "_hid": pl.Series([None] * 7, dtype=pl.Utf8)})
    return edges, batch


@pytest.mark.parametrize("partitions", [1, 8])
def test_spark_assignment_takes_a_chain_round_by_round(spark, month, partitions):
    from slrt_cli.engines.spark_assign import assign_rows_spark
    from slrt_cli.match import estimate
    from slrt_cli.match.matcher import assign_rows

    edges, batch = _chain_edges()
    weights = estimate(month.batch, month.register, SETTINGS)
    register = pl.DataFrame({"_hid": pl.Series([], dtype=pl.Utf8)})
    here = assign_rows(edges, batch, register, weights, SETTINGS)
    spark.conf.set("spark.sql.shuffle.partitions", str(partitions))
    try:
        cluster = assign_rows_spark(spark, edges, batch, register, weights, SETTINGS)
    finally:
        spark.conf.set("spark.sql.shuffle.partitions", "3")
    key = ["_b", "_r"]
    assert_frame_equal(here[0].sort(key), cluster[0].sort(key), check_column_order=False)
    assert_frame_equal(here[1].sort("_b"), cluster[1].sort("_b"), check_column_order=False)
    taken = {(b, r, k) for b, r, k in cluster[0].select("_b", "_r", "_kind").iter_rows()}
    assert taken == {(0, 0, "a"), (1, 1, "a"), (2, 2, "a"), (3, 3, "a"), (4, 0, "d"), (5, 5, "a")}


def test_a_month_of_few_pairs_is_assigned_on_the_driver(spark, month, caplog):
    """Below ``spark.slrt.assign.minPairs`` scored pairs the driver assigns them (Spark's rounds
    cost more than the work): the same rows, and the log says where."""
    import logging

    from slrt_cli.engines.spark_assign import spark_assigner

    with caplog.at_level(logging.INFO, logger="slrt"):
        out = match(month.batch, month.register, SETTINGS, assigner=spark_assigner(spark, min_pairs=10**9))
    assert "assignment on the driver" in caplog.text and "spark assignment rounds" not in caplog.text
    assert_frame_equal(out, match(month.batch, month.register, SETTINGS))


def test_spark_assigns_every_month_on_a_cluster_and_large_ones_in_local_mode(spark):
    from slrt_cli.engines.spark_assign import DEFAULT_MIN_PAIRS_LOCAL, default_min_pairs

    class Cluster:  # a session whose master is a cluster's
        sparkContext = type("Ctx", (), {"master": "spark://pusdatin:7077"})()

    assert default_min_pairs(spark) == DEFAULT_MIN_PAIRS_LOCAL == 2_000_000
    assert default_min_pairs(Cluster()) == 0
