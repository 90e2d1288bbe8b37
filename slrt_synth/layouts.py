"""File styles of village files and how a record becomes a row of cells.

A :class:`FileStyle` says what one village's file looks like: format, title
rows, header spellings (all taken from ``schemas/aliases.csv``), two-row
headers, numbering row, how dates, sex, relations, RT/RW and outcomes are
written, a totals/signature block, blank rows, extra sheets.

:func:`layout` turns rendered records into :class:`SheetGrid` objects (plain
rows of cells) and records, for every record, the sheet and the row number a
reader reports (1-based, title and header rows counted). The writers in
:mod:`slrt_synth.writers` only dump grids.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

from slrt_synth import noise as nz

#: Fields that identify a person: notes rows never hold a value in these columns.
IDENTITY = frozenset(("nik", "no_kk", "nama", "tanggal_lahir"))

MONTHS = ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September",
          "Oktober", "November", "Desember")
MONTH_VARIANTS = {2: ("Pebruari", "Feb"), 8: ("Agust", "Ags", "Agu"), 10: ("Okt",), 11: ("Nopember", "Nov"),
                  12: ("Des",), 1: ("Jan",), 9: ("Sept", "Sep")}

# header spellings per field (each is an alias in schemas/aliases.csv or a field label)
HEADERS = {
    "nik": ("NIK", "NIK", "NIK", "NOMOR NIK", "No KTP", "NIK_KTP", "NO NIK", "NIK ART"),
    "no_kk": ("NO KK", "NOKK", "NOMOR KK", "No. Kartu Keluarga", "NKK", "NO KK"),
    "nama": ("NAMA", "NAMA", "NAMA LENGKAP", "Nama Lengkap", "NAMA_LGKP", "NAMA ART", "NAMA ANGGOTA KELUARGA"),
    "tanggal_lahir": ("TGL LAHIR", "TANGGAL LAHIR", "TglLahir", "TGL_LHR", "TANGGAL_LAHIR"),
    "tempat_lahir": ("TEMPAT LAHIR", "TMP LAHIR", "TmpLahir", "TMPT_LHR"),
    "jenis_kelamin": ("JENIS KELAMIN", "L/P", "JK", "JnsKel", "SEX", "jenkel"),
    "hub_krt": ("Hub_KRT", "HUBUNGAN DENGAN KRT"),
    "hub_kk": ("HUB KELUARGA", "HUBUNGAN KELUARGA", "HUBUNGAN", "Hubkel", "HUB KK"),
    "hub_kk_shdk": ("SHDK", "STAT_HBKEL"),
    "status_kawin": ("STATUS KAWIN", "STATUS PERKAWINAN", "STAT_KWN", "Sta_kawin"),
    "pekerjaan": ("PEKERJAAN", "JENIS_PKRJN", "PEKERJAAN"),
    "nama_ibu_kandung": ("NAMA IBU KANDUNG", "IBU KANDUNG", "NAMA IBU"),
    "alamat": ("ALAMAT", "ALAMAT", "ALAMAT LENGKAP"),
    "dusun": ("DUSUN",),
    "rt": ("RT", "RT", "NO RT", "NO_RT"),
    "rw": ("RW", "RW", "NO RW", "NO_RW"),
    "household_id": ("IDBDT", "ID DTKS", "ID BDT"),
    "person_id": ("IDARTBDT", "ID ART"),
    "status_verivali": ("STATUS", "HASIL VERIVALI", "STATUS VERIVALI", "HASIL VERIFIKASI"),
    "status_keberadaan": ("KEBERADAAN", "Sta_keberadaan_art"),
    "alasan": ("KETERANGAN", "KET", "ALASAN"),
    "nama_desa": ("DESA", "NAMA DESA"),
}
EXTRA_HEADERS = {"no": ("NO", "No", "NO."), "ket_lain": ("KETERANGAN LAIN",), "paraf": ("PARAF",),
                 "hp": ("NO HP",)}

SEX_FORMATS = {
    "LP": ("L", "P"), "12": (1, 2), "word": ("LAKI-LAKI", "PEREMPUAN"), "word_title": ("Laki-laki", "Perempuan"),
    "LK_PR": ("LK", "PR"),
}
REL_LABEL = {1: ("KEPALA KELUARGA", "KEPALA RUMAH TANGGA", "KK"), 2: ("ISTRI", "SUAMI"), 3: ("ANAK",),
             4: ("MENANTU",), 5: ("CUCU",), 6: ("ORANG TUA", "MERTUA"), 7: ("PEMBANTU",), 8: ("FAMILI LAIN", "LAINNYA")}
SHDK_LABEL = {1: "KEPALA KELUARGA", 2: "SUAMI", 3: "ISTRI", 4: "ANAK", 5: "MENANTU", 6: "CUCU", 7: "ORANG TUA",
              8: "MERTUA", 9: "FAMILI LAIN", 10: "PEMBANTU", 11: "LAINNYA"}
KAWIN_LABEL = {1: ("BELUM KAWIN",), 2: ("KAWIN", "KAWIN TERCATAT"), 3: ("CERAI HIDUP",), 4: ("CERAI MATI",)}
STATUS_LABEL = {
    "DITEMUKAN": ("DITEMUKAN", "DITEMUKAN", "ADA", "TINGGAL DI RUTA", "Ditemukan"),
    "MENINGGAL": ("MENINGGAL", "MENINGGAL DUNIA", "Meninggal"),
    "PINDAH": ("PINDAH", "PINDAH ALAMAT", "TIDAK TINGGAL DI RUTA"),
    "TIDAK_DITEMUKAN": ("TIDAK DITEMUKAN", "TDK DITEMUKAN"),
    "MAMPU": ("MAMPU", "SUDAH MAMPU"),
    "USULAN_BARU": ("USULAN BARU", "BARU", "USULAN"),
    "ANGGOTA_BARU": ("ANGGOTA BARU", "ART BARU", "TAMBAH ANGGOTA"),
}
#: Sta_keberadaan_art codes (schemas/codes/keberadaan_art.csv). The list has no code for a new
#: household: operators write 4 (anggota baru); the truth keeps USULAN_BARU.
KEBERADAAN_CODE = {"DITEMUKAN": 1, "MENINGGAL": 2, "PINDAH": 3, "ANGGOTA_BARU": 4, "USULAN_BARU": 4,
                   "TIDAK_DITEMUKAN": 6}


@dataclass(frozen=True)
class Col:
    """One column of a village file.

    ``field`` is the canonical field (None for an extra column, whose kind is
    ``extra``); ``group`` the upper title of a two-row header ("" when the
    title spans both header rows).
    """

    field: str | None
    header: str
    group: str = ""
    extra: str = ""
    codelist: str = ""  # "shdk" or "keberadaan" when the header implies another code list


@dataclass
class FileStyle:
    """How one village file looks. See the module docstring."""

    name: str
    fmt: str  # xlsx, xls, csv
    columns: list[Col]
    delimiter: str = ","
    encoding: str = "utf-8"
    newline: str = "\r\n"
    title: tuple[str, ...] = ()
    blank_after_title: bool = False
    numbering: bool = False
    sheet_name: str = "Sheet1"
    by_rw: bool = False  # one data sheet per RW
    notes_sheet: bool = False
    trailer: bool = False
    blank_rows: float = 0.0  # chance of a blank row after a data row
    id_numeric: bool = False  # NIK / No KK typed as numbers (Excel keeps 15 digits)
    date_fmt: str = "cell"
    date_cell_format: str = "dd/mm/yyyy"
    sex_fmt: str = "LP"
    rel_fmt: str = "label"  # label, code
    kawin_fmt: str = "label"  # label, code
    rtrw_fmt: str = "001"  # 1, 01, 001, mixed, address
    status_fmt: str = "text"  # text, keberadaan
    new_households: bool = True
    rejects: tuple[str, ...] = ()  # deliberate rejections placed in this file (sample)
    sci_nik: float = 0.0  # CSV: share of NIKs saved by Excel in scientific notation
    apostrophe_nik: float = 0.0  # share of NIKs typed with a leading '
    decimal: str = "."

    @property
    def fields(self) -> set[str]:
        return {c.field for c in self.columns if c.field}

    @property
    def two_row_header(self) -> bool:
        return any(c.group for c in self.columns)


@dataclass
class SheetGrid:
    """Rows of one sheet as written: cells are str, int, float, date or None; ``[]`` is an empty line."""

    name: str
    rows: list[list] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # 0-based r1, c1, r2, c2
    header_rows: tuple[int, ...] = ()  # 1-based
    data_rows: list[tuple[int, int]] = field(default_factory=list)  # (record index, 1-based row)


@dataclass
class FileContext:
    """Names used in titles and the signature block."""

    desa: str
    kecamatan: str
    kabupaten: str
    month: str  # "OKTOBER 2025"
    sign_date: str  # "20 Oktober 2025"
    kades: str
    operator: str


# ---- value rendering -----------------------------------------------------------
def excel_serial(d: dt.date) -> int:
    """Excel 1900-system serial, with its phantom 29-02-1900."""
    base = dt.date(1899, 12, 30) if d >= dt.date(1900, 3, 1) else dt.date(1899, 12, 31)
    return (d - base).days


def format_date(d: dt.date, fmt: str, rng: random.Random, text_only: bool) -> object:
    """Write ``d`` in format ``fmt`` (a cell value: date, int serial or text)."""
    if fmt == "mixed":
        fmt = rng.choice(("dmy-", "dmy-", "long", "long", "iso", "dmy_short", "nospace", "dmy/"))
    elif fmt == "cell_serial":
        fmt = "cell" if rng.random() < 0.6 else "serial"
    elif fmt == "cell_text":
        fmt = "cell" if rng.random() < 0.8 else rng.choice(("dmy-", "long"))
    if fmt == "cell":
        return f"{d.day:02d}-{d.month:02d}-{d.year}" if text_only else d
    if fmt == "serial":
        return str(excel_serial(d)) if text_only else excel_serial(d)
    if fmt == "dmy/":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if fmt == "dmy_short":
        return f"{d.day}-{d.month}-{d.year}"
    if fmt == "yy":
        if 1940 <= d.year <= 2015:
            return f"{d.day:02d}/{d.month:02d}/{d.year % 100:02d}"
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if fmt == "iso":
        return d.isoformat()
    if fmt in ("long", "nospace"):
        month = MONTHS[d.month - 1]
        if d.month in MONTH_VARIANTS and rng.random() < 0.3:
            month = rng.choice(MONTH_VARIANTS[d.month])
        if rng.random() < 0.5:
            month = month.upper()
        return f"{d.day:02d} {month}{'' if fmt == 'nospace' else ' '}{d.year}"
    return f"{d.day:02d}-{d.month:02d}-{d.year}"  # dmy-


def format_rtrw(value: str, fmt: str, rng: random.Random, text_only: bool) -> object:
    n = int(value)
    if fmt == "mixed":
        fmt = rng.choice(("1", "01", "001"))
    if fmt == "1":
        return str(n) if text_only else n
    if fmt == "01":
        return f"{n:02d}"
    return f"{n:03d}"


def address_with_rtrw(alamat: str, rt: str, rw: str, rng: random.Random) -> str:
    t, w = int(rt), int(rw)
    return rng.choice((
        f"{alamat} RT {t:02d} RW {w:02d}", f"{alamat} RT.{t:03d}/RW.{w:03d}", f"{alamat} RT {t}/{w}",
        f"{alamat}, RT {t:03d} RW {w:03d}",
    ))


def render_cell(col: Col, obs: dict, style: FileStyle, rng: random.Random, row_no: int) -> object:
    """The cell of column ``col`` for a record whose observed values are ``obs``."""
    text_only = style.fmt == "csv"
    f = col.field
    if f is None:
        if col.extra == "no":
            return row_no
        if col.extra == "ket_lain":
            return obs.get("_ket_lain")
        return None
    v = obs.get(f)
    if v is None or v == "":
        return None
    if f in ("nik", "no_kk"):
        if style.id_numeric and isinstance(v, str) and v.isdigit() and len(v) >= 12:
            return nz.excel_number(v)
        return v
    if f == "tanggal_lahir":
        return format_date(v, style.date_fmt, rng, text_only) if isinstance(v, dt.date) else v
    if f == "jenis_kelamin":
        if isinstance(v, int):
            out = SEX_FORMATS[style.sex_fmt][v - 1]
            return str(out) if text_only else out
        return v
    if f in ("hub_krt", "hub_kk"):
        if col.codelist == "shdk":
            code = obs["shdk"]
            return (str(code) if text_only else code) if style.rel_fmt == "code" else SHDK_LABEL[code]
        if style.rel_fmt == "code":
            return str(v) if text_only else v
        labels = REL_LABEL[v]
        if v == 2:
            return labels[0] if obs.get("_sex") == 2 else labels[1]
        if v == 6:
            return labels[0] if obs.get("_parent_of_head", True) else labels[1]
        return labels[0] if len(labels) == 1 or rng.random() < 0.8 else labels[1]
    if f == "status_kawin":
        if style.kawin_fmt == "code":
            return str(v) if text_only else v
        return KAWIN_LABEL[v][0] if rng.random() < 0.85 else KAWIN_LABEL[v][-1]
    if f in ("rt", "rw"):
        return format_rtrw(v, style.rtrw_fmt, rng, text_only)
    if f == "alamat" and style.rtrw_fmt == "address" and obs.get("rt") and obs.get("rw"):
        return address_with_rtrw(v, obs["rt"], obs["rw"], rng)
    if f == "status_verivali":
        if col.codelist == "keberadaan":
            code = KEBERADAAN_CODE[v]
            return str(code) if text_only else code
        return rng.choice(STATUS_LABEL[v])
    return v


# ---- grids -----------------------------------------------------------------------
def _header_rows(style: FileStyle) -> tuple[list[list], list[tuple[int, int, int, int]]]:
    cols = style.columns
    if not style.two_row_header:
        return [[c.header for c in cols]], []
    upper: list = []
    lower: list = []
    merges = []
    i = 0
    while i < len(cols):
        c = cols[i]
        if not c.group:
            upper.append(c.header)
            lower.append(None)
            merges.append((0, i, 1, i))
            i += 1
            continue
        j = i
        while j < len(cols) and cols[j].group == c.group:
            upper.append(c.group if j == i else None)
            lower.append(cols[j].header)
            j += 1
        if j - i > 1:
            merges.append((0, i, 0, j - 1))
        i = j
    return [upper, lower], merges


def _trailer(style: FileStyle, ctx: FileContext, n_rows: int) -> list[list]:
    """Totals and signature rows: text only in columns that identify nobody."""
    ncol = len(style.columns)
    safe = [i for i, c in enumerate(style.columns) if c.field not in IDENTITY]
    first, last = safe[0], safe[-1]

    def row(**cells: str) -> list:
        r: list = [None] * ncol
        for key, text in cells.items():
            r[first if key == "a" else last] = text
        return r

    return [
        [],
        row(a=f"JUMLAH : {n_rows} JIWA"),
        [],
        row(b=f"{ctx.kecamatan.title()}, {ctx.sign_date}"),
        row(a="Mengetahui,", b="Operator Desa"),
        row(a=f"Kepala Desa {ctx.desa.title()}"),
        [],
        [],
        row(a=f"( {ctx.kades} )", b=f"( {ctx.operator} )"),
    ]


def layout(style: FileStyle, rows: list[list], rws: list[str], ctx: FileContext, rng: random.Random) -> list[SheetGrid]:
    """Lay rendered data rows out on sheets.

    Args:
        style: the file's style.
        rows: one list of cells per record, in record order.
        rws: each record's RW (used when the style splits sheets by RW).
        ctx: names for titles and the signature block.
        rng: random source (blank rows).

    Returns:
        The sheets; ``data_rows`` tells where each record landed.
    """
    groups: list[tuple[str, list[int]]]
    if style.by_rw:
        by: dict[str, list[int]] = {}
        for i, rw in enumerate(rws):
            by.setdefault(rw, []).append(i)
        groups = [(f"RW {rw}", idx) for rw, idx in sorted(by.items())]
    else:
        groups = [(style.sheet_name, list(range(len(rows))))]
    ncol = len(style.columns)
    sheets = []
    for name, idx in groups:
        g = SheetGrid(name=name)
        for t in style.title:
            if style.fmt != "csv":
                g.merges.append((len(g.rows), 0, len(g.rows), ncol - 1))
            g.rows.append([t] + [None] * (ncol - 1))
        if style.blank_after_title and style.title:
            g.rows.append([])
        header, merges = _header_rows(style)
        top = len(g.rows)
        g.merges.extend((r1 + top, c1, r2 + top, c2) for r1, c1, r2, c2 in merges)
        g.header_rows = tuple(range(top + 1, top + len(header) + 1))
        g.rows.extend(header)
        if style.numbering:
            g.rows.append(list(range(1, ncol + 1)) if style.fmt != "csv" else [str(i) for i in range(1, ncol + 1)])
        no_col = next((i for i, c in enumerate(style.columns) if c.extra == "no"), None)
        for k, i in enumerate(idx, 1):
            row = list(rows[i])
            if no_col is not None:
                row[no_col] = k if style.fmt != "csv" else str(k)
            g.rows.append(row)
            g.data_rows.append((i, len(g.rows)))
            if style.blank_rows and rng.random() < style.blank_rows and k < len(idx):
                g.rows.append([])
        if style.trailer:
            g.rows.extend(_trailer(style, ctx, len(idx)))
        sheets.append(g)
    if style.notes_sheet and style.fmt != "csv":
        notes = SheetGrid(name="Catatan")
        notes.rows = [
            ["Catatan pelaksanaan verivali:"],
            [f"1. Data diambil dari prelist DTKS desa {ctx.desa.title()} bulan {ctx.month.title()}."],
            ["2. Warga yang pindah sudah dikonfirmasi ketua RT setempat."],
            ["3. Usulan baru sudah dibahas dalam musyawarah desa."],
            [],
            [f"Petugas: {ctx.operator}"],
        ]
        sheets.append(notes)
    return sheets
