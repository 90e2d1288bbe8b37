"""Share per-file work with a helper process when the batch is large enough to pay for one.

Reading a workbook and normalising its rows is Python work under the GIL
(python-calamine hands over every cell as a Python object; names, dates and
codes are cleaned value by value), so a second core helps only through a
second process. The helper is a fresh interpreter (``python -m
slrt_cli.helper``), never a fork (polars' thread pool does not survive a fork)
and never ``multiprocessing`` (whose children re-import the caller's main
script: an analyst's script without a ``__main__`` guard would run twice).

How the work is shared: the item numbers wait in a pipe, and both processes
take the next number from it; the helper starts at once, this process first
does other work (``meanwhile``: in ``slrt run``, loading the register) and
then joins in. The helper sends each result back pickled on its stdout,
drained by a thread here. Results come back in input order and are exactly
what ``task(item, context)`` returns here: the split never changes the
outputs. An item the helper took but did not return (it crashed, or ran out
of memory) is done here.

:func:`apart` runs one whole job in such a process (in ``slrt run``: the
villages' fix-files, written while this process matches). Helpers die with
slrt (``PR_SET_PDEATHSIG``): a crash never leaves one writing on.
"""

from __future__ import annotations

import importlib
import logging
import os
import pickle
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from slrt_cli.background import BackgroundError, die_with_parent, errno_of_status, exit_status_for

log = logging.getLogger("slrt.helper")

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[str, int, int], None]  # (item name, items done, total)

#: a helper costs some 0.5 s of start-up (on the other core): below these, read here alone
MIN_FILES = 8
MIN_BYTES = 1_500_000

_TASK = struct.Struct("<I")  # an item number in the task pipe
_FRAME = struct.Struct("<IQ")  # a result on the helper's stdout: item number, pickle length


def worth_a_helper(files: list[tuple[Path, str]]) -> bool:
    """True when the files are many and large enough (``SLRT_HELPER=0`` or ``1`` decides instead)."""
    forced = os.environ.get("SLRT_HELPER")
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


def share(
    task: Callable[[Any, Any], R],
    items: list[tuple[Any, str]],
    context: Any,
    *,
    helper: bool,
    progress: Progress | None = None,
    meanwhile: Callable[[], T] | None = None,
) -> tuple[list[R], T | None]:
    """``task(item, context)`` for every ``(item, name)`` of ``items``; ``meanwhile()`` alongside, here.

    Args:
        task: a module-level function (the helper imports it by name); its results must pickle.
        items: (item, name) pairs; the names are for ``progress``.
        context: the task's second argument, sent to the helper once.
        helper: share the work with a helper process (else all of it is done here).

    Returns:
        The results in input order, and what ``meanwhile`` returned.
    """
    results: list[Any] = [None] * len(items)
    finished = [False] * len(items)
    done = 0

    def here(i: int) -> None:
        nonlocal done
        if progress:
            progress(items[i][1], done, len(items))
        done += 1
        results[i] = task(items[i][0], context)
        finished[i] = True

    proc = _Helper.start(task, items, context) if helper else None
    if proc is None:
        extra = meanwhile() if meanwhile else None
        for i in range(len(items)):
            here(i)
        return results, extra
    try:
        extra = meanwhile() if meanwhile else None
        while (i := proc.next_task()) is not None:
            here(i)
        for i, result in proc.results():
            results[i], finished[i] = result, True
            done += 1
    finally:
        proc.stop()
    for i in range(len(items)):
        if not finished[i]:  # the helper took it and stopped before returning it
            log.warning("helper stopped; item %d done here", i + 1)
            here(i)
    if progress:
        progress("", done, len(items))
    return results, extra


# ---------------------------------------------------------------- spares

#: helpers run in a process group of their own: Ctrl-C in a terminal reaches slrt alone, which
#: then stops them (a helper interrupted on its own would only print a traceback)
_OWN_GROUP: dict[str, Any] = {"process_group": 0} if os.name == "posix" else {}

#: helpers started ahead of need (:func:`prestart`), by kind: ("share", process, task pipe r, w) or ("apart", process)
_spares: dict[str, tuple] = {}


def prestart(plan: dict[str, Sequence[str]]) -> None:
    """Start helpers now: kind ("share", "apart") -> the modules each imports while it waits.

    For the command line: started first thing, the helpers import their modules on the core
    that slrt's own start-up leaves idle; :func:`share` and :func:`apart` then take them.
    Helpers nobody takes leave when slrt does (their stdin closes). ``SLRT_HELPER=0``: none.
    """
    if os.environ.get("SLRT_HELPER") == "0":
        return
    for kind, preload in plan.items():
        if kind in _spares:
            continue
        spawned = _spawn_share(preload) if kind == "share" else _spawn_apart(preload)
        if spawned is not None:
            _spares[kind] = spawned


def _take_spare(kind: str) -> tuple | None:
    spare = _spares.pop(kind, None)
    if spare is not None and spare[1].poll() is not None:  # it died while waiting
        _close_spare(spare)
        return None
    return spare


def _close_spare(spare: tuple) -> None:
    proc = spare[1]
    for fd in spare[2:]:
        try:
            os.close(fd)
        except OSError:
            pass
    if proc.stdin:
        proc.stdin.close()  # the helper reads the end of its job: it leaves


def release_spares() -> None:
    """Stop every helper nobody took (they hold no work) and wait for them: no orphan is left."""
    while _spares:
        _, spare = _spares.popitem()
        _close_spare(spare)
        spare[1].kill()
        spare[1].wait()


def _spawn_share(preload: Sequence[str] = ()) -> tuple | None:
    r, w = os.pipe()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "slrt_cli.helper", "share", str(os.getpid()), ",".join(preload), str(r)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, pass_fds=(r,), env=_env(), **_OWN_GROUP,
        )
    except (OSError, ValueError) as exc:  # ValueError: no pass_fds on this system
        os.close(r)
        os.close(w)
        log.warning("no helper (%s); working alone", type(exc).__name__)
        return None
    return ("share", proc, r, w)


def _spawn_apart(preload: Sequence[str] = ()) -> tuple | None:
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "slrt_cli.helper", "apart", str(os.getpid()), ",".join(preload)],
            stdin=subprocess.PIPE, env=_env(), **_OWN_GROUP,
        )
    except OSError as exc:
        log.warning("no helper (%s); working alone", type(exc).__name__)
        return None
    return ("apart", proc)


# ---------------------------------------------------------------- share


class _Helper:
    """The helper process, the task pipe both sides read from, and the thread draining its results."""

    def __init__(self, proc: subprocess.Popen, tasks: BinaryIO) -> None:
        self.proc = proc
        self.tasks = tasks
        self.frames: list[tuple[int, bytes]] = []
        self.drain = threading.Thread(target=self._drain, daemon=True)
        self.drain.start()

    @classmethod
    def start(cls, task: Callable, items: list[tuple[Any, str]], context: Any) -> _Helper | None:
        spawned = _take_spare("share") or _spawn_share()
        if spawned is None:
            return None
        _, proc, r, w = spawned
        job = pickle.dumps((task.__module__, task.__qualname__, context, [item for item, _ in items]),
                           protocol=pickle.HIGHEST_PROTOCOL)
        helper = cls(proc, os.fdopen(r, "rb", buffering=0))
        writer = threading.Thread(target=_write_job, args=(proc.stdin, job, w, len(items)), daemon=True)
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

    def results(self) -> list[tuple[int, Any]]:
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
    """Send the job to the helper, then every item number into the task pipe (in a thread: both may block)."""
    try:
        stdin.write(job)
        stdin.close()
        with os.fdopen(w, "wb") as tasks:
            for i in range(n):
                tasks.write(_TASK.pack(i))
    except (BrokenPipeError, OSError):
        pass  # the helper is gone; whatever it did not return is read by the caller


def _take(tasks: BinaryIO) -> int | None:
    """The next item number from the task pipe; None when it is empty and closed."""
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
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = root + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    return env


@contextmanager
def apart(func: Callable[..., Any], *args: Any, nice: int = 0) -> Iterator[None]:
    """Run ``func(*args)`` in a fresh interpreter during the ``with`` block; wait for it at the end.

    Unlike a fork (:mod:`slrt_cli.background`), the process may use polars; ``func`` must be a
    module-level function and ``args`` must pickle. ``nice`` > 0 lowers its priority, for work
    not waited for until much later. ``SLRT_HELPER=0`` runs ``func`` here, after the block.

    Raises:
        BackgroundError: the process failed (its outputs must not be published).
    """
    if os.environ.get("SLRT_HELPER") == "0":
        yield
        func(*args)
        return
    job = pickle.dumps((func.__module__, func.__qualname__, args, nice), protocol=pickle.HIGHEST_PROTOCOL)
    spawned = _take_spare("apart") or _spawn_apart()
    if spawned is None:  # no process could be started: the job runs here, after the block
        yield
        func(*args)
        return
    proc = spawned[1]
    sender = threading.Thread(target=_send, args=(proc.stdin, job), daemon=True)  # the pipe may fill up
    sender.start()
    ok = False
    try:
        yield
        ok = True
    finally:
        try:
            if not ok and proc.poll() is None:
                proc.kill()
            proc.wait()
        except BaseException:  # stopped (SIGTERM, Ctrl-C) while waiting: it must not write on
            proc.kill()
            proc.wait()
            raise
        finally:
            sender.join()
    if proc.returncode != 0:
        raise BackgroundError(f"background job failed (exit {proc.returncode})", errno=errno_of_status(proc.returncode))


def _send(stdin: BinaryIO, job: bytes) -> None:
    try:
        stdin.write(job)
        stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the process is gone: its exit status tells


def _run_apart() -> None:
    try:
        module, name, args, nice = pickle.load(sys.stdin.buffer)
    except EOFError:  # a spare nobody took
        return
    if nice and hasattr(os, "nice"):
        os.nice(nice)
    getattr(importlib.import_module(module), name)(*args)


def _main(argv: list[str]) -> int:
    """A helper's life; whatever goes wrong, only the error's type is told (its message may
    quote a cell: a name, a NIK), and an interrupted helper leaves quietly."""
    try:
        die_with_parent(int(argv[1]))  # a crash of slrt leaves no helper writing on
        for module in filter(None, argv[2].split(",")):  # imported while the job is being prepared
            importlib.import_module(module)
        if argv[0] == "apart":
            _run_apart()
        else:
            _serve(int(argv[3]))
    except KeyboardInterrupt:
        return 130
    except BaseException as exc:  # noqa: BLE001
        sys.stderr.write(f"slrt: background job failed ({type(exc).__name__})\n")
        return exit_status_for(exc)  # a disk full is told to slrt as such (by its errno alone)
    return 0


def _serve(task_fd: int) -> None:
    """The helper's loop: take an item number, do the task, send the result; until no numbers are left."""
    try:
        module, name, context, items = pickle.load(sys.stdin.buffer)
    except EOFError:  # a spare nobody took
        return
    task = getattr(importlib.import_module(module), name)
    # results go out on the original stdout; anything a library prints goes to stderr instead
    out = os.fdopen(os.dup(1), "wb")
    sys.stdout.flush()
    os.dup2(2, 1)
    with os.fdopen(task_fd, "rb", buffering=0) as tasks, out:
        while (i := _take(tasks)) is not None:
            body = pickle.dumps(task(items[i], context), protocol=pickle.HIGHEST_PROTOCOL)
            out.write(_FRAME.pack(i, len(body)) + body)
            out.flush()


if __name__ == "__main__":
    sys.exit(_main(sys.argv[1:]))
