"""Find the header and the data rows on a grid of cells (same code for every format).

A sheet arrives as a :class:`Grid`: rows ``(row_number, values)`` with the
row number the user sees (1-based) and the raw cell values (calamine values or
CSV fields). :func:`convert_row` / :func:`convert_column` turn values into
text (None when empty) and a kind ("s" text, "n" number, "d" date, "b"
boolean, "e" error). :func:`read_grid` finds the header (title rows above it,
optionally a second header row), skips a column-numbering row, blank rows and
the notes block below the data, and returns a :class:`~slrt_cli.model.SheetTable`.
Data rows are converted column by column, which is several times faster than
cell by cell.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain
from pathlib import Path

import polars as pl

from slrt_cli.io import content
from slrt_cli.io.titles import TitleMatch, TitleRecogniser
from slrt_cli.model import Issue, SheetTable, SourceColumn
from slrt_cli.schemas import Schema

Row = tuple[int, list, list]  # (row number as seen, texts, kinds)
#: merged ranges: (first row, last row) as row numbers, (first col, last col) 0-based grid columns
Merge = tuple[int, int, int, int]

#: Texts Excel shows for error cells (calamine returns them as empty; CSV keeps the text).
ERROR_LITERALS = frozenset(
    ["#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!"]
)

_DIGIT_RUN = re.compile(r"\d{8}")
_TOTAL_TEXT = re.compile(r"\s*(?:jumlah|total|sub\s*total|grand\s*total)\b", re.IGNORECASE)
#: Texts in identity columns that belong to a totals/signature block, not to a person.
_NOTE_TEXT = re.compile(
    r"^\s*(?:jumlah|total|sub\s*total|grand\s*total|rekap|mengetahui|menyetujui|disetujui|diketahui|"
    r"dibuat|diperiksa|kepala\s+desa|kepala\s+kelurahan|kades|lurah|camat|sekretaris|sekdes|ketua|"
    r"petugas|operator|pendamping|catatan|keterangan|ket\s*:|nip[\s.:]|ttd|tanda\s*tangan|a\.\s*n\.)"
    r"|^\s*\(.*\)\s*$|^[\s.\-_]*$|[,:]\s*$|,\s*\d{1,2}[\s\-/]+\w+[\s\-/]+\d{4}\s*$",
    re.IGNORECASE,
)


# ---- cells --------------------------------------------------------------------------


def number_text(value: float) -> str:
    """Write a number as a person would: no ``.0``, never scientific notation.

    Example:
        >>> number_text(3201014508900002.0), number_text(2.5), number_text(1e-7)
        ('3201014508900002', '2.5', '0.0000001')
    """
    if isinstance(value, int):
        return str(value)
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def _timedelta_text(value: dt.timedelta) -> str:
    """ISO 8601 duration, e.g. ``P10DT15H10M10S``."""
    sign = "-" if value < dt.timedelta(0) else ""
    value = abs(value)
    hours, rest = divmod(value.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    secs = f"{seconds}.{value.microseconds:06d}".rstrip("0").rstrip(".") if value.microseconds else str(seconds)
    day = f"{value.days}D" if value.days else ""
    return f"{sign}P{day}T{hours}H{minutes}M{secs}S"


def _other_cell(value: object) -> tuple[str | None, str | None]:
    """Convert the rarer cell types (bool, dates, times, durations)."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return ("TRUE" if value else "FALSE"), "b"
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat(), "d"
        return value.isoformat(timespec="seconds"), "d"
    if isinstance(value, dt.date):
        return value.isoformat(), "d"
    if isinstance(value, dt.time):
        return value.isoformat(), "s"
    if isinstance(value, dt.timedelta):
        return _timedelta_text(value), "s"
    if isinstance(value, (int, float)):
        return number_text(value), "n"
    text = str(value)
    return (text, "s") if text.strip() else (None, None)


def convert_row(values: Iterable[object]) -> tuple[list, list]:
    """Turn one row of cell values (calamine values or CSV fields) into (texts, kinds).

    Example:
        >>> convert_row(["  ", 3201014508900002.0, True, "#N/A"])
        ([None, '3201014508900002', 'TRUE', '#N/A'], [None, 'n', 'b', 'e'])
    """
    texts: list = []
    kinds: list = []
    for v in values:
        text, kind = _cell(v)
        texts.append(text)
        kinds.append(kind)
    return texts, kinds


def _cell(v: object) -> tuple[str | None, str | None]:
    t = type(v)
    if t is str:
        if not v or v.isspace():
            return None, None
        return v, ("e" if v in ERROR_LITERALS else "s")
    if t is float:
        return (str(int(v)) if v.is_integer() else number_text(v)), "n"
    if t is int:
        return str(v), "n"
    return _other_cell(v)


def convert_column(values: tuple | list) -> tuple[list, list]:
    """Convert one column of cell values to (texts, kinds); same result as :func:`convert_row`.

    Columns of only text or only text and numbers (the usual case) take a fast path.
    """
    types = set(map(type, values))
    if types <= {str}:
        texts = [v if v and not v.isspace() else None for v in values]
        kinds = [None if v is None else ("e" if v in ERROR_LITERALS else "s") for v in texts]
    elif types == {float}:
        texts = [str(int(v)) if v.is_integer() else number_text(v) for v in values]
        kinds = ["n"] * len(texts)
    elif types <= {str, dt.date}:
        texts = [v.isoformat() if type(v) is dt.date else (v if v and not v.isspace() else None) for v in values]
        kinds = [
            None if t is None else ("d" if type(v) is dt.date else ("e" if t in ERROR_LITERALS else "s"))
            for v, t in zip(values, texts)
        ]
    elif types <= {str, float}:
        texts = [
            (v if v and not v.isspace() else None)
            if type(v) is str
            else (str(int(v)) if v.is_integer() else number_text(v))
            for v in values
        ]
        kinds = [
            None if t is None else ("n" if type(v) is float else ("e" if t in ERROR_LITERALS else "s"))
            for v, t in zip(values, texts)
        ]
    else:
        pairs = [_cell(v) for v in values]
        texts = [p[0] for p in pairs]
        kinds = [p[1] for p in pairs]
    return texts, kinds


def column_letter(index: int) -> str:
    """Excel column letters of a 0-based column index.

    Example:
        >>> column_letter(0), column_letter(27)
        ('A', 'AB')
    """
    letters = ""
    index += 1
    while index:
        index, rem = divmod(index - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


def compact_rows(rows: list[int], max_parts: int = 20) -> str:
    """Write row numbers compactly: ``[12, 15, 16, 17, 18]`` -> ``"12, 15-18"``."""
    parts: list[str] = []
    start = prev = None
    for r in sorted(rows):
        if start is None:
            start = prev = r
        elif r == prev + 1:
            prev = r
        else:
            parts.append(str(start) if start == prev else f"{start}-{prev}")
            start = prev = r
    if start is not None:
        parts.append(str(start) if start == prev else f"{start}-{prev}")
    if len(parts) > max_parts:
        return ", ".join(parts[:max_parts]) + ", …"
    return ", ".join(parts)


# ---- layout -------------------------------------------------------------------------


@dataclass
class Grid:
    """One sheet as rows of raw cell values plus how to name its columns.

    Attributes:
        rows: ``(row_number, values)`` in sheet order, blank rows included; values
            are calamine cell values or CSV fields ("" for an empty cell).
        label: 0-based grid column -> the column as the user names it ("B", "7").
        merges: merged cell ranges, or None when the format does not report them
            (without any, a blank upper header cell is filled from the left).
    """

    rows: Iterator[tuple[int, list]]
    label: Callable[[int], str]
    merges: list[Merge] | None = None


@dataclass
class GridResult:
    """What :func:`read_grid` found: a table, or only sheet issues (notes/empty sheet)."""

    table: SheetTable | None
    issues: list[Issue] = field(default_factory=list)
    too_many_rows: bool = False


@dataclass
class _Header:
    rows: tuple[int, ...]
    texts: list[str]
    mapping: dict[int, tuple[str, str | None]]
    last_index: int  # index in the buffer of the last header row
    matches: dict[int, TitleMatch] = field(default_factory=dict)
    by_content: bool = False  # no title was recognised: columns are named by their content only

    @property
    def fields(self) -> set[str]:
        return {m[0] for m in self.mapping.values()}


def _clean(text: str | None) -> str:
    return " ".join(text.split()) if text else ""


def _is_blank(texts: list) -> bool:
    return texts.count(None) == len(texts)


def is_blank_values(values: list) -> bool:
    """True when a row of raw values has no cell with content (empty or whitespace only)."""
    if values.count("") == len(values):
        return True
    return all(type(v) is str and (not v or v.isspace()) for v in values)


def _group_titles(row: int, merges: list[Merge] | None) -> set[int]:
    """Columns of ``row`` where a title merged over several columns starts: a group title
    ("KETERANGAN IDENTITAS" over five columns), not the title of one column."""
    return {c0 for r0, r1, c0, c1 in merges or () if r0 <= row <= r1 and c1 > c0}


def _single_header(texts: list, schema: Schema, kinds: list | None = None):
    """Titles of a one-row header, their field mapping and how each title was recognised
    (only text cells can be titles: numbers and dates are not looked up)."""
    rec = TitleRecogniser.for_schema(schema)
    headers = [_clean(t) for t in texts]
    mapping, matches = {}, {}
    for c, h in enumerate(headers):
        m = rec.recognise(h) if h and (kinds is None or kinds[c] == "s") else None
        if m is None:
            continue
        matches[c] = m
        if m.field:
            mapping[c] = (m.field, m.codelist)
    return headers, mapping, matches


def _header_fields(mapping: dict[int, tuple[str, str | None]], schema: Schema) -> set[str]:
    """Fields named by a header, a combined title counting as the fields it holds."""
    rec = TitleRecogniser.for_schema(schema)
    out: set[str] = set()
    for fld, _ in mapping.values():
        out.update(rec.combined_fields(fld) or (fld,))
    return out


def _headerish(texts: list, kinds: list) -> bool:
    """Could this row be the other half of a two-row header? (text only, no IDs, no numbering)."""
    if any(k not in (None, "s") for k in kinds):
        return False
    if any(t is not None and _DIGIT_RUN.search(t) for t in texts):
        return False
    return not is_numbering_row(texts)


def _combine(upper: Row, lower: Row, merges: list[Merge] | None, schema: Schema):
    """Header texts and field mapping of a two-row header.

    The upper title of a horizontally merged cell (from ``merges``, or, when the
    sheet has no merged cells, forward-filled from the left while the lower row has titles) applies to
    every column it spans. Per column the lower title, then "upper lower",
    then the upper title is looked up.
    """
    width = max(len(upper[1]), len(lower[1]))
    up = [_clean(t) for t in upper[1]] + [""] * (width - len(upper[1]))
    low = [_clean(t) for t in lower[1]] + [""] * (width - len(lower[1]))
    filled = list(up)
    if merges:  # a sheet without any merged cell may still centre a title over blank cells
        for r0, r1, c0, c1 in merges:
            if r0 == upper[0] <= r1 and c1 > c0 and 0 <= c0 < width and up[c0]:
                for c in range(c0 + 1, min(c1, width - 1) + 1):
                    filled[c] = filled[c] or up[c0]
    else:
        last = ""
        for c in range(width):
            if up[c]:
                last = up[c]
            elif low[c] and last:
                filled[c] = last
            else:
                last = ""
    rec = TitleRecogniser.for_schema(schema)
    headers, mapping, matches = [], {}, {}
    for c in range(width):
        u, lo = filled[c], low[c]
        joined = f"{u} {lo}" if u and lo and u != lo else (u or lo)
        headers.append(joined)
        found = [m for m in (rec.recognise(t) for t in (lo, joined, u) if t)]
        best = next((m for m in found if m.field and m.how == "alias"), None) or next(
            (m for m in found if m.field), found[0] if found else None)
        if best is not None:
            matches[c] = best
            if best.field:
                mapping[c] = (best.field, best.codelist)
    return headers, mapping, matches


_ID_LIKE = re.compile(r"^'?\s*\d{16}\s*$")


def _holds_identifier(texts: list) -> bool:
    return any(t is not None and _ID_LIKE.match(t) for t in texts)


def _header_by_content(buffer: list[Row], scan: int) -> _Header | None:
    """A header no title names (questionnaire item numbers ``401 402 …``): the row above the first
    row holding a 16-digit identifier. Its columns are then recognised by content only, and the
    sheet is kept only when content finds an identity field (see :func:`_read_data`)."""
    nonblank = [i for i, r in enumerate(buffer) if not _is_blank(r[1])][:scan]
    for k, i in enumerate(nonblank):
        texts = buffer[i][1]
        if any(t is not None and _ID_LIKE.match(t) for t in texts):
            if k == 0:
                return None
            j = nonblank[k - 1]
            above = buffer[j][1]
            if sum(t is not None for t in above) < 2 or any(t is not None and _ID_LIKE.match(t) for t in above):
                return None
            return _Header((buffer[j][0],), [_clean(t) for t in above], {}, j, {}, by_content=True)
    return None


def _find_header(buffer: list[Row], schema: Schema, merges: list[Merge] | None, scan: int) -> _Header | None:
    """The row mapping most distinct fields (>= 2, one an identity field), maybe with its neighbour."""
    identity = set(schema.identity_fields)
    best: _Header | None = None
    nonblank = [i for i, r in enumerate(buffer) if not _is_blank(r[1])][:scan]
    best_fields: set[str] = set()
    fallback: _Header | None = None  # titles of several fields but none that identifies a person
    for i in nonblank:
        if best is not None and _holds_identifier(buffer[i][1]):
            break  # the data has begun under the header found
        headers, mapping, matches = _single_header(buffer[i][1], schema, buffer[i][2])
        found = _header_fields(mapping, schema)
        if len(found) >= 2 and found & identity and (best is None or len(found) > len(best_fields)):
            best = _Header((buffer[i][0],), headers, mapping, i, matches)
            best_fields = found
        elif len(found) >= 3 and not found & identity and (fallback is None or len(found) > len(fallback.fields)):
            fallback = _Header((buffer[i][0],), headers, mapping, i, matches, by_content=True)
    if best is None:
        return fallback  # the identity columns may be titled by item numbers: content must find them
    best_fields = best.fields  # a combined title counts once: "TEMPAT/TGL LAHIR" over TEMPAT | TANGGAL
    h = best.last_index
    options = []
    if h + 1 < len(buffer) and buffer[h + 1][0] == buffer[h][0] + 1:
        options.append((h, h + 1, h + 1))
    if h > 0 and buffer[h - 1][0] == buffer[h][0] - 1:
        options.append((h - 1, h, h - 1))
    for up_i, low_i, other in options:
        if _is_blank(buffer[other][1]) or not _headerish(buffer[other][1], buffer[other][2]):
            continue
        subtitles = _has_subtitles(buffer[up_i][1], buffer[low_i][1])
        if not subtitles and (other != low_i or not _continues_titles(buffer[up_i][1], buffer[low_i][1], schema)):
            continue
        headers, mapping, matches = _combine(buffer[up_i], buffer[low_i], merges, schema)
        found = {m[0] for m in mapping.values()}
        # a title continued on the next line ("Jenis" / "Kelamin") has no blank cell above it:
        # taken when the two lines together name more fields
        if len(found) > len(best_fields) and _header_fields(mapping, schema) & identity:
            best = _Header((buffer[up_i][0], buffer[low_i][0]), headers, mapping, low_i, matches)
            best_fields = found
    if len(best.rows) == 1:  # a title merged over several columns names a group, not a column
        for c in _group_titles(best.rows[0], merges) & set(best.mapping):
            del best.mapping[c]
            best.matches.pop(c, None)
        best.by_content = not _header_fields(best.mapping, schema) & identity
    return best


def _continues_titles(upper: list, lower: list, schema: Schema) -> bool:
    """A second line of titles ("Jenis" / "Kelamin"): a few words without digits under some titles,
    unlike a data row, which fills most columns or holds coded values (ANAK, MENINGGAL)."""
    below = [t for t in lower if t is not None]
    filled = sum(t is not None for t in upper)
    if not below or 2 * len(below) > filled or any(ch.isdigit() for t in below for ch in t):
        return False
    lists = [cl for name, cl in schema.codelists.items() if name != "flag"]
    return not any(cl.lookup(t) is not None for t in below for cl in lists)


def _has_subtitles(upper: list, lower: list) -> bool:
    """A real lower header row has a title under a blank (merged) upper cell;
    a data row under a complete header has none."""
    return any(lo is not None and (c >= len(upper) or upper[c] is None) for c, lo in enumerate(lower))


_ITEM_CODE = re.compile(r"^[(\[]?(?:[A-Za-z]{1,2}\.?\s?)?\d{1,4}(?:[.\-]\d{1,3})?[a-zA-Z]?[)\]]?\.?$")


def is_numbering_row(texts: list) -> bool:
    """True for a row of column numbers ``1, 2, 3, …`` (also ``(1)``), at least two of them.

    Also a row of questionnaire item numbers (``401, 402, 403a``) or one that starts with a
    word (``KOLOM, 2, 3, …``): at least three values, all but one short item codes, the codes
    distinct and rising.

    Example:
        >>> is_numbering_row(["1", "2", "(3)"]), is_numbering_row(["KOLOM", "2", "3", "4"])
        (True, True)
        >>> is_numbering_row(["1", "2", "1", "3"])
        False
    """
    values = [t.strip() for t in texts if t is not None]
    if len(values) < 2:
        return False
    if all(text.strip("()").strip() in (str(n), f"{n}.") for n, text in enumerate(values, start=1)):
        return True
    codes = [v for v in values if _ITEM_CODE.match(v)]
    if len(values) < 3 or len(codes) < len(values) - 1 or (len(codes) < len(values) and len(values[0]) > 8):
        return False
    if len(codes) < len(values) and _ITEM_CODE.match(values[0]):
        return False  # the one word is not in front
    numbers = [int(re.sub(r"\D", "", c)) for c in codes]
    return len(set(codes)) == len(codes) and all(b >= a for a, b in zip(numbers, numbers[1:]))


_CHOICES = re.compile(r"^[^/\d]{1,30}(?:\s*/\s*[^/\d]{1,30}){1,6}$|^\s*(?:contoh|diisi|isi|pilih|format)\b|^\(.*\)$",
                      re.IGNORECASE)


def is_hint_row(texts: list) -> bool:
    """True for a row under the header that tells what to type, not who: ``Ya / Tidak``,
    ``Terdaftar / Tidak Terdaftar``, ``(diisi angka)``, ``contoh: 3201…`` in most of its cells.

    Example:
        >>> is_hint_row(["Ya / Tidak", "L / P", None, "Menikah / Belum Menikah"])
        True
        >>> is_hint_row(["SITI AMINAH", "P", "Kawin / Cerai"])
        False
    """
    values = [t.strip() for t in texts if t is not None and t.strip()]
    if len(values) < 2 or any(_DIGIT_RUN.search(v) for v in values):
        return False
    return sum(1 for v in values if _CHOICES.search(v)) >= 0.6 * len(values)


def _is_person_value(text: str, kind: str | None) -> bool:
    return kind != "s" or not _NOTE_TEXT.search(text)


def read_grid(grid: Grid, schema: Schema, *, file: str, path: Path, sheet: str,
              max_rows: int, scan_rows: int = 30, columns_past: int | None = None) -> GridResult:
    """Find header and data rows of one sheet and build its :class:`SheetTable`.

    Returns a result without a table (and a SHEET_EMPTY or SHEET_NO_HEADER
    issue) for a sheet without data, and ``too_many_rows`` (no table) when the
    sheet has more than ``max_rows`` data rows. Columns more than ``columns_past``
    (default :data:`COLUMNS_PAST_LAST_FIELD`) to the right of the last recognised
    column are not read (one COLUMNS_BEYOND_LIMIT issue when they hold anything);
    vertically merged cells in the data rows are filled down (:class:`_DataGuard`).
    """
    raw: list[tuple[int, list]] = []
    nonblank = 0
    for number, values in grid.rows:
        raw.append((number, values))
        if not is_blank_values(values):
            nonblank += 1
            if nonblank > scan_rows:
                break
    if not nonblank:
        return GridResult(None, [Issue("SHEET_EMPTY", schema.severity("SHEET_EMPTY"), file, sheet)])
    buffer = [(number, *convert_row(values)) for number, values in raw]
    header = _find_header(buffer, schema, grid.merges, scan_rows) or _header_by_content(buffer, scan_rows)
    if header is None:
        return GridResult(None, [Issue("SHEET_NO_HEADER", schema.severity("SHEET_NO_HEADER"), file, sheet)])
    guard = _DataGuard(header, grid, COLUMNS_PAST_LAST_FIELD if columns_past is None else columns_past)
    rows = guard.rows(chain(raw[header.last_index + 1 :], grid.rows))
    res = _read_data(rows, grid.label, header, schema, file=file, path=path, sheet=sheet, max_rows=max_rows)
    guard.report(res, schema, file=file, sheet=sheet)
    return res


def _read_data(rows: Iterator[tuple[int, list]], label: Callable[[int], str], header: _Header, schema: Schema,
               *, file: str, path: Path, sheet: str, max_rows: int) -> GridResult:
    raw_rows: list[list] = []
    source_rows: list[int] = []
    blank: list[int] = []
    numbering: list[int] = []
    after_end: list[int] = []
    first = True
    for number, values in rows:
        v = values[0] if values else ""
        if type(v) is str and (not v or v.isspace()) and is_blank_values(values):
            blank.append(number)
            continue
        if after_end or ((type(v) is not str or not v or v[0] == "#" or v.isspace()) and _is_end_marker(values)):
            after_end.append(number)  # "###" ends the data: what follows is notes
            continue
        if first:
            first = False
            texts = convert_row(values)[0]
            if is_numbering_row(texts) or is_hint_row(texts):
                numbering.append(number)
                continue
        if len(source_rows) >= max_rows:
            return GridResult(None, too_many_rows=True)
        raw_rows.append(values)
        source_rows.append(number)
    last_seen = max(source_rows[-1] if source_rows else 0, numbering[0] if numbering else 0)
    blank = [b for b in blank if b < last_seen]
    width = max([len(header.texts)] + [len(r) for r in raw_rows])
    text_cols, kind_cols = _convert_columns(raw_rows, width)
    where = {"file": file, "sheet": sheet}
    issues = _recognise_by_content(header, text_cols, kind_cols, schema, label, **where)
    if header.by_content and not (_header_fields(header.mapping, schema) & set(schema.identity_fields)
                                  and "nama" in header.fields):
        return GridResult(None, [Issue("SHEET_NO_HEADER", schema.severity("SHEET_NO_HEADER"), file, sheet)])
    label, split_issues, split_from = _split_combined(header, text_cols, kind_cols, label, schema, **where)
    issues += split_issues
    identity = set(schema.identity_fields)
    id_cols = [c for c, m in header.mapping.items() if m[0] in identity]
    field_cols = [c for c in header.mapping if c not in id_cols]
    keep = _last_data_row(text_cols, kind_cols, id_cols, field_cols, len(source_rows)) + 1
    notes = source_rows[keep:] + after_end
    if keep < len(source_rows):
        source_rows = source_rows[:keep]
        text_cols = [col[:keep] for col in text_cols]
        kind_cols = [col[:keep] for col in kind_cols]
    issues = _skip_issues(schema, file, sheet, blank, notes, numbering) + issues
    columns, col_issues, data = _build_columns(header, text_cols, kind_cols, source_rows, label, schema,
                                               file=file, sheet=sheet)
    split_titles = {header.texts[c] for c in split_from}
    issues += [i for i in col_issues if not (i.code == "COLUMN_EXTRA" and i.column in split_titles)]
    _note_how(columns, header)
    issues += _repeated_keys_disagree(columns, header, data, schema, file=file, sheet=sheet)
    if source_rows and not any(c.field == "nama" for c in columns):
        issues.append(Issue("COLUMN_NAME_MISSING", schema.severity("COLUMN_NAME_MISSING"), file, sheet,
                            column="nama"))
    table = SheetTable(file=file, path=path, sheet=sheet, header_rows=header.rows, columns=columns,
                       data=data, issues=issues, rows_skipped=len(blank) + len(notes) + len(numbering))
    return GridResult(table)


def _convert_columns(raw_rows: list[list], width: int) -> tuple[list[list], list[list]]:
    """Transpose the data rows and convert each column (faster than cell by cell)."""
    if not raw_rows:
        return [[] for _ in range(width)], [[] for _ in range(width)]
    for r in raw_rows:
        if len(r) < width:
            r.extend([""] * (width - len(r)))
    text_cols, kind_cols = [], []
    for values in zip(*raw_rows):
        texts, kinds = convert_column(values)
        text_cols.append(texts)
        kind_cols.append(kinds)
    return text_cols, kind_cols


def _last_data_row(text_cols: list[list], kind_cols: list[list], id_cols: list[int], field_cols: list[int],
                   n: int) -> int:
    """Index of the last data row, or -1: the rows below it are notes, totals or signatures.

    A data row has a person's value in an identity column, or, without one, values in
    recognised columns (a status, a relationship, a date) and no text of a notes block.
    A totals row (its first filled cell starts with JUMLAH/TOTAL) is never a data row.
    """
    for i in range(n - 1, -1, -1):
        filled = [(col[i], kinds[i]) for col, kinds in zip(text_cols, kind_cols) if col[i] is not None]
        if not filled or _TOTAL_TEXT.match(filled[0][0]):
            continue
        for c in id_cols:
            text = text_cols[c][i]
            if text is not None and _is_person_value(text, kind_cols[c][i]):
                return i
        in_fields = [text_cols[c][i] for c in field_cols if text_cols[c][i] is not None]
        if in_fields and all(_is_person_value(t, k) for t, k in filled) and not _looks_like_note(filled[0][0]):
            return i
    return -1


def _looks_like_note(text: str) -> bool:
    return bool(_NOTE_TEXT.search(text)) or len(text) > 80


_END_MARKER = re.compile(r"^\s*#{3,}\s*$")


def _is_end_marker(values: list) -> bool:
    """A ``###`` row: the end of the data, as some templates mark it."""
    first = next((v for v in values if not (type(v) is str and (not v or v.isspace()))), None)
    return type(first) is str and bool(_END_MARKER.match(first))


# ---- recognition by content ---------------------------------------------------------


def _recognise_by_content(header: _Header, text_cols: list[list], kind_cols: list[list], schema: Schema,
                          label: Callable[[int], str], *, file: str, sheet: str) -> list[Issue]:
    """Profile the columns and let content decide what titles could not (see :mod:`.content`)."""
    issues = []
    for c, m in sorted(header.matches.items()):
        if m.field is None and m.rivals:
            issues.append(_issue(schema, "COLUMN_AMBIGUOUS", file, sheet, header.texts[c] or label(c),
                                 fields=", ".join(m.rivals)))
    profiles = {c: content.profile_column(t, k, schema) for c, (t, k) in enumerate(zip(text_cols, kind_cols))
                if t.count(None) < len(t) and header.matches.get(c, _UNSEEN).how != "ignored"}  # abaikan: never a field
    titles = {c: (header.texts[c] if c < len(header.texts) else "") for c in profiles}
    free = {c: t for c, t in titles.items() if c not in header.mapping}  # what content may still decide
    rec = TitleRecogniser.for_schema(schema)
    not_for = {c: rec.speaks_of(t) for c, t in free.items()}

    def same_values(a: int, b: int) -> float:
        pairs = [(x, y) for x, y in zip(text_cols[a], text_cols[b]) if x is not None and y is not None]
        return sum(x.strip() == y.strip() for x, y in pairs) / (len(pairs) or 1)

    near = {c: rec.overlaps(t) for c, t in free.items()}
    untitled = {c for c, t in free.items() if not rec.words_of(t)}
    for d in content.resolve(header.mapping, profiles, not_for, same_values, near, untitled):
        title = titles.get(d.column) or label(d.column)
        header.matches[d.column] = TitleMatch(d.field, d.codelist, round(d.evidence, 2), d.how)
        params = {"header": title, "letter": label(d.column), "field": d.field or "", "pct": round(100 * d.evidence),
                  "previous": d.previous or ""}
        issues.append(_issue(schema, d.issue, file, sheet, title, **params))
    return issues


_UNSEEN = TitleMatch(None)


def _issue(schema: Schema, code: str, file: str, sheet: str, column: str, **params) -> Issue:
    return Issue(code, schema.severity(code), file, sheet, column=column, params=params)


def _split_combined(header: _Header, text_cols: list[list], kind_cols: list[list], label: Callable[[int], str],
                    schema: Schema, *, file: str, sheet: str):
    """Split place+date of birth and RT/RW held in one cell into their fields (the original is kept).

    Returns the column labeller (new columns are named by their source's letter), issues, and
    the source columns split.
    """
    rec = TitleRecogniser.for_schema(schema)
    mapped = {m[0] for m in header.mapping.values()}
    letters: dict[int, str] = {}
    issues: list[Issue] = []
    split_from: list[int] = []
    for c, (fld, _) in sorted(header.mapping.items()):
        combo = _combined_kind(fld, text_cols[c], kind_cols[c], schema, rec)
        if combo is None:
            continue
        splitter = content.split_place_date if combo == "tempat_tanggal_lahir" else content.split_rt_rw
        parts = [splitter(t) for t in text_cols[c]]
        targets = rec.combined_fields(combo)
        title = header.texts[c] if c < len(header.texts) else ""
        del header.mapping[c]
        split_from.append(c)
        for k, target in enumerate(targets):
            if target in mapped and target != fld:
                continue  # the sheet has its own column for it
            texts = [p[k] for p in parts]
            new = len(text_cols)
            text_cols.append(texts)
            kind_cols.append([None if t is None else "s" for t in texts])
            while len(header.texts) < new:
                header.texts.append("")
            header.texts.append(f"{title or label(c)} [{schema.fields[target].label_id}]")
            header.mapping[new] = (target, None)
            header.matches[new] = TitleMatch(target, None, 1.0, "combined")
            letters[new] = label(c)
            mapped.add(target)
        issues.append(_issue(schema, "COLUMN_SPLIT", file, sheet, title or label(c), header=title or label(c),
                             fields=", ".join(targets)))
    if not letters:
        return label, issues, split_from
    return (lambda i: letters.get(i) or label(i)), issues, split_from


def _combined_kind(fld: str, texts: list, kinds: list, schema: Schema, rec: TitleRecogniser) -> str | None:
    """The combined entry a column holds: by its title, or by content under a plain title."""
    if rec.combined_fields(fld):
        return fld
    if fld in ("tempat_lahir", "tanggal_lahir", "rt", "rw"):
        prof = content.profile_column(texts, kinds, schema)
        if fld in ("tempat_lahir", "tanggal_lahir") and prof.fit("ttl") >= content.DECIDES:
            return "tempat_tanggal_lahir"
        if fld in ("rt", "rw") and prof.fit("rtrw") >= content.DECIDES:
            return "rt_rw"
    return None


#: key fields a questionnaire repeats in several column groups: the copies must agree
_REPEATED_KEYS = ("nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin")
_KEY_NOISE = re.compile(r"[\s'.\-/,]")


def _repeated_keys_disagree(columns: list[SourceColumn], header: _Header, data: pl.DataFrame, schema: Schema,
                            *, file: str, sheet: str) -> list[Issue]:
    """One warning per row where a repeated key column holds another value than the column read
    (``KEY_COLUMNS_DISAGREE``): a disagreement is reported, never settled by a silent pick."""
    first = {c.field: c for c in columns if c.field in _REPEATED_KEYS}
    issues = []
    for col in columns:
        mapped = header.mapping.get(col.index)
        if col.field is not None or mapped is None or mapped[0] not in first:
            continue
        main = first[mapped[0]]
        rows = data.select(
            "source_row",
            pl.col(main.key).str.replace_all(_KEY_NOISE.pattern, "").str.to_uppercase().alias("a"),
            pl.col(col.key).str.replace_all(_KEY_NOISE.pattern, "").str.to_uppercase().alias("b"),
        ).filter(pl.col("a").is_not_null() & pl.col("b").is_not_null() & (pl.col("a") != pl.col("b")))
        for row in rows["source_row"].to_list():
            issues.append(Issue("KEY_COLUMNS_DISAGREE", schema.severity("KEY_COLUMNS_DISAGREE"), file, sheet,
                                row=row, column=f"{col.header} ({col.letter})",
                                params={"field": mapped[0], "first": main.letter, "other": col.letter}))
    return issues


def _note_how(columns: list[SourceColumn], header: _Header) -> None:
    """Remember on each column how its field was recognised (for ``slrt inspect``)."""
    for col in columns:
        m = header.matches.get(col.index)
        if col.field and m is not None:
            col.how, col.confidence = m.how or "alias", m.confidence
        elif m is not None and m.how == "ignored":
            col.how, col.confidence = "ignored", m.confidence


def _skip_issues(schema: Schema, file: str, sheet: str, blank: list[int], notes: list[int],
                 numbering: list[int]) -> list[Issue]:
    issues = []
    for code, rows in (("ROWS_SKIPPED_NUMBERING", numbering), ("ROWS_SKIPPED_BLANK", blank),
                       ("ROWS_SKIPPED_NOTES", notes)):
        if rows:
            issues.append(Issue(code, schema.severity(code), file, sheet,
                                params={"count": len(rows), "rows": compact_rows(rows)}))
    return issues


def _build_columns(header: _Header, text_cols: list[list], kind_cols: list[list], source_rows: list[int],
                   label: Callable[[int], str], schema: Schema, *, file: str, sheet: str):
    headers = header.texts + [""] * (len(text_cols) - len(header.texts))
    columns: list[SourceColumn] = []
    issues: list[Issue] = []
    first_of: dict[str, SourceColumn] = {}
    used = {"source_row"}
    counters: dict[str, int] = {}
    data: dict[str, list] = {"source_row": source_rows}
    dtypes: dict[str, pl.DataType] = {"source_row": pl.Int64}
    for c, texts in enumerate(text_cols):
        head, mapped = headers[c], header.mapping.get(c)
        if not head and texts.count(None) == len(texts):
            continue
        letter = label(c)
        if mapped and mapped[0] not in first_of:
            col = SourceColumn(c, letter, head, mapped[0], mapped[0], mapped[1])
            first_of[mapped[0]] = col
        else:
            col = SourceColumn(c, letter, head, None, _unique_key("x:" + (head or f"kolom_{letter}"), used, counters))
            if mapped:
                issues.append(Issue("COLUMN_DUPLICATE", schema.severity("COLUMN_DUPLICATE"), file, sheet,
                                    column=head,
                                    params={"header": head, "field": mapped[0], "first": first_of[mapped[0]].letter}))
            else:
                issues.append(Issue("COLUMN_EXTRA", schema.severity("COLUMN_EXTRA"), file, sheet,
                                    column=head or letter, params={"header": head or f"kolom_{letter}"}))
        used.update((col.key, col.key + "#k"))
        columns.append(col)
        data[col.key] = texts
        data[col.key + "#k"] = kind_cols[c]
        dtypes[col.key] = dtypes[col.key + "#k"] = pl.Utf8
    return columns, issues, pl.DataFrame(data, schema=dtypes)


def _unique_key(key: str, used: set[str], counters: dict[str, int] | None = None) -> str:
    """``key``, or ``key#2``, ``key#3``… when taken; ``counters`` remembers where each search
    stopped, so that thousands of columns with one title cost linear time, not quadratic."""
    if key not in used:
        return key
    n = counters.get(key, 2) if counters is not None else 2
    while f"{key}#{n}" in used:
        n += 1
    if counters is not None:
        counters[key] = n + 1
    return f"{key}#{n}"


# ---- bounds and merged data cells (issue 14) -----------------------------------------

#: Columns read to the right of the last recognised column; the rest of a wider sheet is
#: reported once (COLUMNS_BEYOND_LIMIT) and not carried, so that a sheet's cost stays
#: linear in its size and its outputs bounded (a 16,384-column sheet, a 50,000-field line).
COLUMNS_PAST_LAST_FIELD = 500


def _blank_value(v: object) -> bool:
    return v is None or (type(v) is str and (not v or v.isspace()))


class _DataGuard:
    """Bounds the width of the data rows and fills vertically merged data cells down.

    * Width: only columns up to ``columns_past`` right of the last recognised column are kept
      (the header texts too); where cut columns held something is remembered for one issue.
    * Merged cells: a merged range lying wholly below the header and spanning several rows
      gives its top-left value to the first column of the range in its other rows, as Excel
      shows it (the other columns of a block stay empty, as in its top row). Rows that hold
      nothing else stay blank. Each filled column gets one CELLS_MERGED_FILLED issue.
    """

    def __init__(self, header: _Header, grid: Grid, columns_past: int) -> None:
        self.header = header
        self.label = grid.label
        self.cap = max(header.mapping, default=-1) + 1 + max(columns_past, 0)
        self.cut_first: int | None = None  # first and last cut column holding something
        self.cut_last = -1
        self.cut_rows = 0
        self.past = columns_past
        tail = header.texts[self.cap:]
        if tail:
            self._note_cut(tail)  # header rows count among the rows holding something
            header.texts = header.texts[: self.cap]
        last_header_row = header.rows[-1] if header.rows else 0
        self.merges = sorted(
            (r0, r1, c0) for r0, r1, c0, _c1 in (grid.merges or ())
            if r0 > last_header_row and r1 > r0 and 0 <= c0 < self.cap
        )
        self.filled: dict[int, list[int]] = {}

    def _note_cut(self, tail: list) -> None:
        first = next((i for i, v in enumerate(tail) if not _blank_value(v)), None)
        if first is None:
            return
        last = next(i for i in range(len(tail) - 1, -1, -1) if not _blank_value(tail[i]))
        first, last = first + self.cap, last + self.cap
        self.cut_first = first if self.cut_first is None else min(self.cut_first, first)
        self.cut_last = max(self.cut_last, last)
        self.cut_rows += 1

    def rows(self, rows: Iterable[tuple[int, list]]) -> Iterator[tuple[int, list]]:
        cap = self.cap
        merges, m = self.merges, 0
        active: list[tuple[int, int, object]] = []  # (last row, column, top-left value)
        for number, values in rows:
            if len(values) > cap:
                tail = values[cap:]
                if tail.count("") != len(tail):
                    self._note_cut(tail)
                values = values[:cap]
            if m < len(merges) or active:
                while m < len(merges) and merges[m][0] <= number:
                    r0, r1, c0 = merges[m]
                    m += 1
                    top = values[c0] if r0 == number and c0 < len(values) else None
                    if top is not None and not _blank_value(top):
                        active.append((r1, c0, top))
                if active:
                    active = [a for a in active if a[0] >= number]
                    blank = is_blank_values(values)
                    for _r1, c0, top in active:
                        if not blank and c0 < len(values) and _blank_value(values[c0]):
                            values[c0] = top
                            self.filled.setdefault(c0, []).append(number)
                    # the merge's own first row is in ``active`` too: its cell holds ``top``, nothing filled
            yield number, values

    def report(self, res: GridResult, schema: Schema, *, file: str, sheet: str) -> None:
        if res.table is None:
            return
        issues = res.table.issues
        if self.cut_first is not None:
            last_field = self.label(self.cap - 1 - self.past) if self.cap - self.past > 0 else ""
            issues.append(Issue("COLUMNS_BEYOND_LIMIT", schema.severity("COLUMNS_BEYOND_LIMIT"), file, sheet,
                                column=self.label(self.cut_first),
                                params={"first": self.label(self.cut_first), "last": self.label(self.cut_last),
                                        "limit": self.past, "after": last_field, "rows": self.cut_rows}))
        if self.filled:
            kept = set(res.table.data["source_row"].to_list())
            for c0, numbers in sorted(self.filled.items()):
                numbers = [n for n in numbers if n in kept]
                if not numbers:
                    continue
                head = self.header.texts[c0] if c0 < len(self.header.texts) else ""
                column = f"{head} ({self.label(c0)})" if head else self.label(c0)
                issues.append(Issue("CELLS_MERGED_FILLED", schema.severity("CELLS_MERGED_FILLED"), file, sheet,
                                    column=head or self.label(c0),
                                    params={"column": column, "count": len(numbers), "rows": compact_rows(numbers)}))
