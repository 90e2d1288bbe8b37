"""Console, logging and error handling for the CLI (the only place that prints)."""

from __future__ import annotations

import codecs
import functools
import json
import logging
import os
import sys
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import typer
from rich.console import Console
from rich.table import Table

from slrt_cli.errors import EXIT_INTERNAL, SlrtError, os_failure
from slrt_cli.i18n import set_language, t
from slrt_cli.privacy import scrub


@dataclass
class Common:
    lang: str = "id"
    quiet: bool = False
    verbose: int = 0
    debug: bool = False
    log_file: Path | None = None
    json: bool = False
    no_color: bool = False

    def __post_init__(self) -> None:
        if self.lang not in ("id", "en"):
            raise typer.BadParameter("--lang harus id atau en / must be id or en")
        set_language(self.lang)
        tolerant_stdout()
        color = not self.no_color and not os.environ.get("NO_COLOR")
        self.out = Console(no_color=not color, highlight=False, soft_wrap=True)
        self.err = Console(stderr=True, no_color=not color, highlight=False, soft_wrap=True)
        configure_logging(self)

    @property
    def interactive(self) -> bool:
        return sys.stderr.isatty() and not self.quiet and not self.json

    def say(self, text: str) -> None:
        """Human output on stdout (suppressed by --quiet and --json)."""
        if not self.quiet and not self.json:
            self.out.print(text)

    def emit_json(self, body: dict[str, Any]) -> None:
        # \u escapes where stdout cannot encode every character: the document stays exact
        sys.stdout.write(json.dumps(body, ensure_ascii=not encodes_everything(sys.stdout), indent=2) + "\n")


def encodes_everything(stream: Any) -> bool:
    """True when ``stream`` writes any character (a UTF encoding), False for cp1252 and the like."""
    try:
        return codecs.lookup(getattr(stream, "encoding", None) or "ascii").name.startswith("utf")
    except LookupError:
        return False


def tolerant_stdout() -> None:
    """Let stdout write ``?`` for a character its encoding lacks instead of failing the command.

    A Windows console or pipe in cp1252 cannot encode every file name or village name
    (``desa_ğü.xlsx``); stderr already escapes such characters (Python's default there).
    """
    stream = sys.stdout
    if stream is None or encodes_everything(stream) or getattr(stream, "errors", "strict") != "strict":
        return
    try:
        stream.reconfigure(errors="replace")
    except (AttributeError, ValueError, OSError):  # not a text stream slrt can reconfigure: leave it
        pass


class ScrubFilter(logging.Filter):
    """Masks anything that looks like a NIK/No KK in every log record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
        return True


def configure_logging(common: Common) -> None:
    root = logging.getLogger("slrt")
    root.handlers.clear()
    root.propagate = False
    level = logging.DEBUG if (common.debug or common.verbose > 1) else logging.INFO if common.verbose else logging.WARNING
    if common.quiet:
        level = logging.ERROR
    fmt = logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s", "%Y-%m-%dT%H:%M:%S")
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(level)
    stderr.setFormatter(fmt)
    stderr.addFilter(ScrubFilter())
    root.addHandler(stderr)
    root.setLevel(min(level, logging.INFO) if common.log_file else level)
    if common.log_file:
        fh = logging.FileHandler(common.log_file, encoding="utf-8")
        fh.setLevel(logging.DEBUG if common.debug else logging.INFO)
        fh.setFormatter(fmt)
        fh.addFilter(ScrubFilter())
        root.addHandler(fh)


def handle_errors(func: Callable) -> Callable:
    """Turn exceptions into one clear message on stderr and the documented exit code."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        common: Common | None = kwargs.get("common")
        try:
            return func(*args, **kwargs)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except SlrtError as exc:
            _report(common, t(exc.code, **{k: v for k, v in exc.params.items()}), exc.exit_code, exc)
        except Exception as exc:  # a bug: say so, never leak personal data
            named = os_failure(exc)  # ... unless the system refused to write: say where and what to do
            if named is not None:
                _report(common, t(named.code, **named.params), named.exit_code, exc)
            detail = scrub(f"{type(exc).__name__}: {exc}")[:300]
            _report(common, t("error_internal", detail=detail), EXIT_INTERNAL, exc)

    return wrapper


def _report(common: Common | None, message: str, code: int, exc: BaseException) -> None:
    err = common.err if common else Console(stderr=True)
    if common and common.debug:
        tb = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
        sys.stderr.write(scrub(tb))
    err.print(f"[bold red]slrt:[/] {scrub(message)}")
    logging.getLogger("slrt.cli").info("failed exit=%d code=%s", code, getattr(exc, "code", type(exc).__name__))
    if common and common.json:
        common.emit_json({"ok": False, "exit_code": code, "error": scrub(message)})
    raise typer.Exit(code)


class _PipeGuard:
    """stdout that ends quietly when its reader has gone (``slrt … | head -1``).

    The first write or flush into a closed pipe sends stdout to the null device instead, and the
    command goes on to its own exit code (a broken pipe is not an error of the run).
    """

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        try:
            return self._stream.write(text)
        except BrokenPipeError:
            self._to_null()
            return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def flush(self) -> None:
        try:
            self._stream.flush()
        except BrokenPipeError:
            self._to_null()

    def _to_null(self) -> None:
        """Point the stream's file descriptor at the null device; what is still buffered goes there."""
        null = os.open(os.devnull, os.O_WRONLY)
        try:
            os.dup2(null, self._stream.fileno())
        finally:
            os.close(null)
        try:
            self._stream.flush()
        except (OSError, ValueError):
            pass

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def guard_stdout() -> None:
    """Make a closed stdout pipe end the command quietly, with its own exit code (see :class:`_PipeGuard`)."""
    if sys.stdout is not None and not isinstance(sys.stdout, _PipeGuard):
        sys.stdout = _PipeGuard(sys.stdout)


def files_table(summary: dict, lang: str) -> Table:
    """Per-file summary table for the console."""
    table = Table(title=t("summary_title", lang=lang), show_lines=False)
    for key in ("summary_file", "summary_rows", "summary_accepted", "summary_flagged", "summary_rejected", "summary_skipped"):
        table.add_column(t(key, lang=lang), justify="left" if key == "summary_file" else "right")
    for f in summary["files"]:
        if not f["readable"]:
            table.add_row(f["file"], "-", "-", "-", "-", "-", style="red")
            continue
        table.add_row(f["file"], *(number(f[k], lang) for k in ("rows", "accepted", "flagged", "rejected", "rows_skipped")))
    tot = summary["totals"]
    table.add_section()
    table.add_row(
        t("summary_total", lang=lang),
        *(number(tot[k], lang) for k in ("rows", "accepted", "flagged", "rejected", "rows_skipped")),
        style="bold",
    )
    return table


def number(n: int, lang: str) -> str:
    """A count as the reader writes it: 3000 -> "3.000" (id), "3,000" (en), as in every report."""
    from slrt_cli.report.labels import format_number

    return format_number(int(n), lang)
