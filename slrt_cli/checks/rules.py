"""The validation rules: one polars expression per issue code.

Each :class:`Rule` says when a row passes (True) for one stable issue code of
``schemas/rules.toml``, which column the issue is reported against, and which
value and message parameters it quotes. Helper columns (prefix ``_v_``) are
derived first by :func:`derive`. The pandera engine (``engine.py``) turns the
rules into a pandera schema and runs it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from slrt_cli import reference
from slrt_cli.schemas import Schema

#: Columns every batch carries besides the canonical fields.
SOURCE_COLUMNS = ["source_file", "source_sheet", "source_row"]

_POLARS_TYPE = {
    "id": pl.Utf8,
    "name": pl.Utf8,
    "text": pl.Utf8,
    "code": pl.Utf8,
    "region": pl.Utf8,
    "rtrw": pl.Utf8,
    "date": pl.Date,
    "flag": pl.Boolean,
    "int": pl.Int64,
}

# Eight equal digits in a row (a filler such as 3201000000000000 or 1111111111111111).
_REPEATED = "|".join(f"{d}{{8}}" for d in range(10))

# Derived helper columns (prefix _v_) computed before the checks run.
_V = "_v_"


def field_dtype(kind: str) -> pl.DataType:
    return _POLARS_TYPE[kind]


def ensure_columns(batch: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Add every canonical field (and its companion columns) missing from ``batch`` as nulls."""
    add = []
    for f in schema.fields.values():
        if f.name in batch.columns and batch.schema[f.name] == pl.Null:
            add.append(pl.col(f.name).cast(field_dtype(f.kind)))
        if f.name not in batch.columns:
            add.append(pl.lit(None, dtype=field_dtype(f.kind)).alias(f.name))
        if f"{f.name}__raw" in batch.columns and batch.schema[f"{f.name}__raw"] == pl.Null:
            add.append(pl.col(f"{f.name}__raw").cast(pl.Utf8))
        if f"{f.name}__raw" not in batch.columns:
            add.append(pl.lit(None, dtype=pl.Utf8).alias(f"{f.name}__raw"))
        if f.kind == "id" and f"{f.name}__numeric" not in batch.columns:
            add.append(pl.lit(False).alias(f"{f.name}__numeric"))
        if f.kind == "code" and f"{f.name}__list" not in batch.columns:
            add.append(pl.lit(None, dtype=pl.Utf8).alias(f"{f.name}__list"))
        if f.kind == "date" and f"{f.name}__status" not in batch.columns:
            add.append(pl.lit("empty").alias(f"{f.name}__status"))
    if "_has_no_kk" not in batch.columns:  # set per sheet by the pipeline
        add.append(pl.lit("no_kk" in batch.columns).alias("_has_no_kk"))
    extras = [("nama_alm", pl.Boolean), ("region_unresolved", pl.Utf8)]
    extras += [(f"{f.name}_bps", pl.Utf8) for f in schema.fields.values() if f.kind == "region"]
    for extra, dtype in extras:
        if extra not in batch.columns:
            add.append(pl.lit(None, dtype=dtype).alias(extra))
    return batch.with_columns(add) if add else batch


# ---------------------------------------------------------------- derived columns


def _id_parts(prefix: str, col: str) -> list[pl.Expr]:
    """Structure of a NIK/No KK. A value that came through an Excel number is not
    analysed further (its last digits are unknown): it gets only its *_NUMERIC issue."""
    c = pl.col(col)
    digits16 = (c.str.contains(r"^\d{16}$") & ~pl.col(f"{col}__numeric")).fill_null(False)
    return [
        digits16.alias(f"{_V}{prefix}_16"),
        c.str.slice(0, 2).alias(f"{_V}{prefix}_prov"),
        c.str.slice(0, 4).alias(f"{_V}{prefix}_kab"),
        (digits16 & (c.str.slice(12, 4) == "0000")).fill_null(False).alias(f"{_V}{prefix}_serial0"),
    ]


def derive(batch: pl.DataFrame, schema: Schema, today: dt.date) -> pl.DataFrame:
    """Add the helper columns (prefix ``_v_``) the checks need."""
    provinces = list(reference.provinces())
    kabs = list(reference.kabupaten()) + list(reference.legacy_kabupaten())
    df = batch.with_columns(_id_parts("nik", "nik") + _id_parts("kk", "no_kk"))
    # Build a real date from the NIK block without raising on 31-02: go through strings.
    df = df.with_columns(_safe_nik_date(today))
    relation = pl.coalesce(pl.col("hub_kk"), pl.col("hub_krt"))
    age = ((pl.lit(today) - pl.col("tanggal_lahir")).dt.total_days() / 365.2425).floor().cast(pl.Int32)
    df = df.with_columns(
        pl.col(f"{_V}nik_prov").is_in(provinces).alias(f"{_V}nik_prov_ok"),
        pl.col(f"{_V}nik_kab").is_in(kabs).alias(f"{_V}nik_kab_ok"),
        pl.col(f"{_V}kk_prov").is_in(provinces).alias(f"{_V}kk_prov_ok"),
        relation.alias(f"{_V}rel"),
        age.alias(f"{_V}age"),
        # hub_kk is relative to the KK head (group by No KK); hub_krt to the household (ruta)
        # head (group by the household id; without one the household cannot be checked)
        pl.when(pl.col("hub_kk").is_not_null())
        .then(pl.col("no_kk"))
        .when(pl.col("hub_krt").is_not_null())
        .then(pl.col("household_id"))
        .alias(f"{_V}hh"),
    )
    nik_struct = (
        pl.col(f"{_V}nik_16")
        & pl.col(f"{_V}nik_prov_ok")
        & pl.col(f"{_V}nik_date").is_not_null()
        & ~pl.col(f"{_V}nik_serial0")
    )
    hh = pl.col(f"{_V}hh")
    is_head = pl.col(f"{_V}rel") == "1"
    head_age = pl.when(hh.is_not_null()).then(
        pl.when(is_head).then(pl.col(f"{_V}age")).otherwise(None).max().over(hh)
    )
    nik = pl.col("nik")
    day, month = nik.str.slice(6, 2).cast(pl.Int32, strict=False), nik.str.slice(8, 2).cast(pl.Int32, strict=False)
    damaged_usable = (  # Excel kept the first 15 digits: with a name, still enough to match the person
        pl.col("nik__numeric")
        & nik.str.contains(r"^\d{16}$")
        & pl.col(f"{_V}nik_prov_ok")
        & month.is_between(1, 12)
        & (day.is_between(1, 31) | day.is_between(41, 71))
    ).fill_null(False)
    df = df.with_columns(
        nik_struct.alias(f"{_V}nik_valid"),
        damaged_usable.alias(f"{_V}nik_damaged_usable"),
        pl.len().over(hh).alias(f"{_V}hh_n"),
        is_head.fill_null(False).cast(pl.Int32).sum().over(hh).alias(f"{_V}hh_heads"),
        head_age.alias(f"{_V}head_age"),
        pl.when(pl.col(f"{_V}nik_16")).then(pl.col(f"{_V}nik_16").cast(pl.Int32).sum().over("nik")).otherwise(1).alias(f"{_V}nik_n"),
    )
    return _region_known(df, schema)


def _safe_nik_date(today: dt.date) -> list[pl.Expr]:
    c = pl.col("nik")
    dd = c.str.slice(6, 2).cast(pl.Int32, strict=False)
    mm = c.str.slice(8, 2).cast(pl.Int32, strict=False)
    yy = c.str.slice(10, 2).cast(pl.Int32, strict=False)
    female = dd > 40
    day = pl.when(female).then(dd - 40).otherwise(dd)
    year = pl.when(yy <= today.year % 100).then(2000 + yy).otherwise(1900 + yy)
    text = pl.format(
        "{}-{}-{}",
        year.cast(pl.Utf8),
        mm.cast(pl.Utf8).str.zfill(2),
        day.cast(pl.Utf8).str.zfill(2),
    )
    date = text.str.strptime(pl.Date, "%Y-%m-%d", strict=False)
    valid = pl.col(f"{_V}nik_16") & day.is_between(1, 31) & mm.is_between(1, 12)
    return [
        pl.when(valid).then(date).otherwise(None).alias(f"{_V}nik_date"),
        pl.when(valid)
        .then(pl.when(female).then(pl.lit("2")).otherwise(pl.lit("1")))
        .otherwise(None)
        .alias(f"{_V}nik_sex"),
    ]


# ---------------------------------------------------------------- rules


@dataclass(frozen=True)
class Rule:
    """One check: the row passes when ``ok`` is True (null counts as a pass).

    ``column`` is the field the issue is reported against; ``value`` the
    expression quoted in the message (masked when ``masked``); ``params``
    extra message parameters as expressions.
    """

    code: str
    column: str
    ok: Callable[[dict], pl.Expr]
    value: str | None = None
    masked: bool = False
    params: Callable[[dict], dict[str, pl.Expr]] | None = None


def _c(name: str) -> pl.Expr:
    return pl.col(name)


def _present(field: str) -> pl.Expr:
    return _c(f"{field}__raw").str.strip_chars().str.len_chars().fill_null(0) > 0


def _fmt_date(expr: pl.Expr) -> pl.Expr:
    return expr.dt.strftime("%d-%m-%Y")


def _sex_label(expr: pl.Expr, lang_labels: dict[str, str]) -> pl.Expr:
    return expr.replace_strict(lang_labels, default=expr)


def rules_for(schema: Schema) -> list[Rule]:
    s = schema.settings
    max_age = int(s.get("max_age", 120))
    min_head = int(s.get("min_age_head", 13))
    gap = int(s.get("min_parent_gap", 12))
    sex_labels = schema.codelists["jenis_kelamin"].labels_id
    V = _V
    rules = [
        # rejection: the row cannot identify a person
        Rule("NAME_MISSING", "nama", lambda x: _c("nama").is_not_null()),
        Rule(
            "IDENTITY_MISSING",
            "tanggal_lahir",
            lambda x: _c(f"{V}nik_valid") | _c("tanggal_lahir").is_not_null() | _c(f"{V}nik_damaged_usable"),
        ),
        Rule(
            "BIRTH_DATE_FUTURE",
            "tanggal_lahir",
            lambda x: ~(_c("tanggal_lahir") > pl.lit(x["today"])),
            value="_date",
        ),
        # NIK
        Rule("NIK_MISSING", "nik", lambda x: _present("nik")),
        Rule("NIK_NUMERIC", "nik", lambda x: ~_c("nik__numeric"), value="nik", masked=True),
        Rule(
            "NIK_FORMAT",
            "nik",
            lambda x: _c(f"{V}nik_16") | ~_present("nik") | _c("nik__numeric"),
            value="nik",
            masked=True,
            params=lambda x: {"detail": _len_detail("nik")},
        ),
        Rule(
            "NIK_PROVINCE_UNKNOWN",
            "nik",
            lambda x: ~_c(f"{V}nik_16") | _c(f"{V}nik_prov_ok"),
            value="nik",
            masked=True,
            params=lambda x: {"prefix": _c(f"{V}nik_prov")},
        ),
        Rule(
            "NIK_REGION_UNKNOWN",
            "nik",
            lambda x: ~_c(f"{V}nik_16") | ~_c(f"{V}nik_prov_ok") | _c(f"{V}nik_kab_ok"),
            value="nik",
            masked=True,
            params=lambda x: {"prefix": _c(f"{V}nik_kab")},
        ),
        Rule(
            "NIK_DATE_INVALID",
            "nik",
            lambda x: ~_c(f"{V}nik_16") | _c(f"{V}nik_date").is_not_null(),
            value="nik",
            masked=True,
        ),
        Rule("NIK_SERIAL_ZERO", "nik", lambda x: ~_c(f"{V}nik_serial0"), value="nik", masked=True),
        Rule(
            "NIK_REPEATED_DIGITS",
            "nik",
            lambda x: ~(_c(f"{V}nik_16") & _c("nik").str.contains(_REPEATED)),
            value="nik",
            masked=True,
        ),
        Rule(
            "NIK_BIRTH_DATE_MISMATCH",
            "nik",
            lambda x: _c(f"{V}nik_date").is_null()
            | _c("tanggal_lahir").is_null()
            | (_c(f"{V}nik_date") == _c("tanggal_lahir"))
            | _c("nik__numeric"),
            value="nik",
            masked=True,
            params=lambda x: {
                "nik_date": _fmt_date(_c(f"{V}nik_date")),
                "birth_date": _fmt_date(_c("tanggal_lahir")),
            },
        ),
        Rule(
            "NIK_SEX_MISMATCH",
            "nik",
            lambda x: _c(f"{V}nik_sex").is_null()
            | _c("jenis_kelamin").is_null()
            | (_c(f"{V}nik_sex") == _c("jenis_kelamin")),
            value="nik",
            masked=True,
            params=lambda x: {
                "nik_sex": _sex_label(_c(f"{V}nik_sex"), sex_labels),
                "sex": _sex_label(_c("jenis_kelamin"), sex_labels),
            },
        ),
        Rule(
            "NIK_EQUALS_KK",
            "nik",
            lambda x: ~(_c(f"{V}nik_16") & (_c("nik") == _c("no_kk"))),
            value="nik",
            masked=True,
        ),
        Rule(
            "NIK_DUPLICATE",
            "nik",
            lambda x: _c(f"{V}nik_n") <= 1,
            value="nik",
            masked=True,
        ),
        # No KK
        Rule("KK_MISSING", "no_kk", lambda x: _present("no_kk") | ~_c("_has_no_kk").fill_null(False)),
        Rule("KK_NUMERIC", "no_kk", lambda x: ~_c("no_kk__numeric"), value="no_kk", masked=True),
        Rule(
            "KK_FORMAT",
            "no_kk",
            lambda x: _c(f"{V}kk_16") | ~_present("no_kk") | _c("no_kk__numeric"),
            value="no_kk",
            masked=True,
            params=lambda x: {"detail": _len_detail("no_kk")},
        ),
        Rule(
            "KK_PROVINCE_UNKNOWN",
            "no_kk",
            lambda x: ~_c(f"{V}kk_16") | _c(f"{V}kk_prov_ok"),
            value="no_kk",
            masked=True,
            params=lambda x: {"prefix": _c(f"{V}kk_prov")},
        ),
        Rule("KK_SERIAL_ZERO", "no_kk", lambda x: ~_c(f"{V}kk_serial0"), value="no_kk", masked=True),
        # birth date
        Rule(
            "BIRTH_DATE_MISSING",
            "tanggal_lahir",
            lambda x: _c("tanggal_lahir__status") != "empty",
        ),
        Rule(
            "BIRTH_DATE_INVALID",
            "tanggal_lahir",
            lambda x: _c("tanggal_lahir__status") != "invalid",
            value="tanggal_lahir__raw",
        ),
        Rule(
            "BIRTH_DATE_PLACEHOLDER",
            "tanggal_lahir",
            lambda x: _c("tanggal_lahir__status") != "placeholder",
            value="tanggal_lahir__raw",
        ),
        Rule(
            "BIRTH_DATE_TOO_OLD",
            "tanggal_lahir",
            lambda x: ~(_c(f"{V}age") > max_age),
            value="_date",
            params=lambda x: {"max_age": pl.lit(str(max_age))},
        ),
        # coded values
        Rule(
            "SEX_INVALID",
            "jenis_kelamin",
            lambda x: ~_present("jenis_kelamin") | _c("jenis_kelamin").is_not_null(),
            value="jenis_kelamin__raw",
        ),
        # names
        Rule(
            "NAME_HAS_DIGITS",
            "nama",
            lambda x: ~_c("nama").str.contains(r"\d").fill_null(False),
            value="nama",
        ),
        # region
        Rule(
            "REGION_NAME_UNKNOWN",
            "nama_desa",
            lambda x: _c("region_unresolved").is_null(),
            value="_region_name",
            params=lambda x: {"field": _c("region_unresolved")},
        ),
        # household
        Rule(
            "HOUSEHOLD_NO_HEAD",
            "no_kk",
            lambda x: _c(f"{V}hh").is_null()
            | _c(f"{V}rel").is_null().all().over(f"{V}hh")
            | (_c(f"{V}hh_n") < 2)
            | (_c(f"{V}hh_heads") > 0),
            value=f"{V}hh",
            masked=True,
            params=lambda x: {"count": _c(f"{V}hh_n").cast(pl.Utf8)},
        ),
        Rule(
            "HOUSEHOLD_MANY_HEADS",
            "no_kk",
            lambda x: _c(f"{V}hh").is_null() | ~(_c(f"{V}rel") == "1") | (_c(f"{V}hh_heads") <= 1),
            value=f"{V}hh",
            masked=True,
            params=lambda x: {"count": _c(f"{V}hh_heads").cast(pl.Utf8)},
        ),
        Rule(
            "AGE_RELATION_IMPLAUSIBLE",
            "hub_kk",
            lambda x: _implausible_age(min_head, gap).not_().fill_null(True),
            value=f"{V}rel",
            params=lambda x: {
                "age": _c(f"{V}age").cast(pl.Utf8),
                "relation": _c(f"{V}rel").replace_strict(
                    schema.codelists["hubungan"].labels_id, default=_c(f"{V}rel")
                ),
                "detail": _implausible_detail(min_head, gap),
            },
        ),
    ]
    rules += _code_rules(schema)
    return rules


def _implausible_age(min_head: int, gap: int) -> pl.Expr:
    rel, age, head = _c(f"{_V}rel"), _c(f"{_V}age"), _c(f"{_V}head_age")
    return (
        (rel.is_in(["1", "2"]) & (age < min_head))
        | ((rel == "3") & (age > head - gap))
        | ((rel == "6") & (age < head + gap))
        | ((rel == "5") & (age > head - 2 * gap))
    )


def _implausible_detail(min_head: int, gap: int) -> pl.Expr:
    rel, head = _c(f"{_V}rel"), _c(f"{_V}head_age")
    head_txt = pl.lit("kepala ") + head.cast(pl.Utf8) + pl.lit(" th")
    return (
        pl.when(rel.is_in(["1", "2"]))
        .then(pl.lit(f"< {min_head} th"))
        .otherwise(head_txt)
    )


def _len_detail(field: str) -> pl.Expr:
    c = _c(field)
    return pl.format("{} karakter", c.str.len_chars().cast(pl.Utf8))


def _code_rules(schema: Schema) -> list[Rule]:
    """CODE/FLAG/NUMBER/RT_RW/REGION checks for every field of those kinds."""
    out: list[Rule] = []
    for f in schema.fields.values():
        name = f.name
        invalid = lambda x, n=name: ~_present(n) | _c(n).is_not_null()
        label = pl.lit(f.label_id)
        if f.kind == "code" and name != "jenis_kelamin":
            cl = schema.codelist_for(name)
            allowed = cl.describe("id") if cl else ""
            lists = {k: v.describe("id") for k, v in schema.codelists.items()}

            def listed(x, n=name, a=allowed, ls=lists):  # the list the sheet's column was read with
                return pl.col(f"{n}__list").replace_strict(ls, default=pl.lit(a), return_dtype=pl.Utf8)

            out.append(
                Rule(
                    "CODE_INVALID",
                    name,
                    invalid,
                    value=f"{name}__raw",
                    params=lambda x, lab=label, lst=listed: {"field": lab, "allowed": lst(x)},
                )
            )
        elif f.kind == "flag":
            out.append(Rule("FLAG_INVALID", name, invalid, value=f"{name}__raw", params=lambda x, lab=label: {"field": lab}))
        elif f.kind == "int":
            lo, hi = f.min, f.max
            ok = invalid
            if lo is not None and hi is not None:
                ok = lambda x, n=name, lo=lo, hi=hi: (~_present(n) | _c(n).is_between(lo, hi)).fill_null(False)
            detail = f"{lo}-{hi}" if lo is not None else "angka bulat"
            out.append(
                Rule(
                    "NUMBER_INVALID",
                    name,
                    ok,
                    value=f"{name}__raw",
                    params=lambda x, lab=label, d=detail: {"field": lab, "detail": pl.lit(d)},
                )
            )
        elif f.kind == "rtrw":
            out.append(Rule("RT_RW_INVALID", name, invalid, value=f"{name}__raw", params=lambda x, lab=label: {"field": lab}))
        elif f.kind == "region":
            out.append(
                Rule(
                    "REGION_CODE_UNKNOWN",
                    name,
                    # a BPS-style code (kode_kec_bps/kode_desa_bps) is not a Kemendagri code: not unknown
                    lambda x, n=name: ~_present(n) | _c(f"{_V}{n}_known") | _c(f"{n}_bps").is_not_null(),
                    value=f"{name}__raw",
                    params=lambda x, lab=label: {"field": lab},
                )
            )
        elif f.kind == "id" and f.id_type is None:
            out.append(
                Rule(
                    "ID_NUMERIC",
                    name,
                    lambda x, n=name: ~_c(f"{n}__numeric"),
                    value=name,
                    masked=True,
                    params=lambda x, lab=label: {"field": lab},
                )
            )
    return out



def _region_known(batch: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    """Add ``_v_<field>_known`` for region code fields (looked up per unique code)."""
    add = []
    for f in schema.fields.values():
        if f.kind != "region":
            continue
        codes = batch.get_column(f.name).drop_nulls().unique().to_list()
        known = [c for c in codes if reference.known_code(c)]
        add.append(pl.col(f.name).is_in(known).fill_null(False).alias(f"{_V}{f.name}_known"))
    return batch.with_columns(add) if add else batch


