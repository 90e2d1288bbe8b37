"""Writing what a command produced into its staging folder: the validation outputs, the villages'
fix-files, and the run's tables, workbooks, HTML page and ministry files. :mod:`slrt_cli.pipeline`
decides what to write and when; this module only writes.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from slrt_cli import export
from slrt_cli.atomic import staged_dir
from slrt_cli.executor import Batch, Pool
from slrt_cli.model import ValidationReport
from slrt_cli.report.fixfiles import fix_file_jobs, write_prepared
from slrt_cli.schemas import Schema

if TYPE_CHECKING:
    from slrt_cli.runs import RunReport
    from slrt_cli.reconcile import Reconciliation

log = logging.getLogger("slrt.pipeline")


def write_validation_outputs(
    report: ValidationReport, out: Path, schema: Schema, *, lang: str = "id", overwrite: bool = False,
    pool: Pool | None = None,
) -> list[str]:
    """Write rows.parquet, issues.csv, the fix-files and summary.json into ``out``, as a whole.

    ``pool``: the command's workers, if :func:`read_inputs` started any: they write fix-files
    while this process writes the data files, then this process takes the fix-files left.
    """
    with staged_dir(out, overwrite) as stage, _stopping(pool) as pool:
        prepared = fix_file_jobs(report, stage, schema, lang)

        def data_files() -> None:
            export.write_rows(report, schema, stage / "rows.parquet")
            export.write_issues(report, stage / "issues.csv", lang, schema)

        pool.map(write_prepared, [([f], f.target.name) for f in prepared], meanwhile=data_files)
        fixes = [str(f.target.relative_to(stage)) for f in prepared]
        outputs = ["rows.parquet", "issues.csv", *fixes, "summary.json"]
        body = export.summarise(report)
        body["outputs"] = outputs
        body["language"] = lang
        export.write_summary(body, stage / "summary.json")
    log.info("wrote outputs=%d", len(outputs))
    return outputs


@contextmanager
def _stopping(pool: Pool | None) -> Iterator[Pool]:
    """Inside a staging folder's block: ``pool``'s workers are stopped on any error before the folder
    is removed. Without a pool, a pool without workers (everything is done here)."""
    if pool is None:
        yield Pool()
    else:
        with pool.stopping():
            yield pool


def write_village_files(report: ValidationReport, stage: Path, schema: Schema, lang: str,
                        pool: Pool | None = None) -> Batch:
    """issues.csv, issues.parquet (read again by `slrt report`) and the fix-files of a validation.

    What each fix-file holds is worked out here (:func:`~slrt_cli.report.fixfiles.fix_file_jobs`);
    ``pool``'s workers turn it into rows and write it, one file at a time, while `slrt run`
    matches; ``.finish()`` then writes here the ones no worker has started (without workers, all
    of them) and raises a worker's error.
    """
    pool = pool or Pool()
    prepared = fix_file_jobs(report, stage, schema, lang)
    batch = pool.begin(write_prepared, [([f], f.target.name) for f in prepared])
    export.write_issues(report, stage / "issues.csv", lang, schema)
    report.issue_table.write_parquet(stage / "issues.parquet")
    return batch


def write_run_outputs(
    result: RunReport, out: Path, schema: Schema, *, lang: str = "id", overwrite: bool = False,
    settings: dict | None = None, split_desa: bool = False,
) -> list[str]:
    """The reconciliation tables, review.xlsx, the ministry's update files and the reports of a
    run without a validation (``slrt match``), as a whole. (``slrt run`` writes its outputs while
    it matches: see :func:`run`.)"""
    with staged_dir(out, overwrite) as stage:
        return _write_run_tables(with_shown_register(result, schema), stage, schema, lang, settings, split_desa, [])


def write_run_into(result: RunReport, stage: Path, schema: Schema, *, lang: str = "id",
                   settings: dict | None = None) -> list[str]:
    """:func:`write_run_outputs` into a folder already being staged (a kabupaten of `slrt nasional`)."""
    return _write_run_tables(with_shown_register(result, schema), stage, schema, lang, settings, False, [])


def counts_per_desa(rec: Reconciliation) -> dict[str, dict[str, int]]:
    """kode_desa -> counts by outcome and by verivali status, plus register persons not found."""
    out: dict[str, dict[str, int]] = {}
    r = rec.reconciliation.with_columns(pl.col("kode_desa").fill_null("tanpa_desa"))
    for desa, outcome, n in r.group_by(["kode_desa", "outcome"]).len().sort(["kode_desa", "outcome"]).iter_rows():
        out.setdefault(desa, {})[outcome] = n
    for desa, status, n in (
        r.filter(pl.col("status_verivali").is_not_null())
        .group_by(["kode_desa", "status_verivali"]).len().sort(["kode_desa", "status_verivali"]).iter_rows()
    ):
        out.setdefault(desa, {})[status] = n
    nf = rec.not_found.with_columns(pl.col("kode_desa").fill_null("tanpa_desa"))
    for desa, n in nf.group_by("kode_desa").len().sort("kode_desa").iter_rows():
        out.setdefault(desa, {})["not_found"] = n
    return dict(sorted(out.items()))


def _write_run_tables(
    result: RunReport, stage: Path, schema: Schema, lang: str, settings: dict | None, split_desa: bool,
    fixes: list[str], pool: Pool | None = None, meanwhile: Callable[[], Any] | None = None,
) -> list[str]:
    """``result.register``: the rows the outputs show (:func:`with_shown_register`)."""
    from slrt_cli.reconcile import explain_changes
    from slrt_cli.report.excel import write_workbook
    from slrt_cli.report.review import review_pairs, write_review

    pool = pool or Pool()
    rec = result.reconciliation  # why each change keeps one side, in the run's language (changes.csv, laporan.xlsx)
    rec.changes = explain_changes(rec.changes, lang)
    # the two workbooks are written by the workers (if any) while this process writes the rest;
    # laporan.xlsx first: it takes longest
    books = [pool.submit(write_workbook, stage / "laporan.xlsx", _workbook_inputs(result), lang=lang)]
    if result.register is not None:
        pairs = review_pairs(result.reconciliation.reconciliation, result.rows, result.register,
                             full_ids=result.full_ids)
        books.append(pool.submit(write_review, stage / "review.xlsx", pairs, lang=lang))
    outputs = _write_run_data(result, stage, schema, lang, settings, split_desa, fixes, [])
    if meanwhile is not None:  # the villages' fix-files no worker has started yet, while they write the books
        meanwhile()
    for book in books:
        book.result()
    return outputs


def shown_columns(schema: Schema | None = None) -> set[str]:
    """The register's columns some output reads: review.xlsx's compared fields, the ministry's
    files' (:func:`slrt_cli.uploads.register_columns`), the birth dates of the persons not found
    (laporan), and which person ids the reader made up."""
    from slrt_cli.report.review import FIELDS
    from slrt_cli.uploads import register_columns

    return {"person_id", "household_id", "tanggal_lahir", "person_id_derived", *FIELDS, *register_columns(schema=schema)}


def with_shown_register(result: RunReport, schema: Schema | None = None) -> RunReport:
    """``result`` with only the register rows and columns the outputs show (:func:`shown_register`)."""
    return dataclasses.replace(result, register=shown_register(result, shown_columns(schema)))


def shown_register(result: RunReport, columns: Collection[str] | None = None) -> pl.DataFrame | None:
    """The register rows the outputs can show, in the register's order: the persons the rows are
    linked to or compared with, the persons not found and the persons whose data changed (every
    output joins the register on ``person_id``), and the person ids the reader made up (never sent).

    Some 100,000 rows instead of the whole register (500,000 with ``--coverage desa``): joining
    and deduplicating 1,000,000 persons for each output costs seconds and hundreds of MiB, for
    the same files. ``columns``: only these (and ``person_id``), in the register's order
    (:func:`shown_columns`): the register's other columns for 500,000 persons cost some 200 MiB."""
    reg = result.register
    if reg is None or "person_id" not in reg.columns:
        return reg
    if columns is not None:
        reg = reg.select([c for c in reg.columns if c == "person_id" or c in columns])
    rec = result.reconciliation
    ids = pl.concat([frame.select(pl.col("person_id").cast(pl.Utf8))
                     for frame in (rec.reconciliation, rec.not_found, rec.changes) if "person_id" in frame.columns])
    keep = pl.col("person_id").cast(pl.Utf8).is_in(ids["person_id"].drop_nulls().unique().implode())
    if "person_id_derived" in reg.columns:
        keep = keep | pl.col("person_id_derived").fill_null(False)
    return reg.filter(keep)


#: the columns of the village rows laporan.xlsx reads (:func:`slrt_cli.report.month.month_view`)
_WORKBOOK_ROWS = ("source_file", "source_sheet", "source_row", "nik", "no_kk", "status_verivali", "kode_desa",
                  "tanggal_lahir", "alamat", "rt", "rw")


def _workbook_inputs(result: RunReport) -> RunReport:
    """What laporan.xlsx is made of (sent to a worker): the run without its register, of which
    the workbook shows only the birth dates of the persons not found, without the cells of the
    villages' sheets, and with only the columns of the village rows it shows."""
    reg, missing = result.register, result.reconciliation.not_found
    rows = result.rows.select([c for c in result.rows.columns if c in _WORKBOOK_ROWS])
    if reg is not None and {"person_id", "tanggal_lahir"} <= set(reg.columns) and "person_id" in missing.columns:
        reg = reg.select("person_id", "tanggal_lahir").join(missing.select("person_id"), on="person_id", how="semi")
    validation = result.validation
    if validation is not None:
        validation = dataclasses.replace(validation, table=validation.table.clear(),
                                         files=[dataclasses.replace(f, sheets=[]) for f in validation.files])
    return dataclasses.replace(result, register=reg, validation=validation, rows=rows)


def _write_run_data(
    result: RunReport, stage: Path, schema: Schema, lang: str, settings: dict | None, split_desa: bool,
    fixes: list[str], outputs: list[str],
) -> list[str]:
    from slrt_cli.report.html import write_html
    from slrt_cli.uploads import write_uploads

    if result.validation is not None:  # issues.* and the fix-files: written by write_village_files (see _run)
        export.write_rows(result.validation, schema, stage / "rows.parquet")
        outputs += ["rows.parquet", "issues.csv", "issues.parquet", *fixes]
        body = export.summarise(result.validation)
    else:
        body = {"totals": {"rows": result.rows.height}}
    rec = result.reconciliation
    for name, frame in (
        ("reconciliation", rec.reconciliation),
        ("not_found", rec.not_found),
        ("households", rec.households),
        ("changes", rec.changes),
        ("movers", rec.movers),
    ):
        outputs += export.write_table(frame, stage, name)
    if result.register is not None:
        outputs.append("review.xlsx")
    outputs += write_uploads(stage / "kirim", result, period=result.period, settings=settings or {},
                             split_desa=split_desa, schema=schema)
    write_html(stage / "laporan.html", result, lang=lang)
    outputs += ["laporan.xlsx", "laporan.html"]
    body["match"] = {**rec.counts(), "register_rows": result.register_rows}
    if result.register_files:
        body["register"] = {"files": result.register_files, "rows": result.register_rows}
    body["match_per_desa"] = counts_per_desa(rec)
    body["period"] = result.period
    body["settings"] = {**(settings or {}), "full_nik": result.full_ids}
    body["outputs"] = outputs + ["summary.json"]
    body["language"] = lang
    export.write_summary(body, stage / "summary.json")
    return body["outputs"]
