"""Outputs of `validate` read back: fix-files, issues, rows (built from the messy fixture)."""

from __future__ import annotations

import datetime as dt
import json

import openpyxl
import polars as pl
import pytest

from conftest import NIK_HEAD, NIK_SPOUSE
from slrt_cli.export import ISSUE_HEADERS
from slrt_cli.i18n import catalog
from slrt_cli.pipeline import validate


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    from conftest import build_messy_folder

    root = tmp_path_factory.mktemp("out")
    folder = build_messy_folder(root / "masuk")
    report = validate([folder], root / "hasil", today=dt.date(2026, 11, 22))
    return report, root / "hasil"


def test_fix_file_holds_flagged_and_rejected_rows_as_sent(outputs):
    report, out = outputs
    wb = openpyxl.load_workbook(out / "perbaikan" / "desa_contoh_perbaikan.xlsx")
    ws = wb["Perbaikan"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref.startswith("A1:")
    header = [c.value for c in ws[1]]
    assert header[0] == "SLRT_BARIS_ASAL" and header[-2:] == ["SLRT_STATUS", "SLRT_ALASAN"]
    assert header[1:10] == ["NO", "NIK", "NO KK", "NAMA", "TGL LAHIR", "JK", "HUB KELUARGA", "ALAMAT", "KETERANGAN LAIN"]
    body = [[c.value for c in row] for row in ws.iter_rows(min_row=2)]
    expected = report.table.filter(
        (pl.col("source_file") == "desa_contoh.xlsx") & (pl.col("status") != "accepted")
    )["source_row"].to_list()
    assert [r[0] for r in body] == expected
    by_row = {r[0]: r for r in body}
    spouse = by_row[6]
    assert spouse[2] == NIK_SPOUSE and ws.cell(2, 3).data_type == "s"  # identifiers as text cells
    assert spouse[5] == dt.datetime(1985, 8, 15)  # a date cell stays a date cell
    assert "tersimpan sebagai angka" in spouse[-1]  # the reason, in Bahasa
    rejected = by_row[8]
    assert rejected[-2] == "ditolak" and "Nama kosong" in rejected[-1]
    # reasons are one per line, errors first
    assert rejected[-1].splitlines()[0].startswith("[TGL LAHIR (F)] Tidak ada NIK") or rejected[-1].splitlines()[0].startswith("[NAMA (E)]")


def test_accepted_rows_are_not_in_fix_files_and_clean_files_get_none(outputs):
    report, out = outputs
    files = sorted(p.name for p in (out / "perbaikan").rglob("*.xlsx"))
    assert files == ["desa2_perbaikan.xlsx", "desa_contoh_perbaikan.xlsx"]
    wb = openpyxl.load_workbook(out / "perbaikan" / "desa_contoh_perbaikan.xlsx")
    names = [r[4] for r in wb["Perbaikan"].iter_rows(min_row=2, values_only=True)]
    assert "WARGA CONTOH SATU" not in names  # accepted row (5) stays out


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_message_renders_completely(outputs, lang, tmp_path):
    report, _ = outputs
    from slrt_cli.export import write_issues
    from slrt_cli.schemas import load_schema

    write_issues(report, tmp_path / "i.csv", lang, load_schema())
    issues = pl.read_csv(tmp_path / "i.csv", infer_schema_length=0)
    assert issues.columns == ISSUE_HEADERS[lang]
    messages = issues[ISSUE_HEADERS[lang][-1]].to_list()
    assert messages and all("{" not in m for m in messages)
    assert len(set(issues[ISSUE_HEADERS[lang][0]])) >= 10


def test_rows_parquet_keeps_identifiers_as_text_and_extras(outputs):
    _, out = outputs
    rows = pl.read_parquet(out / "rows.parquet")
    assert rows.schema["nik"] == pl.Utf8 and rows.schema["tanggal_lahir"] == pl.Date
    assert NIK_HEAD in rows["nik"].to_list()
    assert "x:KETERANGAN LAIN" in rows.columns and "x:NO" in rows.columns
    assert rows.filter(pl.col("source_row") == 6)["nik_numeric"].to_list() == [True]
    for _, part in rows.group_by("source_file", maintain_order=True):
        assert part["source_row"].to_list() == sorted(part["source_row"].to_list())  # input order


def test_summary_counts_match_rows(outputs):
    report, out = outputs
    summary = json.loads((out / "summary.json").read_text())
    per_file = {f["file"]: f for f in summary["files"]}
    assert per_file["desa_contoh.xlsx"]["rows"] == 6 and per_file["desa_contoh.xlsx"]["rows_skipped"] == 3
    assert per_file["fake.xls"]["readable"] is False
    assert summary["schema_version"] == report.schema_version
    assert summary["totals"]["rows"] == sum(f["rows"] for f in summary["files"])


def test_issue_codes_are_documented_in_both_catalogs(outputs):
    report, _ = outputs
    for code in set(report.issue_table["code"]):
        assert code in catalog("id") and code in catalog("en")
