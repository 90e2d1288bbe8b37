"""The month's result shaped for the reports: the categories of village rows, the words of the
workbook and the page, and :func:`month_view` (shared by ``laporan.xlsx`` and ``laporan.html``).

Every village data row falls in exactly one *category* (:data:`CATEGORIES`):
``review`` and ``rejected`` come from the match outcome; every other row takes
the category of its normalised verivali status (``status_verivali`` of the
reconciliation: DITEMUKAN, USULAN_BARU, ...). Register persons of the covered
households that no file names (``not_found``) are counted apart: they are not
rows received.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import polars as pl

from slrt_cli.i18n import catalog
from slrt_cli.privacy import mask_id_expr
from slrt_cli.reference import lookup
from slrt_cli.report.fixfiles import reasons_frame
from slrt_cli.report.labels import LABELS as _LABELS

KEYS = ["source_file", "source_sheet", "source_row"]

#: Categories of village rows, in the order of the summary columns.
CATEGORIES = [
    "found", "new_household", "new_member", "deceased", "moved", "duplicate",
    "ineligible", "absent", "data_error", "review", "rejected",
]
#: Register persons not in any file (counted apart from the rows received).
NOT_FOUND = "not_found"

_STATUS_CATEGORY = {
    "DITEMUKAN": "found", "USULAN_BARU": "new_household", "ANGGOTA_BARU": "new_member",
    "MENINGGAL": "deceased", "PINDAH": "moved", "GANDA": "duplicate", "MAMPU": "ineligible",
    "TIDAK_LAYAK_LAIN": "ineligible", "TIDAK_DITEMUKAN": "absent", "KESALAHAN_DATA": "data_error",
}

#: Words of the workbook and the page: :mod:`labels`, with the message catalogs' ``report_<key>``
#: over them (one word per meaning across console, workbook and page: "Baris masuk" = rows received).
LABELS: dict[str, dict[str, str]] = {
    lang: {**words, **{k[len("report_"):]: v for k, v in catalog(lang).items() if k.startswith("report_")}}
    for lang, words in _LABELS.items()
}


def label(key: str, lang: str) -> str:
    """The word for ``key`` in ``lang``, falling back to Bahasa, then to the key itself."""
    return LABELS[lang].get(key, LABELS["id"].get(key, key))




@dataclass
class Month:
    """The month's result, shaped for the reports (shared by the workbook and the HTML page).

    ``rows``: one row per village data row with ``category`` and region names (``nik``,
    ``no_kk`` and ``alamat`` left empty on "found" rows, which no report lists);
    ``missing``: register persons not in any file; ``summary``: one row per desa
    (kecamatan, desa, kode_desa, rows, one column per category and ``not_found``).
    """

    rows: pl.DataFrame
    missing: pl.DataFrame
    summary: pl.DataFrame
    files: int
    register_rows: int
    kabupaten: str


def month_view(result, *, full_ids: bool = False) -> Month:
    """Shape a :class:`~slrt_cli.runs.RunReport` for the reports.

    Identifiers are masked unless ``full_ids`` (village rows come unmasked from
    ``result.rows``; register persons not found keep the masking of the run).
    """
    rec = result.reconciliation
    rows = _village_rows(result, full_ids)
    missing = _missing_rows(rec.not_found, full_ids, getattr(result, "register", None))
    names = _region_names(pl.concat([rows.select("kode_desa"), missing.select("kode_desa")]).to_series())
    rows = _with_names(rows, names)
    missing = _with_names(missing, names)
    files = len(result.validation.files) if result.validation is not None else rows["source_file"].n_unique()
    kab_codes = sorted({c[:4] for c in names if c})
    kab = ", ".join(r.name for c in kab_codes if (r := lookup(c)) is not None)
    return Month(rows, missing, _summary(rows, missing), files, result.register_rows, kab)


def _village_rows(result, full_ids: bool) -> pl.DataFrame:
    rec = result.reconciliation.reconciliation
    batch = result.rows
    extra = [c for c in ("tanggal_lahir", "alamat", "rt", "rw") if c in batch.columns]
    village = batch.select(
        KEYS + [pl.col("nik").alias("_nik"), pl.col("no_kk").alias("_kk"),
                pl.col("status_verivali").alias("status_desa"), pl.col("kode_desa").alias("_own_desa")] + extra
    )
    out = rec.join(village, on=KEYS, how="left")
    mask = _masker(full_ids)
    category = (
        pl.when(pl.col("outcome") == "review").then(pl.lit("review"))
        .when(pl.col("outcome") == "rejected").then(pl.lit("rejected"))
        .otherwise(pl.col("status_verivali").replace_strict(_STATUS_CATEGORY, default="found"))
    )
    out = out.with_columns(category.alias("category"), _file_desa(out).alias("kode_desa"))
    # identifiers and addresses only where a report shows them (masking 100,000 ids costs time)
    shown = pl.col("category") != "found"
    out = pl.concat(
        [
            out.filter(shown).with_columns(
                mask(pl.col("_nik")).alias("nik"), mask(pl.col("_kk")).alias("no_kk"), _address(extra).alias("alamat")
            ),
            out.filter(~shown).with_columns(
                pl.lit(None, pl.Utf8).alias("nik"), pl.lit(None, pl.Utf8).alias("no_kk"), pl.lit(None, pl.Utf8).alias("alamat")
            ),
        ],
        how="vertical_relaxed",
    )
    if "tanggal_lahir" not in out.columns:
        out = out.with_columns(pl.lit(None, pl.Date).alias("tanggal_lahir"))
    return out.drop("_nik", "_kk", "_own_desa", *[c for c in ("rt", "rw") if c in out.columns])


def _address(extra: list[str]) -> pl.Expr:
    parts = []
    if "alamat" in extra:
        parts.append(pl.col("alamat"))
    for c in ("rt", "rw"):
        if c in extra:
            parts.append(pl.when(pl.col(c).is_not_null()).then(pl.lit(c.upper() + " ") + pl.col(c).cast(pl.Utf8)))
    if not parts:
        return pl.lit(None, pl.Utf8)
    return pl.concat_str(parts, separator=" ", ignore_nulls=True).replace("", None)


def _file_desa(rows: pl.DataFrame) -> pl.Expr:
    """The desa that sent the row: its own desa code, else the desa most rows of its file are
    linked to (files without desa codes), else the desa of its register match."""
    modal = (
        rows.filter(pl.col("kode_desa").is_not_null())
        .group_by("source_file", "kode_desa").len()
        .sort(["source_file", "len", "kode_desa"], descending=[False, True, False])
        .unique("source_file", keep="first")
    )
    table = dict(zip(modal["source_file"], modal["kode_desa"], strict=True))
    by_file = pl.col("source_file").replace_strict(table, default=None, return_dtype=pl.Utf8)
    return pl.coalesce(pl.col("_own_desa"), by_file, pl.col("kode_desa"))


def _masker(full_ids: bool):
    """Identity with ``full_ids``, else :func:`mask_id_expr` keeping missing values missing."""
    if full_ids:
        return lambda e: e
    return lambda e: pl.when(e.is_not_null() & (e != "")).then(mask_id_expr(e))


def _missing_rows(not_found: pl.DataFrame, full_ids: bool, register: pl.DataFrame | None = None) -> pl.DataFrame:
    """Register persons not found, with their birth date when the register is at hand."""
    mask = _masker(full_ids)
    cols = {c: pl.col(c) if c in not_found.columns else pl.lit(None, pl.Utf8)
            for c in ("person_id", "household_id", "kode_desa", "nik", "no_kk", "nama")}
    out = not_found.select(
        cols["person_id"].alias("person_id"), cols["household_id"].alias("household_id"),
        cols["kode_desa"].alias("kode_desa"), mask(cols["nik"]).alias("nik"),
        mask(cols["no_kk"]).alias("no_kk"), cols["nama"].alias("nama"),
        pl.lit(NOT_FOUND).alias("category"),
    )
    if register is not None and {"person_id", "tanggal_lahir"} <= set(register.columns) and out.height:
        births = (  # the two columns first: the register has some 50 (0.3 s for 440,000 persons not found)
            register.select("person_id", "tanggal_lahir").join(out.select("person_id"), on="person_id", how="semi")
            .select("person_id", pl.col("tanggal_lahir").cast(pl.Date, strict=False))
            .unique("person_id", keep="first")
        )
        out = out.join(births, on="person_id", how="left")
    return out


def _region_names(codes: pl.Series) -> dict[str, tuple[str | None, str | None]]:
    """kode_desa -> (kecamatan name, desa name), from the Kemendagri reference."""
    out = {}
    for code in codes.drop_nulls().unique().to_list():
        kec, desa = lookup(code[:6]) if len(code) >= 6 else None, lookup(code)
        out[code] = (kec.name if kec else code[:6] or None, desa.name if desa else code)
    return out


def _with_names(frame: pl.DataFrame, names: dict) -> pl.DataFrame:
    kec = {k: v[0] for k, v in names.items()}
    desa = {k: v[1] for k, v in names.items()}
    return frame.with_columns(
        pl.col("kode_desa").replace_strict(kec, default=None, return_dtype=pl.Utf8).alias("kecamatan"),
        pl.col("kode_desa").replace_strict(desa, default=None, return_dtype=pl.Utf8).alias("desa"),
    )


def _summary(rows: pl.DataFrame, missing: pl.DataFrame) -> pl.DataFrame:
    """One row per desa: rows received, one count per category, not_found."""
    group = ["kecamatan", "desa", "kode_desa"]
    counts = rows.group_by(group).agg(
        pl.len().alias("rows"), *[(pl.col("category") == c).sum().alias(c) for c in CATEGORIES]
    )
    miss = missing.group_by(group).agg(pl.len().alias(NOT_FOUND))
    cols = ["rows", *CATEGORIES, NOT_FOUND]
    out = counts.join(miss, on=group, how="full", coalesce=True, nulls_equal=True)
    return (
        out.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in cols])
        .select(group + cols)
        .sort(["kecamatan", "desa", "kode_desa"], nulls_last=True)
    )


def rejected_reasons(result, lang: str) -> pl.DataFrame:
    """KEYS -> the errors that rejected each rejected row, one per line (as in the fix-files)."""
    rec = result.reconciliation.reconciliation
    rejected = rec.filter(pl.col("outcome") == "rejected").select(KEYS)
    if result.validation is None or not rejected.height:
        return pl.DataFrame(schema={**{k: rec.schema[k] for k in KEYS}, "masalah": pl.Utf8})
    names = {"source_file": "file", "source_sheet": "sheet", "source_row": "row"}
    reasons = reasons_frame(result.validation, lang, only=rejected.rename(names)).rename(
        {"file": "source_file", "sheet": "source_sheet", "row": "source_row", "reasons": "masalah"}
    )
    return reasons.join(rejected, on=KEYS, how="semi", nulls_equal=True)


def period_label(day: dt.date, lang: str, period: str = "") -> str:
    """The month in words: ``period`` "2025-10" -> "Oktober 2025"; without it, the month of ``day``.

    A period in another form is shown as it is.
    """
    m = re.fullmatch(r"(\d{4})-(\d{2})", period or "")
    if period and not (m and 1 <= int(m.group(2)) <= 12):
        return period
    year, month = (int(m.group(1)), int(m.group(2))) if m else (day.year, day.month)
    return f"{label('months', lang).split()[month - 1]} {year}"
