"""Cell values as text: what every reader gives the layout step (same code for every format).

:func:`convert_row` / :func:`convert_column` turn calamine values or CSV fields into text (None
when empty) and a kind ("s" text, "n" number, "d" date, "b" boolean, "e" error); columns are
converted as a whole, which is several times faster than cell by cell.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from decimal import Decimal

#: Texts Excel shows for error cells (calamine returns them as empty; CSV keeps the text).
ERROR_LITERALS = frozenset(
    ["#N/A", "#VALUE!", "#REF!", "#DIV/0!", "#NUM!", "#NAME?", "#NULL!", "#GETTING_DATA", "#SPILL!", "#CALC!"]
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


def is_blank_values(values: list) -> bool:
    """True when a row of raw values has no cell with content (empty or whitespace only)."""
    if values.count("") == len(values):
        return True
    return all(type(v) is str and (not v or v.isspace()) for v in values)
