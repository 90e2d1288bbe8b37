"""`slrt run` and `slrt match` end to end on the bundled synthetic month."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from slrt_cli.cli import app

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
KEYS = ["source_file", "source_sheet", "source_row"]
runner = CliRunner()


def truth() -> pl.DataFrame:
    return pl.read_csv(SAMPLE / "truth.csv", infer_schema_length=0).with_columns(
        pl.col("source_row").cast(pl.Int64), pl.col("source_sheet").fill_null("")
    )


@pytest.fixture(scope="module")
def parquet_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "hasil"
    res = runner.invoke(app, ["run", "--register", str(SAMPLE / "register" / "dtks.parquet"), str(SAMPLE / "desa"),
                              "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    return out, json.loads(res.stdout)


def test_every_row_is_reconciled_exactly_once(parquet_run):
    out, body = parquet_run
    rec = pl.read_csv(out / "reconciliation.csv", infer_schema_length=0).with_columns(
        pl.col("source_row").cast(pl.Int64), pl.col("source_sheet").fill_null("")
    )
    t = truth()
    assert rec.height == t.height == body["totals"]["rows"]
    assert rec.select(KEYS).sort(KEYS).equals(t.select(KEYS).sort(KEYS))  # none lost, none invented
    assert set(rec["outcome"]) <= {"matched", "review", "new", "rejected", "duplicate"}
    assert pl.read_parquet(out / "reconciliation.parquet").height == rec.height
    for name in ("reconciliation", "not_found", "households", "changes"):
        assert (out / f"{name}.csv").read_bytes().startswith(b"\xef\xbb\xbf")
        assert (out / f"{name}.parquet").is_file()


def test_link_accuracy_on_the_sample(parquet_run):
    out, _ = parquet_run
    rec = pl.read_parquet(out / "reconciliation.parquet").with_columns(pl.col("source_sheet").fill_null(""))
    j = rec.join(truth().select(KEYS + [pl.col("person_id").alias("true_id"), "noise"]), on=KEYS)
    links = j.filter(pl.col("outcome") == "matched")
    false_links = links.filter(pl.col("person_id") != pl.col("true_id")).height
    assert false_links == 0
    linkable = j.filter(pl.col("true_id").is_not_null() & ~pl.col("noise").fill_null("").str.contains("duplicate"))
    found = links.filter(pl.col("person_id") == pl.col("true_id")).height
    assert found / linkable.height >= 0.95
    # people not in the register come out new (or rejected), never linked
    assert j.filter(pl.col("true_id").is_null() & (pl.col("outcome") == "matched")).height == 0


def test_not_found_lists_the_left_out_members(parquet_run):
    out, body = parquet_run
    nf = pl.read_csv(out / "not_found.csv", infer_schema_length=0)
    missing = pl.read_csv(SAMPLE / "truth_missing.csv", infer_schema_length=0)
    assert set(missing["person_id"]) <= set(nf["person_id"])
    assert body["match"]["not_found"] == nf.height
    assert all("*" in v for v in nf["nik"].drop_nulls() if v)  # masked by default


def test_statuses_and_households(parquet_run):
    out, _ = parquet_run
    rec = pl.read_parquet(out / "reconciliation.parquet")
    s = set(rec["status_verivali"].drop_nulls())
    assert {"DITEMUKAN", "USULAN_BARU", "GANDA", "KESALAHAN_DATA"} <= s
    assert rec.filter(pl.col("outcome") == "duplicate")["status_verivali"].unique().to_list() == ["GANDA"]
    hh = pl.read_csv(out / "households.csv")
    assert hh.height > 0 and (hh["cocok"] <= hh["anggota_dtks"]).all()
    changes = pl.read_csv(out / "changes.csv", infer_schema_length=0)
    assert {"field", "nilai_dtks", "nilai_desa"} <= set(changes.columns)
    assert "nama" in set(changes["field"])


def test_full_nik_only_on_request(tmp_path):
    out = tmp_path / "full"
    res = runner.invoke(app, ["run", "-r", str(SAMPLE / "register" / "dtks.parquet"), str(SAMPLE / "desa"),
                              "--out", str(out), "--full-nik", "-q"])
    assert res.exit_code == 0
    nf = pl.read_csv(out / "not_found.csv", infer_schema_length=0)
    assert any(v and v.isdigit() and len(v) == 16 for v in nf["nik"].to_list())


def test_fail_on(tmp_path):
    args = ["run", "-r", str(SAMPLE / "register" / "dtks.parquet"), str(SAMPLE / "desa"), "-q"]
    assert runner.invoke(app, args + ["--out", str(tmp_path / "a"), "--fail-on", "rejected"]).exit_code == 1
    bad = runner.invoke(app, args + ["--out", str(tmp_path / "b"), "--fail-on", "sometimes"])
    assert bad.exit_code == 2 and "--fail-on" in bad.stderr


def test_match_alone_on_validate_output(tmp_path):
    v = runner.invoke(app, ["validate", str(SAMPLE / "desa"), "--out", str(tmp_path / "v"), "-q"])
    assert v.exit_code == 1
    res = runner.invoke(app, ["match", str(tmp_path / "v" / "rows.parquet"), "-r",
                              str(SAMPLE / "register" / "dtks.parquet"), "--out", str(tmp_path / "m"), "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    rec = pl.read_parquet(tmp_path / "m" / "reconciliation.parquet")
    assert rec.height == 374 and body["match"]["matched"] == rec.filter(pl.col("outcome") == "matched").height


def test_unusable_register_is_exit_3(tmp_path):
    bad = tmp_path / "dtks.csv"
    bad.write_text("ID DTKS;ALAMAT\nSYN1;KP\n")
    res = runner.invoke(app, ["run", "-r", str(bad), str(SAMPLE / "desa"), "--out", str(tmp_path / "o")])
    assert res.exit_code == 3 and "NAMA" in res.stderr
    assert not (tmp_path / "o").exists()


def test_siks_ng_pipe_export_through_the_installed_command(tmp_path):
    out = tmp_path / "siks"
    proc = subprocess.run(
        [str(Path(sys.executable).with_name("slrt")), "run", "--dtks", str(SAMPLE / "register" / "dtks_siksng.csv"),
         str(SAMPLE / "desa"), "--out", str(out), "--json"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"},
    )
    assert proc.returncode == 0, proc.stderr
    body = json.loads(proc.stdout)
    assert body["match"]["register_rows"] == 3000
    assert body["match"]["matched"] >= 300
    assert pl.read_parquet(out / "reconciliation.parquet").height == 374


def test_dtsen_style_extract(tmp_path):
    """Family rows + member rows (DTSEN), built from the sample register."""
    reg = pl.read_parquet(SAMPLE / "register" / "dtks.parquet")
    folder = tmp_path / "dtsen"
    folder.mkdir()
    fam = reg.group_by("household_id", maintain_order=True).agg(
        pl.col("no_kk").first(), pl.col("alamat").first(), pl.col("rt").first(), pl.col("rw").first(),
        pl.col("kode_desa").first(),
    )
    fam.select(
        pl.col("household_id").alias("id_keluarga"), "no_kk", "alamat", pl.col("rt").alias("RT"),
        pl.col("rw").alias("RW"), pl.col("kode_desa").alias("id_desa"), pl.lit(3).alias("desil_nasional"),
    ).write_csv(folder / "keluarga.csv")
    hub = {"1": "KEPALA KELUARGA", "2": "ISTRI", "3": "ANAK", "4": "MENANTU", "5": "CUCU", "6": "ORANG TUA", "7": "PEMBANTU", "8": "FAMILI LAIN"}
    rel = "hub_kk" if "hub_kk" in reg.columns else "hub_krt"
    reg.select(
        pl.col("person_id").alias("idsemesta"), pl.col("household_id").alias("id_keluarga"), "nik", "nama",
        pl.col(rel).replace_strict(hub, default=None).alias("hub_kepala_keluarga"),
        pl.col("tanggal_lahir").cast(pl.Utf8).alias("tanggal_lahir"),
        pl.col("jenis_kelamin").alias("jenis_kelamin"), pl.lit("PETANI").alias("pekerjaan_utama"),
    ).write_csv(folder / "anggota.csv")
    out = tmp_path / "o"
    res = runner.invoke(app, ["run", "-r", str(folder), str(SAMPLE / "desa"), "--out", str(out), "--json"])
    assert res.exit_code == 0, res.output
    rec = pl.read_parquet(out / "reconciliation.parquet").with_columns(pl.col("source_sheet").fill_null(""))
    j = rec.join(truth().select(KEYS + [pl.col("person_id").alias("true_id")]), on=KEYS)
    links = j.filter(pl.col("outcome") == "matched")
    assert links.filter(pl.col("person_id") != pl.col("true_id")).height == 0
    assert links.height >= 290


def test_changes_leave_out_non_changes_and_mark_spelling_variants(parquet_run):
    out, _ = parquet_run
    changes = pl.read_csv(out / "changes.csv", infer_schema_length=0)
    assert set(changes["jenis"]) <= {"koreksi", "ejaan"}
    names = changes.filter(pl.col("field") == "nama")
    ejaan = names.filter(pl.col("jenis") == "ejaan")
    assert ejaan.height > 0  # MUH. / MUHAMMAD, NOER / NUR ... are the same name
    for old, new in ejaan.select("nilai_dtks", "nilai_desa").iter_rows():
        assert old != new
    # an address that only adds RT/RW, or differs in case, is no change
    import re

    for old, new in changes.filter(pl.col("field") == "alamat").select("nilai_dtks", "nilai_desa").iter_rows():
        strip = lambda s: re.sub(r"[^0-9A-Z]", "", re.sub(r"\b(RT|RW)\.?\s*\d+", "", (s or "").upper()))  # noqa: E731
        assert strip(old) != strip(new)


def test_report_rewrites_the_reports_of_an_existing_run(parquet_run, tmp_path):
    import shutil

    import openpyxl

    src, body = parquet_run
    folder = tmp_path / "salinan"
    shutil.copytree(src, folder)
    before = (folder / "reconciliation.parquet").read_bytes()
    res = runner.invoke(app, ["report", str(folder), "--lang", "en", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["outputs"] == ["laporan.xlsx", "laporan.html"]
    wb = openpyxl.load_workbook(folder / "laporan.xlsx")
    assert wb.sheetnames[0] == "Summary"
    assert "Verification report" in (folder / "laporan.html").read_text() or "<svg" in (folder / "laporan.html").read_text()
    assert (folder / "reconciliation.parquet").read_bytes() == before  # data files untouched
    bad = runner.invoke(app, ["report", str(tmp_path)])
    assert bad.exit_code == 2


def test_split_desa(tmp_path):
    out = tmp_path / "o"
    res = runner.invoke(app, ["run", "-r", str(SAMPLE / "register" / "dtks.parquet"), str(SAMPLE / "desa"),
                              "--out", str(out), "--split-desa", "-q"])
    assert res.exit_code == 0
    manifest = json.loads((out / "kirim" / "manifest.json").read_text())
    assert all(len(Path(f["path"]).parts) == 3 for f in manifest["files"])  # kab/desa/file


def test_summary_json_has_every_count_per_desa_and_settings(parquet_run):
    out, _ = parquet_run
    summary = json.loads((out / "summary.json").read_text())
    per_desa = summary["match_per_desa"]
    rec = pl.read_parquet(out / "reconciliation.parquet")
    assert sum(v.get(k, 0) for v in per_desa.values() for k in ("matched", "review", "new", "rejected", "duplicate")) == rec.height
    assert sum(v.get("not_found", 0) for v in per_desa.values()) == summary["match"]["not_found"]
    assert summary["settings"]["coverage"] == "household"
    assert all(len(f["sha256"]) == 64 for f in summary["files"])


def test_outputs_are_readable_by_the_owner_only(parquet_run):
    out, _ = parquet_run
    assert out.stat().st_mode & 0o777 == 0o700
    for p in out.rglob("*"):
        assert p.stat().st_mode & 0o777 == (0o700 if p.is_dir() else 0o600), p
