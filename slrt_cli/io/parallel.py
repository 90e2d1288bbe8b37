"""Read many village files, with a helper process when the batch is large enough to pay for one.

Reading a workbook is Python work under the GIL (python-calamine hands over every
cell as a Python object, then the header search runs), so a second core helps
only through a second process. The helper is a fresh interpreter
(``python -m slrt_cli.io.parallel``), never a fork (polars' thread pool does not
survive a fork) and never ``multiprocessing`` (whose children re-import the
caller's main script: an analyst's script without a ``__main__`` guard would
run twice).

How the work is shared: the file numbers wait in a pipe, and both processes
take the next number from it; the helper starts at once, this process first
does other work (``meanwhile``: in ``slrt run``, loading the register) and
then joins in. The helper sends each :class:`FileResult` back pickled on its
stdout, drained by a thread here. Results come back in input order and are
exactly what :func:`~slrt_cli.io.readers.read_file` returns: the split never
changes the outputs. A file the helper took but did not return (it crashed,
or ran out of memory) is read here.
"""

from __future__ import annotations

import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from slrt_cli.io import readers
from slrt_cli.model import FileResult
from slrt_cli.schemas import Schema

log = logging.getLogger("slrt.io")

T = TypeVar("T")
Progress = Callable[[str, int, int], None]  # (file name, files done, total)

#: a helper costs some 0.5 s of start-up (on the other core): below these, read here alone
MIN_FILES = 8
MIN_BYTES = 1_500_000

_TASK = struct.Struct("<I")  # a file number in the task pipe
_FRAME = struct.Struct("<IQ")  # a result on the helper's stdout: file number, pickle length


def worth_a_helper(files: list[tuple[Path, str]]) -> bool:
    """True when the batch is large enough for a helper (``SLRT_READ_HELPER=0`` or ``1`` decides instead)."""
    forced = os.environ.get("SLRT_READ_HELPER")
    if forced in ("0", "1"):
        return forced == "1" and len(files) > 1
    if len(files) < MIN_FILES:
        return False
    size = 0
    for path, _ in files:
        try:
            size += path.stat().st_size
        except OSError:
            pass
    return size >= MIN_BYTES


def read_many(
    files: list[tuple[Path, str]],
    schema: Schema,
    progress: Progress | None = None,
    meanwhile: Callable[[], T] | None = None,
) -> tuple[list[FileResult], T | None]:
    """Read ``files`` ((path, display name) pairs); run ``meanwhile()`` in this process alongside.

    Returns:
        The :class:`FileResult` of each file, in input order, and what ``meanwhile`` returned.
    """
    results: list[FileResult | None] = [None] * len(files)
    done = 0

    def here(i: int) -> None:
        nonlocal done
        if progress:
            progress(files[i][1], done, len(files))
        done += 1
        results[i] = readers.read_file(files[i][0], files[i][1], schema)

    helper = _Helper.start(files, schema) if worth_a_helper(files) else None
    if helper is None:
        extra = meanwhile() if meanwhile else None
        for i in range(len(files)):
            here(i)
        return results, extra  # type: ignore[return-value]
    try:
        extra = meanwhile() if meanwhile else None
        while (i := helper.next_task()) is not None:
            here(i)
        for i, result in helper.results():
            results[i] = result
            done += 1
    finally:
        helper.stop()
    for i in range(len(files)):
        if results[i] is None:  # the helper took it and stopped before returning it
            log.warning("read helper stopped; file %d read here", i + 1)
            here(i)
    if progress:
        progress("", done, len(files))
    return results, extra  # type: ignore[return-value]


class _Helper:
    """The helper process, the task pipe both sides read from, and the thread draining its results."""

    def __init__(self, proc: subprocess.Popen, tasks: BinaryIO) -> None:
        self.proc = proc
        self.tasks = tasks
        self.frames: list[tuple[int, bytes]] = []
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    @classmethod
    def start(cls, files: list[tuple[Path, str]], schema: Schema) -> _Helper | None:
        r, w = os.pipe()
        try:
            proc = subprocess.Popen(
                [sys.executable, "-m", "slrt_cli.io.parallel", str(r)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(r,), env=_env(),
            )
        except OSError as exc:
            os.close(r)
            os.close(w)
            log.warning("no read helper (%s); reading alone", type(exc).__name__)
            return None
        job = pickle.dumps((schema, readers.RAISE_INTERNAL_ERRORS, files), protocol=pickle.HIGHEST_PROTOCOL)
        helper = cls(proc, os.fdopen(r, "rb", buffering=0))
        writer = threading.Thread(target=_write_job, args=(proc.stdin, job, w, len(files)), daemon=True)
        writer.start()
        return helper

    def next_task(self) -> int | None:
        return _take(self.tasks)

    def _drain(self) -> None:
        out = self.proc.stdout
        assert out is not None
        while head := out.read(_FRAME.size):
            if len(head) < _FRAME.size:
                break
            i, n = _FRAME.unpack(head)
            body = out.read(n)
            if len(body) < n:
                break
            self.frames.append((i, body))

    def results(self) -> list[tuple[int, FileResult]]:
        self.proc.wait()
        self.drain.join()
        return [(i, pickle.loads(body)) for i, body in self.frames]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        self.tasks.close()
        if self.proc.stdout:
            self.proc.stdout.close()


def _write_job(stdin: BinaryIO, job: bytes, w: int, n: int) -> None:
    """Send the job to the helper, then every file number into the task pipe (in a thread: both may block)."""
    try:
        stdin.write(job)
        stdin.close()
        with os.fdopen(w, "wb") as tasks:
            for i in range(n):
                tasks.write(_TASK.pack(i))
    except (BrokenPipeError, OSError):
        pass  # the helper is gone; whatever it did not return is read by the caller


def _take(tasks: BinaryIO) -> int | None:
    """The next file number from the task pipe; None when it is empty and closed."""
    data = b""
    while len(data) < _TASK.size:
        part = tasks.read(_TASK.size - len(data))
        if not part:
            return None
        data += part
    return _TASK.unpack(data)[0]


def _env() -> dict[str, str]:
    """The helper imports this same slrt_cli, wherever it lies."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


def _serve(task_fd: int) -> None:
    """The helper's loop: take a file number, read the file, send the result; until no numbers are left."""
    schema, raise_internal, files = pickle.load(sys.stdin.buffer)
    readers.RAISE_INTERNAL_ERRORS = raise_internal
    out = sys.stdout.buffer
    with os.fdopen(task_fd, "rb", buffering=0) as tasks:
        while (i := _take(tasks)) is not None:
            body = pickle.dumps(readers.read_file(files[i][0], files[i][1], schema), protocol=pickle.HIGHEST_PROTOCOL)
            out.write(_FRAME.pack(i, len(body)) + body)
            out.flush()


if __name__ == "__main__":
    _serve(int(sys.argv[1]))
