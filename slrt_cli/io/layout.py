"""Find the header and the data rows on a grid of cells (same code for every format).

A sheet arrives as a :class:`Grid`: rows ``(row_number, values)`` with the row number the user
sees (1-based) and the raw cell values (calamine values or CSV fields), turned into text by
:mod:`slrt_cli.io.cells`. :func:`read_grid` finds the header (title rows above it, optionally a
second header row; by content when no title is recognised), skips numbering and hint rows, blank
rows, an end marker and the notes block below the data, has the columns recognised
(:mod:`slrt_cli.io.recognise`) and returns a :class:`~slrt_cli.model.SheetTable`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import polars as pl

from slrt_cli.io.cells import compact_rows, convert_column, convert_row, is_blank_values
from slrt_cli.io.guard import COLUMNS_PAST_LAST_FIELD, DataGuard
from slrt_cli.io.recognise import note_how, recognise_by_content, repeated_keys_disagree, split_combined
from slrt_cli.io.titles import TitleMatch, TitleRecogniser, is_own_title
from slrt_cli.model import Issue, SheetTable, SourceColumn
from slrt_cli.schemas import Schema

Row = tuple[int, list, list]  # (row number as seen, texts, kinds)
#: merged ranges: (first row, last row) as row numbers, (first col, last col) 0-based grid columns
Merge = tuple[int, int, int, int]


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


_NUMBER_LIKE = re.compile(r"^\s*[\d.,/\-]+\s*$")


def _header_by_content(buffer: list[Row], scan: int) -> _Header | None:
    """A header no title names (questionnaire item numbers ``401 402 …``): above the first row
    holding a 16-digit identifier, the nearest row of item numbers; else the nearest row without
    a number in it (data rows above the first NIK — a person without one — hold a No, an RT, a
    date); else the row just above. Its columns are then recognised by content only, and the
    sheet is kept only when content finds an identity field (see :func:`_read_data`)."""
    nonblank = [i for i, r in enumerate(buffer) if not _is_blank(r[1])][:scan]
    first = next((k for k, i in enumerate(nonblank) if _holds_identifier(buffer[i][1])), None)
    if not first:
        return None
    above = [i for i in reversed(nonblank[max(0, first - 6):first])
             if sum(t is not None for t in buffer[i][1]) >= 2 and not _holds_identifier(buffer[i][1])]
    if not above:
        return None
    pick = (next((i for i in above if is_numbering_row(buffer[i][1])), None)
            or next((i for i in above if not any(t is not None and _NUMBER_LIKE.match(t) for t in buffer[i][1])), None)
            or above[0])
    return _Header((buffer[pick][0],), [_clean(t) for t in buffer[pick][1]], {}, pick, {}, by_content=True)


def _find_header(buffer: list[Row], schema: Schema, merges: list[Merge] | None, scan: int) -> _Header | None:
    """The row mapping most distinct fields (>= 2, one an identity field), maybe with its neighbour."""
    identity = set(schema.identity_fields)
    best: _Header | None = None
    nonblank = [i for i, r in enumerate(buffer) if not _is_blank(r[1])][:scan]
    fallback: _Header | None = None  # titles of several fields but none that identifies a person
    for i in nonblank:
        if best is not None and _holds_identifier(buffer[i][1]):
            break  # the data has begun under the header found
        headers, mapping, matches = _single_header(buffer[i][1], schema, buffer[i][2])
        found = _header_fields(mapping, schema)
        better = best is None or len(found) > len(_header_fields(best.mapping, schema))
        if len(found) >= 2 and found & identity and better:
            best = _Header((buffer[i][0],), headers, mapping, i, matches)
        elif len(found) >= 3 and not found & identity and (fallback is None or len(found) > len(fallback.fields)):
            fallback = _Header((buffer[i][0],), headers, mapping, i, matches, by_content=True)
    if best is None:
        return fallback  # the identity columns may be titled by item numbers: content must find them
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
        # taken when the two lines together name more fields ("Jenis" / "Kelamin" too, which has no
        # blank cell above it); a combined title counts once: "TEMPAT/TGL LAHIR" over TEMPAT | TANGGAL
        if len(found) > len(best.fields) and _header_fields(mapping, schema) & identity:
            best = _Header((buffer[up_i][0], buffer[low_i][0]), headers, mapping, low_i, matches)
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
    guard = DataGuard(header, grid, COLUMNS_PAST_LAST_FIELD if columns_past is None else columns_past)
    rows = guard.rows(chain(raw[header.last_index + 1 :], grid.rows))
    res = _read_data(rows, grid.label, header, schema, file=file, path=path, sheet=sheet, max_rows=max_rows)
    guard.report(res, schema, file=file, sheet=sheet)
    if res.table is not None:  # the sheet's own title (it may name the month: the batch's period)
        first = header.rows[0]
        res.table.titles = tuple(" ".join(str(t) for t in texts if t) for number, texts, *_ in buffer
                                 if number < first and any(texts))
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
    for c, title in enumerate(header.texts):
        if is_own_title(title):  # slrt's own column of a fix-file sent back (SLRT_STATUS): never data
            text_cols[c], kind_cols[c] = [None] * len(source_rows), [None] * len(source_rows)
            header.texts[c] = ""
    where = {"file": file, "sheet": sheet}
    issues = recognise_by_content(header, text_cols, kind_cols, schema, label, **where)
    if header.by_content and not (_header_fields(header.mapping, schema) & set(schema.identity_fields)
                                  and "nama" in header.fields):
        return GridResult(None, [Issue("SHEET_NO_HEADER", schema.severity("SHEET_NO_HEADER"), file, sheet)])
    label, split_issues, split_from = split_combined(header, text_cols, kind_cols, label, schema, **where)
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
    note_how(columns, header)
    issues += repeated_keys_disagree(columns, header, data, schema, file=file, sheet=sheet)
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
