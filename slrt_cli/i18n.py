"""Operator messages in Bahasa Indonesia (default) or English.

Wording lives in ``messages/id.toml`` and ``messages/en.toml``, keyed by the
stable issue codes of ``schemas/rules.toml``; code calls :func:`t`.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from importlib import resources

LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"

_current = DEFAULT_LANGUAGE


class _Blank(dict):
    """Leaves an unknown placeholder visible instead of raising."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


@lru_cache(maxsize=None)
def catalog(lang: str) -> dict[str, str]:
    """Return the message catalog of ``lang`` ("id" or "en")."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}; use one of {LANGUAGES}")
    folder = resources.files("slrt_cli").joinpath("messages")
    merged: dict[str, str] = {}
    # <lang>.toml, then one file per output that has its own texts (<lang>-fixfiles.toml, ...)
    names = [f"{lang}.toml", *sorted(p.name for p in folder.iterdir() if p.name.startswith(f"{lang}-")
                                     and p.name.endswith(".toml"))]
    for name in names:
        part = tomllib.loads(folder.joinpath(name).read_text("utf-8"))
        twice = merged.keys() & part.keys()
        if twice:
            raise ValueError(f"messages/{name} repeats keys of another catalog file: {sorted(twice)[:5]}")
        merged.update(part)
    return merged


def set_language(lang: str) -> None:
    """Set the default language of :func:`t` for this process."""
    catalog(lang)  # validates
    global _current
    _current = lang


def get_language() -> str:
    return _current


def t(key: str, /, lang: str | None = None, **params: object) -> str:
    """Render message ``key`` with ``params``.

    Example:
        >>> t("NIK_MISSING", lang="en")
        'NIK is empty. Fill in the 16-digit NIK from the family card if there is one.'
    """
    template = catalog(lang or _current).get(key)
    if template is None:
        template = catalog("en").get(key, key)
    return template.format_map(_Blank({k: _fmt(v) for k, v in params.items()}))


def issue_messages(issues, lang: str | None = None):
    """Each issue's message (a polars Series), rendered once per distinct code/column/value/params.

    ``issues`` has the issue-table columns ``code``, ``column``, ``value`` and ``params`` (JSON).
    """
    import json

    import polars as pl

    keys = issues.select("code", "column", "value", "params")
    rendered = {
        (code, column, value, params): t(code, lang, value=value, column=column, **json.loads(params or "{}"))
        for code, column, value, params in keys.unique().iter_rows()
    }
    return pl.Series("message", [rendered[k] for k in keys.iter_rows()], dtype=pl.Utf8)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else str(value)
