"""Scalar normalisation rules: one cell value in, one normalised value out.

Pure functions, no I/O, no issues. :mod:`slrt_cli.normalise` applies them to the
unique values of a column; for identifiers and dates it first handles the common
shapes as polars expressions (using :data:`ISO_DATE_PATTERN` and
:data:`DMY_DATE_PATTERN` from here, so both paths agree).
"""

from __future__ import annotations

import math
import re
import unicodedata
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from slrt_cli.schemas import CodeList

# ---------------------------------------------------------------- identifiers

_APOSTROPHES = "'`\u2018\u2019"
_SCIENTIFIC = re.compile(r"^\+?([0-9]+(?:[.,][0-9]*)?)[eE]\+?([0-9]{1,3})$")
_FLOAT_ZERO = re.compile(r"^([0-9]+)\.0$")
_SEPARATED = re.compile(r"^[0-9]+(?:[.\-]+[0-9]+)+$")
_THOUSANDS = re.compile(r"^[0-9]{1,3}(?:,[0-9]{3}){2,}$")
_DIGITS = re.compile(r"^[0-9]+$")
_ANY_SPACE = re.compile(r"\s+")


def clean_id(text: str | None, kind: str | None = None) -> tuple[str | None, bool]:
    """Clean an identifier (NIK, No KK, IDBDT...) kept as text.

    Removes surrounding spaces, a leading apostrophe, inner spaces, ``.``/``-``
    separators and a float's trailing ``.0``. Scientific notation is expanded
    exactly (never repaired: the lost digits stay zeros) and flagged numeric.
    Text that does not clean to digits is returned trimmed, as is.

    Args:
        text: the cell text, or None.
        kind: the cell kind from the reader ("n" for a number cell).

    Returns:
        ``(cleaned, numeric)``; numeric is True when the cell was a number or
        the text shows a number's traces (``E+15``, ``.0``, thousands commas).

    Example:
        >>> clean_id("'3201.0145.0890.0001", "s")
        ('3201014508900001', False)
        >>> clean_id("3.20414E+15", "s")
        ('3204140000000000', True)
    """
    if text is None:
        return None, False
    s = str(text)
    if not s.isascii():
        s = unicodedata.normalize("NFKC", s)
    s = s.strip().lstrip(_APOSTROPHES).strip()
    if not s:
        return None, False
    numeric = kind == "n"
    compact = _ANY_SPACE.sub("", s)
    if _DIGITS.match(compact):
        return compact, numeric
    m = _FLOAT_ZERO.match(compact)
    if m:
        return m.group(1), True
    m = _SCIENTIFIC.match(compact)
    if m:
        try:
            value = Decimal(m.group(1).replace(",", ".")) * (Decimal(10) ** int(m.group(2)))
        except InvalidOperation:  # pragma: no cover - the pattern only lets numbers through
            return s, numeric
        if value == value.to_integral_value():
            return str(int(value)), True
        return format(value.normalize(), "f"), True
    if _THOUSANDS.match(compact):
        return compact.replace(",", ""), True
    if _SEPARATED.match(compact):
        return re.sub(r"[.\-]", "", compact), numeric
    return s, numeric


# ---------------------------------------------------------------- dates

_MONTHS: dict[str, int] = {}
for _num, _names in enumerate(
    [
        "JANUARI JANUARY JAN DJANUARI",
        "FEBRUARI FEBRUARY FEB PEBRUARI PEB FEBUARI",
        "MARET MARCH MAR MRT",
        "APRIL APR",
        "MEI MAY",
        "JUNI JUNE JUN DJUNI",
        "JULI JULY JUL DJULI",
        "AGUSTUS AUGUST AGU AGS AGT AGUST AUG AGUSTUSTUS",
        "SEPTEMBER SEP SEPT",
        "OKTOBER OCTOBER OKT OCT",
        "NOVEMBER NOPEMBER NOV NOP",
        "DESEMBER DECEMBER DES DEC",
    ],
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _num

#: polars-compatible patterns of the two fast paths in :func:`slrt_cli.normalise.normalise_sheet`.
ISO_DATE_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[T ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?$"
DMY_DATE_PATTERN = r"^[0-9]{2}[-/.][0-9]{2}[-/.][0-9]{4}$"

_TIME_SUFFIX = re.compile(
    r"[ T][0-9]{1,2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?\s*(?:AM|PM|Z|[+-][0-9]{2}:?[0-9]{2})?$", re.IGNORECASE
)
_ISO = re.compile(r"^([0-9]{4})[-/.]([0-9]{1,2})[-/.]([0-9]{1,2})$")
_DMY = re.compile(r"^([0-9]{1,2})[-/. ]([0-9]{1,2})[-/. ]([0-9]{4}|[0-9]{2})$")
_D_MON_Y = re.compile(r"^([0-9]{1,2})[\s\-/.,]*([A-Z]+)\.?[\s\-/.,]*([0-9]{4}|[0-9]{2})$")
_MON_D_Y = re.compile(r"^([A-Z]+)\.?\s*([0-9]{1,2})(?:ST|ND|RD|TH)?,?\s*([0-9]{4})$")
_SERIAL_TEXT = re.compile(r"^[0-9]{1,5}(?:\.0+)?$")
_COMPACT = re.compile(r"^[0-9]{8}$")

_EPOCH_1900 = date(1899, 12, 31)  # serial 1 = 1900-01-01
_EPOCH_1900_AFTER_PHANTOM = date(1899, 12, 30)  # serials after the phantom 1900-02-29
_EPOCH_1904 = date(1904, 1, 1)
_MAX_SERIAL_1900 = 2958465  # 9999-12-31
_MAX_SERIAL_1904 = _MAX_SERIAL_1900 - 1462


def excel_serial_to_date(serial: float, date1904: bool = False) -> date | None:
    """Convert an Excel serial day number to a date (a time fraction is dropped).

    The 1900 system counts the phantom 29 February 1900 (serial 60, returned as
    None); serial 0 ("1900-01-00") and negative serials are None too.

    Example:
        >>> excel_serial_to_date(61)
        datetime.date(1900, 3, 1)
        >>> excel_serial_to_date(0, date1904=True)
        datetime.date(1904, 1, 1)
    """
    if serial is None or not math.isfinite(serial):
        return None
    n = math.floor(serial)
    if date1904:
        return _EPOCH_1904 + timedelta(days=n) if 0 <= n <= _MAX_SERIAL_1904 else None
    if n < 1 or n == 60 or n > _MAX_SERIAL_1900:
        return None
    return _EPOCH_1900 + timedelta(days=n) if n < 60 else _EPOCH_1900_AFTER_PHANTOM + timedelta(days=n)


def date_to_excel_serial(value: date, date1904: bool = False) -> int:
    """Inverse of :func:`excel_serial_to_date` (the Excel serial of a date).

    Example:
        >>> date_to_excel_serial(date(1900, 3, 1))
        61
    """
    if date1904:
        return (value - _EPOCH_1904).days
    days = (value - _EPOCH_1900).days
    return days if days < 60 else days + 1


def _make(y: int, m: int, d: int) -> date | None:
    try:
        return date(y, m, d)
    except ValueError:
        return None


def _full_year(y: str, today: date | None) -> int:
    if len(y) == 4:
        return int(y)
    now = today or date.today()
    century = now.year // 100 * 100
    yy = int(y)
    return century + yy if yy <= now.year % 100 else century - 100 + yy


def _compact(digits: str) -> date | None:
    """YYYYMMDD or DDMMYYYY, when exactly one reading is a date in 1800-2199."""
    ymd = _make(int(digits[:4]), int(digits[4:6]), int(digits[6:]))
    dmy = _make(int(digits[4:]), int(digits[2:4]), int(digits[:2]))
    hits = [d for d in (ymd, dmy) if d is not None and 1800 <= d.year < 2200]
    return hits[0] if len(hits) == 1 else None


def _looks_like_year(n: float) -> bool:
    return n == int(n) and 1800 <= n <= 2100


def _parse_number(s: str, kind: str | None, date1904: bool) -> date | None | str:
    try:
        n = float(s)
    except ValueError:
        return None
    if not math.isfinite(n):
        return None
    if kind == "n" and n == int(n) and 1_000_000 <= n < 100_000_000:
        return _compact(f"{int(n):08d}")  # 05081990 typed into a number cell
    if _looks_like_year(n):
        return None  # a year alone is not a date
    if n == 0 and not date1904:
        return "1900-01-00"
    return excel_serial_to_date(n, date1904)


def _parse_text(s: str, today: date | None) -> date | None:
    s = _TIME_SUFFIX.sub("", s).strip()
    m = _ISO.match(s)
    if m:
        return _make(int(m[1]), int(m[2]), int(m[3]))
    m = _DMY.match(s)
    if m:
        a, b, y = int(m[1]), int(m[2]), _full_year(m[3], today)
        if b > 12 and a <= 12:  # 05/13/1990 can only be month-first
            a, b = b, a
        return _make(y, b, a)
    up = s.upper()
    m = _D_MON_Y.match(up)
    if m and m[2] in _MONTHS:
        return _make(_full_year(m[3], today), _MONTHS[m[2]], int(m[1]))
    m = _MON_D_Y.match(up)
    if m and m[1] in _MONTHS:
        return _make(int(m[3]), _MONTHS[m[1]], int(m[2]))
    if _COMPACT.match(s):
        return _compact(s)
    return None


def parse_date(
    text: str | None,
    kind: str | None = None,
    placeholders: frozenset[str] = frozenset(),
    *,
    date1904: bool = False,
    today: date | None = None,
) -> tuple[date | None, str]:
    """Parse a date cell in any of the formats seen in village files.

    Day-first (``05/08/1990`` is 5 August) unless the second number exceeds 12.
    Two-digit years above the current two-digit year are 19xx. Excel serials
    (number cells, or 1-5 digit text) use the 1900 system unless ``date1904``.
    A 4-digit number 1800-2100 is a year alone and invalid.

    Args:
        text: the cell text, or None.
        kind: the reader's cell kind ("n" number, "d" date, "s" text...).
        placeholders: ISO dates meaning "not filled in" (``1900-01-01``...).
        date1904: the workbook uses the 1904 date system.
        today: reference day for two-digit years (default: today).

    Returns:
        ``(date, status)``, status one of ``ok``, ``empty``, ``invalid``, ``placeholder``.

    Example:
        >>> parse_date("17 Agustus 1990", "s", frozenset())
        (datetime.date(1990, 8, 17), 'ok')
        >>> parse_date("31-02-1990", "s", frozenset())
        (None, 'invalid')
    """
    if text is None:
        return None, "empty"
    s = str(text).strip()
    if not s:
        return None, "empty"
    if kind in ("b", "e"):
        return None, "invalid"
    if s[:10] in placeholders and _ISO.match(s[:10]):
        return None, "placeholder"
    if kind == "n" or _SERIAL_TEXT.match(s):
        result = _parse_number(s, kind, date1904)
    else:
        result = _parse_text(s, today)
    if isinstance(result, str):  # serial 0
        return None, "placeholder" if result in placeholders else "invalid"
    if result is None:
        return None, "invalid"
    if result.isoformat() in placeholders:
        return None, "placeholder"
    return result, "ok"


# ---------------------------------------------------------------- names

_NULL_NAMES = frozenset({"", "-", ".", "0"})
_ALM = r"(?:ALMARHUMAH|ALMARHUM|ALMH|ALM)"
#: Deceased marker before / after a normalised (upper-case) name.
ALM_PREFIX_PATTERN = rf"^{_ALM}(?:\.\s*|\s+)"
ALM_SUFFIX_PATTERN = rf"(?:\s*\(\s*{_ALM}\.?\s*\)|(?:\s*,\s*|\s+){_ALM}\.?)$"
_ALM_PREFIX = re.compile(ALM_PREFIX_PATTERN)
_ALM_SUFFIX = re.compile(ALM_SUFFIX_PATTERN)


def _squash(s: str) -> str:
    return " ".join(s.split())


def normalise_name(text: str | None) -> str | None:
    """Normalise a person name: NFKC, trimmed, inner spaces collapsed, upper case.

    ``-``, ``.`` and ``0`` alone (used for "unknown") become None. Idempotent.

    Example:
        >>> normalise_name("  budi   santoso ")
        'BUDI SANTOSO'
        >>> normalise_name("-") is None
        True
    """
    if text is None:
        return None
    s = str(text)
    if s.isascii():
        s = _squash(s).upper()
    else:
        for _ in range(4):  # upper() and NFKC can feed each other; stop at a fixpoint
            nxt = _squash(unicodedata.normalize("NFKC", s).upper())
            if nxt == s:
                break
            s = nxt
    return None if s in _NULL_NAMES else s


def strip_deceased_marker(name: str | None) -> tuple[str | None, bool]:
    """Remove an ``ALM``/``ALMH``/``ALMARHUM(AH)`` marker from a normalised name.

    Returns:
        ``(name, deceased)``; the name unchanged and False when no marker is found
        (or when nothing but the marker would remain).

    Example:
        >>> strip_deceased_marker("BUDI (ALM)")
        ('BUDI', True)
        >>> strip_deceased_marker("ALMH. SITI AMINAH")
        ('SITI AMINAH', True)
    """
    if name is None or "ALM" not in name:
        return name, False
    s = _ALM_SUFFIX.sub("", _ALM_PREFIX.sub("", name))
    if s == name:
        return name, False
    s = s.strip(" ,")
    return (s, True) if s else (name, False)


# ---------------------------------------------------------------- RT / RW

_RTRW = re.compile(r"^(?:RT|RW)?[\s.:]*([0-9]+)(?:\.0+)?\s*/?$")
#: Patterns for RT/RW inside an upper-cased address (compiled with ``re.ASCII``).
RTRW_PAIR_PATTERN = r"\bRT\s*[./]?\s*RW\.?\s*:?\s*([0-9]{1,4})\s*[/\-]\s*([0-9]{1,4})"
RT_PATTERN = r"\bRT\.?\s*:?\s*([0-9]{1,4})(?:\s*[/,\-]?\s*RW\.?\s*:?\s*([0-9]{1,4})|\s*/\s*([0-9]{1,4}))?"
RW_PATTERN = r"\bRW\.?\s*:?\s*([0-9]{1,4})"
_RTRW_PAIR = re.compile(RTRW_PAIR_PATTERN, re.ASCII)
_RT = re.compile(RT_PATTERN, re.ASCII)
_RW = re.compile(RW_PATTERN, re.ASCII)


def normalise_rtrw(text: str | None) -> str | None:
    """Write an RT or RW number as three digits.

    Returns None for empty, zero, or non-numeric values (validation compares the
    raw value with this result to find invalid ones).

    Example:
        >>> normalise_rtrw("RT.01"), normalise_rtrw("2.0"), normalise_rtrw("000")
        ('001', '002', None)
    """
    if text is None:
        return None
    m = _RTRW.match(_squash(str(text)).upper())
    if not m:
        return None
    n = int(m.group(1))
    return f"{n:03d}" if 0 < n <= 999 else None


def extract_rt_rw(address: str | None) -> tuple[str | None, str | None]:
    """Find RT and RW numbers inside an address, as three digits.

    Example:
        >>> extract_rt_rw("KP CIBODAS RT.02/RW.01")
        ('002', '001')
        >>> extract_rt_rw("JL MAWAR RT 2/1")
        ('002', '001')
    """
    if not address:
        return None, None
    up = str(address).upper()
    m = _RTRW_PAIR.search(up)
    if m:
        return normalise_rtrw(m[1]), normalise_rtrw(m[2])
    rt = rw = None
    m = _RT.search(up)
    if m:
        rt, rw = m[1], m[2] or m[3]
    if rw is None:
        m = _RW.search(up)
        rw = m[1] if m else None
    return normalise_rtrw(rt), normalise_rtrw(rw)


# ---------------------------------------------------------------- region codes

LEVEL_DIGITS = {"prov": 2, "kab": 4, "kec": 6, "desa": 10}
_PART_WIDTHS = (2, 2, 2, 4)
_DOTTED = re.compile(r"^[0-9]{1,4}(?:[.\s][0-9]{1,4}){1,3}$")


def region_digits(text: str | None) -> str | None:
    """Plain digits of a region code or component (``32.1`` -> ``3201``), None if not digits.

    Dotted parts are zero-padded to Kemendagri widths (2.2.2.4); a float's
    ``.0`` is dropped. The result may be a full code or a component.

    Example:
        >>> region_digits("32.01.01.2001")
        '3201012001'
    """
    if text is None:
        return None
    s = str(text).strip()
    m = _FLOAT_ZERO.match(s)
    if m:
        return m.group(1)
    if _DIGITS.match(s):
        return s
    if _DOTTED.match(s):
        parts = re.split(r"[.\s]", s)
        if all(len(p) <= w for p, w in zip(parts, _PART_WIDTHS, strict=False)):
            return "".join(p.zfill(w) for p, w in zip(parts, _PART_WIDTHS, strict=False))
    return None


def normalise_region_code(text: str | None, level: str) -> str | None:
    """A full Kemendagri code (dotted or plain) as plain digits of the level's length.

    Components (``01`` for a kabupaten) give None here; the frame step assembles them.

    Example:
        >>> normalise_region_code("32.01.01", "kec")
        '320101'
        >>> normalise_region_code("01", "kab") is None
        True
    """
    digits = region_digits(text)
    return digits if digits is not None and len(digits) == LEVEL_DIGITS[level] else None


# ---------------------------------------------------------------- numbers and flags

_INT = re.compile(r"^[+]?([0-9]+)(?:\.0+)?$")


def parse_int(text: str | None) -> int | None:
    """A whole number from a cell (``3``, ``3.0``, `` 03 ``), else None.

    Example:
        >>> parse_int(" 03 "), parse_int("3.0"), parse_int("3.5")
        (3, 3, None)
    """
    if text is None:
        return None
    m = _INT.match(str(text).strip())
    return int(m.group(1)) if m else None


def parse_flag(text: str | None, codelist: CodeList) -> bool | None:
    """Yes/no through the ``flag`` code list (code "1" True, "2" False), else None.

    Example:
        >>> from slrt_cli.schemas import load_schema
        >>> parse_flag("Ya", load_schema().codelists["flag"])
        True
    """
    code = codelist.lookup(text)
    return True if code == "1" else False if code == "2" else None
