"""The `slrt` command: a thin layer over the library (see slrt_cli.pipeline)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from slrt_cli import __version__
from slrt_cli.cli.commands import config as _config
from slrt_cli.cli.commands import dedup as _dedup
from slrt_cli.cli.commands import nasional as _nasional
from slrt_cli.cli.commands import inspect as _inspect
from slrt_cli.cli.commands import layanan as _layanan
from slrt_cli.cli.commands import report as _report
from slrt_cli.cli.commands import run as _run
from slrt_cli.cli.commands import schema as _schema
from slrt_cli.cli.commands import template as _template
from slrt_cli.cli.commands import validate as _validate
from slrt_cli.cli.help import HelpCommand, HelpGroup
from slrt_cli.cli.options import EXIT_CODES_HELP, PRIVACY_HELP

app = typer.Typer(
    name="slrt",
    cls=HelpGroup,
    help=(
        "slrt: periksa dan padankan berkas verivali SLRT/Puskesos dengan DTKS/DTSEN.\n\n"
        "Contoh: slrt run --register sample_data/register/dtks_siksng.csv sample_data/desa --out hasil\n\n"
        + PRIVACY_HELP + "\n\n" + EXIT_CODES_HELP
    ),
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"slrt {__version__}")
        raise typer.Exit(0)


@app.callback()
def _root(
    version: Annotated[
        Optional[bool], typer.Option("--version", callback=_version, is_eager=True, help="Tampilkan versi.")
    ] = None,
) -> None:
    """slrt: periksa dan padankan berkas verivali SLRT/Puskesos dengan DTKS/DTSEN."""


app.command("validate", help=_validate.HELP, no_args_is_help=True, cls=HelpCommand)(_validate.validate_command)
app.command("inspect", help=_inspect.HELP, no_args_is_help=True, cls=HelpCommand)(_inspect.inspect_command)
app.command("run", help=_run.RUN_HELP, no_args_is_help=True, cls=HelpCommand)(_run.run_command)
app.command("match", help=_run.MATCH_HELP, no_args_is_help=True, cls=HelpCommand)(_run.match_command)
app.command("report", help=_report.HELP, no_args_is_help=True, cls=HelpCommand)(_report.report_command)
app.command("layanan", help=_layanan.HELP, no_args_is_help=True, cls=HelpCommand)(_layanan.layanan_command)
app.command("dedup", help=_dedup.HELP, no_args_is_help=True, cls=HelpCommand)(_dedup.dedup_command)
app.command("nasional", help=_nasional.HELP, no_args_is_help=True, cls=HelpCommand)(_nasional.nasional_command)
app.command("template", help=_template.HELP, no_args_is_help=True, cls=HelpCommand)(_template.template_command)
app.add_typer(_schema.app, name="schema", help=_schema.HELP, cls=HelpGroup)
app.add_typer(_config.app, name="config", cls=HelpGroup, help="Berkas konfigurasi: slrt config show.\n\nContoh: slrt config show --config bulan.toml\n\n" + EXIT_CODES_HELP)


def main() -> None:
    """Console entry point (`slrt`): the last line of defence keeps personal data off the screen."""
    import sys
    import traceback

    from slrt_cli.cli.output import guard_stdout
    from slrt_cli.errors import EXIT_INTERNAL, Terminated
    from slrt_cli.i18n import t
    from slrt_cli.launch import ignore_stop_signals
    from slrt_cli.privacy import scrub

    guard_stdout()
    code: int | str | None = 0
    try:
        app()
    except SystemExit as exc:
        code = exc.code
    except KeyboardInterrupt:
        code = 130
    except Terminated as exc:  # SIGTERM/SIGHUP: every output was discarded on the way up
        sys.stderr.write("slrt: " + t("terminated", signal=exc.name) + "\n")
        code = exc.exit_code
    except BaseException as exc:  # noqa: BLE001 - a bug outside a command's own handler
        if "--debug" in sys.argv:
            sys.stderr.write(scrub("".join(traceback.format_exception(type(exc), exc, exc.__traceback__))))
        detail = scrub(f"{type(exc).__name__}: {exc}")[:300]
        sys.stderr.write("slrt: " + t("error_internal", detail=detail) + "\n")
        code = EXIT_INTERNAL
    ignore_stop_signals()  # the command has ended: its outcome is reported and slrt leaves
    if code == 130:  # Ctrl-C (Typer turns it into exit code 130)
        sys.stderr.write("slrt: " + t("interrupted") + "\n")
    _leave(code)


def _leave(code: int | str | None) -> None:
    """Exit with ``code`` once everything is flushed; the interpreter then tears down as usual
    (every output is closed and published, or discarded, and every worker stopped, by now)."""
    import logging
    import sys

    if code is None:
        code = 0
    elif not isinstance(code, int):
        sys.stderr.write(f"{code}\n")
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    logging.shutdown()
    raise SystemExit(code)
