"""The steps wired together: the functions analysts and the CLI call.

Data flows one way: read -> normalise -> validate -> (match -> reconcile) ->
write outputs. Each step is a module of its own; this one only wires them.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import polars as pl

from slrt_cli import export
from slrt_cli.atomic import check_target, staged_dir
from slrt_cli.errors import InputError
from slrt_cli.io.readers import collect_inputs, read_file
from slrt_cli.model import (
    ERROR,
    WARNING,
    FileResult,
    Issue,
    ValidationReport,
    issues_frame,
)
from slrt_cli.normalise import normalise_sheet
from slrt_cli.report.fixfiles import write_fix_files
from slrt_cli.schemas import Schema, load_schema
from slrt_cli.validate import SOURCE_COLUMNS, ensure_columns, missing_columns, validate_batch

log = logging.getLogger("slrt.pipeline")

Progress = Callable[[str, int, int], None]  # (file name, index, total)


def read_inputs(
    inputs: Sequence[str | Path], schema: Schema, progress: Progress | None = None
) -> tuple[list[FileResult], list[Issue]]:
    """Read every input file (folders are searched recursively).

    Raises:
        UsageError: a named path does not exist.
    """
    files, issues = collect_inputs([Path(p) for p in inputs])
    results: list[FileResult] = []
    seen: dict[str, str] = {}
    for i, (path, name) in enumerate(files):
        if progress:
            progress(name, i, len(files))
        result = read_file(path, name, schema)
        if result.size == 0 or not result.sha256:
            pass  # empty or unopenable files share a hash; they are reported on their own
        elif result.sha256 in seen:
            result.issues.append(
                Issue("FILE_DUPLICATE", WARNING, name, params={"other": seen[result.sha256]})
            )
        else:
            seen[result.sha256] = name
        results.append(result)
        log.info("read file=%d/%d sheets=%d readable=%s", i + 1, len(files), len(result.sheets), result.readable)
    return results, issues


def normalise_files(files: list[FileResult], schema: Schema, today: dt.date) -> pl.DataFrame:
    """Normalise every sheet and stack them into one batch (canonical columns always present)."""
    frames = []
    for f in files:
        for sheet in f.sheets:
            frame = normalise_sheet(sheet, schema, today=today)
            frames.append(
                frame.with_columns(
                    pl.lit(f.file).alias("source_file"),
                    pl.lit(sheet.sheet).alias("source_sheet"),
                    pl.lit("no_kk" in frame.columns).alias("_has_no_kk"),
                )
            )
    if frames:
        batch = pl.concat(frames, how="diagonal_relaxed")
    else:
        batch = pl.DataFrame(schema={"source_file": pl.Utf8, "source_sheet": pl.Utf8, "source_row": pl.Int64})
    batch = batch.with_columns(pl.col("source_row").cast(pl.Int64))
    return ensure_columns(batch, schema)


def column_titles(files: list[FileResult]) -> dict[tuple[str, str], dict[str, str]]:
    """(file, sheet) -> field -> the column as the user sees it, e.g. ``NOMOR NIK (C)``."""
    out: dict[tuple[str, str], dict[str, str]] = {}
    for f in files:
        for sheet in f.sheets:
            out[(f.file, sheet.sheet)] = {
                c.field: f"{c.header} ({c.letter})" for c in sheet.columns if c.field and c.key == c.field
            }
    return out


def validate(
    inputs: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    lang: str = "id",
    overwrite: bool = False,
    today: dt.date | None = None,
    progress: Progress | None = None,
    schema: Schema | None = None,
) -> ValidationReport:
    """Read, normalise and validate village files; write the outputs to ``out``.

    Args:
        inputs: files and/or folders (searched recursively).
        out: output folder (written as a whole); None writes nothing.
        lang: language of messages in the outputs ("id" or "en").
        overwrite: replace an existing output folder.
        today: reference date for future dates and ages (default: today).
        progress: called before each file is read.
        schema: schema files (default: the bundled ones).

    Returns:
        A :class:`ValidationReport`; ``report.rows`` has one row per data row read.

    Raises:
        UsageError: a path does not exist, or ``out`` exists without ``overwrite``.
        InputError: no input file could be read (outputs are still written).

    Example:
        >>> report = validate(["sample_data/desa"], "hasil", overwrite=True)   # doctest: +SKIP
        >>> report.status_counts()                                              # doctest: +SKIP
        {'accepted': 250, 'flagged': 140, 'rejected': 9}
    """
    schema = schema or load_schema()
    today = today or dt.date.today()
    if out is not None:
        check_target(Path(out), overwrite)
    files, input_issues = read_inputs(inputs, schema, progress)
    batch = normalise_files(files, schema, today)
    result = validate_batch(batch, schema, column_titles(files), today=today)
    file_issues = input_issues + [i for f in files for i in f.issues] + [
        i for f in files for s in f.sheets for i in s.issues
    ]
    file_issues += missing_columns(files, schema)
    issues = order_issues(pl.concat([issues_frame(file_issues), result.issues], how="vertical"), files)
    rows = order_rows(result.rows, files)
    report = ValidationReport(
        files=files,
        table=rows,
        issue_table=issues,
        schema_version=schema.version,
        inputs=[str(p) for p in inputs],
    )
    log.info(
        "validated files=%d rows=%d issues=%d errors=%d",
        len(files),
        rows.height,
        issues.height,
        issues.filter(pl.col("severity") == ERROR).height,
    )
    if out is not None:
        report.outputs = write_validation_outputs(report, Path(out), schema, lang=lang, overwrite=overwrite)
    if not any(f.readable for f in files):
        err = InputError("error_no_input", paths=", ".join(str(p) for p in inputs))
        err.report = report
        raise err
    return report


def write_validation_outputs(
    report: ValidationReport, out: Path, schema: Schema, *, lang: str = "id", overwrite: bool = False
) -> list[str]:
    """Write rows.parquet, issues.csv, the fix-files and summary.json into ``out``, as a whole."""
    with staged_dir(out, overwrite) as stage:
        export.write_rows(report, schema, stage / "rows.parquet")
        export.write_issues(report, stage / "issues.csv", lang, schema)
        fixes = write_fix_files(report, stage, schema, lang)
        outputs = ["rows.parquet", "issues.csv", *fixes, "summary.json"]
        body = export.summarise(report)
        body["outputs"] = outputs
        body["language"] = lang
        export.write_summary(body, stage / "summary.json")
    log.info("wrote outputs=%d", len(outputs))
    return outputs


def order_issues(issues: pl.DataFrame, files: list[FileResult]) -> pl.DataFrame:
    """Issues in input order: file, then file-level before sheet-level before rows."""
    keys = [("", -1, "", -1)] + [(f.file, i, "", -1) for i, f in enumerate(files)]
    keys += [(f.file, i, s.sheet, j) for i, f in enumerate(files) for j, s in enumerate(f.sheets)]
    order = pl.DataFrame(keys, schema=["file", "_f", "sheet", "_s"], orient="row").unique(["file", "sheet"], keep="last")
    files_rank = order.group_by("file").agg(pl.col("_f").max().alias("_ff"))
    return (
        issues.join(order, on=["file", "sheet"], how="left")
        .join(files_rank, on="file", how="left")
        .with_columns(pl.coalesce("_ff", pl.lit(-1)).alias("_ff"), pl.col("_s").fill_null(-1))
        .sort(["_ff", "_s", "row", "code"], nulls_last=False)
        .drop("_f", "_ff", "_s")
    )


def order_rows(rows: pl.DataFrame, files: list[FileResult]) -> pl.DataFrame:
    """Rows in input order (file, sheet as in the workbook, row), source columns first."""
    order = [(f.file, s.sheet) for f in files for s in f.sheets]
    key = pl.DataFrame(
        {"source_file": [o[0] for o in order], "source_sheet": [o[1] for o in order], "_ord": list(range(len(order)))},
        schema={"source_file": pl.Utf8, "source_sheet": pl.Utf8, "_ord": pl.Int64},
    )
    rows = rows.join(key, on=["source_file", "source_sheet"], how="left").sort(["_ord", "source_row"]).drop("_ord")
    first = SOURCE_COLUMNS + ["status", "issue_codes"]
    return rows.select(first + [c for c in rows.columns if c not in first])
