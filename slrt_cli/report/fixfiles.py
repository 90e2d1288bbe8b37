"""Fix-files for the villages: their flagged and rejected rows, as sent, with the reasons.

One workbook per input file that has problems, under ``perbaikan/`` with the
input's own sub-folders, so that the Dinsos can send each village its file
back. Values are written as the village typed them (identifiers always as
text cells, dates as date cells), followed by the status and the reasons in
the operator's language.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import polars as pl
import xlsxwriter

from slrt_cli.i18n import t
from slrt_cli.model import ERROR, FLAGGED, REJECTED, WARNING, FileResult, SheetTable, ValidationReport
from slrt_cli.schemas import Schema

FOLDER = "perbaikan"


def fix_file_name(display_name: str) -> str:
    """``kec/desa.xlsx`` -> ``perbaikan/kec/desa_perbaikan.xlsx``."""
    p = Path(display_name)
    return str(Path(FOLDER) / p.parent / f"{p.stem}_perbaikan.xlsx")


def reasons_by_row(report: ValidationReport, lang: str) -> dict[tuple[str, str, int], str]:
    """(file, sheet, row) -> the row's problems as one text, most serious first."""
    issues = report.issue_table.filter(
        pl.col("row").is_not_null() & pl.col("severity").is_in([ERROR, WARNING])
    ).sort(["file", "sheet", "row", pl.col("severity").replace_strict({ERROR: 0, WARNING: 1}), "code"])
    out: dict[tuple[str, str, int], list[str]] = {}
    for code, file, sheet, row, column, value, params in issues.select(
        "code", "file", "sheet", "row", "column", "value", "params"
    ).iter_rows():
        msg = t(code, lang=lang, value=value, column=column, **json.loads(params or "{}"))
        out.setdefault((file, sheet, row), []).append(f"[{column}] {msg}" if column else msg)
    return {k: "\n".join(v) for k, v in out.items()}


def write_fix_files(report: ValidationReport, stage: Path, schema: Schema, lang: str = "id") -> list[str]:
    """Write one fix-file per input file with flagged or rejected rows; return their paths."""
    bad = report.table.filter(pl.col("status").is_in([FLAGGED, REJECTED])).select(
        "source_file", "source_sheet", "source_row", "status"
    )
    if not bad.height:
        return []
    reasons = reasons_by_row(report, lang)
    status_of = {(f, s, r): st for f, s, r, st in bad.iter_rows()}
    written = []
    for f in report.files:
        keys = [k for k in status_of if k[0] == f.file]
        if not keys:
            continue
        rel = fix_file_name(f.file)
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_one(target, f, status_of, reasons, schema, lang)
        written.append(rel)
    return written


def _write_one(target: Path, f: FileResult, status_of, reasons, schema: Schema, lang: str) -> None:
    wb = xlsxwriter.Workbook(str(target), {"strings_to_formulas": False, "strings_to_urls": False})
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@", "valign": "top"})
    date = wb.add_format({"num_format": "dd/mm/yyyy", "valign": "top"})
    title = wb.add_format({"bold": True, "font_size": 12})
    ids = {n for n, fld in schema.fields.items() if fld.kind in ("id", "region")}
    multi = len(f.sheets) > 1
    ws = wb.add_worksheet(t("fix_sheet", lang=lang)[:31])
    rows = _rows_to_fix(f, status_of)
    ws.write_string(0, 0, t("fix_intro", lang=lang, file=f.file, count=len(rows)), title)
    columns = _union_columns(f.sheets)
    head = [t("row_column", lang=lang)] + ([t("sheet_column", lang=lang)] if multi else [])
    head += [h for h, _ in columns] + [t("status_column", lang=lang), t("reason_column", lang=lang)]
    header_row = 2
    for j, h in enumerate(head):
        ws.write_string(header_row, j, h, bold)
    lead = len(head) - len(columns) - 2
    for i, (sheet, values, kinds, row, status) in enumerate(rows, start=header_row + 1):
        ws.write_number(i, 0, row)
        if multi:
            ws.write_string(i, 1, sheet)
        for j, (_, key) in enumerate(columns, start=lead):
            _write_cell(ws, i, j, values.get(key), kinds.get(key), key in ids, text, date)
        ws.write_string(i, lead + len(columns), t(f"status_{status}", lang=lang))
        ws.write_string(i, lead + len(columns) + 1, reasons.get((f.file, sheet, row), ""), wrap)
    ws.freeze_panes(header_row + 1, 1)
    ws.autofilter(header_row, 0, header_row + max(len(rows), 1), len(head) - 1)
    ws.set_column(0, lead - 1, 10)
    ws.set_column(lead, lead + len(columns) - 1, 16)
    ws.set_column(lead + len(columns), lead + len(columns), 11)
    ws.set_column(lead + len(columns) + 1, lead + len(columns) + 1, 80, wrap)
    wb.close()


def _union_columns(sheets: list[SheetTable]) -> list[tuple[str, str]]:
    """(header, key) of every column of the file's sheets, in first-seen order."""
    seen: dict[str, str] = {}
    for s in sheets:
        for c in s.columns:
            seen.setdefault(c.key, c.header)
    return [(h, k) for k, h in seen.items()]


def _rows_to_fix(f: FileResult, status_of) -> list[tuple[str, dict, dict, int, str]]:
    out = []
    for s in f.sheets:
        wanted = {r: st for (file, sheet, r), st in status_of.items() if sheet == s.sheet}
        if not wanted:
            continue
        keys = [c.key for c in s.columns]
        sub = s.data.filter(pl.col("source_row").is_in(list(wanted)))
        for rec in sub.iter_rows(named=True):
            values = {k: rec.get(k) for k in keys}
            kinds = {k: rec.get(f"{k}#k") for k in keys}
            row = rec["source_row"]
            out.append((s.sheet, values, kinds, row, wanted[row]))
    return out


def _write_cell(ws, i: int, j: int, value, kind, is_id: bool, text_fmt, date_fmt) -> None:
    if value is None:
        return
    if kind == "d" and not is_id:
        try:
            ws.write_datetime(i, j, dt.datetime.fromisoformat(value), date_fmt)
            return
        except ValueError:
            pass
    if kind == "n" and not is_id:
        try:
            ws.write_number(i, j, float(value))
            return
        except ValueError:
            pass
    ws.write_string(i, j, str(value), text_fmt if is_id else None)
