"""The Puskesos entry template: read back with openpyxl, filled in, and imported with no warnings."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
import typer
from typer.testing import CliRunner

from slrt_cli.cli.commands.template import HELP, template_command
from slrt_cli.errors import UsageError
from slrt_cli.model import ERROR, WARNING
from slrt_cli.pipeline import validate
from slrt_cli.schemas import load_schema
from slrt_cli.template import DEFAULT_ROWS, TEMPLATE_FIELDS, TEXTS, build_template, desa_choices

KAB = "3201"  # Kabupaten Bogor
DESA_ENTRY, DESA_CODE = "Karadenan (Kec. Cibinong)", "3201011002"

# One synthetic family (NIKs match birth date and sex, Cibinong kecamatan prefix) and a new person.
PEOPLE = [
    {"no_kk": "3201011201150003", "nik": "3201011003800001", "nama": "BUDI CONTOH",
     "tanggal_lahir": dt.datetime(1980, 3, 10), "jenis_kelamin": 0, "hub_kk": 0, "status_kawin": 1,
     "status_verivali": 0, "household_id": "SYN32010000999", "person_id": "SYN3201000099901",
     "nama_ibu_kandung": "SITI CONTOH"},
    {"no_kk": "3201011201150003", "nik": "3201015505830002", "nama": "ANI CONTOH",
     "tanggal_lahir": dt.datetime(1983, 5, 15), "jenis_kelamin": 1, "hub_kk": 1, "status_kawin": 1,
     "status_verivali": 0, "household_id": "SYN32010000999", "person_id": "SYN3201000099902",
     "nama_ibu_kandung": "AMINAH CONTOH"},
    {"no_kk": "3201011201150003", "nik": "3201016007100003", "nama": "CICI CONTOH",
     "tanggal_lahir": dt.datetime(2010, 7, 20), "jenis_kelamin": 1, "hub_kk": 2, "status_kawin": 0,
     "status_verivali": 8, "nama_ibu_kandung": "ANI CONTOH"},
    {"no_kk": "3201010302200004", "nik": "3201010702950004", "nama": "DODI CONTOH",
     "tanggal_lahir": dt.datetime(1995, 2, 7), "jenis_kelamin": 0, "hub_kk": 0, "status_kawin": 0,
     "status_verivali": 3, "alasan": "KELUARGA MISKIN BELUM TERDATA"},
]
# Code-list positions above: jenis_kelamin 0 = Laki-laki; hub_kk 0 Kepala, 1 Istri/suami, 2 Anak;
# status_kawin 0 Belum kawin, 1 Kawin; status_verivali 0 Ditemukan, 3 Usulan baru, 8 Anggota baru.
CODED = {"jenis_kelamin": "jenis_kelamin", "hub_kk": "hubungan", "status_kawin": "status_kawin",
         "status_verivali": "status_verivali"}


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tpl") / "templat.xlsx"
    build_template(path, kabupaten=KAB)
    return path


def col_of(ws, title: str) -> int:
    return [c.value for c in ws[1]].index(title) + 1


def validation_at(ws, cell: str):
    hits = [dv for dv in ws.data_validations.dataValidation if cell in dv.sqref]
    assert len(hits) == 1, cell
    return hits[0]


def column_format(ws, col: int) -> str:
    for dim in ws.column_dimensions.values():
        if dim.min <= col <= dim.max:
            return dim.number_format
    return "General"


def fill(template: Path, target: Path, lang: str = "id", *, codes: bool = True) -> Path:
    """Copy the template and type the people in as an operator would (openpyxl writes values)."""
    schema = load_schema()
    shutil.copy(template, target)
    wb = openpyxl.load_workbook(target)
    ws = wb.worksheets[0]
    cols = {f: col_of(ws, schema.fields[f].label(lang)) for f in TEMPLATE_FIELDS}
    for r, person in enumerate(PEOPLE, start=2):
        values = dict(person, alamat="KP. CONTOH", rt="001", rw="002", tempat_lahir="BOGOR", pekerjaan="BURUH")
        for f, cl in CODED.items():
            lst = schema.codelists[cl]
            labels = lst.labels_en if lang == "en" else lst.labels_id
            values[f] = labels[lst.codes[values[f]]]
        values["nama_desa"] = DESA_ENTRY
        if codes:  # what Excel/LibreOffice computes from the desa choice
            values["kode_desa"] = DESA_CODE
        for f, v in values.items():
            ws.cell(r, cols[f], v)
    wb.save(target)
    return target


def assert_imports_cleanly(path: Path) -> None:
    report = validate([path])
    bad = report.issue_table.filter(report.issue_table["severity"].is_in([WARNING, ERROR]))
    assert bad.height == 0, bad.select("code", "sheet", "row", "column").rows()
    rows = report.table
    assert rows.height == len(PEOPLE) and set(rows["status"]) == {"accepted"}
    assert rows["nik"].to_list() == [p["nik"] for p in PEOPLE]
    assert set(rows["kode_desa"]) == {DESA_CODE}
    assert rows["hub_kk"].to_list() == ["1", "2", "3", "1"]
    assert rows["status_verivali"].to_list() == ["DITEMUKAN", "DITEMUKAN", "ANGGOTA_BARU", "USULAN_BARU"]


def test_sheets_headers_and_frozen_pane(template):
    wb = openpyxl.load_workbook(template)
    tx = TEXTS["id"]
    assert wb.sheetnames == [tx["data_sheet"], tx["guide_sheet"], tx["list_sheet"]]
    assert [ws.sheet_state for ws in wb.worksheets] == ["visible", "visible", "hidden"]
    ws = wb.worksheets[0]
    schema = load_schema()
    assert [c.value for c in ws[1]] == [schema.fields[f].label_id for f in TEMPLATE_FIELDS]
    assert ws.freeze_panes == "A2"
    assert wb.active.title == tx["data_sheet"]


def test_identifier_columns_are_text_with_16_digit_validation(template):
    ws = openpyxl.load_workbook(template).worksheets[0]
    for title in ("NIK", "Nomor KK"):
        col = col_of(ws, title)
        assert column_format(ws, col) == "@"
        letter = openpyxl.utils.get_column_letter(col)
        dv = validation_at(ws, f"{letter}2")
        assert (dv.type, dv.operator, dv.formula1) == ("textLength", "equal", "16")
        assert f"{letter}{DEFAULT_ROWS + 1}" in dv.sqref
        assert dv.showErrorMessage and dv.prompt
    for title in ("RT", "RW", "ID Rumah Tangga (DTKS/BDT)"):
        assert column_format(ws, col_of(ws, title)) == "@"


def test_date_column(template):
    ws = openpyxl.load_workbook(template).worksheets[0]
    col = col_of(ws, "Tanggal Lahir")
    assert column_format(ws, col) == "dd/mm/yyyy"
    dv = validation_at(ws, f"{openpyxl.utils.get_column_letter(col)}2")
    assert (dv.type, dv.operator or "between", dv.formula2) == ("date", "between", "TODAY()")  # between: the default


def test_dropdown_lists_from_the_code_files(template):
    ws = openpyxl.load_workbook(template).worksheets[0]
    schema = load_schema()
    for f, cl in CODED.items():
        lst = schema.codelists[cl]
        dv = validation_at(ws, f"{openpyxl.utils.get_column_letter(col_of(ws, schema.fields[f].label_id))}2")
        assert dv.type == "list"
        assert dv.formula1 == '"' + ",".join(lst.labels_id[c] for c in lst.codes) + '"', f


def test_desa_list_is_a_range_on_the_hidden_sheet(template):
    wb = openpyxl.load_workbook(template)
    ws, lists = wb.worksheets[0], wb[TEXTS["id"]["list_sheet"]]
    choices = desa_choices(KAB)
    assert len(",".join(c[0] for c in choices)) > 255  # too long to type into the validation
    dv = validation_at(ws, f"{openpyxl.utils.get_column_letter(col_of(ws, 'Desa/Kelurahan'))}2")
    assert dv.type == "list" and dv.formula1 == f"{lists.title}!$A$2:$A${len(choices) + 1}"
    assert [lists.cell(r, 1).value for r in range(2, len(choices) + 2)] == [c[0] for c in choices]
    assert [lists.cell(r, 2).value for r in range(2, len(choices) + 2)] == [c[1] for c in choices]
    assert (DESA_ENTRY, DESA_CODE) in choices
    code = ws.cell(2, col_of(ws, "Kode Desa/Kelurahan")).value
    assert code.startswith("=IF(C2=") and "VLOOKUP(C2," in code
    assert ws.cell(DEFAULT_ROWS + 1, col_of(ws, "Kode Desa/Kelurahan")).value.startswith("=IF(")


def test_every_column_explains_itself(template):
    ws = openpyxl.load_workbook(template).worksheets[0]
    schema = load_schema()
    for f in TEMPLATE_FIELDS:
        dv = validation_at(ws, f"{openpyxl.utils.get_column_letter(col_of(ws, schema.fields[f].label_id))}2")
        assert dv.showInputMessage and dv.promptTitle and len(dv.prompt) > 10, f
    guide = openpyxl.load_workbook(template)[TEXTS["id"]["guide_sheet"]]
    text = [c.value for row in guide.iter_rows() for c in row if c.value]
    assert all(schema.fields[f].label_id in text for f in TEMPLATE_FIELDS)


def test_filled_template_imports_without_warnings(template, tmp_path):
    path = fill(template, tmp_path / "desa_karadenan.xlsx")
    assert_imports_cleanly(path)
    # openpyxl re-saved the file: the validations, formats and hidden sheet are still there
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    assert len(ws.data_validations.dataValidation) == len(TEMPLATE_FIELDS)
    assert validation_at(ws, "J2").type == "textLength" and column_format(ws, col_of(ws, "NIK")) == "@"
    assert wb.worksheets[2].sheet_state == "hidden"


def test_english_template_imports_without_warnings(tmp_path):
    path = build_template(tmp_path / "template.xlsx", kabupaten="32.01", lang="en").path
    assert openpyxl.load_workbook(path).sheetnames == [TEXTS["en"][k] for k in ("data_sheet", "guide_sheet", "list_sheet")]
    assert_imports_cleanly(fill(path, tmp_path / "filled.xlsx", "en"))


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice not installed")
def test_desa_code_is_computed_by_a_spreadsheet(template, tmp_path):
    """Only the desa name chosen: LibreOffice computes the code, and the file still imports cleanly."""
    (tmp_path / "in").mkdir()
    filled = fill(template, tmp_path / "in" / "desa.xlsx", codes=False)
    out = tmp_path / "out"
    subprocess.run(["soffice", "--headless", "--calc", "--convert-to", "xlsx", "--outdir", str(out), str(filled)],
                   check=True, capture_output=True, timeout=180)
    assert_imports_cleanly(out / "desa.xlsx")


def test_without_kabupaten_the_desa_columns_are_typed(tmp_path):
    info = build_template(tmp_path / "t.xlsx")
    assert info.kabupaten is None and "nama_desa" not in info.lists
    ws = openpyxl.load_workbook(info.path).worksheets[0]
    assert ws.cell(2, col_of(ws, "Kode Desa/Kelurahan")).value is None
    assert validation_at(ws, "C2").type is None  # input message only


def test_unknown_kabupaten_is_refused(tmp_path):
    with pytest.raises(UsageError):
        build_template(tmp_path / "t.xlsx", kabupaten="9999")
    assert not (tmp_path / "t.xlsx").exists()


# ---------------------------------------------------------------- the command


def cli() -> typer.Typer:
    app = typer.Typer()
    app.command("template", help=HELP)(template_command)
    app.command("other")(lambda: None)  # keep "template" a sub-command, as in the real app
    return app


def test_command_writes_the_template_and_refuses_to_overwrite(tmp_path):
    runner = CliRunner()
    out = tmp_path / "templat.xlsx"
    res = runner.invoke(cli(), ["template", "--out", str(out), "--kabupaten", KAB])
    assert res.exit_code == 0, res.output
    assert "435 desa/kelurahan Kabupaten Bogor" in res.stdout and out.is_file()
    res = runner.invoke(cli(), ["template", "--out", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.stderr
    res = runner.invoke(cli(), ["template", "--out", str(out), "--overwrite", "--json", "--lang", "en"])
    assert res.exit_code == 0
    body = json.loads(res.stdout)
    assert body["ok"] and body["fields"] == list(TEMPLATE_FIELDS) and body["kabupaten"] is None
    res = runner.invoke(cli(), ["template", "--out", str(tmp_path / "x.xlsx"), "--kabupaten", "9999"])
    assert res.exit_code == 2 and "--kabupaten" in res.stderr


def test_command_help_has_example_and_exit_codes():
    res = CliRunner().invoke(cli(), ["template", "--help"])
    assert res.exit_code == 0 and "Contoh" in res.stdout and "Kode keluar" in res.stdout
