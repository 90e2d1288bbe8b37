"""Prepare batch and register frames for matching: keys and comparison features.

Both sides get the same derived columns (prefixed ``_``) so that blocking and
comparison code treats them alike:

- identifiers: ``_nik`` (16-digit NIK as Int64, else null), ``_nik_dmg`` (the
  village value came through an Excel number: last digit unreliable), ``_kk``,
  ``_kk_dmg``, ``_pid``, ``_hid`` (register ids; on the batch side those the
  village file carried);
- person: ``_dob`` (days since 1970), ``_y``/``_m``/``_d``, ``_sex``, ``_hub``; a
  missing birth date or sex is read from a valid NIK (``_dob_nik``/``_sex_nik`` say so);
- region: ``_desa``, ``_kec``;
- names: ``name_*`` features (see :func:`slrt_cli.match.names.name_features`),
  computed for the batch at once and for register rows only when they are
  candidates (:func:`register_features`), because that is the costly part;
- the phonetic keys of the name words, for blocking, come from
  :func:`explode_words` (one row per word).

Rows are numbered ``_b`` (batch, after sorting by the row key, so that nothing
depends on input order) and ``_r`` (register, in input order: only used as a
position, never to break ties).
"""

from __future__ import annotations

import datetime as _dt

import numpy as np
import polars as pl

from slrt_cli.match.names import _map_word, _split_pre, name_features, normalise_names, phonetic
from slrt_cli.match.settings import NameRules

ROW_KEY = ["source_file", "source_sheet", "source_row"]
_ADDRESS_WORDS = (
    "JL|JLN|JALAN|KP|KAMP|KAMPUNG|DUSUN|DSN|DS|GG|GANG|NO|BLOK|DESA|KEL|KELURAHAN|LINGK|LINGKUNGAN|KOMPLEK|KOMP|PERUM"
)
_ADDRESS_NOISE = rf"(?-u:\b)(?:{_ADDRESS_WORDS})(?-u:\b)"
_RTRW_IN_ADDRESS = r"(?-u:\b)R[TW]\.?\s*:?\s*\d+(?:\s*/\s*\d+)?"


def col(df: pl.DataFrame, name: str, dtype: pl.DataType = pl.Utf8) -> pl.Expr:
    """The column if the frame has it (cast), else a null column of ``dtype``."""
    if name in df.columns:
        return pl.col(name).cast(dtype, strict=False)
    return pl.lit(None, dtype=dtype)


def _id16(df: pl.DataFrame, name: str) -> pl.Expr:
    """A 16-digit identifier as Int64 (anything else: null)."""
    text = col(df, name).str.strip_chars()
    value = text.cast(pl.Int64, strict=False)
    return pl.when((text.str.len_bytes() == 16) & (value >= 1_000_000_000_000_000)).then(value).otherwise(None)


def _text_id(df: pl.DataFrame, name: str) -> pl.Expr:
    text = col(df, name).str.strip_chars()
    return pl.when(text == "").then(None).otherwise(text)


def days_from_civil(y: pl.Expr, m: pl.Expr, d: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 of a (proleptic Gregorian) date, in integer arithmetic."""
    y = y - (m <= 2).cast(pl.Int64)
    era = y // 400
    yoe = y - era * 400
    mp = pl.when(m > 2).then(m - 3).otherwise(m + 9)
    doy = (153 * mp + 2) // 5 + d - 1
    doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
    return era * 146_097 + doe - 719_468


def nik_birth(nik: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Birth date (days since 1970) and sex held by a 16-digit NIK (Int64): ``DD`` (+40 for women) ``MM`` ``YY``.

    The century is the one that puts the date in the past; an impossible date gives null.
    """
    block = (nik // 10_000) % 1_000_000
    dd, mm, yy = block // 10_000, (block // 100) % 100, block % 100
    female = dd > 40
    day = pl.when(female).then(dd - 40).otherwise(dd)
    today = _dt.date.today()
    year = pl.when(yy + 2000 <= today.year).then(yy + 2000).otherwise(yy + 1900)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    month_len = (
        pl.when(mm == 2).then(pl.when(leap).then(29).otherwise(28)).when(mm.is_in([4, 6, 9, 11])).then(30).otherwise(31)
    )
    days = days_from_civil(year, mm, day)
    valid = mm.is_between(1, 12) & (day >= 1) & (day <= month_len) & (days <= (today - _dt.date(1970, 1, 1)).days)
    sex = pl.when(nik.is_null()).then(None).when(female).then(pl.lit("2")).otherwise(pl.lit("1"))
    return pl.when(valid).then(days.cast(pl.Int32)).otherwise(None), sex


def _base_exprs(df: pl.DataFrame) -> list[pl.Expr]:
    """First pass: identifiers, given and NIK-derived birth date / sex."""
    nik, kk = _id16(df, "nik"), _id16(df, "no_kk")
    # a No KK typed in the NIK column is no NIK (DOMAIN: "NIK = No KK")
    nik = pl.when(nik == kk).then(None).otherwise(nik)
    sex_given = col(df, "jenis_kelamin").str.strip_chars()
    return [
        nik.alias("_nik"),
        kk.alias("_kk"),
        col(df, "tanggal_lahir", pl.Date).cast(pl.Int32).alias("_dob_given"),
        pl.when(sex_given.is_in(["1", "2"])).then(sex_given).otherwise(None).alias("_sex_given"),
    ]


def _from_nik(df: pl.DataFrame) -> pl.DataFrame:
    """``_dob`` and ``_sex``: as given, else read from the NIK (computed only where needed)."""
    need = (pl.col("_dob_given").is_null() | pl.col("_sex_given").is_null()) & pl.col("_nik").is_not_null()
    rows = df.select(pl.int_range(pl.len(), dtype=pl.UInt32).alias("_i"), "_nik", need.alias("_need"))
    rows = rows.filter("_need")
    if rows.height == 0:
        return df.with_columns(pl.col("_dob_given").alias("_dob"), pl.col("_sex_given").alias("_sex"))
    nik_dob, nik_sex = nik_birth(pl.col("_nik"))
    got = rows.select("_i", nik_dob.alias("_nd"), nik_sex.alias("_ns"))
    idx = pl.DataFrame({"_i": pl.int_range(df.height, dtype=pl.UInt32, eager=True)})
    full = idx.join(got, on="_i", how="left", maintain_order="left")
    return df.with_columns(
        pl.coalesce(pl.col("_dob_given"), full["_nd"]).alias("_dob"),
        pl.coalesce(pl.col("_sex_given"), full["_ns"]).alias("_sex"),
    )


def _digits(df: pl.DataFrame, name: str) -> pl.Expr:
    """A code column with anything but digits removed (skipped when it is already clean)."""
    if name not in df.columns:
        return pl.lit(None, pl.Utf8)
    c = df[name].cast(pl.Utf8)
    if c.str.contains(r"\D").any():
        return pl.col(name).cast(pl.Utf8).str.replace_all(r"\D", "")
    return pl.col(name).cast(pl.Utf8)


def _rest(df: pl.DataFrame) -> list[pl.Expr]:
    desa = _digits(df, "kode_desa")
    kec = pl.coalesce(_digits(df, "kode_kec"), desa.str.slice(0, 6))
    hub = pl.coalesce(col(df, "hub_kk"), col(df, "hub_krt"))
    return [
        _text_id(df, "person_id").alias("_pid"),
        _text_id(df, "household_id").alias("_hid"),
        hub.str.strip_chars().alias("_hub"),
        pl.when(desa.str.len_chars() == 10).then(desa).otherwise(None).alias("_desa"),
        pl.when(kec.str.len_chars() == 6).then(kec).otherwise(None).alias("_kec"),
        col(df, "rt").str.strip_chars().cast(pl.Int32, strict=False).alias("_rt"),
        col(df, "rw").str.strip_chars().cast(pl.Int32, strict=False).alias("_rw"),
    ]


def _date_parts() -> list[pl.Expr]:
    """Third pass: parts of the birth date, and whether date / sex came from the NIK."""
    date = pl.col("_dob").cast(pl.Date)
    return [
        (pl.col("_dob_given").is_null() & pl.col("_dob").is_not_null()).alias("_dob_nik"),
        (pl.col("_sex_given").is_null() & pl.col("_sex").is_not_null()).alias("_sex_nik"),
        date.dt.year().cast(pl.Int32).alias("_y"),
        date.dt.month().cast(pl.Int32).alias("_m"),
        date.dt.day().cast(pl.Int32).alias("_d"),
    ]


def _prepare_common(df: pl.DataFrame) -> pl.DataFrame:
    out = _from_nik(df.with_columns(_base_exprs(df)))
    return out.with_columns(_rest(df)).with_columns(_date_parts())


def address_key(df: pl.DataFrame) -> pl.Expr:
    """Address for comparison: upper case, RT/RW and words like JL., KP., DUSUN left out."""
    address = (
        col(df, "alamat")
        .str.to_uppercase()
        .str.replace_all(_RTRW_IN_ADDRESS, " ")
        .str.replace_all(r"[^A-Z0-9]+", " ")
        .str.replace_all(_ADDRESS_NOISE, " ")
        .str.replace_all(r"\s+", " ")
        .str.strip_chars()
    )
    return pl.when(address == "").then(None).otherwise(address)


WORD_SEED = 20261104


def word_hash(keys: pl.Series) -> pl.Series:
    """Integer form of phonetic word keys (the same everywhere: blocking, term frequencies)."""
    return keys.cast(pl.Utf8).hash(WORD_SEED)


def explode_words(df: pl.DataFrame, idx: str, rules: NameRules, chunk: int = 250_000) -> pl.DataFrame:
    """(``idx``, ``w``): the phonetic key of every word of each row's name, as an integer.

    Cheap: the name rules and the phonetic key run once per distinct word; a large
    register goes by slices of ``chunk`` rows to keep the memory peak low.
    """
    if df.height > chunk:
        parts = [explode_words(df.slice(i, chunk), idx, rules, chunk) for i in range(0, df.height, chunk)]
        return pl.concat(parts)
    raw = df.select(pl.col(idx), _split_pre(col(df, "nama")).alias("raw")).explode("raw").drop_nulls()
    pairs = [(w, phonetic(x)) for w in raw["raw"].unique().to_list() for x in _map_word(w, rules).split(" ") if x]
    table = pl.DataFrame(
        {"raw": [a for a, _ in pairs], "k": [b for _, b in pairs]}, schema={"raw": pl.Utf8, "k": pl.Utf8}
    )
    table = table.with_columns(word_hash(table["k"]).alias("w")).select("raw", "w")
    return raw.join(table, on="raw", how="inner").select(idx, "w")


#: input columns the matcher reads (others are not carried, to save memory)
INPUT_COLUMNS = (
    "person_id",
    "household_id",
    "no_kk",
    "nik",
    "nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "hub_kk",
    "hub_krt",
    "nama_ibu_kandung",
    "alamat",
    "rt",
    "rw",
    "kode_desa",
    "kode_kec",
    "kode_kab",
)
BATCH_ONLY = (*ROW_KEY, "status", "nik_numeric", "no_kk_numeric")
#: raw columns kept after preparing (shown in the reasons, or read on demand)
_KEEP_RAW = ("person_id", "household_id", "no_kk", "nik", "nama", "tanggal_lahir", "nama_ibu_kandung", "alamat")
_SCRATCH = ("_dob_given", "_sex_given")


def _complete(df: pl.DataFrame) -> pl.DataFrame:
    """Missing input columns as null columns (every step can then read every column)."""
    dtypes = {"tanggal_lahir": pl.Date}
    return df.with_columns(
        [pl.lit(None, dtype=dtypes.get(c, pl.Utf8)).alias(c) for c in INPUT_COLUMNS if c not in df.columns]
    )


def _trim(df: pl.DataFrame, extra: tuple[str, ...] = ()) -> pl.DataFrame:
    """Drop the raw columns no later step reads."""
    keep = set(_KEEP_RAW) | set(extra)
    return df.drop(
        [
            c
            for c in df.columns
            if (not c.startswith("_") and c not in keep and not c.startswith("name_") and c != "mother_norm")
            or c in _SCRATCH
        ]
    )


def prepare_batch(batch: pl.DataFrame, rules: NameRules, keep: tuple[str, ...] = ()) -> pl.DataFrame:
    """Batch rows sorted by the row key, numbered ``_b``, with keys and all features.

    ``keep``: more input columns to carry (e.g. the partition column).
    """
    missing = [c for c in ROW_KEY if c not in batch.columns]
    if missing:
        raise ValueError(f"batch lacks the row-key columns {missing}")
    wanted = dict.fromkeys((*BATCH_ONLY, *INPUT_COLUMNS, *keep))
    df = _complete(batch.select([c for c in wanted if c in batch.columns]))
    df = df.sort(ROW_KEY, nulls_last=True, maintain_order=True)
    df = (
        _prepare_common(df)
        .with_columns(
            col(df, "nik_numeric", pl.Boolean).fill_null(False).alias("_nik_dmg"),
            col(df, "no_kk_numeric", pl.Boolean).fill_null(False).alias("_kk_dmg"),
            col(df, "status").fill_null("accepted").alias("_status"),
            address_key(df).alias("_addr"),
        )
        .with_row_index("_b")
    )
    names = name_features(df.select(col(df, "nama").alias("n"))["n"], rules)
    mother = normalise_names(df.select(col(df, "nama_ibu_kandung").alias("m"))["m"], rules).alias("mother_norm")
    return _trim(pl.concat([df, names], how="horizontal").with_columns(mother), (*ROW_KEY, *keep))


def prepare_register(register: pl.DataFrame, rules: NameRules) -> pl.DataFrame:
    """Register rows numbered ``_r`` with keys (name features come later, on demand)."""
    df = _complete(register.select([c for c in INPUT_COLUMNS if c in register.columns]))
    df = (
        _prepare_common(df)
        .with_columns(
            pl.lit(False).alias("_nik_dmg"),
            pl.lit(False).alias("_kk_dmg"),
        )
        .with_row_index("_r")
    )
    return _trim(df)


#: register columns carried into pair frames (besides the name features)
PAIR_COLUMNS = (
    "_nik",
    "_nik_dmg",
    "_dob",
    "_y",
    "_m",
    "_d",
    "_sex",
    "_pid",
    "_dob_nik",
    "_sex_nik",
    "_kk",
    "_kk_dmg",
    "_hid",
    "_rt",
    "_rw",
    "_desa",
    "_kec",
    "_hub",
)


class RegisterFeatures:
    """Register rows with their comparison features, computed on demand and kept.

    Name features cost the most; they are computed once per register row, only
    for rows that are candidates (or sampled for estimation). ``_r`` is the row
    position in the prepared register, so rows are taken by position, not joined.
    """

    def __init__(self, reg: pl.DataFrame, rules: NameRules):
        self.reg = reg
        self.rules = rules
        self.frame: pl.DataFrame | None = None
        self.done = np.zeros(reg.height, dtype=bool)

    def get(self, rows: pl.Series) -> pl.DataFrame:
        """A frame holding (at least) the rows at positions ``rows``, with all pair columns.

        Callers take the rows they need by ``_r`` (:func:`slrt_cli.match.compare.pair_frame`).
        """
        idx = np.unique(rows.to_numpy().astype(np.int64))
        need = idx[~self.done[idx]] if len(idx) else idx
        if len(need) or self.frame is None:
            new = register_features(self.reg, pl.Series(need, dtype=pl.UInt32), self.rules)
            self.frame = new if self.frame is None else pl.concat([self.frame, new], how="vertical_relaxed")
            self.done[need] = True
        return self.frame


def register_features(reg: pl.DataFrame, rows: pl.Series, rules: NameRules) -> pl.DataFrame:
    """Pair columns and name features of the register rows at positions ``rows``."""
    sub = reg[rows.to_numpy().astype(np.int64)]
    cols = [c for c in PAIR_COLUMNS if c in sub.columns]
    out = sub.select(
        "_r",
        *cols,
        col(sub, "nama").alias("nama"),
        col(sub, "nama_ibu_kandung").alias("nama_ibu_kandung"),
        address_key(sub).alias("_addr"),
    )
    names = name_features(out["nama"], rules)
    mother = normalise_names(out["nama_ibu_kandung"], rules).alias("mother_norm")
    return pl.concat([out.drop("nama", "nama_ibu_kandung"), names], how="horizontal").with_columns(mother)
