"""Issue 14, reading guards: bounded width and cell budget, merged data cells filled down,
hidden sheets skipped unless asked for. Every input is built here (synthetic people only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter
from typer.testing import CliRunner

from conftest import KK, NIK_CHILD, NIK_HEAD, NIK_SPOUSE
from slrt_cli import pipeline
from slrt_cli.cli import app
from slrt_cli.io import readers
from slrt_cli.io.guard import COLUMNS_PAST_LAST_FIELD
from slrt_cli.io.layout import _unique_key
from slrt_cli.io.readers import ReadLimits, read_file
from slrt_cli.schemas import load_schema

HEAD = ["NO", "NIK", "NO KK", "NAMA", "TGL LAHIR", "JK", "ALAMAT"]
PEOPLE = [
    ["1", NIK_HEAD, KK, "WARGA CONTOH SATU", "05-08-1990", "P", "KP CONTOH RT 01 RW 02"],
    ["2", NIK_SPOUSE, KK, "WARGA CONTOH DUA", "15-08-1985", "L", "KP CONTOH RT 01 RW 02"],
    ["3", NIK_CHILD, KK, "ANAK CONTOH", "10-12-2015", "P", "KP CONTOH RT 01 RW 02"],
]
TODAY = dt.date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _raise_bugs(monkeypatch):
    monkeypatch.setattr(readers, "RAISE_INTERNAL_ERRORS", True)


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def _csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.write_text("\n".join(";".join(r) for r in [header, *rows]) + "\n", encoding="utf-8")
    return path


def _codes(issues) -> list[str]:
    return sorted(i.code for i in issues)


def _all_issues(res) -> list:
    return res.issues + [i for s in res.sheets for i in s.issues]


# ---- width and cell budget ------------------------------------------------------------


def test_columns_beyond_the_limit_are_reported_once_and_not_carried(tmp_path, schema):
    extra = COLUMNS_PAST_LAST_FIELD + 100  # 600 titled columns after ALAMAT (column 7)
    header = HEAD + [f"KOLOM TAMBAHAN {i}" for i in range(extra)]
    rows = [p + [str(i % 10) for i in range(extra)] for p in PEOPLE]
    res = read_file(_csv(tmp_path / "lebar.csv", header, rows), "lebar.csv", schema)
    (sheet,) = res.sheets
    assert sheet.data.height == 3
    assert len(sheet.columns) == 7 + COLUMNS_PAST_LAST_FIELD
    assert sheet.columns[-1].letter == str(7 + COLUMNS_PAST_LAST_FIELD)  # column 507 is the last one read
    beyond = [i for i in sheet.issues if i.code == "COLUMNS_BEYOND_LIMIT"]
    assert len(beyond) == 1
    assert beyond[0].severity == "warning"
    assert beyond[0].params == {"first": "508", "last": str(7 + extra), "limit": 500, "after": "7", "rows": 4}
    assert sum(i.code == "COLUMN_EXTRA" for i in sheet.issues) == 1 + COLUMNS_PAST_LAST_FIELD  # NO and 500 more
    assert sheet.data["nik"].to_list() == [NIK_HEAD, NIK_SPOUSE, NIK_CHILD]


def test_one_very_long_line_costs_its_own_fields_only(tmp_path, schema):
    rows = [list(p) for p in PEOPLE]
    rows[1] = rows[1] + [f"isi {i}" for i in range(5_000)]  # a 5,007-field line
    res = read_file(_csv(tmp_path / "baris.csv", HEAD, rows), "baris.csv", schema)
    (sheet,) = res.sheets
    assert sheet.data.height == 3
    assert len(sheet.columns) == 7 + COLUMNS_PAST_LAST_FIELD
    (beyond,) = [i for i in sheet.issues if i.code == "COLUMNS_BEYOND_LIMIT"]
    assert (beyond.params["first"], beyond.params["last"], beyond.params["rows"]) == ("508", "5007", 1)
    assert sheet.data["nama"].to_list() == ["WARGA CONTOH SATU", "WARGA CONTOH DUA", "ANAK CONTOH"]


def test_empty_columns_past_the_limit_say_nothing(tmp_path, schema):
    rows = [p + [""] * 800 for p in PEOPLE]  # trailing delimiters only
    res = read_file(_csv(tmp_path / "titik_koma.csv", HEAD, rows), "titik_koma.csv", schema)
    (sheet,) = res.sheets
    assert "COLUMNS_BEYOND_LIMIT" not in _codes(sheet.issues)
    assert [c.key for c in sheet.columns] == ["x:NO", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "alamat"]


def test_the_limit_counts_from_the_last_recognised_column(tmp_path, schema):
    header = ["NIK", "NAMA"] + [f"CATATAN {i}" for i in range(30)] + ["JK"]  # JK is column 33
    rows = [[NIK_HEAD, "WARGA CONTOH SATU"] + ["x"] * 30 + ["P"] + ["y"] * 20]
    res = read_file(_csv(tmp_path / "jauh.csv", header, rows), "jauh.csv", schema,
                    ReadLimits(columns_past_last_field=5))
    (sheet,) = res.sheets
    assert sheet.columns[-1].letter == "38"  # 33 + 5
    assert sheet.data["jenis_kelamin"].to_list() == ["P"]
    (beyond,) = [i for i in sheet.issues if i.code == "COLUMNS_BEYOND_LIMIT"]
    assert beyond.params == {"first": "39", "last": "53", "limit": 5, "after": "33", "rows": 1}


def test_wide_workbook_is_cut_at_the_limit_with_letters(tmp_path, schema):
    path = tmp_path / "lebar.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, HEAD + [f"KOLOM {i}" for i in range(1_000)])
    for r, p in enumerate(PEOPLE, start=1):
        ws.write_row(r, 0, p + ["v"] * 1_000)
    wb.close()
    res = read_file(path, "lebar.xlsx", schema)
    (sheet,) = res.sheets
    assert sheet.columns[-1].letter == "SM"  # column 507
    (beyond,) = [i for i in sheet.issues if i.code == "COLUMNS_BEYOND_LIMIT"]
    assert (beyond.params["first"], beyond.params["last"], beyond.params["after"]) == ("SN", "ALS", "G")


def test_cell_budget_refuses_a_text_file_with_one_issue(tmp_path, schema):
    rows = [p + ["x"] * 93 for p in PEOPLE] * 10  # 30 rows of 100 fields + a 7-field header
    path = _csv(tmp_path / "besar.csv", HEAD, rows)
    res = read_file(path, "besar.csv", schema, ReadLimits(max_cells_per_file=2_000))
    assert not res.readable and res.sheets == []
    (issue,) = res.issues
    assert (issue.code, issue.severity, issue.file) == ("FILE_TOO_LARGE", "error", "besar.csv")
    assert issue.params["limit"] == "2000 sel per berkas"
    assert "sampai baris 21" in issue.params["detail"]  # 7 + 19 × 100 = 1907 fields by line 20, 2007 by line 21
    ok = read_file(path, "besar.csv", schema, ReadLimits(max_cells_per_file=4_000))
    assert ok.readable and ok.sheets[0].data.height == 30


def test_cell_budget_counts_every_sheet_of_a_workbook(tmp_path, schema):
    path = tmp_path / "banyak.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for name in ("RT01", "RT02", "RT03"):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, HEAD)
        for r, p in enumerate(PEOPLE, start=1):
            ws.write_row(r, 0, p)
    wb.close()  # 3 sheets of 4 × 7 = 28 cells
    refused = read_file(path, "banyak.xlsx", schema, ReadLimits(max_cells_per_file=60))
    assert not refused.readable and [i.code for i in refused.issues] == ["FILE_TOO_LARGE"]
    assert "RT03" in refused.issues[0].params["detail"]
    read = read_file(path, "banyak.xlsx", schema, ReadLimits(max_cells_per_file=84))
    assert read.readable and [s.data.height for s in read.sheets] == [3, 3, 3]


def test_batch_goes_on_past_a_file_over_its_budget(tmp_path, schema):
    folder = tmp_path / "masuk"
    folder.mkdir()
    _csv(folder / "a_besar.csv", HEAD, [p + ["x"] * 200 for p in PEOPLE] * 5)
    _csv(folder / "b_biasa.csv", HEAD, PEOPLE)
    files, _, batch, _ = pipeline.read_inputs([folder], schema, TODAY, limits=ReadLimits(max_cells_per_file=1_000))
    assert [(f.file, f.readable) for f in files] == [("a_besar.csv", False), ("b_biasa.csv", True)]
    assert [i.code for i in files[0].issues] == ["FILE_TOO_LARGE"]
    assert batch.height == 3 and set(batch["source_file"]) == {"b_biasa.csv"}


def test_unique_keys_stay_linear_and_correct():
    used = {"x:A", "x:A#3"}
    counters: dict[str, int] = {}
    got = []
    for _ in range(4):
        key = _unique_key("x:A", used, counters)
        used.add(key)
        got.append(key)
    assert got == ["x:A#2", "x:A#4", "x:A#5", "x:A#6"]
    assert _unique_key("x:B", used, counters) == "x:B"
    assert _unique_key("x:A", {"x:A"}) == "x:A#2"  # without counters: as before


def test_many_columns_with_one_title_get_numbered_keys(tmp_path, schema):
    header = HEAD + ["KOLOM Q"] * 300
    rows = [p + [str(i) for i in range(300)] for p in PEOPLE]
    (sheet,) = read_file(_csv(tmp_path / "ket.csv", header, rows), "ket.csv", schema).sheets
    keys = [c.key for c in sheet.columns[7:]]
    assert keys[:3] == ["x:KOLOM Q", "x:KOLOM Q#2", "x:KOLOM Q#3"] and keys[-1] == "x:KOLOM Q#300"
    assert len(set(keys)) == 300
    assert sheet.data["x:KOLOM Q#300"].to_list() == ["299"] * 3


# ---- merged cells in data rows ---------------------------------------------------------


def _household_workbook(path: Path) -> Path:
    """A two-row header (NIK merged over both header rows), then a household whose No KK and
    address are merged over its three rows, a block merged over two columns × two rows, and a
    merged cell over a row that holds nothing else."""
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Keluarga")
    ws.merge_range(0, 0, 1, 0, "NO")
    ws.merge_range(0, 1, 1, 1, "NIK")
    ws.merge_range(0, 2, 1, 2, "NO KK")
    ws.merge_range(0, 3, 1, 3, "NAMA")
    ws.merge_range(0, 4, 0, 5, "KELAHIRAN")
    ws.write_row(1, 4, ["TGL LAHIR", "JK"])
    ws.merge_range(0, 6, 1, 6, "ALAMAT")
    ws.merge_range(0, 7, 1, 7, "KETERANGAN")
    ws.merge_range(0, 8, 1, 8, "CATATAN")
    for r, p in enumerate(PEOPLE, start=2):  # rows 3-5
        ws.write_row(r, 0, [p[0], p[1]])
        ws.write_row(r, 3, [p[3], p[4], p[5]])
    ws.merge_range(2, 2, 4, 2, KK)                       # C3:C5
    ws.merge_range(2, 6, 4, 6, "KP CONTOH RT 01 RW 02")  # G3:G5
    ws.merge_range(3, 7, 4, 8, "PINDAHAN")               # H4:I5, a block
    ws.write_row(5, 0, ["4", "3201014508900004", "3201011201150009", "WARGA SENDIRI", "05-08-1990", "P", "KP LAIN"])
    ws.merge_range(5, 7, 6, 7, "CATATAN PANJANG")        # H6:H7, row 7 holds nothing else
    ws.write_row(7, 0, ["5", "3201014508900005", "3201011201150010", "WARGA AKHIR", "05-08-1990", "P", "KP LAIN"])
    wb.close()
    return path


def test_vertically_merged_data_cells_are_filled_down(tmp_path, schema):
    res = read_file(_household_workbook(tmp_path / "kk.xlsx"), "kk.xlsx", schema)
    (sheet,) = res.sheets
    d = sheet.data
    assert d["source_row"].to_list() == [3, 4, 5, 6, 8]
    assert d["nik"].to_list()[:3] == [NIK_HEAD, NIK_SPOUSE, NIK_CHILD]
    assert d["no_kk"].to_list() == [KK, KK, KK, "3201011201150009", "3201011201150010"]
    assert d["alamat"].to_list()[:3] == ["KP CONTOH RT 01 RW 02"] * 3
    ket = next(c.key for c in sheet.columns if c.header == "KETERANGAN")
    cat = next(c.key for c in sheet.columns if c.header == "CATATAN")
    assert d[ket].to_list() == [None, "PINDAHAN", "PINDAHAN", "CATATAN PANJANG", None]
    assert d[cat].to_list() == [None] * 5  # the block's second column stays empty, as Excel shows it
    filled = {i.column: i for i in sheet.issues if i.code == "CELLS_MERGED_FILLED"}
    assert set(filled) == {"NO KK", "ALAMAT", "KETERANGAN"}
    assert filled["NO KK"].params == {"column": "NO KK (C)", "count": 2, "rows": "4-5"}
    assert filled["ALAMAT"].params == {"column": "ALAMAT (G)", "count": 2, "rows": "4-5"}
    assert filled["KETERANGAN"].params == {"column": "KETERANGAN (H)", "count": 1, "rows": "5"}
    assert all(i.severity == "info" and i.sheet == "Keluarga" for i in filled.values())
    (blank,) = [i for i in sheet.issues if i.code == "ROWS_SKIPPED_BLANK"]
    assert blank.params["rows"] == "7"  # covered by a merge only: not a person
    # the header's vertical merges were not filled into the data
    assert d["nama"].to_list()[0] == "WARGA CONTOH SATU"


def test_filled_down_household_no_longer_lacks_its_kk(tmp_path):
    report = pipeline.validate([_household_workbook(tmp_path / "kk.xlsx")], today=TODAY)
    issues = report.issue_table
    assert issues.filter(pl.col("code") == "KK_MISSING").height == 0
    assert issues.filter(pl.col("code") == "CELLS_MERGED_FILLED").height == 3
    assert report.table.height == 5


# ---- hidden sheets -----------------------------------------------------------------------


def _hidden_workbook(path: Path) -> Path:
    wb = xlsxwriter.Workbook(str(path))
    for name, rows in (("Data", PEOPLE[:2]), ("Lama", PEOPLE[2:]), ("Arsip", PEOPLE[:1])):
        ws = wb.add_worksheet(name)
        ws.write_row(0, 0, HEAD)
        for r, p in enumerate(rows, start=1):
            ws.write_row(r, 0, p)
        if name == "Lama":
            ws.hide()
        elif name == "Arsip":
            ws.very_hidden()
    wb.close()
    return path


def test_hidden_sheets_are_skipped_with_an_info_issue(tmp_path, schema):
    res = read_file(_hidden_workbook(tmp_path / "sembunyi.xlsx"), "sembunyi.xlsx", schema)
    assert [(s.sheet, s.data.height) for s in res.sheets] == [("Data", 2)]
    hidden = [(i.code, i.severity, i.sheet, i.params) for i in res.issues]
    assert hidden == [("SHEET_HIDDEN", "info", "Lama", {"visibility": "Hidden"}),
                      ("SHEET_HIDDEN", "info", "Arsip", {"visibility": "VeryHidden"})]


def test_hidden_sheets_are_read_on_request(tmp_path, schema):
    res = read_file(_hidden_workbook(tmp_path / "sembunyi.xlsx"), "sembunyi.xlsx", schema,
                    ReadLimits(read_hidden_sheets=True))
    assert [(s.sheet, s.data.height) for s in res.sheets] == [("Data", 2), ("Lama", 1), ("Arsip", 1)]
    assert "SHEET_HIDDEN" not in _codes(_all_issues(res))


@pytest.mark.parametrize("flag, rows", [(None, 2), ("--baca-lembar-tersembunyi", 4), ("--read-hidden-sheets", 4)])
def test_validate_command_flag(tmp_path, flag, rows):
    book = _hidden_workbook(tmp_path / "sembunyi.xlsx")
    out = tmp_path / "hasil"
    args = ["validate", str(book), "--out", str(out), "-q"] + ([flag] if flag else [])
    res = CliRunner().invoke(app, args)
    assert res.exit_code in (0, 1), res.output
    assert pl.read_parquet(out / "rows.parquet").height == rows
    issues = pl.read_csv(out / "issues.csv", encoding="utf8-lossy")
    assert issues.filter(pl.col("code") == "SHEET_HIDDEN").height == (2 if flag is None else 0)


def test_config_key_reads_hidden_sheets_in_a_run(tmp_path):
    from slrt_cli.config import KEYS, resolve

    config = tmp_path / "bulan.toml"
    config.write_text("baca_lembar_tersembunyi = true\n", encoding="utf-8")
    settings, origin = resolve({}, config, environ={})
    assert settings["baca_lembar_tersembunyi"] is True and KEYS["baca_lembar_tersembunyi"].default is False
    assert origin["baca_lembar_tersembunyi"] != "default"
    book = _hidden_workbook(tmp_path / "sembunyi.xlsx")
    register = Path(__file__).resolve().parent.parent / "sample_data" / "register" / "dtks_siksng.csv"
    out = tmp_path / "hasil"
    res = CliRunner().invoke(app, ["run", str(book), "--register", str(register), "--config", str(config),
                                   "--out", str(out), "-q"])
    assert res.exit_code == 0, res.output
    assert pl.read_parquet(out / "rows.parquet").height == 4
