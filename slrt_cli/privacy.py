"""Masking of personal identifiers (UU 27/2022 PDP).

Every place that shows an identifier to a person (console, log, error message,
report) goes through these helpers. A NIK or No KK is masked by hiding its
date block: ``3201014508900001`` -> ``320101******0001``.
"""

from __future__ import annotations

import re
from functools import lru_cache

import polars as pl

MASK = "*"

# 12 or more digits, possibly split by spaces, dots or dashes: anything that may be a NIK/No KK
_LONG_DIGITS = re.compile(r"(?<!\d)\d(?:[ .\-]?\d){11,}(?!\d)")


def mask_id(value: str | None) -> str:
    """Mask an identifier so that it can be shown.

    16-digit NIK/No KK keep the region (6) and serial (4) digits. Shorter or
    damaged values keep even less; nothing of 8 characters or more is shown whole.

    Example:
        >>> mask_id("3201014508900001")
        '320101******0001'
    """
    if value is None:
        return ""
    s = str(value)
    n = len(s)
    if n >= 12:
        return s[:6] + MASK * (n - 10) + s[-4:]
    if n >= 8:
        return s[:4] + MASK * (n - 6) + s[-2:]
    if n >= 3:
        return s[:1] + MASK * (n - 1)
    return MASK * n


def mask_id_expr(expr: pl.Expr) -> pl.Expr:
    """Vectorised :func:`mask_id` for a Utf8 column."""
    n = expr.str.len_chars()
    long = expr.str.slice(0, 6) + pl.lit(MASK).repeat_by(n - 10).list.join("") + expr.str.slice(-4)
    mid = expr.str.slice(0, 4) + pl.lit(MASK).repeat_by(n - 6).list.join("") + expr.str.slice(-2)
    short = expr.str.slice(0, 1) + pl.lit(MASK).repeat_by(n - 1).list.join("")
    tiny = pl.lit(MASK).repeat_by(n).list.join("")
    masked = (
        pl.when(expr.is_null())
        .then(pl.lit(""))
        .when(n >= 12)
        .then(long)
        .when(n >= 8)
        .then(mid)
        .when(n >= 3)
        .then(short)
        .otherwise(tiny)
    )
    name = expr.meta.output_name(raise_if_undetermined=False)
    return masked.alias(name) if name else masked


def mask_pair(a: str | None, b: str | None) -> tuple[str, str]:
    """Mask two identifiers that are compared (a change, a review pair) so that their difference shows.

    When the masked values differ, they are shown as they are. When they look the same, the digits
    that differ are shown on both sides, since they are what the reader decides on (what both
    share stays hidden); but never all of them, so that neither side is ever shown whole. Values of different lengths are masked each on its own (the lengths
    show that they differ).

    Example:
        >>> mask_pair("3201014508900001", "3201014508900002")
        ('320101******0001', '320101******0002')
        >>> mask_pair("3201020000000002", "3201024000000002")
        ('3201020*****0002', '3201024*****0002')
        >>> mask_pair("3508180203900010", "3201092704040003")
        ('350818******0010', '320109******0003')
    """
    if a is None or b is None or len(str(a)) != len(str(b)):
        return mask_id(a), mask_id(b)
    a, b = str(a), str(b)
    ma, mb = mask_id(a), mask_id(b)
    if ma != mb:  # the difference shows in what mask_id shows: nothing more is shown
        return ma, mb
    shown_a = "".join(x if (m != MASK or x != y) else MASK for x, y, m in zip(a, b, ma))
    shown_b = "".join(y if (m != MASK or x != y) else MASK for x, y, m in zip(a, b, mb))
    hidden = [i for i, m in enumerate(ma) if m == MASK]
    if hidden and MASK not in shown_a:  # every hidden digit differs: one stays hidden, so that no side is whole
        last = hidden[-1]
        shown_a = shown_a[:last] + MASK + shown_a[last + 1:]
        shown_b = shown_b[:last] + MASK + shown_b[last + 1:]
    return shown_a, shown_b


def scrub(text: str) -> str:
    """Mask every run of 12+ digits in free text (log lines, tracebacks, messages)."""
    return _LONG_DIGITS.sub(lambda m: mask_id(re.sub(r"[ .\-]", "", m.group(0))), text)


def mask_name(name: str | None) -> str:
    """Keep the first letter of each word: ``SITI AMINAH`` -> ``S*** A*****``."""
    if not name:
        return ""
    return " ".join(w[:1] + MASK * (len(w) - 1) for w in str(name).split())


# ---------------------------------------------------------------- the rule, written down once

#: how an output shows an identifier (schemas/privacy.toml)
SHOWN = ("full", "pair", "masked", "absent")
#: the identifier kinds the rule covers
RULE_FIELDS = ("nik", "no_kk", "nama", "tanggal_lahir")


def _rule_path():
    from pathlib import Path

    here = Path(__file__).resolve().parent
    for candidate in (here / "_schemas", here.parent / "schemas"):  # installed wheel, source tree
        if (candidate / "privacy.toml").is_file():
            return candidate / "privacy.toml"
    raise FileNotFoundError("schemas/privacy.toml not found")


def rules() -> dict[str, dict]:
    """The privacy rule (``schemas/privacy.toml``): per output, its files, reader, why and per field how shown.

    Example:
        >>> rules()["kirim"]["nik"]
        'full'
    """
    return _rules()


@lru_cache(maxsize=1)
def _rules() -> dict[str, dict]:
    import tomllib

    data = tomllib.loads(_rule_path().read_text("utf-8"))["outputs"]
    for name, spec in data.items():
        for f in RULE_FIELDS:
            if spec.get(f) not in SHOWN:
                raise ValueError(f"schemas/privacy.toml [outputs.{name}] {f} = {spec.get(f)!r}; use one of {SHOWN}")
        if spec.get("full_nik", "full") not in SHOWN:
            raise ValueError(f"schemas/privacy.toml [outputs.{name}] full_nik = {spec['full_nik']!r}")
    return data


def rule(output: str, field: str, *, full_nik: bool = False) -> str:
    """How ``output`` shows identifier ``field``: ``full``, ``pair``, ``masked`` or ``absent``.

    Args:
        output: an output of ``schemas/privacy.toml`` (``console``, ``perbaikan``, ``kirim``,
            ``reconciliation``, ``changes``, ``laporan_xlsx``…).
        field: ``nik``, ``no_kk``, ``nama`` or ``tanggal_lahir``.
        full_nik: the run was asked for full identifiers (``--full-nik``): NIK and No KK follow
            the output's ``full_nik`` value where it has one.

    Example:
        >>> rule("changes", "nik"), rule("changes", "nik", full_nik=True), rule("laporan_html", "nik", full_nik=True)
        ('pair', 'full', 'masked')
    """
    spec = rules()[output]
    if field not in RULE_FIELDS:
        raise KeyError(field)
    if full_nik and field in ("nik", "no_kk") and "full_nik" in spec:
        return spec["full_nik"]
    return spec[field]
