"""Validate a normalised batch with pandera (polars backend) and turn failures into issues.

The pandera schema is built from ``schemas/fields.toml`` (which columns exist,
their types, their code lists) and ``schemas/rules.toml`` (severity of each
issue code, thresholds). Each rule below is a pandera check named by its
stable issue code; a row fails a check when the rule's expression is False.
Checks run lazily (``lazy=True``): every failure of every row is collected,
then each row gets a status: ``rejected`` (any error), ``flagged`` (any
warning) or ``accepted``.

pandera's failure table is used only for (check, row index): its
``failure_case`` holds raw values (full NIKs), so it is never shown; values
are re-read from the batch and masked here.
"""

from __future__ import annotations

import datetime as dt
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

import polars as pl

from slrt_cli.model import ACCEPTED, FLAGGED, ISSUE_SCHEMA, REJECTED
from slrt_cli.privacy import mask_id_expr
from slrt_cli.schemas import Schema
from slrt_cli.checks.rules import (
    _V,
    Rule,
    _c,
    _fmt_date,
    derive,
    ensure_columns,
    field_dtype,
    rules_for,
)

if TYPE_CHECKING:
    import pandera.polars as pa


# pandera imports pyspark.pandas when PySpark is installed (the [spark] extra), which warns about the
# pandas version on the operator's console; slrt never uses pandas-on-Spark. A process-wide filter
# (imports also happen in the preloading thread), for that one message only.
warnings.filterwarnings("ignore", message=".*PySpark does not yet fully support", category=FutureWarning)


def _import_pandera():  # half a second with pandas: only when a batch is validated
    import pandera.polars

    return pandera.polars


# ---------------------------------------------------------------- pandera schema


def build_schema(schema: Schema, rules: list[Rule], ctx: dict) -> pa.DataFrameSchema:
    """The pandera schema: one column per canonical field, one named check per rule."""
    pa = _import_pandera()
    by_column: dict[str, list[pa.Check]] = {}
    for rule in rules:
        expr = rule.ok(ctx).fill_null(True)
        check = pa.Check(
            lambda data, e=expr: data.lazyframe.select(e),
            name=rule.code,
            error=rule.code,
            ignore_na=False,
        )
        by_column.setdefault(rule.column, []).append(check)
    columns = {
        f.name: pa.Column(
            field_dtype(f.kind),
            nullable=True,
            required=True,
            checks=by_column.get(f.name, []),
        )
        for f in schema.fields.values()
    }
    return pa.DataFrameSchema(columns, strict=False, coerce=False, name="slrt_batch")


def _check_columns(rules: list[Rule]) -> dict[tuple[str, str], Rule]:
    return {(r.column, r.code): r for r in rules}


@dataclass
class BatchValidation:
    rows: pl.DataFrame  # the batch with status and issue_codes
    issues: pl.DataFrame  # ISSUE_SCHEMA


def validate_batch(
    batch: pl.DataFrame,
    schema: Schema,
    headers: dict[tuple[str, str], dict[str, str]],
    *,
    today: dt.date | None = None,
) -> BatchValidation:
    """Validate the normalised batch.

    Args:
        batch: normalised rows of every sheet, with ``source_file``,
            ``source_sheet``, ``source_row`` and the canonical columns.
        schema: the loaded schema files.
        headers: for each (file, sheet), field -> column title as the user
            sees it (with its letter), used to name the column of an issue.
        today: the reference date for "future" and ages (default: today).

    Returns:
        BatchValidation with every row's ``status`` and ``issue_codes`` and
        the row-level issues.
    """
    today = today or dt.date.today()
    ctx = {"today": today}
    batch = ensure_columns(batch, schema).with_row_index("_idx")
    derived = derive(batch, schema, today)
    rules = rules_for(schema)
    pandera_schema = build_schema(schema, rules, ctx)
    failures = _failures(pandera_schema, derived)
    lookup = _check_columns(rules)
    issues = _issue_frame(derived, failures, lookup, schema, headers)
    rows = _statuses(derived, issues, schema)
    drop = [c for c in rows.columns if c.startswith("_")]
    return BatchValidation(rows=rows.drop(drop), issues=issues)


def _failures(pandera_schema: pa.DataFrameSchema, frame: pl.DataFrame) -> pl.DataFrame:
    pa = _import_pandera()
    try:
        pandera_schema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        fc = exc.failure_cases
        bad = fc.filter(pl.col("index").is_null())
        if bad.height:  # a dtype or missing-column failure: a bug in normalisation, never user data
            detail = bad.select("column", "check").unique().rows()
            raise RuntimeError(f"batch does not match the schema: {detail}") from None
        return fc.select(
            pl.col("column").alias("_column"), pl.col("check").alias("code"), pl.col("index").cast(pl.UInt32).alias("_idx")
        )
    return pl.DataFrame(schema={"_column": pl.Utf8, "code": pl.Utf8, "_idx": pl.UInt32})


def _issue_frame(
    frame: pl.DataFrame,
    failures: pl.DataFrame,
    lookup: dict[tuple[str, str], Rule],
    schema: Schema,
    headers: dict[tuple[str, str], dict[str, str]],
) -> pl.DataFrame:
    parts = []
    for (column, code), group in failures.group_by(["_column", "code"], maintain_order=True):
        rule = lookup[(column, code)]
        sub = frame.join(group.select("_idx"), on="_idx", how="semi")
        parts.append(_render_rule(sub, rule, schema))
    if not parts:
        return pl.DataFrame(schema=ISSUE_SCHEMA)
    out = pl.concat(parts, how="vertical")
    out = _attach_headers(out, headers)
    return out.sort(["file", "sheet", "row", "code"]).select(list(ISSUE_SCHEMA)).with_columns(
        pl.col("row").cast(pl.Int64)
    )


def _value_expr(rule: Rule) -> pl.Expr:
    if rule.value is None:
        return pl.lit("")
    if rule.value == "_date":
        v = _fmt_date(_c("tanggal_lahir"))
    elif rule.value == "_region_name":
        v = pl.coalesce(
            *[
                pl.when(_c("region_unresolved") == n).then(_c(f"{n}__raw"))
                for n in ("nama_prov", "nama_kab", "nama_kec", "nama_desa")
            ]
        )
    else:
        v = _c(rule.value).cast(pl.Utf8)
    if rule.masked:
        v = mask_id_expr(v)
    return v.fill_null("")


def _render_rule(sub: pl.DataFrame, rule: Rule, schema: Schema) -> pl.DataFrame:
    params = rule.params({}) if rule.params else {}
    if rule.code == "NIK_DUPLICATE":
        sub = _duplicate_others(sub)
        params = {"count": _c(f"{_V}nik_n").cast(pl.Utf8), "others": _c("_others")}
    column = rule.column
    if rule.code == "REGION_NAME_UNKNOWN":
        column_expr = _c("region_unresolved")
    else:
        column_expr = pl.lit(column)
    params_expr = (
        pl.struct([e.cast(pl.Utf8).fill_null("").alias(k) for k, e in params.items()]).struct.json_encode()
        if params
        else pl.lit("{}")
    )
    return sub.select(
        pl.lit(rule.code).alias("code"),
        pl.lit(schema.severity(rule.code)).alias("severity"),
        _c("source_file").alias("file"),
        _c("source_sheet").alias("sheet"),
        _c("source_row").cast(pl.Int64).alias("row"),
        column_expr.alias("column"),
        _value_expr(rule).alias("value"),
        params_expr.alias("params"),
    )


def _duplicate_others(sub: pl.DataFrame) -> pl.DataFrame:
    """For each duplicated NIK row, list where else it appears (file:row, at most 3)."""
    loc = pl.format("{}:{}", _c("source_file"), _c("source_row"))
    where = sub.select("nik", loc.alias("_loc")).group_by("nik").agg(pl.col("_loc"))
    sub = sub.with_columns(loc.alias("_self")).join(where, on="nik", how="left")
    return sub.with_columns(
        pl.col("_loc")
        .list.set_difference(pl.concat_list(pl.col("_self")))
        .list.head(3)
        .list.join(", ")
        .alias("_others")
    )


def _attach_headers(issues: pl.DataFrame, headers: dict[tuple[str, str], dict[str, str]]) -> pl.DataFrame:
    rows = [
        (file, sheet, field, title)
        for (file, sheet), mapping in headers.items()
        for field, title in mapping.items()
    ]
    if not rows:
        return issues
    table = pl.DataFrame(rows, schema=["file", "sheet", "column", "_title"], orient="row")
    return (
        issues.join(table, on=["file", "sheet", "column"], how="left")
        .with_columns(pl.coalesce("_title", "column").alias("column"))
        .drop("_title")
    )


def _statuses(frame: pl.DataFrame, issues: pl.DataFrame, schema: Schema) -> pl.DataFrame:
    keyed = issues.select("file", "sheet", "row", "code", "severity")
    per_row = keyed.group_by(["file", "sheet", "row"]).agg(
        pl.col("code").unique(maintain_order=True).alias("issue_codes"),
        (pl.col("severity") == "error").any().alias("_err"),
        (pl.col("severity") == "warning").any().alias("_warn"),
    )
    out = frame.join(
        per_row,
        left_on=["source_file", "source_sheet", "source_row"],
        right_on=["file", "sheet", "row"],
        how="left",
    )
    status = (
        pl.when(pl.col("_err").fill_null(False))
        .then(pl.lit(REJECTED))
        .when(pl.col("_warn").fill_null(False))
        .then(pl.lit(FLAGGED))
        .otherwise(pl.lit(ACCEPTED))
    )
    return out.with_columns(
        status.alias("status"),
        pl.col("issue_codes").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
    ).drop("_err", "_warn")
