"""Reconcile the month: every row's outcome, register persons not found, households, changes.

Inputs are the validated rows (``rows.parquet``), the matcher's links (one per
row) and the normalised register. Nothing is read or written here.

Who is *not found* (``not_found``): a register person of a covered unit who
is linked to no row (matched or duplicate) and is not the candidate of a
``review`` row. The covered unit is set by ``coverage``:

- ``"household"`` (default): a register household is covered when the batch
  links at least one of its members, or a row names its household id.
  Villages verify households from a prelist; the members they leave out of a
  visited household are the ones not found.
- ``"desa"``: every register person of a covered desa: the desa a batch row
  names in ``kode_desa``; for a file whose rows name no desa, the desa where
  most of its matched register persons live. Use it when villages return their
  whole prelist.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable

import polars as pl

from slrt_cli.i18n import catalog
from slrt_cli.privacy import mask_id_expr, mask_pair

KEYS = ["source_file", "source_sheet", "source_row"]

#: The register person a row is linked to (matched) or compared with (review, duplicate), as the
#: register writes it: NIK (masked unless full_ids) and name, the register's household id column
#: (``ID DTKS`` in the SIKS-NG export, ``IDBDT``, ``id_keluarga``), and the file and row (CSV line,
#: Excel row) of the extract it was read from. Empty for rows linked to no register person.
REGISTER_IDENTITY = ["nik_dtks", "nama_dtks", "id_dtks", "berkas_dtks", "baris_dtks"]
#: the same, for a register person (not_found.csv: its nik, no_kk, nama are the register's already)
REGISTER_ROW = ["id_dtks", "berkas_dtks", "baris_dtks"]

RECONCILIATION_COLUMNS = KEYS + [
    "outcome", "person_id", "household_id", "score", "status_verivali", "alasan", "match_stage",
    "kode_desa", "no_kk", "nik", "nama", *REGISTER_IDENTITY,
]

#: Kinds of change (``jenis`` in changes): stable codes.
#: ``koreksi`` the village corrects a value the register holds; ``ejaan`` the same name spelt
#: another way; ``isian`` a fill-in: the register holds nothing, the village gives a value.
CHANGE_KINDS = ("koreksi", "ejaan", "isian")
#: Why slrt proposes to keep one side (``alasan_usul``): reason code -> side kept (``usul``).
CHANGE_REASONS = {
    "dtks_kosong": "desa",  # isian: nothing to lose, the village's value fills the gap
    "ejaan_nama": "dtks",  # ejaan: the same name; the register's spelling stays (not sent to the ministry)
    "nilai_desa_ditandai": "dtks",  # koreksi whose village value the validator flagged (issues.csv)
    "hasil_verivali": "desa",  # koreksi: the village checked the person in the field
}
CHANGE_COLUMNS = KEYS + [
    "person_id", "household_id", "field", "nilai_dtks", "nilai_desa", "jenis", "usul", "alasan_usul",
    "keterangan_usul",
]

#: Fields compared between a matched register row and the village row (changes.csv).
CHANGE_FIELDS = [
    "nama", "nik", "no_kk", "tanggal_lahir", "jenis_kelamin", "tempat_lahir", "hub_kk", "hub_krt",
    "status_kawin", "pekerjaan", "nama_ibu_kandung", "alamat", "dusun", "rt", "rw", "kode_desa",
]
_ID_FIELDS = ("nik", "no_kk")
_STATUS_KEEP_ON_MATCH = ["DITEMUKAN", "MENINGGAL", "PINDAH", "MAMPU", "TIDAK_LAYAK_LAIN", "TIDAK_DITEMUKAN", "GANDA", "KESALAHAN_DATA"]


#: movers.csv: a village row linked to a register person of another kabupaten (or province)
MOVER_COLUMNS = KEYS + ["person_id", "household_id", "kode_wilayah_asal", "kode_wilayah_baru", "alasan"]


def _no_movers() -> pl.DataFrame:
    return pl.DataFrame(schema={c: pl.Int64 if c == "source_row" else pl.Utf8 for c in MOVER_COLUMNS})


@dataclass
class Reconciliation:
    reconciliation: pl.DataFrame
    not_found: pl.DataFrame
    households: pl.DataFrame
    changes: pl.DataFrame
    movers: pl.DataFrame = dataclasses.field(default_factory=_no_movers)

    def counts(self) -> dict[str, int]:
        out = {k: 0 for k in ("matched", "review", "new", "duplicate", "rejected")}
        for outcome, n in self.reconciliation.group_by("outcome").len().iter_rows():
            out[outcome] = n
        out["not_found"] = self.not_found.height
        return out


COVERAGE = ("household", "desa")


def reconcile(
    rows: pl.DataFrame,
    links: pl.DataFrame,
    register: pl.DataFrame,
    *,
    full_ids: bool = False,
    coverage: str = "household",
    name_key: Callable[[pl.Series], pl.Series] | None = None,
    lang: str = "id",
) -> Reconciliation:
    """Build the four reconciliation tables.

    Args:
        rows: validated batch rows (one per data row read).
        links: matcher output, one row per batch row (outcome, person_id, household_id, score, alasan…).
        register: the normalised register extract.
        full_ids: write full NIK/No KK in changes/not_found (default: masked).
        coverage: "household" or "desa": which register persons count as expected (module docstring).
        name_key: the matcher's name normalisation (vectorised), to tell spelling variants
            from corrections in ``changes``; None compares names as written.
        lang: language of the changes' ``keterangan_usul`` text (:func:`explain_changes`).
    """
    if coverage not in COVERAGE:
        raise ValueError(f"coverage must be one of {COVERAGE}")
    joined = rows.select(
        KEYS + ["status", "status_verivali", "kode_desa", "no_kk", "nik", "nama"]
    ).join(links, on=KEYS, how="left")
    joined = _new_members(joined)
    reg_desa = register.select(
        "person_id", pl.col("kode_desa").alias("_reg_desa"), *_register_identity(register, full_ids)
    )
    joined = joined.join(reg_desa, on="person_id", how="left").with_columns(
        pl.coalesce("kode_desa", "_reg_desa").alias("kode_desa"), pl.col("score").round(4)
    ).drop("_reg_desa")
    rec = joined.with_columns(_verivali().alias("status_verivali")).select(
        RECONCILIATION_COLUMNS
    )
    rec = rec.with_columns(pl.col("nik").pipe(_mask_if(full_ids)), pl.col("no_kk").pipe(_mask_if(full_ids)))
    # the register persons expected, with the columns not_found shows only (with --coverage desa, a
    # copy of half the register otherwise)
    shown = register.select([c for c in _COVERED_COLUMNS if c in register.columns])
    if coverage == "desa":
        covered = shown.join(covered_desa(joined, register), on="kode_desa", how="semi")
    else:
        covered = shown.join(covered_households(joined), on="household_id", how="semi")
    not_found = _not_found(joined, covered, full_ids)
    households = _households(joined, register, covered)
    changes = explain_changes(_changes(rows, links, register, full_ids, name_key), lang)
    return Reconciliation(rec.sort(KEYS), not_found, households, changes, movers(rows, links, register, lang))


def movers(rows: pl.DataFrame, links: pl.DataFrame, register: pl.DataFrame, lang: str = "id") -> pl.DataFrame:
    """Village rows linked (``matched``) to a register person registered in another kabupaten:
    the person moved in (``kode_wilayah_asal``: the register's desa; ``kode_wilayah_baru``: the
    village's). Such a person is linked, so never "not found" where the register has them."""
    if "kode_desa" not in rows.columns or "kode_desa" not in register.columns:
        return _no_movers()
    village = rows.select(*KEYS, pl.col("kode_desa").cast(pl.Utf8).alias("kode_wilayah_baru"))
    reg = register.select(pl.col("person_id").cast(pl.Utf8), pl.col("kode_desa").cast(pl.Utf8).alias("kode_wilayah_asal"))
    linked = links.filter(pl.col("outcome") == "matched").select(*KEYS, "person_id", "household_id")
    out = linked.join(village, on=KEYS).join(reg.unique("person_id", keep="first"), on="person_id")
    out = out.filter(
        pl.col("kode_wilayah_baru").str.slice(0, 4) != pl.col("kode_wilayah_asal").str.slice(0, 4)
    )
    other_province = pl.col("kode_wilayah_baru").str.slice(0, 2) != pl.col("kode_wilayah_asal").str.slice(0, 2)
    texts = catalog(lang)
    alasan = (
        pl.when(other_province).then(pl.lit(texts.get("mover_province", "")))
        .otherwise(pl.lit(texts.get("mover_kabupaten", "")))
        .str.replace("{asal}", pl.col("kode_wilayah_asal"), literal=True)
        .str.replace("{baru}", pl.col("kode_wilayah_baru"), literal=True)
    )
    return out.with_columns(alasan.alias("alasan")).sort(KEYS).select(MOVER_COLUMNS)


#: the register columns of the persons expected that :func:`_not_found` reads (its own and :func:`_register_identity`'s)
_COVERED_COLUMNS = ("person_id", "household_id", "kode_desa", "nik", "no_kk", "nama", "register_file", "source_row")


def _mask_if(full: bool):
    return (lambda e: e) if full else mask_id_expr


def _register_identity(register: pl.DataFrame, full: bool) -> list[pl.Expr]:
    """The register's own identity of a person (:data:`REGISTER_IDENTITY`), as expressions on ``register``."""
    def col(name: str, dtype=pl.Utf8) -> pl.Expr:
        return pl.col(name) if name in register.columns else pl.lit(None, dtype=dtype)

    household = col("household_id").cast(pl.Utf8)
    # a register without a household column has its No KK as household id: masked like the No KK
    from_kk = household == col("no_kk").cast(pl.Utf8)
    id_dtks = pl.when(from_kk.fill_null(False)).then(household.pipe(_mask_if(full))).otherwise(household)
    return [
        col("nik").cast(pl.Utf8).pipe(_mask_if(full)).alias("nik_dtks"),
        col("nama").cast(pl.Utf8).alias("nama_dtks"),
        id_dtks.alias("id_dtks"),
        col("register_file").cast(pl.Utf8).alias("berkas_dtks"),
        col("source_row", pl.Int64).cast(pl.Int64).alias("baris_dtks"),
    ]


def _new_members(joined: pl.DataFrame) -> pl.DataFrame:
    """A new row whose village KK-mates link to one register household joins that household."""
    linked = joined.filter((pl.col("outcome") == "matched") & pl.col("no_kk").is_not_null())
    home = (
        linked.group_by(["no_kk", "household_id"]).len()
        .sort(["no_kk", "len", "household_id"], descending=[False, True, False])
        .unique("no_kk", keep="first")
        .select("no_kk", pl.col("household_id").alias("_kk_household"))
    )
    joined = joined.join(home, on="no_kk", how="left")
    return joined.with_columns(
        pl.when(pl.col("outcome") == "new")
        .then(pl.coalesce("household_id", "_kk_household"))
        .otherwise(pl.col("household_id"))
        .alias("household_id")
    ).drop("_kk_household")


def _verivali() -> pl.Expr:
    """Normalised verivali outcome (DOMAIN.md enum) from the match outcome and what the village wrote."""
    village = pl.col("status_verivali")
    outcome = pl.col("outcome")
    return (
        pl.when(outcome == "rejected").then(pl.lit("KESALAHAN_DATA"))
        .when(outcome == "duplicate").then(pl.lit("GANDA"))
        .when(outcome == "matched").then(
            pl.when(village.is_in(_STATUS_KEEP_ON_MATCH)).then(village).otherwise(pl.lit("DITEMUKAN"))
        )
        .when(outcome == "new").then(
            pl.when(pl.col("household_id").is_not_null()).then(pl.lit("ANGGOTA_BARU"))
            .when(village == "ANGGOTA_BARU").then(pl.lit("ANGGOTA_BARU"))
            .otherwise(pl.lit("USULAN_BARU"))
        )
        .otherwise(village)
    )


def covered_desa(joined: pl.DataFrame, register: pl.DataFrame) -> pl.DataFrame:
    """The desa codes this batch covers (see the module docstring)."""
    named = joined.filter(pl.col("kode_desa").is_not_null()).select("source_file", "kode_desa").unique()
    files_named = named.select("source_file").unique()
    inferred = (
        joined.filter(pl.col("outcome") == "matched")
        .join(files_named, on="source_file", how="anti")
        .join(register.select("person_id", pl.col("kode_desa").alias("_reg_desa")), on="person_id", how="inner")
        .group_by(["source_file", "_reg_desa"]).len()
        .sort(["source_file", "len", "_reg_desa"], descending=[False, True, False])
        .unique("source_file", keep="first")
        .select("source_file", pl.col("_reg_desa").alias("kode_desa"))
    )
    both = pl.concat([named, inferred], how="vertical").filter(pl.col("kode_desa").is_not_null())
    return both.select("kode_desa").unique().sort("kode_desa")


def covered_households(joined: pl.DataFrame) -> pl.DataFrame:
    """Register households with a member linked by the batch (matched, duplicate, review) or named by a row."""
    linked = joined.filter(pl.col("outcome").is_in(["matched", "duplicate"])).select("household_id")
    return linked.drop_nulls().unique()


def _not_found(joined: pl.DataFrame, covered: pl.DataFrame, full: bool) -> pl.DataFrame:
    seen = joined.filter(pl.col("outcome").is_in(["matched", "duplicate", "review"])).select("person_id").unique()
    cols = ["person_id", "household_id", "kode_desa", "nik", "no_kk", "nama"]
    cols = [c for c in cols if c in covered.columns]
    ids = [e for e in _register_identity(covered, full) if e.meta.output_name() in REGISTER_ROW]
    out = (
        covered.join(seen, on="person_id", how="anti")
        .select(cols + ids)
        .sort(["kode_desa", "household_id", "person_id"])
    )
    return out.with_columns([pl.col(c).pipe(_mask_if(full)) for c in _ID_FIELDS if c in out.columns])


def _households(joined: pl.DataFrame, register: pl.DataFrame, covered: pl.DataFrame) -> pl.DataFrame:
    """Per register household touched by the batch: members matched, missing, added, moved in."""
    linked = joined.filter(pl.col("outcome") == "matched").join(
        register.select("person_id", pl.col("household_id").alias("_reg_household")), on="person_id", how="left"
    )
    # the household the row's village KK mostly links to
    home = (
        linked.filter(pl.col("no_kk").is_not_null())
        .group_by(["no_kk", "_reg_household"]).len()
        .sort(["no_kk", "len", "_reg_household"], descending=[False, True, False])
        .unique("no_kk", keep="first")
        .select("no_kk", pl.col("_reg_household").alias("_home"))
    )
    linked = linked.join(home, on="no_kk", how="left")
    moved = linked.filter(pl.col("_home").is_not_null() & (pl.col("_home") != pl.col("_reg_household")))
    touched = pl.concat(
        [
            linked.select(pl.col("_reg_household").alias("household_id")),
            joined.filter(pl.col("outcome") == "new").select("household_id"),
        ]
    ).drop_nulls().unique()
    members = register.group_by("household_id").agg(
        pl.len().alias("anggota_dtks"), pl.col("kode_desa").first().alias("kode_desa")
    )
    matched = linked.group_by("_reg_household").agg(pl.len().alias("cocok")).rename({"_reg_household": "household_id"})
    added = joined.filter(pl.col("outcome") == "new").group_by("household_id").agg(pl.len().alias("anggota_baru"))
    moved_in = moved.group_by("_home").agg(pl.len().alias("pindah_masuk")).rename({"_home": "household_id"})
    out = (
        touched.join(members, on="household_id", how="left")
        .join(matched, on="household_id", how="left")
        .join(added, on="household_id", how="left")
        .join(moved_in, on="household_id", how="left")
        .with_columns(pl.col(c).fill_null(0) for c in ("anggota_dtks", "cocok", "anggota_baru", "pindah_masuk"))
        .with_columns((pl.col("anggota_dtks") - pl.col("cocok")).clip(lower_bound=0).alias("tidak_ditemukan"))
    )
    return out.select(
        "household_id", "kode_desa", "anggota_dtks", "cocok", "tidak_ditemukan", "anggota_baru", "pindah_masuk"
    ).sort("household_id")


_RTRW = r"\b(RT|RW)\.?\s*[:/]?\s*0*\d{1,3}\b"
#: free-text fields compared loosely: case, spacing and punctuation (and RT/RW in an address) do not count
_LOOSE = ("alamat", "dusun", "pekerjaan", "tempat_lahir")
_NAMES = ("nama", "nama_ibu_kandung")


def _loose(expr: pl.Expr, field: str) -> pl.Expr:
    e = expr.cast(pl.Utf8).str.to_uppercase()
    if field == "alamat":
        e = e.str.replace_all(_RTRW, " ")
    if field == "tempat_lahir":
        e = e.str.replace_all(r"^(KABUPATEN|KAB\.?|KOTA)\s+", "")
    return e.str.replace_all(r"[^0-9A-Z]+", "")


def _changes(
    rows: pl.DataFrame, links: pl.DataFrame, register: pl.DataFrame, full: bool,
    name_key: Callable[[pl.Series], pl.Series] | None = None,
) -> pl.DataFrame:
    """Field-level differences between each matched register row and its village row (long format).

    A difference of case, spacing or punctuation in free text (and RT/RW written into an
    address) is no difference. ``jenis`` (:data:`CHANGE_KINDS`) says ``isian`` when the register
    holds nothing there (a fill-in), ``ejaan`` when two spellings of a name are the same name under
    the matcher's normalisation (MOCH./MUHAMMAD, old spellings) and ``koreksi`` otherwise.
    ``usul`` says which side slrt proposes to keep (``desa`` or ``dtks``) and ``alasan_usul`` why
    (:data:`CHANGE_REASONS`). A changed NIK/No KK is masked as a pair (:func:`mask_pair`): the
    digits that differ show on both sides.
    """
    fields = [f for f in CHANGE_FIELDS if f in rows.columns and f in register.columns]
    damaged = [c for c in ("nik_numeric", "no_kk_numeric") if c in rows.columns]
    flagged = _flagged_codes() if "issue_codes" in rows.columns else {}
    extra = damaged + (["issue_codes"] if flagged else [])
    matched = links.filter(pl.col("outcome") == "matched").select(KEYS + ["person_id"])
    village = rows.select(KEYS + fields + extra).join(matched, on=KEYS, how="inner")
    reg = register.select(["person_id", "household_id"] + [pl.col(f).alias(f"{f}__reg") for f in fields])
    both = village.join(reg, on="person_id", how="left")
    parts = []
    for f in fields:
        mine, theirs = pl.col(f), pl.col(f"{f}__reg")
        if f in _LOOSE:
            differs = _loose(mine, f) != _loose(theirs, f)
        else:
            differs = mine.cast(pl.Utf8) != theirs.cast(pl.Utf8)
        differs = mine.is_not_null() & differs.fill_null(True)
        if f"{f}_numeric" in damaged:  # an Excel-damaged identifier is not a correction
            differs = differs & ~pl.col(f"{f}_numeric").fill_null(False)
        diff = both.filter(differs)
        empty = theirs.cast(pl.Utf8).str.strip_chars().fill_null("") == ""
        kind = pl.when(empty).then(pl.lit("isian"))
        if f in _NAMES and name_key is not None and diff.height:
            same = name_key(diff[f]) == name_key(diff[f"{f}__reg"])
            diff = diff.with_columns(same.fill_null(False).alias("_same_name"))
            kind = kind.when(pl.col("_same_name")).then(pl.lit("ejaan"))
        kind = kind.otherwise(pl.lit("koreksi"))
        doubted = pl.lit(False)
        if f in flagged and diff.height:
            doubted = pl.col("issue_codes").list.eval(pl.element().is_in(list(flagged[f]))).list.any().fill_null(False)
        reason = (
            pl.when(kind == "isian").then(pl.lit("dtks_kosong"))
            .when(kind == "ejaan").then(pl.lit("ejaan_nama"))
            .when(doubted).then(pl.lit("nilai_desa_ditandai"))
            .otherwise(pl.lit("hasil_verivali"))
        )
        v, r = mine.cast(pl.Utf8), theirs.cast(pl.Utf8)
        part = diff.select(
            KEYS + ["person_id", "household_id"]
            + [pl.lit(f).alias("field"), r.alias("nilai_dtks"), v.alias("nilai_desa"), kind.alias("jenis"),
               reason.alias("alasan_usul")]
        )
        if f in _ID_FIELDS and not full:
            part = _mask_pairs(part)
        parts.append(part)
    if not parts:
        return pl.DataFrame(schema={k: (pl.Int64 if k == "source_row" else pl.Utf8) for k in CHANGE_COLUMNS})
    out = pl.concat(parts, how="vertical").sort(KEYS + ["field"])
    usul = pl.col("alasan_usul").replace_strict(CHANGE_REASONS, return_dtype=pl.Utf8)
    return out.with_columns(usul.alias("usul"), pl.lit(None, pl.Utf8).alias("keterangan_usul")).select(CHANGE_COLUMNS)


def _mask_pairs(part: pl.DataFrame) -> pl.DataFrame:
    """Mask the two sides of each identifier change together (:func:`mask_pair`): the change shows."""
    shown = [mask_pair(r, v) for r, v in zip(part["nilai_dtks"].to_list(), part["nilai_desa"].to_list())]
    return part.with_columns(
        pl.Series("nilai_dtks", [None if r is None else a for (a, _), r in zip(shown, part["nilai_dtks"])], pl.Utf8),
        pl.Series("nilai_desa", [None if v is None else b for (_, b), v in zip(shown, part["nilai_desa"])], pl.Utf8),
    )


def _flagged_codes() -> dict[str, tuple[str, ...]]:
    """Field -> issue codes that put the village's value in doubt (the ``perbaikan`` upload layout's
    ``skip_when_flagged``: such a change is not sent to the ministry either)."""
    try:
        from slrt_cli.upload_layouts import load_layouts

        return dict(load_layouts()["perbaikan"].skip_when_flagged)
    except Exception:  # a broken layout is reported where the uploads are written
        return {}


def explain_changes(changes: pl.DataFrame, lang: str = "id") -> pl.DataFrame:
    """The changes with ``keterangan_usul``: why slrt proposes ``usul``, in ``lang`` (from the message
    catalogs, keys ``usul_<alasan_usul>``). Column names and codes do not depend on ``lang``.

    Example:
        >>> explain_changes(rec.changes, "en")["keterangan_usul"][0]   # doctest: +SKIP
        'The register holds nothing here; the village fills it in: the village's value is proposed.'
    """
    if "alasan_usul" not in changes.columns:
        return changes
    texts = {code: catalog(lang).get(f"usul_{code}", code) for code in CHANGE_REASONS}
    text = pl.col("alasan_usul").replace_strict(texts, default=None, return_dtype=pl.Utf8)
    return changes.with_columns(text.alias("keterangan_usul"))
