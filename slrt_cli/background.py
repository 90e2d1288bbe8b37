"""Run a pure-Python writer in a forked child while the parent goes on (2 cores, GIL-bound writers).

The child must not touch polars (its thread pool does not survive a fork): give it
plain Python data. Where fork is unavailable the work runs inline, after the block.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from typing import Any, Callable, Iterator


class BackgroundError(RuntimeError):
    """The background writer failed; the run must not be published."""


@contextmanager
def alongside(func: Callable[..., Any], *args: Any) -> Iterator[None]:
    """Run ``func(*args)`` in a child process during the ``with`` block; wait for it at the end.

    Example:
        >>> with alongside(print, "child"):      # doctest: +SKIP
        ...     work_in_the_parent()
    """
    if not hasattr(os, "fork") or os.environ.get("SLRT_NO_FORK"):
        yield
        func(*args)
        return
    pid = os.fork()
    if pid == 0:  # child: do the work, then leave without running the parent's cleanup
        code = 1
        try:
            func(*args)
            code = 0
        finally:
            os._exit(code)
    try:
        yield
    finally:
        _, status = os.waitpid(pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise BackgroundError("background writer failed")
