"""One run at a time per output folder.

The lock is an operating-system file lock (the ``filelock`` package: ``flock`` on
Linux and macOS, ``LockFileEx`` on Windows) on a small file next to the output
folder (``.<name>.lock``). The system releases it when the process ends, however
it ends (``kill -9``, a crash, power loss), so a run killed mid-way never blocks
the next one: a stale lock file is just a file. The file holds the owner's pid
and start time, for the message shown to a second run (where the system lets
another process read a locked file).

Within one process too, a second :func:`output_lock` of the same folder is refused;
code that may run under the lock already asks :func:`holds` first.
"""

from __future__ import annotations

import os
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import warnings

with warnings.catch_warnings():  # without fcntl filelock warns that only its soft lock exists: that is
    warnings.simplefilter("ignore", UserWarning)  # the documented fallback, not news for an operator
    from filelock import FileLock, Timeout, UnixFileLock

from slrt_cli.errors import EXIT_USAGE, SlrtError, os_failure

LOCK_MODE = 0o600

#: lock file -> FileLock, for the locks this process holds
_held: dict[str, FileLock] = {}
_guard = threading.Lock()


class LockedError(SlrtError):
    """Another slrt run is writing the same output folder."""

    exit_code = EXIT_USAGE


def lock_path(out: Path) -> Path:
    """The lock file of output folder ``out`` (``.<name>.lock`` beside it)."""
    out = Path(out).resolve()
    return out.parent / f".{out.name}.lock"


@contextmanager
def output_lock(out: Path) -> Iterator[Path]:
    """Hold the lock of output folder ``out`` for the duration of the block.

    Raises:
        LockedError: another live process holds it (refused at once, no waiting).
        OutputError: the system refuses to create the lock file (read-only folder, no permission...).
    """
    path = lock_path(out)
    owner = _owner(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise (os_failure(exc, path.parent) or exc) from None
    lock = try_lock(path)
    if lock is None:
        raise LockedError("error_locked", path=str(out), owner=owner)
    if isinstance(lock, UnixFileLock):  # other backends keep their own records in the file, or lock its bytes
        _write_owner(path)
    with _guard:
        _held[str(path)] = lock
    try:
        yield path
    finally:
        with _guard:
            del _held[str(path)]
        lock.release()


def holds(out: Path) -> bool:
    """True when this process holds the lock of output folder ``out``."""
    with _guard:
        return str(lock_path(out)) in _held


def try_lock(path: Path) -> FileLock | None:
    """Take the lock file ``path`` at once; None when another process (or another lock object) holds it.

    Raises:
        OutputError: the system refuses to create or open the lock file.
    """
    lock = FileLock(str(path), timeout=0, mode=LOCK_MODE)
    try:
        lock.acquire()
    except Timeout:
        return None
    except OSError as exc:
        raise (os_failure(exc, path) or exc) from None
    return lock


def _owner(path: Path) -> str:
    """What the lock file says about its holder (read before trying the lock: some versions truncate it)."""
    try:
        return path.read_text("ascii", "replace").strip()[:200] or "?"
    except OSError:  # missing, or locked against reading (Windows)
        return "?"


def _write_owner(path: Path) -> None:
    """Note the holder's pid and start time in the lock file (best effort: only for the message)."""
    try:
        fd = os.open(path, os.O_WRONLY)
    except OSError:
        return
    try:
        text = f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}".encode()
        os.ftruncate(fd, 0)
        os.write(fd, text)
    except OSError:
        pass
    finally:
        os.close(fd)
