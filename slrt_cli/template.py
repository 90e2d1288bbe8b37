"""The entry template for Puskesos/desa operators (``slrt template``), built from the schema files.

One workbook, written with xlsxwriter:

- **Data Verivali**: one column per field of :data:`TEMPLATE_FIELDS`, headed by the
  field's label (an alias slrt recognises), with an input message from ``help_id``;
  NIK/No KK/ID/RT/RW columns formatted as text (``@``), NIK and No KK with a
  16-character length validation, the birth date as a date cell with a date
  validation (1900 to today), dropdown lists for coded fields (from
  ``schemas/codes/``), frozen header.
- With a kabupaten: the *Desa/Kelurahan* column is a dropdown of its desa
  (``Karadenan (Kec. Cibinong)``) and *Kode Desa/Kelurahan* is filled by a formula
  from that choice.
- **Petunjuk**: how to fill it in, and every column explained.
- **daftar** (hidden): the lists. A list longer than 255 characters (Excel's limit
  for a list typed into the validation) points at its range here; shorter ones are
  written into the validation itself.

The sheets are built so that slrt reads only *Data Verivali* as data (the
instructions and lists have no row that looks like a header): a file filled in
with this template imports with no warnings. The validations, formats and the
hidden sheet survive a re-save with openpyxl or Excel.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from collections.abc import Sequence
from pathlib import Path

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name, xl_rowcol_to_cell

from slrt_cli import reference
from slrt_cli.atomic import atomic_write
from slrt_cli.errors import UsageError
from slrt_cli.schemas import Field, Schema, load_schema

#: The columns of the template, in order (canonical field names of ``schemas/fields.toml``).
TEMPLATE_FIELDS = (
    "household_id", "person_id", "nama_desa", "kode_desa", "alamat", "dusun", "rt", "rw",
    "no_kk", "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin", "hub_kk",
    "status_kawin", "pekerjaan", "nama_ibu_kandung", "status_verivali", "alasan",
)
DEFAULT_ROWS = 1000
MAX_INLINE_LIST = 255  # Excel: a list typed into a validation holds at most 255 characters
_TEXT_KINDS = ("id", "name", "text", "rtrw", "region", "code")
_WIDTHS = {"id": 20, "name": 28, "date": 14, "code": 20, "rtrw": 6, "region": 14, "text": 22, "int": 8, "flag": 10}
_GUIDE_WIDTHS = (34, 70, 50)
_WIDE = {"alamat": 32, "alasan": 32, "nama_desa": 34, "pekerjaan": 20}

TEXTS = {
    "id": {
        "data_sheet": "Data Verivali",
        "guide_sheet": "Petunjuk",
        "list_sheet": "daftar",
        "title": "Petunjuk pengisian templat verivali (slrt)",
        "steps": [
            ("Isi satu baris per orang di lembar '{data}', mulai baris 2. Jangan mengubah judul kolom di baris 1 "
             "dan jangan menambah baris judul atau baris jumlah."),
            ("Tulis setiap anggota keluarga pada barisnya sendiri dengan Nomor KK yang sama; tepat satu orang per KK "
             "berhubungan 'Kepala'."),
            ("NIK dan Nomor KK: 16 digit, diketik sebagai teks. Jangan menempel dari kolom angka: Excel mengubah "
             "digit terakhir menjadi 0."),
            "Tanggal lahir: tanggal sungguhan (dd/mm/yyyy), bukan teks.",
            "Kolom berpilihan (panah di sel): pilih dari daftar, jangan mengetik sendiri.",
            "Wajib diisi: Nama Lengkap, dan NIK atau Tanggal Lahir. Kolom lain diisi bila diketahui.",
            "Berkas ini berisi data pribadi (UU 27/2022 PDP): simpan dan kirim hanya melalui saluran resmi.",
        ],
        "step_desa": "Desa/Kelurahan: pilih nama desa dari daftar ({kab}); Kode Desa/Kelurahan terisi otomatis.",
        "made_by": "Dibuat oleh slrt {version}, skema {schema}.",
        "columns": ["Kolom", "Penjelasan", "Isian yang sah"],
        "choose_list": "Pilih dari daftar: {values}",
        "choose_desa": "Pilih dari daftar desa {kab}",
        "auto": "Terisi otomatis dari kolom Desa/Kelurahan; jangan diisi.",
        "id16": "16 digit, diketik sebagai teks",
        "date_rule": "Tanggal antara 01/01/1900 dan hari ini",
        "rtrw_rule": "1-3 angka, contoh 001",
        "err_title": "Isian tidak sah",
        "err_id16": "{label} harus 16 digit (ketik sebagai teks).",
        "err_date": "Isi tanggal lahir yang benar (dd/mm/yyyy), tidak di masa depan.",
        "err_list": "Pilih salah satu isian dari daftar.",
        "err_rtrw": "RT/RW berisi 1-3 angka, contoh 001.",
        "desa_entry": "{desa} (Kec. {kec})",
    },
    "en": {
        "data_sheet": "Verification data",
        "guide_sheet": "Instructions",
        "list_sheet": "lists",
        "title": "How to fill in the verification template (slrt)",
        "steps": [
            ("One row per person on sheet '{data}', from row 2. Do not change the column titles in row 1 and do not "
             "add title or total rows."),
            ("Write every family member on a row of their own with the same family card number; exactly one person per "
             "family card is the 'Head'."),
            ("NIK and family card number: 16 digits, typed as text. Do not paste them from a number column: Excel turns "
             "the last digit into 0."),
            "Date of birth: a real date (dd/mm/yyyy), not text.",
            "Columns with a list (arrow in the cell): pick from the list, do not type.",
            "Required: full name, and NIK or date of birth. Fill in the other columns when known.",
            "This file holds personal data (Law 27/2022): keep it safe and send it through official channels only.",
        ],
        "step_desa": "Village: pick the village from the list ({kab}); the village code fills itself in.",
        "made_by": "Made by slrt {version}, schema {schema}.",
        "columns": ["Column", "Explanation", "Valid entries"],
        "choose_list": "Pick from the list: {values}",
        "choose_desa": "Pick from the village list of {kab}",
        "auto": "Filled in from the Village column; do not type.",
        "id16": "16 digits, typed as text",
        "date_rule": "A date between 01/01/1900 and today",
        "rtrw_rule": "1-3 digits, e.g. 001",
        "err_title": "Invalid entry",
        "err_id16": "{label} must have 16 digits (type it as text).",
        "err_date": "Enter a real date of birth (dd/mm/yyyy), not in the future.",
        "err_list": "Pick one of the entries in the list.",
        "err_rtrw": "RT/RW has 1-3 digits, e.g. 001.",
        "desa_entry": "{desa} (Kec. {kec})",
    },
}


@dataclass
class TemplateInfo:
    """What :func:`build_template` wrote."""

    path: Path
    fields: list[str]
    headers: list[str]
    kabupaten: str | None = None
    kabupaten_name: str | None = None
    desa: int = 0
    lists: dict[str, str] = field(default_factory=dict)  # field -> "inline" or the range on the hidden sheet


def desa_choices(kabupaten: str, lang: str = "id") -> list[tuple[str, str]]:
    """``(entry shown in the dropdown, desa code)`` for every desa of ``kabupaten``, sorted by entry.

    Example:
        >>> ("Karadenan (Kec. Cibinong)", "3201011002") in desa_choices("3201")
        True
    """
    regions = reference.regions_in_kabupaten(kabupaten)
    fmt = TEXTS[lang]["desa_entry"]
    out = []
    for code, region in regions.items():
        if region.level == "desa":
            kec = regions.get(code[:6])
            out.append((fmt.format(desa=region.name, kec=kec.name if kec else code[:6]), code))
    return sorted(out)


def resolve_kabupaten(text: str) -> str:
    """A current Kemendagri kabupaten/kota code (``3201``, ``32.01``) as 4 plain digits.

    Raises:
        UsageError: not a current kabupaten/kota code.

    Example:
        >>> resolve_kabupaten("32.01")
        '3201'
    """
    code = reference.plain_code(str(text).strip())
    if code not in reference.kabupaten():
        raise UsageError("error_bad_option", option="--kabupaten", value=text,
                         allowed="kode kabupaten/kota Kemendagri 4 digit, mis. 3201 / a 4-digit code, e.g. 3201")
    return code


def build_template(
    path: Path,
    *,
    kabupaten: str | None = None,
    lang: str = "id",
    schema: Schema | None = None,
    rows: int = DEFAULT_ROWS,
    fields: Sequence[str] | None = None,
    choices: dict[str, list[str]] | None = None,
    texts: dict | None = None,
) -> TemplateInfo:
    """Write the entry template to ``path`` (an ``.xlsx``; replaced atomically if it exists).

    Args:
        path: the workbook to write.
        kabupaten: Kemendagri code (``3201`` or ``32.01``): the desa dropdown lists its desa.
        lang: "id" (Bahasa Indonesia) or "en": headers, lists and instructions.
        schema: schema files (default: the bundled ones).
        rows: data rows prepared with validations (and the desa code formula).
        fields: the columns, in order (default: the verivali template's); e.g. the SLRT desk's log.
        choices: dropdown lists for fields without a code list (field -> values), e.g. the desk's categories.
        texts: texts of :data:`TEXTS` replaced (sheet names, title, steps), e.g. for the desk's log.

    Returns:
        A :class:`TemplateInfo`.

    Raises:
        UsageError: unknown ``kabupaten`` or ``lang``.

    Example:
        >>> build_template(Path("templat.xlsx"), kabupaten="3201")   # doctest: +SKIP
    """
    if lang not in TEXTS:
        raise UsageError("error_bad_option", option="--lang", value=lang, allowed="id, en")
    schema = schema or load_schema()
    kab = resolve_kabupaten(kabupaten) if kabupaten else None
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # a blank template holds no personal data: shareable (0644)
    info = atomic_write(path, lambda tmp: _write(tmp, schema, kab, lang, rows, fields, choices, texts), mode=0o644)
    info.path = path
    return info


class _Builder:
    def __init__(self, path: Path, schema: Schema, kab: str | None, lang: str, rows: int,
                 fields: Sequence[str] | None = None, choices: dict[str, list[str]] | None = None,
                 texts: dict | None = None) -> None:
        self.schema, self.kab, self.lang, self.rows = schema, kab, lang, rows
        self.choices = choices or {}
        self.tx = {**TEXTS[lang], **(texts or {})}
        self.fields = [schema.fields[f] for f in (fields or TEMPLATE_FIELDS) if f in schema.fields]
        self.wb = xlsxwriter.Workbook(str(path))
        self.fmt = self._formats()
        self.data = self.wb.add_worksheet(self.tx["data_sheet"])
        self.guide = self.wb.add_worksheet(self.tx["guide_sheet"])
        self.lists = self.wb.add_worksheet(self.tx["list_sheet"])
        self.list_col = 0
        self.info = TemplateInfo(path, [f.name for f in self.fields], [f.label(lang) for f in self.fields], kab)
        if kab:
            self.info.kabupaten_name = reference.kabupaten()[kab].name

    def _formats(self) -> dict:
        wb = self.wb
        head = {"bold": True, "text_wrap": True, "valign": "top", "border": 1, "bg_color": "#DDEBF7"}
        return {
            "head": wb.add_format(head),
            "head_required": wb.add_format({**head, "bg_color": "#F8CBAD"}),
            "head_auto": wb.add_format({**head, "bg_color": "#E7E6E6", "italic": True}),
            "text": wb.add_format({"num_format": "@"}),
            "auto": wb.add_format({"num_format": "@", "bg_color": "#F2F2F2", "font_color": "#595959"}),
            "date": wb.add_format({"num_format": "dd/mm/yyyy"}),
            "plain": wb.add_format({}),
            "title": wb.add_format({"bold": True, "font_size": 14}),
            "wrap": wb.add_format({"text_wrap": True, "valign": "top"}),
            "guide_head": wb.add_format({"bold": True, "border": 1, "bg_color": "#DDEBF7"}),
        }

    def build(self) -> TemplateInfo:
        for col, fld in enumerate(self.fields):
            self._column(col, fld)
        self.data.freeze_panes(1, 0)
        self.data.set_row(0, 45)
        self.data.activate()
        for sheet in (self.data, self.guide):  # printed: landscape, one page wide, header on every page
            sheet.set_landscape()
            sheet.set_paper(9)  # A4
            sheet.fit_to_pages(1, 0)
        self.data.repeat_rows(0)
        self._guide()
        self.lists.hide()
        self.wb.set_properties({"title": self.tx["title"], "author": "slrt", "comments": self._made_by()})
        self.wb.close()
        return self.info

    # ---------------------------------------------------------------- data sheet

    def _column(self, col: int, fld: Field) -> None:
        auto = fld.name == "kode_desa" and self.kab is not None
        head = self.fmt["head_auto" if auto else "head_required" if fld.required else "head"]
        self.data.write_string(0, col, fld.label(self.lang), head)
        cell_fmt = self.fmt["auto"] if auto else self.fmt["date"] if fld.kind == "date" else (
            self.fmt["text"] if fld.kind in _TEXT_KINDS else self.fmt["plain"])
        width = _WIDE.get(fld.name, _WIDTHS.get(fld.kind, 16))
        self.data.set_column(col, col, max(width, min(len(fld.label(self.lang)) * 0.9, 30)), cell_fmt)
        rng = f"{xl_col_to_name(col)}2:{xl_col_to_name(col)}{self.rows + 1}"
        if auto:
            self._desa_code_formulas(col)
        self.data.data_validation(rng, self._validation(fld, auto))

    def _validation(self, fld: Field, auto: bool) -> dict:
        tx = self.tx
        message = tx["auto"] if auto else fld.help(self.lang)
        v: dict = {"validate": "any"}
        if auto:
            pass
        elif fld.kind == "id" and fld.id_type in ("nik", "kk"):
            v = {"validate": "length", "criteria": "==", "value": 16,
                 "error_message": tx["err_id16"].format(label=fld.label(self.lang))}
            message = f"{message} ({tx['id16']})" if tx["id16"] not in message else message
        elif fld.kind == "date":
            v = {"validate": "date", "criteria": "between", "minimum": dt.date(1900, 1, 1), "maximum": "=TODAY()",
                 "error_message": tx["err_date"]}
            message = f"{message} {tx['date_rule']}."
        elif fld.kind == "rtrw":
            v = {"validate": "length", "criteria": "between", "minimum": 1, "maximum": 3, "error_message": tx["err_rtrw"]}
        elif fld.name == "nama_desa" and self.kab:
            v = {"validate": "list", "source": self._desa_list(), "error_message": tx["err_list"]}
            message = tx["choose_desa"].format(kab=self.info.kabupaten_name)
        elif fld.name in self.choices:
            values = self.choices[fld.name]
            v = {"validate": "list", "source": self._list_source(fld.name, values), "error_message": tx["err_list"]}
            message = tx["choose_list"].format(values=", ".join(values))
        elif fld.kind == "code" and (cl := self.schema.codelist_for(fld.name)):
            labels = cl.labels_en if self.lang == "en" else cl.labels_id
            values = [labels[c] for c in cl.codes]
            v = {"validate": "list", "source": self._list_source(fld.name, values), "error_message": tx["err_list"]}
            message = tx["choose_list"].format(values=", ".join(values))
        if v["validate"] != "any":
            v["error_title"] = tx["err_title"]
        v["input_title"] = _clip(fld.label(self.lang), 32)
        v["input_message"] = _clip(message, 255)
        return v

    def _list_source(self, name: str, values: list[str]) -> list[str] | str:
        inline = sum(len(v) for v in values) + len(values) - 1 <= MAX_INLINE_LIST
        if inline and not any("," in v or '"' in v for v in values):
            self.info.lists[name] = "inline"
            return values
        return self._put_list(name, [values])

    def _desa_list(self) -> str:
        choices = desa_choices(self.kab, self.lang)
        self.info.desa = len(choices)
        self._desa_code_col = self.list_col + 1
        return self._put_list("nama_desa", [[c[0] for c in choices], [c[1] for c in choices]])

    def _put_list(self, name: str, columns: list[list[str]]) -> str:
        """Write list columns on the hidden sheet; return the absolute range of the first one."""
        sheet = self.tx["list_sheet"]
        first = self.list_col
        for values in columns:
            self.lists.write_string(0, self.list_col, f"daftar_{name}_{self.list_col - first + 1}")
            for i, value in enumerate(values, start=1):
                self.lists.write_string(i, self.list_col, value, self.fmt["text"])
            self.lists.set_column(self.list_col, self.list_col, max(12, min(max(map(len, values)), 45)))
            self.list_col += 1
        n = len(columns[0])
        top, bottom = xl_rowcol_to_cell(1, first, True, True), xl_rowcol_to_cell(n, first, True, True)
        ref = f"={sheet}!{top}:{bottom}"
        self.info.lists[name] = ref[1:]
        return ref

    def _desa_code_formulas(self, col: int) -> None:
        """Kode Desa/Kelurahan = the code next to the chosen entry on the hidden sheet."""
        name_col = self.info.fields.index("nama_desa")
        sheet = self.tx["list_sheet"]
        first_cell = self.info.lists["nama_desa"].split("!")[1].split(":")[0]
        code_last = xl_rowcol_to_cell(self.info.desa, self._desa_code_col, True, True)
        table = f"{sheet}!{first_cell}:{code_last}"
        for r in range(1, self.rows + 1):
            ref = xl_rowcol_to_cell(r, name_col)
            self.data.write_formula(
                r, col, f'=IF({ref}="","",IFERROR(VLOOKUP({ref},{table},2,FALSE),""))', self.fmt["auto"], ""
            )

    # ---------------------------------------------------------------- instructions

    def _guide(self) -> None:
        g, tx = self.guide, self.tx
        for col, width in enumerate(_GUIDE_WIDTHS):
            g.set_column(col, col, width)
        g.write_string(0, 0, tx["title"], self.fmt["title"])
        steps = [s.format(data=tx["data_sheet"]) for s in tx["steps"]]
        if self.kab:
            steps.insert(4, tx["step_desa"].format(kab=self.info.kabupaten_name))
        row = 2
        for i, step in enumerate(steps, start=1):
            self._guide_row(row, [f"{i}.", step])
            row += 1
        row += 1
        for c, title in enumerate(tx["columns"]):
            g.write_string(row, c, title, self.fmt["guide_head"])
        for fld in self.fields:
            row += 1
            self._guide_row(row, [fld.label(self.lang), fld.help(self.lang), self._allowed(fld)])
        g.write_string(row + 2, 0, self._made_by())

    def _guide_row(self, row: int, texts: list[str]) -> None:
        """Write wrapped cells and size the row (spreadsheets do not grow rows for wrapped text written by code)."""
        lines = 1
        for col, text in enumerate(texts):
            self.guide.write_string(row, col, text, self.fmt["wrap"])
            lines = max(lines, -(-len(text) // int(_GUIDE_WIDTHS[col] * 1.1)))
        self.guide.set_row(row, 15 * lines)

    def _allowed(self, fld: Field) -> str:
        tx = self.tx
        if fld.name == "kode_desa" and self.kab:
            return tx["auto"]
        if fld.name == "nama_desa" and self.kab:
            return tx["choose_desa"].format(kab=self.info.kabupaten_name)
        if fld.kind == "id" and fld.id_type in ("nik", "kk"):
            return tx["id16"]
        if fld.kind == "date":
            return tx["date_rule"]
        if fld.kind == "rtrw":
            return tx["rtrw_rule"]
        cl = self.schema.codelist_for(fld.name) if fld.kind == "code" else None
        if cl:
            labels = cl.labels_en if self.lang == "en" else cl.labels_id
            return ", ".join(labels[c] for c in cl.codes)
        return ""

    def _made_by(self) -> str:
        from slrt_cli import __version__

        text = self.tx["made_by"].format(version=__version__, schema=self.schema.version)
        if self.kab:
            text += f" {self.info.kabupaten_name} ({self.kab})."
        return text


def _write(path: Path, schema: Schema, kab: str | None, lang: str, rows: int, fields=None, choices=None,
           texts=None) -> TemplateInfo:
    return _Builder(path, schema, kab, lang, rows, fields, choices, texts).build()


def _clip(text: str, n: int) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"
