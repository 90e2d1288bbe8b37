"""Run a pure-Python writer in a forked child while the parent goes on (2 cores, GIL-bound writers).

The child must not touch polars (its thread pool does not survive a fork): give it
plain Python data. Where fork is unavailable the work runs inline, after the block.
"""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class BackgroundError(RuntimeError):
    """The background writer failed; the run must not be published.

    ``errno`` is set when the system refused a write there (disk full...), so that the operator
    is told so (:func:`slrt_cli.errors.os_failure`) rather than shown an internal error.
    """

    def __init__(self, message: str, errno: int | None = None) -> None:
        super().__init__(message)
        self.errno = errno


#: exit status of a background process whose write the system refused: base + errno (errno < 64)
OS_EXIT_BASE = 64


def exit_status_for(exc: BaseException) -> int:
    """A background process's exit status for ``exc``: ``OS_EXIT_BASE + errno`` for an OS refusal, else 1."""
    from slrt_cli.errors import os_errno, os_failure

    number = os_errno(exc)
    if os_failure(exc) is not None and number is not None and 0 < number < 64:
        return OS_EXIT_BASE + number
    return 1


def errno_of_status(status: int) -> int | None:
    """The errno a background process reported through its exit status (see :func:`exit_status_for`)."""
    return status - OS_EXIT_BASE if OS_EXIT_BASE < status < OS_EXIT_BASE + 64 else None


def die_with_parent(parent: int) -> None:
    """In a child: be killed when ``parent`` dies (Linux), so that no orphan writes on after a crash."""
    try:
        import ctypes
        import signal

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except Exception:  # noqa: BLE001 -- not Linux: the child finishes its work and leaves
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


@contextmanager
def alongside(func: Callable[..., Any], *args: Any) -> Iterator[None]:
    """Run ``func(*args)`` in a child process during the ``with`` block; wait for it at the end.

    Example:
        >>> with alongside(print, "child"):      # doctest: +SKIP
        ...     work_in_the_parent()
    """
    with alongside_each(func, [args]):
        yield


@contextmanager
def alongside_each(func: Callable[..., Any], jobs: list[tuple]) -> Iterator[None]:
    """One child per job (``func(*job)``) during the ``with`` block; all waited for at the end."""
    if not hasattr(os, "fork") or os.environ.get("SLRT_NO_FORK"):
        yield
        for job in jobs:
            func(*job)
        return
    pids = []
    parent = os.getpid()
    for job in jobs:
        pid = os.fork()
        if pid == 0:  # child: do the work, then leave without running the parent's cleanup
            code = 1
            gc.disable()  # a collection would touch (and so copy) every page shared with the parent
            try:
                die_with_parent(parent)
                func(*job)
                code = 0
            except BaseException as exc:  # noqa: BLE001 -- told through the exit status only
                code = exit_status_for(exc)
            finally:
                os._exit(code)
        pids.append(pid)
    statuses = []
    ok = False
    try:
        yield
        ok = True
    finally:
        waiting = list(pids)
        try:
            while waiting:
                pid = waiting[0]
                if not ok:  # the run is failing or being stopped: its files are discarded anyway
                    _kill(pid)
                _, status = os.waitpid(pid, 0)
                waiting.pop(0)
                statuses.append(os.waitstatus_to_exitcode(status))
        except BaseException:  # stopped while waiting: no child may write on into the discarded folder
            for pid in waiting:
                _kill(pid)
                try:
                    os.waitpid(pid, 0)
                except ChildProcessError:
                    pass
            raise
    failed = [s for s in statuses if s != 0]
    if failed:
        raise BackgroundError("background writer failed", errno=errno_of_status(failed[0]))


def _kill(pid: int) -> None:
    """Stop a forked writer at once (only reached where ``os.fork`` exists, so POSIX signals too)."""
    import signal

    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def balanced(items: list, weight: Callable[[Any], int], parts: int) -> list[list]:
    """Split ``items`` into ``parts`` lists of similar total weight (largest first, greedy)."""
    bins: list[list] = [[] for _ in range(max(parts, 1))]
    loads = [0] * len(bins)
    for item in sorted(items, key=weight, reverse=True):
        i = loads.index(min(loads))
        bins[i].append(item)
        loads[i] += weight(item)
    return [b for b in bins if b]
