"""Bounds on a sheet's data rows: width past the last recognised column, and vertically merged
cells filled down (what a person sees is what is read)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING

from slrt_cli.io.cells import compact_rows, is_blank_values
from slrt_cli.model import Issue
from slrt_cli.schemas import Schema

if TYPE_CHECKING:
    from slrt_cli.io.layout import Grid, GridResult, _Header


#: Columns read to the right of the last recognised column; the rest of a wider sheet is
#: reported once (COLUMNS_BEYOND_LIMIT) and not carried, so that a sheet's cost stays
#: linear in its size and its outputs bounded (a 16,384-column sheet, a 50,000-field line).
COLUMNS_PAST_LAST_FIELD = 500


def _blank_value(v: object) -> bool:
    return v is None or (type(v) is str and (not v or v.isspace()))


class DataGuard:
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
