"""Reading village files: formats, layout (titles, two-row headers, notes), odd and hostile files.

Every file is built inside the test; people are synthetic (WARGA CONTOH ..., NIK 3201014508900001).
"""

from __future__ import annotations

import datetime as dt
import struct
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter
from hypothesis import given
from hypothesis import strategies as st

from slrt_cli.errors import UsageError
from slrt_cli.io import readers
from slrt_cli.io.cells import column_letter, compact_rows, convert_row, number_text
from slrt_cli.io.layout import is_numbering_row
from slrt_cli.io.discover import ALLOWED_EXTENSIONS, collect_inputs
from slrt_cli.io.readers import ReadLimits, read_file
from slrt_cli.io.sniff import cfb_stream_names, decode_text, sniff_delimiter
from slrt_cli.model import FileResult, SheetTable
from slrt_cli.schemas import load_schema

# shared/ sits beside the checkout (CI clones main next to it); /work/shared on the workstation
CORPUS = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets",
                 Path("/work/shared/corpus/spreadsheets")) if p.is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets",
)
NIK1, NIK2, NIK3 = "3201014508900001", "3201014508900002", "3201014508900003"


@pytest.fixture(autouse=True)
def _strict(monkeypatch):
    """Bugs must fail the tests, not hide as FILE_UNREADABLE."""
    monkeypatch.setattr(readers, "RAISE_INTERNAL_ERRORS", True)


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def read(path: Path, schema, **limits) -> FileResult:
    return read_file(path, path.name, schema, ReadLimits(**limits) if limits else ReadLimits())


def all_issues(res: FileResult) -> list:
    return res.issues + [i for t in res.sheets for i in t.issues]


def codes(res: FileResult) -> list[str]:
    return [i.code for i in all_issues(res)]


def issue(res: FileResult, code: str):
    found = [i for i in all_issues(res) if i.code == code]
    assert len(found) == 1, (code, codes(res))
    return found[0]


def only_table(res: FileResult) -> SheetTable:
    assert res.readable, res.issues
    assert len(res.sheets) == 1, [t.sheet for t in res.sheets]
    return res.sheets[0]


def col(table: SheetTable, key: str) -> list:
    return table.data[key].to_list()


def write_bytes(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# ---- Excel layout -------------------------------------------------------------------


def test_xlsx_title_rows_offset_numbers_and_dates(tmp_path, schema):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "DATA"
    ws["B1"] = "DAFTAR HASIL VERIVALI DESA CONTOH"
    ws["B2"] = "KECAMATAN CONTOH"
    ws["B3"] = "BULAN MEI 2026"
    ws.append([])  # keeps openpyxl's cursor; rows written explicitly below
    header = ["NO", "NIK", "NOKK", "NAMA", "TANGGAL LAHIR", "DESIL"]
    rows = [
        [1, NIK1, "3201010101900001", "WARGA CONTOH SATU", dt.datetime(1990, 8, 5), 2],
        [2, int(NIK2), "3201010101900001", "WARGA CONTOH DUA", dt.datetime(1991, 1, 2, 13, 30), 2.5],
        [3, "9401014508900003", 9401014508900003, "WARGA CONTOH TIGA", "05-08-1990", None],
    ]
    for r, values in enumerate([header, *rows], start=4):
        for c, value in enumerate(values, start=2):
            ws.cell(row=r, column=c, value=value)
    path = tmp_path / "desa.xlsx"
    wb.save(path)

    res = read(path, schema)
    assert res.format == "xlsx" and res.size == path.stat().st_size and len(res.sha256) == 64
    t = only_table(res)
    assert t.sheet == "DATA" and t.header_rows == (4,)
    assert col(t, "source_row") == [5, 6, 7]
    assert {c.key: c.letter for c in t.columns} == {
        "x:NO": "B", "nik": "C", "no_kk": "D", "nama": "E", "tanggal_lahir": "F", "desil": "G"}
    assert col(t, "nik")[:2] == [NIK1, NIK2]
    assert col(t, "nik#k") == ["s", "n", "s"]
    assert col(t, "nik")[2] == "9401014508900003"  # text NIK above 2**53 intact
    kk_number = col(t, "no_kk")[2]  # the same NIK stored as a number: float64 changed it, no ".0"
    assert col(t, "no_kk#k")[2] == "n" and kk_number.isdigit() and len(kk_number) == 16
    assert col(t, "tanggal_lahir") == ["1990-08-05", "1991-01-02T13:30:00", "05-08-1990"]
    assert col(t, "tanggal_lahir#k") == ["d", "d", "s"]
    assert col(t, "desil") == ["2", "2.5", None] and col(t, "desil#k") == ["n", "n", None]
    assert col(t, "x:NO") == ["1", "2", "3"]
    assert t.data.schema["source_row"].is_integer()
    assert codes(res) == ["COLUMN_EXTRA"]


def test_two_row_header_with_merged_cells_and_numbering_row(tmp_path, schema):
    path = tmp_path / "dua_baris.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("Sheet1")
    ws.merge_range("A1:A2", "NO")
    ws.merge_range("B1:B2", "NIK")
    ws.merge_range("C1:D1", "NAMA")
    ws.write_row("C2", ["ART", "KEPALA KELUARGA"])
    ws.merge_range("E1:F1", "ALAMAT")
    ws.write_row("E2", ["RT", "RW"])
    ws.merge_range("G1:H1", "TEMPAT/TGL LAHIR")
    ws.write_row("G2", ["TEMPAT", "TANGGAL"])
    ws.write_row("A3", [1, 2, 3, 4, 5, 6, 7, 8])
    ws.write_row("A4", [1, NIK1, "WARGA CONTOH SATU", "WARGA CONTOH SATU", "001", "002", "BOGOR", "1990-08-05"])
    ws.write_row("A5", [2, NIK2, "WARGA CONTOH DUA", "WARGA CONTOH SATU", "001", "002", "BOGOR", "1991-01-02"])
    wb.close()

    t = only_table(read(path, schema))
    assert t.header_rows == (1, 2)
    by_letter = {c.letter: (c.header, c.field) for c in t.columns}
    assert by_letter == {
        "A": ("NO", None),
        "B": ("NIK", "nik"),
        "C": ("NAMA ART", "nama"),
        "D": ("NAMA KEPALA KELUARGA", "nama_krt"),
        "E": ("ALAMAT RT", "rt"),
        "F": ("ALAMAT RW", "rw"),
        "G": ("TEMPAT/TGL LAHIR TEMPAT", "tempat_lahir"),
        "H": ("TEMPAT/TGL LAHIR TANGGAL", "tanggal_lahir"),
    }
    assert col(t, "source_row") == [4, 5]
    assert col(t, "rw") == ["002", "002"]
    numbering = next(i for i in t.issues if i.code == "ROWS_SKIPPED_NUMBERING")
    assert numbering.params == {"count": 1, "rows": "3"}
    assert t.rows_skipped == 1


def test_two_row_header_in_csv_fills_blank_upper_cells_from_the_left(tmp_path, schema):
    text = f"NO;NIK;NAMA;ALAMAT;;TGL LAHIR\n;;;RT;RW;\n1;{NIK1};WARGA CONTOH SATU;001;002;05-08-1990\n"
    t = only_table(read(write_bytes(tmp_path, "a.csv", text.encode()), schema))
    assert t.header_rows == (1, 2)
    assert [(c.letter, c.header, c.field) for c in t.columns if c.field in ("rt", "rw")] == [
        ("4", "ALAMAT RT", "rt"), ("5", "ALAMAT RW", "rw")]
    assert col(t, "source_row") == [3]


def test_group_titles_above_the_header_row(tmp_path, schema):
    text = f"NO;NAMA;;NIK;ALAMAT;\n;ART;KEPALA KELUARGA;;RT;RW\n1;WARGA CONTOH SATU;WARGA CONTOH;{NIK1};001;002\n"
    t = only_table(read(write_bytes(tmp_path, "grup.csv", text.encode()), schema))
    assert t.header_rows == (1, 2)
    assert [(c.header, c.field) for c in t.columns if c.field] == [
        ("NAMA ART", "nama"), ("NAMA KEPALA KELUARGA", "nama_krt"), ("NIK", "nik"), ("ALAMAT RT", "rt"),
        ("ALAMAT RW", "rw")]


def test_first_data_row_is_not_taken_for_a_second_header_row(tmp_path, schema):
    text = "NAMA;TGL LAHIR;BANTUAN\nWARGA CONTOH SATU;05-08-1990;PKH\n"
    t = only_table(read(write_bytes(tmp_path, "satu.csv", text.encode()), schema))
    assert t.header_rows == (1,) and col(t, "source_row") == [2]
    assert col(t, "x:BANTUAN") == ["PKH"]


def test_used_range_starting_below_row_one(tmp_path, schema):
    path = tmp_path / "geser.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_row("C3", ["NIK", "NAMA"])
    ws.write_row("C4", [NIK1, "WARGA CONTOH SATU"])
    ws.write_row("C6", [NIK2, "WARGA CONTOH DUA"])
    wb.close()
    t = only_table(read(path, schema))
    assert t.header_rows == (3,) and col(t, "source_row") == [4, 6]
    assert [c.letter for c in t.columns] == ["C", "D"]
    assert next(i for i in t.issues if i.code == "ROWS_SKIPPED_BLANK").params == {"count": 1, "rows": "5"}


def test_blank_rows_notes_and_signature_block_are_skipped(tmp_path, schema):
    path = tmp_path / "catatan.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["NO", "NIK", "NAMA", "ALAMAT", "KETERANGAN"])
    ws.write_row(1, 0, [1, NIK1, "WARGA CONTOH SATU", "KP CONTOH"])
    ws.write_row(2, 0, [2, NIK2, "WARGA CONTOH DUA", "KP CONTOH"])
    ws.write_row(3, 0, [None, None, None, "KP CONTOH"])  # no identity value, mid-data: still a data row
    # row 5 blank
    ws.write_row(5, 0, [3, NIK3, "WARGA CONTOH TIGA", "KP CONTOH"])
    # rows 7-8 blank
    ws.write_row(8, 0, ["JUMLAH", None, "3 ORANG"])
    # row 10 blank
    ws.write(10, 4, "Mengetahui,")
    ws.write(11, 2, "Kepala Desa Contoh")
    # rows 13-14 blank
    ws.write(14, 2, "( WARGA CONTOH KADES )")
    wb.close()

    t = only_table(read(path, schema))
    assert col(t, "source_row") == [2, 3, 4, 6]
    assert col(t, "nama")[2] is None and col(t, "alamat")[2] == "KP CONTOH"
    blank = next(i for i in t.issues if i.code == "ROWS_SKIPPED_BLANK")
    notes = next(i for i in t.issues if i.code == "ROWS_SKIPPED_NOTES")
    assert blank.params == {"count": 6, "rows": "5, 7-8, 10, 13-14"}
    assert notes.params == {"count": 4, "rows": "9, 11-12, 15"}
    assert t.rows_skipped == 10
    assert blank.severity == notes.severity == "info" and blank.row is None


def test_notes_sheet_empty_sheet_and_hidden_data_sheet(tmp_path, schema):
    path = tmp_path / "banyak.xlsx"
    wb = xlsxwriter.Workbook(path)
    notes = wb.add_worksheet("PETUNJUK")
    notes.write_column(0, 0, ["Petunjuk pengisian:", "1. NIK diketik sebagai teks", "2. Nama lengkap"])
    wb.add_worksheet("KOSONG")
    data = wb.add_worksheet("DATA")
    data.write_row(0, 0, ["NIK", "NAMA"])
    data.write_row(1, 0, [NIK1, "WARGA CONTOH SATU"])
    hidden = wb.add_worksheet("LAMA")
    hidden.write_row(0, 0, ["NIK", "NAMA"])
    hidden.write_row(1, 0, [NIK2, "WARGA CONTOH DUA"])
    hidden.hide()
    wb.close()

    res = read(path, schema)  # a hidden sheet is skipped by default (issue 14), read on request
    assert [t.sheet for t in res.sheets] == ["DATA"]
    assert [(i.code, i.sheet, i.severity) for i in res.issues] == [
        ("SHEET_NO_HEADER", "PETUNJUK", "info"), ("SHEET_EMPTY", "KOSONG", "info"), ("SHEET_HIDDEN", "LAMA", "info")]
    res = read(path, schema, read_hidden_sheets=True)
    assert [t.sheet for t in res.sheets] == ["DATA", "LAMA"]
    assert [(i.code, i.sheet, i.severity) for i in res.issues] == [
        ("SHEET_NO_HEADER", "PETUNJUK", "info"), ("SHEET_EMPTY", "KOSONG", "info")]
    assert col(res.sheets[1], "nik") == [NIK2]


def test_duplicate_and_extra_columns_are_kept(tmp_path, schema):
    path = tmp_path / "dobel.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["NIK", "NAMA", "NIK", "Nama Lengkap", "CATATAN RT", "CATATAN RT", None])
    ws.write_row(1, 0, [NIK1, "WARGA CONTOH SATU", NIK2, "WARGA CONTOH", "a", "b", "lepas"])
    wb.close()

    res = read(path, schema)
    t = only_table(res)
    assert [c.key for c in t.columns] == [
        "nik", "nama", "x:NIK", "x:Nama Lengkap", "x:CATATAN RT", "x:CATATAN RT#2", "x:kolom_G"]
    dup = [i for i in t.issues if i.code == "COLUMN_DUPLICATE"]
    assert [(i.params["header"], i.params["field"], i.params["first"]) for i in dup] == [
        ("NIK", "nik", "A"), ("Nama Lengkap", "nama", "B")]
    assert all(i.severity == "warning" for i in dup)
    assert [i.params["header"] for i in t.issues if i.code == "COLUMN_EXTRA"] == [
        "CATATAN RT", "CATATAN RT", "kolom_G"]
    assert col(t, "x:CATATAN RT#2") == ["b"] and col(t, "x:kolom_G") == ["lepas"]


def test_missing_name_column_is_an_error_but_rows_are_returned(tmp_path, schema):
    text = f"NIK,TANGGAL LAHIR\n{NIK1},1990-08-05\n"
    res = read(write_bytes(tmp_path, "tanpa_nama.csv", text.encode()), schema)
    t = only_table(res)
    assert t.data.height == 1
    missing = issue(res, "COLUMN_NAME_MISSING")
    assert missing.severity == "error" and missing.column == "nama"


# ---- text files ---------------------------------------------------------------------


def test_cp1252_semicolon_csv_with_title_row(tmp_path, schema):
    text = f"DAFTAR PENERIMA DESA CONTOH\r\nNIK;NAMA;ALAMAT\r\n{NIK1};WARGA CONTOH SATU;JL. PEÑA CAFÉ, NO 1\r\n"
    res = read(write_bytes(tmp_path, "desa.csv", text.encode("cp1252")), schema)
    t = only_table(res)
    assert res.format == "csv" and t.sheet == "" and t.header_rows == (2,)
    assert col(t, "alamat") == ["JL. PEÑA CAFÉ, NO 1"] and col(t, "source_row") == [3]
    guessed = issue(res, "FILE_ENCODING_GUESSED")
    assert guessed.params == {"encoding": "cp1252", "delimiter": ";"} and guessed.severity == "info"
    assert [c.letter for c in t.columns] == ["1", "2", "3"]


def test_pipe_csv_siks_ng_export(tmp_path, schema):
    header = "ID DTKS|PROVINSI|DESA/KELUARAHAN|NOKK|NIK|NAMA|TANGGAL LAHIR|HUB KELUARGA|KETERANGAN PADAN"
    row = f"ABC123|JAWA BARAT|CONTOH|3201010101900001|{NIK1}|WARGA CONTOH SATU|1990-08-05|KEPALA KELUARGA|PADAN"
    res = read(write_bytes(tmp_path, "siks.csv", f"{header}\n{row}\n".encode()), schema)
    t = only_table(res)
    assert "FILE_ENCODING_GUESSED" not in codes(res)
    assert col(t, "nama_desa") == ["CONTOH"] and col(t, "padan_dukcapil") == ["PADAN"]
    assert col(t, "nik#k") == ["s"]


def test_tab_separated_and_bom(tmp_path, schema):
    tsv = f"NIK\tNAMA\tALAMAT\n{NIK1}\tWARGA CONTOH SATU\tJL. A, B\n"
    t = only_table(read(write_bytes(tmp_path, "a.tsv", tsv.encode()), schema))
    assert col(t, "alamat") == ["JL. A, B"]
    bom = f"\ufeffNIK,NAMA\r\n{NIK1},WARGA CONTOH SATU\r\n"
    res = read(write_bytes(tmp_path, "b.csv", bom.encode("utf-8")), schema)
    assert col(only_table(res), "nik") == [NIK1] and codes(res) == []


def test_scientific_notation_text_is_kept_as_text(tmp_path, schema):
    t = only_table(read(write_bytes(tmp_path, "sci.csv", b"NIK;NAMA\n3.20414E+15;WARGA CONTOH SATU\n"), schema))
    assert col(t, "nik") == ["3.20414E+15"] and col(t, "nik#k") == ["s"]


def test_quoted_field_spanning_lines_keeps_row_numbers(tmp_path, schema):
    # rows numbered as Excel shows the file: a quoted field with a line break stays one row
    text = f'NIK,NAMA,ALAMAT\n{NIK1},WARGA CONTOH SATU,"JL. CONTOH\nRT 01"\n{NIK2},WARGA CONTOH DUA,#N/A\n'
    t = only_table(read(write_bytes(tmp_path, "multi.csv", text.encode()), schema))
    assert col(t, "source_row") == [2, 3]
    assert col(t, "alamat") == ["JL. CONTOH\nRT 01", "#N/A"] and col(t, "alamat#k") == ["s", "e"]


def test_mixed_encoding_and_nul_bytes(tmp_path, schema):
    data = b"NIK;NAMA\n" + f"{NIK1};WARGA CAFÉ\n".encode() + f"{NIK2};WARGA PEÑA\n".encode("cp1252")
    res = read(write_bytes(tmp_path, "campur.txt", data.replace(b"NAMA", b"NA\x00MA")), schema)
    assert col(only_table(res), "nama") == ["WARGA CAFÉ", "WARGA PEÑA"]
    assert issue(res, "FILE_ENCODING_GUESSED").params["encoding"] == "utf-8 + cp1252"


def test_row_limit(tmp_path, schema):
    text = "NIK,NAMA\n" + "".join(f"{NIK1},WARGA CONTOH\n" for _ in range(10))
    res = read(write_bytes(tmp_path, "besar.csv", text.encode()), schema, max_rows_per_sheet=5)
    assert not res.readable and res.sheets == []
    assert "5" in issue(res, "FILE_TOO_LARGE").params["limit"]
    assert "FILE_NO_DATA" not in codes(res)


# ---- other spreadsheet formats ------------------------------------------------------


def test_xls_written_by_xlwt(tmp_path, schema):
    import xlwt

    wb = xlwt.Workbook()
    ws = wb.add_sheet("DATA")
    date_style = xlwt.easyxf(num_format_str="DD/MM/YYYY")
    ws.write(0, 0, "JUDUL")
    for c, h in enumerate(["NIK", "NAMA", "TGL LAHIR"]):
        ws.write(1, c, h)
    ws.write(2, 0, NIK1)
    ws.write(2, 1, "WARGA CONTOH SATU")
    ws.write(2, 2, dt.date(1990, 8, 5), date_style)
    ws.write(3, 0, float(NIK2))
    ws.write(3, 1, "WARGA CONTOH DUA")
    path = tmp_path / "lama.xls"
    wb.save(str(path))

    res = read(path, schema)
    t = only_table(res)
    assert res.format == "xls" and col(t, "source_row") == [3, 4]
    assert col(t, "nik") == [NIK1, NIK2] and col(t, "nik#k") == ["s", "n"]
    assert col(t, "tanggal_lahir") == ["1990-08-05", None] and col(t, "tanggal_lahir#k") == ["d", None]


def test_ods_written_by_odfpy(tmp_path, schema):
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="DATA")
    for values in (["NIK", "NAMA", "DESIL"], [NIK1, "WARGA CONTOH SATU", 3], [NIK2, "WARGA CONTOH DUA", 1]):
        row = TableRow()
        for v in values:
            cell = TableCell(valuetype="float", value=v) if isinstance(v, int) else TableCell(valuetype="string")
            cell.addElement(P(text=str(v)))
            row.addElement(cell)
        table.addElement(row)
    doc.spreadsheet.addElement(table)
    path = tmp_path / "desa.ods"
    doc.save(str(path))

    res = read(path, schema)
    t = only_table(res)
    assert res.format == "ods"
    assert col(t, "nik") == [NIK1, NIK2] and col(t, "desil") == ["3", "1"] and col(t, "desil#k") == ["n", "n"]


def test_renamed_xlsx_is_read_by_content(tmp_path, schema):
    path = tmp_path / "data.xls"  # really an xlsx
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["NIK", "NAMA"])
    ws.write_row(1, 0, [NIK1, "WARGA CONTOH SATU"])
    wb.close()
    res = read(path, schema)
    assert res.format == "xlsx" and col(only_table(res), "nik") == [NIK1]


# ---- bad and hostile files ----------------------------------------------------------


def _file_issue(res: FileResult, code: str):
    assert not res.readable and res.sheets == []
    assert [i.code for i in res.issues] == [code]
    assert res.issues[0].severity == "error"
    return res.issues[0]


def test_empty_file(tmp_path, schema):
    res = read(write_bytes(tmp_path, "kosong.xlsx", b""), schema)
    _file_issue(res, "FILE_EMPTY")
    assert res.size == 0


@pytest.mark.parametrize("content", [b"<html><body><table><tr><td>NIK</td></tr></table>",
                                     b"\xef\xbb\xbf\r\n  <!DOCTYPE html><html>",
                                     b"  <table border=1><tr><td>NAMA</td></tr></table>"])
def test_html_renamed_xls(tmp_path, schema, content):
    res = read(write_bytes(tmp_path, "export.xls", content), schema)
    assert _file_issue(res, "FILE_NOT_SPREADSHEET").params == {"extension": ".xls", "actual": "HTML"}


def test_pdf_renamed_xlsx(tmp_path, schema):
    res = read(write_bytes(tmp_path, "scan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj"), schema)
    assert _file_issue(res, "FILE_NOT_SPREADSHEET").params == {"extension": ".xlsx", "actual": "PDF"}


def test_unknown_binary_with_spreadsheet_name(tmp_path, schema):
    res = read(write_bytes(tmp_path, "aneh.xlsx", b"\x01\x02\x03binary"), schema)
    assert _file_issue(res, "FILE_UNREADABLE").params["detail"]


def _small_xlsx(tmp_path: Path) -> bytes:
    path = tmp_path / "src.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    ws.write_row(0, 0, ["NIK", "NAMA"])
    for r in range(1, 200):
        ws.write_row(r, 0, [NIK1, f"WARGA CONTOH {r}"])
    wb.close()
    return path.read_bytes()


def test_truncated_and_corrupt_xlsx(tmp_path, schema):
    data = _small_xlsx(tmp_path)
    res = read(write_bytes(tmp_path, "potong.xlsx", data[: len(data) // 2]), schema)
    assert _file_issue(res, "FILE_UNREADABLE").params["detail"]

    broken = tmp_path / "rusak.xlsx"
    with zipfile.ZipFile(broken, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook><sheets><sheet name='A' r:id='x'")
    res = read(broken, schema)
    detail = _file_issue(res, "FILE_UNREADABLE").params["detail"]
    assert 0 < len(detail) <= 120


def test_one_corrupt_sheet_does_not_lose_the_others(tmp_path, schema):
    src = tmp_path / "dua.xlsx"
    wb = xlsxwriter.Workbook(src)
    wb.add_worksheet("RUSAK").write(0, 0, "x")
    ok = wb.add_worksheet("DATA")
    ok.write_row(0, 0, ["NIK", "NAMA"])
    ok.write_row(1, 0, [NIK1, "WARGA CONTOH SATU"])
    wb.close()
    path = tmp_path / "satu_rusak.xlsx"
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(path, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = b"<worksheet><sheetData><row r='1'><c r='A1' t='s'><v>99</v></c>"
            zout.writestr(info, data)
    res = read(path, schema)
    assert res.readable and [t.sheet for t in res.sheets] == ["DATA"]
    bad = issue(res, "SHEET_UNREADABLE")
    assert bad.sheet == "RUSAK" and bad.severity == "error" and bad.params["detail"]


def _cfb(names: list[str]) -> bytes:
    """A minimal OLE2 compound file: header, one FAT sector, one directory sector."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHH", header, 0x18, 0x3E, 3, 0xFFFE, 9)
    struct.pack_into("<H", header, 0x20, 6)
    struct.pack_into("<I", header, 0x2C, 1)  # one FAT sector
    struct.pack_into("<I", header, 0x30, 1)  # directory starts at sector 1
    struct.pack_into("<I", header, 0x38, 4096)
    struct.pack_into("<IIII", header, 0x3C, 0xFFFFFFFE, 0, 0xFFFFFFFE, 0)
    struct.pack_into("<109I", header, 0x4C, 0, *[0xFFFFFFFF] * 108)
    fat = struct.pack("<128I", 0xFFFFFFFD, 0xFFFFFFFE, *[0xFFFFFFFF] * 126)
    directory = bytearray(512)
    for i, name in enumerate(["Root Entry", *names]):
        raw = (name + "\0").encode("utf-16-le")
        entry = bytearray(128)
        entry[: len(raw)] = raw
        struct.pack_into("<H", entry, 64, len(raw))
        entry[66] = 5 if i == 0 else 2
        directory[i * 128 : (i + 1) * 128] = entry
    return bytes(header) + fat + bytes(directory)


def test_password_protected_xlsx_is_detected(tmp_path, schema):
    data = _cfb(["EncryptionInfo", "EncryptedPackage"])
    path = write_bytes(tmp_path, "terkunci.xlsx", data)
    assert cfb_stream_names(path) == {"root entry", "encryptioninfo", "encryptedpackage"}
    res = read(path, schema)
    assert _file_issue(res, "FILE_ENCRYPTED").params == {}


def test_cfb_names_of_a_real_xls(tmp_path):
    import xlwt

    wb = xlwt.Workbook()
    wb.add_sheet("A").write(0, 0, "x")
    path = tmp_path / "a.xls"
    wb.save(str(path))
    assert "workbook" in cfb_stream_names(path)
    assert cfb_stream_names(write_bytes(tmp_path, "b.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1short")) is None


def test_zip_bomb_is_refused_before_opening(tmp_path, schema, monkeypatch):
    path = tmp_path / "bom.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", "<workbook/>")
        with zf.open("xl/worksheets/sheet1.xml", "w") as member:
            block = b"\0" * (1 << 20)
            for _ in range(60):
                member.write(block)

    def never(*args):
        raise AssertionError("calamine must not open a zip bomb")

    monkeypatch.setattr(readers, "_open_workbook", never)
    res = read(path, schema)
    detail = _file_issue(res, "FILE_TOO_LARGE").params
    assert "rasio" in detail["detail"] and detail["limit"] == "rasio 100:1"
    res = read(path, schema, max_unzipped_bytes=10 << 20)
    assert _file_issue(res, "FILE_TOO_LARGE").params["limit"] == "10 MiB"


def test_file_size_limit(tmp_path, schema):
    res = read(write_bytes(tmp_path, "a.csv", b"NIK,NAMA\n" * 200), schema, max_file_bytes=1000)
    assert _file_issue(res, "FILE_TOO_LARGE").params == {"detail": "1.8 KiB", "limit": "1000 byte"}


def test_no_data_anywhere(tmp_path, schema):
    res = read(write_bytes(tmp_path, "catatan.csv", b"hanya catatan\nbaris kedua\n"), schema)
    assert res.readable and res.sheets == []
    assert [i.code for i in res.issues] == ["SHEET_NO_HEADER", "FILE_NO_DATA"]


def test_internal_errors_become_file_unreadable_outside_tests(tmp_path, schema, monkeypatch):
    monkeypatch.setattr(readers, "RAISE_INTERNAL_ERRORS", False)

    def boom(*args, **kwargs):
        raise TypeError("bug 3201014508900001")

    monkeypatch.setattr(readers, "read_grid", boom)
    res = read(write_bytes(tmp_path, "a.csv", f"NIK,NAMA\n{NIK1},WARGA\n".encode()), schema)
    assert "TypeError" in _file_issue(res, "FILE_UNREADABLE").params["detail"]


# ---- inputs -------------------------------------------------------------------------


def test_collect_inputs(tmp_path):
    root = tmp_path / "kiriman"
    (root / "kec_b").mkdir(parents=True)
    (root / ".git").mkdir()
    for rel in ["kec_b/desa_2.XLSX", "kec_b/~$desa_2.xlsx", "Desa_1.csv", ".rahasia.xlsx", ".git/x.csv",
                "catatan.docx", "kec_b/desa_1.tsv"]:
        (root / rel).write_bytes(b"x")
    single = tmp_path / "tunggal.xls"
    single.write_bytes(b"x")
    other = tmp_path / "foto.pdf"
    other.write_bytes(b"x")

    files, issues = collect_inputs([root, single, other, root / "Desa_1.csv"])
    assert [name for _, name in files] == ["Desa_1.csv", "kec_b/desa_1.tsv", "kec_b/desa_2.XLSX", "tunggal.xls"]
    assert files[0][0] == root / "Desa_1.csv"
    assert [(i.code, i.file, i.params) for i in issues] == [("FILE_UNSUPPORTED", "foto.pdf", {"extension": ".pdf"})]
    with pytest.raises(UsageError) as err:
        collect_inputs([tmp_path / "tidak_ada"])
    assert err.value.code == "error_path_missing"


# ---- real-world corpus --------------------------------------------------------------


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")
def test_corpus_never_crashes(schema):
    seen = 0
    for path in sorted(CORPUS.iterdir()):
        if path.suffix.lower() not in ALLOWED_EXTENSIONS:
            continue
        res = read_file(path, path.name, schema)
        seen += 1
        file_issues = [i for i in res.issues if i.code.startswith("FILE_")]
        assert res.readable or file_issues, path.name
        assert res.sha256 and res.format in {"xlsx", "xlsm", "xls", "xlsb", "ods", "csv"} or not res.readable
        for t in res.sheets:
            assert t.data.columns[0] == "source_row"
    assert seen > 100


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")
@pytest.mark.parametrize("name,code", [
    ("pass_protected.xlsx", "FILE_ENCRYPTED"), ("pass_protected.ods", "FILE_ENCRYPTED"),
    ("pass_protected.xlsb", "FILE_ENCRYPTED"), ("issue_385.xls", "FILE_ENCRYPTED"),
    ("too_small.xls", "FILE_UNREADABLE"), ("issue_594_dos.ods", "FILE_UNREADABLE"),
    ("OOM_alloc3.xls", "FILE_UNREADABLE"), ("issue252.xlsx", "FILE_UNREADABLE")])
def test_corpus_refusals(schema, name, code):
    _file_issue(read_file(CORPUS / name, name, schema), code)


@pytest.mark.skipif(not CORPUS.is_dir(), reason="corpus not available")
def test_corpus_formats_by_content(schema):
    assert read_file(CORPUS / "vba.xlsm", "vba.xlsm", schema).format == "xlsm"
    assert read_file(CORPUS / "issues.xlsb", "issues.xlsb", schema).format == "xlsb"


# ---- small pieces -------------------------------------------------------------------


def test_cell_conversion():
    texts, kinds = convert_row([
        "  ", "", 3201014508900002.0, 7, True, dt.datetime(2020, 1, 2), dt.datetime(2020, 1, 2, 3, 4, 5),
        dt.date(1990, 8, 5), dt.time(13, 30), dt.timedelta(days=10, seconds=54610), "#DIV/0!", " teks "])
    assert texts == [None, None, "3201014508900002", "7", "TRUE", "2020-01-02", "2020-01-02T03:04:05",
                     "1990-08-05", "13:30:00", "P10DT15H10M10S", "#DIV/0!", " teks "]
    assert kinds == [None, None, "n", "n", "b", "d", "d", "d", "s", "s", "e", "s"]
    assert number_text(1e-7) == "0.0000001" and number_text(1.5e20) == "150000000000000000000"


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_text_round_trips_without_exponent(x):
    text = number_text(x)
    assert "e" not in text.lower() and not text.endswith(".0")
    assert float(text) == x


def test_helpers():
    assert [column_letter(i) for i in (0, 25, 26, 27, 701, 702)] == ["A", "Z", "AA", "AB", "ZZ", "AAA"]
    assert compact_rows([18, 12, 15, 16, 17]) == "12, 15-18"
    assert compact_rows(list(range(1, 100, 2)), max_parts=3) == "1, 3, 5, …"
    assert is_numbering_row(["1", None, "2", "3"]) and is_numbering_row(["(1)", "(2)"])
    assert not is_numbering_row(["1"]) and not is_numbering_row(["2", "3"]) and not is_numbering_row(["1", "3"])
    assert sniff_delimiter("JUDUL\nNIK;NAMA;ALAMAT\n1;A, B;C\n2;D;E, F\n") == ";"
    assert sniff_delimiter('NIK,NAMA,ALAMAT\n1,"A; B",C\n2,D,"E; F"\n') == ","
    assert sniff_delimiter("NIK|NAMA\n1|A\n") == "|"
    assert decode_text(b"\xef\xbb\xbfNIK") == ("NIK", "utf-8-sig", False)
    assert decode_text("NIK\tNAMA".encode("utf-16")) == ("NIK\tNAMA", "utf-16", False)
    assert decode_text(b"A\x81B") == ("A\x81B", "cp1252", True)
