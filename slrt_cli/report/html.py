"""The month at a glance: ``laporan.html``, one self-contained file.

Inline CSS and JavaScript (``templates/``), charts drawn here as inline SVG,
the rows that need action embedded as JSON; no CDN, no web font, no URL at
all, so the page opens offline on any laptop. Every text is escaped
(``html.escape`` for markup, ``<``/``>``/``&`` escaped inside the JSON).

Sections: headline counts, a stacked bar per desa (outcomes), the match-score
distribution, the most frequent data problems, and a searchable, filterable
table of every row that needs action (all categories but "ditemukan", plus the
register persons not found) with masked identifiers. The table holds at most
:data:`MAX_TABLE_ROWS` rows (most urgent first); the page says when it is cut.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import math
import re
from importlib import resources
from pathlib import Path

import polars as pl

from slrt_cli.i18n import t
from slrt_cli.report.labels import format_number
from slrt_cli.report.month import (
    CATEGORIES,
    KEYS,
    NOT_FOUND,
    Month,
    label,
    month_view,
    period_label,
    rejected_reasons,
)

#: Rows embedded in the page's table at most (about 100 bytes each).
MAX_TABLE_ROWS = 50_000

#: Categories of the action table, most urgent first (the order used when the table is cut).
ACTION = ["review", "rejected", "new_household", "new_member", "duplicate", "deceased", "moved", "absent",
          NOT_FOUND, "ineligible", "data_error"]

COLORS = {
    "found": "#C5D9C0", "new_household": "#4E79A7", "new_member": "#76B7B2", "deceased": "#6B6B6B",
    "moved": "#EDC948", "duplicate": "#B07AA1", "ineligible": "#9C755F", "absent": "#FF9DA7",
    "data_error": "#BAB0AC", "review": "#F28E2B", "rejected": "#E15759", NOT_FOUND: "#D37295",
}
_SCORE_OUTCOMES = ["matched", "review", "duplicate", "new"]
_SCORE_COLORS = {"matched": "#59A14F", "review": "#F28E2B", "duplicate": "#B07AA1", "new": "#4E79A7"}

LABELS: dict[str, dict[str, str]] = {
    "id": {
        "title": "Laporan Verivali", "subtitle": "Periode {period} · diproses {date}",
        "facts": "{files} berkas desa · {rows} baris · DTKS {register} orang",
        "h_cards": "Ringkasan bulan ini", "h_desa": "Hasil per desa", "h_score": "Sebaran skor kecocokan",
        "h_issues": "Masalah data terbanyak", "h_table": "Baris yang perlu ditindaklanjuti",
        "desa_note": "Panjang batang = jumlah baris desa; segmen hijau muda = ditemukan (tidak perlu tindakan). "
                     "Arahkan tetikus ke segmen untuk melihat angkanya.",
        "score_note": "Skor 0–1 kandidat DTKS terbaik tiap baris. Sumbu tegak berskala logaritmik.",
        "score_x": "skor", "score_y": "baris",
        "issues_note": "Jumlah temuan per jenis (kesalahan dan peringatan) dari validasi berkas.",
        "no_issues": "Tidak ada masalah data.", "issue_col": "Masalah", "count_col": "Jumlah",
        "matched": "Cocok", "new": "Baru", "duplicate_o": "Ganda",
        "search": "Cari nama, NIK, berkas, alasan…", "all_categories": "Semua kategori",
        "all_kecamatan": "Semua kecamatan", "all_desa": "Semua desa",
        "showing": "Menampilkan {from}–{to} dari {count} baris", "none": "Tidak ada baris yang cocok.",
        "prev": "‹ Sebelumnya", "next": "Berikutnya ›",
        "cut": "Tabel ini memuat {shown} dari {total} baris (yang paling mendesak dulu); daftar lengkap ada di "
               "laporan.xlsx dan reconciliation.csv.",
        "table_note": "NIK dan No KK disamarkan. Klik judul kolom untuk mengurutkan.",
        "footer": "Dibuat oleh slrt. Berkas ini berisi data pribadi (UU 27/2022): simpan dan bagikan seperlunya.",
        "severity_error": "kesalahan", "severity_warning": "peringatan",
        "category": "Kategori", "source": "Sumber (berkas · lembar · baris)", "where": "Desa (kecamatan)",
        "row_word": "baris", "reason": "Alasan",
    },
    "en": {
        "title": "Verification Report", "subtitle": "Period {period} · run {date}",
        "facts": "{files} village files · {rows} rows · DTKS {register} persons",
        "h_cards": "This month", "h_desa": "Outcomes per desa", "h_score": "Match score distribution",
        "h_issues": "Top data problems", "h_table": "Rows that need action",
        "desa_note": "Bar length = the desa's rows; light green = found (no action needed). "
                     "Hover over a segment to see its count.",
        "score_note": "Score 0–1 of each row's best DTKS candidate. Vertical axis on a log scale.",
        "score_x": "score", "score_y": "rows",
        "issues_note": "Findings per kind (errors and warnings) from validating the files.",
        "no_issues": "No data problems.", "issue_col": "Problem", "count_col": "Count",
        "matched": "Matched", "new": "New", "duplicate_o": "Duplicate",
        "search": "Search name, NIK, file, reason…", "all_categories": "All categories",
        "all_kecamatan": "All kecamatan", "all_desa": "All desa",
        "showing": "Showing {from}–{to} of {count} rows", "none": "No matching rows.",
        "prev": "‹ Previous", "next": "Next ›",
        "cut": "This table holds {shown} of {total} rows (most urgent first); the full lists are in "
               "laporan.xlsx and reconciliation.csv.",
        "table_note": "NIK and No KK are masked. Click a column title to sort.",
        "footer": "Made by slrt. This file holds personal data (UU 27/2022): keep and share it only as needed.",
        "severity_error": "error", "severity_warning": "warning",
        "category": "Category", "source": "Source (file · sheet · row)", "where": "Desa (kecamatan)",
        "row_word": "row", "reason": "Reason",
    },
}

#: Short names of the issue codes (the full messages are in issues.csv and the fix-files).
ISSUE_LABELS: dict[str, dict[str, str]] = {
    "id": {
        "FILE_UNREADABLE": "Berkas tidak terbaca", "FILE_ENCRYPTED": "Berkas berkata sandi",
        "FILE_NOT_SPREADSHEET": "Bukan lembar kerja", "FILE_EMPTY": "Berkas kosong",
        "FILE_TOO_LARGE": "Berkas terlalu besar", "FILE_NO_DATA": "Berkas tanpa data",
        "FILE_UNSUPPORTED": "Jenis berkas tidak didukung", "FILE_DUPLICATE": "Berkas dikirim dua kali",
        "SHEET_UNREADABLE": "Lembar tidak terbaca", "COLUMN_NAME_MISSING": "Kolom nama tidak ada",
        "COLUMN_MISSING": "Kolom penting tidak ada", "COLUMN_DUPLICATE": "Kolom ganda",
        "NAME_MISSING": "Nama kosong", "IDENTITY_MISSING": "Tanpa NIK sah dan tanggal lahir",
        "BIRTH_DATE_FUTURE": "Tanggal lahir di masa depan", "NIK_MISSING": "NIK kosong",
        "NIK_NUMERIC": "NIK tersimpan sebagai angka", "NIK_FORMAT": "NIK bukan 16 angka",
        "NIK_PROVINCE_UNKNOWN": "Kode provinsi NIK tidak dikenal", "NIK_REGION_UNKNOWN": "Kode kabupaten NIK tidak dikenal",
        "NIK_DATE_INVALID": "Tanggal dalam NIK tidak sah", "NIK_SERIAL_ZERO": "Nomor urut NIK 0000",
        "NIK_REPEATED_DIGITS": "NIK angka berulang", "NIK_BIRTH_DATE_MISMATCH": "NIK dan tanggal lahir tidak sesuai",
        "NIK_SEX_MISMATCH": "NIK dan jenis kelamin tidak sesuai", "NIK_EQUALS_KK": "NIK sama dengan No KK",
        "NIK_DUPLICATE": "NIK ganda dalam kiriman", "KK_MISSING": "No KK kosong",
        "KK_NUMERIC": "No KK tersimpan sebagai angka", "KK_FORMAT": "No KK bukan 16 angka",
        "KK_PROVINCE_UNKNOWN": "Kode provinsi No KK tidak dikenal", "KK_SERIAL_ZERO": "Nomor urut No KK 0000",
        "ID_NUMERIC": "ID tersimpan sebagai angka", "BIRTH_DATE_MISSING": "Tanggal lahir kosong",
        "BIRTH_DATE_INVALID": "Tanggal lahir tidak terbaca", "BIRTH_DATE_PLACEHOLDER": "Tanggal lahir isian pengganti",
        "BIRTH_DATE_TOO_OLD": "Umur terlalu tua", "SEX_INVALID": "Jenis kelamin tidak dikenal",
        "CODE_INVALID": "Kode tidak dikenal", "FLAG_INVALID": "Isian Ya/Tidak tidak sah",
        "NUMBER_INVALID": "Angka tidak sah", "RT_RW_INVALID": "RT/RW tidak sah",
        "REGION_CODE_UNKNOWN": "Kode wilayah tidak dikenal", "REGION_NAME_UNKNOWN": "Nama wilayah tidak dikenal",
        "NAME_HAS_DIGITS": "Nama mengandung angka", "HOUSEHOLD_NO_HEAD": "KK tanpa kepala keluarga",
        "HOUSEHOLD_MANY_HEADS": "KK dengan lebih dari satu kepala", "AGE_RELATION_IMPLAUSIBLE": "Umur tidak cocok dengan hubungan",
        "PERIOD_UNKNOWN": "Periode kiriman tidak disebut", "PERIOD_DISAGREE": "Berkas menyebut bulan berbeda",
    },
    "en": {
        "FILE_UNREADABLE": "Unreadable file", "FILE_ENCRYPTED": "Password-protected file",
        "FILE_NOT_SPREADSHEET": "Not a spreadsheet", "FILE_EMPTY": "Empty file",
        "FILE_TOO_LARGE": "File too large", "FILE_NO_DATA": "File without data",
        "FILE_UNSUPPORTED": "Unsupported file type", "FILE_DUPLICATE": "File sent twice",
        "SHEET_UNREADABLE": "Unreadable sheet", "COLUMN_NAME_MISSING": "No name column",
        "COLUMN_MISSING": "Important column missing", "COLUMN_DUPLICATE": "Duplicate column",
        "NAME_MISSING": "Name empty", "IDENTITY_MISSING": "No valid NIK nor birth date",
        "BIRTH_DATE_FUTURE": "Birth date in the future", "NIK_MISSING": "NIK empty",
        "NIK_NUMERIC": "NIK stored as a number", "NIK_FORMAT": "NIK not 16 digits",
        "NIK_PROVINCE_UNKNOWN": "Unknown NIK province code", "NIK_REGION_UNKNOWN": "Unknown NIK regency code",
        "NIK_DATE_INVALID": "Invalid date in NIK", "NIK_SERIAL_ZERO": "NIK serial 0000",
        "NIK_REPEATED_DIGITS": "NIK of repeated digits", "NIK_BIRTH_DATE_MISMATCH": "NIK and birth date disagree",
        "NIK_SEX_MISMATCH": "NIK and sex disagree", "NIK_EQUALS_KK": "NIK equals No KK",
        "NIK_DUPLICATE": "NIK repeated in the batch", "KK_MISSING": "No KK empty",
        "KK_NUMERIC": "No KK stored as a number", "KK_FORMAT": "No KK not 16 digits",
        "KK_PROVINCE_UNKNOWN": "Unknown No KK province code", "KK_SERIAL_ZERO": "No KK serial 0000",
        "ID_NUMERIC": "ID stored as a number", "BIRTH_DATE_MISSING": "Birth date empty",
        "BIRTH_DATE_INVALID": "Unreadable birth date", "BIRTH_DATE_PLACEHOLDER": "Filler birth date",
        "BIRTH_DATE_TOO_OLD": "Implausibly old", "SEX_INVALID": "Unknown sex",
        "CODE_INVALID": "Unknown code", "FLAG_INVALID": "Invalid yes/no value",
        "NUMBER_INVALID": "Invalid number", "RT_RW_INVALID": "Invalid RT/RW",
        "REGION_CODE_UNKNOWN": "Unknown region code", "REGION_NAME_UNKNOWN": "Unknown region name",
        "NAME_HAS_DIGITS": "Name contains digits", "HOUSEHOLD_NO_HEAD": "KK without a head",
        "HOUSEHOLD_MANY_HEADS": "KK with several heads", "AGE_RELATION_IMPLAUSIBLE": "Age implausible for relation",
        "PERIOD_UNKNOWN": "Batch period not named", "PERIOD_DISAGREE": "Files name different months",
    },
}

_TABLE_COLUMNS = ["category", "kecamatan", "desa", "source_file", "source_sheet", "source_row", "nik", "no_kk",
                  "nama", "person_id", "score", "alasan"]
_CODED = ("category", "kecamatan", "desa", "source_file", "source_sheet", "alasan")  # ordered: same bytes every run


def _t(key: str, lang: str) -> str:
    return LABELS[lang].get(key) or label(key, lang)


def write_html(
    path: str | Path,
    result,
    *,
    lang: str = "id",
    period: str | None = None,
    run_date: dt.date | None = None,
) -> None:
    """Write the offline report page (``laporan.html``); identifiers always masked.

    Args:
        path: the .html file to write (replaced if it exists).
        result: a :class:`~slrt_cli.runs.RunReport` (from ``run``).
        lang: "id" (default) or "en".
        period: the month reported (default: ``result.period`` in words, else the run date's month).
        run_date: date shown in the header (default: today).

    Example:
        >>> write_html("laporan.html", run(["sample_data/desa"], ["sample_data/register/dtks.parquet"]))  # doctest: +SKIP
    """
    Path(path).write_text(render_html(result, lang=lang, period=period, run_date=run_date), encoding="utf-8")


def render_html(result, *, lang: str = "id", period: str | None = None, run_date: dt.date | None = None) -> str:
    """The page of :func:`write_html`, as a string."""
    if lang not in LABELS:
        raise ValueError(f"unknown language {lang!r}")
    month = month_view(result, full_ids=False)
    run_date = run_date or dt.date.today()
    totals = {k: int(month.summary[k].sum()) for k in ["rows", *CATEGORIES, NOT_FOUND]}
    title = _t("title", lang) + (f" — {month.kabupaten}" if month.kabupaten else "")
    data, shown, total = _table_data(month, rejected_reasons(result, lang), lang)
    cut = _t("cut", lang).format(shown=format_number(shown, lang), total=format_number(total, lang)) if shown < total else ""
    values = {
        "lang": lang,
        "title": html.escape(title),
        "subtitle": html.escape(_t("subtitle", lang).format(
            period=period or period_label(run_date, lang, getattr(result, "period", "")),
            date=run_date.strftime("%d/%m/%Y"))),
        "facts": html.escape(_t("facts", lang).format(
            files=format_number(month.files, lang), rows=format_number(totals["rows"], lang), register=format_number(month.register_rows, lang))),
        "cards": _cards(totals, lang),
        "legend": _legend([c for c in [*CATEGORIES, NOT_FOUND] if totals[c] or c != "data_error"], lang),
        "desa_chart": _desa_chart(month, lang),
        "score_chart": _score_chart(result.reconciliation.reconciliation, lang),
        "issues": _issues(result, lang),
        "cut": f'<p class="note cut">{html.escape(cut)}</p>' if cut else "",
        "desk": _desk(getattr(result, "desk", None), lang),
        "data": _json_for_script(data),
        "css": _template("report.css"),
        "js": _template("report.js"),
    }
    for key in ("h_cards", "h_desa", "h_score", "h_issues", "h_table", "desa_note", "score_note", "issues_note",
                "search", "table_note", "footer", "prev", "next"):
        values[key] = html.escape(_t(key, lang))
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], _template("report.html"))


def _desk(desk: pl.DataFrame | None, lang: str) -> str:
    """The SLRT desk's section (``slrt report --layanan``), or nothing."""
    if desk is None:
        return ""
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in desk.columns)
    body = "".join(f"<tr><td>{html.escape(str(a))}</td><td>{html.escape(str(b))}</td></tr>" for a, b in desk.iter_rows())
    return (f'<section id="desk"><h2>{html.escape(t("report_sheet_desk", lang=lang))}</h2>'
            f'<p class="note">{html.escape(t("report_about_desk", lang=lang))}</p>'
            f'<div class="table-wrap"><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table></div></section>')


def _template(name: str) -> str:
    return resources.files("slrt_cli.report").joinpath("templates", name).read_text("utf-8")


def _json_for_script(data: object) -> str:
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# ------------------------------------------------------------------ sections


def _cards(totals: dict[str, int], lang: str) -> str:
    keys = ["rows", *[c for c in CATEGORIES if c != "data_error" or totals[c]], NOT_FOUND]
    out = []
    for k in keys:
        color = COLORS.get(k, "#333333")
        share = ""
        if k != "rows" and k != NOT_FOUND and totals["rows"]:
            share = f'<span class="share">{_share(totals[k], totals["rows"], lang)}</span>'
        out.append(
            f'<div class="card{" lead" if k == "rows" else ""}" style="border-color:{color}">'
            f'<div class="n">{format_number(totals[k], lang)}{share}</div><div class="k">{html.escape(label(k, lang))}</div></div>'
        )
    return "\n".join(out)


def _share(n: int, total: int, lang: str) -> str:
    """12 of 1000 -> "1,2%" (id) / "1.2%" (en): one decimal below 10 %."""
    pct = 100 * n / total
    text = f"{pct:.1f}" if 0 < pct < 10 else f"{pct:.0f}"
    return (text.replace(".", ",") if lang == "id" else text) + "%"


def _legend(keys: list[str], lang: str, colors: dict[str, str] = COLORS, labels: dict | None = None) -> str:
    items = []
    for k in keys:
        name = (labels or {}).get(k) or label(k, lang)
        items.append(f'<span><i style="background:{colors[k]}"></i>{html.escape(name)}</span>')
    return '<div class="legend">' + "".join(items) + "</div>"


def _desa_chart(month: Month, lang: str) -> str:
    """Horizontal stacked bars, one per desa, grouped by kecamatan (inline SVG)."""
    summary = month.summary
    if not summary.height:
        return f'<p class="note">{html.escape(_t("none", lang))}</p>'
    keys = [*CATEGORIES, NOT_FOUND]
    biggest = max(int(r["rows"] + r[NOT_FOUND]) for r in summary.iter_rows(named=True)) or 1
    width, left, right, row_h = 1000, 230, 60, 20
    scale = (width - left - right) / biggest
    unknown = label("unknown_region", lang)
    parts, y = [], 0
    for (kec,), part in summary.group_by(["kecamatan"], maintain_order=True):
        y += 6
        parts.append(f'<text class="kec" x="0" y="{y + 13}">{html.escape(kec or unknown)}</text>')
        y += row_h
        for r in part.iter_rows(named=True):
            desa = r["desa"] or unknown
            parts.append(f'<text class="desa" x="{left - 8}" y="{y + 14}" text-anchor="end">{html.escape(desa)}</text>')
            x = left
            for k in keys:
                n = int(r[k])
                if not n:
                    continue
                w = n * scale
                tip = f"{desa} — {label(k, lang)}: {format_number(n, lang)}"
                parts.append(f'<rect x="{x:.1f}" y="{y + 3}" width="{max(w, 0.8):.1f}" height="{row_h - 6}" '
                             f'fill="{COLORS[k]}"><title>{html.escape(tip)}</title></rect>')
                x += w
            parts.append(f'<text class="num" x="{x + 6:.1f}" y="{y + 14}">{format_number(r["rows"], lang)}</text>')
            y += row_h
    height = y + 8
    return (f'<svg class="chart desa-chart" viewBox="0 0 {width} {height}" '
            f'role="img" aria-label="{html.escape(_t("h_desa", lang))}">' + "".join(parts) + "</svg>")


def _score_chart(rec: pl.DataFrame, lang: str) -> str:
    """Histogram of match scores (20 bins), stacked by outcome, log-scaled counts (inline SVG)."""
    scored = rec.filter(pl.col("score").is_not_null() & pl.col("outcome").is_in(_SCORE_OUTCOMES))
    bins = 20
    scored = scored.with_columns((pl.col("score").clip(0, 1) * bins).floor().clip(0, bins - 1).cast(pl.Int32).alias("_b"))
    counts = {(b, o): n for b, o, n in scored.group_by("_b", "outcome").len().iter_rows()}
    totals = [sum(counts.get((b, o), 0) for o in _SCORE_OUTCOMES) for b in range(bins)]
    top = max(totals + [1])
    decades = max(1, math.ceil(math.log10(top + 1)))
    width, height, left, bottom, top_pad = 520, 260, 50, 36, 12
    plot_h = height - bottom - top_pad
    bar_w = (width - left - 10) / bins

    def y_of(n: float) -> float:
        return top_pad + plot_h - plot_h * math.log10(1 + n) / decades

    parts = []
    for tick in [10**d for d in range(decades + 1) if 10**d <= 10**decades - 1]:
        yy = y_of(tick)
        parts.append(f'<line class="grid" x1="{left}" x2="{width - 10}" y1="{yy:.1f}" y2="{yy:.1f}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{yy + 4:.1f}" text-anchor="end">{format_number(tick, lang)}</text>')
    names = {"matched": _t("matched", lang), "review": label("review", lang),
             "duplicate": _t("duplicate_o", lang), "new": _t("new", lang)}
    for b in range(bins):
        x = left + b * bar_w
        below = 0
        for o in _SCORE_OUTCOMES:
            n = counts.get((b, o), 0)
            if not n:
                continue
            y0, y1 = y_of(below), y_of(below + n)
            tip = f"{b / bins:.2f}–{(b + 1) / bins:.2f} · {names[o]}: {format_number(n, lang)}"
            parts.append(f'<rect x="{x + 1:.1f}" y="{y1:.1f}" width="{bar_w - 2:.1f}" height="{max(y0 - y1, 0.8):.1f}" '
                         f'fill="{_SCORE_COLORS[o]}"><title>{html.escape(tip)}</title></rect>')
            below += n
    for i in range(0, 11, 2):
        x = left + i * (width - left - 10) / 10
        parts.append(f'<text class="tick" x="{x:.1f}" y="{height - bottom + 16}" text-anchor="middle">{i / 10:.1f}</text>')
    parts.append(f'<line class="axis" x1="{left}" x2="{width - 10}" y1="{top_pad + plot_h}" y2="{top_pad + plot_h}"/>')
    parts.append(f'<text class="axis-label" x="{(left + width) / 2:.0f}" y="{height - 4}" text-anchor="middle">'
                 f'{html.escape(_t("score_x", lang))}</text>')
    svg = (f'<svg class="chart score-chart" viewBox="0 0 {width} {height}" role="img" '
           f'aria-label="{html.escape(_t("h_score", lang))}">' + "".join(parts) + "</svg>")
    return _legend(_SCORE_OUTCOMES, lang, _SCORE_COLORS, names) + svg


def _issues(result, lang: str, top: int = 10) -> str:
    """The most frequent error and warning codes, with their short names."""
    if result.validation is None:
        return f'<p class="note">{html.escape(_t("no_issues", lang))}</p>'
    issues = result.validation.issue_table.filter(pl.col("severity").is_in(["error", "warning"]))
    counts = issues.group_by("code", "severity").len().sort(["len", "code"], descending=[True, False]).head(top)
    if not counts.height:
        return f'<p class="note">{html.escape(_t("no_issues", lang))}</p>'
    biggest = counts["len"].max()
    rows = []
    for code, severity, n in counts.iter_rows():
        name = ISSUE_LABELS[lang].get(code, code)
        sev = _t(f"severity_{severity}", lang)
        rows.append(
            f'<tr><td><span class="sev {severity}">{html.escape(sev)}</span> {html.escape(name)}'
            f'<div class="code">{html.escape(code)}</div></td>'
            f'<td class="bar"><div style="width:{100 * n / biggest:.1f}%"></div></td>'
            f'<td class="n">{format_number(n, lang)}</td></tr>'
        )
    head = (f'<thead><tr><th>{html.escape(_t("issue_col", lang))}</th><th></th>'
            f'<th class="n">{html.escape(_t("count_col", lang))}</th></tr></thead>')
    return f'<table class="issues">{head}<tbody>{"".join(rows)}</tbody></table>'


def _table_data(month: Month, reasons: pl.DataFrame, lang: str) -> tuple[dict, int, int]:
    """The action rows as compact JSON: repeated texts stored once in ``strings``.

    Rejected rows show their validation errors as the reason.
    """
    rank = {c: i for i, c in enumerate(ACTION)}
    village = month.rows.filter(pl.col("category") != "found").join(reasons, on=KEYS, how="left").with_columns(
        pl.coalesce("masalah", "alasan").alias("alasan")
    )
    rows = pl.concat(
        [village.drop("masalah"), month.missing], how="diagonal_relaxed"
    ).with_columns(pl.col("category").replace_strict(rank, default=len(ACTION)).alias("_rank"))
    total = rows.height
    rows = rows.sort(["_rank", "kecamatan", "desa", *KEYS, "person_id"], nulls_last=True).head(MAX_TABLE_ROWS)
    rows = rows.with_columns(pl.col("score").round(2))
    for c in _TABLE_COLUMNS:
        if c not in rows.columns:
            rows = rows.with_columns(pl.lit(None, pl.Utf8).alias(c))
    strings: list[str] = []
    index: dict[str, int] = {}
    coded = {}
    for c in _CODED:
        values = rows[c].to_list()
        out = []
        for v in values:
            if v is None:
                out.append(None)
                continue
            if v not in index:
                index[v] = len(strings)
                strings.append(v)
            out.append(index[v])
        coded[c] = out
    columns = [coded[c] if c in coded else rows[c].to_list() for c in _TABLE_COLUMNS]
    data = {
        "columns": _TABLE_COLUMNS,
        "titles": {c: label(c, lang) for c in _TABLE_COLUMNS} | {
            "category": _t("category", lang), "source_file": _t("source", lang), "desa": _t("where", lang),
            "alasan": _t("reason", lang)},
        "categories": {c: {"label": label(c, lang), "color": COLORS[c]} for c in ACTION},
        "strings": strings,
        "rows": [list(r) for r in zip(*columns, strict=True)] if rows.height else [],
        "text": {k: _t(k, lang) for k in ("all_categories", "all_kecamatan", "all_desa", "showing", "none", "row_word")},
        "lang": lang,
    }
    return data, rows.height, total
