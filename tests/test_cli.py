"""`slrt` end to end: Typer's runner for behaviour, a real subprocess for the installed command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from conftest import ALL_IDS, NIK_SPOUSE
from slrt_cli.cli import app

runner = CliRunner()
SLRT = str(Path(sys.executable).with_name("slrt"))
REPO = Path(__file__).resolve().parent.parent


def invoke(*args: str):
    return runner.invoke(app, list(args))


def assert_no_full_ids(*texts: str) -> None:
    for text in texts:
        for ident in ALL_IDS:
            assert ident not in text, f"full identifier leaked: {ident[:6]}…"


def test_help_documents_every_command_with_example_and_exit_codes():
    top = invoke("--help")
    assert top.exit_code == 0 and "validate" in top.stdout
    for command in app.registered_commands:
        res = invoke(command.name, "--help")
        assert res.exit_code == 0, command.name
        assert "Contoh" in res.stdout and "Kode keluar" in res.stdout, command.name


def test_version():
    res = invoke("--version")
    assert res.exit_code == 0 and res.stdout.startswith("slrt ")


def test_validate_messy_folder(messy_folder, tmp_path):
    out = tmp_path / "hasil"
    res = invoke("validate", str(messy_folder), "--out", str(out))
    assert res.exit_code == 1, res.output  # rows with errors: outputs still written
    assert sorted(p.name for p in out.iterdir()) == ["issues.csv", "perbaikan", "rows.parquet", "summary.json"]
    rows = pl.read_parquet(out / "rows.parquet")
    assert rows.height == 8  # every data row read: 6 in the workbook, 2 in the CSV
    assert rows["status"].value_counts().sort("status").rows() == [("accepted", 2), ("flagged", 4), ("rejected", 2)]
    issues = (out / "issues.csv").read_bytes()
    assert issues.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    text = issues.decode("utf-8-sig")
    assert "FILE_NOT_SPREADSHEET" in text and "IDENTITY_MISSING" in text
    assert "'=1+1" not in text  # the formula-looking extra cell is not in issues.csv at all
    summary = json.loads((out / "summary.json").read_text())
    assert summary["totals"]["rows"] == 8 and summary["totals"]["files_readable"] == 2
    assert all(len(f["sha256"]) == 64 for f in summary["files"] if f["readable"])
    assert (out / "perbaikan" / "desa_contoh_perbaikan.xlsx").is_file()
    assert_no_full_ids(res.stdout, res.stderr, text)
    assert "Ringkasan validasi" in res.stdout


def test_json_output_equals_the_library_summary(messy_folder, tmp_path):
    from slrt_cli.export import summarise
    from slrt_cli.pipeline import validate

    res = invoke("validate", str(messy_folder), "--out", str(tmp_path / "a"), "--json")
    body = json.loads(res.stdout)  # nothing else on stdout
    lib = summarise(validate([messy_folder]))
    assert body["totals"] == lib["totals"]
    assert body["issues_by_code"] == lib["issues_by_code"]
    assert body["exit_code"] == res.exit_code == 1


def test_english_messages(messy_folder, tmp_path):
    out = tmp_path / "en"
    invoke("validate", str(messy_folder), "--out", str(out), "--lang", "en")
    text = (out / "issues.csv").read_text("utf-8-sig")
    assert text.startswith("code,severity,file,sheet,row,column,value,message")
    assert "Name is empty" in text


def test_existing_output_needs_overwrite_and_is_replaced_whole(messy_folder, tmp_path):
    out = tmp_path / "hasil"
    invoke("validate", str(messy_folder), "--out", str(out))
    (out / "stale.txt").write_text("from an earlier run")
    res = invoke("validate", str(messy_folder), "--out", str(out))
    assert res.exit_code == 2 and "--overwrite" in res.stderr
    res = invoke("validate", str(messy_folder), "--out", str(out), "--overwrite")
    assert res.exit_code == 1
    assert not (out / "stale.txt").exists()


def test_a_foreign_folder_is_never_replaced(messy_folder, tmp_path):
    out = tmp_path / "dokumen"
    out.mkdir()
    (out / "penting.docx").write_text("not ours")
    res = invoke("validate", str(messy_folder), "--out", str(out), "--overwrite")
    assert res.exit_code == 2
    assert (out / "penting.docx").exists()


def test_missing_input_is_a_usage_error(tmp_path):
    res = invoke("validate", str(tmp_path / "tidak-ada"), "--out", str(tmp_path / "o"))
    assert res.exit_code == 2
    assert "tidak ditemukan" in res.stderr


def test_nothing_readable_exits_3_and_still_explains(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "kosong.xlsx").write_bytes(b"")
    out = tmp_path / "o"
    res = invoke("validate", str(folder), "--out", str(out))
    assert res.exit_code == 3
    assert "FILE_EMPTY" in (out / "issues.csv").read_text("utf-8-sig")


def test_internal_error_is_exit_4_and_masked_even_with_debug(messy_folder, tmp_path, monkeypatch):
    import slrt_cli.pipeline as pipeline

    def boom(*a, **k):
        raise RuntimeError(f"unexpected value {NIK_SPOUSE} in row")

    monkeypatch.setattr(pipeline, "validate_batch", boom)
    log = tmp_path / "slrt.log"
    res = invoke("validate", str(messy_folder), "--out", str(tmp_path / "o"), "--debug", "--log-file", str(log))
    assert res.exit_code == 4
    assert "Traceback" in res.stderr and "RuntimeError" in res.stderr
    assert_no_full_ids(res.stdout, res.stderr, log.read_text())
    assert not (tmp_path / "o").exists()  # nothing half-written


def test_verbose_log_file_has_steps_and_no_personal_data(messy_folder, tmp_path):
    log = tmp_path / "slrt.log"
    res = invoke("validate", str(messy_folder), "--out", str(tmp_path / "o"), "-v", "--log-file", str(log))
    text = log.read_text()
    assert "validated files=3 rows=8" in text
    assert_no_full_ids(res.stdout, res.stderr, text)
    assert "WARGA" not in text  # no names in logs


def test_installed_command_on_sample_data(tmp_path):
    """The README's quick start: the real `slrt` executable on the bundled sample."""
    out = tmp_path / "hasil"
    proc = subprocess.run(
        [SLRT, "validate", str(REPO / "sample_data" / "desa"), "--out", str(out), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, "NO_COLOR": "1"},
        timeout=300,
    )
    assert proc.returncode in (0, 1), proc.stderr
    body = json.loads(proc.stdout)
    truth = pl.read_csv(REPO / "sample_data" / "truth.csv", infer_schema_length=0)
    rows = pl.read_parquet(out / "rows.parquet")
    assert rows.height == truth.height == body["totals"]["rows"]  # rows out == data rows in
    keys = ["source_file", "source_sheet", "source_row"]
    got = rows.select(keys).with_columns(pl.col("source_row").cast(pl.Utf8), pl.col("source_sheet").fill_null(""))
    want = truth.select(keys).with_columns(pl.col("source_sheet").fill_null(""))
    assert got.sort(keys).equals(want.sort(keys))
    assert_no_full_ids(proc.stdout, proc.stderr)


def test_the_real_command_exits_fast_with_everything_flushed(tmp_path, messy_folder):
    """`slrt` leaves with os._exit (no interpreter teardown): stdout, the exit code and the log
    file must still be complete."""
    log = tmp_path / "slrt.log"
    proc = subprocess.run(
        [SLRT, "validate", str(messy_folder), "--out", str(tmp_path / "o"), "--json", "-v", "--log-file", str(log)],
        capture_output=True, text=True, env={**os.environ, "NO_COLOR": "1"}, timeout=300,
    )
    assert proc.returncode == 1, proc.stderr  # warnings and errors in the messy files
    assert json.loads(proc.stdout)["totals"]["rows"] == 8
    assert "validated files=3 rows=8" in log.read_text()
    missing = subprocess.run([SLRT, "validate", str(tmp_path / "nowhere"), "--out", str(tmp_path / "o2")],
                             capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert missing.returncode == 2 and "nowhere" in missing.stderr


@pytest.mark.parametrize("argv", [["-m", "slrt_cli", "--version"]])
def test_python_dash_m(argv):
    proc = subprocess.run([sys.executable, *argv], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("slrt ")


@pytest.mark.parametrize("level", ["-v", "-vv", "--debug"])
@pytest.mark.parametrize("command", ["validate", "run", "match"])
def test_no_full_identifier_leaks_at_any_verbosity(messy_folder, tmp_path, command, level, monkeypatch):
    """Known NIKs go in; neither stdout, stderr nor the log file may show one whole, even on an
    internal error raised with a NIK in its message."""
    import slrt_cli.pipeline as pipeline

    reg = tmp_path / "dtks.csv"
    reg.write_text("ID DTKS|NIK|NOKK|NAMA|TANGGAL LAHIR\nSYN1|" + "|".join([NIK_SPOUSE, "3201011201150003",
                   "WARGA CONTOH DUA", "1985-08-15"]) + "\n")
    log = tmp_path / "slrt.log"
    rows = tmp_path / "v"
    invoke("validate", str(messy_folder), "--out", str(rows), "-q")
    args = {
        "validate": ["validate", str(messy_folder)],
        "run": ["run", "-r", str(reg), str(messy_folder)],
        "match": ["match", str(rows / "rows.parquet"), "-r", str(reg)],
    }[command]
    ok = invoke(*args, "--out", str(tmp_path / "ok"), level, "--log-file", str(log))
    assert ok.exit_code in (0, 1), ok.output

    def boom(*a, **k):
        raise ValueError(f"cannot handle {NIK_SPOUSE} / {ALL_IDS[3]}")

    if command == "validate":
        monkeypatch.setattr(pipeline, "validate_batch", boom)
    else:
        import slrt_cli.reconcile

        monkeypatch.setattr(slrt_cli.reconcile, "reconcile", boom)  # the pipeline imports it when it runs
    bad = invoke(*args, "--out", str(tmp_path / "bad"), level, "--log-file", str(log))
    assert bad.exit_code == 4
    assert_no_full_ids(ok.stdout, ok.stderr, bad.stdout, bad.stderr, log.read_text())
