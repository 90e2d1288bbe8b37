"""The steps wired together: the functions analysts and the CLI call.

Data flows one way: read -> normalise -> validate -> (match -> reconcile) ->
write outputs. Each step is a module of its own; this one only wires them.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl

from slrt_cli import export
from slrt_cli.atomic import STAGING_PREFIXES, check_target, staged_dir
from slrt_cli.errors import InputError, UsageError
from slrt_cli.engines import Engine, completed, register_for
from slrt_cli.executor import Pool, worth_workers
from slrt_cli.ingest import init_worker, read_and_normalise
from slrt_cli.invariants import check_reconciliation
from slrt_cli.io import readers
from slrt_cli.io.decisions import read_decisions
from slrt_cli.io.mapping import ColumnMapping, as_mapping
from slrt_cli.io.discover import Exclusion, collect_inputs
from slrt_cli.io.readers import ReadLimits
from slrt_cli.lock import output_lock
from slrt_cli.model import (
    ERROR,
    REJECTED,
    WARNING,
    FileResult,
    Issue,
    ValidationReport,
    issues_frame,
)
from slrt_cli.registers import load_register_source
from slrt_cli.runs import RunReport
from slrt_cli.outputs import (
    _stopping,
    _write_run_tables,
    with_shown_register,
    write_run_outputs,
    write_validation_outputs,
    write_village_files,
)
from slrt_cli.report.fixfiles import (
    fix_file_names,
    fix_file_shortened,
    fix_file_targets,
)
from slrt_cli.schemas import Schema, load_schema
from slrt_cli.state import (
    DECISION_SCHEMA,
    State,
    decisions_for,
    default_state_dir,
    resolve_decisions,
)
from slrt_cli.checks import (
    SOURCE_COLUMNS,
    ensure_columns,
    missing_columns,
    validate_batch,
)

if TYPE_CHECKING:
    from slrt_cli.match import MatchSettings

log = logging.getLogger("slrt.pipeline")


#: modules validation needs, and those matching and the reports need: imported in a thread while
#: the register loads (polars leaves the GIL free then), a second of imports off the way; the
#: steps import them again where they run
VALIDATION_MODULES = ("slrt_cli.checks.engine", "pandera.polars")  # the first quiets a warning of the second
RUN_MODULES = ("slrt_cli.match", "slrt_cli.reconcile", "slrt_cli.report.excel", "slrt_cli.report.html",
               "slrt_cli.report.review", "slrt_cli.uploads")


def preload(modules: Sequence[str]) -> None:
    """Import ``modules`` in a background thread (errors surface where the modules are used)."""
    import importlib

    def work() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001,S112 -- the real import, later, reports it
                continue

    threading.Thread(target=work, name="slrt-preload", daemon=True).start()

Progress = Callable[[str, int, int], None]  # (file name, index, total)


def read_inputs(
    inputs: Sequence[str | Path], schema: Schema, today: dt.date, progress: Progress | None = None,
    meanwhile: Callable[[], Any] | None = None, exclude: Sequence[Exclusion] = (), limits: ReadLimits | None = None,
    pool: Pool | None = None,
) -> tuple[list[FileResult], list[Issue], pl.DataFrame, Any]:
    """Read and normalise every input file (folders are searched recursively); ``meanwhile()`` runs
    here in the meantime.

    Worker processes take a share of the files when the batch is large (:mod:`slrt_cli.executor`):
    ``pool`` is started then (if not started yet), and kept for the command's other work; without
    one, the workers are stopped on return.
    ``exclude``: paths never read (slrt's outputs, the register: :func:`exclusions`).

    Returns:
        The files as read, the issues about the inputs as named, the normalised rows of all the
        files stacked (canonical columns always present), and what ``meanwhile`` returned.

    Raises:
        UsageError: a named path does not exist.
    """
    found, issues = collect_inputs([Path(p) for p in inputs], exclude)
    issues += [Issue("FILE_NAME_SHORTENED", schema.severity("FILE_NAME_SHORTENED"), name,
                     params={"fix": target})
               for name, target in fix_file_targets([n for _, n in found]).items() if fix_file_shortened(name)]
    issues = [dataclasses.replace(i, severity=schema.severity(i.code)) if i.code in schema.rules else i
              for i in issues]
    if pool is None:
        with reading_pool() as own:
            pairs, extra = _read_found(found, schema, today, limits, progress, meanwhile, own)
    else:
        pairs, extra = _read_found(found, schema, today, limits, progress, meanwhile, pool)
    results: list[FileResult] = []
    seen: dict[str, str] = {}
    for i, (result, _) in enumerate(pairs):
        name = result.file
        if result.size == 0 or not result.sha256:
            pass  # empty or unopenable files share a hash; they are reported on their own
        elif result.sha256 in seen:
            result.issues.append(
                Issue("FILE_DUPLICATE", WARNING, name, params={"other": seen[result.sha256]})
            )
        else:
            seen[result.sha256] = name
        results.append(result)
        log.debug("read file=%d/%d sheets=%d readable=%s", i + 1, len(found), len(result.sheets), result.readable)
    frames = [frame for _, frame in pairs if frame is not None]
    if frames:
        batch = pl.concat(frames, how="diagonal_relaxed")
    else:
        batch = pl.DataFrame(schema={"source_file": pl.Utf8, "source_sheet": pl.Utf8, "source_row": pl.Int64})
    batch = batch.with_columns(pl.col("source_row").cast(pl.Int64))
    return results, issues, ensure_columns(batch, schema), extra


def reading_pool() -> Pool:
    """The worker processes of one command (none until :func:`read_inputs` finds the batch large enough)."""
    return Pool(initializer=init_worker, initargs=(readers.RAISE_INTERNAL_ERRORS,))


def _read_found(found, schema, today, limits, progress, meanwhile, pool: Pool):
    pool.start(worth_workers(found))
    context = (schema, today, limits or ReadLimits())
    return pool.map(read_and_normalise, [((item, context), item[1]) for item in found], progress=progress,
                    meanwhile=meanwhile)


def exclusions(
    out: str | Path | None, state: str | Path | None = None, register: Sequence[str | Path] = (),
    decisions: str | Path | None = None,
) -> list[Exclusion]:
    """What is never read as a village file: the output folder (with its staging folders), the
    state folder, the register extract and the decisions workbook, wherever they lie."""
    found = []
    if out is not None:
        out = Path(out)
        # beside it, the staging and parked folders of any slrt run (``.slrt-staging-<token>-<name>``)
        found.append(Exclusion(out, "INPUT_OUTPUT_EXCLUDED", STAGING_PREFIXES))
    if state or out is not None:
        found.append(Exclusion(Path(state) if state else default_state_dir(Path(out)), "INPUT_STATE_EXCLUDED"))
    found += [Exclusion(Path(r), "INPUT_REGISTER_EXCLUDED") for r in register]
    if decisions:
        found.append(Exclusion(Path(decisions), "INPUT_DECISIONS_EXCLUDED"))
    return found


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
    read_hidden_sheets: bool = False,
    mapping: ColumnMapping | str | Path | None = None,
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
        read_hidden_sheets: read hidden and very hidden sheets too (default: skipped, SHEET_HIDDEN).
        mapping: the operator's column mapping (``--kolom``): a ColumnMapping or the path of its
            TOML file (:mod:`slrt_cli.io.mapping`).

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
    with reading_pool() as pool:
        report, _ = _validated(inputs, schema, today, progress, exclude=exclusions(out), pool=pool,
                               limits=ReadLimits(read_hidden_sheets=read_hidden_sheets, mapping=as_mapping(mapping, schema)))
        if out is not None:
            with output_lock(Path(out)):
                report.outputs = write_validation_outputs(report, Path(out), schema, lang=lang, overwrite=overwrite,
                                                          pool=pool)
    if not any(f.readable for f in report.files):
        err = InputError("error_no_input", paths=", ".join(str(p) for p in inputs))
        err.report = report
        raise err
    return report


def _validated(
    inputs: Sequence[str | Path], schema: Schema, today: dt.date, progress: Progress | None,
    meanwhile: Callable[[], Any] | None = None, exclude: Sequence[Exclusion] = (), limits: ReadLimits | None = None,
    pool: Pool | None = None,
) -> tuple[ValidationReport, Any]:
    """Read, normalise and validate (nothing written); also what ``meanwhile()`` returned."""
    preload(VALIDATION_MODULES + (RUN_MODULES if meanwhile else ()))  # ``meanwhile``: the register of a run
    files, input_issues, batch, extra = read_inputs(inputs, schema, today, progress, meanwhile, exclude, limits, pool)
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
    return report, extra


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


# ---------------------------------------------------------------- run / match


def batch_rows(report: ValidationReport, schema: Schema) -> pl.DataFrame:
    """The validated rows exactly as ``rows.parquet`` holds them (the matcher's input)."""
    return report.table.select(export.row_columns(report.table, schema))


def run(
    inputs: Sequence[str | Path],
    register: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    lang: str = "id",
    overwrite: bool = False,
    today: dt.date | None = None,
    progress: Progress | None = None,
    schema: Schema | None = None,
    settings: MatchSettings | None = None,
    full_ids: bool = False,
    coverage: str = "household",
    workers: int = 1,
    period: str = "",
    state: str | Path | None = None,
    decisions: str | Path | None = None,
    split_desa: bool = False,
    read_hidden_sheets: bool = False,
    mapping: ColumnMapping | str | Path | None = None,
    engine: Engine | None = None,
) -> RunReport:
    """Import, validate, match and reconcile a month in one go; write every output to ``out``.

    Args:
        inputs: village files and/or folders.
        register: the register extract: one or more files (or a folder) in any supported layout.
        out: output folder, written as a whole; None writes nothing.
        full_ids: write full NIK/No KK in the reconciliation tables (default: masked).
        coverage: "household" or "desa": who is expected, for not_found (see slrt_cli.reconcile).
        workers: processes for the matching step.
        period: the batch's period (e.g. "2026-11"): files processed in another period are not counted twice.
        state: state folder (default: ``<out>.state``; none when ``out`` is None).
        decisions: a filled-in review.xlsx whose decisions are applied and remembered.
        split_desa: ministry update files per desa (default: per kabupaten).
        read_hidden_sheets: read hidden and very hidden sheets too (default: skipped, SHEET_HIDDEN).
        mapping: the operator's column mapping (``--kolom``), as :func:`validate`.
        engine: which engine reads a register dataset (``Engine("local")``, the default, or
            ``Engine("spark", spark_master=...)``); results are the same (:mod:`slrt_cli.engines`).

    Raises:
        UsageError, InputError: as :func:`validate`; InputError also when the register is unusable
            (unreadable, empty, conflicting person ids: :func:`load_register_checked`).
        InvariantError: the results break an invariant (a bug, :mod:`slrt_cli.invariants`); nothing is written.

    Example:
        >>> report = run(["sample_data/desa"], ["sample_data/register/dtks_siksng.csv"])  # doctest: +SKIP
        >>> report.counts()["matched"]                                                      # doctest: +SKIP
    """
    mapping = as_mapping(mapping, schema)  # a wrong mapping file is reported before anything is locked
    if out is not None:
        with output_lock(Path(out)):
            return _run(inputs, register, Path(out), lang=lang, overwrite=overwrite, today=today, progress=progress,
                        schema=schema, settings=settings, full_ids=full_ids, coverage=coverage, workers=workers,
                        period=period, state=state, decisions=decisions, split_desa=split_desa, read_hidden_sheets=read_hidden_sheets,
                        mapping=mapping, engine=engine)
    return _run(inputs, register, None, lang=lang, overwrite=overwrite, today=today, progress=progress,
                schema=schema, settings=settings, full_ids=full_ids, coverage=coverage, workers=workers, period=period,
                state=state, decisions=decisions, split_desa=split_desa, read_hidden_sheets=read_hidden_sheets,
                mapping=mapping, engine=engine)


def _run(*args, **kwargs) -> RunReport:
    with reading_pool() as pool:  # workers, if the batch is large: they read, then write the fix-files and workbooks
        return _run_with(pool, *args, **kwargs)


def _run_with(pool, inputs, register, out, *, lang, overwrite, today, progress, schema, settings, full_ids, coverage,
              workers, period, state, decisions, split_desa, read_hidden_sheets=False, mapping=None,
              engine=None) -> RunReport:
    schema = schema or load_schema()
    engine = engine or Engine()
    today = today or dt.date.today()
    clock = {"start": time.perf_counter()}
    if out is not None:
        check_target(Path(out), overwrite)
    # the register is loaded here while workers start reading the villages' files
    excluded = exclusions(out, state, register, decisions)
    report, (source, reg_read) = _validated(inputs, schema, today, progress,
                                            lambda: load_register_source(register, schema, today), exclude=excluded,
                                         limits=ReadLimits(read_hidden_sheets=read_hidden_sheets, mapping=as_mapping(mapping, schema)),
                                         pool=pool)
    if not any(f.readable for f in report.files):
        if out is not None:
            write_validation_outputs(report, Path(out), schema, lang=lang, overwrite=overwrite, pool=pool)
        err = InputError("error_no_input", paths=", ".join(str(p) for p in inputs))
        err.report = report
        raise err
    period, store_period = _batch_period(report, period, today, schema)
    from slrt_cli.match.explain import localised

    settings = localised(settings, lang)  # the alasan of reconciliation.csv in the run's language
    store = State(Path(state) if state else default_state_dir(Path(out))) if out is not None or state else None
    if store is not None:
        earlier = store.earlier_periods([(f.file, f.sha256) for f in report.files if f.readable], store_period)
        report = mark_already_processed(report, earlier, schema)
    rows = batch_rows(report, schema)
    known = store.decisions() if store is not None else pl.DataFrame(schema=DECISION_SCHEMA)
    new_decisions = pl.DataFrame(schema=DECISION_SCHEMA)
    raw_decisions = read_decisions(Path(decisions)) if decisions else None
    pids = pl.concat([known["person_id"].cast(pl.Utf8), *(
        [raw_decisions["person_id"].cast(pl.Utf8)] if raw_decisions is not None else [])])
    reg, tables, n_register, cut = register_for(rows, source, settings, schema, today, engine, coverage, pids)
    if raw_decisions is not None:
        new_decisions, bad = resolve_decisions(raw_decisions, rows, reg, store_period, schema)
        report.issue_table = pl.concat([report.issue_table, bad])
    applied = decisions_for(rows, pl.concat([known, new_decisions]))
    if reg_read.issues:  # the register's files left out or read once: in issues.csv with the rest
        report.issue_table = pl.concat([report.issue_table, issues_frame(reg_read.issues)])

    clock["read"] = time.perf_counter()

    def linked() -> RunReport:
        result = _match_and_reconcile(rows, reg, settings, full_ids, coverage, workers, applied, tables, n_register,
                                      engine, cut)
        clock["match"] = time.perf_counter()
        result.validation, result.period = report, period
        result.register_files = [f.to_dict() for f in reg_read.files]
        return result

    if out is None:
        result = linked()
    else:
        with staged_dir(Path(out), overwrite) as stage, _stopping(pool):
            fixes = fix_file_names(report)
            # the villages' fix-files are written by the workers (if any) while this process matches
            village = write_village_files(report, stage, schema, lang, pool)
            result = linked()
            # the outputs read only the register rows they show: the rest is let go before they are
            # written (with --coverage desa, the whole register beside the outputs' copies went past 2 GiB)
            result = with_shown_register(result, schema)
            source = reg = cut = None  # noqa: F841 -- the closure's references too
            run_settings = {"coverage": coverage, "full_nik": full_ids, "period": period,
                            "split_desa": split_desa, "workers": workers}
            # then this process writes the fix-files no worker has started while the workers write the
            # workbooks; a worker's error is raised here: the run is not published
            result.outputs = _write_run_tables(result, stage, schema, lang, run_settings, split_desa, fixes, pool,
                                               meanwhile=village.finish)
        end = time.perf_counter()  # the outputs are in place
        log.info("seconds read=%.2f match=%.2f outputs=%.2f total=%.2f", clock["read"] - clock["start"],
                 clock["match"] - clock["read"], end - clock["match"], end - clock["start"])
    if store is not None:  # remembered only once the outputs are safely in place
        store.record_decisions(new_decisions)
        store.record_processed([(f.file, f.sha256) for f in report.files if f.readable], store_period)
    return result


def _batch_period(report: ValidationReport, given: str, today: dt.date, schema: Schema) -> tuple[str, str]:
    """The batch's period (``--period``, else the month the files name, else the run month with a
    warning in issues.csv) and the period the state folder records: only ``--period``, as before (a
    folder that remembers files under "" must not see them again as another period's)."""
    from slrt_cli.period import choose_period

    names = [(f.file, *(s.sheet for s in f.sheets), *(t for s in f.sheets for t in s.titles))
             for f in report.files if f.readable]
    period, why, params = choose_period(given, names, today)
    if why is not None:
        issue = Issue(why, schema.severity(why), "", params=params)
        report.issue_table = pl.concat([report.issue_table, issues_frame([issue])], how="vertical_relaxed")
    return period, given


def mark_already_processed(report: ValidationReport, earlier: dict[str, tuple[str, str]], schema: Schema) -> ValidationReport:
    """Rows of files already processed in another period: rejected with the reason, not matched again."""
    if not earlier:
        return report
    file_issues = [
        Issue("FILE_ALREADY_PROCESSED", schema.severity("FILE_ALREADY_PROCESSED"), name,
              params={"period": per, "other": other})
        for name, (per, other) in earlier.items()
    ]
    names = list(earlier)
    hit = report.table.filter(pl.col("source_file").is_in(names))
    info = pl.DataFrame({"source_file": names, "_per": [earlier[n][0] for n in names],
                         "_other": [earlier[n][1] for n in names]})
    row_issues = hit.join(info, on="source_file").select(
        pl.lit("ROW_ALREADY_PROCESSED").alias("code"),
        pl.lit(schema.severity("ROW_ALREADY_PROCESSED")).alias("severity"),
        pl.col("source_file").alias("file"), pl.col("source_sheet").alias("sheet"),
        pl.col("source_row").alias("row"), pl.lit("").alias("column"), pl.lit("").alias("value"),
        pl.struct(pl.col("_per").alias("period"), pl.col("_other").alias("other")).struct.json_encode().alias("params"),
    )
    table = report.table.with_columns(
        pl.when(pl.col("source_file").is_in(names)).then(pl.lit(REJECTED)).otherwise(pl.col("status")).alias("status"),
        pl.when(pl.col("source_file").is_in(names))
        .then(pl.col("issue_codes").list.concat(pl.lit(["ROW_ALREADY_PROCESSED"])))
        .otherwise(pl.col("issue_codes"))
        .alias("issue_codes"),
    )
    issues = order_issues(pl.concat([report.issue_table, issues_frame(file_issues), row_issues], how="vertical_relaxed"),
                          report.files)
    report.table, report.issue_table = table, issues
    return report


def match_rows(
    rows_path: str | Path,
    register: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    overwrite: bool = False,
    today: dt.date | None = None,
    schema: Schema | None = None,
    settings: MatchSettings | None = None,
    full_ids: bool = False,
    coverage: str = "household",
    workers: int = 1,
    engine: Engine | None = None,
) -> RunReport:
    """The matching step alone, on the ``rows.parquet`` that :func:`validate` wrote (``engine``: see :func:`run`)."""
    schema = schema or load_schema()
    today = today or dt.date.today()
    path = Path(rows_path)
    if path.is_dir():
        path = path / "rows.parquet"
    if not path.is_file():
        raise UsageError("error_path_missing", path=str(path))
    if out is not None:
        check_target(Path(out), overwrite)
    rows = pl.read_parquet(path)
    source, reg_read = load_register_source(register, schema, today)
    engine = engine or Engine()
    reg, tables, n_register, cut = register_for(rows, source, settings, schema, today, engine, coverage)
    result = _match_and_reconcile(rows, reg, settings, full_ids, coverage, workers, None, tables, n_register, engine,
                                  cut)
    result.register_files = [f.to_dict() for f in reg_read.files]
    if out is not None:
        with output_lock(Path(out)):
            result.outputs = write_run_outputs(result, Path(out), schema, lang="id", overwrite=overwrite)
    return result


def _match_and_reconcile(rows, reg, settings, full_ids, coverage, workers, decisions=None, tables=None,
                         n_register=None, engine=None, cut=None) -> RunReport:
    from slrt_cli.engines import assigner, scoring_mapper
    from slrt_cli.match import match, normalise_names
    from slrt_cli.reconcile import reconcile

    mapper = scoring_mapper(engine) if engine is not None else None
    links = match(rows, reg, settings, workers=workers, decisions=decisions, tables=tables, mapper=mapper,
                  assigner=assigner(engine, cut) if engine is not None else None)
    log.info("matched rows=%d %s", links.height, dict(links.group_by("outcome").len().iter_rows()))
    reg = completed(cut, reg, rows, links)
    rec = reconcile(rows, links, reg, full_ids=full_ids, coverage=coverage, name_key=normalise_names)
    check_reconciliation(rows, rec.reconciliation, rec.not_found)  # before anything is written
    return RunReport(validation=None, rows=rows, register_rows=reg.height if n_register is None else n_register,
                     reconciliation=rec, full_ids=full_ids, register=reg)


# ---------------------------------------------------------------- reports of an existing run
