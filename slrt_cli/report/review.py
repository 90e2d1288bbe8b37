"""review.xlsx: each `review` pair as a block of two rows, for a Dinas reviewer to decide.

Each pair is the village row (top) above the DTKS candidate (bottom), with the fields
compared side by side in columns; the cells whose values differ are highlighted on both
rows. Codes (sex, family relation) are shown as their labels, NIK and No KK through
:func:`slrt_cli.privacy.mask_pair` (the digits that differ are shown on both sides) unless
full identifiers were asked for; names, mother's name, address and birth date in full, as
the reviewer needs them to decide. The reasons are the matcher's evidence in plain words
(``messages/<lang>-review.toml``), with the two values compared: each phrase of the
matcher's ``alasan`` (``alasan_*`` of the catalogs, or ``[alasan]`` of schemas/match.toml)
is recognised and worded again with the values.

The reviewer picks ``sama``/``beda`` (``same``/``different`` in English) in the
*Keputusan* column (one merged cell per pair, on the village row). Folded columns at the
right (*Berkas*, *Lembar*, *Baris*, *ID DTKS*) carry the keys that
:func:`slrt_cli.io.decisions.read_decisions` reads back; ``slrt run … --decisions
review.xlsx`` applies the decisions and keeps them in the state folder.

Printing: A4 landscape, one page wide, the title row on every page, a page break only
between two pairs (row heights are set, so that the breaks fall where they are drawn).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl
import xlsxwriter

from slrt_cli.collector import collector_paused
from slrt_cli.i18n import LANGUAGES, catalog, t
from slrt_cli.privacy import mask_pair
from slrt_cli.report.labels import format_date, format_number, num_format
from slrt_cli.schemas import load_schema, schemas_dir

KEYS = ["source_file", "source_sheet", "source_row"]
DECISION_COLUMN = "keputusan"
NOTE_COLUMN = "catatan"
#: fields compared (village | register)
FIELDS = ["nama", "nik", "no_kk", "tanggal_lahir", "jenis_kelamin", "hub_kk", "nama_ibu_kandung", "alamat", "rt", "rw",
          "kode_desa"]
_IDS = ("nik", "no_kk")

_NOT_PHRASES = {"separator", "decimal_mark"}
#: the matcher's evidence (``[alasan]`` of match.toml, by prefix) -> the field whose values it cites
_PHRASE_FIELD = {"nik": "nik", "name": "nama", "dob": "tanggal_lahir", "sex": "jenis_kelamin", "kk": "no_kk",
                 "hub": "hub_kk", "rtrw": "rt_rw", "desa": "kode_desa"}


@dataclass(frozen=True)
class Column:
    key: str  # review_col_<key> is its title
    width: float
    kind: str = "text"  # text, id, date, score, row
    span: str = "row"  # "row": one cell per row; "pair": merged over both rows; "key": hidden, top row only
    wrap: bool = False


#: shown columns, in order; compared fields whose data is absent are left out
_SHOWN = [
    Column("no", 4.5, "row", "pair"),
    Column("side", 7.5),
    Column("nama", 19, wrap=True),
    Column("nik", 15.5, "id"),
    Column("no_kk", 15.5, "id"),
    Column("tanggal_lahir", 10.5, "date"),
    Column("jenis_kelamin", 9.5, wrap=True),
    Column("hub_kk", 10.5, wrap=True),
    Column("nama_ibu_kandung", 15, wrap=True),
    Column("alamat", 17, wrap=True),
    Column("rt_rw", 8),
    Column("kode_desa", 11),
    Column("origin", 24, wrap=True),
    Column("alasan", 38, span="pair", wrap=True),
    Column("score", 6, "score", "pair"),
    Column(DECISION_COLUMN, 10.5, span="pair"),
    Column(NOTE_COLUMN, 14, span="pair", wrap=True),
]
_KEY_COLUMNS = [Column("source_file", 28, span="key"), Column("source_sheet", 12, span="key"),
                Column("source_row", 7, "row", "key"), Column("person_id", 20, span="key")]
_HELP = {"side": "side", "nik": "nik", "no_kk": "no_kk", "origin": "origin", "alasan": "alasan", "score": "score",
         DECISION_COLUMN: "keputusan", NOTE_COLUMN: "catatan", "source_file": "keys", "source_sheet": "keys",
         "source_row": "keys", "person_id": "keys"}
_COMPARED = {"nama", "nik", "no_kk", "tanggal_lahir", "jenis_kelamin", "hub_kk", "nama_ibu_kandung", "alamat",
             "rt_rw", "kode_desa"}

HEADER_ROW = 2  # 0-based: title, intro, then the column titles
FONT_SIZE = 10
LINE = 13.0  # points per line of text at FONT_SIZE
DIFF_FILL = "#F8CBAD"
# page: A4 landscape, in inches
_PAGE_W, _PAGE_H = 11.69, 8.27
_MARGIN_LR, _MARGIN_TB, _MARGIN_HF = 0.4, 0.6, 0.3
_MAX_BREAKS = 1023  # Excel's limit of manual page breaks


def review_pairs(rec: pl.DataFrame, rows: pl.DataFrame, register: pl.DataFrame, *, full_ids: bool = False) -> pl.DataFrame:
    """One row per `review` pair: keys, candidate, score, reasons, then village/register values.

    The values are ``<field>__desa`` and ``<field>__dtks``; NIK and No KK are masked with
    :func:`slrt_cli.privacy.mask_pair` (the digits that differ shown on both sides) unless ``full_ids``.

    Example:
        >>> pairs = review_pairs(rec, rows, register)  # doctest: +SKIP
        >>> write_review(Path("review.xlsx"), pairs, lang="id")  # doctest: +SKIP
    """
    pairs = rec.filter(pl.col("outcome") == "review").select(KEYS + ["person_id", "household_id", "score", "alasan"])
    fields = [f for f in FIELDS if f in rows.columns and f in register.columns]
    village = rows.select(KEYS + [pl.col(f).alias(f"{f}__desa") for f in fields])
    reg = register.select(["person_id"] + [pl.col(f).alias(f"{f}__dtks") for f in fields])
    out = pairs.join(village, on=KEYS, how="left").join(reg, on="person_id", how="left").sort(KEYS)
    if not full_ids:
        for f in (f for f in _IDS if f in fields):
            a, b = f"{f}__desa", f"{f}__dtks"
            full = list(zip(out[a].cast(pl.Utf8), out[b].cast(pl.Utf8)))
            shown = [_mask(x, y) for x, y in full]
            out = out.with_columns(pl.Series(a, [s[0] for s in shown], pl.Utf8),
                                   pl.Series(b, [s[1] for s in shown], pl.Utf8),
                                   pl.Series(f"{f}__beda", [_differ(x, y) for x, y in full], pl.Boolean))
    return out


def _mask(a: str | None, b: str | None) -> tuple[str | None, str | None]:
    """:func:`mask_pair` (which never shows an identifier whole), keeping a missing side missing."""
    x, y = mask_pair(a, b)
    return (x if a is not None else None), (y if b is not None else None)


def write_review(path: Path, pairs: pl.DataFrame, *, lang: str = "id") -> None:
    """Write review.xlsx (always written, with the titles only when nothing needs review)."""
    with collector_paused():
        build_review(path, pairs, lang=lang).close()


# ---- the values shown ----

def _display(pairs: pl.DataFrame, lang: str) -> tuple[list[Column], dict[str, tuple[list, list]], dict[str, list]]:
    """The shown columns, each compared field's (village, register) values, and whether they differ."""
    schema = load_schema()
    fields = [c[: -len("__desa")] for c in pairs.columns if c.endswith("__desa")]
    values: dict[str, tuple[list, list]] = {}
    for f in fields:
        sides = []
        for side in ("desa", "dtks"):
            col = pl.col(f"{f}__{side}")
            spec = schema.fields.get(f)
            if spec is not None and spec.kind == "code" and spec.codelist in schema.codelists:
                cl = schema.codelists[spec.codelist]
                col = col.cast(pl.Utf8).replace(cl.labels_en if lang == "en" else cl.labels_id)
            sides.append(pairs.select(col).to_series().to_list())
        values[f] = (sides[0], sides[1])
    differ = {f: (pairs[f"{f}__beda"].fill_null(False).to_list() if f"{f}__beda" in pairs.columns
                  else [_differ(a, b) for a, b in zip(*values[f])]) for f in values}
    if "rt" in values or "rw" in values:
        blank = [None] * pairs.height
        rt, rw = values.pop("rt", (blank, blank)), values.pop("rw", (blank, blank))
        values["rt_rw"] = tuple([_rt_rw(a, b) for a, b in zip(rt[i], rw[i])] for i in (0, 1))
        differ["rt_rw"] = [x or y for x, y in zip(differ.pop("rt", [False] * pairs.height),
                                                  differ.pop("rw", [False] * pairs.height))]
    shown = [c for c in _SHOWN if c.key not in _COMPARED or c.key in values]
    return shown, values, differ


def _differ(a: object, b: object) -> bool:
    """Both sides filled in, and not the same (text compared without case and outer spaces)."""
    if a is None or b is None or a == "" or b == "":
        return False
    if isinstance(a, str) and isinstance(b, str):
        return " ".join(a.split()).upper() != " ".join(b.split()).upper()
    return a != b


def _rt_rw(rt: object, rw: object) -> str | None:
    if rt in (None, "") and rw in (None, ""):
        return None
    return f"{rt or '–'}/{rw or '–'}"


# ---- the reasons in plain words ----

@lru_cache(maxsize=1)
def _phrases() -> tuple[re.Pattern, tuple[tuple[str, re.Pattern], ...]]:
    """How to cut ``alasan`` into phrases, and one pattern per phrase the matcher may write: the
    ``[alasan]`` phrases set in schemas/match.toml, then the ``alasan_*`` phrases of each catalog."""
    sources = [tomllib.loads((schemas_dir() / "match.toml").read_text("utf-8")).get("alasan", {})]
    for lang in LANGUAGES:
        sources.append({k[len("alasan_"):]: v for k, v in catalog(lang).items() if k.startswith("alasan_")})
    separators = {src.get("separator", "; ").strip() or ";" for src in sources}
    cut = re.compile("|".join(re.escape(x) for x in sorted(separators)))
    patterns = tuple((k, re.compile(_pattern(v))) for src in sources for k, v in src.items()
                     if k not in _NOT_PHRASES and isinstance(v, str))
    return cut, patterns


def _pattern(template: str) -> str:
    """A regex matching ``template`` as the matcher renders it (``{sim}`` a number, `` ({diff})`` optional)."""
    if "{diff}" in template:
        before, after = template.split("{diff}", 1)
        core, rest = before.rstrip(" ("), after.lstrip(")")
        opened, closed = before[len(core):], after[: len(after) - len(rest)]
        return f"{_pattern(core)}(?:{re.escape(opened)}.*?{re.escape(closed)})?{_pattern(rest)}"
    return r"-?\d+(?:[.,]\d+)?".join(re.escape(p) for p in template.split("{sim}"))


def _phrase_key(segment: str) -> str | None:
    return next((k for k, rx in _phrases()[1] if rx.fullmatch(segment)), None)


def _reason_value(field: str, v: object, lang: str) -> str:
    if v is None or v == "":
        return t("review_empty", lang=lang)
    if isinstance(v, dt.date):
        return format_date(v, lang)
    return str(v)


def reasons_text(alasan: str | None, values: dict[str, tuple[object, object]], lang: str) -> str:
    """The matcher's ``alasan`` in plain words of ``lang``, one reason a line, with the values compared.

    ``values`` maps a field (``nama``, ``nik``, ``tanggal_lahir``, ...) to its (village, register)
    values as shown in the sheet. A phrase that is not one of match.toml's is kept as written.

    Example:
        >>> reasons_text("nama mirip 0,9 (MOCH. → MUHAMMAD)",
        ...              {"nama": ("MOCH. SURYANI", "MUHAMMAD SURYANI")}, "id")
        'nama mirip: MOCH. SURYANI ↔ MUHAMMAD SURYANI'
    """
    if not alasan:
        return ""
    out: list[str] = []
    for segment in (s.strip() for s in _phrases()[0].split(alasan)):
        if not segment:
            continue
        key = _phrase_key(segment)
        if key is None:
            out.append(segment)
            continue
        field = _PHRASE_FIELD.get(key.split("_", 1)[0])
        a, b = values.get(field, (None, None)) if field else (None, None)
        line = t(f"review_reason_{key}", lang=lang, village=_reason_value(field or "", a, lang),
                 register=_reason_value(field or "", b, lang))
        if line not in out:
            out.append(line)
    return "\n".join(out)


# ---- the workbook ----

def _lines(text: object, width: float) -> int:
    """Lines ``text`` takes in a wrapped cell ``width`` characters wide (a generous estimate)."""
    if text is None or text == "":
        return 1
    per_line = max(int(width * 0.95) - 1, 4)
    return sum(max(1, math.ceil(len(part) / per_line)) for part in str(text).split("\n"))


def _px(width: float) -> int:
    return int(width * 7 + 0.5) + 5  # Excel's column width -> pixels (Calibri 11 default font)


class _Formats:
    """The cell formats, made once per (kind, highlighted, row of the pair)."""

    def __init__(self, wb: xlsxwriter.Workbook, lang: str) -> None:
        self.wb, self.lang, self.cache = wb, lang, {}

    def get(self, kind: str, *, diff: bool = False, bottom: bool = False, wrap: bool = False,
            bold: bool = False, fill: str | None = None) -> xlsxwriter.format.Format:
        key = (kind, diff, bottom, wrap, bold, fill)
        if key not in self.cache:
            props: dict = {"font_size": FONT_SIZE, "valign": "top", "border": 1, "border_color": "#BFBFBF"}
            if kind in ("id", "text"):
                props["num_format"] = num_format("text", self.lang) if kind == "id" else "General"
            elif kind in ("date", "score", "row"):
                props["num_format"] = num_format(kind, self.lang)
                props["align"] = "left" if kind == "date" else "center"
            if bottom:
                props.update(bottom=2, bottom_color="#595959")
            if wrap:
                props["text_wrap"] = True
            if diff:
                props.update(bg_color=DIFF_FILL, bold=True)
            if bold:
                props["bold"] = True
            if fill:
                props["bg_color"] = fill
            self.cache[key] = self.wb.add_format(props)
        return self.cache[key]


def build_review(path: Path, pairs: pl.DataFrame, *, lang: str = "id") -> xlsxwriter.Workbook:
    """review.xlsx with every cell in place; ``close()`` writes it (pure Python: a forked child may).

    Example:
        >>> build_review(Path("review.xlsx"), review_pairs(rec, rows, register)).close()  # doctest: +SKIP
    """
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime(2000, 1, 1), "author": "slrt"})
    fmt = _Formats(wb, lang)
    ws = wb.add_worksheet(t("review_sheet", lang=lang))
    shown, values, differ = _display(pairs, lang)
    columns = shown + _KEY_COLUMNS
    at = {c.key: j for j, c in enumerate(columns)}
    last_printed = len(shown) - 1

    _write_titles(ws, wb, fmt, columns, last_printed, pairs.height, lang)
    heights = _write_pairs(ws, fmt, pairs, columns, at, values, differ, lang)
    last = HEADER_ROW + max(2 * pairs.height, 1)

    decision = at[DECISION_COLUMN]
    choices = [t("review_decision_same", lang=lang), t("review_decision_different", lang=lang)]
    ws.data_validation(HEADER_ROW + 1, decision, last, decision, {
        "validate": "list", "source": choices, "ignore_blank": True,
        "input_title": t("review_col_keputusan", lang=lang), "input_message": " / ".join(choices)})
    for j, c in enumerate(columns):
        options = {"level": 1, "hidden": True} if c.span == "key" else {}
        ws.set_column(j, j, c.width, None, options)
    ws.freeze_panes(HEADER_ROW + 1, at["nama"] + 1 if "nama" in at else 2)
    _print_setup(ws, shown, heights, last, last_printed, lang)
    return wb


def _write_titles(ws, wb, fmt: _Formats, columns: list[Column], last_printed: int, count: int, lang: str) -> None:
    title = t("review_title", lang=lang, count=format_number(count, lang)) if count else t("review_none", lang=lang)
    ws.write_string(0, 0, title, wb.add_format({"bold": True, "font_size": 13}))
    ws.set_row(0, 20)
    intro = t("review_intro", lang=lang)
    ws.merge_range(1, 0, 1, last_printed, intro,
                   wb.add_format({"text_wrap": True, "valign": "top", "font_size": FONT_SIZE, "italic": True}))
    printed = sum(c.width for c in columns[: last_printed + 1])
    ws.set_row(1, LINE * _lines(intro, printed) + 2)
    head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "top",
                          "font_size": FONT_SIZE})
    pick = wb.add_format({"bold": True, "bg_color": "#FFE699", "border": 1, "text_wrap": True, "valign": "top",
                          "font_size": FONT_SIZE})
    lines = 1
    for j, c in enumerate(columns):
        text = t(f"review_col_{c.key}", lang=lang)
        ws.write_string(HEADER_ROW, j, text, pick if c.key == DECISION_COLUMN else head)
        lines = max(lines, _lines(text, c.width))
        if c.key in _HELP:
            ws.write_comment(HEADER_ROW, j, t(f"review_help_{_HELP[c.key]}", lang=lang),
                             {"author": "slrt", "x_scale": 2, "y_scale": 1.3})
    ws.set_row(HEADER_ROW, LINE * lines + 2)


def _write_pairs(ws, fmt: _Formats, pairs: pl.DataFrame, columns: list[Column], at: dict[str, int],
                 values: dict, differ: dict, lang: str) -> list[float]:
    """Two rows per pair; returns the height of each pair's block (points)."""
    side = (t("review_side_village", lang=lang), t("review_side_register", lang=lang))
    compared = [c for c in columns if c.key in values]
    heights = []
    meta = pairs.select(KEYS + ["person_id", "household_id", "score", "alasan"]).iter_rows()
    for i, (file, sheet, row, person, household, score, alasan) in enumerate(meta):
        top = HEADER_ROW + 1 + 2 * i
        seen = {f: (values[f][0][i], values[f][1][i]) for f in values}
        origin = (
            t("review_origin_village" if sheet else "review_origin_village_csv", lang=lang, file=file or "",
              sheet=sheet or "", row=row if row is not None else ""),
            t("review_origin_register", lang=lang, person_id=person or "", household_id=household or ""),
        )
        reasons = reasons_text(alasan, seen, lang)
        lines = [1, 1]
        for k in (0, 1):
            r, bottom = top + k, k == 1
            ws.write_string(r, at["side"], side[k], fmt.get("text", bottom=bottom, bold=True))
            for c in compared:
                v = seen[c.key][k]
                f = fmt.get(c.kind, diff=differ[c.key][i], bottom=bottom, wrap=c.wrap)
                _write(ws, r, at[c.key], v, f)
                if c.wrap:
                    lines[k] = max(lines[k], _lines(v, c.width))
            ws.write_string(r, at["origin"], origin[k], fmt.get("text", bottom=bottom, wrap=True))
            lines[k] = max(lines[k], _lines(origin[k], columns[at["origin"]].width))
        ws.merge_range(top, at["no"], top + 1, at["no"], i + 1, fmt.get("row", bottom=True, bold=True))
        ws.merge_range(top, at["alasan"], top + 1, at["alasan"], reasons, fmt.get("text", bottom=True, wrap=True))
        if score is not None:
            ws.merge_range(top, at["score"], top + 1, at["score"], score, fmt.get("score", bottom=True))
        else:
            ws.merge_range(top, at["score"], top + 1, at["score"], "", fmt.get("score", bottom=True))
        ws.merge_range(top, at[DECISION_COLUMN], top + 1, at[DECISION_COLUMN], "",
                       fmt.get("text", bottom=True, fill="#FFF2CC", bold=True))
        ws.merge_range(top, at[NOTE_COLUMN], top + 1, at[NOTE_COLUMN], "", fmt.get("text", bottom=True, wrap=True))
        # the keys read_decisions reads (folded away, on the decision's row)
        ws.write_string(top, at["source_file"], file or "")
        if sheet:
            ws.write_string(top, at["source_sheet"], sheet)
        if row is not None:
            ws.write_number(top, at["source_row"], row)
        ws.write_string(top, at["person_id"], person or "")
        need = _lines(reasons, columns[at["alasan"]].width)
        if sum(lines) < need:
            lines[1] += need - sum(lines)
        ws.set_row(top, LINE * lines[0] + 2)
        ws.set_row(top + 1, LINE * lines[1] + 2)
        heights.append(LINE * sum(lines) + 4)
    return heights


def _write(ws, r: int, c: int, v: object, f) -> None:
    if v is None or v == "":
        ws.write_blank(r, c, None, f)
    elif isinstance(v, dt.datetime):
        ws.write_datetime(r, c, v, f)
    elif isinstance(v, dt.date):
        ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), f)
    elif isinstance(v, (int, float)) and not isinstance(v, bool):
        ws.write_number(r, c, v, f)
    else:
        ws.write_string(r, c, str(v), f)


def _print_setup(ws, shown: list[Column], heights: list[float], last: int, last_printed: int, lang: str) -> None:
    """A4 landscape, one page wide, the title row repeated, page breaks only between pairs."""
    ws.set_paper(9)
    ws.set_landscape()
    ws.set_margins(left=_MARGIN_LR, right=_MARGIN_LR, top=_MARGIN_TB, bottom=_MARGIN_TB)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.print_area(0, 0, last, last_printed)
    ws.set_footer(f"&L&8slrt review.xlsx&C&8{t('review_footer', lang=lang)}", {"margin": _MARGIN_HF})
    ws.set_header("", {"margin": _MARGIN_HF})
    ws.hide_gridlines(1)  # gridlines on screen, not on paper (the cells have borders)
    width_pt = sum(_px(c.width) for c in shown) * 0.75
    scale = min(1.0, (_PAGE_W - 2 * _MARGIN_LR) * 72 / width_pt)
    scale = math.floor(scale * 100) / 100
    page = (_PAGE_H - 2 * _MARGIN_TB) * 72 / scale * 0.92  # a margin for the reader's fonts
    ws.set_h_pagebreaks(_breaks(heights, page, first=page - 3 * LINE * 3))


def _breaks(heights: list[float], page: float, first: float) -> list[int]:
    """Rows (1-based, the last of a page) where a page ends, so that no pair splits."""
    header = LINE * 3
    out, used, room = [], 0.0, first
    for i, h in enumerate(heights):
        if used and used + h > room:
            out.append(HEADER_ROW + 1 + 2 * i)
            used, room = 0.0, page - header
        used += h
    return out[:_MAX_BREAKS]
