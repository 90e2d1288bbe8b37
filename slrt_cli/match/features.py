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
- ``_words``: List of phonetic name keys (blocking), computed on every row.

Rows are numbered ``_b`` (batch, after sorting by the row key, so that nothing
depends on input order) and ``_r`` (register, in input order: only used as a
position, never to break ties).
"""

from __future__ import annotations

import datetime as _dt

import polars as pl

from slrt_cli.match.names import _map_word, _split_pre, name_features, normalise_names, phonetic
from slrt_cli.match.settings import NameRules

ROW_KEY = ["source_file", "source_sheet", "source_row"]
_ADDRESS_NOISE = r"(?-u:\b)(?:JL|JLN|JALAN|KP|KAMP|KAMPUNG|DUSUN|DSN|DS|GG|GANG|NO|BLOK|DESA|KEL|KELURAHAN|LINGK|LINGKUNGAN|KOMPLEK|KOMP|PERUM)(?-u:\b)"
_RTRW_IN_ADDRESS = r"(?-u:\b)R[TW]\.?\s*:?\s*\d+(?:\s*/\s*\d+)?"


def col(df: pl.DataFrame, name: str, dtype: pl.DataType = pl.Utf8) -> pl.Expr:
    """The column if the frame has it (cast), else a null column of ``dtype``."""
    if name in df.columns:
        return pl.col(name).cast(dtype, strict=False)
    return pl.lit(None, dtype=dtype)


def _id16(df: pl.DataFrame, name: str) -> pl.Expr:
    text = col(df, name).str.strip_chars()
    return pl.when(text.str.contains(r"^\d{16}$")).then(text.cast(pl.Int64, strict=False)).otherwise(None)


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
        pl.when(mm == 2).then(pl.when(leap).then(29).otherwise(28))
        .when(mm.is_in([4, 6, 9, 11])).then(30).otherwise(31)
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


def _common_exprs(df: pl.DataFrame) -> list[pl.Expr]:
    """Second pass (after :func:`_base_exprs`)."""
    nik_dob, nik_sex = nik_birth(pl.col("_nik"))
    return [pl.coalesce("_dob_given", nik_dob).alias("_dob"), pl.coalesce("_sex_given", nik_sex).alias("_sex")] + _rest(df)


def _rest(df: pl.DataFrame) -> list[pl.Expr]:
    desa = col(df, "kode_desa").str.replace_all(r"\D", "")
    kec = pl.coalesce(col(df, "kode_kec").str.replace_all(r"\D", ""), desa.str.slice(0, 6))
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
    return df.with_columns(_base_exprs(df)).with_columns(_common_exprs(df)).with_columns(_date_parts())


def address_key(df: pl.DataFrame) -> pl.Expr:
    """Address for comparison: upper case, RT/RW and words like JL., KP., DUSUN left out."""
    address = (
        col(df, "alamat").str.to_uppercase().str.replace_all(_RTRW_IN_ADDRESS, " ")
        .str.replace_all(r"[^A-Z0-9]+", " ").str.replace_all(_ADDRESS_NOISE, " ")
        .str.replace_all(r"\s+", " ").str.strip_chars()
    )
    return pl.when(address == "").then(None).otherwise(address)


def word_keys(names: pl.Expr, frame: pl.DataFrame, rules: NameRules) -> pl.Expr:
    """List of the phonetic keys of the words of each name (cheap: one lookup per distinct word).

    An item may hold several keys separated by a space (``M.RIZKI``) or be null (a title):
    :func:`explode_words` flattens them.
    """
    raw_words = frame.select(_split_pre(names).explode().alias("w"))["w"]
    table = {}
    for w in raw_words.unique().drop_nulls().to_list():
        mapped = _map_word(w, rules)
        table[w] = " ".join(phonetic(x) for x in mapped.split(" ") if x) if mapped else None
    return _split_pre(names).list.eval(pl.element().replace_strict(table, default=None, return_dtype=pl.Utf8))


def explode_words(df: pl.DataFrame, idx: str, name: str = "w") -> pl.DataFrame:
    """(``idx``, word key) rows from the ``_words`` lists, distinct."""
    out = df.select(idx, pl.col("_words").alias(name)).explode(name).drop_nulls()
    if out[name].str.contains(" ", literal=True).any():
        out = out.with_columns(pl.col(name).str.split(" ")).explode(name)
    return out.filter(pl.col(name) != "").unique()


def prepare_batch(batch: pl.DataFrame, rules: NameRules) -> pl.DataFrame:
    """Batch rows sorted by the row key, numbered ``_b``, with keys and all features."""
    missing = [c for c in ROW_KEY if c not in batch.columns]
    if missing:
        raise ValueError(f"batch lacks the row-key columns {missing}")
    df = batch.sort(ROW_KEY, nulls_last=True, maintain_order=True)
    df = _prepare_common(df).with_columns(
        col(df, "nik_numeric", pl.Boolean).fill_null(False).alias("_nik_dmg"),
        col(df, "no_kk_numeric", pl.Boolean).fill_null(False).alias("_kk_dmg"),
        col(df, "status").alias("_status"),
        address_key(df).alias("_addr"),
        word_keys(col(df, "nama"), df, rules).alias("_words"),
    ).with_row_index("_b")
    names = name_features(df.select(col(df, "nama").alias("n"))["n"], rules)
    mother = normalise_names(df.select(col(df, "nama_ibu_kandung").alias("m"))["m"], rules).alias("mother_norm")
    return pl.concat([df, names], how="horizontal").with_columns(mother)


def prepare_register(register: pl.DataFrame, rules: NameRules) -> pl.DataFrame:
    """Register rows numbered ``_r`` with keys (name features come later, on demand)."""
    df = _prepare_common(register).with_columns(
        pl.lit(False).alias("_nik_dmg"),
        pl.lit(False).alias("_kk_dmg"),
        word_keys(col(register, "nama"), register, rules).alias("_words"),
    ).with_row_index("_r")
    return df


#: register columns carried into pair frames (besides the name features)
PAIR_COLUMNS = (
    "_nik", "_nik_dmg", "_dob", "_y", "_m", "_d", "_sex", "_pid", "_dob_nik", "_sex_nik",
    "_kk", "_kk_dmg", "_hid", "_rt", "_rw", "_desa", "_kec", "_hub",
)


class RegisterFeatures:
    """Register rows with their comparison features, computed on demand and kept.

    Name features cost the most; they are computed once per register row, only
    for rows that are candidates (or sampled for estimation).
    """

    def __init__(self, reg: pl.DataFrame, rules: NameRules):
        self.reg = reg
        self.rules = rules
        self.frame: pl.DataFrame | None = None

    def get(self, rows: pl.Series) -> pl.DataFrame:
        """Rows at positions ``rows`` (any order, repeats allowed) with all pair columns."""
        want = pl.DataFrame({"_r": rows.cast(pl.UInt32)}).unique()
        need = want if self.frame is None else want.join(self.frame.select("_r"), on="_r", how="anti")
        if need.height or self.frame is None:
            cols = [c for c in PAIR_COLUMNS if c in self.reg.columns]
            base = self.reg.join(need, on="_r", how="semi").select("_r", *cols)
            new = base.join(register_features(self.reg, need["_r"], self.rules), on="_r", how="inner")
            self.frame = new if self.frame is None else pl.concat([self.frame, new], how="vertical_relaxed")
        return self.frame.join(want, on="_r", how="semi")


def register_features(reg: pl.DataFrame, rows: pl.Series, rules: NameRules) -> pl.DataFrame:
    """Name features of the register rows at positions ``rows`` (``_r`` kept)."""
    sub = reg.join(pl.DataFrame({"_r": rows.unique().cast(pl.UInt32)}), on="_r", how="semi")
    sub = sub.select(
        "_r", col(sub, "nama").alias("nama"), col(sub, "nama_ibu_kandung").alias("nama_ibu_kandung"), address_key(sub).alias("_addr")
    )
    names = name_features(sub["nama"].cast(pl.Utf8), rules)
    mother = normalise_names(sub["nama_ibu_kandung"].cast(pl.Utf8), rules).alias("mother_norm")
    return pl.concat([sub.select("_r", "_addr"), names], how="horizontal").with_columns(mother)
