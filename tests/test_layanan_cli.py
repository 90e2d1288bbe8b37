"""`slrt layanan` end to end through the installed command (Bahasa and English), the privacy rule of its
outputs (schemas/privacy.toml [layanan.*]), the desk template and the bundled sample log."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import polars as pl
import pytest

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
LOGS = SAMPLE / "layanan" / "buku"
REGISTER = SAMPLE / "register" / "dtks.parquet"
#: the installed command (console script beside the interpreter), as operators run it
SLRT = str(Path(sys.executable).with_name("slrt.exe" if os.name == "nt" else "slrt"))
SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")


def _slrt(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    env.pop("SLRT_LANG", None)
    return subprocess.run([SLRT, *args], capture_output=True, text=True, cwd=cwd, env=env,
                          encoding="utf-8", timeout=300)


@pytest.fixture(scope="module")
def run_id(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layanan_id")
    out = folder / "hasil"
    res = _slrt("layanan", str(LOGS), "--register", str(REGISTER), "--out", str(out), "--log-file",
                str(folder / "slrt.log"), "-v", cwd=folder)
    return res, out, folder


def test_cli_in_bahasa(run_id):
    res, out, _ = run_id
    assert res.returncode == 0, res.stderr
    assert "kunjungan" in res.stdout and "belum terdaftar" in res.stdout
    for name in ("layanan.csv", "layanan.parquet", "tindak_lanjut.csv", "rujukan.xlsx", "layanan.html", "summary.json",
                 "kirim/manifest.json"):
        assert (out / name).is_file(), name


def test_cli_in_english_with_json(tmp_path):
    res = _slrt("layanan", str(LOGS), "-r", str(REGISTER), "--out", str(tmp_path / "out"), "--lang", "en", "--json",
                cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    body = json.loads(res.stdout)
    assert body["exit_code"] == 0 and body["summary"]["visits"] == 64
    assert sum(body["summary"]["situasi"].values()) == 64
    table = pl.read_csv(tmp_path / "out" / "layanan.csv", infer_schema=False)
    assert table.filter(pl.col("situasi") == "bukan_dtks")["alasan"].str.starts_with("Not found").all()
    res = _slrt("layanan", str(LOGS), "-r", str(REGISTER), "--out", str(tmp_path / "out"), "--lang", "en",
                "--overwrite", "--fail-on", "bukan_dtks", cwd=tmp_path)
    assert res.returncode == 1 and "visits" in res.stdout


def test_cli_usage_errors(tmp_path):
    res = _slrt("layanan", str(LOGS), "-r", str(REGISTER), "--out", str(tmp_path / "o"), "--per-tanggal", "kemarin",
                cwd=tmp_path)
    assert res.returncode == 2
    res = _slrt("layanan", str(tmp_path / "tidak_ada"), "-r", str(REGISTER), "--out", str(tmp_path / "o"), cwd=tmp_path)
    assert res.returncode == 2
    res = _slrt("layanan", "--help", "--lang", "en", cwd=tmp_path)
    assert res.returncode == 0 and "SLRT desk" in res.stdout


def test_sample_log_matches_its_truth(run_id):
    _, out, _ = run_id
    truth = pl.read_csv(SAMPLE / "layanan" / "truth.csv", infer_schema=False)
    got = pl.read_csv(out / "layanan.csv", infer_schema=False)
    assert got.height == truth.height  # every visit accounted for, once
    both = truth.join(got, on=["source_file", "source_row"], how="left", suffix="_got")
    assert both.filter(pl.col("situasi") != pl.col("situasi_got")).height == 0
    assert both.filter(pl.col("person_id").fill_null("") != pl.col("person_id_got").fill_null("")).height == 0


def _text(path: Path) -> str:
    if path.suffix == ".parquet":
        return "\n".join(map(str, pl.read_parquet(path).iter_rows()))
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    return path.read_text("utf-8-sig")


def test_outputs_hold_to_the_privacy_rule(run_id):
    res, out, folder = run_id
    rule = tomllib.loads((REPO / "schemas" / "privacy.toml").read_text("utf-8"))["layanan"]
    reg = pl.read_parquet(REGISTER)
    ids = {i for i in set(reg["nik"].drop_nulls()) | set(reg["no_kk"].drop_nulls()) if len(i) == 16}
    logs = pl.read_csv(LOGS / "layanan_puskesos_02.csv", separator=";", infer_schema=False)
    ids |= {i for i in logs["NIK"].drop_nulls() if len(i) == 16}
    born = {d.strftime("%d/%m/%Y") for d in reg["tanggal_lahir"].drop_nulls() if d.year < 2000}
    written = {p for p in out.rglob("*") if p.is_file()}
    covered = {p for spec in rule.values() for pattern in spec["files"] for p in out.glob(pattern) if p.is_file()}
    assert written and written <= covered, sorted(str(p.relative_to(out)) for p in written - covered)
    for name, spec in rule.items():
        files = sorted({p for pattern in spec["files"] for p in out.glob(pattern) if p.is_file()})
        text = "\n".join(_text(p) for p in files) if files else res.stdout + res.stderr + (folder / "slrt.log").read_text("utf-8")
        found = set(SIXTEEN.findall(text))
        if spec["nik"] in ("masked", "absent") and spec["no_kk"] in ("masked", "absent"):
            assert not found, (name, len(found))
        elif spec["nik"] == "full":
            assert found & ids, name
        if spec["tanggal_lahir"] == "absent":
            assert not [d for d in born if d in text], name


def test_desk_template_reads_back(tmp_path):
    from openpyxl import load_workbook

    from slrt_cli.layanan import desk_schema
    from slrt_cli.schemas import load_schema

    path = tmp_path / "buku_layanan.xlsx"
    res = _slrt("template", "--layanan", "--out", str(path), cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    ws = load_workbook(path).worksheets[0]
    assert ws.title == "Buku Layanan"  # the desk's log, not a verivali sheet
    guide = "\n".join(str(c.value) for row in load_workbook(path).worksheets[1].iter_rows() for c in row if c.value)
    assert "Buku Layanan" in guide and "verivali" not in guide.lower()
    titles = [c.value for c in ws[1]]
    schema = desk_schema(load_schema())
    fields = [schema.match_header(t)[0] for t in titles]
    assert fields[:4] == ["tanggal_kunjungan", "nik", "no_kk", "nama"] and "status_rujukan" in fields
    lists = {str(d.sqref).split(":")[0]: d.formula1 for d in ws.data_validations.dataValidation}
    col = "ABCDEFGHIJKLMNOPQR"[fields.index("kategori")]
    assert "Kesehatan" in lists[f"{col}2"] and "Lainnya" in lists[f"{col}2"]
    assert ws.column_dimensions["B"].number_format == "@"  # NIK typed as text


def test_the_month_report_carries_the_desk_section(tmp_path):
    """`slrt report RUN --layanan DESK` adds the desk's section to laporan.xlsx and laporan.html:
    visitors and needs per desa and category, the share already in the register, referrals answered
    and their response times (issue 12)."""
    import openpyxl
    from typer.testing import CliRunner

    from slrt_cli.cli import app

    run_out, desk_out = tmp_path / "hasil", tmp_path / "layanan"
    runner = CliRunner()
    done = runner.invoke(app, ["run", "-r", str(REGISTER), str(SAMPLE / "desa"),
                               "--out", str(run_out), "-q"])
    assert done.exit_code in (0, 1), done.output
    done = runner.invoke(app, ["layanan", str(LOGS), "-r",
                               str(REGISTER), "--out", str(desk_out), "-q"])
    assert done.exit_code in (0, 1), done.output
    done = runner.invoke(app, ["report", str(run_out), "--layanan", str(desk_out)])
    assert done.exit_code == 0, done.output
    wb = openpyxl.load_workbook(run_out / "laporan.xlsx")
    assert "Layanan SLRT" in wb.sheetnames
    rows = {r[0]: r[1] for r in wb["Layanan SLRT"].iter_rows(values_only=True) if r and r[0]}
    assert rows["Kunjungan dibaca"] == "64"
    assert any("DTKS/DTSEN" in k and "%" in str(v) for k, v in rows.items())
    assert any(" / " in k for k in rows)  # per desa and category
    page = (run_out / "laporan.html").read_text(encoding="utf-8")
    assert "Layanan SLRT" in page and "Kunjungan dibaca" in page
    done = runner.invoke(app, ["report", str(run_out)])  # without it: the month's report alone, as before
    assert done.exit_code == 0 and "Layanan SLRT" not in openpyxl.load_workbook(run_out / "laporan.xlsx").sheetnames
