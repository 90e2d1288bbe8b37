"""Exceptions and exit codes shared by every layer.

Every slrt exception carries a stable ``code`` (a key of the message catalogs)
and ``params`` so that the CLI can render it in the operator's language. Values
in ``params`` must already be masked: messages never carry a full NIK or No KK.
"""

from __future__ import annotations

import errno
import re

EXIT_OK = 0
EXIT_DATA = 1  # completed; rows with errors found (or --fail-on matched)
EXIT_USAGE = 2  # usage or configuration error
EXIT_INPUT = 3  # input unusable: nothing readable, register unreadable
EXIT_INTERNAL = 4  # internal error (a bug): please report


class SlrtError(Exception):
    """Base class: an error with a stable code, message parameters and an exit code."""

    exit_code = EXIT_INTERNAL

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params

    def __str__(self) -> str:  # English-ish fallback; the CLI renders via i18n
        from slrt_cli.i18n import t

        return t(self.code, lang="en", **self.params)


class UsageError(SlrtError):
    """Bad arguments or configuration."""

    exit_code = EXIT_USAGE


class InputError(SlrtError):
    """Input that cannot be used at all (no readable file, unreadable register)."""

    exit_code = EXIT_INPUT


class FileReadError(SlrtError):
    """One input file cannot be read; the batch goes on with the others.

    ``code`` is one of the FILE_* issue codes of ``schemas/rules.toml``.
    """

    exit_code = EXIT_INPUT


class OutputError(SlrtError):
    """The operating system refused to write an output (disk full, read-only, no permission...)."""

    exit_code = EXIT_INPUT


class Terminated(BaseException):
    """The process was asked to stop (SIGTERM from ``timeout``/systemd, SIGHUP when the terminal closes).

    A ``BaseException`` like ``KeyboardInterrupt``: no ``except Exception`` swallows it, so every
    ``with`` block on the way up (staging folder, lock, helpers) is unwound before slrt leaves.
    """

    def __init__(self, signum: int, name: str) -> None:
        super().__init__(name)
        self.signum = signum
        self.name = name

    @property
    def exit_code(self) -> int:
        """128 + the signal number, as a shell reports a process ended by that signal."""
        return 128 + self.signum


#: errno -> message key for the OS refusals an operator can fix (see :func:`os_failure`)
_OS_MESSAGES = {
    "ENOSPC": "error_os_disk_full",
    "EDQUOT": "error_os_disk_full",
    "EROFS": "error_os_read_only",
    "EACCES": "error_os_denied",
    "EPERM": "error_os_denied",
    "ENAMETOOLONG": "error_os_name_too_long",
}
_WIN_PATH_TOO_LONG = 206  # ERROR_FILENAME_EXCED_RANGE
_OS_ERROR_IN_TEXT = re.compile(r"os error (\d+)|\[Errno (\d+)\]")


def os_errno(exc: BaseException) -> int | None:
    """The errno of ``exc``: its ``errno`` attribute, or "(os error N)" in its text (polars/Rust I/O errors)."""
    number = getattr(exc, "errno", None)
    if isinstance(number, int):
        return number
    found = _OS_ERROR_IN_TEXT.search(str(exc)) if isinstance(exc, OSError) else None
    if found:
        return int(found.group(1) or found.group(2))
    return None


def os_failure(exc: BaseException, path: object = None) -> OutputError | None:
    """An :class:`OutputError` naming the path for an OS refusal an operator can fix; None for anything else.

    ``path`` is used when the exception names no file (a full disk is reported on ``write``).

    Example:
        >>> os_failure(OSError(errno.ENOSPC, "No space left on device", "hasil")).code
        'error_os_disk_full'
    """
    number = os_errno(exc)
    name = errno.errorcode.get(number, "") if number is not None else ""
    if getattr(exc, "winerror", None) == _WIN_PATH_TOO_LONG:  # Windows reports it as "not found"
        name = "ENAMETOOLONG"
    key = _OS_MESSAGES.get(name)
    if key is None:
        return None
    where = getattr(exc, "filename", None) or path or "-"
    return OutputError(key, path=str(where))
