"""The operator's workbook ``laporan.xlsx``: a summary sheet, then one sheet per category.

Every village data row falls in exactly one *category* (:data:`CATEGORIES`):
``review`` and ``rejected`` come from the match outcome; every other row takes
the category of its normalised verivali status (``status_verivali`` of the
reconciliation: DITEMUKAN, USULAN_BARU, ...). Register persons of the covered
households that no file names (``not_found``) are counted apart: they are not
rows received.

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
autofilter and column widths. Operator text is in :data:`LABELS` (id/en).
"""

from __future__ import annotations

import datetime as dt
import math
import re
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import xlsxwriter

from slrt_cli.i18n import catalog, t
from slrt_cli.report.fixfiles import reasons_frame
from slrt_cli.report.labels import LABELS as _LABELS
from slrt_cli.report.labels import format_number, num_format
from slrt_cli.privacy import mask_id_expr
from slrt_cli.reference import lookup

KEYS = ["source_file", "source_sheet", "source_row"]

#: Categories of village rows, in the order of the summary columns.
CATEGORIES = [
    "found", "new_household", "new_member", "deceased", "moved", "duplicate",
    "ineligible", "absent", "data_error", "review", "rejected",
]
#: Register persons not in any file (counted apart from the rows received).
NOT_FOUND = "not_found"

_STATUS_CATEGORY = {
    "DITEMUKAN": "found", "USULAN_BARU": "new_household", "ANGGOTA_BARU": "new_member",
    "MENINGGAL": "deceased", "PINDAH": "moved", "GANDA": "duplicate", "MAMPU": "ineligible",
    "TIDAK_LAYAK_LAIN": "ineligible", "TIDAK_DITEMUKAN": "absent", "KESALAHAN_DATA": "data_error",
}

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


#: Words of the workbook and the page: :mod:`labels`, with the message catalogs' ``report_<key>``
#: over them (one word per meaning across console, workbook and page: "Baris masuk" = rows received).
LABELS: dict[str, dict[str, str]] = {
    lang: {**words, **{k[len("report_"):]: v for k, v in catalog(lang).items() if k.startswith("report_")}}
    for lang, words in _LABELS.items()
}


def label(key: str, lang: str) -> str:
    """The word for ``key`` in ``lang``, falling back to Bahasa, then to the key itself."""
    return LABELS[lang].get(key, LABELS["id"].get(key, key))


#: register persons not found listed in the workbook at most (a whole desa's prelist with
#: ``--coverage desa`` can be hundreds of thousands: the whole list is in not_found.csv/.parquet)
MAX_NOT_FOUND_ROWS = 20_000


# ------------------------------------------------------------ the month's data


@dataclass
class Month:
    """The month's result, shaped for the reports (shared by the workbook and the HTML page).

    ``rows``: one row per village data row with ``category`` and region names (``nik``,
    ``no_kk`` and ``alamat`` left empty on "found" rows, which no report lists);
    ``missing``: register persons not in any file; ``summary``: one row per desa
    (kecamatan, desa, kode_desa, rows, one column per category and ``not_found``).
    """

    rows: pl.DataFrame
    missing: pl.DataFrame
    summary: pl.DataFrame
    files: int
    register_rows: int
    kabupaten: str


def month_view(result, *, full_ids: bool = False) -> Month:
    """Shape a :class:`~slrt_cli.runs.RunReport` for the reports.

    Identifiers are masked unless ``full_ids`` (village rows come unmasked from
    ``result.rows``; register persons not found keep the masking of the run).
    """
    rec = result.reconciliation
    rows = _village_rows(result, full_ids)
    missing = _missing_rows(rec.not_found, full_ids, getattr(result, "register", None))
    names = _region_names(pl.concat([rows.select("kode_desa"), missing.select("kode_desa")]).to_series())
    rows = _with_names(rows, names)
    missing = _with_names(missing, names)
    files = len(result.validation.files) if result.validation is not None else rows["source_file"].n_unique()
    kab_codes = sorted({c[:4] for c in names if c})
    kab = ", ".join(r.name for c in kab_codes if (r := lookup(c)) is not None)
    return Month(rows, missing, _summary(rows, missing), files, result.register_rows, kab)


def _village_rows(result, full_ids: bool) -> pl.DataFrame:
    rec = result.reconciliation.reconciliation
    batch = result.rows
    extra = [c for c in ("tanggal_lahir", "alamat", "rt", "rw") if c in batch.columns]
    village = batch.select(
        KEYS + [pl.col("nik").alias("_nik"), pl.col("no_kk").alias("_kk"),
                pl.col("status_verivali").alias("status_desa"), pl.col("kode_desa").alias("_own_desa")] + extra
    )
    out = rec.join(village, on=KEYS, how="left")
    mask = _masker(full_ids)
    category = (
        pl.when(pl.col("outcome") == "review").then(pl.lit("review"))
        .when(pl.col("outcome") == "rejected").then(pl.lit("rejected"))
        .otherwise(pl.col("status_verivali").replace_strict(_STATUS_CATEGORY, default="found"))
    )
    out = out.with_columns(category.alias("category"), _file_desa(out).alias("kode_desa"))
    # identifiers and addresses only where a report shows them (masking 100,000 ids costs time)
    shown = pl.col("category") != "found"
    out = pl.concat(
        [
            out.filter(shown).with_columns(
                mask(pl.col("_nik")).alias("nik"), mask(pl.col("_kk")).alias("no_kk"), _address(extra).alias("alamat")
            ),
            out.filter(~shown).with_columns(
                pl.lit(None, pl.Utf8).alias("nik"), pl.lit(None, pl.Utf8).alias("no_kk"), pl.lit(None, pl.Utf8).alias("alamat")
            ),
        ],
        how="vertical_relaxed",
    )
    if "tanggal_lahir" not in out.columns:
        out = out.with_columns(pl.lit(None, pl.Date).alias("tanggal_lahir"))
    return out.drop("_nik", "_kk", "_own_desa", *[c for c in ("rt", "rw") if c in out.columns])


def _address(extra: list[str]) -> pl.Expr:
    parts = []
    if "alamat" in extra:
        parts.append(pl.col("alamat"))
    for c in ("rt", "rw"):
        if c in extra:
            parts.append(pl.when(pl.col(c).is_not_null()).then(pl.lit(c.upper() + " ") + pl.col(c).cast(pl.Utf8)))
    if not parts:
        return pl.lit(None, pl.Utf8)
    return pl.concat_str(parts, separator=" ", ignore_nulls=True).replace("", None)


def _file_desa(rows: pl.DataFrame) -> pl.Expr:
    """The desa that sent the row: its own desa code, else the desa most rows of its file are
    linked to (files without desa codes), else the desa of its register match."""
    modal = (
        rows.filter(pl.col("kode_desa").is_not_null())
        .group_by("source_file", "kode_desa").len()
        .sort(["source_file", "len", "kode_desa"], descending=[False, True, False])
        .unique("source_file", keep="first")
    )
    table = dict(zip(modal["source_file"], modal["kode_desa"], strict=True))
    by_file = pl.col("source_file").replace_strict(table, default=None, return_dtype=pl.Utf8)
    return pl.coalesce(pl.col("_own_desa"), by_file, pl.col("kode_desa"))


def _masker(full_ids: bool):
    """Identity with ``full_ids``, else :func:`mask_id_expr` keeping missing values missing."""
    if full_ids:
        return lambda e: e
    return lambda e: pl.when(e.is_not_null() & (e != "")).then(mask_id_expr(e))


def _missing_rows(not_found: pl.DataFrame, full_ids: bool, register: pl.DataFrame | None = None) -> pl.DataFrame:
    """Register persons not found, with their birth date when the register is at hand."""
    mask = _masker(full_ids)
    cols = {c: pl.col(c) if c in not_found.columns else pl.lit(None, pl.Utf8)
            for c in ("person_id", "household_id", "kode_desa", "nik", "no_kk", "nama")}
    out = not_found.select(
        cols["person_id"].alias("person_id"), cols["household_id"].alias("household_id"),
        cols["kode_desa"].alias("kode_desa"), mask(cols["nik"]).alias("nik"),
        mask(cols["no_kk"]).alias("no_kk"), cols["nama"].alias("nama"),
        pl.lit(NOT_FOUND).alias("category"),
    )
    if register is not None and {"person_id", "tanggal_lahir"} <= set(register.columns) and out.height:
        births = (
            register.join(out.select("person_id"), on="person_id", how="semi")
            .select("person_id", pl.col("tanggal_lahir").cast(pl.Date, strict=False))
            .unique("person_id", keep="first")
        )
        out = out.join(births, on="person_id", how="left")
    return out


def _region_names(codes: pl.Series) -> dict[str, tuple[str | None, str | None]]:
    """kode_desa -> (kecamatan name, desa name), from the Kemendagri reference."""
    out = {}
    for code in codes.drop_nulls().unique().to_list():
        kec, desa = lookup(code[:6]) if len(code) >= 6 else None, lookup(code)
        out[code] = (kec.name if kec else code[:6] or None, desa.name if desa else code)
    return out


def _with_names(frame: pl.DataFrame, names: dict) -> pl.DataFrame:
    kec = {k: v[0] for k, v in names.items()}
    desa = {k: v[1] for k, v in names.items()}
    return frame.with_columns(
        pl.col("kode_desa").replace_strict(kec, default=None, return_dtype=pl.Utf8).alias("kecamatan"),
        pl.col("kode_desa").replace_strict(desa, default=None, return_dtype=pl.Utf8).alias("desa"),
    )


def _summary(rows: pl.DataFrame, missing: pl.DataFrame) -> pl.DataFrame:
    """One row per desa: rows received, one count per category, not_found."""
    group = ["kecamatan", "desa", "kode_desa"]
    counts = rows.group_by(group).agg(
        pl.len().alias("rows"), *[(pl.col("category") == c).sum().alias(c) for c in CATEGORIES]
    )
    miss = missing.group_by(group).agg(pl.len().alias(NOT_FOUND))
    cols = ["rows", *CATEGORIES, NOT_FOUND]
    out = counts.join(miss, on=group, how="full", coalesce=True, nulls_equal=True)
    return (
        out.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in cols])
        .select(group + cols)
        .sort(["kecamatan", "desa", "kode_desa"], nulls_last=True)
    )


def rejected_reasons(result, lang: str) -> pl.DataFrame:
    """KEYS -> the errors that rejected each rejected row, one per line (as in the fix-files)."""
    rec = result.reconciliation.reconciliation
    rejected = rec.filter(pl.col("outcome") == "rejected").select(KEYS)
    if result.validation is None or not rejected.height:
        return pl.DataFrame(schema={**{k: rec.schema[k] for k in KEYS}, "masalah": pl.Utf8})
    names = {"source_file": "file", "source_sheet": "sheet", "source_row": "row"}
    reasons = reasons_frame(result.validation, lang, only=rejected.rename(names)).rename(
        {"file": "source_file", "sheet": "source_sheet", "row": "source_row", "reasons": "masalah"}
    )
    return reasons.join(rejected, on=KEYS, how="semi", nulls_equal=True)


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
    wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
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
    _changes_sheet(wb, fmt, result, month, lang, full_ids)
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


def period_label(day: dt.date, lang: str, period: str = "") -> str:
    """The month in words: ``period`` "2025-10" -> "Oktober 2025"; without it, the month of ``day``.

    A period in another form is shown as it is.
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})", period or "")
    if period and not (m and 1 <= int(m.group(2)) <= 12):
        return period
    year, month = (int(m.group(1)), int(m.group(2))) if m else (day.year, day.month)
    return f"{label('months', lang).split()[month - 1]} {year}"


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
    writers = []
    for key, dtype in data.schema.items():
        if key in ("tanggal_lahir",):
            writers.append((ws.write_number, fmt["date"]))
        elif key == "score":
            writers.append((ws.write_number, fmt["score"]))
        elif key == "source_row":
            writers.append((ws.write_number, fmt["center"]))
        elif key in _WRAP:
            writers.append((ws.write_string, fmt["wrap"]))
        elif dtype.is_numeric():
            writers.append((ws.write_number, fmt["int"]))
        else:
            writers.append((ws.write_string, fmt["text"] if key in _TEXT_COLUMNS else fmt["plain"]))
    return writers


def _put_rows(writers: list[tuple], rows: list[tuple], start: int) -> None:
    """Rows into cells, one by one (nulls skipped): the fastest path through xlsxwriter."""
    for r, values in enumerate(rows, start=start):
        for c, v in enumerate(values):
            if v is not None:
                w, f = writers[c]
                w(r, c, v, f)


def _changes_sheet(wb: xlsxwriter.Workbook, fmt, result, month: Month, lang: str, full_ids: bool) -> None:
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
    wide = _changes_wide(changes, month, fields, lang, full_ids)
    columns = ["desa", *KEYS, "person_id", "nama_desa_row", *[f"field_{f}" for f in fields]]
    _data_sheet(wb, fmt, name, label("about_changes", lang), wide, columns, lang)


def _changes_wide(changes: pl.DataFrame, month: Month, fields: list[str], lang: str, full_ids: bool) -> pl.DataFrame:
    if not changes.height:
        return pl.DataFrame(schema={**{k: pl.Utf8 for k in KEYS}, "person_id": pl.Utf8, "desa": pl.Utf8})
    value = {}
    for side in ("nilai_dtks", "nilai_desa"):
        v = pl.col(side)
        if not full_ids:
            v = pl.when(pl.col("field").is_in(["nik", "no_kk"])).then(_masker(False)(v)).otherwise(v)
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
