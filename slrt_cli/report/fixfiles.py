"""Fix-files for the villages: their flagged and rejected rows, as sent, with the reasons.

One workbook per input file that has problems, under ``perbaikan/`` with the
input's own sub-folders, so that the Dinsos can send each village its file
back. Values are written as the village typed them (identifiers always as
text cells, dates as date cells), followed by the status and the reasons in
the operator's language.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl
import xlsxwriter

from slrt_cli.i18n import issue_messages, t
from slrt_cli.model import (
    ERROR,
    FLAGGED,
    REJECTED,
    WARNING,
    FileResult,
    SheetTable,
    ValidationReport,
)
from slrt_cli.schemas import Schema

FOLDER = "perbaikan"
#: the longest text an Excel cell holds
EXCEL_CELL_MAX = 32_767
#: creation time written into every workbook, so that re-running gives byte-identical files
REPRODUCIBLE_TIME = dt.datetime(2000, 1, 1)


#: the longest file or folder name written, in UTF-8 bytes (file systems allow 255; staging and
#: temporary names add to a path, never to a name, but leave room)
MAX_NAME_BYTES = 200
_TAIL = "_perbaikan.xlsx"


def fix_file_name(display_name: str, distinct: bool = False) -> str:
    """``kec/desa.xlsx`` -> ``perbaikan/kec/desa_perbaikan.xlsx``.

    A name too long for a file system is cut, with a stable hash of the whole name
    (``desa_yang_sangat_pan~1a2b3c4d_perbaikan.xlsx``). ``distinct`` keeps the input's
    extension in the name (``desa_csv_perbaikan.xlsx``), for inputs that differ by it alone.
    """
    p = PurePosixPath(display_name)
    stem = f"{p.stem}_{p.suffix.lstrip('.').lower()}" if distinct and p.suffix else p.stem
    folders = [_fit(part, "") for part in p.parent.parts]
    return str(Path(FOLDER, *folders, _fit(stem, _TAIL)))


def fix_file_shortened(display_name: str) -> bool:
    """True when :func:`fix_file_name` cuts the name (the input's name is too long)."""
    p = PurePosixPath(display_name)
    return any(_too_long(part) for part in p.parent.parts) or _too_long(p.stem + _TAIL)


def fix_file_targets(names: list[str]) -> dict[str, str]:
    """Input display name -> its fix-file (:func:`fix_file_name`); two inputs never share one, even on
    a file system that ignores case (``desa.csv`` and ``desa.xlsx``: ``desa_csv_…``, ``desa_xlsx_…``)."""
    plain = {n: fix_file_name(n) for n in names}
    count = Counter(v.casefold() for v in plain.values())
    out = {n: fix_file_name(n, distinct=True) if count[v.casefold()] > 1 else v for n, v in plain.items()}
    count = Counter(v.casefold() for v in out.values())
    for n, v in out.items():
        if count[v.casefold()] > 1:  # alike even with their extensions (``Desa.CSV``, ``desa.csv``)
            p = PurePosixPath(v)
            out[n] = str(Path(p.parent, _fit(f"{p.name.removesuffix(_TAIL)}~{_digest(n)}", _TAIL)))
    return out


def _too_long(name: str) -> bool:
    return len(name.encode("utf-8", "replace")) > MAX_NAME_BYTES


def _fit(stem: str, tail: str) -> str:
    """``stem + tail``, the stem cut (with a hash of it) so that the name fits :data:`MAX_NAME_BYTES`."""
    if not _too_long(stem + tail):
        return stem + tail
    digest = _digest(stem)
    room = MAX_NAME_BYTES - len(tail.encode()) - len(digest) - 1
    head = stem.encode("utf-8", "replace")[:room].decode("utf-8", "ignore")
    return f"{head}~{digest}{tail}"


def _digest(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "replace"), digest_size=4).hexdigest()


def reasons_frame(report: ValidationReport, lang: str, only: pl.DataFrame | None = None) -> pl.DataFrame:
    """(file, sheet, row) -> the row's problems as one text, most serious first, one per line.

    ``only``: just these rows (columns ``file``, ``sheet``, ``row``); messages are rendered for them alone.
    """
    issues = report.issue_table.filter(
        pl.col("row").is_not_null() & pl.col("severity").is_in([ERROR, WARNING])
    )
    if only is not None:
        issues = issues.join(only, on=["file", "sheet", "row"], how="semi", nulls_equal=True)
    column, message = pl.col("column").fill_null(""), pl.lit(issue_messages(issues, lang))
    return (
        issues.with_columns(
            pl.when(column != "").then("[" + column + "] " + message).otherwise(message).alias("_msg"),
            pl.col("severity").replace_strict({ERROR: 0, WARNING: 1}, return_dtype=pl.Int8).alias("_sev"),
        )
        .sort(["file", "sheet", "row", "_sev", "code"])
        .group_by(["file", "sheet", "row"], maintain_order=True)
        .agg(pl.col("_msg").str.join("\n").alias("reasons"))
    )


@dataclass
class FixFile:
    """One fix-file, fully prepared: plain Python values only (written without polars)."""

    target: Path
    title: str
    head: list[str]
    lead: int
    id_columns: list[int]
    sheet_name: str
    rows: list[list]  # each: [row number, (sheet,) cells..., status text, reasons]



def fix_file_names(report: ValidationReport) -> list[str]:
    """The fix-files :func:`write_fix_files` writes, relative to the output folder, in input order."""
    bad = set(report.table.filter(pl.col("status").is_in([FLAGGED, REJECTED]))["source_file"].unique().to_list())
    targets = fix_file_targets([f.file for f in report.files])
    return [targets[f.file] for f in report.files if f.file in bad]


def write_fix_files(report: ValidationReport, stage: Path, schema: Schema, lang: str = "id") -> None:
    """Prepare and write every fix-file under ``stage`` (see :func:`fix_file_names`)."""
    write_prepared(prepare_fix_files(report, stage, schema, lang))


def prepare_fix_files(report: ValidationReport, stage: Path, schema: Schema, lang: str = "id") -> list[FixFile]:
    """Everything the fix-files hold, as plain Python values (the polars work happens here)."""
    bad = report.table.filter(pl.col("status").is_in([FLAGGED, REJECTED])).select(
        pl.col("source_file").alias("file"), pl.col("source_sheet").alias("sheet"),
        pl.col("source_row").alias("row"), "status",
    )
    if not bad.height:
        return []
    bad = bad.join(reasons_frame(report, lang), on=["file", "sheet", "row"], how="left")
    by_file = bad.partition_by("file", as_dict=True)
    ids = {n for n, fld in schema.fields.items() if fld.kind in ("id", "region")}
    out = []
    targets = fix_file_targets([f.file for f in report.files])
    for f in report.files:
        rows = by_file.get((f.file,))
        if rows is not None:
            out.append(_prepare_one(stage / targets[f.file], f, rows, ids, lang))
    return out


def _prepare_one(target: Path, f: FileResult, bad: pl.DataFrame, ids: set[str], lang: str) -> FixFile:
    columns = _union_columns(f.sheets)
    multi = len(f.sheets) > 1
    head = [t("row_column", lang=lang)] + ([t("sheet_column", lang=lang)] if multi else [])
    lead = len(head)
    head += [h for h, _ in columns] + [t("status_column", lang=lang), t("reason_column", lang=lang)]
    status_text = {s: t(f"status_{s}", lang=lang) for s in (FLAGGED, REJECTED)}
    rows: list[list] = []
    for sheet in f.sheets:
        sub = sheet.data.join(bad.filter(pl.col("sheet") == sheet.sheet), left_on="source_row", right_on="row")
        if not sub.height:
            continue
        cells = _cells(sub, [key for _, key in columns], ids)
        statuses = [status_text[s] for s in sub["status"].to_list()]
        lead_cols = [sub["source_row"].to_list()] + ([[sheet.sheet] * sub.height] if multi else [])
        tail = [statuses, sub["reasons"].fill_null("").to_list()]
        rows.extend([list(r) for r in zip(*lead_cols, *cells, *tail, strict=True)])
    return FixFile(
        target=target,
        title=t("fix_intro", lang=lang, file=f.file, count=len(rows)),
        head=head,
        lead=lead,
        id_columns=[j for j, (_, key) in enumerate(columns, start=lead) if key in ids],
        sheet_name=t("fix_sheet", lang=lang)[:31],
        rows=rows,
    )


def write_prepared(files: list[FixFile]) -> None:
    """Write prepared fix-files (pure Python: xlsxwriter); a worker process may (:mod:`slrt_cli.executor`)."""
    for f in files:
        f.target.parent.mkdir(parents=True, exist_ok=True)
        _write_one(f)


def _write_one(f: FixFile) -> None:
    n_cols = len(f.head)
    header_row = 2
    wb = xlsxwriter.Workbook(
        # not constant_memory: a fix-file is small, and repeated texts (statuses, reasons) then go
        # once into the shared strings instead of inline in every cell (10 % faster)
        str(f.target), {"strings_to_formulas": False, "strings_to_urls": False}
    )
    wb.set_properties({"created": REPRODUCIBLE_TIME, "author": "slrt"})  # same inputs, same bytes
    bold = wb.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "valign": "top"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    text = wb.add_format({"num_format": "@"})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    title = wb.add_format({"bold": True, "font_size": 12})
    ws = wb.add_worksheet(f.sheet_name)
    ws.set_column(0, f.lead - 1, 10)
    ids = set(f.id_columns)
    for j in range(f.lead, n_cols - 2):
        ws.set_column(j, j, 18, text if j in ids else None)
    ws.set_column(n_cols - 2, n_cols - 2, 11)
    ws.set_column(n_cols - 1, n_cols - 1, 80, wrap)
    ws.freeze_panes(header_row + 1, 1)
    ws.autofilter(header_row, 0, header_row + max(len(f.rows), 1), n_cols - 1)
    ws.write_string(0, 0, f.title, title)
    for j, h in enumerate(f.head):
        ws.write_string(header_row, j, h, bold)
    write_string, write_number, write_datetime = ws.write_string, ws.write_number, ws.write_datetime
    for i, row in enumerate(f.rows, start=header_row + 1):
        write_number(i, 0, row[0])
        for j in range(1, n_cols - 1):
            v = row[j]
            if v is None:
                continue
            if type(v) is str:
                write_string(i, j, v[:EXCEL_CELL_MAX])
            elif type(v) is float:
                write_number(i, j, v)
            else:
                write_datetime(i, j, v, date)
        write_string(i, n_cols - 1, row[-1], wrap)
    wb.close()


def _cells(sub: pl.DataFrame, keys: list[str], ids: set[str]) -> list[list]:
    """Each column's cells as the village typed them: dates as datetimes, numbers as floats, else text.

    Identifiers stay text whatever their cell kind (their digits must survive). One polars
    pass per sheet: a pass per column costs more than the work itself on small sheets."""
    exprs: list[pl.Expr] = []
    present = set(sub.columns)  # DataFrame.columns builds a new list on each call: once, not per column
    for j, key in enumerate(keys):
        if key not in present:
            continue
        exprs.append(pl.col(key).alias(f"v{j}"))
        if key not in ids and f"{key}#k" in present:
            kind = pl.col(f"{key}#k")
            exprs.append(pl.when(kind == "d").then(pl.col(key).str.to_datetime(strict=False)).alias(f"d{j}"))
            exprs.append(pl.when(kind == "n").then(pl.col(key).cast(pl.Float64, strict=False)).alias(f"n{j}"))
    frame = sub.select(exprs)
    out = []
    selected = set(frame.columns)
    for j, key in enumerate(keys):
        if f"v{j}" not in selected:
            out.append([None] * sub.height)
        elif f"d{j}" not in selected:
            out.append(frame[f"v{j}"].to_list())
        else:
            out.append([
                d if d is not None else (n if n is not None else v)
                for v, d, n in zip(frame[f"v{j}"].to_list(), frame[f"d{j}"].to_list(), frame[f"n{j}"].to_list())
            ])
    return out


def _union_columns(sheets: list[SheetTable]) -> list[tuple[str, str]]:
    """(header, key) of every column of the file's sheets, in first-seen order."""
    seen: dict[str, str] = {}
    for s in sheets:
        for c in s.columns:
            seen.setdefault(c.key, c.header)
    return [(h, k) for k, h in seen.items()]
