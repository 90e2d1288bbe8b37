"""Normalise one sheet: canonical, typed columns next to the raw text.

:func:`normalise_sheet` turns a :class:`~slrt_cli.model.SheetTable` into a polars
frame with one normalised column per canonical field, the text as read
(``<field>__raw``), flags the validation step needs (``__numeric``,
``__status``, ``nama_alm``), assembled Kemendagri region codes and the extra
columns passed through. No issues are produced here: validation derives them
by comparing raw and normalised columns.

Speed: the scalar rules of :mod:`slrt_cli.normalise_values` run on the unique
values of a column only (``replace_strict`` maps them back). Mostly-unique
identifier and date columns first take a vectorised fast path for the common
shapes (plain digits, ``YYYY-MM-DD``, ``DD-MM-YYYY``) and send only the other
values to Python. A sheet costs five polars passes (three ``with_columns``, the
unique values, the output ``select``), whatever its width.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import polars as pl

from slrt_cli import reference
from slrt_cli.model import SheetTable
from slrt_cli.normalise_values import (
    DMY_DATE_PATTERN,
    ISO_DATE_PATTERN,
    LEVEL_DIGITS,
    clean_id,
    date_to_excel_serial,
    excel_serial_to_date,
    extract_rt_rw,
    normalise_name,
    normalise_region_code,
    normalise_rtrw,
    parse_date,
    parse_flag,
    parse_int,
    region_digits,
    strip_deceased_marker,
)
from slrt_cli.schemas import Schema, value_key

__all__ = [
    "clean_id",
    "date_to_excel_serial",
    "excel_serial_to_date",
    "extract_rt_rw",
    "normalise_name",
    "normalise_region_code",
    "normalise_rtrw",
    "normalise_sheet",
    "parse_date",
    "parse_flag",
    "parse_int",
    "strip_deceased_marker",
]

LEVELS = ("prov", "kab", "kec", "desa")
REGION_CODES = tuple(f"kode_{lv}" for lv in LEVELS)
REGION_NAMES = tuple(f"nama_{lv}" for lv in LEVELS)
#: Region columns produced whenever any region code or name column is present.
REGION_OUTPUTS = (*REGION_CODES, "kode_kec_bps", "kode_desa_bps", "region_unresolved")
_SEP = "\x1f"
_NULL = "\x00"


class _Mapper:
    """Runs scalar Python functions on the unique values of columns.

    ``add`` registers an input expression (null where no Python is needed) and a
    function (of one value, or with ``batch`` of the list of unique values);
    ``stage`` materialises the inputs as temporary columns; ``run`` collects every
    input's unique values in one ``select`` and applies the functions; ``out``
    maps an input column to (one item of) the function's result.
    """

    def __init__(self) -> None:
        self._inputs: list[pl.Expr] = []
        self._funcs: list[tuple[Callable[..., Any], bool]] = []
        self._values: list[pl.Series] = []
        self._results: list[list[Any]] = []

    def add(self, expr: pl.Expr, func: Callable[..., Any], batch: bool = False) -> int:
        self._inputs.append(expr)
        self._funcs.append((func, batch))
        return len(self._inputs) - 1

    def stage(self) -> list[pl.Expr]:
        return [e.alias(f"__m{i}") for i, e in enumerate(self._inputs)]

    def run(self, df: pl.DataFrame) -> None:
        if not self._inputs:
            return
        names = [f"__m{i}" for i in range(len(self._inputs))]
        uniq = df.select([pl.col(n).drop_nulls().unique().implode() for n in names])
        for name, (func, batch) in zip(names, self._funcs, strict=True):
            values = uniq.get_column(name)[0]
            self._values.append(values)
            items = values.to_list()
            self._results.append(func(items) if batch else [func(v) for v in items])

    def out(self, job: int, dtype: pl.DataType, item: int | None = None) -> pl.Expr:
        values = self._values[job]
        if values.is_empty():
            return pl.lit(None, dtype)
        new = [r if item is None else r[item] for r in self._results[job]]
        return pl.col(f"__m{job}").replace_strict(
            values, pl.Series(new, dtype=dtype), default=None, return_dtype=dtype
        )


@dataclass
class _Plan:
    """How one column is normalised.

    ``prep``: temporary columns computed from the raw data (vectorised fast paths);
    ``build``: called after the mapper ran; returns the output columns.
    """

    build: Callable[[], list[pl.Expr]]
    prep: list[pl.Expr] = field(default_factory=list)


# ---------------------------------------------------------------- one plan per field kind


def _id_plan(key: str, m: _Mapper) -> _Plan:
    raw, kind, fast = pl.col(key), pl.col(key + "#k"), pl.col(f"__t_{key}")
    stripped = raw.str.strip_chars()
    # already clean, so clean_id would return it unchanged: all digits, or one token of
    # letters/digits/_-/ with a letter that is not scientific notation (3E15)
    clean = stripped.str.contains(r"^[0-9]+$") | (
        stripped.str.contains(r"^[A-Za-z0-9_/\-]*[A-Za-z][A-Za-z0-9_/\-]*$")
        & ~stripped.str.contains(r"^\+?[0-9]+[eE]\+?[0-9]{1,3}$")
    )
    prep = pl.when(clean.fill_null(False)).then(stripped).alias(f"__t_{key}")
    job = m.add(pl.when(fast.is_null()).then(raw), lambda v: clean_id(v, None))

    def build() -> list[pl.Expr]:
        value = pl.coalesce(fast, m.out(job, pl.Utf8, 0))
        from_kind = (kind == "n").fill_null(False) & value.is_not_null()
        numeric = from_kind | m.out(job, pl.Boolean, 1).fill_null(False)
        return [value.alias(key), numeric.alias(key + "__numeric")]

    return _Plan(build, [prep])


def _placeholder_dates(placeholders: frozenset[str]) -> pl.Series:
    days = []
    for p in placeholders:
        try:
            days.append(dt.date.fromisoformat(p))
        except ValueError:  # "1900-01-00" is only ever text
            pass
    return pl.Series(days, dtype=pl.Date)


def _date_plan(key: str, m: _Mapper, opts: dict) -> _Plan:
    raw, kind, fast = pl.col(key), pl.col(key + "#k"), pl.col(f"__t_{key}")
    textual = ~kind.is_in(["n", "b", "e"]).fill_null(False)
    iso = raw.str.slice(0, 10).str.to_date("%Y-%m-%d", strict=False)
    dmy = raw.str.replace_all(r"[/.]", "-").str.to_date("%d-%m-%Y", strict=False)
    guess = (
        pl.when(textual & raw.str.contains(ISO_DATE_PATTERN))
        .then(iso)
        .when(textual & raw.str.contains(DMY_DATE_PATTERN))
        .then(dmy)
    )
    prep = pl.when(guess.dt.year() >= 1).then(guess).alias(f"__t_{key}")  # polars knows year 0, Python not
    placeholders, today, date1904 = opts["placeholders"], opts["today"], opts["date1904"]

    def parse(k: str) -> tuple[dt.date | None, str]:
        cell_kind, _, text = k.partition(_SEP)
        return parse_date(text, cell_kind or None, placeholders, date1904=date1904, today=today)

    job = m.add(pl.when(fast.is_null()).then(pl.concat_str([kind.fill_null(""), raw], separator=_SEP)), parse)
    is_ph = fast.is_in(_placeholder_dates(placeholders).implode())

    def build() -> list[pl.Expr]:
        value = pl.when(fast.is_not_null()).then(pl.when(~is_ph).then(fast)).otherwise(m.out(job, pl.Date, 0))
        status = (
            pl.when(raw.is_null())
            .then(pl.lit("empty"))
            .when(fast.is_not_null())
            .then(pl.when(is_ph).then(pl.lit("placeholder")).otherwise(pl.lit("ok")))
            .otherwise(m.out(job, pl.Utf8, 1))
        )
        return [value.alias(key), status.alias(key + "__status")]

    return _Plan(build, [prep])


def _name_and_marker(text: str) -> tuple[str | None, bool]:
    return strip_deceased_marker(normalise_name(text))


def _name_plan(key: str, m: _Mapper) -> _Plan:
    if key != "nama":
        job = m.add(pl.col(key), normalise_name)
        return _Plan(lambda: [m.out(job, pl.Utf8).alias(key)])
    job = m.add(pl.col(key), _name_and_marker)
    return _Plan(
        lambda: [m.out(job, pl.Utf8, 0).alias(key), m.out(job, pl.Boolean, 1).fill_null(False).alias(key + "_alm")]
    )


def _squash_text(text: str) -> str | None:
    return " ".join(text.split()) or None


def _mapped_plan(key: str, m: _Mapper, func: Callable[[str], Any], dtype: pl.DataType) -> _Plan:
    job = m.add(pl.col(key), func)
    return _Plan(lambda: [m.out(job, dtype).alias(key)])


def _address_job(present: set[str], m: _Mapper) -> int:
    """Register RT/RW extraction from ``alamat`` for rows whose ``rt`` or ``rw`` is absent or empty."""
    need = pl.any_horizontal([pl.col(f).is_null() if f in present else pl.lit(True) for f in ("rt", "rw")])
    return m.add(pl.when(need).then(pl.col("alamat")), extract_rt_rw)


def _rtrw_plan(key: str, m: _Mapper, address_job: int | None) -> _Plan:
    job = m.add(pl.col(key), normalise_rtrw)

    def build() -> list[pl.Expr]:
        value = m.out(job, pl.Utf8)
        if address_job is not None:
            found = m.out(address_job, pl.Utf8, 0 if key == "rt" else 1)
            value = pl.when(pl.col(key).is_null()).then(found).otherwise(value)
        return [value.alias(key)]

    return _Plan(build)


def _field_plan(key: str, kind: str, override: str | None, schema: Schema, m: _Mapper, opts: dict) -> _Plan:
    if kind == "id":
        return _id_plan(key, m)
    if kind == "date":
        return _date_plan(key, m, opts)
    if kind == "name":
        return _name_plan(key, m)
    if kind == "code":
        cl = schema.codelist_for(key, override)
        plan = _mapped_plan(key, m, cl.lookup if cl else value_key, pl.Utf8)
        built = plan.build
        listed = cl.name if cl else ""
        plan.build = lambda: [*built(), pl.lit(listed, pl.Utf8).alias(key + "__list")]
        return plan
    if kind == "flag":
        cl = schema.codelist_for(key, override)
        return _mapped_plan(key, m, lambda v: parse_flag(v, cl), pl.Boolean)
    if kind == "rtrw":
        return _rtrw_plan(key, m, opts["address_job"])
    if kind == "int":
        return _mapped_plan(key, m, parse_int, pl.Int64)
    if kind == "region":  # assembled with the other region columns, see _region_plan
        return _Plan(list)
    return _mapped_plan(key, m, _squash_text, pl.Utf8)


def _companions(key: str, kind: str) -> list[str]:
    if kind == "id":
        return [key + "__numeric"]
    if kind == "date":
        return [key + "__status"]
    if kind == "name" and key == "nama":
        return ["nama_alm"]
    if kind == "code":
        return [key + "__list"]  # the code list applied (a status column may use another list)
    return []


# ---------------------------------------------------------------- region codes


def _first(*values: str | None) -> str | None:
    return next((v for v in values if v), None)


def _join(*parts: str | None) -> str | None:
    return "".join(parts) if all(parts) else None  # type: ignore[arg-type]


def _assemble(p: str | None, k: str | None, c: str | None, d: str | None, bps_kec: bool) -> tuple:
    """Full Kemendagri codes from full codes or components; BPS-style parts aside.

    ``p k c d`` are plain digits (prov, kab, kec, desa columns). Returns
    ``(prov, kab, kec, desa, kec_bps, desa_bps)``.
    """

    def full(v: str | None, level: str) -> str | None:
        return v if v and len(v) == LEVEL_DIGITS[level] else None

    fp, fk, fc, fd = full(p, "prov"), full(k, "kab"), full(c, "kec"), full(d, "desa")
    deepest = _first(fd, fc, fk)
    prov = _first(fp, deepest[:2] if deepest else None)
    kab = _first(fk, _join(prov, k.zfill(2)) if k and len(k) <= 2 else None, _first(fd, fc)[:4] if fd or fc else None)
    kec_part = c.zfill(2) if c and len(c) <= 2 and not bps_kec else None
    kec = _first(fc, _join(kab, kec_part), fd[:6] if fd else None)
    desa = _first(fd, _join(kec, d) if d and len(d) == 4 else None)
    kec3 = c.zfill(3) if c and (len(c) == 3 or (bps_kec and len(c) < 3)) else None
    desa3 = d.zfill(3) if d and len(d) <= 3 else None
    kec_bps = _first(_join(prov, kab[2:] if kab else None, kec3), kec3)
    desa_bps = _join(kec_bps, desa3) if kec_bps and len(kec_bps) == 7 else desa3
    return prov, kab, kec, desa, kec_bps, desa_bps


@lru_cache(maxsize=65536)
def _resolve_names(given: tuple[str | None, ...], names: tuple[str | None, ...]) -> tuple[str | None, ...]:
    """Fill missing codes from region names, top-down; name the first level that failed."""
    codes = list(given)
    for i, level in enumerate(LEVELS):
        if codes[i] is not None or reference.name_key(names[i]) in ("", "0"):  # no name, "-", "0"
            continue
        parent = codes[i - 1] if i else None
        if i == 0:
            code = reference.resolve_name(names[0])
        elif parent is None:
            code = reference.resolve_kabupaten_anywhere(names[1]) if i == 1 else None
        else:
            code = reference.resolve_name(names[i], parent)
        if code is None:
            return (*codes, f"nama_{level}")
        codes[i] = code
        for j in range(i):
            codes[j] = codes[j] or code[: LEVEL_DIGITS[LEVELS[j]]]
    return (*codes, None)


def _regions(keys: Sequence[str]) -> list[tuple]:
    """Batch function: region key (4 raw codes + 4 raw names) -> the REGION_OUTPUTS values."""
    rows = [[None if x == _NULL else x for x in k.split(_SEP)] for k in keys]
    digits = [[region_digits(x) for x in row[:4]] for row in rows]
    bps_kec = any(d[2] is not None and len(d[2]) == 3 for d in digits)  # the column is BPS style
    out = []
    for row, dg in zip(rows, digits, strict=True):
        prov, kab, kec, desa, kec_bps, desa_bps = _assemble(*dg, bps_kec=bps_kec)
        *codes, unresolved = _resolve_names((prov, kab, kec, desa), tuple(row[4:]))
        out.append((*codes, kec_bps, desa_bps, unresolved))
    return out


def _region_plan(present: set[str], m: _Mapper) -> _Plan:
    cols = [pl.col(c).fill_null(_NULL) if c in present else pl.lit(_NULL) for c in REGION_CODES + REGION_NAMES]
    job = m.add(pl.concat_str(cols, separator=_SEP), _regions, batch=True)
    return _Plan(lambda: [m.out(job, pl.Utf8, i).alias(name) for i, name in enumerate(REGION_OUTPUTS)])


# ---------------------------------------------------------------- the frame


def normalise_sheet(
    table: SheetTable,
    schema: Schema,
    *,
    today: dt.date | None = None,
    date1904: bool = False,
) -> pl.DataFrame:
    """Normalise every column of one sheet.

    Args:
        table: the sheet as read (text + cell kind per column).
        schema: the loaded schema (field kinds, code lists, placeholder dates).
        today: reference day for two-digit years (default: today).
        date1904: serial numbers in the sheet use the 1904 date system.

    Returns:
        A frame with the same rows in the same order: ``source_row``; per
        canonical field ``<field>`` (typed) and ``<field>__raw``; ``<id>__numeric``,
        ``<date>__status``, ``nama_alm``; when any region code or name column is
        present, all four ``kode_*`` plus ``kode_kec_bps``/``kode_desa_bps``;
        ``rt``/``rw`` (filled from ``alamat`` where empty); ``region_unresolved``;
        then the extra (``x:``) columns unchanged.

    Example:
        >>> from slrt_cli.model import SheetTable, SourceColumn
        >>> from slrt_cli.schemas import load_schema
        >>> data = pl.DataFrame({"source_row": [2], "nik": ["'3201014508900001"], "nik#k": ["s"]})
        >>> cols = [SourceColumn(0, "A", "NIK", "nik", "nik")]
        >>> t = SheetTable("f.xlsx", None, "Sheet1", (1,), cols, data)
        >>> normalise_sheet(t, load_schema())["nik"].to_list()
        ['3201014508900001']
    """
    fields = {c.key: c for c in table.columns if c.field and not c.key.startswith("x:") and c.key in schema.fields}
    extras = [c.key for c in table.columns if c.key not in fields]
    present = set(fields)
    opts = {
        "placeholders": frozenset(schema.settings.get("placeholder_dates", ())),
        "today": today or dt.date.today(),
        "date1904": date1904,
    }
    mapper = _Mapper()
    opts["address_job"] = _address_job(present, mapper) if "alamat" in present else None
    plans: list[_Plan] = []
    order = ["source_row"]
    for key, col in fields.items():
        kind = schema.fields[key].kind
        plans.append(_field_plan(key, kind, col.codelist, schema, mapper, opts))
        order += [key, key + "__raw", *_companions(key, kind)]
    has_region = bool(present & set(REGION_CODES + REGION_NAMES))
    derived = [c for c in REGION_OUTPUTS if c not in present] if has_region else ["region_unresolved"]
    if has_region:
        plans.append(_region_plan(present, mapper))
    if "alamat" in present:
        derived += [f for f in ("rt", "rw") if f not in present]

    text_cols = [k for c in table.columns for k in (c.key, c.key + "#k")]
    dtypes = table.data.schema
    cast = [pl.col(k).cast(pl.Utf8) for k in text_cols if dtypes.get(k, pl.Utf8) != pl.Utf8]
    prep = [e for p in plans for e in p.prep]
    df = table.data.with_columns(cast).with_columns(prep).with_columns(mapper.stage())
    mapper.run(df)
    exprs = [pl.col("source_row"), *(e for p in plans for e in p.build())]
    exprs += [pl.col(k).alias(k + "__raw") for k in fields]
    if "alamat" in present:
        job = opts["address_job"]
        exprs += [mapper.out(job, pl.Utf8, i).alias(f) for i, f in enumerate(("rt", "rw")) if f not in present]
    if not has_region:
        exprs.append(pl.lit(None, pl.Utf8).alias("region_unresolved"))
    exprs += [pl.col(k) for k in extras]
    by_name = {e.meta.output_name(): e for e in exprs}
    return df.select([by_name[c] for c in order + derived + extras])
