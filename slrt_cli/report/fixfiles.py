"""Fix-files for the villages: their flagged and rejected rows, as sent, with the reasons.

One workbook per input file that has problems, under ``perbaikan/`` with the
input's own sub-folders, so that the Dinsos can send each village its file
back and the village can correct it in place:

- a first sheet (``Petunjuk``) says in plain words what to do and how to send the file back;
- the data sheet (``Perbaikan``) holds the village's columns with their own titles, in their
  order, as typed (identifiers always text cells, dates date cells), between slrt's own columns,
  whose titles all start with ``SLRT_`` (``SLRT_BARIS_ASAL`` first; ``SLRT_STATUS``,
  ``SLRT_ALASAN`` last): the reader never takes those as data (``schemas/titles.toml``,
  ``own_prefix``), so a corrected fix-file is read back like the village's own file;
- each faulty cell is coloured (red: error, yellow: warning) and carries its reasons as a
  comment; the reasons name the column as it stands in the fix-file (``[NIK (C)]``);
- numbers and dates are formatted for the language of the run; printed A4 landscape, one page
  wide, the title row on every page.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
from collections import Counter
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import polars as pl
import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

from slrt_cli.collector import collector_paused
from slrt_cli.i18n import issue_messages, t
from slrt_cli.report.labels import num_format
from slrt_cli.report.xlsx import FastWorkbook, cell_writers
from slrt_cli.model import (
    ERROR,
    FLAGGED,
    REJECTED,
    WARNING,
    FileResult,
    ValidationReport,
)
from slrt_cli.schemas import Schema

FOLDER = "perbaikan"
#: the longest text an Excel cell holds
EXCEL_CELL_MAX = 32_767
#: creation time written into every workbook, so that re-running gives byte-identical files
REPRODUCIBLE_TIME = dt.datetime(2000, 1, 1)
#: fill of a cell with an error (the row is rejected) and with a warning (the row is flagged)
ERROR_FILL, WARNING_FILL = "#FFC7CE", "#FFEB9C"
#: per language: a village's number as typed, a count, a date (:data:`labels.NUMBER_FORMATS`, as in every slrt workbook)
FORMATS = {lang: {"number": num_format("number", lang), "count": num_format("int", lang), "date": num_format("date", lang)}
           for lang in ("id", "en")}
#: issues whose parameters name columns by their letter in the village's file (renamed to the fix-file's)
_LETTER_PARAMS = {"KEY_COLUMNS_DISAGREE": ("first", "other")}


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
    lang: str
    source: str  # the village's file, as slrt shows it
    head: list[str]
    lead: int  # slrt's columns before the village's (row, and sheet when there are several)
    id_columns: list[int]
    rows: list[list]  # each: [row number, (sheet,) cells..., status text, reasons]
    #: faulty cells: (index in ``rows``, column, 0 error / 1 warning, the cell's reasons)
    marks: list[tuple[int, int, int, str]]
    rejected: list[bool]  # per row
    example: tuple[str, str]  # (title, letter) of a faulty column, for the instructions


def fix_file_names(report: ValidationReport) -> list[str]:
    """The fix-files :func:`fix_file_jobs` makes, relative to the output folder, in input order."""
    bad = set(report.table.filter(pl.col("status").is_in([FLAGGED, REJECTED]))["source_file"].unique().to_list())
    targets = fix_file_targets([f.file for f in report.files])
    return [targets[f.file] for f in report.files if f.file in bad]


@dataclass
class FixFileJob:
    """One fix-file's inputs, as polars frames: :meth:`prepared` turns them into its :class:`FixFile`
    where the file is written (a worker: the rows of a month's 200 fix-files as Python values are
    some 2 s of work and 100 MB that the matching process need not hold)."""

    target: Path
    file: FileResult  # its sheets (the rows as read), without its issues
    layout: _Layout
    bad: pl.DataFrame  # the file's flagged and rejected rows: sheet, row, status, reasons
    marks: pl.DataFrame | None  # its faulty cells
    ids: set[str]
    lang: str

    def prepared(self) -> FixFile:
        return _prepare_one(self.target, self.file, self.layout, self.bad, self.marks, self.ids, self.lang)


def fix_file_jobs(report: ValidationReport, stage: Path, schema: Schema, lang: str = "id") -> list[FixFileJob]:
    """The fix-files to write, in input order, with what each holds (the month's polars work happens here)."""
    bad = report.table.filter(pl.col("status").is_in([FLAGGED, REJECTED])).select(
        pl.col("source_file").alias("file"), pl.col("source_sheet").alias("sheet"),
        pl.col("source_row").alias("row"), "status",
    )
    if not bad.height:
        return []
    names = set(bad["file"].unique().to_list())
    layouts = {f.file: _Layout(f, lang) for f in report.files if f.file in names}
    reasons, marks = _reasons_and_marks(report, bad, layouts, schema, lang)
    bad = bad.join(reasons, on=["file", "sheet", "row"], how="left")
    by_file = bad.partition_by("file", as_dict=True)
    marks_by_file = marks.partition_by("file", as_dict=True)
    ids = {n for n, fld in schema.fields.items() if fld.kind in ("id", "region")}
    out = []
    targets = fix_file_targets([f.file for f in report.files])
    for f in report.files:
        rows = by_file.get((f.file,))
        if rows is not None:
            out.append(FixFileJob(stage / targets[f.file], dataclasses.replace(f, issues=[]), layouts[f.file], rows,
                                  marks_by_file.get((f.file,)), ids, lang))
    return out


class _Layout:
    """The columns of one fix-file: slrt's, then the village's (each once, in first-seen order, without
    the columns slrt split off a combined one), then slrt's. slrt's own columns of an earlier fix-file
    sent back are not among the village's: the reader drops them (``own_prefix`` of titles.toml)."""

    def __init__(self, f: FileResult, lang: str):
        self.multi = len(f.sheets) > 1
        lead = [t("fixfile_row_column", lang=lang)] + ([t("fixfile_sheet_column", lang=lang)] if self.multi else [])
        self.lead = len(lead)
        seen: dict[str, str] = {}
        for s in f.sheets:
            for c in s.columns:
                if c.how != "combined":
                    seen.setdefault(c.key, c.header)
        self.columns = [(h, k) for k, h in seen.items()]
        self.head = lead + [h for h, _ in self.columns] + [t("fixfile_status_column", lang=lang),
                                                            t("fixfile_reason_column", lang=lang)]
        position = {k: j for j, (_, k) in enumerate(self.columns, start=self.lead)}
        #: (sheet, the column as an issue names it: "TITLE (letter)") -> (position, title, letter) here
        self.cells: list[tuple[str, str, int, str, str]] = []
        for s in f.sheets:
            by_letter = {c.letter: c.key for c in s.columns if c.how != "combined"}
            for c in s.columns:
                key = by_letter.get(c.letter) if c.how == "combined" else c.key  # a split column: its source
                j = position.get(key)
                if j is not None:
                    self.cells.append((s.sheet, f"{c.header} ({c.letter})", j, self.head[j], xl_col_to_name(j)))
        self.letters = {(s.sheet, c.letter): xl_col_to_name(position[c.key])
                        for s in f.sheets for c in s.columns if c.key in position and c.how != "combined"}


def _reasons_and_marks(report: ValidationReport, bad: pl.DataFrame, layouts: dict[str, _Layout], schema: Schema,
                       lang: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(file, sheet, row) -> the row's reasons, most serious first, one per line, each naming its
    column as it stands in the fix-file (``[NIK (C)] ...``); and the faulty cells:
    (file, sheet, row, pos) -> level (0 error, 1 warning) and the cell's reasons."""
    issues = report.issue_table.filter(
        pl.col("row").is_not_null() & pl.col("severity").is_in([ERROR, WARNING])
    ).join(bad.select("file", "sheet", "row"), on=["file", "sheet", "row"], how="semi", nulls_equal=True)
    issues = _renamed_letters(issues, layouts)
    cells = pl.DataFrame(
        [(name, *cell) for name, lay in layouts.items() for cell in lay.cells],
        schema={"file": pl.Utf8, "sheet": pl.Utf8, "column": pl.Utf8, "pos": pl.Int64, "_title": pl.Utf8,
                "_letter": pl.Utf8},
        orient="row",
    ).unique(["file", "sheet", "column"], keep="first", maintain_order=True)
    labels = {n: fld.label(lang) for n, fld in schema.fields.items()}
    column = pl.col("column").fill_null("")
    shown = pl.when(pl.col("pos").is_not_null()).then(pl.format("{} ({})", "_title", "_letter")).otherwise(
        column.replace(labels))
    issues = (
        issues.with_columns(pl.lit(issue_messages(issues, lang)).alias("_msg"))
        .join(cells, on=["file", "sheet", "column"], how="left")
        .with_columns(
            pl.when(shown != "").then("[" + shown + "] " + pl.col("_msg")).otherwise(pl.col("_msg")).alias("_line"),
            pl.col("severity").replace_strict({ERROR: 0, WARNING: 1}, return_dtype=pl.Int8).alias("_sev"),
        )
        .sort(["file", "sheet", "row", "_sev", "code"])
    )
    reasons = issues.group_by(["file", "sheet", "row"], maintain_order=True).agg(
        pl.col("_line").str.join("\n").alias("reasons"))
    marks = (
        issues.filter(pl.col("pos").is_not_null())
        .group_by(["file", "sheet", "row", "pos"], maintain_order=True)
        .agg(pl.col("_sev").min().alias("level"), pl.col("_msg").unique(maintain_order=True).str.join("\n").alias("note"))
    )
    return reasons, marks


def _renamed_letters(issues: pl.DataFrame, layouts: dict[str, _Layout]) -> pl.DataFrame:
    """Issues whose parameters name the village's column letters (``KEY_COLUMNS_DISAGREE``) name the
    fix-file's instead (rare: rewritten in Python)."""
    import json

    which = pl.col("code").is_in(list(_LETTER_PARAMS))
    some = issues.filter(which)
    if not some.height:
        return issues
    params = []
    for code, file, sheet, raw in some.select("code", "file", "sheet", "params").iter_rows():
        p = json.loads(raw or "{}")
        letters = layouts[file].letters
        for name in _LETTER_PARAMS[code]:
            if name in p:
                p[name] = letters.get((sheet, p[name]), p[name])
        params.append(json.dumps(p, ensure_ascii=False, sort_keys=True, separators=(",", ":")))
    return pl.concat([issues.filter(~which), some.with_columns(pl.Series("params", params, dtype=pl.Utf8))])


def _prepare_one(target: Path, f: FileResult, lay: _Layout, bad: pl.DataFrame, marks: pl.DataFrame | None,
                 ids: set[str], lang: str) -> FixFile:
    status_text = {s: t(f"status_{s}", lang=lang) for s in (FLAGGED, REJECTED)}
    rows: list[list] = []
    rejected: list[bool] = []
    where: dict[tuple[str, int], int] = {}
    for sheet in f.sheets:
        sub = sheet.data.join(bad.filter(pl.col("sheet") == sheet.sheet), left_on="source_row", right_on="row")
        if not sub.height:
            continue
        cells = _cells(sub, [key for _, key in lay.columns], ids)
        status = sub["status"].to_list()
        numbers = sub["source_row"].to_list()
        lead_cols = [numbers] + ([[sheet.sheet] * sub.height] if lay.multi else [])
        tail = [[status_text[s] for s in status], sub["reasons"].fill_null("").to_list()]
        where.update({(sheet.sheet, n): i for i, n in enumerate(numbers, start=len(rows))})
        rows.extend([list(r) for r in zip(*lead_cols, *cells, *tail, strict=True)])
        rejected.extend(s == REJECTED for s in status)
    faulty = []
    if marks is not None:
        for sheet, row, pos, level, note in marks.select("sheet", "row", "pos", "level", "note").iter_rows():
            i = where.get((sheet, row))
            if i is not None:
                faulty.append((i, pos, level, note))
    first = min(faulty, key=lambda m: m[1])[1] if faulty else lay.lead
    example = (lay.head[first], xl_col_to_name(first)) if first < len(lay.head) - 2 else ("", "")
    return FixFile(
        target=target,
        lang=lang,
        source=f.file,
        head=lay.head,
        lead=lay.lead,
        id_columns=[j for j, (_, key) in enumerate(lay.columns, start=lay.lead) if key in ids],
        rows=rows,
        marks=faulty,
        rejected=rejected,
        example=example,
    )


def write_prepared(jobs: list[FixFileJob]) -> None:
    """Write fix-files (xlsxwriter), each turned into its rows first; a worker process may
    (:mod:`slrt_cli.executor`)."""
    for job in jobs:
        f = job.prepared()
        f.target.parent.mkdir(parents=True, exist_ok=True)
        with collector_paused():
            _write_one(f)


def _write_one(f: FixFile) -> None:
    wb = FastWorkbook(  # xlsxwriter's, its cells and notes written faster (slrt_cli.report.xlsx)
        # not constant_memory: a fix-file is small, and repeated texts (statuses, reasons) then go
        # once into the shared strings instead of inline in every cell (10 % faster)
        # in_memory: the parts are assembled in memory, not in temporary files (10 % faster)
        str(f.target), {"strings_to_formulas": False, "strings_to_urls": False, "in_memory": True}
    )
    wb.set_properties({"created": REPRODUCIBLE_TIME, "author": "slrt"})  # same inputs, same bytes
    style = _Styles(wb, f.lang)
    _write_guide(wb, f, style)
    _write_rows(wb, f, style)
    wb.close()


class _Styles:
    """The formats of one workbook (xlsxwriter formats belong to their workbook)."""

    def __init__(self, wb: xlsxwriter.Workbook, lang: str):
        fmt = FORMATS.get(lang, FORMATS["id"])
        self.wb, self.fmt = wb, fmt
        top = {"bold": True, "border": 1, "text_wrap": True, "valign": "top"}
        self.head = wb.add_format({**top, "bg_color": "#DDEBF7"})
        self.own_head = wb.add_format({**top, "bg_color": "#595959", "font_color": "#FFFFFF"})
        # cells at the top of their row, like the reasons beside them
        self.wrap = wb.add_format({"text_wrap": True, "valign": "top"})
        self.top = wb.add_format({"valign": "top"})
        self.text = wb.add_format({"num_format": "@", "valign": "top"})
        self.date = wb.add_format({"num_format": fmt["date"], "valign": "top"})
        self.number = wb.add_format({"num_format": fmt["number"], "valign": "top"})
        self.row_number = wb.add_format({"num_format": "0", "valign": "top"})
        self.count = wb.add_format({"num_format": fmt["count"]})
        self.title = wb.add_format({"bold": True, "font_size": 14})
        self.bold = wb.add_format({"bold": True, "font_size": 12})
        self.status = [wb.add_format({"bg_color": c, "valign": "top"}) for c in (ERROR_FILL, WARNING_FILL)]
        self._marked: dict[tuple[int, str], object] = {}

    def marked(self, level: int, kind: str):
        """The format of a faulty cell: its fill, and the number format of its kind of value."""
        found = self._marked.get((level, kind))
        if found is None:
            props = {"bg_color": ERROR_FILL if level == 0 else WARNING_FILL, "border": 1, "valign": "top",
                     "border_color": "#C00000" if level == 0 else "#BF8F00"}
            if kind in ("text", "date", "number"):
                props["num_format"] = {"text": "@", "date": self.fmt["date"], "number": self.fmt["number"]}[kind]
            found = self._marked[(level, kind)] = self.wb.add_format(props)
        return found


def _write_guide(wb: xlsxwriter.Workbook, f: FixFile, style: _Styles) -> None:
    """The first sheet: what the file is, what the colours mean, how to fix and send it back.

    Column A holds the counts, column B the text; each row is as tall as its wrapped text (neither
    Excel nor LibreOffice sizes a row written by xlsxwriter to its text when printing)."""
    lang = f.lang
    sheet = t("fixfile_sheet", lang=lang)
    ws = wb.add_worksheet(t("fixfile_guide_sheet", lang=lang)[:31])
    ws.set_column(0, 0, 7)
    ws.set_column(1, 1, _GUIDE_WIDTH, style.wrap)
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.hide_gridlines(2)
    ws.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)

    def line(r: int, text: str, fmt=None) -> None:
        ws.write_string(r, 1, text[:EXCEL_CELL_MAX], fmt or style.wrap)
        ws.set_row(r, _height(text, _GUIDE_WIDTH))

    ws.write_string(0, 1, t("fixfile_title", lang=lang, file=f.source)[:EXCEL_CELL_MAX], style.title)
    ws.set_row(0, 22)
    line(1, t("fixfile_intro", lang=lang, file=f.source))
    n_rejected = sum(f.rejected)
    counts = [("fixfile_count_rejected", n_rejected), ("fixfile_count_flagged", len(f.rows) - n_rejected),
              ("fixfile_count_total", len(f.rows))]
    for r, (key, n) in enumerate(counts, start=3):
        ws.write_number(r, 0, n, style.count)
        ws.write_string(r, 1, t(key, lang=lang, sheet=sheet))
    line(7, t("fixfile_colour_error", lang=lang), style.marked(0, "blank"))
    line(8, t("fixfile_colour_warning", lang=lang), style.marked(1, "blank"))
    ws.write_string(10, 1, t("fixfile_steps_title", lang=lang), style.bold)
    title, letter = f.example
    params = {"sheet": sheet, "row_column": f.head[0], "reason_column": f.head[-1],
              "example": f"[{title} ({letter})]", "title": title, "letter": letter}
    for k in range(1, 7):
        line(10 + k, t(f"fixfile_step_{k}", lang=lang, **params))
    line(18, t("fixfile_privacy", lang=lang))


#: width of the guide's text column, and of the data sheet's reasons column (in characters)
_GUIDE_WIDTH, _REASON_WIDTH = 100, 70


def _height(text: str, width: int) -> float:
    """The height (points) of a row whose wrapped ``text`` fills a column ``width`` characters wide."""
    per_line = int(width * 1.1)  # a column's width counts digits; text runs a little narrower
    lines = sum(1 + (len(part) - 1) // per_line if part else 1 for part in text.split("\n"))
    return 15.0 * min(lines, 27)


def _write_rows(wb: xlsxwriter.Workbook, f: FixFile, style: _Styles) -> None:
    """The data sheet: slrt's row (and sheet) column, the village's columns, slrt's status and reasons.

    Each cell is written once, a faulty one with its fill, and the cells go through xlsxwriter's
    typed calls (:func:`~slrt_cli.report.xlsx.cell_writers`) with formats chosen once per column:
    some 1,000,000 cells and 92,000 notes in a messy month's 200 fix-files."""
    n_cols = len(f.head)
    ws = wb.add_worksheet(t("fixfile_sheet", lang=f.lang)[:31])
    widths = [_width(f, j) for j in range(n_cols - 1)] + [_REASON_WIDTH]
    ws.set_column(0, 0, widths[0], style.row_number)
    ids = set(f.id_columns)
    for j in range(1, n_cols - 1):
        ws.set_column(j, j, widths[j], style.text if j in ids else None)
    ws.set_column(n_cols - 1, n_cols - 1, widths[-1], style.wrap)
    ws.set_row(0, max(_height(h, w - 1) for h, w in zip(f.head, widths)))  # titles wrap
    ws.freeze_panes(1, f.lead)
    ws.autofilter(0, 0, max(len(f.rows), 1), n_cols - 1)
    # printed: A4 landscape, one page wide, the title row on every page, file and page in the header
    ws.set_paper(9)
    ws.set_landscape()
    ws.repeat_rows(0)
    ws.fit_to_pages(1, 0)
    ws.hide_gridlines(0)
    ws.set_margins(left=0.4, right=0.4, top=0.7, bottom=0.5)
    ws.set_header(f"&L{_header_text(f.source)}&R{t('fixfile_page', lang=f.lang)}")
    ws.set_comments_author("slrt")
    for j, h in enumerate(f.head):
        ws.write_string(0, j, h, style.own_head if j < f.lead or j >= n_cols - 2 else style.head)
    # the faulty cells of each row: {index in rows: {column: (level, note)}}
    faulty_cells: dict[int, dict[int, tuple[int, str]]] = {}
    for i, j, level, note in f.marks:
        faulty_cells.setdefault(i, {})[j] = (level, note)
    write_string, write_number, write_datetime, write_blank = cell_writers(ws)
    set_row, comment, marked = ws.set_row, ws.write_comment, style.marked
    date, number, wrap, row_number, status = style.date, style.number, style.wrap, style.row_number, style.status
    last = n_cols - 1
    # the format of a text cell, per column (identifiers are text cells)
    text_format = [style.text if j in ids else style.top for j in range(n_cols)]
    middle = range(1, last - 1)
    sizes: dict[str, dict] = {}  # a note -> the size of its comment (a note comes back on many cells)
    for i, (row, rejected) in enumerate(zip(f.rows, f.rejected, strict=True), start=1):
        write_number(i, 0, row[0], row_number)
        faulty = faulty_cells.get(i - 1)
        for j in middle:
            v = row[j]
            if faulty is not None and j in faulty:
                level, note = faulty[j]
                if v is None:
                    write_blank(i, j, None, marked(level, "text" if j in ids else "blank"))
                elif type(v) is str:
                    write_string(i, j, v, marked(level, "text" if j in ids else "general"))
                elif type(v) is float:
                    write_number(i, j, v, marked(level, "number"))
                else:
                    write_datetime(i, j, v, marked(level, "date"))
                size = sizes.get(note)
                if size is None:
                    size = sizes[note] = _comment_size(note)
                comment(i, j, note[:EXCEL_CELL_MAX], size)
            elif v is None:
                continue
            elif type(v) is str:
                write_string(i, j, v, text_format[j])  # xlsxwriter cuts a text to what a cell holds
            elif type(v) is float:
                write_number(i, j, v, number)
            else:
                write_datetime(i, j, v, date)
        write_string(i, last - 1, row[last - 1], status[0 if rejected else 1])
        reasons = row[last]
        if reasons:
            write_string(i, last, reasons, wrap)
            if len(reasons) > _REASON_WIDTH or "\n" in reasons:
                set_row(i, _height(reasons, _REASON_WIDTH))


def _width(f: FixFile, j: int) -> int:
    """A column's width: its title's (slrt's, whole) or its longest value's among the first rows (8 to 40)."""
    own = j < f.lead or j >= len(f.head) - 2
    longest = len(f.head[j]) if own else min(len(f.head[j]), 24)  # a long title wraps
    for row in f.rows[:200]:
        v = row[j]
        if v is not None:
            longest = max(longest, 10 if type(v) is dt.datetime else len(str(v)))
    return min(max(longest + 2, 8), 40)


def _header_text(text: str) -> str:
    """``text`` for a page header: ``&`` doubled (a code there), cut to fit Excel's 255 characters."""
    return text[:120].replace("&", "&&")


_COMMENT_SIZES: dict[int, dict] = {}


def _comment_size(note: str) -> dict:
    """Options of a cell comment: wide enough, and tall enough for its text (about 45 letters a line)."""
    lines = sum(1 + len(part) // 45 for part in note.split("\n"))
    lines = min(lines, 20)
    found = _COMMENT_SIZES.get(lines)
    if found is None:
        found = _COMMENT_SIZES[lines] = {"width": 320, "height": 24 + 16 * lines}
    return found


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


