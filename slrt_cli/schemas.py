"""Load the data files under ``schemas/``: fields, column aliases, code lists, rules.

Non-programmers maintain these files; this module only reads them. The folder
is found inside the installed package (``slrt_cli/_schemas``, put there by the
wheel build) or, in a source checkout, at the repository's ``schemas/``.
"""

from __future__ import annotations

import csv
import re
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

_HEADER_JUNK = re.compile(r"[\s_./\-]+")
_AROUND_MARK = re.compile(r"\s*([-/])\s*")  # "LAKI - LAKI" is LAKI-LAKI, "ISTRI / SUAMI" ISTRI/SUAMI


def schemas_dir() -> Path:
    """Return the folder holding the schema files."""
    here = Path(__file__).resolve().parent
    for candidate in (here / "_schemas", here.parent / "schemas"):
        if (candidate / "fields.toml").is_file():
            return candidate
    raise FileNotFoundError("slrt schema files not found (expected slrt_cli/_schemas or ./schemas)")


def header_key(text: object) -> str:
    """Normalise a column title for alias lookup: case, spaces and ``_ . / -`` ignored.

    Example:
        >>> header_key(" Nama_Lengkap ") == header_key("NAMA LENGKAP")
        True
    """
    if text is None:
        return ""
    return _HEADER_JUNK.sub("", str(text)).casefold()


def value_key(text: object) -> str:
    """Normalise a coded value for lookup: upper case, inner spaces collapsed (none around ``-`` and
    ``/``), ends trimmed.

    Example:
        >>> value_key(" laki - laki ") == value_key("LAKI-LAKI")
        True
    """
    if text is None:
        return ""
    return _AROUND_MARK.sub(r"\1", " ".join(str(text).upper().split()))


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    label_id: str
    label_en: str
    help_id: str = ""
    help_en: str = ""
    codelist: str | None = None
    identity: bool = False
    required: bool = False
    level: str | None = None
    id_type: str | None = None
    min: int | None = None
    max: int | None = None

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_id

    def help(self, lang: str) -> str:
        return (self.help_en or self.help_id) if lang == "en" else self.help_id


@dataclass
class CodeList:
    """A list of codes with labels and the spellings seen in files.

    ``maps_to`` translates this list's codes to another list's (e.g. Dukcapil
    SHDK relation codes to BDT relation codes).
    """

    name: str
    codes: list[str]
    labels_id: dict[str, str]
    labels_en: dict[str, str]
    lookup_table: dict[str, str]
    maps_to: dict[str, str] = field(default_factory=dict)

    def lookup(self, value: object) -> str | None:
        """Return the code for a code or a label/alias (case and spacing ignored), or None."""
        key = value_key(value)
        if not key:
            return None
        code = self.lookup_table.get(key)
        if code is None and key.endswith(".0") and key[:-2] in self.lookup_table:
            code = self.lookup_table[key[:-2]]  # 1.0 from a number cell
        if code is None:
            return None
        return self.maps_to.get(code, code)

    def describe(self, lang: str = "id") -> str:
        labels = self.labels_en if lang == "en" else self.labels_id
        return ", ".join(f"{c} {labels[c]}" for c in self.codes)


@dataclass
class Schema:
    version: str
    fields: dict[str, Field]
    aliases: dict[str, tuple[str, str | None]]  # header_key -> (field, codelist override)
    alias_rows: list[dict[str, str]]
    codelists: dict[str, CodeList]
    rules: dict[str, dict]
    settings: dict

    def match_header(self, text: object) -> tuple[str, str | None] | None:
        """Map a column title to ``(field, codelist)`` or None when unknown."""
        return self.aliases.get(header_key(text))

    def severity(self, code: str) -> str:
        return self.rules[code]["severity"]

    def codelist_for(self, field_name: str, override: str | None = None) -> CodeList | None:
        name = override or self.fields[field_name].codelist
        if name is None and self.fields[field_name].kind == "flag":
            name = "flag"
        return self.codelists.get(name) if name else None

    @property
    def identity_fields(self) -> list[str]:
        return [f.name for f in self.fields.values() if f.identity]


def _read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = [ln for ln in fh if not ln.lstrip().startswith("#")]
    return [{k: (v or "").strip() for k, v in row.items()} for row in csv.DictReader(lines)]


def _load_codelist(path: Path) -> CodeList:
    rows = _read_csv(path)
    codes = [r["code"] for r in rows]
    lookup: dict[str, str] = {}
    for r in rows:
        for spelling in [r["code"], r["label_id"], r["label_en"], *r.get("aliases", "").split("|")]:
            key = value_key(spelling)
            if key:
                lookup.setdefault(key, r["code"])
    maps = {r["code"]: r["maps_to"] for r in rows if r.get("maps_to")}
    return CodeList(
        name=path.stem,
        codes=codes,
        labels_id={r["code"]: r["label_id"] for r in rows},
        labels_en={r["code"]: r["label_en"] for r in rows},
        lookup_table=lookup,
        maps_to=maps,
    )


@lru_cache(maxsize=4)
def load_schema(folder: str | None = None) -> Schema:
    """Load every schema file of ``folder`` (default: :func:`schemas_dir`).

    Raises:
        ValueError: an alias names an unknown field, or two fields claim one alias.
    """
    base = Path(folder) if folder else schemas_dir()
    spec = tomllib.loads((base / "fields.toml").read_text("utf-8"))
    fields = {f["name"]: Field(**f) for f in spec["field"]}
    aliases: dict[str, tuple[str, str | None]] = {}
    for name, fld in fields.items():  # a field's own name and labels are aliases too
        for spelling in (name, fld.label_id, fld.label_en):
            aliases.setdefault(header_key(spelling), (name, None))
    alias_rows = _read_csv(base / "aliases.csv")
    for row in alias_rows:
        if row["field"] not in fields:
            raise ValueError(f"aliases.csv: unknown field {row['field']!r} for alias {row['alias']!r}")
        key = header_key(row["alias"])
        known = aliases.get(key)
        if known and known[0] != row["field"] and header_key(known[0]) != key:
            raise ValueError(f"aliases.csv: alias {row['alias']!r} claimed by {known[0]} and {row['field']}")
        aliases[key] = (row["field"], row.get("codelist") or None)
    codelists = {p.stem: _load_codelist(p) for p in sorted((base / "codes").glob("*.csv"))}
    rules_spec = tomllib.loads((base / "rules.toml").read_text("utf-8"))
    settings = rules_spec.pop("settings", {})
    return Schema(
        version=spec["schema_version"],
        fields=fields,
        aliases=aliases,
        alias_rows=alias_rows,
        codelists=codelists,
        rules=rules_spec,
        settings=settings,
    )


def legacy_region_rows() -> list[dict[str, str]]:
    """Rows of ``legacy_regions.csv``: old kabupaten codes that NIKs still carry."""
    return _read_csv(schemas_dir() / "legacy_regions.csv")
