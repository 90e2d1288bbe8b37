"""Write an output folder as a whole: stage it, then swap it into place.

A run writes every file into a hidden staging folder next to the target; only
when all files are complete is the staging folder renamed to the target. A run
killed at any moment leaves the previous complete outputs untouched (plus, at
worst, a stale staging folder that the next run removes).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from slrt_cli.errors import UsageError

MARKER = "summary.json"  # a folder holding this file is an slrt output folder
_STAGE_PREFIX = ".slrt-staging-"
_OLD_PREFIX = ".slrt-old-"
DIR_MODE = 0o700
FILE_MODE = 0o600


def check_target(out: Path, overwrite: bool) -> None:
    """Refuse to replace an existing non-empty folder unless ``overwrite`` is set.

    A non-empty folder that is not an slrt output folder is never replaced.
    """
    if not out.exists():
        return
    if not out.is_dir():
        raise UsageError("error_output_not_dir", path=str(out))
    entries = [p for p in out.iterdir() if not p.name.startswith(".")]
    if not entries:
        return
    if not (out / MARKER).is_file():
        raise UsageError("error_output_foreign", path=str(out))
    if not overwrite:
        raise UsageError("error_output_exists", path=str(out))


@contextmanager
def staged_dir(out: Path, overwrite: bool = False) -> Iterator[Path]:
    """Yield a staging folder; on normal exit it replaces ``out`` as a whole.

    Example:
        >>> with staged_dir(Path("hasil"), overwrite=True) as tmp:   # doctest: +SKIP
        ...     (tmp / "summary.json").write_text("{}")
    """
    out = Path(out)
    check_target(out, overwrite)
    out.parent.mkdir(parents=True, exist_ok=True)
    _clean_stale(out.parent, out.name)
    stage = Path(tempfile.mkdtemp(prefix=f"{_STAGE_PREFIX}{out.name}-{os.getpid()}-", dir=out.parent))
    os.chmod(stage, DIR_MODE)
    try:
        yield stage
        _fsync_tree(stage)
        _swap(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise


def _swap(stage: Path, out: Path) -> None:
    """Put ``stage`` in place of ``out``; at no moment is ``out`` missing or mixed."""
    if out.exists():
        if _exchange(stage, out):  # one atomic step: stage now holds the old outputs
            shutil.rmtree(stage, ignore_errors=True)
        else:  # no renameat2 (not Linux): two renames, with a tiny window
            old = out.parent / f"{_OLD_PREFIX}{out.name}-{os.getpid()}"
            os.replace(out, old)
            os.replace(stage, out)
            shutil.rmtree(old, ignore_errors=True)
    else:
        os.replace(stage, out)
    _fsync_dir(out.parent)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically exchange two paths (Linux renameat2 RENAME_EXCHANGE); False when unsupported."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    rc = fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)
    return rc == 0


def _clean_stale(parent: Path, name: str) -> None:
    """Remove staging/old folders left by runs that are no longer alive."""
    for prefix in (_STAGE_PREFIX, _OLD_PREFIX):
        lead = f"{prefix}{name}-"
        for p in parent.glob(f"{lead}*"):
            pid = p.name[len(lead):].split("-", 1)[0]
            if not pid.isdigit() or not _alive(int(pid)):
                shutil.rmtree(p, ignore_errors=True)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _fsync_tree(root: Path) -> None:
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            os.chmod(p, FILE_MODE)
            with open(p, "rb") as fh:
                os.fsync(fh.fileno())
        os.chmod(dirpath, DIR_MODE)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
