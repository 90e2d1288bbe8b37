"""What slrt makes of village files, column by column (``slrt inspect``), without validating them.

For each file and sheet: the header rows found, the first data row, and for each column its
letter, its title, the field it became (or none), how (``alias``, ``words``, ``content``,
``combined``, ``ignored``, or ``""`` for not recognised), the confidence, and up to 3 sample
values. Files are read exactly as ``validate`` reads them (same reader, same column mapping),
but nothing is normalised or validated, so it is fast.

Privacy rule for the samples (UU 27/2022 PDP): a sample never shows a person's data whole.

* identifiers (NIK, No KK, other ids: fields of kind ``id``) are masked by
  :func:`slrt_cli.privacy.mask_id` (``320101******0001``);
* names (fields of kind ``name``) become initials (``SITI AMINAH`` -> ``S. A.``);
* codes, flags, numbers, RT/RW and region codes, and the names of regions (``dusun``,
  ``nama_desa``...) and ``pekerjaan`` are shown as written (cut to 24 characters);
* everything else (birth dates, places of birth, addresses, free text, and every column that
  is not recognised or is ignored, since nobody knows what it holds) shows only the kind of
  value, its shape: each digit becomes ``9``, each letter ``A`` (upper case) or ``a`` (lower
  case), other characters stay (``17/08/1990`` -> ``99/99/9999``), cut to 24 characters;
* finally every sample and every title goes through :func:`slrt_cli.privacy.scrub`, so no
  run of 12 or more digits is ever shown whole.

Example:
    >>> docs = inspect_files(["sample_data/desa"])          # doctest: +SKIP
    >>> docs[0]["sheets"][0]["columns"][0]["field"]         # doctest: +SKIP
    'nik'
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from slrt_cli.io.mapping import ColumnMapping, as_mapping
from slrt_cli.io.discover import collect_inputs
from slrt_cli.io.readers import ReadLimits, read_file
from slrt_cli.io.titles import IGNORE, TitleRecogniser
from slrt_cli.model import FileResult, Issue, SheetTable, SourceColumn
from slrt_cli.privacy import mask_id, scrub
from slrt_cli.schemas import Schema, header_key, load_schema

SAMPLES = 3
_CUT = 24
_PLAIN_KINDS = frozenset({"code", "flag", "int", "rtrw", "region"})
_PLAIN_FIELDS = frozenset({"dusun", "nama_desa", "nama_kec", "nama_kab", "nama_prov", "pekerjaan"})


def inspect_files(paths: Sequence[str | Path], schema: Schema | None = None,
                  mapping: ColumnMapping | str | Path | None = None, *,
                  read_hidden_sheets: bool = False) -> list[dict[str, Any]]:
    """Describe how slrt reads each file (see the module docstring); one dict per file.

    Each dict: ``file``, ``format``, ``readable``, ``issues`` (file issues: ``code``,
    ``severity``, ``sheet``, ``params``) and ``sheets``, each with ``sheet``, ``header_rows``,
    ``first_data_row``, ``rows``, ``columns`` (``letter``, ``title``, ``field``, ``how``,
    ``confidence``, ``samples``) and ``issues``. Files named but not read (unsupported type)
    are listed with ``readable`` False. Personal data in it is masked.

    Raises:
        UsageError: a path does not exist, or the mapping file is wrong.
    """
    schema = schema or load_schema()
    mapping = as_mapping(mapping, schema)
    limits = ReadLimits(read_hidden_sheets=read_hidden_sheets, mapping=mapping)
    found, input_issues = collect_inputs([Path(p) for p in paths])
    docs: list[dict[str, Any]] = []
    for issue in input_issues:  # files named that are not read at all
        if issue.severity == "error":
            docs.append({"file": issue.file, "format": "", "readable": False, "issues": [_issue(issue)], "sheets": []})
    for path, name in found:
        result = read_file(path, name, schema, limits)
        file_schema = mapping.schema_for(schema, name) if mapping else schema
        docs.append(_file_doc(result, file_schema))
    return docs


def _file_doc(result: FileResult, schema: Schema) -> dict[str, Any]:
    return {
        "file": result.file,
        "format": result.format,
        "readable": result.readable,
        "issues": [_issue(i) for i in result.issues],
        "sheets": [_sheet_doc(s, schema) for s in result.sheets],
    }


def _issue(issue: Issue) -> dict[str, Any]:
    params = json.loads(scrub(json.dumps(issue.params, ensure_ascii=False, default=str)))
    return {"code": issue.code, "severity": issue.severity, "sheet": issue.sheet, "column": scrub(issue.column),
            "params": params}


def _sheet_doc(table: SheetTable, schema: Schema) -> dict[str, Any]:
    rec = TitleRecogniser.for_schema(schema)
    data = table.data
    return {
        "sheet": table.sheet,
        "header_rows": list(table.header_rows),
        "first_data_row": data["source_row"][0] if data.height else None,
        "rows": data.height,
        "rows_skipped": table.rows_skipped,
        "columns": [_column_doc(c, table, schema, rec) for c in table.columns],
        "issues": [_issue(i) for i in table.issues],
    }


def _column_doc(col: SourceColumn, table: SheetTable, schema: Schema, rec: TitleRecogniser) -> dict[str, Any]:
    how, confidence = col.how, col.confidence
    if col.field is None and not how and rec.recognise(col.header).how == "ignored":
        how, confidence = "ignored", 1.0  # read before layout noted it: the mapping says abaikan
    values = table.data[col.key].drop_nulls().unique(maintain_order=True).head(SAMPLES).to_list()
    return {
        "letter": col.letter,
        "title": scrub(col.header),
        "field": col.field,
        "how": how if col.field or how == "ignored" else "",
        "confidence": round(confidence, 2) if col.field or how == "ignored" else 0.0,
        "samples": [sample(v, col.field, schema) for v in values],
    }


def sample(value: str, field: str | None, schema: Schema) -> str:
    """One value as ``slrt inspect`` may show it (the rule of the module docstring).

    Example:
        >>> s = load_schema()
        >>> sample("3201014508900001", "nik", s), sample("SITI AMINAH", "nama", s), sample("17/08/1990", "tanggal_lahir", s)
        ('320101******0001', 'S. A.', '99/99/9999')
    """
    fld = schema.fields.get(field) if field else None
    kind = fld.kind if fld else ""
    if kind == "id":
        shown = mask_id("".join(str(value).split()))
    elif kind == "name":
        shown = " ".join(w[:1].upper() + "." for w in str(value).split() if w[:1].isalnum())
    elif kind in _PLAIN_KINDS or field in _PLAIN_FIELDS:
        shown = str(value)
    else:
        shown = shape(value)
    shown = " ".join(shown.split())
    return scrub(shown if len(shown) <= _CUT else shown[: _CUT - 1] + "…")


def shape(value: str) -> str:
    """The kind of a value without the value: digits -> 9, letters -> A or a, the rest kept.

    Example:
        >>> shape("Jl. Mawar 12")
        'Aa. Aaaaa 99'
    """
    out = []
    for ch in str(value):
        if ch.isdigit():
            out.append("9")
        elif ch.isalpha():
            out.append("A" if ch.isupper() else "a")
        else:
            out.append(ch)
    return "".join(out)


def draft_mapping(docs: list[dict[str, Any]]) -> str:
    """A starting column-mapping file (TOML, :mod:`slrt_cli.io.mapping`) from :func:`inspect_files`.

    Every title found is listed once (case and spacing ignored) with the field it became;
    titles not recognised are written as comments, to be filled in or set to ``abaikan``.
    """
    lines = [
        "# Peta kolom slrt (draf dari `slrt inspect --draft-mapping`). Column mapping draft.",
        "# Judul kolom = nama field; \"abaikan\" = jangan dibaca sebagai field apa pun.",
        "# Baris berawalan # tidak dipakai: isi nama field-nya lalu hapus tanda # itu.",
        "# Pakai dengan: slrt validate --kolom <berkas ini> ...",
        "",
        "[kolom]",
    ]
    seen: dict[str, str | None] = {}
    for doc in docs:
        for sheet in doc["sheets"]:
            for col in sheet["columns"]:
                title = col["title"]
                if not title or col["how"] == "combined" or header_key(title) in seen:
                    continue  # combined: a part split from another column, whose own title is listed
                fld = IGNORE if col["how"] == "ignored" else col["field"]
                seen[header_key(title)] = fld
                where = f"{doc['file']}" + (f" / {sheet['sheet']}" if sheet["sheet"] else "") + f" {col['letter']}"
                if fld:
                    lines.append(f"{_toml(title)} = {_toml(fld)}  # {col['how']} {col['confidence']:.2f}; {where}")
                else:
                    lines.append(f"# {_toml(title)} = \"\"  # tidak dikenali / not recognised; {where}")
    return "\n".join(lines) + "\n"


def _toml(text: str) -> str:
    """A TOML basic string (JSON's escapes are valid TOML)."""
    return json.dumps(str(text), ensure_ascii=False)
