"""The operator's workbook ``laporan.xlsx``: a summary sheet, then one sheet per category.

Every village data row falls in exactly one *category* (:data:`slrt_cli.report.month.CATEGORIES`;
the month's data and the words shared with the page are in :mod:`slrt_cli.report.month`).

What the workbook holds, and why (it must be written in a few seconds for
100,000 rows; xlsxwriter writes some 150,000-200,000 cells a second):

- "Ringkasan": per kecamatan and desa, rows received and one count per
  category, kecamatan subtotals and a grand total; a short header block
  (period, run date, files, register size) and a note saying where the rest is.
- One sheet per action category, complete but lean: the columns an operator
  acts on (where the row came from, who it is, the register ids, the reason).
- "Perubahan Data": one row per matched person whose register data differs,
  one column per field that differs (``DTKS → desa``).
- Not here: the "ditemukan" rows (most of a month, nothing to do), which are in
  ``reconciliation.csv``; the long format of the changes is ``changes.csv``.

Identifiers (NIK, No KK) are text cells, masked unless ``full_ids``; birth
dates are date cells (dd/mm/yyyy); each sheet has a frozen header, an
autofilter and column widths. Operator text is in :data:`~slrt_cli.report.month.LABELS` (id/en).
"""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import polars as pl
import xlsxwriter

from slrt_cli.collector import collector_paused
from slrt_cli.i18n import t
from slrt_cli.report.labels import format_number, num_format
from slrt_cli.report.month import (
    CATEGORIES,
    KEYS,
    LABELS,
    NOT_FOUND,
    Month,
    label,
    month_view,
    period_label,
    rejected_reasons,
)
from slrt_cli.report.xlsx import FastWorkbook, cell_writers

#: Sheets after the summary: (sheet key, categories it lists, columns).
_SRC = ["kecamatan", "desa", "source_file", "source_sheet", "source_row"]
_WHO = ["nik", "no_kk", "nama", "tanggal_lahir"]
SHEETS = [
    ("review", ["review"], _SRC + _WHO + ["status_desa", "person_id", "score", "alasan"]),
    ("rejected", ["rejected"], _SRC + _WHO + ["masalah"]),
    ("new_household", ["new_household"], _SRC + _WHO + ["alamat", "alasan"]),
    ("new_member", ["new_member"], _SRC + _WHO + ["alamat", "household_id", "alasan"]),
    ("deceased", ["deceased"], _SRC + _WHO + ["person_id", "household_id", "alasan"]),
    ("moved", ["moved"], _SRC + _WHO + ["person_id", "household_id", "alasan"]),
    ("duplicate", ["duplicate"], _SRC + _WHO + ["person_id", "household_id", "alasan"]),
    ("ineligible", ["ineligible"], _SRC + _WHO + ["status_desa", "person_id", "household_id", "alasan"]),
    ("not_found", ["absent", NOT_FOUND], ["kecamatan", "desa", "keterangan", "source_file", "source_sheet",
                                          "source_row"] + _WHO + ["person_id", "household_id", "alasan"]),
    ("data_error", ["data_error"], _SRC + _WHO + ["person_id", "household_id", "alasan"]),
]


_TEXT_COLUMNS = {"nik", "no_kk", "person_id", "household_id", "kode_desa"}
_WIDTH = {  # (min, max) in characters; the width follows the content in between
    "kecamatan": (12, 22), "desa": (14, 24), "source_file": (14, 48), "source_sheet": (8, 16),
    "source_row": (6, 6), "nik": (18, 18), "no_kk": (18, 18), "nama": (16, 32), "tanggal_lahir": (12, 12),
    "alamat": (16, 36), "person_id": (10, 19), "household_id": (10, 19), "score": (6, 6),
    "status_desa": (12, 18), "alasan": (40, 70), "masalah": (50, 80), "keterangan": (20, 34), "kode_desa": (12, 12),
    "nama_desa_row": (16, 32),
}
_WRAP = {"masalah"}  # one problem per line; the rows get the height they need
_LINE_HEIGHT = 13  # points per line of 10-point text

#: Above this many changed persons, "Perubahan Data" holds counts per desa and field (details: changes.csv).
CHANGES_MAX_PERSONS = 10_000
_EXCEL_EPOCH = dt.date(1899, 12, 30)

#: the formats of every slrt workbook (:data:`labels.NUMBER_FORMATS`): 3.000 / 3,000, 0,95, 17/08/1990
INT_FORMATS = {lang: num_format("int", lang) for lang in ("id", "en")}
DECIMAL_FORMATS = {lang: num_format("score", lang) for lang in ("id", "en")}
DATE_FORMATS = {lang: num_format("date", lang) for lang in ("id", "en")}
DATE_FORMAT = DATE_FORMATS["id"]


#: register persons not found listed in the workbook at most (a whole desa's prelist with
#: ``--coverage desa`` can be hundreds of thousands: the whole list is in not_found.csv/.parquet)
MAX_NOT_FOUND_ROWS = 20_000


# ------------------------------------------------------------------ workbook


def write_workbook(
    path: str | Path,
    result,
    *,
    lang: str = "id",
    full_ids: bool | None = None,
    period: str | None = None,
    run_date: dt.date | None = None,
) -> None:
    """Write the operator's workbook (``laporan.xlsx``): :func:`build_workbook`, then close it (written).

    Args:
        path: the .xlsx file to write (replaced if it exists).
        result: a :class:`~slrt_cli.runs.RunReport` (from ``run``).
        lang: "id" (Bahasa Indonesia, default) or "en" for sheet names, titles and messages.
        full_ids: write full NIK/No KK; None (default) follows the run (``result.full_ids``),
            which masks them (``320101******0001``) unless full identifiers were requested.
        period: the month reported, e.g. "Oktober 2025" (default: ``result.period`` such as
            "2025-10" in words, else the run date's month).
        run_date: date printed on the summary sheet (default: today).

    Example:
        >>> r = run(["sample_data/desa"], ["sample_data/register/dtks.parquet"])  # doctest: +SKIP
        >>> write_workbook("laporan.xlsx", r)                                      # doctest: +SKIP
    """
    with collector_paused():  # a cell is a tuple, some 400,000 of them in a large month
        build_workbook(path, result, lang=lang, full_ids=full_ids, period=period, run_date=run_date).close()


def build_workbook(
    path: str | Path,
    result,
    *,
    lang: str = "id",
    full_ids: bool | None = None,
    period: str | None = None,
    run_date: dt.date | None = None,
) -> xlsxwriter.Workbook:
    """The workbook of :func:`write_workbook` with every cell in place: ``close()`` writes the file."""
    if lang not in LABELS:
        raise ValueError(f"unknown language {lang!r}")
    if full_ids is None:
        full_ids = bool(getattr(result, "full_ids", False))
    month = month_view(result, full_ids=full_ids)
    run_date = run_date or dt.date.today()
    period = period or period_label(run_date, lang, getattr(result, "period", ""))
    title = label("title", lang) + (f" — {month.kabupaten}" if month.kabupaten else "")
    rows = month.rows.join(rejected_reasons(result, lang), on=KEYS, how="left")
    wb = FastWorkbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                  "strings_to_urls": False})
    wb.set_properties({"title": f"{title} — {period}", "created": dt.datetime.combine(run_date, dt.time())})
    fmt = _formats(wb, lang)
    _summary_sheet(wb, fmt, month, lang, period, run_date, title)
    for key, categories, columns in SHEETS:
        about = label(f"about_{key}", lang)
        missing = month.missing
        if NOT_FOUND in categories and missing.height > MAX_NOT_FOUND_ROWS:  # the whole list is in not_found.csv
            about += " " + t("report_not_found_cut", lang=lang, shown=format_number(MAX_NOT_FOUND_ROWS, lang),
                             total=format_number(missing.height, lang))
            missing = missing.sort(["kecamatan", "desa", "household_id", "person_id"], nulls_last=True).head(
                MAX_NOT_FOUND_ROWS)
        frame = _sheet_frame(rows, missing, categories, lang)
        _data_sheet(wb, fmt, label(f"sheet_{key}", lang), about, frame, columns, lang)
    _changes_sheet(wb, fmt, result, month, lang)
    desk = getattr(result, "desk", None)
    if desk is not None:  # the SLRT desk's month (slrt report --layanan)
        _desk_sheet(wb, fmt, desk, lang)
    for ws in wb.worksheets():  # the page header names the month, not the title again (row 1 has it)
        _print_setup(ws, f"{label('period', lang)} {period}", lang)
    return wb


def _desk_sheet(wb: xlsxwriter.Workbook, fmt, desk: pl.DataFrame, lang: str) -> None:
    """The SLRT desk's figures (:func:`slrt_cli.desk.desk_section`): what it is, then label | value."""
    ws = wb.add_worksheet(t("report_sheet_desk", lang=lang)[:31])
    ws.set_column(0, 0, 60)
    ws.set_column(1, 1, 16)
    ws.merge_range(0, 0, 0, 1, t("report_about_desk", lang=lang), fmt["about_wrap"])
    ws.set_row(0, 48)
    for j, title in enumerate(desk.columns):
        ws.write_string(1, j, title, fmt["header"])
    for i, (what, value) in enumerate(desk.iter_rows(), start=2):
        ws.write_string(i, 0, str(what))
        ws.write_string(i, 1, str(value))
    ws.freeze_panes(2, 0)


def _print_setup(ws, title: str, lang: str) -> None:
    """A4 landscape, one page wide, the header rows on every page, the period, sheet and page numbers."""
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)
    ws.set_margins(left=0.5, right=0.5, top=0.7, bottom=0.7)
    ws.set_header("&L&8" + title.replace("&", "&&") + "&R&8&A", {"margin": 0.3})
    ws.set_footer("&R&8" + label("page", lang).replace("{page}", "&P").replace("{pages}", "&N"), {"margin": 0.3})


def _formats(wb, lang: str = "id") -> dict:
    base = {"font_name": "Calibri", "font_size": 10, "valign": "top"}
    f = lambda **kw: wb.add_format({**base, **kw})
    return {
        "title": f(bold=True, font_size=14),
        "about": f(italic=True, font_color="#444444"),
        "about_wrap": f(italic=True, font_color="#444444", text_wrap=True, valign="top"),
        "label": f(bold=True),
        "header": f(bold=True, bg_color="#DDE5F0", border=1, border_color="#9AA8BC", text_wrap=True),
        "header_reg": f(bold=True, bg_color="#F3E3C8", border=1, border_color="#9AA8BC", text_wrap=True),
        "band": f(bold=True, font_color="#555555", align="center", bottom=1),
        "text": f(num_format="@"),
        "plain": f(),
        "left": f(align="left"),
        "center": f(align="center"),
        "int": f(num_format=INT_FORMATS[lang]),
        "int_left": f(num_format=INT_FORMATS[lang], align="left"),
        "score": f(num_format=DECIMAL_FORMATS[lang], align="center"),
        "date": f(num_format=DATE_FORMATS[lang], align="left"),
        "sub_text": f(bold=True, bg_color="#F2F2F2", top=1, top_color="#BBBBBB"),
        "sub_int": f(bold=True, bg_color="#F2F2F2", num_format=INT_FORMATS[lang], top=1, top_color="#BBBBBB"),
        "total_text": f(bold=True, bg_color="#DDE5F0", top=2),
        "total_int": f(bold=True, bg_color="#DDE5F0", num_format=INT_FORMATS[lang], top=2),
        "wrap": f(text_wrap=True),
    }


def _summary_sheet(wb, fmt, month: Month, lang: str, period: str, run_date: dt.date, title: str) -> None:
    ws = wb.add_worksheet(label("sheet_summary", lang))
    ws.write_string(0, 0, title, fmt["title"])
    info = [
        (label("period", lang), period, "plain"),
        (label("run_date", lang), run_date, "date"),
        (label("files", lang), month.files, "int"),
        (label("register_rows", lang), month.register_rows, "int"),
    ]
    for i, (name, value, kind) in enumerate(info, start=1):
        ws.write_string(i, 0, name, fmt["label"])
        if kind == "date":
            ws.write_number(i, 1, (value - _EXCEL_EPOCH).days, fmt["date"])
        elif kind == "int":
            ws.write_number(i, 1, value, fmt["int_left"])
        else:
            ws.write_string(i, 1, value, fmt["plain"])
    ws.write_string(5, 0, label("note", lang), fmt["about"])
    counts = ["rows", *CATEGORIES, NOT_FOUND]
    header = ["kecamatan", "desa", "kode_desa", *counts]
    band, top = 6, 7
    last_files = 3 + len(CATEGORIES)
    ws.merge_range(band, 3, band, last_files, label("from_files", lang), fmt["band"])
    ws.write_string(band, last_files + 1, label("from_register", lang), fmt["band"])
    for c, key in enumerate(header):
        ws.write_string(top, c, label(key, lang), fmt["header_reg" if key == NOT_FOUND else "header"])
    ws.set_row(top, 42)
    r = top + 1
    unknown = label("unknown_region", lang)
    for (kec,), part in month.summary.group_by(["kecamatan"], maintain_order=True):
        for row in part.iter_rows(named=True):
            ws.write_string(r, 0, row["kecamatan"] or unknown, fmt["plain"])
            ws.write_string(r, 1, row["desa"] or unknown, fmt["plain"])
            if row["kode_desa"]:
                ws.write_string(r, 2, row["kode_desa"], fmt["text"])
            for c, key in enumerate(counts, start=3):
                ws.write_number(r, c, row[key], fmt["int"])
            r += 1
        ws.write_string(r, 0, kec or unknown, fmt["sub_text"])
        ws.write_string(r, 1, label("subtotal", lang).format(name=kec or unknown), fmt["sub_text"])
        ws.write_blank(r, 2, None, fmt["sub_text"])
        for c, key in enumerate(counts, start=3):
            ws.write_number(r, c, int(part[key].sum()), fmt["sub_int"])
        r += 1
    ws.write_string(r, 0, label("total", lang), fmt["total_text"])
    ws.write_blank(r, 1, None, fmt["total_text"])
    ws.write_blank(r, 2, None, fmt["total_text"])
    for c, key in enumerate(counts, start=3):
        ws.write_number(r, c, int(month.summary[key].sum()), fmt["total_int"])
    ws.freeze_panes(top + 1, 3)
    ws.autofilter(top, 0, max(r - 1, top), len(header) - 1)
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 24)
    ws.set_column(2, 2, 12)
    ws.set_column(3, len(header) - 1, 11.5)
    ws.repeat_rows(top)
    ws.activate()


def _sheet_frame(rows: pl.DataFrame, missing: pl.DataFrame, categories: list[str], lang: str) -> pl.DataFrame:
    part = rows.filter(pl.col("category").is_in(categories))
    if NOT_FOUND in categories:
        part = part.with_columns(pl.lit(label("kept_absent", lang)).alias("keterangan"))
        gone = missing.with_columns(pl.lit(label("kept_not_found", lang)).alias("keterangan"))
        part = pl.concat([part, gone], how="diagonal_relaxed")
    return part.sort(["kecamatan", "desa", "source_file", "source_sheet", "source_row", "household_id", "person_id"],
                     nulls_last=True)


def _data_sheet(
    wb: xlsxwriter.Workbook, fmt, name: str, about: str, frame: pl.DataFrame, columns: list[str], lang: str, count: bool = True
) -> None:
    """A sheet: a line saying what it holds, the header (frozen, with an autofilter), the rows."""
    ws = wb.add_worksheet(name)
    if count:
        about += " " + label("rows_count", lang).format(count=format_number(frame.height, lang))
    ws.write_string(0, 0, about, fmt["about"])
    for c, key in enumerate(columns):
        ws.write_string(1, c, label(key, lang), fmt["header"])
    ws.set_row(1, 28)  # room for two-line titles
    data = frame.select([_cell(frame, c) for c in columns])
    _put_rows(_writers(ws, fmt, data), data.rows(), 2)
    ws.freeze_panes(2, 0)
    ws.autofilter(1, 0, max(1 + data.height, 1), len(columns) - 1)
    widths = _set_widths(ws, data, columns)
    for key in _WRAP & set(columns):
        _fit_heights(ws, data[key], widths[key], start=2)
    ws.repeat_rows(1)


def _cell(frame: pl.DataFrame, key: str) -> pl.Expr:
    """A column ready to write: dates as Excel serial numbers, missing columns as nulls."""
    if key not in frame.columns:
        return pl.lit(None, pl.Utf8).alias(key)
    if frame.schema[key] == pl.Date:
        return (pl.col(key) - pl.lit(_EXCEL_EPOCH)).dt.total_days().alias(key)
    if key == "status_desa":
        return pl.col(key).str.replace_all("_", " ").alias(key)
    return pl.col(key)


def _writers(ws, fmt, data: pl.DataFrame) -> list[tuple]:
    """Per column of ``data``: the worksheet method and the format its cells are written with."""
    write_string, write_number, _, _ = cell_writers(ws)  # some 500,000 cells in a large month
    writers = []
    for key, dtype in data.schema.items():
        if key in ("tanggal_lahir",):
            writers.append((write_number, fmt["date"]))
        elif key == "score":
            writers.append((write_number, fmt["score"]))
        elif key == "source_row":
            writers.append((write_number, fmt["center"]))
        elif key in _WRAP:
            writers.append((write_string, fmt["wrap"]))
        elif dtype.is_numeric():
            writers.append((write_number, fmt["int"]))
        else:
            writers.append((write_string, fmt["text"] if key in _TEXT_COLUMNS else fmt["plain"]))
    return writers


def _put_rows(writers: list[tuple], rows: list[tuple], start: int) -> None:
    """Rows into cells, one by one (nulls skipped): the fastest path through xlsxwriter."""
    for r, values in enumerate(rows, start=start):
        for c, v in enumerate(values):
            if v is not None:
                w, f = writers[c]
                w(r, c, v, f)


def _changes_sheet(wb: xlsxwriter.Workbook, fmt, result, month: Month, lang: str) -> None:
    """One row per changed person and one column per field that differs (``DTKS → desa``);
    above :data:`CHANGES_MAX_PERSONS` persons, the counts per desa and field instead."""
    changes = result.reconciliation.changes
    fields = _changed_fields(changes)
    persons = changes.select(KEYS).n_unique() if changes.height else 0
    name = label("sheet_changes", lang)
    if persons > CHANGES_MAX_PERSONS:
        counts = _changes_counts(changes, month, fields)
        about = label("about_changes_counts", lang).format(persons=format_number(persons, lang),
                                                           changes=format_number(changes.height, lang))
        columns = ["kecamatan", "desa", "kode_desa", "persons", *[f"field_{f}" for f in fields]]
        _data_sheet(wb, fmt, name, about, counts, columns, lang, count=False)
        return
    wide = _changes_wide(changes, month, fields, lang)
    columns = ["desa", *KEYS, "person_id", "nama_desa_row", *[f"field_{f}" for f in fields]]
    _data_sheet(wb, fmt, name, label("about_changes", lang), wide, columns, lang)


def _changes_wide(changes: pl.DataFrame, month: Month, fields: list[str], lang: str) -> pl.DataFrame:
    if not changes.height:
        return pl.DataFrame(schema={**{k: pl.Utf8 for k in KEYS}, "person_id": pl.Utf8, "desa": pl.Utf8})
    value = {}
    for side in ("nilai_dtks", "nilai_desa"):
        v = pl.col(side)  # a NIK/No KK as reconcile masked it (a pair, by the privacy rule): shown as it is
        value[side] = pl.when(pl.col("field") == "tanggal_lahir").then(_dmy(v)).otherwise(v)
    empty = label("empty", lang)
    text = value["nilai_dtks"].fill_null(empty) + " → " + value["nilai_desa"].fill_null(empty)
    diff = changes.with_columns(_with_proposal(text, changes, lang).alias("_diff"))
    wide = diff.group_by(KEYS + ["person_id"], maintain_order=True).agg(
        [pl.col("_diff").filter(pl.col("field") == f).first().alias(f"field_{f}") for f in fields]
    )
    who = month.rows.select(KEYS + ["desa", pl.col("nama").alias("nama_desa_row")])
    return wide.join(who, on=KEYS, how="left").sort(["desa", *KEYS], nulls_last=True)


def _with_proposal(text: pl.Expr, changes: pl.DataFrame, lang: str) -> pl.Expr:
    """``DTKS → desa`` with the kind of change when it is not a plain correction (``(isian)``)
    and the side slrt proposes to keep (``· pakai nilai desa``), when the changes say so."""
    if "jenis" in changes.columns:
        kinds = {k: label(f"kind_{k}", lang) for k in ("isian", "ejaan")}
        kind = pl.col("jenis").replace_strict(kinds, default=None, return_dtype=pl.Utf8)
        text = pl.when(kind.is_not_null()).then(text + " (" + kind + ")").otherwise(text)
    if "usul" in changes.columns:
        sides = {k: label(f"keep_{k}", lang) for k in ("desa", "dtks")}
        keep = pl.col("usul").replace_strict(sides, default=None, return_dtype=pl.Utf8)
        text = pl.when(keep.is_not_null()).then(text + " · " + keep).otherwise(text)
    return text


def _changes_counts(changes: pl.DataFrame, month: Month, fields: list[str]) -> pl.DataFrame:
    where = month.rows.select(KEYS + ["kecamatan", "desa", "kode_desa"])
    joined = changes.join(where, on=KEYS, how="left")
    group = ["kecamatan", "desa", "kode_desa"]
    return (
        joined.group_by(group)
        .agg(pl.struct(KEYS).n_unique().alias("persons"),
             *[(pl.col("field") == f).sum().alias(f"field_{f}") for f in fields])
        .sort(group, nulls_last=True)
    )


def _fit_heights(ws, texts: pl.Series, width: float, start: int) -> None:
    """Row heights for wrapped multi-line cells (LibreOffice and Excel keep the default height)."""
    per_line = max(int(width * 1.1), 10)  # characters of 10-point text per line, roughly
    for i, text in enumerate(texts.to_list()):
        if text:
            lines = sum(max(1, math.ceil(len(part) / per_line)) for part in text.split("\n"))
            if lines > 1:
                ws.set_row(start + i, _LINE_HEIGHT * lines + 2)


def _set_widths(ws, data: pl.DataFrame, columns: list[str]) -> dict[str, float]:
    """Column widths from the longest value (of the first 2,000 rows), within the bounds of :data:`_WIDTH`."""
    text = [c for c in columns if data.schema[c] == pl.Utf8]
    longest = data.head(2000).select(pl.col(text).str.len_chars().max()).row(0) if text and data.height else ()
    longest = dict(zip(text, longest, strict=False))
    widths = {}
    for c, key in enumerate(columns):
        low, high = _WIDTH.get(key, (10, 40))
        widths[key] = max(low, min(high, (longest.get(key) or 0) + 2))
        ws.set_column(c, c, widths[key])
    return widths


def _changed_fields(changes: pl.DataFrame) -> list[str]:
    """Fields that differ somewhere, in the order of :data:`LABELS` (unknown ones last)."""
    present = set(changes["field"].unique().to_list()) if changes.height else set()
    order = [k[len("field_"):] for k in LABELS["id"] if k.startswith("field_")]
    return [f for f in order if f in present] + sorted(present - set(order))


def _dmy(expr: pl.Expr) -> pl.Expr:
    return expr.str.to_date("%Y-%m-%d", strict=False).dt.strftime("%d/%m/%Y").fill_null(expr)
