"""The `slrt` command's entry point: helpers are started before the command line is even read.

Importing the command line (Typer, rich, polars) and preparing a run take about half a second
on one core; the helper processes a run will need (:mod:`slrt_cli.helper`) start first and
import their own modules on the other core meanwhile. This module imports nothing heavy.
"""

from __future__ import annotations

import signal
import sys

from slrt_cli.errors import Terminated

#: what ``timeout``, ``kill`` and systemd send (SIGTERM), and a closed terminal (SIGHUP; not on Windows)
STOP_SIGNALS = ("SIGTERM", "SIGHUP")

#: command -> helpers started for it, with the modules each imports while it waits
HELPERS = {
    "run": {"share": ("slrt_cli.ingest",), "apart": ("slrt_cli.pipeline",)},
    "validate": {"share": ("slrt_cli.ingest",)},
}


def install_stop_signals() -> None:
    """Stop on SIGTERM/SIGHUP as on Ctrl-C: raise :class:`Terminated`, so that every ``with``
    block on the way up (staging folder, lock, helpers) is unwound, then exit 128 + signal."""
    for name in STOP_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, _stop)


def _stop(signum: int, _frame: object) -> None:
    """The handler: further stop signals are ignored while the run cleans up, then it unwinds."""
    for name in STOP_SIGNALS:
        other = getattr(signal, name, None)
        if other is not None:
            signal.signal(other, signal.SIG_IGN)
    raise Terminated(signum, signal.Signals(signum).name)


def main() -> None:
    args = sys.argv[1:]
    command = next((a for a in args if not a.startswith("-")), "")
    install_stop_signals()
    try:
        if command in HELPERS and not {"-h", "--help", "--version"} & set(args):
            from slrt_cli import helper

            helper.prestart(HELPERS[command])
        from slrt_cli.cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C while starting: nothing was done yet
        helper = sys.modules.get("slrt_cli.helper")
        if helper is not None:
            helper.release_spares()
        sys.stderr.write("slrt: Ctrl-C\n")
        raise SystemExit(130) from None
    except Terminated as exc:  # stopped while starting: nothing was done yet
        helper = sys.modules.get("slrt_cli.helper")
        if helper is not None:
            helper.release_spares()
        sys.stderr.write(f"slrt: {exc.name}\n")
        raise SystemExit(exc.exit_code) from None
    cli_main()
