"""One run at a time per output folder.

The lock is a kernel ``flock`` on a small file next to the output folder
(``.<name>.lock``). The kernel releases it when the process ends, however it
ends (``kill -9``, power loss), so a run killed mid-way never blocks the next
one: a stale lock file is just a file. The file holds the owner's pid and start
time, for the message shown to a second run.
"""

from __future__ import annotations

import fcntl
import os
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from slrt_cli.errors import SlrtError, EXIT_USAGE


class LockedError(SlrtError):
    """Another slrt run is writing the same output folder."""

    exit_code = EXIT_USAGE


def lock_path(out: Path) -> Path:
    out = Path(out).resolve()
    return out.parent / f".{out.name}.lock"


@contextmanager
def output_lock(out: Path) -> Iterator[Path]:
    """Hold the lock of output folder ``out`` for the duration of the block.

    Raises:
        LockedError: another live process holds it (refused at once, no waiting).
    """
    path = lock_path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            owner = os.pread(fd, 200, 0).decode("ascii", "replace").strip() or "?"
            raise LockedError("error_locked", path=str(out), owner=owner) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} since {time.strftime('%Y-%m-%dT%H:%M:%S')}".encode(), 0)
        yield path
    finally:
        os.close(fd)  # releases the flock
