"""A second source of village-file layouts: titles made from words, not picked from a list.

The ten sample styles and :func:`slrt_synth.styles.random_style` write only column titles
that ``layouts.HEADERS`` lists, so a reader tuned on them can look perfect and still fail on a
month made by someone else. This module makes files whose layout varies along axes taken from
words (``wild_words.toml``, built by hand from real templates' vocabulary and DOMAIN.md):

* titles recombined from per-field word sequences, with abbreviations (``NOMOR`` → ``NO.``),
  qualifiers (``NAMA ART``), bracketed hints (``(WAJIB 16 ANGKA)``, ``(HH-BB-TTTT)``,
  ``(L/P)``), numbering (``(3)``, ``3.``, ``3)``, ``Nama ART (3)``), exporter prefixes and
  suffixes (``kartu_nik``, ``nama_anggota``), line breaks inside titles, random case,
  separators and stray spaces;
* columns in random order, irrelevant extra columns (``AGAMA``, ``UMUR``, ``NO HP``, ...);
* key titles (NIK, No KK, name, birth date, sex) replaced by a bare questionnaire item number
  (``406``) or left blank, so only the content can tell (birth date then often an Excel serial);
* combined cells: place and date of birth (``BANTUL, 17-08-85``), ``RT/RW`` (``01/003``);
* an outcome column named ``KEBERADAAN`` / ``HASIL VERVAL`` / ``KET`` / ... holding words
  (``Ditemukan``, ``Tidak Ditemukan``, ``Usulan Baru``, ``Meninggal``, ``Pindah``);
* dates with a time part (``12/12/1982 0:00:00``), sex as ``male``/``female``, ``L``/``P``, ...;
* questionnaire headers of 3-4 rows (block / section / item number / title), title rows,
  numbering rows, an instructions sheet before the data sheet, a ``###`` end-of-data sentinel
  followed by ``Catatan:`` notes, blank rows;
* rows holding an outcome or a relationship but no name and no NIK (real data rows that a
  reader must report as rejected, not skip).

People, households, outcomes and value noise come from :class:`~slrt_synth.batch.BatchBuilder`
(the same synthetic population and the same noise as the usual generator), so the truth means
the same thing: ``truth.csv`` / ``truth.parquet`` (columns ``TRUTH_COLUMNS``: file, sheet, the
row as Excel shows it, register person and household, outcome, noise tags; a row is
deliberately unusable exactly when a tag starts with ``reject:``). ``files.json`` tells, per
file, which fields are in it and how their columns are titled (``word``, ``number``,
``blank``, ``combined``).

    python -m slrt_synth.wild --out DIR [--files 30] [--rows 3000] [--register-persons 100000] [--seed 9]

Synthetic people only; the same arguments give byte-identical files.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import sys
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from slrt_synth.batch import BatchBuilder, FilePlan, Record, missing_rows
from slrt_synth.generate import BATCH_DATE, MONTH, SNAPSHOT, Written, _folder, _prepare
from slrt_synth.layouts import MONTH_VARIANTS, MONTHS, FileStyle, SheetGrid, excel_serial
from slrt_synth.population import Population, build_population
from slrt_synth.writers import (
    TRUTH_COLUMNS,
    write_register_parquet,
    write_truth_csv,
    write_truth_parquet,
    write_village_file,
)

WILD_SEED = 9
WORDS_FILE = Path(__file__).with_name("wild_words.toml")

#: Fields that may lose their title (bare item number or blank): only the content tells.
KEY_FIELDS = ("nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin")
#: Questionnaire sections of each column kind.
SECTION = {
    "nik": "identity", "no_kk": "identity", "nama": "identity", "tanggal_lahir": "identity",
    "tempat_lahir": "identity", "ttl": "identity", "jenis_kelamin": "demography", "hub_kk": "demography",
    "status_kawin": "demography", "pekerjaan": "demography", "nama_ibu_kandung": "demography",
    "alamat": "address", "rt": "address", "rw": "address", "rtrw": "address",
    "status_verivali": "outcome", "alasan": "outcome", "no": "identity", "extra": "other",
}
_SECTION_ORDER = ("identity", "demography", "address", "outcome", "other")
#: Canonical fields each column kind carries (the combined ones carry two).
CARRIES = {"ttl": ("tempat_lahir", "tanggal_lahir"), "rtrw": ("rt", "rw")}


def load_words(path: Path = WORDS_FILE) -> dict:
    with path.open("rb") as fh:
        return tomllib.load(fh)


@dataclass
class WildCol:
    """One column: its kind (a field, ``ttl``, ``rtrw``, ``no`` or ``extra``) and its title.

    ``mode`` is ``word`` (a title made of words), ``number`` (a bare item number) or ``blank``.
    """

    kind: str
    title: str | None
    mode: str = "word"
    item: str = ""  # questionnaire item label
    extra: str = ""  # title of an extra column (its value list in the vocabulary)


@dataclass
class WildFile:
    """Everything drawn for one file (its look), before rows are rendered."""

    name: str
    fmt: str
    columns: list[WildCol]
    sheet_name: str
    header: str  # flat, questionnaire
    q_rows: tuple[str, ...] = ()  # questionnaire header rows: block, section, item, title
    block: str = ""
    sections: dict[str, str] = field(default_factory=dict)
    title_rows: tuple[str, ...] = ()
    numbering_row: bool = False
    blank_after_header: bool = False
    instructions: tuple[str, list[str]] | None = None
    sentinel_notes: list[str] = field(default_factory=list)
    blank_rows: float = 0.0
    date_fmt: str = "cell"
    ttl_fmt: str = "dmy-"
    ttl_sep: str = ", "
    sex_fmt: str = "LP"
    rel_fmt: str = "label"
    kawin_fmt: str = "label"
    rtrw_fmt: str = "001"
    rtrw_join: str = "{rt:02d}/{rw:03d}"
    nbsp: bool = False  # no-break space after values (an exporter's habit)
    status_only_rows: int = 0
    style: FileStyle | None = None  # what BatchBuilder and the writers need

    def fields_present(self) -> dict[str, dict]:
        """Canonical field -> {title, mode} for every field whose values are in the file."""
        out: dict[str, dict] = {}
        for c in self.columns:
            for f in CARRIES.get(c.kind, (c.kind,)):
                if f in ("no", "extra"):
                    continue
                mode = "combined" if c.kind in CARRIES else c.mode
                out[f] = {"title": c.title, "mode": mode, "item": c.item}
        return out


# ---- titles ----------------------------------------------------------------------------
class TitleMaker:
    """Column titles from words, with one file's habits (case, separator, abbreviations...)."""

    def __init__(self, words: dict, rng: random.Random):
        self.w = words
        self.rng = rng
        r = rng.random
        self.case = rng.choices(("upper", "lower", "title", "asis", "mixed"), (40, 18, 22, 10, 10))[0]
        self.sep = rng.choices((" ", "_", ".", ""), (70, 22, 4, 4))[0]
        self.p_abbrev = rng.choice((0.0, 0.15, 0.4, 0.7))
        self.p_qual = rng.choice((0.0, 0.1, 0.25))
        self.p_hint = rng.choice((0.0, 0.0, 0.15, 0.35, 0.6))
        self.p_break = rng.choice((0.0, 0.0, 0.2, 0.5))
        self.p_stray = 0.0 if r() < 0.7 else 0.3
        self.exporter = ""
        self.exporter_suffix = ""
        if r() < 0.15:
            self.exporter = rng.choice(words["exporter"]["prefixes"])
            self.case, self.sep, self.p_break, self.p_hint = "lower", "_", 0.0, 0.0
        elif r() < 0.08:
            self.exporter_suffix = rng.choice(words["exporter"]["suffixes"])
            self.case, self.sep, self.p_break = "lower", "_", 0.0
        self.numbering = ""
        if r() < 0.2:
            self.numbering = rng.choice(words["numbering"]["before"] + words["numbering"]["after"])

    def _case(self, s: str) -> str:
        case = self.case if self.rng.random() > 0.1 else self.rng.choice(("upper", "title", "lower"))
        if case == "upper":
            return s.upper()
        if case == "lower":
            return s.lower()
        if case == "title":
            return s.title()
        if case == "mixed":
            return "".join(ch.upper() if self.rng.random() < 0.5 else ch.lower() for ch in s)
        return s[:1].upper() + s[1:].lower()

    def words_for(self, kind: str) -> str:
        """The title body: a core of the field's words, abbreviated, qualified, cased, joined."""
        rng = self.rng
        spec = self.w["field"][kind]
        tokens = rng.choice(spec["cores"]).split(" ")
        abbrev = self.w["abbrev"]
        tokens = [rng.choice(abbrev[t]) if t in abbrev and rng.random() < self.p_abbrev else t for t in tokens]
        if spec["qualifiers"] and rng.random() < self.p_qual:
            q = rng.choice(spec["qualifiers"])
            if q not in tokens:
                tokens.extend(q.split(" "))
        sep = self.sep
        parts: list[str] = []
        for t in tokens:
            if t in ("/", ",") and parts:
                parts[-1] += rng.choice(("/", " / ")) if t == "/" else ","
                continue
            if parts and parts[-1].endswith(("/", " / ", ",")):
                parts[-1] += (" " if parts[-1].endswith(",") else "") + t
                continue
            parts.append(t)
        if sep == "" and any(len(p) > 3 for p in parts[1:]):  # CamelCase when glued
            parts = [p[:1].upper() + p[1:].lower() for p in parts]
            body = "".join(parts)
        else:
            body = self._case(sep.join(parts))
        if self.p_break and len(parts) > 1 and sep == " " and rng.random() < self.p_break:
            pos = [i for i, ch in enumerate(body) if ch == " "]
            for i in rng.sample(pos, k=rng.randint(1, len(pos))):
                body = body[:i] + "\n" + body[i + 1:]
        return body

    def title(self, kind: str, number: int) -> str:
        rng = self.rng
        spec = self.w["field"][kind]
        body = self.words_for(kind)
        if self.exporter:
            body = self.exporter + body
        elif self.exporter_suffix and kind != "no":
            body = body + self.exporter_suffix
        elif rng.random() < 0.04 and kind != "no":  # one column kept its exporter's prefix
            body = rng.choice(self.w["exporter"]["prefixes"]) + body.lower().replace(" ", "_")
        if spec["hints"] and rng.random() < self.p_hint:
            hint = rng.choice(spec["hints"])
            body += ("\n" if rng.random() < 0.3 else " ") + hint
        if self.numbering and kind != "no":
            label = self.numbering.format(n=number)
            body = body + label if self.numbering.startswith(" ") else f"{label} {body}"
        if rng.random() < self.p_stray:
            body = rng.choice((body + " ", " " + body, body + "  ", body.replace(" ", "  ", 1)))
        return body


# ---- one file's look -------------------------------------------------------------------
def draw_file(words: dict, rng: random.Random, name_base: str, desa: str, kec: str) -> WildFile:
    """Draw the look of one file (columns, titles, header, extras) from ``rng``."""
    r = rng.random
    fmt = rng.choices(("xlsx", "csv", "xls"), (74, 19, 7))[0]
    tm = TitleMaker(words, rng)
    kinds: list[str] = ["nik", "nama"]
    if r() < 0.65:
        kinds.append("no_kk")
    birth = rng.choices(("ttl", "date_place", "date"), (22, 40, 38))[0]
    kinds += {"ttl": ["ttl"], "date_place": ["tempat_lahir", "tanggal_lahir"], "date": ["tanggal_lahir"]}[birth]
    for k, p in (("jenis_kelamin", 0.85), ("hub_kk", 0.75), ("status_kawin", 0.2), ("pekerjaan", 0.25),
                 ("nama_ibu_kandung", 0.25), ("alamat", 0.75), ("status_verivali", 0.9), ("alasan", 0.3)):
        if r() < p:
            kinds.append(k)
    x = r()
    if x < 0.25:
        kinds.append("rtrw")
    elif x < 0.75:
        kinds += ["rt", "rw"]
    extras = rng.sample(sorted(words["extra"]), k=rng.choice((0, 0, 1, 2, 3, 5)))
    header = "questionnaire" if fmt != "csv" and r() < 0.25 else "flat"
    if header == "questionnaire":  # a form: sections in order, shuffled inside a section
        rng.shuffle(kinds)
        kinds.sort(key=lambda k: _SECTION_ORDER.index(SECTION[k]))
    elif r() < 0.6:
        rng.shuffle(kinds)
    else:  # the usual order with a few neighbours swapped
        for _ in range(rng.randint(0, 3)):
            i = rng.randrange(len(kinds) - 1)
            kinds[i], kinds[i + 1] = kinds[i + 1], kinds[i]
    has_no = r() < 0.6
    all_kinds = (["no"] if has_no else []) + kinds + ["extra"] * len(extras)
    if extras and header == "flat" and r() < 0.5:  # extras among the data columns
        rng.shuffle(all_kinds)
        if has_no:
            all_kinds.remove("no")
            all_kinds.insert(0, "no")
    block = rng.randint(3, 5)
    item_fmt = rng.choice(words["questionnaire"]["items"])
    p_number = rng.choice((0.0, 0.0, 0.0, 0.15, 0.4)) if header == "flat" else rng.choice((0.0, 0.3, 0.6))
    cols: list[WildCol] = []
    extra_iter = iter(extras)
    status_title_is_ket = False
    for n, kind in enumerate(all_kinds, 1):
        item = item_fmt.format(b=block, i=n)
        if kind == "extra":
            title = next(extra_iter)
            cols.append(WildCol("extra", tm._case(title), extra=title, item=item))
            continue
        title = tm.title(kind, n)
        mode = "word"
        if kind in KEY_FIELDS:
            p_num = p_number * (0.3 if kind == "nama" else 1.0)
            p_blank = 0.05 if kind != "nama" else 0.02
            y = r()
            if y < p_num:
                mode = "number"
            elif y < p_num + p_blank:
                mode = "blank"
        if kind == "alasan" and status_title_is_ket and title.strip().upper().startswith("KET"):
            title = tm._case("ALASAN")
        if kind == "status_verivali" and title.strip().upper().startswith("KET"):
            status_title_is_ket = True
        if mode == "number":
            title = item if header == "flat" else None
        elif mode == "blank":
            title = None
        cols.append(WildCol(kind, title, mode, item=item))
    style = FileStyle(name="", fmt=fmt, columns=[])
    if fmt == "csv":
        style.delimiter, style.encoding, style.newline = rng.choice(
            ((";", "cp1252", "\r\n"), (",", "utf-8-sig", "\r\n"), (",", "utf-8-sig", "\n"), ("|", "utf-8", "\n"),
             ("\t", "utf-8", "\r\n"), (";", "utf-8-sig", "\r\n")))
        style.decimal = "," if style.delimiter == ";" else "."
        style.sci_nik = 0.05 if r() < 0.2 else 0.0
    style.id_numeric = fmt != "csv" and r() < 0.06
    style.apostrophe_nik = 0.1 if r() < 0.1 else 0.0
    style.date_cell_format = rng.choice(("dd/mm/yyyy", "dd-mm-yyyy", "d mmmm yyyy", "yyyy-mm-dd", "dd/mm/yyyy h:mm"))
    ext = {"xlsx": ".xlsx", "xls": ".xls", "csv": rng.choice((".csv", ".csv", ".txt"))}[fmt]
    stem = rng.choice((
        "VERVAL_{d}_{i}", "data_warga_{d}_{i}", "Lampiran {i} - {D}", "export_{i}_{d}", "HASIL VERIFIKASI {D} {i}",
        "kpm_{d}_{i}", "Form Verivali {D} ({i})", "{d}_{i}_final", "dtsen_{d}_{i}",
    ))
    name = stem.format(d=name_base.lower(), D=name_base.upper().replace("_", " "), i=rng.randint(1, 999)) + ext
    date_fmt = rng.choices(
        ("cell", "serial", "dmy_time", "iso_time", "dmy-", "dmy/", "long", "iso", "mixed"),
        (30, 8, 12, 6, 10, 10, 10, 6, 8))[0]
    if any(c.kind == "tanggal_lahir" and c.mode != "word" for c in cols) and r() < 0.6:
        date_fmt = "serial"  # a bare "406": the content is an Excel serial
    sheet = rng.choice(("Sheet1", "data", "DATA", "Data Warga", "Peserta", "VERVAL", name_base.upper()[:25], "Lembar1"))
    wf = WildFile(
        name=name, fmt=fmt, columns=cols, sheet_name=sheet, header=header, style=style,
        date_fmt=date_fmt, ttl_fmt=rng.choice(("yy", "dmy-", "dmy/", "long")),
        ttl_sep=rng.choice((", ", ", ", ",", " / ", " ")),
        sex_fmt=rng.choice(sorted(words["sex_words"])), rel_fmt=rng.choice(("label", "label", "code")),
        kawin_fmt=rng.choice(("label", "code")), rtrw_fmt=rng.choice(("1", "01", "001")),
        rtrw_join=rng.choice(("{rt:02d}/{rw:03d}", "{rt:03d}/{rw:03d}", "{rt}/{rw}", "{rt:02d}/{rw:02d}",
                              "{rt:03d} / {rw:03d}")),
        nbsp=r() < 0.05, blank_rows=0.01 if r() < 0.25 else 0.0,
        status_only_rows=rng.choice((0, 0, 1, 1, 2)),
    )
    n_title = rng.choices((0, 1, 2, 3), (35, 25, 25, 15))[0]
    if n_title:
        lines = [rng.choice(words["titles"]["lines"]), f"DESA {desa.upper()} KECAMATAN {kec.upper()}", f"BULAN {MONTH}"]
        wf.title_rows = tuple(lines[:n_title])
    if header == "questionnaire":
        wf.q_rows = rng.choice((("block", "section", "item", "title"), ("block", "item", "title"),
                                ("section", "item", "title"), ("block", "section", "item"),
                                ("block", "section", "title", "item")))
        if "title" not in wf.q_rows:  # no title row: the numbers are the titles
            for c in cols:
                if c.kind != "extra":
                    c.mode, c.title = "number", None
        wf.block = rng.choice(words["questionnaire"]["blocks"]).format(B=("III", "IV", "V")[block - 3])
        wf.sections = {s: tm._case(rng.choice(v)) for s, v in sorted(words["questionnaire"]["sections"].items())}
    wf.numbering_row = header == "flat" and r() < 0.2
    wf.blank_after_header = r() < 0.05
    if fmt != "csv" and r() < 0.3:
        wf.instructions = (rng.choice(words["instructions"]["sheet_names"]),
                           rng.sample(words["instructions"]["lines"], k=rng.randint(3, 7)))
    if r() < 0.35:
        wf.sentinel_notes = ["###", "Catatan:"] + rng.sample(words["notes"]["lines"], k=rng.randint(1, 3))
    return wf


# ---- values ----------------------------------------------------------------------------
def _date_text(d: dt.date, fmt: str, rng: random.Random) -> str:
    if fmt == "dmy_time":
        return f"{d.day:02d}/{d.month:02d}/{d.year} 0:00:00"
    if fmt == "iso_time":
        return f"{d.isoformat()} 00:00:00"
    if fmt == "dmy/":
        return f"{d.day:02d}/{d.month:02d}/{d.year}"
    if fmt == "iso":
        return d.isoformat()
    if fmt == "yy":
        if 1940 <= d.year <= 2015:
            return f"{d.day:02d}-{d.month:02d}-{d.year % 100:02d}"
        return f"{d.day:02d}-{d.month:02d}-{d.year}"
    if fmt == "long":
        month = MONTHS[d.month - 1]
        if d.month in MONTH_VARIANTS and rng.random() < 0.3:
            month = rng.choice(MONTH_VARIANTS[d.month])
        return f"{d.day} {month.upper() if rng.random() < 0.5 else month} {d.year}"
    return f"{d.day:02d}-{d.month:02d}-{d.year}"


def _date_cell(d: dt.date, wf: WildFile, rng: random.Random) -> object:
    fmt = wf.date_fmt
    if fmt == "mixed":
        fmt = rng.choice(("cell", "dmy_time", "dmy-", "long", "iso"))
    if fmt == "cell":
        return d if wf.fmt != "csv" else _date_text(d, "dmy-", rng)
    if fmt == "serial":
        return excel_serial(d) if wf.fmt != "csv" else str(excel_serial(d))
    return _date_text(d, fmt, rng)


def _text(v: object, wf: WildFile) -> object:
    if wf.fmt == "csv" and v is not None and not isinstance(v, str):
        v = str(v)
    if wf.nbsp and isinstance(v, str) and v:
        v += "\xa0"
    return v


def render_row(wf: WildFile, words: dict, rec: Record, k: int, rng: random.Random, operator: str) -> list:
    """The cells of one record."""
    obs = rec.obs
    out: list = []
    for c in wf.columns:
        kind = c.kind
        v: object = None
        if kind == "no":
            v = k
        elif kind == "extra":
            vals = words["extra"][c.extra]
            v = rng.choice(vals)
            if v == "@phone":
                v = "08" + "".join(rng.choice("0123456789") for _ in range(rng.randint(9, 11)))
            elif v == "@age":
                v = int(rec.person.get("age") or 0)
            elif v == "@operator":
                v = operator
            v = v if v != "" else None
        elif kind in ("nik", "no_kk"):
            v = obs.get(kind)
            if wf.style.id_numeric and isinstance(v, str) and v.isdigit() and len(v) >= 12:
                v = float(int(v[:15] + "0" * (len(v) - 15))) if len(v) > 15 else float(int(v))
        elif kind == "tanggal_lahir":
            d = obs.get("tanggal_lahir")
            v = _date_cell(d, wf, rng) if isinstance(d, dt.date) else d
        elif kind == "ttl":
            place, d = obs.get("tempat_lahir"), obs.get("tanggal_lahir")
            date_s = _date_text(d, wf.ttl_fmt, rng) if isinstance(d, dt.date) else d
            v = wf.ttl_sep.join(s for s in (place, date_s) if s) or None
        elif kind == "jenis_kelamin":
            s = obs.get("jenis_kelamin")
            v = words["sex_words"][wf.sex_fmt][s - 1] if isinstance(s, int) else s
            if wf.sex_fmt == "code" and wf.fmt != "csv" and isinstance(v, str) and v.isdigit():
                v = int(v)
        elif kind == "hub_kk":
            h = obs.get("hub_kk")
            if isinstance(h, int):
                if wf.rel_fmt == "code":
                    v = h
                else:
                    labels = words["relation_words"][str(h)]
                    if h == 2:
                        v = labels[0] if obs.get("_sex") == 2 else labels[1]
                    elif h == 6:
                        v = labels[0] if obs.get("_parent_of_head", True) else labels[1]
                    else:
                        v = rng.choice(labels)
        elif kind == "status_kawin":
            s = obs.get("status_kawin")
            if isinstance(s, int):
                v = s if wf.kawin_fmt == "code" else ("BELUM KAWIN", "KAWIN", "CERAI HIDUP", "CERAI MATI")[s - 1]
        elif kind in ("rt", "rw"):
            s = obs.get(kind)
            if s:
                n = int(s)
                v = {"1": n, "01": f"{n:02d}", "001": f"{n:03d}"}[wf.rtrw_fmt]
        elif kind == "rtrw":
            rt, rw = obs.get("rt"), obs.get("rw")
            if rt and rw:
                v = wf.rtrw_join.format(rt=int(rt), rw=int(rw))
        elif kind == "status_verivali":
            v = rng.choice(words["status_words"][rec.status])
        else:
            v = obs.get(kind)
        if v == "":
            v = None
        out.append(_text(v, wf))
    return out


def _status_only(rec: Record) -> None:
    """Keep the outcome and relationship of a row; remove who it is (a row to reject, not skip)."""
    for f in ("nik", "no_kk", "nama", "tanggal_lahir", "tempat_lahir", "nama_ibu_kandung", "pekerjaan", "alamat",
              "alasan"):
        rec.obs[f] = None
    rec.noise[:] = [t for t in rec.noise if not t.startswith(("nik:", "date:", "name:"))]
    rec.noise += ["nik:missing", "date:missing", "row:status_only", "reject:NAME_MISSING"]


# ---- grids -----------------------------------------------------------------------------
def _header(wf: WildFile) -> tuple[list[list], list[tuple[int, int, int, int]]]:
    """Header rows and their merges (0-based, relative to the first header row)."""
    cols = wf.columns
    n = len(cols)
    if wf.header == "flat":
        return [[c.title for c in cols]], []
    rows: list[list] = []
    merges: list[tuple[int, int, int, int]] = []
    for kind in wf.q_rows:
        r = len(rows)
        if kind == "block":
            rows.append([wf.block] + [None] * (n - 1))
            merges.append((r, 0, r, n - 1))
        elif kind == "section":
            row: list = []
            i = 0
            while i < n:
                sec = SECTION[cols[i].kind]
                j = i
                while j < n and SECTION[cols[j].kind] == sec:
                    j += 1
                row += [wf.sections[sec]] + [None] * (j - i - 1)
                if j - i > 1:
                    merges.append((r, i, r, j - 1))
                i = j
            rows.append(row)
        elif kind == "item":
            rows.append([c.item for c in cols])
        else:
            rows.append([c.title for c in cols])
    return rows, merges


def lay_out(wf: WildFile, rows: list[list], rng: random.Random) -> list[SheetGrid]:
    """Sheets of one file; ``data_rows`` of the data sheet says where each record landed."""
    n = len(wf.columns)
    sheets: list[SheetGrid] = []
    csv = wf.fmt == "csv"
    if wf.instructions and not csv:
        name, lines = wf.instructions
        sheets.append(SheetGrid(name=name, rows=[[ln] for ln in lines]))
    g = SheetGrid(name=wf.sheet_name)
    for t in wf.title_rows:
        if not csv:
            g.merges.append((len(g.rows), 0, len(g.rows), n - 1))
        g.rows.append([t] + [None] * (n - 1))
    if wf.title_rows and rng.random() < 0.5:
        g.rows.append([])
    head, merges = _header(wf)
    top = len(g.rows)
    if not csv:
        g.merges.extend((r1 + top, c1, r2 + top, c2) for r1, c1, r2, c2 in merges)
    g.header_rows = tuple(range(top + 1, top + len(head) + 1))
    g.rows.extend(head)
    if wf.numbering_row:
        g.rows.append([str(i) if csv else i for i in range(1, n + 1)])
    if wf.blank_after_header:
        g.rows.append([])
    no_col = next((i for i, c in enumerate(wf.columns) if c.kind == "no"), None)
    for k, row in enumerate(rows):
        row = list(row)
        if no_col is not None:
            row[no_col] = _text(k + 1, wf)
        g.rows.append(row)
        g.data_rows.append((k, len(g.rows)))
        if wf.blank_rows and rng.random() < wf.blank_rows and k < len(rows) - 1:
            g.rows.append([])
    if wf.sentinel_notes:
        g.rows.extend([[ln] + [None] * (n - 1) for ln in wf.sentinel_notes])
    sheets.append(g)
    return sheets


# ---- a month -----------------------------------------------------------------------------
def _pick_desa(builder: BatchBuilder, files: int, rng: random.Random) -> list[str]:
    rich = sorted((d for d, hh in builder.hh_by_desa.items() if len(hh) >= 15), key=lambda d: d)
    pool = rich or sorted(builder.hh_by_desa)
    rng.shuffle(pool)
    out = pool[:files]
    while len(out) < files:  # more files than desa: second files of the same desa
        out.append(pool[len(out) % len(pool)])
    return out


def generate_wild(out: Path, files: int = 30, rows: int = 3000, register_persons: int = 100_000,
                  seed: int = WILD_SEED, kab: str = "3201", pop: Population | None = None,
                  pop_seed: int | None = None, write_register: bool = True, overwrite: bool = False) -> Written:
    """Write a month of "wild" village files with truth (see the module docstring).

    Args:
        out: output folder (``register/``, ``desa/``, ``truth.*``, ``truth_missing.*``, ``files.json``).
        files, rows: number of files and data rows in all of them.
        register_persons, kab, pop_seed: the register (``build_population(kab, register_persons,
            pop_seed or seed, SNAPSHOT)``), unless ``pop`` is given.
        seed: drives the files (layouts, households drawn, noise).
        write_register: write ``register/dtks.parquet``.

    Example:
        >>> generate_wild(Path("/tmp/wild"), files=10, rows=600, register_persons=20000)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    out = Path(out)
    _prepare(out, overwrite)
    (out / "files.json").unlink(missing_ok=True)
    if pop is None:
        pop = build_population(kab, register_persons, pop_seed if pop_seed is not None else seed, SNAPSHOT)
    geo = pop.geo
    words = load_words()
    rng = random.Random(seed * 7919 + 1)
    render_rng = random.Random(seed * 7919 + 2)
    builder = BatchBuilder(pop, seed + 100, BATCH_DATE, level=1.0)
    desa_of_file = _pick_desa(builder, files, rng)
    weights = [rng.lognormvariate(0, 0.5) for _ in range(files)]
    sizes = [max(3, int(rows * w / sum(weights))) for w in weights]
    sizes[0] = max(3, sizes[0] + rows - sum(sizes))
    written = Written(out=out, register_persons=len(pop), register_households=pop.n_households)
    missing: list[dict] = []
    info: list[dict] = []
    used_names: set[str] = set()
    for i, (desa, n) in enumerate(zip(desa_of_file, sizes)):
        base = geo.desa[desa].replace(" ", "_")
        wf = draw_file(words, rng, base, geo.desa[desa], geo.kecamatan[desa[:6]])
        while wf.name.lower() in used_names:
            wf.name = f"{i:03d}_{wf.name}"
        used_names.add(wf.name.lower())
        wf.style.name = wf.name
        rel = f"{_folder(geo.kecamatan[desa[:6]])}/{wf.name}"
        plan = FilePlan(rel_path=rel, desa=desa, style=wf.style)
        builder.fill(plan, n, missing)
        kinds = {c.kind for c in wf.columns}
        if "status_verivali" in kinds or "hub_kk" in kinds:
            clean = [j for j, rec in enumerate(plan.records)
                     if not any(t.startswith("reject:") for t in rec.noise) and "duplicate" not in rec.noise]
            for j in rng.sample(clean, k=min(wf.status_only_rows, len(clean))):
                _status_only(plan.records[j])
        else:
            wf.status_only_rows = 0
        operator = builder.shard.names.name("SUNDA", rng.randint(1, 2), 1994)
        cells = [render_row(wf, words, rec, k + 1, render_rng, operator) for k, rec in enumerate(plan.records)]
        sheets = lay_out(wf, cells, render_rng)
        write_village_file(out / "desa" / rel, wf.style, sheets)
        data = sheets[-1]
        for k, row_no in data.data_rows:
            rec = plan.records[k]
            written.truth.append({
                "source_file": rel, "source_sheet": "" if wf.fmt == "csv" else data.name, "source_row": row_no,
                "person_id": rec.person_id, "household_id": rec.household_id, "truth_status": rec.status,
                "noise": ";".join(rec.noise),
            })
        entry = {
            "path": rel, "format": wf.fmt, "desa": desa, "sheet": "" if wf.fmt == "csv" else data.name,
            "sheets": [g.name for g in sheets] if wf.fmt != "csv" else [""],
            "delimiter": wf.style.delimiter if wf.fmt == "csv" else "",
            "encoding": wf.style.encoding if wf.fmt == "csv" else "",
            "columns": [c.kind for c in wf.columns],
            "header": wf.header, "header_rows": list(data.header_rows), "rows": len(plan.records),
            "fields": wf.fields_present(), "extra_columns": [c.extra for c in wf.columns if c.kind == "extra"],
            "sentinel": bool(wf.sentinel_notes), "instructions_sheet": bool(wf.instructions),
            "status_only_rows": wf.status_only_rows, "date_fmt": wf.date_fmt, "sex_fmt": wf.sex_fmt,
        }
        info.append(entry)
        written.files.append(entry)
        plan.records = []
    if write_register:
        write_register_parquet(out / "register" / "dtks.parquet", pop.df, geo)
    written.truth.sort(key=lambda r: (r["source_file"], r["source_sheet"], r["source_row"]))
    write_truth_csv(out / "truth.csv", written.truth)
    write_truth_parquet(out / "truth.parquet", written.truth, TRUTH_COLUMNS)
    written.missing = missing_rows(missing, {r["person_id"] for r in written.truth})
    write_truth_csv(out / "truth_missing.csv", written.missing)
    write_truth_parquet(out / "truth_missing.parquet", written.missing, ("person_id", "household_id", "kode_desa"))
    (out / "files.json").write_text(json.dumps(info, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest = {"kind": "wild", "seed": seed, "kab": kab, "files": files, "rows": rows,
                "register_persons": len(pop), "data_rows_written": written.data_rows}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    written.seconds["total"] = time.perf_counter() - t0
    return written


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m slrt_synth.wild", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--files", type=int, default=30)
    p.add_argument("--rows", type=int, default=3000)
    p.add_argument("--register-persons", type=int, default=100_000)
    p.add_argument("--seed", type=int, default=WILD_SEED)
    p.add_argument("--kab", default="3201")
    p.add_argument("--overwrite", action="store_true")
    a = p.parse_args(argv)
    try:
        w = generate_wild(a.out, files=a.files, rows=a.rows, register_persons=a.register_persons, seed=a.seed,
                          kab=a.kab, overwrite=a.overwrite)
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"{w.out}: {len(w.files)} wild files, {w.data_rows} data rows, register {w.register_persons} persons; "
          f"{w.seconds['total']:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
