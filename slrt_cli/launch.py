"""The `slrt` command's entry point: stop signals are handled before anything else is imported.

This module imports nothing heavy, so that SIGTERM or SIGHUP while the command line is being
imported and read already ends slrt as Ctrl-C does. Worker processes (:mod:`slrt_cli.executor`)
are started later, by the command that needs them.
"""

from __future__ import annotations

import signal
import sys

from slrt_cli.errors import Terminated

#: what ``timeout``, ``kill`` and systemd send (SIGTERM), and a closed terminal (SIGHUP; not on Windows)
STOP_SIGNALS = ("SIGTERM", "SIGHUP")


def install_stop_signals() -> None:
    """Stop on SIGTERM/SIGHUP as on Ctrl-C: raise :class:`Terminated`, so that every ``with``
    block on the way up (workers, staging folder, lock) is unwound, then exit 128 + signal."""
    for name in STOP_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, _stop)


def ignore_stop_signals() -> None:
    """From now on a stop signal changes nothing: the command has ended, slrt only reports and leaves."""
    for name in STOP_SIGNALS:
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, signal.SIG_IGN)


def _stop(signum: int, _frame: object) -> None:
    """The handler: further stop signals are ignored while the run cleans up, then it unwinds."""
    ignore_stop_signals()
    raise Terminated(signum, signal.Signals(signum).name)


def main() -> None:
    install_stop_signals()
    try:
        from slrt_cli.cli import main as cli_main
    except KeyboardInterrupt:  # Ctrl-C while starting: nothing was done yet
        sys.stderr.write("slrt: Ctrl-C\n")
        raise SystemExit(130) from None
    except Terminated as exc:  # stopped while starting: nothing was done yet
        sys.stderr.write(f"slrt: {exc.name}\n")
        raise SystemExit(exc.exit_code) from None
    try:
        cli_main()
    except Terminated as exc:  # stopped as slrt was leaving: its command had ended
        from slrt_cli.i18n import t

        sys.stderr.write("slrt: " + t("terminated_leaving", signal=exc.name) + "\n")
        raise SystemExit(exc.exit_code) from None
