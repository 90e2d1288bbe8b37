"""The `slrt` command's entry point: helpers are started before the command line is even read.

Importing the command line (Typer, rich, polars) and preparing a run take about half a second
on one core; the helper processes a run will need (:mod:`slrt_cli.helper`) start first and
import their own modules on the other core meanwhile. This module imports nothing heavy.
"""

from __future__ import annotations

import sys

#: command -> helpers started for it, with the modules each imports while it waits
HELPERS = {
    "run": {"share": ("slrt_cli.ingest",), "apart": ("slrt_cli.pipeline",)},
    "validate": {"share": ("slrt_cli.ingest",)},
}


def main() -> None:
    args = sys.argv[1:]
    command = next((a for a in args if not a.startswith("-")), "")
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
    cli_main()
