"""A readable description of the schema files, for ``slrt schema show``.

:func:`describe` turns ``schemas/`` (fields, column aliases, code lists) into
one plain document: JSON for scripts, and the rows of the operator's tables
(:func:`field_rows`, :func:`alias_rows`, :func:`code_rows`); the CLI only renders them.
"""

from __future__ import annotations

from typing import Any

from slrt_cli.schemas import CodeList, Schema, header_key, load_schema, value_key

#: How each field kind is described to an operator.
KIND_LABELS = {
    "id": {
        "id": "nomor identitas (teks)",
        "name": "nama orang",
        "date": "tanggal",
        "code": "kode (daftar)",
        "region": "kode wilayah Kemendagri",
        "rtrw": "nomor RT/RW",
        "flag": "ya/tidak",
        "int": "bilangan bulat",
        "text": "teks",
    },
    "en": {
        "id": "identifier (text)",
        "name": "person name",
        "date": "date",
        "code": "code (list)",
        "region": "Kemendagri region code",
        "rtrw": "RT/RW number",
        "flag": "yes/no",
        "int": "whole number",
        "text": "text",
    },
}

#: Column titles of the operator's tables.
HEADINGS = {
    "id": {
        "fields_title": "Kolom baku (skema {version})",
        "aliases_title": "Judul kolom lain yang dikenali",
        "field": "Kolom",
        "label": "Judul",
        "kind": "Jenis",
        "codelist": "Daftar kode",
        "aliases": "Judul lain yang dikenali",
        "help": "Penjelasan",
        "codes_title": "Daftar kode: {name}",
        "used_by": "dipakai oleh: {fields}",
        "code": "Kode",
        "code_label": "Label",
        "code_aliases": "Tulisan lain yang dikenali",
        "maps_to": "Menjadi kode",
        "required": "wajib",
        "identity": "identitas",
        "note": (
            "Judul kolom dicocokkan tanpa memperhatikan huruf besar/kecil, spasi dan tanda _ . / - ; "
            "isian berkode juga dikenali dari labelnya."
        ),
    },
    "en": {
        "fields_title": "Canonical fields (schema {version})",
        "aliases_title": "Other column titles recognised",
        "field": "Field",
        "label": "Title",
        "kind": "Kind",
        "codelist": "Code list",
        "aliases": "Other titles recognised",
        "help": "Explanation",
        "codes_title": "Code list: {name}",
        "used_by": "used by: {fields}",
        "code": "Code",
        "code_label": "Label",
        "code_aliases": "Other spellings recognised",
        "maps_to": "Becomes code",
        "required": "required",
        "identity": "identity",
        "note": (
            "Column titles are matched ignoring case, spaces and _ . / - ; "
            "coded values are also recognised by their label."
        ),
    },
}


def describe(schema: Schema | None = None) -> dict[str, Any]:
    """The schema as one JSON-able document (English keys).

    Returns:
        ``{"schema_version", "fields": [...], "codelists": [...]}``. Each field has
        ``name``, ``kind``, ``label_id``, ``label_en``, ``help_id``, ``required``,
        ``identity``, ``level``, ``codelist``, ``aliases`` (titles recognised, as
        written in ``aliases.csv``) and ``alias_codelists`` (aliases that read
        another code list, e.g. ``SHDK`` -> ``hubungan_shdk``). Each code list has
        ``name``, ``used_by`` and ``codes`` (``code``, ``label_id``, ``label_en``,
        ``aliases``, and ``maps_to`` where the list translates to another one).

    Example:
        >>> doc = describe()
        >>> [f["name"] for f in doc["fields"]][:3]
        ['household_id', 'keluarga_id', 'person_id']
    """
    schema = schema or load_schema()
    fields = [_field_doc(schema, name) for name in schema.fields]
    used: dict[str, list[str]] = {}
    for f in fields:
        for cl in [f["codelist"], *f["alias_codelists"].values()]:
            if cl and f["name"] not in used.setdefault(cl, []):
                used[cl].append(f["name"])
    codelists = [_codelist_doc(cl, used.get(name, [])) for name, cl in schema.codelists.items()]
    return {"schema_version": schema.version, "fields": fields, "codelists": codelists}


def _field_doc(schema: Schema, name: str) -> dict[str, Any]:
    f = schema.fields[name]
    own = {header_key(s) for s in (f.name, f.label_id, f.label_en)}
    aliases: list[str] = []
    overrides: dict[str, str] = {}
    seen = set(own)
    for row in schema.alias_rows:
        if row["field"] != name:
            continue
        key = header_key(row["alias"])
        if row.get("codelist"):
            overrides[row["alias"]] = row["codelist"]
        if key not in seen:
            seen.add(key)
            aliases.append(row["alias"])
    cl = schema.codelist_for(name)
    return {
        "name": f.name,
        "kind": f.kind,
        "label_id": f.label_id,
        "label_en": f.label_en,
        "help_id": f.help_id,
        "help_en": f.help_en,
        "required": f.required,
        "identity": f.identity,
        "level": f.level,
        "codelist": cl.name if cl else None,
        "aliases": aliases,
        "alias_codelists": overrides,
    }


def _codelist_doc(cl: CodeList, used_by: list[str]) -> dict[str, Any]:
    spellings: dict[str, list[str]] = {c: [] for c in cl.codes}
    for key, code in cl.lookup_table.items():
        spellings.setdefault(code, []).append(key)
    codes = []
    for code in cl.codes:
        own = {value_key(code), value_key(cl.labels_id[code]), value_key(cl.labels_en[code])}
        entry: dict[str, Any] = {
            "code": code,
            "label_id": cl.labels_id[code],
            "label_en": cl.labels_en[code],
            "aliases": [s for s in spellings[code] if s not in own],
        }
        if code in cl.maps_to:
            entry["maps_to"] = cl.maps_to[code]
        codes.append(entry)
    return {"name": cl.name, "used_by": used_by, "codes": codes}


def kind_label(kind: str, lang: str = "id") -> str:
    return KIND_LABELS.get(lang, KIND_LABELS["id"]).get(kind, kind)


def field_rows(doc: dict[str, Any], lang: str = "id") -> list[list[str]]:
    """One row per field for the operator's table: field, title, kind, code list[, explanation]."""
    h = HEADINGS[lang]
    rows = []
    for f in doc["fields"]:
        marks = [h[k] for k in ("required", "identity") if f[k]]
        kind = kind_label(f["kind"], lang) + (f"; {', '.join(marks)}" if marks else "")
        row = [f["name"], f["label_en"] if lang == "en" else f["label_id"], kind, f["codelist"] or ""]
        row.append(f["help_en"] or f["help_id"] if lang == "en" else f["help_id"])
        rows.append(row)
    return rows


def field_headings(lang: str = "id") -> list[str]:
    h = HEADINGS[lang]
    cols = [h["field"], h["label"], h["kind"], h["codelist"]]
    return cols + [h["help"]]


def alias_rows(doc: dict[str, Any]) -> list[list[str]]:
    """One row per field with aliases: field, the other titles recognised (``[list]`` = code list they read)."""
    rows = []
    for f in doc["fields"]:
        over = f["alias_codelists"]
        aliases = [a + (f" [{over[a]}]" if a in over else "") for a in f["aliases"]]
        if aliases:
            rows.append([f["name"], ", ".join(aliases)])
    return rows


def alias_headings(lang: str = "id") -> list[str]:
    h = HEADINGS[lang]
    return [h["field"], h["aliases"]]


def code_rows(codelist: dict[str, Any], lang: str = "id") -> list[list[str]]:
    """One row per code: code, label, other spellings[, code it becomes]."""
    maps = any("maps_to" in c for c in codelist["codes"])
    rows = []
    for c in codelist["codes"]:
        row = [c["code"], c["label_en"] if lang == "en" else c["label_id"], ", ".join(c["aliases"])]
        if maps:
            row.append(c.get("maps_to", ""))
        rows.append(row)
    return rows


def code_headings(codelist: dict[str, Any], lang: str = "id") -> list[str]:
    h = HEADINGS[lang]
    cols = [h["code"], h["code_label"], h["code_aliases"]]
    return cols + [h["maps_to"]] if any("maps_to" in c for c in codelist["codes"]) else cols
