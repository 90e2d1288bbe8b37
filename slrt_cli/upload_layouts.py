"""The layouts of the ministry's update files (``schemas/kirim/<kind>.toml``), read and checked.

Each layout lists the output columns (header title, source field, format) and the file format
(delimiter, BOM, line ending, date format); :mod:`slrt_cli.uploads` fills them.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from slrt_cli.errors import InputError
from slrt_cli.schemas import Schema, load_schema, schemas_dir

KINDS = ("usulan_baru", "perbaikan", "nonaktif")
FORMATS = ("text", "date", "code", "label", "value")
KEYS = ["source_file", "source_sheet", "source_row"]
REGION_SOURCES = ("kode_prov", "kode_kab", "kode_kec", "kode_desa", "nama_prov", "nama_kab", "nama_kec", "nama_desa")
COMMON_SOURCES = ("periode", *KEYS)
KIND_SOURCES = {"perbaikan": ("kolom", "field", "nilai_lama", "nilai_baru")}


# ---------------------------------------------------------------- layouts


@dataclass(frozen=True)
class UploadColumn:
    """One output column: header ``title``, value from the first filled of ``sources``."""

    title: str
    sources: tuple[str, ...]
    format: str = "text"
    case: str | None = None
    codelist: str | None = None


@dataclass(frozen=True)
class Layout:
    """The layout of one file kind, as read from ``schemas/kirim/<kind>.toml``."""

    kind: str
    path: Path
    description: str
    file_name: str
    delimiter: str
    bom: bool
    line_terminator: str
    date_format: str
    columns: tuple[UploadColumn, ...]
    statuses: tuple[str, ...] = ()
    include_not_found: bool = False
    not_found_note: str = ""
    field_titles: dict[str, str] = field(default_factory=dict)
    skip_when_flagged: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def titles(self) -> list[str]:
        return [c.title for c in self.columns]


def layouts_dir() -> Path:
    """The folder holding the layout files (``schemas/kirim``)."""
    return schemas_dir() / "kirim"


def load_layouts(folder: str | Path | None = None, schema: Schema | None = None) -> dict[str, Layout]:
    """Read and check the three layout files.

    Args:
        folder: folder with ``usulan_baru.toml``, ``perbaikan.toml``, ``nonaktif.toml``
            (default: :func:`layouts_dir`).
        schema: the schema the sources and code lists are checked against.

    Returns:
        ``{kind: Layout}`` for every kind of :data:`KINDS`.

    Raises:
        InputError: a layout file is missing or wrong (``error_config_syntax``, naming the file).

    Example:
        >>> load_layouts()["nonaktif"].file_name
        'nonaktif.csv'
    """
    schema = schema or load_schema()
    base = Path(folder) if folder else layouts_dir()
    return {kind: _load_layout(base / f"{kind}.toml", kind, schema) for kind in KINDS}


def _load_layout(path: Path, kind: str, schema: Schema) -> Layout:
    def fail(detail: str) -> InputError:
        return InputError("error_config_syntax", path=str(path), detail=detail)

    try:
        spec = tomllib.loads(path.read_text("utf-8"))
    except FileNotFoundError:
        raise InputError("error_config_missing", path=str(path)) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fail(str(exc)) from None
    if spec.get("kind") != kind:
        raise fail(f"kind = {spec.get('kind')!r}, expected {kind!r}")
    file = spec.get("file", {})
    delimiter = file.get("delimiter", "|")
    if len(delimiter) != 1:
        raise fail(f"delimiter {delimiter!r} must be one character")
    allowed = set(schema.fields) | set(REGION_SOURCES) | set(COMMON_SOURCES) | set(KIND_SOURCES.get(kind, ()))
    columns = tuple(_column(c, allowed, schema, kind, fail) for c in spec.get("column", []))
    if not columns:
        raise fail("no [[column]]")
    titles = [c.title for c in columns]
    if len(set(titles)) != len(titles):
        raise fail("column titles must be unique")
    statuses = tuple(spec.get("statuses", ()))
    known = set(schema.codelists["status_verivali"].codes)
    if unknown := [s for s in statuses if s not in known]:
        raise fail(f"unknown statuses {unknown}; use codes of schemas/codes/status_verivali.csv")
    skip = {f: tuple(codes) for f, codes in spec.get("skip_when_flagged", {}).items()}
    if unknown := [c for codes in skip.values() for c in codes if c not in schema.rules]:
        raise fail(f"skip_when_flagged: unknown issue codes {unknown}; use codes of schemas/rules.toml")
    return Layout(
        kind=kind,
        path=path,
        description=spec.get("description", ""),
        file_name=file.get("name", f"{kind}.csv"),
        delimiter=delimiter,
        bom=bool(file.get("bom", True)),
        line_terminator=file.get("line_terminator", "\r\n"),
        date_format=file.get("date_format", "%d-%m-%Y"),
        columns=columns,
        statuses=statuses,
        include_not_found=bool(spec.get("include_not_found", False)),
        not_found_note=spec.get("not_found_note", ""),
        field_titles=dict(spec.get("field_titles", {})),
        skip_when_flagged=skip,
    )


def _column(spec: dict, allowed: set[str], schema: Schema, kind: str, fail) -> UploadColumn:
    title = str(spec.get("title", "")).strip()
    raw = spec.get("source")
    sources = tuple([raw] if isinstance(raw, str) else raw or [])
    fmt = spec.get("format", "text")
    if not title or not sources:
        raise fail(f"column {title or '?'}: title and source are required")
    if unknown := [s for s in sources if s not in allowed]:
        raise fail(f"column {title}: unknown source {unknown[0]!r}")
    if fmt not in FORMATS:
        raise fail(f"column {title}: format {fmt!r} not one of {', '.join(FORMATS)}")
    if fmt == "value" and kind != "perbaikan":
        raise fail(f"column {title}: format 'value' exists only in perbaikan")
    case = spec.get("case")
    if case not in (None, "upper"):
        raise fail(f"column {title}: case must be 'upper'")
    codelist = spec.get("codelist")
    if fmt == "label":
        codelist = codelist or _field_codelist(schema, sources[0])
        if codelist not in schema.codelists:
            raise fail(f"column {title}: format 'label' needs a code list (codelist = ...)")
    return UploadColumn(title, sources, fmt, case, codelist)


def _field_codelist(schema: Schema, name: str) -> str | None:
    if name not in schema.fields:
        return None
    cl = schema.codelist_for(name)
    return cl.name if cl else None
