"""The month a batch reports: ``--period``, else the month its files name, else the run month.

Villages name the month in their files' names and sheet names (``BULAN OKTOBER 2025``,
``okt2025``, ``VERIVALI_OKTOBER_2025``). :func:`period_from_names` finds a month with a year in
such names (Bahasa and English month names and their usual abbreviations); :func:`choose_period`
takes ``--period`` when given, else that month when every file that names one agrees, else the
run month (and says why, so that the run can record a warning).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

_MONTHS = {
    1: ("januari", "january", "jan"),
    2: ("februari", "pebruari", "february", "feb", "peb"),
    3: ("maret", "march", "mar"),
    4: ("april", "apr"),
    5: ("mei", "may"),
    6: ("juni", "june", "jun"),
    7: ("juli", "july", "jul"),
    8: ("agustus", "august", "agu", "agt", "ags", "aug"),
    9: ("september", "sept", "sep"),
    10: ("oktober", "october", "okt", "oct"),
    11: ("november", "nopember", "nov", "nop"),
    12: ("desember", "december", "des", "dec"),
}
_WORD = {w: m for m, words in _MONTHS.items() for w in words}
_NAMES = "|".join(sorted(_WORD, key=len, reverse=True))
# a month name, then (after spaces, _ - . or nothing) a four-digit year 2000-2099, not inside a longer word
_PATTERN = re.compile(rf"(?<![a-z])({_NAMES})[\s_\-.]*'?(20\d\d)(?!\d)")


def period_from_names(*names: str) -> str | None:
    """The month ("YYYY-MM") named with a year in ``names``, or None (none, or several months).

    Example:
        >>> period_from_names("CIBINONG/VERIVALI_PONDOK_RAJEG_OKTOBER_2025.xlsx")
        '2025-10'
        >>> period_from_names("PUSPASARI_okt2025.csv", "Sheet1")
        '2025-10'
        >>> period_from_names("DATA BULAN OKTOBER.csv") is None
        True
    """
    found = set()
    for name in names:
        for word, year in _PATTERN.findall((name or "").lower()):
            found.add(f"{year}-{_WORD[word]:02d}")
    return found.pop() if len(found) == 1 else None


def choose_period(given: str, names: Iterable[tuple[str, ...]], today: dt.date) -> tuple[str, str | None, dict]:
    """The batch's period and how it was chosen.

    Args:
        given: ``--period`` ("" when not given): always wins.
        names: per file, the texts that may name its month (file name, sheet names, titles).
        today: the run date, whose month is the fallback.

    Returns:
        ``(period, why, params)``: ``why`` is None when the period was given or every file
        naming a month agrees; else ``"PERIOD_UNKNOWN"`` (no file names one) or
        ``"PERIOD_DISAGREE"`` (files name different months, listed in ``params``), and the
        period is the run month.
    """
    if given:
        return given, None, {}
    months = sorted({p for texts in names if (p := period_from_names(*texts))})
    run_month = f"{today.year:04d}-{today.month:02d}"
    if len(months) == 1:
        return months[0], None, {}
    if not months:
        return run_month, "PERIOD_UNKNOWN", {"period": run_month}
    return run_month, "PERIOD_DISAGREE", {"period": run_month, "periods": ", ".join(months)}
