"""Read reviewers' decisions from a filled-in review.xlsx."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import python_calamine as calamine

from slrt_cli.errors import InputError
from slrt_cli.i18n import LANGUAGES, t
from slrt_cli.io.cells import number_text
from slrt_cli.schemas import header_key

REQUIRED = ("source_file", "source_sheet", "source_row", "person_id", "keputusan")


def _titles() -> dict[str, str]:
    """header_key of each title review.xlsx gives a required column (both languages, and the
    column names of older review.xlsx files) -> the column."""
    out = {header_key(c): c for c in REQUIRED}
    for lang in LANGUAGES:
        out.update({header_key(t(f"review_col_{c}", lang=lang)): c for c in REQUIRED})
    return out


def _decision(value: str) -> str:
    """``sama``/``beda``, also when written in English (same/different); other values as written."""
    low = value.lower()
    for lang in LANGUAGES:
        if low == t("review_decision_same", lang=lang).lower():
            return "sama"
        if low == t("review_decision_different", lang=lang).lower():
            return "beda"
    return low


def read_decisions(path: Path) -> pl.DataFrame:
    """Rows of review.xlsx whose decision (``keputusan``) is filled in.

    The columns are found by their titles in either language (Keputusan/Decision, Berkas/File,
    ...) or by the column names of older files (``source_file``, ...); ``same``/``different``
    are read as ``sama``/``beda``.

    Returns a frame with ``source_file``, ``source_sheet``, ``source_row``,
    ``person_id``, ``keputusan`` (``sama``/``beda``; anything else lower-cased, as written) and ``review_row``
    (the row of review.xlsx, for messages).

    Raises:
        InputError: the file cannot be read or lacks the columns above.
    """
    try:
        book = calamine.CalamineWorkbook.from_path(str(path))
        grid = book.get_sheet_by_index(0).to_python()
    except Exception as exc:  # corrupt, not a workbook
        raise InputError("error_decisions_unreadable", file=Path(path).name, detail=type(exc).__name__) from None
    titles = _titles()
    named = [[titles.get(header_key(c), "") for c in row] for row in grid[:20]]
    header_at = next((i for i, row in enumerate(named) if "keputusan" in row), None)
    if header_at is None:
        raise InputError("error_decisions_unreadable", file=Path(path).name, detail="kolom keputusan")
    header = named[header_at]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise InputError("error_decisions_unreadable", file=Path(path).name, detail=", ".join(missing))
    idx = {c: header.index(c) for c in REQUIRED}
    out = []
    for i, row in enumerate(grid[header_at + 1:], start=header_at + 2):
        value = _text(row[idx["keputusan"]]) if idx["keputusan"] < len(row) else ""
        if not value:
            continue
        rec = {c: _text(row[idx[c]]) if idx[c] < len(row) else "" for c in REQUIRED}
        rec["keputusan"] = _decision(value)
        rec["review_row"] = i
        out.append(rec)
    frame = pl.DataFrame(out, schema={**{c: pl.Utf8 for c in REQUIRED}, "review_row": pl.Int64})
    return frame.with_columns(pl.col("source_row").cast(pl.Int64, strict=False))


def _text(v: object) -> str:
    if isinstance(v, float):
        return number_text(v)
    return "" if v is None else str(v).strip()
