"""Fix-files for the villages: their flagged and rejected rows, as sent, with the reasons.

One workbook per input file that has problems, under ``perbaikan/`` with the
input's own sub-folders, so that the Dinsos can send each village its file
back. Values are written as the village typed them (identifiers always as
text cells, dates as date cells), followed by the status and the reasons in
the operator's language.
"""

from __future__ import annotations

import json
import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

from slrt_cli.i18n import t
from slrt_cli.model import ERROR, FLAGGED, REJECTED, WARNING, FileResult, SheetTable, ValidationReport
from slrt_cli.schemas import Schema

FOLDER = "perbaikan"
#: the longest text an Excel cell holds
EXCEL_CELL_MAX = 32_767
#: creation time written into every workbook, so that re-running gives byte-identical files
REPRODUCIBLE_TIME = dt.datetime(2000, 1, 1)


def fix_file_name(display_name: str) -> str:
    """``kec/desa.xlsx`` -> ``perbaikan/kec/desa_perbaikan.xlsx``."""
    p = Path(display_name)
    return str(Path(FOLDER) / p.parent / f"{p.stem}_perbaikan.xlsx")


def reasons_frame(report: ValidationReport, lang: str) -> pl.DataFrame:
    """(file, sheet, row) -> the row's problems as one text, most serious first, one per line."""
    issues = report.issue_table.filter(
        pl.col("row").is_not_null() & pl.col("severity").is_in([ERROR, WARNING])
    )
    keys = issues.select("code", "column", "value", "params").unique()
    rendered = keys.with_columns(
        pl.Series(
            "_msg",
            [
                (f"[{column}] " if column else "")
                + t(code, lang=lang, value=value, column=column, **json.loads(params or "{}"))
                for code, column, value, params in keys.iter_rows()
            ],
            dtype=pl.Utf8,
        )
    )
    return (
        issues.join(rendered, on=["code", "column", "value", "params"], how="left", nulls_equal=True)
        .with_columns(pl.col("severity").replace_strict({ERROR: 0, WARNING: 1}, return_dtype=pl.Int8).alias("_sev"))
        .sort(["file", "sheet", "row", "_sev", "code"])
        .group_by(["file", "sheet", "row"], maintain_order=True)
        .agg(pl.col("_msg").str.join("\n").alias("reasons"))
    )


def write_fix_files(report: ValidationReport, stage: Path, schema: Schema, lang: str = "id") -> list[str]:
    """Write one fix-file per input file with flagged or rejected rows; return their paths."""
    bad = report.table.filter(pl.col("status").is_in([FLAGGED, REJECTED])).select(
        pl.col("source_file").alias("file"), pl.col("source_sheet").alias("sheet"),
        pl.col("source_row").alias("row"), "status",
    )
    if not bad.height:
        return []
    bad = bad.join(reasons_frame(report, lang), on=["file", "sheet", "row"], how="left")
    by_file = bad.partition_by("file", as_dict=True)
    ids = {n for n, fld in schema.fields.items() if fld.kind in ("id", "region")}
    written = []
    for f in report.files:
        rows = by_file.get((f.file,))
        if rows is None:
            continue
        rel = fix_file_name(f.file)
        target = stage / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        _write_one(target, f, rows, ids, lang)
        written.append(rel)
    return written


def _write_one(target: Path, f: FileResult, bad: pl.DataFrame, ids: set[str], lang: str) -> None:
    columns = _union_columns(f.sheets)
    multi = len(f.sheets) > 1
    head = [t("row_column", lang=lang)] + ([t("sheet_column", lang=lang)] if multi else [])
    lead = len(head)
    head += [h for h, _ in columns] + [t("status_column", lang=lang), t("reason_column", lang=lang)]
    status_text = {s: t(f"status_{s}", lang=lang) for s in (FLAGGED, REJECTED)}
    header_row = 2
    wb = xlsxwriter.Workbook(
        str(target), {"strings_to_formulas": False, "strings_to_urls": False, "constant_memory": True}
    )
    wb.set_properties({"created": REPRODUCIBLE_TIME, "author": "slrt"})  # same inputs, same bytes
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@"})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    title = wb.add_format({"bold": True, "font_size": 12})
    ws = wb.add_worksheet(t("fix_sheet", lang=lang)[:31])
    ws.set_column(0, lead - 1, 10)
    for j, (_, key) in enumerate(columns, start=lead):
        ws.set_column(j, j, 18, text if key in ids else None)
    ws.set_column(lead + len(columns), lead + len(columns), 11)
    ws.set_column(lead + len(columns) + 1, lead + len(columns) + 1, 80, wrap)
    ws.freeze_panes(header_row + 1, 1)
    ws.autofilter(header_row, 0, header_row + max(bad.height, 1), len(head) - 1)
    ws.write_string(0, 0, t("fix_intro", lang=lang, file=f.file, count=bad.height), title)
    for j, h in enumerate(head):
        ws.write_string(header_row, j, h, bold)
    i = header_row + 1
    for sheet in f.sheets:
        sub = sheet.data.join(bad.filter(pl.col("sheet") == sheet.sheet), left_on="source_row", right_on="row")
        if not sub.height:
            continue
        cells = [_column_values(sub, key, key in ids) for _, key in columns if key in sub.columns]
        present = [key in sub.columns for _, key in columns]
        rows_ = sub["source_row"].to_list()
        statuses = sub["status"].to_list()
        reasons = sub["reasons"].fill_null("").to_list()
        for r in range(sub.height):
            ws.write_number(i, 0, rows_[r])
            if multi:
                ws.write_string(i, 1, sheet.sheet)
            c = 0
            for j, ok in enumerate(present, start=lead):
                if not ok:
                    continue
                v = cells[c][r]
                c += 1
                if v is None:
                    continue
                if type(v) is str:
                    ws.write_string(i, j, v[:EXCEL_CELL_MAX])
                elif type(v) is float:
                    ws.write_number(i, j, v)
                else:
                    ws.write_datetime(i, j, v, date)
            ws.write_string(i, lead + len(columns), status_text[statuses[r]])
            ws.write_string(i, lead + len(columns) + 1, reasons[r], wrap)
            i += 1
    wb.close()


def _column_values(sub: pl.DataFrame, key: str, is_id: bool) -> list:
    """A column's cells as the village typed them: dates as datetimes, numbers as floats, else text.

    Identifiers stay text whatever their cell kind (their digits must survive)."""
    if is_id:
        return sub[key].to_list()
    kind = pl.col(f"{key}#k")
    frame = sub.select(
        pl.col(key),
        pl.when(kind == "d").then(pl.col(key).str.to_datetime(strict=False)).alias("d"),
        pl.when(kind == "n").then(pl.col(key).cast(pl.Float64, strict=False)).alias("n"),
    )
    return [
        d if d is not None else (n if n is not None else v)
        for v, d, n in zip(frame[key].to_list(), frame["d"].to_list(), frame["n"].to_list())
    ]


def _union_columns(sheets: list[SheetTable]) -> list[tuple[str, str]]:
    """(header, key) of every column of the file's sheets, in first-seen order."""
    seen: dict[str, str] = {}
    for s in sheets:
        for c in s.columns:
            seen.setdefault(c.key, c.header)
    return [(h, k) for k, h in seen.items()]
