"""The engines (issue 11): a register cut to the slice a batch needs gives the month of the whole
register, row for row; a register dataset is read file by file; Spark gives the same slice as the
local engine for any number of partitions. Synthetic people only (slrt_synth)."""

from __future__ import annotations

import datetime as dt
import sys

import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from slrt_cli import pipeline, registers
from slrt_cli.cli import app
from slrt_cli.config import resolve
from slrt_cli.engines import Engine, RegisterDataset, is_dataset, linked_households
from slrt_cli.engines.local import slice_frame
from slrt_cli.errors import UsageError
from slrt_cli.match import MatchSettings, match
from slrt_cli.reconcile import reconcile
from slrt_cli.schemas import load_schema
from slrt_synth.national import national_month, write_register_dataset

TODAY = dt.date(2026, 12, 5)
TABLES = ("reconciliation", "not_found", "households", "changes")


@pytest.fixture(scope="module")
def month():
    """Three districts that sent rows, two quiet ones, movers and rows proposed twice."""
    return national_month(kabs=("3201", "3204", "3273"), quiet=("3302", "3578"), persons=8000, rows=250)


@pytest.fixture(scope="module")
def files(month, tmp_path_factory):
    root = tmp_path_factory.mktemp("national")
    write_register_dataset(month.register, root / "dtsen", files_per_kab=2)
    month.register.write_parquet(root / "dtsen.parquet")
    month.batch.write_parquet(root / "rows.parquet")
    return root


def assert_same_month(a, b, drop=()):
    for name in TABLES:
        assert_frame_equal(getattr(a, name).drop(drop, strict=False), getattr(b, name).drop(drop, strict=False))


#: fewer pairs for the weights' u than in match.toml, so that the samples do not fill a small register
SMALL_U = MatchSettings.default().replace(u_pairs=2_000)


@pytest.mark.parametrize("coverage", ["household", "desa"])
def test_a_slice_cut_in_pieces_gives_the_month_of_the_whole_register(month, coverage):
    s = SMALL_U
    whole = match(month.batch, month.register, s)
    cut = slice_frame(month.batch, month.register, s, coverage=coverage, piece_rows=1_111)
    assert cut.pieces == 37 and cut.n_register == month.register.height
    # the quiet kabupaten are left out, apart from the weights' samples and the movers' households
    quiet = cut.register.filter(pl.col("kode_kab").is_in(["3302", "3578"])).height
    assert quiet < 0.6 * month.register.filter(pl.col("kode_kab").is_in(["3302", "3578"])).height
    if coverage == "household":
        assert cut.register.height < 0.7 * month.register.height
    part = match(month.batch, cut.register, s, tables=cut.tables)
    assert_frame_equal(whole, part)
    # then the other members of the households the rows are linked to
    before = cut.register.height
    completed = cut.with_households(linked_households(month.batch, part))
    assert completed.height > before and cut.positions.n_unique() == completed.height
    assert_same_month(reconcile(month.batch, whole, month.register, coverage=coverage),
                      reconcile(month.batch, part, completed, coverage=coverage))


def test_the_sample_month_is_the_same_through_a_slice():
    schema = load_schema()
    rows = pipeline.batch_rows(pipeline.validate(["sample_data/desa"], today=TODAY), schema)
    reg = registers.load_register(["sample_data/register/dtks.parquet"], schema, TODAY)
    s = MatchSettings.default()
    whole = match(rows, reg, s)
    cut = slice_frame(rows, reg, s, piece_rows=997)
    assert_frame_equal(whole, match(rows, cut.register, s, tables=cut.tables))


def test_a_register_dataset_is_read_file_by_file_with_the_results_of_one_file(files):
    assert is_dataset(files / "dtsen") and not is_dataset(files / "dtsen.parquet")
    dataset = RegisterDataset.open(files / "dtsen")
    assert [f.name for f in dataset.files][:2] == ["kode_prov=32/kode_kab=3201/part-0.parquet",
                                                  "kode_prov=32/kode_kab=3201/part-1.parquet"]
    whole = pipeline.match_rows(files / "rows.parquet", [files / "dtsen.parquet"], today=TODAY)
    cut = pipeline.match_rows(files / "rows.parquet", [files / "dtsen"], today=TODAY)
    assert cut.register_rows == whole.register_rows == dataset.rows
    # the same links, not-found persons and changes; only the register file and line differ
    assert_same_month(whole.reconciliation, cut.reconciliation, drop=["berkas_dtks", "baris_dtks"])
    rec = cut.reconciliation.reconciliation.filter(pl.col("outcome") == "matched")
    assert rec["berkas_dtks"].str.starts_with("kode_prov=").all()
    # the line in the dataset file: the register row it names is the person linked
    f = rec.row(0, named=True)
    row = pl.read_parquet(files / "dtsen" / f["berkas_dtks"]).row(f["baris_dtks"] - 2, named=True)
    assert row["person_id"] == f["person_id"]


def test_engine_settings_from_config_env_and_flags(tmp_path):
    cfg = tmp_path / "slrt.toml"
    cfg.write_text('engine = "spark"\nspark_master = "spark://pusdatin:7077"\n'
                   '[spark_conf]\n"spark.executor.memory" = "8g"\n"spark.executor.cores" = 4\n')
    settings, origin = resolve({}, cfg, environ={})
    assert settings["engine"] == "spark" and settings["spark_master"] == "spark://pusdatin:7077"
    assert settings["spark_conf"] == {"spark.executor.memory": "8g", "spark.executor.cores": 4}
    settings, _ = resolve({"spark_conf": ["spark.sql.shuffle.partitions=8"]}, cfg,
                          environ={"SLRT_ENGINE": "local"})
    assert settings["engine"] == "local" and settings["spark_conf"] == {"spark.sql.shuffle.partitions": "8"}
    with pytest.raises(UsageError):
        resolve({"engine": "dask"}, None, environ={})
    with pytest.raises(UsageError):
        resolve({"spark_conf": ["no-equals-sign"]}, None, environ={})


def test_engine_spark_without_pyspark_says_so_in_one_line(monkeypatch, files):
    monkeypatch.setitem(sys.modules, "pyspark", None)  # as if PySpark were not installed
    with pytest.raises(UsageError) as err:
        Engine("spark")
    assert err.value.code == "error_spark_missing"
    result = CliRunner().invoke(app, ["match", str(files / "rows.parquet"), "--register", str(files / "dtsen"),
                                      "--out", str(files / "x"), "--engine", "spark"])
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1 and 'slrt-cli[spark]' in lines[0]
    assert not (files / "x").exists()


def test_an_unknown_engine_is_a_usage_error(files):
    result = CliRunner().invoke(app, ["match", str(files / "rows.parquet"), "--register", str(files / "dtsen"),
                                      "--out", str(files / "y"), "--engine", "dask"])
    assert result.exit_code == 2 and "dask" in result.output


def _dedup_register(month) -> pl.DataFrame:
    """The national register with the hand-made cases of test_dedup (one person under two ids, twins,
    a parent and child of one name, two persons with one NIK) inside kabupaten 3201."""
    from tests.test_dedup import _register

    cases = _register().with_columns(pl.col("person_id").str.replace("^P", "CASE"),
                                     pl.lit("3201").alias("kode_kab"), pl.lit("32").alias("kode_prov"))
    reg = month.register
    at = reg.filter(pl.col("kode_kab") <= "3201").height  # after kabupaten 3201, in the register's order
    return pl.concat([reg.slice(0, at), cases, reg.slice(at)], how="diagonal_relaxed")


def test_dedup_of_a_dataset_read_piece_by_piece_finds_the_pairs_of_the_whole(month, tmp_path):
    from slrt_cli.dedup import dedup
    from slrt_cli.engines.local import dedup_frame
    from slrt_cli.match.dedup import find_duplicates

    reg = _dedup_register(month)
    whole = find_duplicates(reg)
    assert whole.filter(pl.col("person_id_a").str.starts_with("CASE")).height >= 4  # the cases are found
    cut = dedup_frame(reg, MatchSettings.default(), piece_rows=3_001)
    assert cut.register.height < 0.2 * reg.height
    assert whole.equals(find_duplicates(cut.register, name_counts=cut.name_counts, n_rows=cut.n_rows))
    # the same register as one file and as a dataset, both read by the register reader
    write_register_dataset(reg, tmp_path / "dtsen", files_per_kab=2)
    reg.write_parquet(tmp_path / "dtsen.parquet")
    one = dedup([tmp_path / "dtsen.parquet"], tmp_path / "one", today=TODAY)
    report = dedup([tmp_path / "dtsen"], tmp_path / "out", today=TODAY)
    assert report.register_rows == one.register_rows == reg.height
    assert report.pairs.equals(one.pairs) and report.pairs.height >= whole.height


def test_scoring_the_partitions_elsewhere_gives_the_same_links(month):
    """``mapper`` (Spark's executors with --engine spark) scores one task per kabupaten, in any order."""
    seen = []

    def backwards(fn, makers):
        seen.append(len(makers))
        return [fn(make()) for make in reversed(makers)][::-1]

    s = MatchSettings.default()
    assert_frame_equal(match(month.batch, month.register, s), match(month.batch, month.register, s, mapper=backwards))
    assert seen == [3]  # the three kabupaten that sent rows


def test_a_file_naming_no_desa_covers_the_desa_of_the_persons_it_links(month):
    """--coverage desa: a file without kode_desa covers the desa its rows link to (reconcile.covered_desa);
    the slice holds those desa too, found from the candidates."""
    file = month.batch["source_file"].unique().sort()[0]
    batch = month.batch.with_columns(pl.when(pl.col("source_file") == file).then(None)
                                     .otherwise(pl.col("kode_desa")).alias("kode_desa"))
    s = SMALL_U
    whole = match(batch, month.register, s)
    cut = slice_frame(batch, month.register, s, coverage="desa", piece_rows=4_999)
    part = match(batch, cut.register, s, tables=cut.tables)
    assert_frame_equal(whole, part)
    completed = cut.with_households(linked_households(batch, part))
    assert_same_month(reconcile(batch, whole, month.register, coverage="desa"),
                      reconcile(batch, part, completed, coverage="desa"))
