"""Plain data types passed between the steps (no behaviour beyond conversions)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

if TYPE_CHECKING:
    import pandas as pd

# Row status values written to rows.parquet
ACCEPTED = "accepted"
FLAGGED = "flagged"
REJECTED = "rejected"

# Severities
ERROR = "error"
WARNING = "warning"
INFO = "info"

#: Polars schema of the issues table.
ISSUE_SCHEMA = {
    "code": pl.Utf8,
    "severity": pl.Utf8,
    "file": pl.Utf8,
    "sheet": pl.Utf8,
    "row": pl.Int64,
    "column": pl.Utf8,
    "value": pl.Utf8,
    "params": pl.Utf8,  # JSON object of message parameters (already masked)
}


@dataclass(frozen=True)
class Issue:
    """One problem found in the input.

    ``row`` is the row number as the user sees it in Excel or a text editor
    (1-based, title and header rows counted), or None for file/sheet issues.
    ``column`` is the column title as it appears in the file (or the canonical
    field name when the column is missing). ``value`` is already masked.
    """

    code: str
    severity: str
    file: str
    sheet: str = ""
    row: int | None = None
    column: str = ""
    value: str = ""
    params: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def issues_frame(issues: list[Issue]) -> pl.DataFrame:
    """Turn Issue objects into a frame with :data:`ISSUE_SCHEMA`."""
    import json

    return pl.DataFrame(
        {
            "code": [i.code for i in issues],
            "severity": [i.severity for i in issues],
            "file": [i.file for i in issues],
            "sheet": [i.sheet for i in issues],
            "row": [i.row for i in issues],
            "column": [i.column for i in issues],
            "value": [i.value for i in issues],
            "params": [json.dumps(i.params, ensure_ascii=False, sort_keys=True, separators=(",", ":")) for i in issues],
        },
        schema=ISSUE_SCHEMA,
    )


@dataclass
class SourceColumn:
    """A column of an input sheet.

    Attributes:
        index: 0-based column position in the sheet.
        letter: the column as the user names it: Excel letter ("A", "AB") for
            spreadsheets, 1-based position ("3") for text files.
        header: the column title as the user sees it; for a two-row header the
            two titles joined by a space ("ALAMAT RT").
        field: the canonical field it maps to, or None (an extra column).
        key: the name of the column in :attr:`SheetTable.data` (the field for
            the first column mapped to a field, else ``"x:" + header``,
            de-duplicated with ``#2``, ``#3``).
        codelist: code list named by the alias that matched (e.g. SHDK codes), or None.
        how: how the field was recognised (``alias``, ``words``, ``content``, ``combined``).
        confidence: how sure the recognition is (1.0 for an exact alias).
    """

    index: int
    letter: str
    header: str
    field: str | None
    key: str
    codelist: str | None = None
    how: str = ""  # how the field was recognised: alias, words, content, combined ("" for extras)
    confidence: float = 0.0


@dataclass
class SheetTable:
    """The data rows of one sheet (or one text file), as read, before normalisation.

    ``data`` has an Int64 column ``source_row`` (row number as the user sees it),
    then for each column of ``columns``: ``key`` (Utf8, the cell as text, None
    when empty) and ``key + "#k"`` (Utf8 cell kind: "s" text, "n" number,
    "d" date or datetime, "b" boolean, "e" error cell; None when empty).
    Number cells are written without a trailing ".0" when integral and never in
    scientific notation; date cells as ISO "YYYY-MM-DD" (with "THH:MM:SS" if
    they carry a time).
    """

    file: str
    path: Path
    sheet: str
    header_rows: tuple[int, ...]
    columns: list[SourceColumn]
    data: pl.DataFrame
    issues: list[Issue] = field(default_factory=list)
    rows_skipped: int = 0
    #: the text of the title rows above the header ("DATA VERIVALI DESA X BULAN OKTOBER 2025")
    titles: tuple[str, ...] = ()


@dataclass
class FileResult:
    """What reading one input file produced."""

    file: str
    path: Path
    sha256: str
    size: int
    format: str
    sheets: list[SheetTable] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    readable: bool = True


@dataclass
class ValidationReport:
    """Result of :func:`slrt_cli.validate`: every row read, every issue, per-file facts.

    ``table`` and ``issue_table`` are polars frames (the core's engine);
    :attr:`rows` and :attr:`issues` hand the same data to analysts as pandas.
    """

    files: list[FileResult]
    table: pl.DataFrame
    issue_table: pl.DataFrame
    schema_version: str
    inputs: list[str] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)

    @property
    def rows(self) -> pd.DataFrame:
        return self.table.to_pandas()

    @property
    def issues(self) -> pd.DataFrame:
        return self.issue_table.to_pandas()

    def status_counts(self) -> dict[str, int]:
        counts = dict.fromkeys((ACCEPTED, FLAGGED, REJECTED), 0)
        if self.table.height:
            for status, n in self.table.group_by("status").len().iter_rows():
                counts[status] = n
        return counts

    @property
    def readable_files(self) -> int:
        return sum(1 for f in self.files if f.readable)

    @property
    def has_errors(self) -> bool:
        return bool(self.issue_table.height) and (self.issue_table["severity"] == ERROR).any()
