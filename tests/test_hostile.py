"""Hostile and broken input, through the whole `validate` batch: each bad file gets one clear
issue naming it (and sheet/row where it applies), and the good file beside it is still read."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from conftest import build_messy_folder
from slrt_cli.pipeline import validate
from test_readers import _cfb

# shared/ sits beside the checkout (CI clones main next to it); /work/shared on the workstation
CORPUS = next(
    (p for p in (Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets",
                 Path("/work/shared/corpus/spreadsheets")) if p.is_dir()),
    Path(__file__).resolve().parents[2] / "shared" / "corpus" / "spreadsheets",
)
GOOD_ROWS = 8  # rows of build_messy_folder's two readable files


def batch_with(tmp_path: Path, name: str, data: bytes | None = None, build=None):
    folder = build_messy_folder(tmp_path / "masuk")
    target = folder / name
    if build is not None:
        build(target)
    else:
        target.write_bytes(data)
    report = validate([folder], today=dt.date(2026, 11, 22))
    assert report.table.filter(pl.col("source_file") != name).height == GOOD_ROWS  # the rest goes on
    return report, report.issue_table.filter(pl.col("file") == name), report.table.filter(pl.col("source_file") == name)


def codes(issues: pl.DataFrame) -> set[str]:
    return set(issues["code"])


def test_truncated_xlsx(tmp_path):
    src = tmp_path / "src.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["NIK", "NAMA"])
    wb.save(src)
    _, issues, _ = batch_with(tmp_path, "potong.xlsx", src.read_bytes()[:300])
    assert codes(issues) & {"FILE_UNREADABLE", "FILE_NOT_SPREADSHEET"}


@pytest.mark.parametrize("name, data, actual", [
    ("laporan.xls", b"<!DOCTYPE html><html><body><table><tr><td>NIK</td></tr></table></body></html>", "HTML"),
    ("laporan.xlsx", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "PDF"),
])
def test_renamed_html_and_pdf(tmp_path, name, data, actual):
    _, issues, _ = batch_with(tmp_path, name, data)
    row = issues.filter(pl.col("code") == "FILE_NOT_SPREADSHEET").row(0, named=True)
    assert actual in row["params"]


def test_password_protected_workbook(tmp_path):
    _, issues, _ = batch_with(tmp_path, "terkunci.xlsx", _cfb(["EncryptionInfo", "EncryptedPackage"]))
    assert codes(issues) == {"FILE_ENCRYPTED"}


def test_empty_file(tmp_path):
    _, issues, _ = batch_with(tmp_path, "kosong.csv", b"")
    assert codes(issues) == {"FILE_EMPTY"}


def test_empty_sheet_next_to_data(tmp_path):
    def build(p):
        wb = openpyxl.Workbook()
        wb.active.title = "Kosong"
        ws = wb.create_sheet("Data")
        ws.append(["NIK", "NAMA", "TGL LAHIR"])
        ws.append(["3201014508900001", "WARGA SATU", "05-08-1990"])
        wb.save(p)

    _, issues, rows = batch_with(tmp_path, "dua_lembar.xlsx", build=build)
    assert "SHEET_EMPTY" in codes(issues) and rows.height == 1


def test_sheet_reaching_the_last_excel_row(tmp_path):
    """A used range down to row 1,048,576 (a stray cell): read quickly, in bounded memory."""
    def build(p):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.append(["NIK", "NAMA", "TGL LAHIR"])
        ws.append(["3201014508900001", "WARGA SATU", "05-08-1990"])
        ws.cell(row=1_048_576, column=1, value="x")
        wb.save(p)

    _, issues, rows = batch_with(tmp_path, "panjang.xlsx", build=build)
    assert rows.height >= 1  # the person row is there; the stray cell is a note or a rejected row, visibly


def test_decompression_bomb(tmp_path):
    def build(p):
        with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("[Content_Types].xml", "<Types/>")
            zf.writestr("xl/workbook.xml", "<workbook/>")
            with zf.open("xl/worksheets/sheet1.xml", "w") as member:
                for _ in range(120):
                    member.write(b"\0" * (1 << 20))

    _, issues, _ = batch_with(tmp_path, "bom.xlsx", build=build)
    assert codes(issues) == {"FILE_TOO_LARGE"}


def test_xml_external_entities_are_never_resolved(tmp_path):
    secret = tmp_path / "rahasia.txt"
    secret.write_text("RAHASIA-JANGAN-DIBACA")

    def build(p):
        src = tmp_path / "src.xlsx"
        wb = openpyxl.Workbook()
        wb.active.append(["NIK", "NAMA"])
        wb.active.append(["3201014508900001", "PLACEHOLDER"])
        wb.save(src)
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(p, "w") as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename == "xl/sharedStrings.xml":
                    text = data.decode()
                    text = text.replace("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>",
                                        f'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY xxe SYSTEM "file://{secret}">]>')
                    data = text.replace("PLACEHOLDER", "&xxe;").encode()
                zout.writestr(item, data)

    report, issues, rows = batch_with(tmp_path, "xxe.xlsx", build=build)
    assert "RAHASIA" not in report.table.drop("issue_codes").write_csv()
    assert "RAHASIA" not in report.issue_table.write_csv()


def test_duplicate_headers_header_only_formulas(tmp_path):
    def build(p):
        wb = openpyxl.Workbook()
        ws = wb.active
        ws.title = "Data"
        ws.append(["NIK", "NAMA", "NAMA", "TGL LAHIR", "CATATAN"])
        ws.append(["3201014508900001", "WARGA SATU", "X", "05-08-1990", "=HYPERLINK(\"http://x\",\"klik\")"])
        ws.append(["3201014508900002", "=UPPER(\"warga dua\")", "", "06-08-1990", "=1+1"])
        wb.create_sheet("Judul").append(["NIK", "NAMA", "TGL LAHIR"])  # header only
        wb.save(p)

    report, issues, rows = batch_with(tmp_path, "rumus.xlsx", build=build)
    assert "COLUMN_DUPLICATE" in codes(issues)
    assert rows.height == 2
    # formula cells never run: openpyxl stores no cached value, so the cell reads empty or as text
    assert "http://x" not in (report.table.drop("issue_codes").write_csv())


def test_mixed_encodings_nul_bytes_and_huge_cells(tmp_path):
    long_note = "A" * 200_000
    data = (
        "NIK;NAMA;TGL LAHIR;KET\n".encode()
        + "3201014508900001;WARGA S\u00c9TU;05-08-1990;ok\n".encode("utf-8")
        + "3201014508900002;WARGA D\u00c9UA;06-08-1990;ok\n".encode("cp1252")
        + b"3201014508900003;WARGA\x00 TIGA;07-08-1990;" + long_note.encode() + b"\n"
    )
    report, issues, rows = batch_with(tmp_path, "campur.csv", data)
    assert rows.height == 3
    names = rows.sort("source_row")["nama"].to_list()
    assert names[0] == "WARGA S\u00c9TU" and names[1] == "WARGA D\u00c9UA" and names[2] == "WARGA TIGA"


def test_formula_looking_cells_are_neutralised_in_csv_outputs(tmp_path):
    folder = build_messy_folder(tmp_path / "masuk")
    (folder / "jahat.csv").write_text("NIK;NAMA;TGL LAHIR\n3201014508900009;=cmd|' /C calc'!A0;05-08-1990\n"
                                      "3201014508900008;@SUM(1+1);99-99-1990\n")
    out = tmp_path / "hasil"
    validate([folder], out)
    issues = (out / "issues.csv").read_text("utf-8-sig")
    for line in issues.splitlines():
        for cell in line.split(","):
            assert not cell.startswith(("=", "+", "@", "-")) or cell.startswith("-") and cell[1:2].isdigit()
    wb = openpyxl.load_workbook(out / "perbaikan" / "jahat_perbaikan.xlsx")
    cells = [c for row in wb["Perbaikan"].iter_rows() for c in row if isinstance(c.value, str) and c.value.startswith(("=", "@"))]
    assert cells and all(c.data_type == "s" for c in cells)  # text cells, never formulas



@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_every_formula_start_gets_a_quote_and_nothing_else_does(start):
    from slrt_cli.export import FORMULA_START, escape_formula

    assert start in FORMULA_START
    values = [f"{start}SUM(1)", f"x{start}", f" {start}", "", None, f"{start}{start}", "BIASA"]
    out = pl.DataFrame({"v": values}, schema={"v": pl.Utf8}).select(escape_formula(pl.col("v")))["v"].to_list()
    assert out == [f"'{start}SUM(1)", f"x{start}", f" {start}", "", None, f"'{start}{start}", "BIASA"]

@pytest.mark.skipif(not CORPUS.is_dir(), reason="shared corpus not present")
def test_whole_corpus_through_the_command(tmp_path):
    """Real-world spreadsheets that once crashed readers: no crash, no hang, bounded memory,
    one clear line per file it cannot use."""
    out = tmp_path / "hasil"
    code = (
        "import resource, sys\n"
        "resource.setrlimit(resource.RLIMIT_AS, (3 << 30, 3 << 30))\n"
        "from slrt_cli.cli import main\n"
        f"sys.argv = ['slrt', 'validate', {str(CORPUS)!r}, '--out', {str(out)!r}, '--json']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=240)
    assert proc.returncode in (0, 1), proc.stderr[-2000:]
    import json

    body = json.loads(proc.stdout)
    assert body["totals"]["files"] == len([p for p in CORPUS.iterdir() if p.suffix.lower() in
                                           {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".txt", ".tsv"}])
    issues = pl.read_csv(out / "issues.csv", infer_schema_length=0)
    unusable = [f["file"] for f in body["files"] if not f["readable"]]
    for name in unusable:
        assert issues.filter((pl.col("file") == name) & (pl.col("severity") == "error")).height >= 1
