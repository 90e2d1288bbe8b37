"""Fix-files (perbaikan/…_perbaikan.xlsx) read back: what a village corrects from, and a round trip.

Every workbook is built here from synthetic people only and read back with openpyxl.
"""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from openpyxl.utils import get_column_letter

from slrt_cli.pipeline import validate
from slrt_cli.report.labels import num_format

TODAY = dt.date(2026, 11, 22)
NIK_A = "3201014508900001"  # woman, 05-08-1990
NIK_B = "3201011508850002"  # man, 15-08-1985
NIK_C = "3201015012150003"  # woman, 10-12-2015
NIK_D = "3201010101800004"  # man, 01-01-1980
KK = "3201011201150003"
TITLES = ["NO", "NIK", "NO KK", "NAMA", "TGL LAHIR", "JK", "HUB KELUARGA", "STATUS", "KETERANGAN"]
OWN = ["SLRT_BARIS_ASAL", "SLRT_STATUS", "SLRT_ALASAN"]
ERROR_FILL, WARNING_FILL = "FFFFC7CE", "FFFFEB9C"


def village_book(path: Path) -> Path:
    """A village's file: two title rows, the header on row 3 (NIK in column B), one household of
    five: row 4 the head, a birth date that does not exist (flagged), row 5 a bad sex code
    (flagged), row 6 no name (rejected), row 7 a birth date in the future (rejected) and a NIK
    typed as a number, row 8 clean."""
    path.parent.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["DAFTAR HASIL VERIVALI DESA CONTOH"])
    ws.append(["BULAN NOVEMBER 2026"])
    ws.append(TITLES)
    ws.append([1, NIK_A, KK, "WARGA CONTOH SATU", "35-08-1990", "P", "KEPALA", "DITEMUKAN", ""])
    ws.append([2, NIK_B, KK, "WARGA CONTOH DUA", dt.datetime(1985, 8, 15), "X", "SUAMI", "DITEMUKAN", ""])
    ws.append([3, NIK_C, KK, "", dt.datetime(2015, 12, 10), "P", "ANAK", "DITEMUKAN", "nama lupa"])
    ws.append([4, int(NIK_D), KK, "WARGA CONTOH EMPAT", dt.datetime(2030, 1, 1), "L", "FAMILI LAIN", "DITEMUKAN", ""])
    ws.append([5, "3201014508120005", KK, "WARGA CONTOH LIMA", dt.datetime(2012, 8, 5), "P", "ANAK", "DITEMUKAN", 3000])
    wb.save(path)
    return path


@pytest.fixture(scope="module")
def fixed(tmp_path_factory):
    """(report, fix-file workbook) of one validation in Bahasa Indonesia."""
    root = tmp_path_factory.mktemp("fix")
    village_book(root / "masuk" / "kec" / "desa_contoh.xlsx")
    report = validate([root / "masuk"], root / "hasil", today=TODAY)
    path = root / "hasil" / "perbaikan" / "kec" / "desa_contoh_perbaikan.xlsx"
    return report, openpyxl.load_workbook(path), path


def header_of(ws) -> list:
    return [c.value for c in ws[1]]


def column_of(ws, title: str) -> int:
    """1-based column of ``title`` in the fix-file's header (exactly one)."""
    head = header_of(ws)
    assert head.count(title) == 1, head
    return head.index(title) + 1


def row_of(ws, source_row: int) -> int:
    """The fix-file row holding the village's row ``source_row``."""
    return next(r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == source_row)


def test_slrt_columns_are_prefixed_and_the_village_columns_keep_their_titles_and_order(fixed):
    _, wb, _ = fixed
    ws = wb["Perbaikan"]
    head = header_of(ws)
    assert head == ["SLRT_BARIS_ASAL", *TITLES, "SLRT_STATUS", "SLRT_ALASAN"]
    assert len(set(head)) == len(head)  # the village's STATUS and slrt's never collide
    assert [ws.cell(r, 1).value for r in range(2, ws.max_row + 1)] == [4, 5, 6, 7]  # flagged and rejected only
    status = column_of(ws, "SLRT_STATUS")
    assert [ws.cell(r, status).value for r in range(2, 6)] == ["ditandai", "ditandai", "ditolak", "ditolak"]
    assert ws.cell(row_of(ws, 5), column_of(ws, "STATUS")).value == "DITEMUKAN"  # the village's own status


def test_reasons_name_the_column_as_it_stands_in_the_fix_file(fixed):
    _, wb, _ = fixed
    ws = wb["Perbaikan"]
    reasons = ws.cell(row_of(ws, 5), column_of(ws, "SLRT_ALASAN")).value
    jk = get_column_letter(column_of(ws, "JK"))
    assert jk == "G"  # F in the village's file: slrt's row-number column comes first here
    assert f"[JK ({jk})]" in reasons and "(F)" not in reasons
    rejected = ws.cell(row_of(ws, 6), column_of(ws, "SLRT_ALASAN")).value
    assert rejected.splitlines()[0].startswith(f"[NAMA ({get_column_letter(column_of(ws, 'NAMA'))})]")


def test_each_faulty_cell_is_highlighted_with_its_reason_as_a_comment(fixed):
    _, wb, _ = fixed
    ws = wb["Perbaikan"]
    sex = ws.cell(row_of(ws, 5), column_of(ws, "JK"))
    assert sex.value == "X" and sex.fill.fgColor.rgb == WARNING_FILL
    assert sex.comment is not None and "Jenis kelamin" in sex.comment.text
    name = ws.cell(row_of(ws, 6), column_of(ws, "NAMA"))
    assert name.value is None and name.fill.fgColor.rgb == ERROR_FILL and "Nama kosong" in name.comment.text
    born = ws.cell(row_of(ws, 7), column_of(ws, "TGL LAHIR"))
    assert born.value == dt.datetime(2030, 1, 1) and born.comment is not None
    nik = ws.cell(row_of(ws, 7), column_of(ws, "NIK"))
    assert nik.value == NIK_D and nik.data_type == "s" and nik.number_format == "@"  # identifiers stay text
    assert nik.comment is not None and nik.fill.fgColor.rgb == WARNING_FILL
    clean = ws.cell(row_of(ws, 5), column_of(ws, "NAMA"))  # a cell without fault: plain
    assert clean.comment is None and clean.fill.fgColor.rgb in ("00000000", None)
    assert ws.cell(row_of(ws, 6), column_of(ws, "SLRT_STATUS")).fill.fgColor.rgb == ERROR_FILL
    comments = [c for row in ws.iter_rows() for c in row if c.comment is not None]
    assert {c.comment.author for c in comments} == {"slrt"} and len(comments) == 5  # TGL LAHIR, JK, NAMA, TGL, NIK


def test_the_first_sheet_explains_what_to_do_in_plain_bahasa(fixed):
    _, wb, _ = fixed
    assert wb.sheetnames == ["Petunjuk", "Perbaikan"]
    ws = wb["Petunjuk"]
    text = "\n".join(str(c.value) for row in ws.iter_rows() for c in row if c.value is not None)
    assert "desa_contoh.xlsx" in text and "SLRT_" in text and "kirim" in text.lower()
    assert "merah" in text and "kuning" in text  # what the colours mean
    assert "{" not in text and "[NIK (C)] berarti kolom NIK, huruf C" in text  # the example is this file's
    counts = {row[1].value.split(" (")[0]: row[0] for row in ws.iter_rows() if isinstance(row[0].value, int)}
    assert counts["Baris ditolak"].value == 2 and counts["Baris ditandai"].value == 2
    assert counts["Baris ditolak"].number_format == num_format("int", "id")  # 3.000 in Indonesian, whatever the locale


def test_numbers_and_dates_are_formatted_the_indonesian_way(fixed):
    _, wb, path = fixed
    ws = wb["Perbaikan"]
    born = ws.cell(row_of(ws, 5), column_of(ws, "TGL LAHIR"))
    assert born.value == dt.datetime(1985, 8, 15) and born.number_format == "dd/mm/yyyy"
    no = ws.cell(row_of(ws, 5), column_of(ws, "NO"))
    assert no.value == 2 and no.number_format == "[$-421]General"  # the village's number, as typed
    assert ws.cell(row_of(ws, 5), 1).number_format == "0"  # a row number: no thousands separator


def test_print_set_up_and_frozen_header(fixed):
    _, wb, _ = fixed
    ws = wb["Perbaikan"]
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == f"A1:{get_column_letter(ws.max_column)}5"
    assert ws.page_setup.orientation == "landscape" and str(ws.page_setup.paperSize) == "9"  # A4
    assert ws.print_title_rows == "$1:$1"
    assert ws.sheet_properties.pageSetUpPr.fitToPage and ws.page_setup.fitToWidth in (None, 1)  # 1: the default
    assert ws.page_setup.fitToHeight == 0
    guide = wb["Petunjuk"]
    assert str(guide.page_setup.paperSize) == "9" and guide.sheet_properties.pageSetUpPr.fitToPage


def test_english_fix_file(tmp_path):
    village_book(tmp_path / "masuk" / "desa_contoh.xlsx")
    validate([tmp_path / "masuk"], tmp_path / "hasil", today=TODAY, lang="en")
    wb = openpyxl.load_workbook(tmp_path / "hasil" / "perbaikan" / "desa_contoh_perbaikan.xlsx")
    assert wb.sheetnames == ["Instructions", "Fixes"]
    ws = wb["Fixes"]
    assert header_of(ws) == ["SLRT_SOURCE_ROW", *TITLES, "SLRT_STATUS", "SLRT_REASON"]
    assert ws.cell(2, column_of(ws, "SLRT_STATUS")).value == "flagged"
    born = ws.cell(3, column_of(ws, "TGL LAHIR"))
    assert born.number_format == "dd mmm yyyy" and ws.cell(3, column_of(ws, "NO")).number_format == "General"
    sex = ws.cell(3, column_of(ws, "JK"))
    assert sex.comment is not None and "sex" in sex.comment.text.lower()
    guide = [str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value is not None]
    assert any("send it back" in line for line in guide) and not any("{" in line for line in guide)
    counts = [row[0] for row in wb["Instructions"].iter_rows() if isinstance(row[0].value, int)]
    assert counts and all(c.number_format == num_format("int", "en") for c in counts)


def test_a_split_column_is_not_repeated_and_its_faults_mark_the_village_column(tmp_path):
    """TTL (place and date of birth in one cell) is read as two fields; the fix-file shows the
    village's TTL column only, and a bad date marks it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["NIK", "NO KK", "NAMA", "TTL", "JK"])
    ws.append([NIK_A, KK, "WARGA CONTOH SATU", "BOGOR, 05-08-1990", "P"])
    ws.append([NIK_B, KK, "WARGA CONTOH DUA", "BOGOR, 35-08-1985", "L"])
    (tmp_path / "masuk").mkdir()
    wb.save(tmp_path / "masuk" / "ttl.xlsx")
    validate([tmp_path / "masuk"], tmp_path / "hasil", today=TODAY)
    fix = openpyxl.load_workbook(tmp_path / "hasil" / "perbaikan" / "ttl_perbaikan.xlsx")["Perbaikan"]
    assert header_of(fix) == ["SLRT_BARIS_ASAL", "NIK", "NO KK", "NAMA", "TTL", "JK", "SLRT_STATUS", "SLRT_ALASAN"]
    ttl = fix.cell(2, column_of(fix, "TTL"))
    assert ttl.value == "BOGOR, 35-08-1985" and ttl.comment is not None
    assert "[TTL (E)]" in fix.cell(2, column_of(fix, "SLRT_ALASAN")).value


def test_a_file_of_several_sheets_names_the_sheet_of_each_row(tmp_path):
    wb = openpyxl.Workbook()
    for name, nik, sex in (("RW 01", NIK_A, "X"), ("RW 02", NIK_B, "Y")):
        ws = wb.create_sheet(name)
        ws.append(["NIK", "NO KK", "NAMA", "TGL LAHIR", "JK"])
        ws.append([nik, KK, "WARGA CONTOH", dt.datetime(1990, 8, 5), sex])
    del wb["Sheet"]
    (tmp_path / "masuk").mkdir()
    wb.save(tmp_path / "masuk" / "rw.xlsx")
    validate([tmp_path / "masuk"], tmp_path / "hasil", today=TODAY)
    fix = openpyxl.load_workbook(tmp_path / "hasil" / "perbaikan" / "rw_perbaikan.xlsx")["Perbaikan"]
    assert header_of(fix)[:2] == ["SLRT_BARIS_ASAL", "SLRT_LEMBAR_ASAL"] and fix.freeze_panes == "C2"
    assert [fix.cell(r, 2).value for r in (2, 3)] == ["RW 01", "RW 02"]
    assert "[JK (G)]" in fix.cell(2, column_of(fix, "SLRT_ALASAN")).value


def test_columns_titled_slrt_are_never_read_as_data(tmp_path):
    """slrt's own columns (SLRT_*) in a file sent back are not fields, not extras, not content."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["SLRT_BARIS_ASAL", "NIK", "NO KK", "NAMA", "TGL LAHIR", "JK", "STATUS", "SLRT_STATUS", "SLRT_ALASAN",
               "SLRT_NIK"])
    ws.append([5, NIK_A, KK, "WARGA CONTOH SATU", dt.datetime(1990, 8, 5), "P", "DITEMUKAN", "MENINGGAL",
               "[JK (G)] alasan lama", NIK_B])
    (tmp_path / "masuk").mkdir()
    wb.save(tmp_path / "masuk" / "kembali.xlsx")
    report = validate([tmp_path / "masuk"], tmp_path / "hasil", today=TODAY)
    rows = pl.read_parquet(tmp_path / "hasil" / "rows.parquet")
    assert rows["status_verivali"].to_list() == ["DITEMUKAN"] and rows["nik"].to_list() == [NIK_A]
    assert not [c for c in rows.columns if "SLRT" in c.upper()]
    assert not report.issue_table.filter(pl.col("column").str.contains("(?i)slrt")).height


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_slrt_column_title_carries_the_prefix_the_reader_ignores(lang):
    from slrt_cli.i18n import catalog
    from slrt_cli.io.titles import is_own_title

    titles = {k: v for k, v in catalog(lang).items() if k.startswith("fixfile_") and k.endswith("_column")}
    assert len(titles) == 4 and all(v.startswith("SLRT_") and is_own_title(v) for v in titles.values())


def correct(path: Path) -> None:
    """What the village does: fix the highlighted cells in place and save."""
    wb = openpyxl.load_workbook(path)
    ws = wb["Perbaikan"]
    ws.cell(row_of(ws, 4), column_of(ws, "TGL LAHIR")).value = dt.datetime(1990, 8, 5)
    ws.cell(row_of(ws, 5), column_of(ws, "JK")).value = "L"
    ws.cell(row_of(ws, 6), column_of(ws, "NAMA")).value = "ANAK CONTOH TIGA"
    ws.cell(row_of(ws, 7), column_of(ws, "TGL LAHIR")).value = dt.datetime(1980, 1, 1)
    wb.save(path)


def test_round_trip_a_corrected_fix_file_validates_to_the_corrected_rows(tmp_path):
    village_book(tmp_path / "masuk" / "desa_contoh.xlsx")
    validate([tmp_path / "masuk"], tmp_path / "hasil", today=TODAY)
    back = tmp_path / "kembali" / "desa_contoh_perbaikan.xlsx"  # as the village sends it back
    back.parent.mkdir()
    shutil.copy(tmp_path / "hasil" / "perbaikan" / "desa_contoh_perbaikan.xlsx", back)
    correct(back)
    report = validate([back.parent], tmp_path / "hasil2", today=TODAY)
    rows = pl.read_parquet(tmp_path / "hasil2" / "rows.parquet").sort("source_row")
    assert rows.height == 4 and set(rows["source_sheet"]) == {"Perbaikan"}  # the guide sheet is no data
    assert rows["status"].to_list() == ["accepted"] * 4  # NIK D, a number once, is a text cell in the fix-file
    assert rows["nama"].to_list() == ["WARGA CONTOH SATU", "WARGA CONTOH DUA", "ANAK CONTOH TIGA", "WARGA CONTOH EMPAT"]
    assert rows["jenis_kelamin"].to_list() == ["2", "1", "2", "1"]
    assert rows["tanggal_lahir"].to_list() == [dt.date(1990, 8, 5), dt.date(1985, 8, 15), dt.date(2015, 12, 10),
                                               dt.date(1980, 1, 1)]
    assert rows["nik"].to_list() == [NIK_A, NIK_B, NIK_C, NIK_D]
    assert rows["status_verivali"].to_list() == ["DITEMUKAN"] * 4 and rows["hub_kk"].to_list() == ["1", "2", "3", "8"]
    assert not [c for c in rows.columns if "SLRT" in c.upper()]
    assert report.status_counts()["accepted"] == 4 and not (tmp_path / "hasil2" / "perbaikan").exists()


def test_a_fix_file_sent_back_with_faults_left_gets_a_fix_file_without_repeated_columns(tmp_path):
    village_book(tmp_path / "masuk" / "desa_contoh.xlsx")
    validate([tmp_path / "masuk"], tmp_path / "hasil", today=TODAY)
    back = tmp_path / "kembali"
    shutil.copytree(tmp_path / "hasil" / "perbaikan", back)  # sent back uncorrected
    validate([back], tmp_path / "hasil2", today=TODAY)
    wb = openpyxl.load_workbook(tmp_path / "hasil2" / "perbaikan" / "desa_contoh_perbaikan_perbaikan.xlsx")
    head = header_of(wb["Perbaikan"])
    assert head == ["SLRT_BARIS_ASAL", *TITLES, "SLRT_STATUS", "SLRT_ALASAN"]
