"""The review round-trip: review.xlsx -> reviewer's decisions -> rerun -> next month from the state."""

from __future__ import annotations

import json
import shutil

import openpyxl
import polars as pl
from typer.testing import CliRunner

from slrt_cli.cli import app
from test_run import SAMPLE

runner = CliRunner()
REGISTER = str(SAMPLE / "register" / "dtks.parquet")
KEYS = ["source_file", "source_sheet", "source_row"]


def run(*args):
    res = runner.invoke(app, ["run", "-r", REGISTER, *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def outcome(out, file, sheet, row):
    rec = pl.read_parquet(out / "reconciliation.parquet").with_columns(pl.col("source_sheet").fill_null(""))
    return rec.filter((pl.col("source_file") == file) & (pl.col("source_sheet") == sheet) & (pl.col("source_row") == row)).row(0, named=True)


def test_review_round_trip(tmp_path):
    first = tmp_path / "bulan1"
    run(str(SAMPLE / "desa"), "--out", str(first), "--period", "2025-10")
    wb = openpyxl.load_workbook(first / "review.xlsx")
    ws = wb.active
    header = [c.value for c in ws[3]]
    col = {h: i for i, h in enumerate(header)}
    assert {"source_file", "source_sheet", "source_row", "person_id", "keputusan"} <= set(col)
    assert ws.data_validations.dataValidation  # the sama/beda dropdown
    pairs = [[c.value for c in r] for r in ws.iter_rows(min_row=4)]
    assert len(pairs) >= 2
    same, other = pairs[0], pairs[1]
    ws.cell(4, col["keputusan"] + 1, "sama")
    ws.cell(5, col["keputusan"] + 1, "BEDA")  # case does not matter
    # two invalid decisions: an unknown value, and a row that does not exist
    ws.append([same[col["source_file"]], same[col["source_sheet"]], 9999, same[col["person_id"]]] + [None] * (len(header) - 4))
    ws.cell(ws.max_row, col["keputusan"] + 1, "sama")
    if len(pairs) > 2:
        ws.cell(6, col["keputusan"] + 1, "mungkin")
    decisions = tmp_path / "review_diisi.xlsx"
    wb.save(decisions)

    second = tmp_path / "bulan1b"
    state = tmp_path / "state"
    run(str(SAMPLE / "desa"), "--out", str(second), "--period", "2025-10", "--state", str(state),
        "--decisions", str(decisions))
    key_same = (same[col["source_file"]], same[col["source_sheet"]] or "", int(same[col["source_row"]]))
    key_other = (other[col["source_file"]], other[col["source_sheet"]] or "", int(other[col["source_row"]]))
    got = outcome(second, *key_same)
    assert got["outcome"] == "matched" and got["person_id"] == same[col["person_id"]]
    assert got["match_stage"] == "decision"
    got = outcome(second, *key_other)
    assert got["person_id"] != other[col["person_id"]] or got["outcome"] == "new"
    issues = pl.read_csv(second / "issues.csv", infer_schema_length=0)
    invalid = issues.filter(pl.col("kode") == "DECISION_INVALID")
    assert invalid.height >= 1 and all("review.xlsx" == f for f in invalid["berkas"])
    assert any("tidak ada lagi" in m for m in invalid["pesan"])

    # next month: the same person arrives in a re-saved (different) file, no --decisions given
    month2 = tmp_path / "desa2"
    shutil.copytree(SAMPLE / "desa", month2)
    target = month2 / key_same[0]
    if target.suffix == ".xlsx":
        book = openpyxl.load_workbook(target)
        book.active.cell(1, 1, "DATA BULAN BERIKUTNYA")  # new checksum, same rows
        book.save(target)
    third = tmp_path / "bulan2"
    body = run(str(month2), "--out", str(third), "--period", "2025-11", "--state", str(state))
    got = outcome(third, *key_same)
    assert got["outcome"] == "matched" and got["match_stage"] == "decision"
    got = outcome(third, *key_other)
    assert got["person_id"] != other[col["person_id"]] or got["outcome"] == "new"
    # the files that did not change were already processed in 2025-10: reported, not counted twice
    issues = pl.read_csv(third / "issues.csv", infer_schema_length=0)
    assert issues.filter(pl.col("kode") == "FILE_ALREADY_PROCESSED").height >= 1
    assert body["match"]["rejected"] > 4
