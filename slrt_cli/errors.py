"""Exceptions and exit codes shared by every layer.

Every slrt exception carries a stable ``code`` (a key of the message catalogs)
and ``params`` so that the CLI can render it in the operator's language. Values
in ``params`` must already be masked: messages never carry a full NIK or No KK.
"""

from __future__ import annotations

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
