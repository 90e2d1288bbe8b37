"""Per-file work in worker processes, when a batch is large enough to pay for them.

The one place where slrt uses other processes. Reading a workbook, normalising its rows and
writing a workbook are Python work under the GIL, so a second core helps only through a
second process. :class:`Pool` does the work here, one item after the other, for a small batch,
and otherwise hands it to a :class:`concurrent.futures.ProcessPoolExecutor` whose workers are
fresh interpreters (the *spawn* start method on every system: never a fork, which polars'
thread pool does not survive). Results come back in input order and are exactly what the
function returns here: the split never changes the outputs.

Workers only ever run functions of ``slrt_cli`` on paths and small arguments, and they never
run the caller's main script (spawn would, see :func:`_main_unseen`): an analyst's script
without an ``if __name__ == "__main__"`` guard runs once.

On any error, Ctrl-C or SIGTERM, :meth:`Pool.stop` cancels what no worker has started and
terminates the workers before the ``with`` block is left, so that no worker writes on into a
staging folder being removed. A worker whose slrt was killed (``kill -9``) stops as well.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
import types
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from multiprocessing.context import SpawnContext, SpawnProcess
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("slrt.executor")

T = TypeVar("T")
R = TypeVar("R")
Progress = Callable[[str, int, int], None]  # (item name, items done, total)

#: a worker costs some 0.5 s of start-up (on another core): below these, everything is done here
MIN_FILES = 8
MIN_BYTES = 1_500_000
#: at most this many workers (each holds polars and its share of the files in memory)
MAX_WORKERS = 3


def worth_workers(files: Sequence[tuple[Path, str]]) -> bool:
    """True when the files are many and large enough (``SLRT_HELPER=0`` or ``1`` decides instead).

    Example:
        >>> worth_workers([])
        False
    """
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


def default_workers() -> int:
    """One core is this process's: the others, up to :data:`MAX_WORKERS`, get a worker each (at least one)."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:  # Windows, macOS
        cpus = os.cpu_count() or 2
    return max(1, min(cpus - 1, MAX_WORKERS))


#: seconds a stopping worker may take to finish the file it is on
STOP_GRACE = 60.0


class Pool:
    """Worker processes for one command, or none: the same calls either way.

    ``with Pool() as pool: pool.start(parallel)`` decides once; :meth:`map` and :meth:`submit`
    then run in the workers (``parallel``) or here. Leaving the block normally waits for the
    workers; leaving it with an exception stops them first (:meth:`stop`).

    Args:
        workers: number of worker processes (default :func:`default_workers`).
        initializer: called once in each worker with ``initargs`` (a module-level function).

    Example:
        >>> with Pool() as pool:                    # doctest: +SKIP
        ...     pool.start(worth_workers(files))
        ...     results, _ = pool.map(read_one, [(path, path.name) for path in paths])
    """

    def __init__(self, workers: int | None = None, initializer: Callable[..., None] | None = None,
                 initargs: tuple = ()) -> None:
        self.workers = workers or default_workers()
        self._initializer = initializer
        self._initargs = initargs
        self._context: _Context | None = None
        self._executor: ProcessPoolExecutor | None = None
        self._batches: list[Batch] = []

    @property
    def parallel(self) -> bool:
        return self._executor is not None

    def start(self, parallel: bool) -> None:
        """Start the workers if ``parallel`` (the first call decides; later ones change nothing)."""
        if self._context is not None or not parallel:
            self._context = self._context or _Context()
            return
        self._context = _Context()
        self._executor = ProcessPoolExecutor(self.workers, mp_context=self._context, initializer=_worker_init,
                                             initargs=(self._initializer, self._initargs))

    def submit(self, fn: Callable[..., R], *args: Any, **kwargs: Any) -> Future:
        """``fn(*args, **kwargs)`` in a worker; without workers, here and now. ``.result()`` tells how it went."""
        if self._executor is not None:
            return self._executor.submit(fn, *args, **kwargs)
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # noqa: BLE001 -- raised by .result(), as a worker's would be
            future.set_exception(exc)
        return future

    def map(self, fn: Callable[[T], R], items: Sequence[tuple[T, str]], *, progress: Progress | None = None,
            meanwhile: Callable[[], Any] | None = None) -> tuple[list[R], Any]:
        """``fn(item)`` for every ``(item, name)``, in input order; ``meanwhile()`` runs here in the meantime.

        With workers, they take the items from the front while this process runs ``meanwhile``
        and then takes the items no worker has started, from the back (:meth:`begin`). An item
        whose worker died (killed, out of memory) is done here.

        Returns:
            The results in input order, and what ``meanwhile`` returned.
        """
        batch = self.begin(fn, items)
        try:
            extra = meanwhile() if meanwhile else None
        except BaseException:
            batch.close()
            raise
        return batch.finish(progress), extra

    def begin(self, fn: Callable[[T], R], items: Sequence[tuple[T, str]]) -> Batch:
        """Start ``fn(item)`` for every ``(item, name)`` in the workers; :meth:`Batch.finish` later does
        here what no worker has started and returns the results in input order (without workers,
        :meth:`Batch.finish` does it all). This process is free in between: ``slrt run`` matches
        while the workers write the villages' fix-files."""
        batch = Batch(self._executor, self.workers, fn, items)
        self._batches.append(batch)
        return batch

    def stop(self) -> None:
        """Cancel what no worker has started, terminate the workers and wait until they are gone."""
        for batch in self._batches:
            batch.close()
        if self._executor is None:
            return
        executor, self._executor = self._executor, None
        # Jobs no worker has started are cancelled; a job under way is let finish (one file: its
        # budget bounds it), so that no worker dies in the middle of sending its result — which
        # would leave the pool's own threads waiting for the rest, and the interpreter's exit with them.
        executor.shutdown(wait=False, cancel_futures=True)
        quiet = 0
        while quiet < 3:  # a worker may still be being started as the pool shuts down: look again
            alive = [p for p in (self._context.processes if self._context else []) if p.is_alive()]
            quiet = 0 if alive else quiet + 1
            for proc in alive:
                proc.join(STOP_GRACE)
                if proc.exitcode is None:  # pragma: no cover -- a job far past its budget
                    proc.kill()
                    proc.join()
            if not alive:
                time.sleep(0.02)

    @contextmanager
    def stopping(self) -> Iterator[Pool]:
        """Within this block, any exception (Ctrl-C and SIGTERM too) stops the workers before it goes on up:
        put it inside the staging folder's block that the workers write into."""
        try:
            yield self
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> Pool:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is not None:
            self.stop()
        elif self._executor is not None:
            executor, self._executor = self._executor, None
            try:
                executor.shutdown(wait=True)
            except BaseException:  # stopped while waiting
                self._executor = executor
                self.stop()
                raise


class Batch:
    """Items handed to the workers one at a time, from the front (:meth:`Pool.begin`); :meth:`finish`
    does the rest here, from the back, and returns every result in input order."""

    def __init__(self, executor: ProcessPoolExecutor | None, workers: int, fn: Callable, items: Sequence[tuple[Any, str]]):
        self._fn, self._items = fn, items
        self._split = _Split(len(items))
        self._futures: list[Future | None] = [None] * len(items)
        self._feeder: threading.Thread | None = None
        if executor is not None and items:
            self._feeder = threading.Thread(target=_feed, args=(executor, workers, fn, items, self._split, self._futures),
                                            name="slrt-feeder", daemon=True)
            self._feeder.start()

    def close(self) -> None:
        """No more items go to the workers (on an error: what they run is let finish by :meth:`Pool.stop`)."""
        self._split.close()
        if self._feeder is not None:
            self._feeder.join()

    def finish(self, progress: Progress | None = None) -> list:
        """Do here what no worker has taken, from the back; then the workers' results. An item
        whose worker died is done here."""
        items, n = self._items, len(self._items)
        results: list[Any] = [None] * n
        done = 0

        def here(i: int) -> None:
            nonlocal done
            if progress:
                progress(items[i][1], done, n)
            results[i] = self._fn(items[i][0])
            done += 1

        mine: set[int] = set()
        take = self._split.take_back if self._feeder is not None else self._split.take_front  # alone: in order
        try:
            while (i := take()) is not None:
                mine.add(i)
                here(i)
        finally:
            self.close()
        for i in range(n):
            if i in mine:
                continue
            future = self._futures[i]
            try:
                if future is None:  # taken by the feeder as the pool broke: never handed over
                    raise BrokenProcessPool
                results[i] = future.result()
                done += 1
            except BrokenProcessPool:
                log.warning("worker stopped; item %d done here", i + 1)
                here(i)
        if progress:
            progress("", done, n)
        return results


class _Split:
    """Items 0..n-1 shared out from both ends: the workers' feeder takes from the front, this process
    from the back, each item once."""

    def __init__(self, n: int) -> None:
        self._front, self._back = 0, n
        self._lock = threading.Lock()
        self.closed = threading.Event()

    def take_front(self) -> int | None:
        with self._lock:
            if self._front >= self._back or self.closed.is_set():
                return None
            self._front += 1
            return self._front - 1

    def take_back(self) -> int | None:
        with self._lock:
            if self._front >= self._back:
                return None
            self._back -= 1
            return self._back

    def close(self) -> None:
        """The feeder takes no more (this process ends, or meets an error)."""
        self.closed.set()


def _feed(executor: ProcessPoolExecutor, workers: int, fn: Callable, items: Sequence[tuple[Any, str]],
          split: _Split, futures: list[Future | None]) -> None:
    """Keep each worker busy with one item at a time, from the front, until the items meet this
    process's or the split is closed.

    Items go to the pool only as workers free up, so that none ever has to be cancelled: CPython 3.11's
    pool, when a worker dies, fails half-way on a future its caller cancelled, and the interpreter's
    exit then waits for ever on a queue it never closed.
    """
    running: set[Future] = set()
    while not split.closed.is_set():
        while len(running) >= workers:
            finished, running = wait(running, timeout=0.2, return_when=FIRST_COMPLETED)
            if split.closed.is_set():
                return
        i = split.take_front()
        if i is None:
            return
        try:
            futures[i] = future = executor.submit(fn, items[i][0])
        except (BrokenProcessPool, RuntimeError):  # broken or shut down: the item is left to this process
            return
        running.add(future)


# ---------------------------------------------------------------- the workers' processes


class _Process(SpawnProcess):
    """A spawned worker that does not run the caller's main script again (see :func:`_main_unseen`)."""

    @staticmethod
    def _Popen(process_obj):  # noqa: N802 -- multiprocessing's name
        with _main_unseen(), _no_ctrl_c():
            return SpawnProcess._Popen(process_obj)


class _Context(SpawnContext):
    """The spawn start method on every system; it keeps the processes it made, for :meth:`Pool.stop`."""

    def __init__(self) -> None:
        super().__init__()
        self.processes: list[_Process] = []

    def Process(self, *args: Any, **kwargs: Any) -> _Process:  # noqa: N802 -- multiprocessing's name
        proc = _Process(*args, **kwargs)
        self.processes.append(proc)
        return proc


@contextmanager
def _main_unseen() -> Iterator[None]:
    """While a worker is being started, ``__main__`` is an empty module.

    A spawned child runs the parent's main script again (as ``__mp_main__``) so that functions
    defined there can be unpickled; a script without a ``__main__`` guard would then call
    ``slrt_cli.run()`` a second time inside the worker. Workers only run slrt_cli's own
    functions, so they need nothing from the main script: the child is told of none.
    """
    real = sys.modules.get("__main__")
    sys.modules["__main__"] = types.ModuleType("__main__")
    try:
        yield
    finally:
        if real is not None:
            sys.modules["__main__"] = real


#: signals held back while a worker is started (POSIX): a stop that arrived then would cut the
#: hand-over of the worker's start-up data, and the half-started worker would print a traceback
_START_BLOCKED = {getattr(signal, n) for n in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, n)}


@contextmanager
def _no_ctrl_c() -> Iterator[None]:
    """Ctrl-C, SIGTERM and SIGHUP held back while a worker is started: slrt gets them as soon as the
    worker is up, so that a stop then never cuts the hand-over of the worker's start-up data (the
    half-started worker would print a traceback).

    Two layers: in slrt's main thread the handlers only note the signal meanwhile (a signal may
    reach another thread of slrt's, and Python then runs the handler in the main thread, in the
    middle of the hand-over: blocking it in one thread is not enough); and the signals are blocked,
    which the worker inherits until :func:`_worker_init` has set it up (POSIX).
    """
    noted: list[int] = []
    saved = {}
    if threading.current_thread() is threading.main_thread():
        for signum in _START_BLOCKED:
            if signal.getsignal(signum) is not None:  # None: set outside Python, left alone
                saved[signum] = signal.signal(signum, lambda n, _frame: noted.append(n))
    block = getattr(signal, "pthread_sigmask", None)
    old = block(signal.SIG_BLOCK, _START_BLOCKED) if block else None
    try:
        yield
    finally:
        if block:
            block(signal.SIG_SETMASK, old)
        for signum, handler in saved.items():
            signal.signal(signum, handler)
        for signum in dict.fromkeys(noted):
            signal.raise_signal(signum)  # now handled as usual (Terminated, KeyboardInterrupt)


def _worker_init(initializer: Callable[..., None] | None, initargs: tuple) -> None:
    """In each worker: Ctrl-C is for slrt alone (it then stops the workers, quietly); the worker
    leaves when slrt is gone; then the caller's own initializer."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, _START_BLOCKED)
    parent = multiprocessing.parent_process()
    if parent is not None:
        threading.Thread(target=_leave_with, args=(parent.sentinel,), name="slrt-parent", daemon=True).start()
    if initializer is not None:
        initializer(*initargs)


def _leave_with(sentinel: int) -> None:
    """Wait until the parent process is gone (killed, crashed), then end this worker as SIGTERM would."""
    from multiprocessing.connection import wait

    wait([sentinel])
    signal.raise_signal(signal.SIGTERM)
