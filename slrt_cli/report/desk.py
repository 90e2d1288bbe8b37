"""The SLRT desk's workbook (``rujukan.xlsx``) and page (``layanan.html``) from ready-made sheets.

The frames come from :mod:`slrt_cli.desk` with identifiers already masked; this module only
lays them out: a frozen header, an autofilter, column widths, text cells, real dates; one
self-contained HTML page (no external URL, autoescaped).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import polars as pl

from slrt_cli.i18n import t


def write_workbook(path: Path, sheets: list[tuple[str, pl.DataFrame]]) -> None:
    """One sheet per (title, frame), in order; titles made unique and at most 31 characters."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False, "strings_to_formulas": False,
                                           "strings_to_urls": False})
    head = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True})
    date = book.add_format({"num_format": "dd/mm/yyyy"})
    text = book.add_format({"num_format": "@"})
    used: set[str] = set()
    for title, frame in sheets:
        name = _unique(_clean(title), used)
        ws = book.add_worksheet(name)
        for j, col in enumerate(frame.columns):
            ws.write_string(0, j, str(col), head)
            values = frame[col].to_list()
            width = max([len(str(col))] + [len(str(v)) for v in values[:200] if v is not None])
            ws.set_column(j, j, min(max(width + 2, 8), 60))
            for i, v in enumerate(values, start=1):
                if v is None:
                    continue
                if isinstance(v, dt.date):
                    ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), date)
                elif isinstance(v, bool):
                    ws.write_string(i, j, "ya" if v else "tidak", text)
                elif isinstance(v, (int, float)):
                    ws.write_number(i, j, v)
                else:
                    ws.write_string(i, j, str(v), text)
        ws.freeze_panes(1, 0)
        if frame.width:
            ws.autofilter(0, 0, max(frame.height, 1), frame.width - 1)
    book.close()


def _clean(title: str) -> str:
    for ch in "[]:*?/\\":
        title = title.replace(ch, "-")
    return title.strip()[:31] or "Sheet"


def _unique(name: str, used: set[str]) -> str:
    out, n = name, 2
    while out.casefold() in used:
        suffix = f" ({n})"
        out, n = name[: 31 - len(suffix)] + suffix, n + 1
    used.add(out.casefold())
    return out


def render_html(sheets: list[tuple[str, pl.DataFrame]], summary: dict, lang: str = "id", max_rows: int = 500) -> str:
    """One self-contained page: the summary, then each sheet as a table (at most ``max_rows`` lines each)."""
    parts = [f"<!doctype html><html lang=\"{html.escape(lang)}\"><head><meta charset=\"utf-8\">",
             f"<title>{html.escape(t('layanan_html_title', lang=lang))}</title>",
             "<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}table{border-collapse:collapse;"
             "margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:.25em .5em;font-size:.9em;text-align:left}"
             "th{background:#ddebf7}.cards span{display:inline-block;border:1px solid #ccc;border-radius:6px;"
             "padding:.5em 1em;margin:.25em}</style></head><body>",
             f"<h1>{html.escape(t('layanan_html_title', lang=lang))}</h1><div class=\"cards\">"]
    for key, n in summary["situasi"].items():
        parts.append(f"<span><b>{n}</b> {html.escape(t(f'layanan_situasi_{key}', lang=lang))}</span>")
    parts.append("</div>")
    for title, frame in sheets:
        parts.append(f"<h2>{html.escape(title)}</h2>")
        parts.append(_table(frame.head(max_rows)))
        if frame.height > max_rows:
            parts.append(f"<p>{html.escape(t('layanan_html_more', lang=lang, n=frame.height - max_rows))}</p>")
    parts.append("</body></html>\n")
    return "".join(parts)


def _table(frame: pl.DataFrame) -> str:
    cells = ["<table><thead><tr>"] + [f"<th>{html.escape(str(c))}</th>" for c in frame.columns] + ["</tr></thead><tbody>"]
    for row in frame.iter_rows():
        cells.append("<tr>" + "".join(f"<td>{html.escape(_text(v))}</td>" for v in row) + "</tr>")
    cells.append("</tbody></table>")
    return "".join(cells)


def _text(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, bool):
        return "ya" if v else "tidak"
    return str(v)
