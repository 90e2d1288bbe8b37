"""`slrt run` (import -> validate -> match -> reconcile) and `slrt match` (matching alone)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.output import Common, files_table, handle_errors, number
from slrt_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_OK, InputError, UsageError
from slrt_cli.export import summarise
from slrt_cli.i18n import t

RUN_HELP = f"""Jalankan sebulan penuh: baca dan periksa berkas desa, padankan setiap baris dengan DTKS/DTSEN,
lalu rekonsiliasi.

Selain hasil `slrt validate`, folder hasil berisi reconciliation.csv (satu baris per baris data:
cocok, perlu diperiksa, baru, ganda, ditolak, dengan alasannya), not_found.csv (orang DTKS yang
tidak ada di berkas mana pun), households.csv (per rumah tangga DTKS yang tersentuh) dan
changes.csv (perbedaan isian desa dengan DTKS), masing-masing juga sebagai .parquet; review.xlsx
(pasangan yang perlu diperiksa: isi kolom keputusan sama/beda lalu jalankan lagi dengan
--decisions); laporan.xlsx dan laporan.html (laporan bulan ini) dan kirim/ (berkas untuk
Kemensos/Pusdatin dengan manifest.json).

Contoh: slrt run --register sample_data/register/dtks_siksng.csv sample_data/desa --out hasil

{o.EXIT_CODES_HELP}
"""

MATCH_HELP = f"""Padankan saja: baca rows.parquet hasil `slrt validate` dan padankan dengan DTKS/DTSEN.

Contoh: slrt match hasil/rows.parquet --register sample_data/register/dtks.parquet --out padan

{o.EXIT_CODES_HELP}
"""


@o.common_options
def run_command(
    ctx: typer.Context,
    inputs: o.Annotated[
        Optional[list[Path]],
        typer.Argument(help="Berkas atau folder desa (boleh dari berkas konfigurasi: inputs).", show_default=False),
    ] = None,
    register: o.RegisterOpt = None,
    config: o.Config = None,
    out: o.Annotated[Optional[Path], typer.Option("--out", "-o", help="Folder hasil (bawaan: hasil).", file_okay=False)] = None,
    period: o.Period = "",
    overwrite: o.Overwrite = False,
    full_nik: o.FullNik = False,
    coverage: o.Coverage = "household",
    workers: o.Workers = 1,
    engine: o.EngineOpt = "local",
    spark_master: o.SparkMaster = "local[*]",
    spark_conf: o.SparkConf = None,
    split_desa: o.SplitDesa = False,
    baca_lembar_tersembunyi: o.ReadHidden = False,
    kolom: o.Kolom = None,
    fail_on: o.FailOn = "",
    state: o.State = None,
    decisions: o.Decisions = None,
    *,
    flags: o.Flags,
) -> None:
    settings, _origin = settings_from(ctx, config)
    common = Common(settings["lang"], settings["quiet"], settings["verbose"], settings["debug"],
                    Path(settings["log_file"]) if settings["log_file"] else None, settings["json"], flags.no_color)
    _run(settings=settings, common=common)


def settings_from(ctx: typer.Context, config: Path | None) -> tuple[dict, dict]:
    """Effective settings: flags given on the command line > SLRT_* > config file > defaults."""
    from slrt_cli.config import resolve

    rename = {"json_out": "json", "config": None, "no_color": None}
    flags = {}
    for name, value in ctx.params.items():
        key = rename.get(name, name)
        source = ctx.get_parameter_source(name)  # typer vendors click: compare by name
        if key and source is not None and source.name == "COMMANDLINE":
            flags[key] = [str(v) for v in value] if isinstance(value, list) else (str(value) if isinstance(value, Path) else value)
    try:
        return resolve(flags, config)
    except UsageError as exc:
        Common("id" if flags.get("lang") != "en" else "en").err.print(f"[bold red]slrt:[/] {t(exc.code, **exc.params)}")
        raise typer.Exit(exc.exit_code) from None


@o.common_options
def match_command(
    rows: o.Annotated[Path, typer.Argument(help="rows.parquet dari `slrt validate` (atau foldernya).", show_default=False)],
    register: o.Register,
    out: o.Out = Path("padan"),
    overwrite: o.Overwrite = False,
    full_nik: o.FullNik = False,
    coverage: o.Coverage = "household",
    workers: o.Workers = 1,
    engine: o.EngineOpt = "local",
    spark_master: o.SparkMaster = "local[*]",
    spark_conf: o.SparkConf = None,
    fail_on: o.FailOn = "",
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _match(rows=rows, register=register, out=out, overwrite=overwrite, full_ids=full_nik,
           coverage=coverage, workers=workers, fail_on=fail_on, common=common,
           engine=engine_flags(engine, spark_master, spark_conf))


def engine_flags(engine: str, spark_master: str, spark_conf: list[str] | None) -> dict:
    """The engine flags of a command, as :func:`engine_from` reads them."""
    return {"engine": engine, "spark_master": spark_master, "spark_conf": spark_conf or []}


def engine_from(settings: dict):
    """The :class:`slrt_cli.engines.Engine` of the settings (``engine``, ``spark_master``, ``spark_conf``)."""
    from slrt_cli.config import KEYS, _coerce
    from slrt_cli.engines import ENGINES, Engine

    if settings["engine"] not in ENGINES:
        raise UsageError("error_bad_option", option="--engine", value=settings["engine"], allowed=", ".join(ENGINES))
    conf = _coerce(KEYS["spark_conf"], settings.get("spark_conf") or {}, "--spark-conf")
    return Engine(settings["engine"], settings.get("spark_master") or "local[*]", conf)


@handle_errors
def _run(*, settings: dict, common: Common) -> None:
    from slrt_cli.match import MatchSettings
    from slrt_cli.pipeline import run

    if not settings["inputs"]:
        raise UsageError("error_no_inputs")
    if not settings["register"]:
        raise UsageError("error_no_register")
    fail = _fail_on(settings["fail_on"])
    out = Path(settings["out"])
    match_settings = None
    if settings["match_threshold"] is not None or settings["review_threshold"] is not None:
        base = MatchSettings.default()
        changes = {k: settings[f"{k}"] for k in ("match_threshold", "review_threshold") if settings[k] is not None}
        try:
            match_settings = base.replace(**changes)
        except ValueError as exc:
            raise UsageError("error_bad_option", option="match_threshold/review_threshold",
                             value=str(changes), allowed=str(exc)) from None
    try:
        report = run(settings["inputs"], settings["register"], out, lang=common.lang, overwrite=settings["overwrite"],
                     full_ids=settings["full_nik"], coverage=settings["coverage"], workers=settings["workers"],
                     settings=match_settings, period=settings["period"], state=settings["state"] or None,
                     decisions=settings["decisions"] or None, split_desa=settings["split_desa"],
                     read_hidden_sheets=settings["baca_lembar_tersembunyi"], mapping=settings["kolom"] or None,
                     engine=engine_from(settings))
    except InputError as exc:
        validation = getattr(exc, "report", None)
        if validation is None:
            raise
        common.err.print(f"[bold red]slrt:[/] {t(exc.code, **exc.params)}")
        raise typer.Exit(EXIT_INPUT) from None
    summary = summarise(report.validation)
    _render(common, report, summary, out, _exit_code(report, fail))


@handle_errors
def _match(*, rows, register, out, overwrite, full_ids, coverage, workers, fail_on, common: Common,
           engine: dict) -> None:
    from slrt_cli.pipeline import match_rows

    _check_coverage(coverage)
    fail = _fail_on(fail_on)
    report = match_rows(rows, register, out, overwrite=overwrite, full_ids=full_ids, coverage=coverage, workers=workers,
                        engine=engine_from(engine))
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
        common.say(t("match_summary", **{k: number(v, common.lang) for k, v in counts.items()},
                     register=number(report.register_rows, common.lang)))
        common.say(t("summary_outputs_plain", path=str(out)))
    raise typer.Exit(code)
