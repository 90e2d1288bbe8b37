"""The operator's column mapping: correct how slrt reads column titles without editing ``schemas/``.

A TOML file (``--kolom FILE`` on ``inspect``, ``validate`` and ``run``, or ``kolom = "path"``
in the config file)::

    [kolom]                      # title -> field, for every file
    "NO. PESERTA" = "nik"
    "KOLOM ANEH" = "abaikan"     # ignore: never read as any field

    [[berkas]]                   # a file pattern plus titles, for the files it matches
    pola = "*cilebut*"
    kolom = { "406" = "tanggal_lahir" }

Each mapped title becomes an exact alias of its field (case, spaces and ``_ . / -`` ignored,
as in ``schemas/aliases.csv``), so it wins over recognition by words and by content. The
field ``abaikan`` (:data:`slrt_cli.io.titles.IGNORE`) means "not a field": the column is read
as an extra column and content never makes it one. A file's ``[[berkas]]`` entries apply after
``[kolom]``, in the order written (a later one wins); ``pola`` is a shell pattern (``*``, ``?``)
matched, case ignored, against the file's name as slrt shows it (``kec_a/desa_1.xlsx``) and
against its last part (``desa_1.xlsx``).

Example:
    >>> m = ColumnMapping.from_dict({"kolom": {"NO. PESERTA": "nik"}}, "kolom.toml")
    >>> from slrt_cli.schemas import load_schema
    >>> m.schema_for(load_schema(), "desa.xlsx").match_header("no peserta")
    ('nik', None)
"""

from __future__ import annotations

import dataclasses
import fnmatch
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from slrt_cli.errors import UsageError
from slrt_cli.io.titles import IGNORE, _vocabulary
from slrt_cli.schemas import Schema, header_key, load_schema

Pairs = tuple[tuple[str, str], ...]  # (title as written, field)


@dataclass(frozen=True)
class ColumnMapping:
    """A loaded, checked column mapping (see the module docstring).

    Attributes:
        source: the file it came from (named in messages).
        columns: ``[kolom]``: (title, field) for every file.
        files: ``[[berkas]]``: (pattern, (title, field)...) in the order written.
    """

    source: str
    columns: Pairs = ()
    files: tuple[tuple[str, Pairs], ...] = ()
    _copies: dict = field(default_factory=dict, compare=False, hash=False, repr=False)

    def __getstate__(self) -> dict:  # a helper process gets the mapping, not the cached schema copies
        return {"source": self.source, "columns": self.columns, "files": self.files}

    def __setstate__(self, state: dict) -> None:
        for k, v in {**state, "_copies": {}}.items():
            object.__setattr__(self, k, v)

    @classmethod
    def from_dict(cls, data: dict, source: str, schema: Schema | None = None) -> ColumnMapping:
        """Check a parsed mapping file; :class:`UsageError` naming the key and the file when wrong."""
        schema = schema or load_schema()
        known = set(schema.fields) | set(_vocabulary().combined) | {IGNORE}
        for key in data:
            if key not in ("kolom", "berkas"):
                raise UsageError("error_mapping_key", path=source, key=key)
        columns = _pairs(data.get("kolom", {}), "kolom", source, known)
        entries = data.get("berkas", [])
        if not isinstance(entries, list):
            raise UsageError("error_mapping_value", path=source, key="berkas", expected="[[berkas]]")
        files = []
        for n, entry in enumerate(entries, start=1):
            where = f"berkas #{n}"
            if not isinstance(entry, dict):
                raise UsageError("error_mapping_value", path=source, key=where, expected="[[berkas]]")
            for key in entry:
                if key not in ("pola", "kolom"):
                    raise UsageError("error_mapping_key", path=source, key=f"{where}: {key}")
            pattern = entry.get("pola")
            if not isinstance(pattern, str) or not pattern.strip():
                raise UsageError("error_mapping_value", path=source, key=f"{where}: pola", expected='pola = "*nama*"')
            files.append((pattern.strip(), _pairs(entry.get("kolom", {}), f"{where}: kolom", source, known)))
        return cls(source, columns, tuple(files))

    def pairs_for(self, file_name: str) -> Pairs:
        """The (title, field) pairs that apply to a file, later ones winning."""
        name = file_name.casefold()
        last = name.rsplit("/", 1)[-1]
        out = self.columns
        for pattern, pairs in self.files:
            pat = pattern.casefold()
            if fnmatch.fnmatchcase(name, pat) or fnmatch.fnmatchcase(last, pat):
                out += pairs
        return out

    def schema_for(self, schema: Schema, file_name: str) -> Schema:
        """A copy of ``schema`` whose aliases include this mapping's titles for ``file_name``.

        ``schema`` itself (often the cached bundled schema) is never changed; copies are kept
        per mapping so that each distinct set of titles builds one title recogniser.
        """
        pairs = self.pairs_for(file_name)
        key = (id(schema), pairs)
        cached = self._copies.get(key)
        if cached is not None and cached[0] is schema:
            return cached[1]
        aliases = dict(schema.aliases)
        for title, fld in pairs:
            aliases[header_key(title)] = (fld, None)
        copy = dataclasses.replace(schema, aliases=aliases)
        self._copies[key] = (schema, copy)
        return copy


def _pairs(table: Any, where: str, source: str, known: set[str]) -> Pairs:
    if not isinstance(table, dict):
        raise UsageError("error_mapping_value", path=source, key=where, expected='{ "JUDUL" = "nama_field" }')
    out = []
    for title, fld in table.items():
        if not header_key(title):
            raise UsageError("error_mapping_value", path=source, key=f"{where}: {title!r}", expected="judul kolom")
        if not isinstance(fld, str):
            raise UsageError("error_mapping_value", path=source, key=f"{where}: {title}", expected="nama field")
        name = fld.strip().casefold()
        if name not in known:
            raise UsageError("error_mapping_field", path=source, key=title, field=fld,
                             known="slrt schema show")
        out.append((title, name))
    return tuple(out)


def load_mapping(path: str | Path, schema: Schema | None = None) -> ColumnMapping:
    """Read and check a column-mapping file.

    Raises:
        UsageError: missing or unreadable file, TOML syntax error, unknown key, or a field name
            that is not a field of the schema (nor ``abaikan``): the message names the key and the file.
    """
    shown = str(path)
    try:
        data = tomllib.loads(Path(path).read_text("utf-8-sig"))  # Notepad saves UTF-8 with a BOM
    except FileNotFoundError:
        raise UsageError("error_mapping_missing", path=shown) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError("error_mapping_syntax", path=shown, detail=str(exc)) from None
    except OSError as exc:
        raise UsageError("error_mapping_syntax", path=shown, detail=exc.strerror or type(exc).__name__) from None
    return ColumnMapping.from_dict(data, shown, schema)


def as_mapping(value: ColumnMapping | str | Path | None, schema: Schema | None = None) -> ColumnMapping | None:
    """A :class:`ColumnMapping` from a mapping, a path to one, or None."""
    if value is None or value == "" or isinstance(value, ColumnMapping):
        return value or None
    return load_mapping(value, schema)
