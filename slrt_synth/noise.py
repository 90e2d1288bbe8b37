"""Noise that villages add to register values: spelling, typing and Excel damage.

Each function takes a clean value and a seeded :class:`random.Random` and
returns the noisy value (or None when it does not apply to that value, so the
caller can try another kind). Tags name each kind in ``truth.noise``.
"""

from __future__ import annotations

import datetime as dt
import random
import re

# ---- names -------------------------------------------------------------------
_OLD = (("OE", "U"), ("DJ", "J"), ("TJ", "C"), ("NJ", "NY"), ("SJ", "SY"), ("CH", "KH"))
_MUHAMMAD = ("MUHAMMAD", "MUHAMAD", "MOHAMMAD", "MOCHAMMAD", "MOCH.", "MOH.", "MUH.", "M.")
_TITLES_M = ("H.", "DRS.", "IR.")
_TITLES_F = ("HJ.", "DRA.")
_SUFFIX = (", S.Pd", " S.Pd.I", ", S.Ag", ", S.E.", ", S.H.", ", A.Md", " S.Kom")
_VOWELS = "AIUEO"


def old_spelling(name: str, rng: random.Random) -> str | None:
    """Old Dutch-era spelling back and forth: SUPARMAN <-> SOEPARMAN, JAJANG <-> DJADJANG."""
    for old, new in _OLD:  # an old spelling present: modernise it
        if old in name:
            return name.replace(old, new)
    options = []
    for old, new in _OLD:
        if new == "U":
            if re.search(r"[BCDGJKLMNPRSTW]U", name):
                options.append((re.compile(r"(?<=[BCDGJKLMNPRSTW])U"), "OE"))
        elif new == "J":
            if re.search(r"(?<![DN])J", name):
                options.append((re.compile(r"(?<![DN])J"), "DJ"))
        elif new == "C":
            if "C" in name and "CH" not in name:
                options.append((re.compile(r"C(?!H)"), "TJ"))
        elif new in name:
            options.append((re.compile(new), old))
    if "Y" in name and re.search(r"Y[AIUEO]", name) and "NY" not in name and "SY" not in name:
        options.append((re.compile(r"Y(?=[AIUEO])"), "J"))
    if not options:
        return None
    pattern, repl = rng.choice(options)
    return pattern.sub(repl, name, count=1)


def muhammad_variant(name: str, rng: random.Random) -> str | None:
    words = name.split(" ")
    for i, w in enumerate(words):
        if w in _MUHAMMAD:
            words[i] = rng.choice([v for v in _MUHAMMAD if v != w])
            return " ".join(words)
    return None


def siti_nur_variant(name: str, rng: random.Random) -> str | None:
    words = name.split(" ")
    for i, w in enumerate(words):
        if w == "SITI":
            words[i] = rng.choice(("ST.", "SITTI", "ST"))
        elif w == "NUR":
            words[i] = "NOER"
        elif w == "ABDUL":
            words[i] = "ABD."
        elif w == "AHMAD":
            words[i] = rng.choice(("ACHMAD", "AHMAT"))
        else:
            continue
        return " ".join(words)
    return None


def title(name: str, sex: int, age: float, rng: random.Random) -> str | None:
    """Religious/academic titles: H./HJ. prefix (older adults) or a degree suffix."""
    if age < 25:
        return None
    if age >= 40 and rng.random() < 0.6:
        prefix = ("H." if sex == 1 else "HJ.") if rng.random() < 0.85 else rng.choice(_TITLES_M if sex == 1 else _TITLES_F)
        return f"{prefix} {name}"
    return name + rng.choice(_SUFFIX)


def bin_binti(name: str, sex: int, father: str | None) -> str | None:
    if not father:
        return None
    first = father.split(" ")[0]
    if first in _MUHAMMAD or len(first) < 3:
        first = father.split(" ")[-1]
    return f"{name} {'BIN' if sex == 1 else 'BINTI'} {first}"


def spacing(name: str, rng: random.Random) -> str | None:
    if " " in name and rng.random() < 0.7:
        i = rng.choice([m.start() for m in re.finditer(" ", name)])
        return name[:i] + "  " + name[i + 1:]
    return (" " + name) if rng.random() < 0.5 else (name + " ")


def case(name: str, rng: random.Random) -> str:
    return name.lower() if rng.random() < 0.4 else name.title()


def typo(name: str, rng: random.Random) -> str | None:
    """One keyboard slip inside a word (never the first letter): swap, drop, double, vowel."""
    spots = [i for i, c in enumerate(name) if c.isalpha() and i > 0 and name[i - 1].isalpha()]
    if not spots:
        return None
    i = rng.choice(spots)
    kind = rng.randrange(4)
    if kind == 0 and i + 1 < len(name) and name[i + 1].isalpha() and name[i] != name[i + 1]:
        return name[:i] + name[i + 1] + name[i] + name[i + 2:]
    if kind == 1 and len(name.replace(" ", "")) > 4:
        return name[:i] + name[i + 1:]
    if kind == 2:
        return name[:i] + name[i] + name[i:]
    if name[i] in _VOWELS:
        return name[:i] + rng.choice([v for v in _VOWELS if v != name[i]]) + name[i + 1:]
    return name[:i] + name[i] + name[i:]


def drop_word(name: str, rng: random.Random) -> str | None:
    words = name.split(" ")
    if len(words) < 3:
        return None
    del words[rng.randrange(1, len(words))]
    return " ".join(words)


def deceased(name: str, sex: int, rng: random.Random) -> str:
    tag = "ALM" if sex == 1 else "ALMH"
    r = rng.random()
    if r < 0.4:
        return f"{name} ({tag})"
    if r < 0.7:
        return f"{tag}. {name}"
    return f"{name} {tag}"


# ---- identifiers -------------------------------------------------------------
def digit_off(nik: str, rng: random.Random) -> str:
    i = rng.randrange(len(nik))
    return nik[:i] + rng.choice([d for d in "0123456789" if d != nik[i]]) + nik[i + 1:]


def transposed(nik: str, rng: random.Random) -> str | None:
    spots = [i for i in range(len(nik) - 1) if nik[i] != nik[i + 1]]
    if not spots:
        return None
    i = rng.choice(spots)
    return nik[:i] + nik[i + 1] + nik[i] + nik[i + 2:]


def excel_number(digits: str) -> float:
    """What Excel keeps of a 16-digit number typed into a cell: 15 significant digits."""
    if len(digits) > 15:
        digits = digits[:15] + "0" * (len(digits) - 15)
    return float(int(digits))


def excel_scientific(digits: str, decimal: str = ".") -> str:
    """A 16-digit number saved to CSV by Excel with the General format: ``3.20101E+15``."""
    mantissa = f"{int(digits) / 10 ** (len(digits) - 1):.5f}".rstrip("0").rstrip(".")
    return f"{mantissa}E+{len(digits) - 1}".replace(".", decimal)


# ---- dates -------------------------------------------------------------------
def swapped(d: dt.date) -> dt.date | None:
    if d.day > 12 or d.day == d.month:
        return None
    return d.replace(day=d.month, month=d.day)


def year_off(d: dt.date, rng: random.Random, today: dt.date) -> dt.date | None:
    y = d.year + rng.choice((-10, -1, 1, 10))
    try:
        out = d.replace(year=y)
    except ValueError:
        return None
    return out if out < today and y > 1905 and out != dt.date(1970, 1, 1) else None


def impossible_date(d: dt.date, rng: random.Random) -> str:
    """A date that does not exist, as typed: ``31-02-1990``, ``30-02-1985``, ``31-04-1977``."""
    day, month = rng.choice(((31, 2), (30, 2), (29, 2), (31, 4), (31, 6), (31, 9), (31, 11), (0, 5), (12, 13)))
    if day == 29 and month == 2 and d.year % 4 == 0:
        day = 30
    return f"{day:02d}-{month:02d}-{d.year}"


def future(d: dt.date) -> dt.date:
    """A birth date in the future, from a slip in the year: 2025 -> 2052, 1998 -> 2098."""
    y = d.year
    s = str(y)
    swapped_year = int(s[:2] + s[3] + s[2])
    if swapped_year <= 2040:
        swapped_year = 2000 + 50 + y % 50
    try:
        return d.replace(year=swapped_year)
    except ValueError:
        return d.replace(year=swapped_year, day=28)
