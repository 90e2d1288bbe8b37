"""`slrt run` (import -> validate -> match -> reconcile) and `slrt match` (matching alone)."""

from __future__ import annotations

from pathlib import Path

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.output import Common, files_table, handle_errors
from slrt_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_OK, InputError, UsageError
from slrt_cli.export import summarise
from slrt_cli.i18n import t

RUN_HELP = f"""Jalankan sebulan penuh: baca dan periksa berkas desa, padankan setiap baris dengan DTKS/DTSEN,
lalu rekonsiliasi.

Selain hasil `slrt validate`, folder hasil berisi reconciliation.csv (satu baris per baris data:
cocok, perlu diperiksa, baru, ganda, ditolak, dengan alasannya), not_found.csv (orang DTKS yang
tidak ada di berkas mana pun), households.csv (per rumah tangga DTKS yang tersentuh) dan
changes.csv (perbedaan isian desa dengan DTKS), masing-masing juga sebagai .parquet.

Contoh: slrt run --register sample_data/register/dtks_siksng.csv sample_data/desa --out hasil

{o.EXIT_CODES_HELP}
"""

MATCH_HELP = f"""Padankan saja: baca rows.parquet hasil `slrt validate` dan padankan dengan DTKS/DTSEN.

Contoh: slrt match hasil/rows.parquet --register sample_data/register/dtks.parquet --out padan

{o.EXIT_CODES_HELP}
"""


def run_command(
    inputs: o.Inputs,
    register: o.Register,
    out: o.Out = Path("hasil"),
    overwrite: o.Overwrite = False,
    full_nik: o.FullNik = False,
    coverage: o.Coverage = "household",
    workers: o.Workers = 1,
    fail_on: o.FailOn = "",
    lang: o.Lang = "id",
    quiet: o.Quiet = False,
    verbose: o.Verbose = 0,
    debug: o.Debug = False,
    log_file: o.LogFile = None,
    json_out: o.Json = False,
    no_color: o.NoColor = False,
) -> None:
    common = Common(lang, quiet, verbose, debug, log_file, json_out, no_color)
    _run(inputs=inputs, register=register, out=out, overwrite=overwrite, full_ids=full_nik,
         coverage=coverage, workers=workers, fail_on=fail_on, common=common)


def match_command(
    rows: o.Annotated[Path, typer.Argument(help="rows.parquet dari `slrt validate` (atau foldernya).", show_default=False)],
    register: o.Register,
    out: o.Out = Path("padan"),
    overwrite: o.Overwrite = False,
    full_nik: o.FullNik = False,
    coverage: o.Coverage = "household",
    workers: o.Workers = 1,
    fail_on: o.FailOn = "",
    lang: o.Lang = "id",
    quiet: o.Quiet = False,
    verbose: o.Verbose = 0,
    debug: o.Debug = False,
    log_file: o.LogFile = None,
    json_out: o.Json = False,
    no_color: o.NoColor = False,
) -> None:
    common = Common(lang, quiet, verbose, debug, log_file, json_out, no_color)
    _match(rows=rows, register=register, out=out, overwrite=overwrite, full_ids=full_nik,
           coverage=coverage, workers=workers, fail_on=fail_on, common=common)


@handle_errors
def _run(*, inputs, register, out, overwrite, full_ids, coverage, workers, fail_on, common: Common) -> None:
    from slrt_cli.pipeline import run

    _check_coverage(coverage)
    fail = _fail_on(fail_on)
    try:
        report = run(inputs, register, out, lang=common.lang, overwrite=overwrite, full_ids=full_ids,
                     coverage=coverage, workers=workers)
    except InputError as exc:
        validation = getattr(exc, "report", None)
        if validation is None:
            raise
        common.err.print(f"[bold red]slrt:[/] {t(exc.code, **exc.params)}")
        raise typer.Exit(EXIT_INPUT) from None
    summary = summarise(report.validation)
    _render(common, report, summary, out, _exit_code(report, fail))


@handle_errors
def _match(*, rows, register, out, overwrite, full_ids, coverage, workers, fail_on, common: Common) -> None:
    from slrt_cli.pipeline import match_rows

    _check_coverage(coverage)
    fail = _fail_on(fail_on)
    report = match_rows(rows, register, out, overwrite=overwrite, full_ids=full_ids, coverage=coverage, workers=workers)
    _render(common, report, None, out, _exit_code(report, fail))


FAIL_ON = ("rejected", "review", "new", "duplicate", "not_found", "error")


def _fail_on(text: str) -> set[str]:
    wanted = {w.strip() for w in text.split(",") if w.strip()}
    unknown = wanted - set(FAIL_ON)
    if unknown:
        raise UsageError("error_bad_option", option="--fail-on", value=",".join(sorted(unknown)), allowed=", ".join(FAIL_ON))
    return wanted


def _exit_code(report, fail: set[str]) -> int:
    """0 when the run completed; 1 only when --fail-on names something that happened."""
    counts = report.counts()
    hit = any(counts.get(k, 0) for k in fail if k != "error")
    if "error" in fail and report.validation is not None and report.validation.has_errors:
        hit = True
    return EXIT_DATA if hit else EXIT_OK


def _check_coverage(coverage: str) -> None:
    if coverage not in ("household", "desa"):
        raise UsageError("error_bad_option", option="--coverage", value=coverage, allowed="household, desa")


def _render(common: Common, report, summary: dict | None, out: Path, code: int) -> None:
    counts = report.counts()
    if common.json:
        body = {"ok": code == EXIT_OK, "exit_code": code, "out": str(out), "outputs": report.outputs,
                "match": {**counts, "register_rows": report.register_rows}}
        if summary:
            body.update(totals=summary["totals"], issues_by_code=summary["issues_by_code"],
                        schema_version=summary["schema_version"])
        common.emit_json(body)
    elif not common.quiet:
        if summary:
            common.out.print(files_table(summary, common.lang))
        common.say(t("match_summary", **counts, register=report.register_rows))
        common.say(t("summary_outputs_plain", path=str(out)))
    raise typer.Exit(code)
