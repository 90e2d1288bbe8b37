"""Data files of a run: rows.parquet, issues.csv, summary.json.

Fixed column order and types; CSV as UTF-8 with BOM (Excel opens it
directly), cells that Excel would run as formulas neutralised.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from slrt_cli import __version__
from slrt_cli.i18n import issue_messages
from slrt_cli.model import ERROR, INFO, WARNING, ValidationReport
from slrt_cli.schemas import Schema

#: Characters that make Excel/LibreOffice treat a cell as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: the same as a regular expression (the text's first character, kept as ``$1``)
_FORMULA_START_RE = r"^([=+\-@\t\r])"

#: Columns of issues.csv: stable codes, the same whatever the language (scripts read them);
#: only the ``message`` text follows the run's language.
ISSUE_COLUMNS = ["code", "severity", "file", "sheet", "row", "column", "value", "message"]
#: Kept for callers that look the columns up by language: every language gets the same codes.
ISSUE_HEADERS = {"id": ISSUE_COLUMNS, "en": ISSUE_COLUMNS}


def escape_formula(expr: pl.Expr) -> pl.Expr:
    """Prefix a quote to text that a spreadsheet would run as a formula (CSV injection).

    One regular expression over the text, which is computed once (the columns of ``kirim/`` are
    formatted expressions, and a 440,000-person list goes through here)."""
    return expr.str.replace(_FORMULA_START_RE, "'$1")


def write_csv(frame: pl.DataFrame, path: Path) -> None:
    """CSV for operators: UTF-8 with BOM, formula-looking text neutralised."""
    safe = frame.with_columns(
        [escape_formula(pl.col(c)).alias(c) for c, dtype in frame.schema.items() if dtype == pl.Utf8]
    )
    safe.write_csv(path, include_bom=True)


def row_columns(table: pl.DataFrame, schema: Schema) -> list[pl.Expr]:
    """Output columns of rows.parquet, in a fixed order."""
    first = ["source_file", "source_sheet", "source_row", "status", "issue_codes"]
    fields = [f for f in schema.fields if f in table.columns]
    exprs = [pl.col(c) for c in first + fields]
    exprs += [
        pl.col("nama__raw").alias("nama_asli"),
        pl.col("nama_alm"),
        pl.col("nik__numeric").alias("nik_numeric"),
        pl.col("no_kk__numeric").alias("no_kk_numeric"),
    ]
    exprs += [pl.col(c) for c in ("kode_kec_bps", "kode_desa_bps") if c in table.columns]
    exprs += [pl.col(c) for c in table.columns if c.startswith("x:")]
    return exprs


def write_rows(report: ValidationReport, schema: Schema, path: Path) -> None:
    report.table.select(row_columns(report.table, schema)).write_parquet(path, compression="zstd", statistics=True)


def label_columns(issues: pl.DataFrame, schema: Schema, lang: str) -> pl.DataFrame:
    """A column named by its canonical field (absent from the file) is shown by its label."""
    labels = {name: f.label(lang) for name, f in schema.fields.items()}
    params = pl.col("params")
    for name, label in labels.items():
        for key in ("field", "previous"):
            params = params.str.replace_all(f'"{key}":"{name}"', f'"{key}":"{label}"', literal=True)
    return issues.with_columns(
        pl.col("column").replace(labels),
        pl.when(pl.col("code").is_in(FIELD_CODES)).then(params).otherwise(pl.col("params")).alias("params"),
    )


#: issue codes whose ``field``/``previous`` parameters name a canonical field (shown by its label)
FIELD_CODES = ["COLUMN_MISSING", "COLUMN_BY_CONTENT", "COLUMN_CONTENT_MISMATCH", "COLUMN_CONTENT_DOUBT",
               "KEY_COLUMNS_DISAGREE"]


def write_issues(report: ValidationReport, path: Path, lang: str, schema: Schema) -> None:
    issues = label_columns(report.issue_table, schema, lang)
    frame = issues.select("code", "severity", "file", "sheet", "row", "column", "value").with_columns(
        issue_messages(issues, lang)
    )
    frame.columns = ISSUE_COLUMNS
    write_csv(frame, path)


def summarise(report: ValidationReport) -> dict:
    """Counts per file and sheet and per status, issue counts by code: the summary.json body."""
    table, issues = report.table, report.issue_table
    per_sheet: dict[tuple[str, str], dict[str, int]] = {}
    for file, sheet, status, n in table.group_by(["source_file", "source_sheet", "status"]).len().iter_rows():
        per_sheet.setdefault((file, sheet), {})[status] = n
    sev = {}
    for file, severity, n in issues.group_by(["file", "severity"]).len().iter_rows():
        sev.setdefault(file, {})[severity] = n
    files = []
    for f in report.files:
        sheets = []
        for s in f.sheets:
            c = per_sheet.get((f.file, s.sheet), {})
            sheets.append(
                {
                    "sheet": s.sheet,
                    "header_rows": list(s.header_rows),
                    "rows": sum(c.values()),
                    "accepted": c.get("accepted", 0),
                    "flagged": c.get("flagged", 0),
                    "rejected": c.get("rejected", 0),
                    "rows_skipped": s.rows_skipped,
                }
            )
        totals = {k: sum(s[k] for s in sheets) for k in ("rows", "accepted", "flagged", "rejected", "rows_skipped")}
        files.append(
            {
                "file": f.file,
                "format": f.format,
                "size": f.size,
                "sha256": f.sha256,
                "readable": f.readable,
                **totals,
                "issues": {k: sev.get(f.file, {}).get(k, 0) for k in (ERROR, WARNING, INFO)},
                "sheets": sheets,
            }
        )
    by_code = dict(sorted(issues.group_by("code").len().iter_rows()))
    status = report.status_counts()
    return {
        "slrt_version": __version__,
        "schema_version": report.schema_version,
        "totals": {
            "files": len(report.files),
            "files_readable": report.readable_files,
            "rows": table.height,
            **status,
            "rows_skipped": sum(f["rows_skipped"] for f in files),
            "issues": {k: issues.filter(pl.col("severity") == k).height for k in (ERROR, WARNING, INFO)},
        },
        "issues_by_code": by_code,
        "files": files,
    }


def write_summary(body: dict, path: Path) -> None:
    path.write_text(json.dumps(body, ensure_ascii=False, indent=2, sort_keys=False) + "\n", encoding="utf-8")



def write_table(frame: pl.DataFrame, stage: Path, name: str) -> list[str]:
    """A table for operators and scripts alike: ``name.csv`` (UTF-8 BOM) and ``name.parquet``."""
    frame.write_parquet(stage / f"{name}.parquet", compression="zstd")
    flat = frame.with_columns(
        [pl.col(c).list.join(";") for c, dtype in frame.schema.items() if isinstance(dtype, pl.List)]
    )
    flat = flat.select([c for c, dtype in flat.schema.items() if not isinstance(dtype, (pl.Struct, pl.List))])
    write_csv(flat, stage / f"{name}.csv")
    return [f"{name}.csv", f"{name}.parquet"]
