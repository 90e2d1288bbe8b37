"""FastWorkbook writes the bytes xlsxwriter writes: every part of the package, notes or not."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from slrt_cli.report.xlsx import FastWorkbook

NOTES = [
    "NIK tidak valid: 16 digit diharapkan [NIK (C)]",
    "  teks dengan spasi di depan",
    "baris\nkedua & <tanda> \"kutip\" 'apostrof'",
    "kontrol \x01 dan _x0041_ dan \ufffe",
    "x" * 300,
    "",
]


def _book(cls, path: Path, *, options_for, second_sheet: bool, header_image: Path | None = None) -> None:
    wb = cls(str(path), {"in_memory": True})
    wb.set_properties({"created": dt.datetime(2026, 1, 1), "author": "slrt"})
    ws = wb.add_worksheet("Data")
    ws.set_column(0, 0, 7)
    ws.set_column(3, 3, 40)
    ws.set_row(0, 45)
    ws.set_row(7, 60)
    ws.set_comments_author("slrt")
    for r in range(40):
        for c in range(6):
            ws.write_string(r, c, f"r{r}c{c}")
    for k, note in enumerate(NOTES * 4):
        ws.write_comment(1 + k, k % 6, note, options_for(k))
    if header_image is not None:
        ws.set_header("&L&G", {"image_left": str(header_image)})
    if second_sheet:
        other = wb.add_worksheet("Lain")
        other.write_comment("B2", "catatan kedua", {"author": "orang lain", "visible": True, "color": "#C0FFC0"})
        other.write_comment(5, 1, "catatan ketiga", {"x_scale": 2, "font_name": "Arial & Co", "font_size": 10.5})
    wb.close()


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {name: z.read(name) for name in z.namelist()}


@pytest.mark.parametrize("second_sheet", [False, True])
@pytest.mark.parametrize("sizes", ["default", "sized", "visible"])
def test_the_notes_are_the_bytes_xlsxwriter_writes(tmp_path, sizes, second_sheet):
    options = {
        "default": lambda k: None,
        "sized": lambda k: {"width": 320, "height": 24 + 16 * (k % 5)},
        "visible": lambda k: {"visible": k % 2 == 0, "author": "operator" if k % 3 else None, "start_row": k % 4},
    }[sizes]
    _book(xlsxwriter.Workbook, tmp_path / "a.xlsx", options_for=options, second_sheet=second_sheet)
    _book(FastWorkbook, tmp_path / "b.xlsx", options_for=options, second_sheet=second_sheet)
    a, b = _parts(tmp_path / "a.xlsx"), _parts(tmp_path / "b.xlsx")
    assert sorted(a) == sorted(b)
    assert any(name.startswith("xl/drawings/vmlDrawing") for name in a)
    for name in a:
        assert a[name] == b[name], name
    # and the notes read back
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx")["Data"]
    assert ws.cell(2, 1).comment.text == NOTES[0]
    assert ws.cell(4, 3).comment.text == NOTES[2]


def test_a_workbook_with_a_header_image_is_written_by_xlsxwriter_alone(tmp_path):
    # an image in the page header shares the VML: then nothing of FastWorkbook's own is used
    image = tmp_path / "logo.png"
    image.write_bytes(bytes.fromhex(
        "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
        "1f15c4890000000d49444154789c6360000002000001e221bc330000000049454e44ae426082"))
    _book(xlsxwriter.Workbook, tmp_path / "a.xlsx", options_for=lambda k: None, second_sheet=True, header_image=image)
    _book(FastWorkbook, tmp_path / "b.xlsx", options_for=lambda k: None, second_sheet=True, header_image=image)
    assert _parts(tmp_path / "a.xlsx") == _parts(tmp_path / "b.xlsx")


def test_the_cell_writers_write_what_the_public_methods_write(tmp_path):
    from slrt_cli.report.xlsx import cell_writers

    values = [("teks", "NIK 3201..."), ("angka", 3000.5), ("tanggal", dt.datetime(1990, 8, 17)), ("kosong", None)]

    def book(path: Path, public: bool) -> None:
        wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
        wb.set_properties({"created": dt.datetime(2026, 1, 1)})
        ws = wb.add_worksheet()
        fmt = wb.add_format({"num_format": "dd/mm/yyyy", "bg_color": "#FFC7CE"})
        writers = (ws.write_string, ws.write_number, ws.write_datetime, ws.write_blank) if public else cell_writers(ws)
        for r in range(5):
            for c, (_, v) in enumerate(values):
                writers[c](r, c, v, fmt if r % 2 else None)
        wb.close()

    book(tmp_path / "a.xlsx", public=True)
    book(tmp_path / "b.xlsx", public=False)
    assert _parts(tmp_path / "a.xlsx") == _parts(tmp_path / "b.xlsx")
    ws = openpyxl.load_workbook(tmp_path / "b.xlsx").active
    assert [ws.cell(1, c).value for c in range(1, 3)] == ["NIK 3201...", 3000.5]
    assert ws.cell(2, 3).value == dt.datetime(1990, 8, 17) and ws.cell(2, 4).fill.fgColor.rgb.endswith("FFC7CE")


@pytest.mark.parametrize("constant_memory", [False, True])
def test_the_cells_are_the_bytes_xlsxwriter_writes(tmp_path, constant_memory):
    # every kind of cell, with a format of its own, of its row, of its column or none
    def book(cls, path: Path) -> None:
        wb = cls(str(path), {"in_memory": not constant_memory, "constant_memory": constant_memory})
        wb.set_properties({"created": dt.datetime(2026, 1, 1)})
        red = wb.add_format({"bg_color": "#FFC7CE"})
        date = wb.add_format({"num_format": "dd/mm/yyyy"})
        bold = wb.add_format({"bold": True})
        for name in ("Satu", "Dua"):
            ws = wb.add_worksheet(name)
            ws.set_column(2, 2, 14, date)
            ws.set_column(4, 5, 9, bold)
            for r in range(30):
                if r % 7 == 3:
                    ws.set_row(r, 20, red)
                ws.write_string(r, 0, f"nama {r} & <{r}>", red if r % 2 else None)
                ws.write_number(r, 1, r * 1000.25 if r % 3 else -r / 7, None)
                ws.write_datetime(r, 2, dt.datetime(1990, 1, 1) + dt.timedelta(days=r * 37))
                ws.write_blank(r, 3, None, red if r % 4 == 0 else None)
                ws.write_number(r, 4, 1e20 + r if r == 5 else r)
                if r % 5 == 0:
                    ws.write_rich_string(r, 5, "biasa ", bold, "tebal", " lagi")
                if r % 6 == 0:
                    ws.write_formula(r, 6, f"=B{r + 1}*2", None, r * 2)
                    ws.write_boolean(r, 7, r % 12 == 0)
                ws.write_string(r, 8, "  spasi di depan" if r % 9 == 0 else "sama")
        wb.close()

    book(xlsxwriter.Workbook, tmp_path / "a.xlsx")
    book(FastWorkbook, tmp_path / "b.xlsx")
    assert _parts(tmp_path / "a.xlsx") == _parts(tmp_path / "b.xlsx")
