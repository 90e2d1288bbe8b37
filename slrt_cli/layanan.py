"""The SLRT desk (meja layanan): needs, situations and referral follow-up of the Puskesos service log.

Pure functions over polars frames; the reading, matching and writing are wired by
:mod:`slrt_cli.desk`. The code lists are data under ``schemas/layanan/``:

- ``fields.toml`` / ``aliases.csv``: the desk's columns (visit date, complaint, category,
  programme, office, referral status and dates), added to the canonical fields only when a
  service log is read (:func:`desk_schema`): verivali files are read as before;
- ``kategori.csv``: categories with the keywords that mark them in free text, and the programme
  and office that fit; ``program.csv``: programmes with the register's receipt flag;
  ``rujukan.csv``: offices with their spellings; ``status.csv``: referral statuses;
- ``layanan.toml``: overdue days, the NIK issues that send a person to Disdukcapil first.

Situations (``situasi``, stable codes): ``bukan_dtks`` (not in the register: a proposal),
``sudah_menerima`` (in the register and receiving the programme that fits), ``belum_menerima``
(in the register, not receiving it), ``perlu_adminduk`` (no usable NIK: Disdukcapil first),
``lainnya`` (in the register, no programme fits the need), ``ditolak`` (the row cannot
identify a person: rejected by validation, with the reason).
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import hashlib
import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from slrt_cli.schemas import Field, Schema, header_key, schemas_dir, value_key

SITUATIONS = ("bukan_dtks", "sudah_menerima", "belum_menerima", "perlu_adminduk", "lainnya", "ditolak")
OTHER = "lainnya"
KEYS = ["source_file", "source_sheet", "source_row"]
DESK_FIELDS = ("tanggal_kunjungan", "keluhan", "kategori", "program", "rujukan_ke", "status_rujukan",
               "tanggal_rujukan", "tanggal_selesai")
#: the remembered referrals (state folder ``layanan_rujukan.parquet``)
REFERRAL_SCHEMA = {
    "visit_key": pl.Utf8, "person_key": pl.Utf8, "person_id": pl.Utf8, "nik_masked": pl.Utf8,
    "nama_desa": pl.Utf8, "kategori": pl.Utf8, "program": pl.Utf8, "rujukan_ke": pl.Utf8,
    "dibuka": pl.Date, "status": pl.Utf8, "ditutup": pl.Date, "ditutup_oleh": pl.Utf8, "source_file": pl.Utf8,
    "source_row": pl.Int64,
}


def desk_dir() -> Path:
    return schemas_dir() / "layanan"


# ---------------------------------------------------------------- code lists


@dataclass(frozen=True)
class DeskCodes:
    """The desk's code lists (``schemas/layanan/``)."""

    kategori: dict[str, dict[str, str]]
    program: dict[str, dict[str, str]]
    rujukan: dict[str, dict[str, str]]
    status: dict[str, dict[str, str]]
    keywords: dict[str, tuple[str, ...]]
    lookup: dict[str, dict[str, str]]  # list name -> value_key(spelling) -> code
    settings: dict

    def find(self, name: str, value: object) -> str | None:
        """The code of ``value`` in list ``name`` (code, label or alias; case and spacing ignored)."""
        key = value_key(value)
        return self.lookup[name].get(key) if key else None

    def label(self, name: str, code: str | None, lang: str = "id") -> str:
        rows = getattr(self, name)
        if not code or code not in rows:
            return code or ""
        return rows[code]["label_en" if lang == "en" else "label_id"]

    @property
    def closed_statuses(self) -> tuple[str, ...]:
        return tuple(c for c, r in self.status.items() if r["closed"].lower() == "true")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        lines = [ln for ln in fh if not ln.lstrip().startswith("#")]
    return [{k: (v or "").strip() for k, v in r.items()} for r in csv.DictReader(lines)]


@lru_cache(maxsize=2)
def load_codes(folder: str | None = None) -> DeskCodes:
    """Read the desk's code lists (default: ``schemas/layanan/``).

    Example:
        >>> load_codes().kategori["kesehatan"]["program"]
        'PBI-JK'
    """
    base = Path(folder) if folder else desk_dir()
    lists = {n: {r["code"]: r for r in _rows(base / f"{n}.csv")} for n in ("kategori", "program", "rujukan", "status")}
    lookup: dict[str, dict[str, str]] = {}
    for name, rows in lists.items():
        table: dict[str, str] = {}
        for code, r in rows.items():
            for spelling in [code, r["label_id"], r["label_en"], *r.get("aliases", "").split("|")]:
                if value_key(spelling):
                    table.setdefault(value_key(spelling), code)
        lookup[name] = table
    keywords = {c: tuple(k.strip().lower() for k in r.get("keywords", "").split("|") if k.strip())
                for c, r in lists["kategori"].items()}
    settings = tomllib.loads((base / "layanan.toml").read_text("utf-8"))
    return DeskCodes(**lists, keywords=keywords, lookup=lookup, settings=settings)


def desk_schema(base: Schema, folder: str | None = None) -> Schema:
    """``base`` with the desk's fields and column aliases added (verivali reading is untouched).

    Raises:
        ValueError: a desk alias is claimed by a field of ``base`` (two meanings for one title).
    """
    where = Path(folder) if folder else desk_dir()
    spec = tomllib.loads((where / "fields.toml").read_text("utf-8"))
    fields = dict(base.fields)
    aliases = dict(base.aliases)
    for f in spec["field"]:
        fields[f["name"]] = Field(**f)
        for spelling in (f["name"], f["label_id"], f["label_en"]):
            aliases[header_key(spelling)] = (f["name"], None)
    rows = _rows(where / "aliases.csv")
    for r in rows:
        known = base.aliases.get(header_key(r["alias"]))
        if known and known[0] != r["field"]:
            raise ValueError(f"layanan/aliases.csv: {r['alias']!r} is already {known[0]}")
        aliases[header_key(r["alias"])] = (r["field"], r.get("codelist") or None)
    return dataclasses.replace(base, fields=fields, aliases=aliases, alias_rows=[*base.alias_rows, *rows])


# ---------------------------------------------------------------- categories


_WORDS = re.compile(r"[^0-9a-z]+")


def _phrase(text: str) -> str:
    return " " + " ".join(_WORDS.split(text.lower().replace("e-ktp", "ektp"))).strip() + " "


def classify(text: str | None, codes: DeskCodes | None = None) -> str:
    """The category a complaint's free text speaks of, by the keywords of ``kategori.csv``.

    Whole words or phrases only; the category with most keywords wins; none, or a tie between
    categories, is ``lainnya`` (never guessed).

    Example:
        >>> classify("Anak putus sekolah, butuh biaya seragam")
        'pendidikan'
        >>> classify("minta tolong"), classify("sakit dan putus sekolah")
        ('lainnya', 'lainnya')
    """
    codes = codes or load_codes()
    if not text:
        return OTHER
    words = _phrase(str(text))
    scores = {c: _hits(words, kws) for c, kws in codes.keywords.items() if kws}
    ranked = sorted(scores.items(), key=lambda kv: -kv[1])
    if not ranked or ranked[0][1] == 0 or (len(ranked) > 1 and ranked[1][1] == ranked[0][1]):
        return OTHER
    return ranked[0][0]


def _hits(words: str, keywords: tuple[str, ...]) -> int:
    """Keywords found, a keyword inside a longer one found counted once ("putus sekolah", not also "sekolah")."""
    found = [_phrase(k) for k in keywords if _phrase(k) in words]
    return sum(1 for k in found if not any(k != o and k in o for o in found))


def resolve_needs(rows: pl.DataFrame, codes: DeskCodes | None = None) -> pl.DataFrame:
    """Add ``kategori`` (code), ``kategori_sumber`` (``kolom``, ``program``, ``keluhan`` or ``tidak_jelas``),
    ``program`` and ``rujukan_ke`` (codes) and ``status_rujukan`` (code) to the desk rows.

    The category column wins when it names a known category; else the programme written names
    it; else the complaint's text is classified (:func:`classify`). The programme and office are
    the written ones when known, else those of the category.
    """
    codes = codes or load_codes()
    out = []
    cols = [c for c in ("kategori", "program", "rujukan_ke", "status_rujukan", "keluhan")]
    rows = rows.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in cols if c not in rows.columns)
    program_category = {r["program"]: c for c, r in codes.kategori.items() if r["program"]}
    for kat, prog, office, status, text in rows.select(cols).iter_rows():
        k_code = codes.find("kategori", kat)
        p_code = codes.find("program", prog)
        if k_code and k_code != OTHER:
            source = "kolom"
        elif p_code and p_code in program_category:
            k_code, source = program_category[p_code], "program"
        else:
            k_code = classify(text, codes)
            source = "keluhan" if k_code != OTHER else "tidak_jelas"
        cat = codes.kategori[k_code]
        p_code = p_code or (cat["program"] or None)
        o_code = codes.find("rujukan", office) or (cat["rujukan_ke"] or None)
        if o_code is None and p_code:
            o_code = codes.program[p_code]["rujukan_ke"] or None
        out.append((k_code, source, p_code, o_code, codes.find("status", status)))
    names = ["kategori", "kategori_sumber", "program", "rujukan_ke", "status_rujukan"]
    found = pl.DataFrame(out, schema={n: pl.Utf8 for n in names}, orient="row")
    return rows.drop([c for c in names if c in rows.columns]).hstack(found)


# ---------------------------------------------------------------- situations


def _flag_true(expr: pl.Expr) -> pl.Expr:
    text = expr.cast(pl.Utf8).str.to_uppercase()
    return pl.when(expr.is_null()).then(None).otherwise(text.is_in(["1", "TRUE", "YA", "Y"]))


def situations(rows: pl.DataFrame, links: pl.DataFrame, register: pl.DataFrame,
               codes: DeskCodes | None = None, lang: str = "id") -> pl.DataFrame:
    """One line per desk row: the register link, ``situasi`` and ``alasan`` (in ``lang``).

    Args:
        rows: the validated desk rows after :func:`resolve_needs` (``status``, ``issue_codes``, ``nik``…).
        links: the matcher's output (one row per desk row: ``outcome``, ``person_id``, ``household_id``).
        register: the normalised register (``person_id``, ``household_id``, programme flags, ``desil``).
    """
    from slrt_cli.i18n import t

    codes = codes or load_codes()
    bad_nik = list(codes.settings.get("nik_tidak_valid", []))
    listed = list(codes.settings.get("terdaftar", ["matched", "duplicate", "review"]))
    link = links.select(KEYS + ["outcome", pl.col("person_id").alias("_pid"), pl.col("household_id").alias("_hid")])
    frame = rows.join(link, on=KEYS, how="left")
    in_reg = pl.col("outcome").is_in(listed).fill_null(False)
    frame = frame.with_columns(
        pl.when(in_reg).then(pl.col("_pid")).otherwise(None).alias("person_id"),
        pl.when(in_reg).then(pl.col("_hid")).otherwise(None).alias("household_id"),
    ).drop("_pid", "_hid")
    flags = {p: r["register_field"] for p, r in codes.program.items() if r["register_field"]}
    reg_cols = ["person_id"] + [c for c in set(flags.values()) | {"desil"} if c in register.columns]
    reg = register.select(reg_cols).filter(pl.col("person_id").is_not_null()).unique("person_id", keep="first")
    reg = reg.rename({c: f"_r_{c}" for c in reg_cols if c != "person_id"})
    frame = frame.join(reg, on="person_id", how="left")
    receives = pl.lit(None, pl.Boolean)
    for prog, fld in flags.items():
        if f"_r_{fld}" in frame.columns:
            receives = pl.when(pl.col("program") == prog).then(_flag_true(pl.col(f"_r_{fld}"))).otherwise(receives)
    desil = pl.col("_r_desil").cast(pl.Utf8) if "_r_desil" in frame.columns else pl.lit(None, pl.Utf8)
    nik_bad = pl.col("nik").is_null() | pl.col("issue_codes").list.eval(pl.element().is_in(bad_nik)).list.any().fill_null(False)
    situ = (
        pl.when(pl.col("status") == "rejected").then(pl.lit("ditolak"))
        .when(nik_bad).then(pl.lit("perlu_adminduk"))
        .when(~in_reg).then(pl.lit("bukan_dtks"))
        .when(pl.col("program").is_null()).then(pl.lit(OTHER))
        .when(receives.fill_null(False)).then(pl.lit("sudah_menerima"))
        .otherwise(pl.lit("belum_menerima"))
    )
    frame = frame.with_columns(situ.alias("situasi"), desil.alias("desil"), receives.alias("_receives"))
    alasan = [
        _alasan(s, prog, desil_v, rec, outcome, codes, lang, t)
        for s, prog, desil_v, rec, outcome in frame.select("situasi", "program", "desil", "_receives", "outcome").iter_rows()
    ]
    return frame.with_columns(pl.Series("alasan", alasan, dtype=pl.Utf8)).drop(
        [c for c in frame.columns if c.startswith("_r_")] + ["_receives"])


def _alasan(situ, prog, desil, receives, outcome, codes: DeskCodes, lang: str, t) -> str:
    label = codes.label("program", prog, lang) if prog else ""
    if situ == "belum_menerima":
        key = "layanan_alasan_belum_menerima" if receives is not None else "layanan_alasan_belum_tercatat"
        text = t(key, lang=lang, program=label)
        if desil:
            limit = codes.program.get(prog, {}).get("max_desil", "")
            text += " " + t("layanan_alasan_desil", lang=lang, desil=desil, batas=limit or "-")
    else:
        text = t(f"layanan_alasan_{situ}", lang=lang, program=label)
    if outcome == "review" and situ not in ("ditolak", "perlu_adminduk", "bukan_dtks"):
        text += " " + t("layanan_alasan_review", lang=lang)
    return text


def situation_office(frame: pl.DataFrame) -> pl.DataFrame:
    """``rujukan_ke`` of each line as the desk should act: Disdukcapil first without a usable NIK;
    Dinas Sosial for a proposal to the register; else the office the need calls for."""
    return frame.with_columns(
        pl.when(pl.col("situasi") == "perlu_adminduk").then(pl.lit("disdukcapil"))
        .when((pl.col("situasi") == "bukan_dtks") & pl.col("rujukan_ke").is_null()).then(pl.lit("dinsos"))
        .otherwise(pl.col("rujukan_ke")).alias("rujukan_ke")
    )


# ---------------------------------------------------------------- follow-up


def person_keys(frame: pl.DataFrame) -> pl.Series:
    """A person's key across logs: the NIK, else the name and birth date (hashed, never shown)."""
    nik = frame["nik"] if "nik" in frame.columns else pl.Series([None] * frame.height, dtype=pl.Utf8)
    texts = [f"nik:{n}" if n else f"nb:{' '.join(str(m or '').split())}|{b or ''}"
             for n, m, b in zip(nik.to_list(), frame["nama"].to_list(), frame["tanggal_lahir"].cast(pl.Utf8).to_list(), strict=True)]
    return pl.Series("person_key", [hashlib.blake2b(x.encode(), digest_size=10).hexdigest() for x in texts], pl.Utf8)


def visit_keys(frame: pl.DataFrame) -> pl.Series:
    """A visit's key: person, visit date, category and office: the same visit read again (another file,
    another row, next month's log) has the same key."""
    parts = zip(frame["person_key"].to_list(), frame["tanggal_kunjungan"].cast(pl.Utf8).to_list(),
                frame["kategori"].to_list(), frame["rujukan_ke"].to_list(), strict=True)
    return pl.Series("visit_key", [hashlib.blake2b("|".join(str(p or "") for p in ps).encode(), digest_size=10).hexdigest()
                                   for ps in parts], pl.Utf8)


def follow_up(known: pl.DataFrame, visits: pl.DataFrame, closed: tuple[str, ...]) -> pl.DataFrame:
    """The referrals remembered after this log: ``known`` (state) updated by ``visits``.

    ``visits`` holds ``visit_key``, ``person_key``, the person and need columns, ``dibuka`` (referral
    or visit date), ``status_rujukan`` and ``ditutup`` (date closed). A visit already known is not
    added twice; a row whose status is closed (``selesai``/``ditolak``) closes its own referral, or
    else the person's latest open referral of the same category and office opened on or before it.
    """
    known = known.select(list(REFERRAL_SCHEMA)).cast(REFERRAL_SCHEMA)
    table = {r["visit_key"]: r for r in known.iter_rows(named=True)}
    ordered = visits.sort(["dibuka", "visit_key"], nulls_last=True)
    for r in ordered.iter_rows(named=True):
        status = r["status_rujukan"] or "dirujuk"
        when_closed = r["ditutup"] or r["tanggal_kunjungan"] or r["dibuka"]
        if status in closed and r["visit_key"] not in table:
            if any(e["ditutup_oleh"] == r["visit_key"] for e in table.values()):
                continue  # this closing row was read before: it closed an earlier referral then
            target = _open_referral(table, r, closed)
            if target is not None:
                target.update(status=status, ditutup=target["ditutup"] or when_closed, ditutup_oleh=r["visit_key"])
                continue
        entry = table.get(r["visit_key"])
        if entry is None:
            entry = {k: r.get(k) for k in REFERRAL_SCHEMA}
            entry.update(status=status, ditutup=when_closed if status in closed else None, ditutup_oleh=None)
            table[r["visit_key"]] = entry
        elif status in closed and entry["status"] not in closed:
            entry.update(status=status, ditutup=when_closed)
        elif entry["status"] not in closed and status != entry["status"]:
            entry["status"] = status
    rows = list(table.values())
    return pl.DataFrame(rows, schema=REFERRAL_SCHEMA, orient="row").sort(["dibuka", "visit_key"], nulls_last=True)


def _open_referral(table: dict[str, dict], row: dict, closed: tuple[str, ...]) -> dict | None:
    found = [e for e in table.values()
             if e["person_key"] == row["person_key"] and e["kategori"] == row["kategori"]
             and e["rujukan_ke"] == row["rujukan_ke"] and e["status"] not in closed
             and (e["dibuka"] is None or row["dibuka"] is None or e["dibuka"] <= row["dibuka"])]
    return max(found, key=lambda e: (e["dibuka"] or dt.date.min, e["visit_key"])) if found else None


def referral_view(referrals: pl.DataFrame, as_of: dt.date, limit_days: int, closed: tuple[str, ...]) -> pl.DataFrame:
    """Referrals with ``hari`` (days open, or days to the answer) and ``terlambat`` (open longer than ``limit_days``)."""
    is_closed = pl.col("status").is_in(list(closed))
    days = pl.when(is_closed).then((pl.col("ditutup") - pl.col("dibuka")).dt.total_days()) \
        .otherwise((pl.lit(as_of) - pl.col("dibuka")).dt.total_days())
    return referrals.with_columns(days.alias("hari")).with_columns(
        (~is_closed & (pl.col("hari") > limit_days)).fill_null(False).alias("terlambat"))


def summary(visits: pl.DataFrame, view: pl.DataFrame, closed: tuple[str, ...]) -> dict:
    """Counts of the month: visits, per situation, per desa and category, share in the register,
    referrals answered and their response times (median and mean days)."""
    n = visits.height
    in_reg = visits.filter(pl.col("person_id").is_not_null()).height
    answered = view.filter(pl.col("status").is_in(list(closed)))
    times = answered["hari"].drop_nulls()
    return {
        "visits": n,
        "situasi": {s: visits.filter(pl.col("situasi") == s).height for s in SITUATIONS},
        "in_register": in_reg,
        "in_register_share": round(in_reg / n, 4) if n else 0.0,
        "referrals": view.height,
        "answered": answered.height,
        "open": view.height - answered.height,
        "overdue": view.filter(pl.col("terlambat")).height,
        "response_days_median": float(times.median()) if times.len() else None,
        "response_days_mean": round(float(times.mean()), 1) if times.len() else None,
    }
