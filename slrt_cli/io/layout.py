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


def _single_header(texts: list, schema: Schema) -> tuple[list[str], dict[int, tuple[str, str | None]]]:
    headers = [_clean(t) for t in texts]
    mapping = {}
    for c, h in enumerate(headers):
        m = schema.match_header(h) if h else None
        if m:
            mapping[c] = m
    return headers, mapping


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
    headers, mapping = [], {}
    for c in range(width):
        u, lo = filled[c], low[c]
        joined = f"{u} {lo}" if u and lo and u != lo else (u or lo)
        headers.append(joined)
        for candidate in (lo, joined, u):
            m = schema.match_header(candidate) if candidate else None
            if m:
                mapping[c] = m
                break
    return headers, mapping


def _find_header(buffer: list[Row], schema: Schema, merges: list[Merge] | None, scan: int) -> _Header | None:
    """The row mapping most distinct fields (>= 2, one an identity field), maybe with its neighbour."""
    identity = set(schema.identity_fields)
    best: _Header | None = None
    nonblank = [i for i, r in enumerate(buffer) if not _is_blank(r[1])][:scan]
    for i in nonblank:
        headers, mapping = _single_header(buffer[i][1], schema)
        found = {m[0] for m in mapping.values()}
        if len(found) >= 2 and found & identity and (best is None or len(found) > len(best.fields)):
            best = _Header((buffer[i][0],), headers, mapping, i)
    if best is None:
        return None
    h = best.last_index
    options = []
    if h + 1 < len(buffer) and buffer[h + 1][0] == buffer[h][0] + 1:
        options.append((h, h + 1, h + 1))
    if h > 0 and buffer[h - 1][0] == buffer[h][0] - 1:
        options.append((h - 1, h, h - 1))
    for up_i, low_i, other in options:
        if _is_blank(buffer[other][1]) or not _headerish(buffer[other][1], buffer[other][2]):
            continue
        if not _has_subtitles(buffer[up_i][1], buffer[low_i][1]):
            continue
        headers, mapping = _combine(buffer[up_i], buffer[low_i], merges, schema)
        found = {m[0] for m in mapping.values()}
        if len(found) > len(best.fields) and found & identity:
            best = _Header((buffer[up_i][0], buffer[low_i][0]), headers, mapping, low_i)
    return best


def _has_subtitles(upper: list, lower: list) -> bool:
    """A real lower header row has a title under a blank (merged) upper cell;
    a data row under a complete header has none."""
    return any(lo is not None and (c >= len(upper) or upper[c] is None) for c, lo in enumerate(lower))


def is_numbering_row(texts: list) -> bool:
    """True for a row of column numbers ``1, 2, 3, …`` (also ``(1)``), at least two of them."""
    values = [t for t in texts if t is not None]
    if len(values) < 2:
        return False
    for expected, text in enumerate(values, start=1):
        text = text.strip().strip("()").strip()
        if text != str(expected) and text != f"{expected}.":
            return False
    return True


def _is_person_value(text: str, kind: str | None) -> bool:
    return kind != "s" or not _NOTE_TEXT.search(text)


def read_grid(grid: Grid, schema: Schema, *, file: str, path: Path, sheet: str,
              max_rows: int, scan_rows: int = 30) -> GridResult:
    """Find header and data rows of one sheet and build its :class:`SheetTable`.

    Returns a result without a table (and a SHEET_EMPTY or SHEET_NO_HEADER
    issue) for a sheet without data, and ``too_many_rows`` (no table) when the
    sheet has more than ``max_rows`` data rows.
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
    header = _find_header(buffer, schema, grid.merges, scan_rows)
    if header is None:
        return GridResult(None, [Issue("SHEET_NO_HEADER", schema.severity("SHEET_NO_HEADER"), file, sheet)])
    rows = chain(raw[header.last_index + 1 :], grid.rows)
    return _read_data(rows, grid.label, header, schema, file=file, path=path, sheet=sheet, max_rows=max_rows)


def _read_data(rows: Iterator[tuple[int, list]], label: Callable[[int], str], header: _Header, schema: Schema,
               *, file: str, path: Path, sheet: str, max_rows: int) -> GridResult:
    raw_rows: list[list] = []
    source_rows: list[int] = []
    blank: list[int] = []
    numbering: list[int] = []
    first = True
    for number, values in rows:
        v = values[0] if values else ""
        if type(v) is str and (not v or v.isspace()) and is_blank_values(values):
            blank.append(number)
            continue
        if first:
            first = False
            if is_numbering_row(convert_row(values)[0]):
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
    identity = set(schema.identity_fields)
    id_cols = [c for c, m in header.mapping.items() if m[0] in identity]
    keep = _last_person_row(text_cols, kind_cols, id_cols, len(source_rows)) + 1
    notes = source_rows[keep:]
    if notes:
        source_rows = source_rows[:keep]
        text_cols = [col[:keep] for col in text_cols]
        kind_cols = [col[:keep] for col in kind_cols]
    issues = _skip_issues(schema, file, sheet, blank, notes, numbering)
    columns, col_issues, data = _build_columns(header, text_cols, kind_cols, source_rows, label, schema,
                                               file=file, sheet=sheet)
    issues += col_issues
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


def _last_person_row(text_cols: list[list], kind_cols: list[list], id_cols: list[int], n: int) -> int:
    """Index of the last row with a person's value in an identity column, or -1.

    A totals row (its first filled cell starts with JUMLAH/TOTAL) is never a person's row.
    """
    for i in range(n - 1, -1, -1):
        first = next((col[i] for col in text_cols if col[i] is not None), "")
        if _TOTAL_TEXT.match(first):
            continue
        for c in id_cols:
            text = text_cols[c][i]
            if text is not None and _is_person_value(text, kind_cols[c][i]):
                return i
    return -1


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
            col = SourceColumn(c, letter, head, None, _unique_key("x:" + (head or f"kolom_{letter}"), used))
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


def _unique_key(key: str, used: set[str]) -> str:
    if key not in used:
        return key
    n = 2
    while f"{key}#{n}" in used:
        n += 1
    return f"{key}#{n}"
