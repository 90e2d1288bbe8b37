"""Write an output folder as a whole: stage it, then swap it into place.

A run writes every file into a hidden staging folder next to the target
(``.slrt-staging-<token>-<name>``); only when all files are complete does the
staging folder take the target's place:

- on Linux in one atomic step (``renameat2`` with ``RENAME_EXCHANGE``);
- elsewhere (macOS, Windows, file systems without the exchange) in two renames,
  ``out`` -> ``.slrt-old-<token>-<name>`` then staging -> ``out``.

A run killed at any moment leaves the previous complete outputs in place, or
(killed between the two renames) in ``.slrt-old-…``, from where the next run in
that folder puts them back (:func:`recover`). Leftover staging folders of killed
runs are removed by the next run in the same parent folder, whatever its output
name; a folder whose run is still alive is recognised by its output lock
(:mod:`slrt_cli.lock`) and left alone.
"""

from __future__ import annotations

import ctypes
import logging
import os
import re
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator, TypeVar

from slrt_cli.errors import OutputError, UsageError, os_failure
from slrt_cli.lock import holds, lock_path, output_lock, try_lock

log = logging.getLogger("slrt.atomic")
T = TypeVar("T")

MARKER = "summary.json"  # a folder holding this file is an slrt output folder
_STAGE_PREFIX = ".slrt-staging-"
_OLD_PREFIX = ".slrt-old-"
#: what the names of the folders slrt makes beside an output folder start with (staging, parked)
STAGING_PREFIXES = (_STAGE_PREFIX, _OLD_PREFIX)
_LEFTOVER = re.compile(r"^(\.slrt-staging-|\.slrt-old-)([0-9a-f]{8})-(.+)$")
DIR_MODE = 0o700
FILE_MODE = 0o600

#: staging folders this process is writing now (never cleaned as leftovers)
_live: set[str] = set()
_live_guard = threading.Lock()


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

    The output lock of ``out`` is held meanwhile (callers may hold it already).

    Raises:
        UsageError: ``out`` may not be replaced (see :func:`check_target`).
        OutputError: the system refused to write (disk full, read-only, permission, name too
            long); the staging folder is removed and ``out`` is untouched.

    Example:
        >>> with staged_dir(Path("hasil"), overwrite=True) as tmp:   # doctest: +SKIP
        ...     (tmp / "summary.json").write_text("{}")
    """
    out = Path(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with _locked(out):
            recover(out.parent)  # first: it may put back outputs that check_target must see
            check_target(out, overwrite)
            stage = _new_stage(out)
            try:
                yield stage
                _fsync_tree(stage)
                _swap(stage, out)
            except BaseException:
                shutil.rmtree(stage, ignore_errors=True)  # still under the lock
                raise
            finally:
                _forget(stage)
    except BaseException as exc:
        named = _named(exc, out)
        if named is None:
            raise
        raise named from exc


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """Hold the output lock of ``out`` for the block, unless this process holds it already."""
    if holds(out):
        yield
        return
    with output_lock(out):
        yield


def _named(exc: BaseException, out: Path) -> OutputError | None:
    """The operator's message for an OS refusal, naming the output path (not the staging folder)."""
    if isinstance(exc, OutputError) or not isinstance(exc, Exception):
        return None
    named = os_failure(exc, out)
    if named is not None:
        hidden = re.escape(str(out.parent / _STAGE_PREFIX)) + r"[0-9a-f]{8}-" + re.escape(out.name)
        named.params["path"] = re.sub("^" + hidden, lambda _: str(out), str(named.params["path"]))
    return named


def _new_stage(out: Path) -> Path:
    """Create this run's staging folder beside ``out`` (owner-only where the system has modes)."""
    while True:
        stage = out.parent / f"{_STAGE_PREFIX}{secrets.token_hex(4)}-{out.name}"
        try:
            os.mkdir(stage, DIR_MODE)
        except FileExistsError:
            continue
        with _live_guard:
            _live.add(str(stage))
        owner_only(stage, DIR_MODE)
        return stage


def _forget(stage: Path) -> None:
    with _live_guard:
        _live.discard(str(stage))


def owner_only(path: Path, mode: int) -> None:
    """Give ``path`` owner-only permissions where the system has POSIX modes (not on Windows)."""
    if os.name == "posix":
        os.chmod(path, mode)


# ---------------------------------------------------------------- leftovers of killed runs


def recover(parent: Path) -> None:
    """Heal what killed runs left in ``parent``, for every output name whose run is not alive.

    A ``.slrt-old-…`` folder whose output folder is missing holds the previous outputs of a run
    killed between its two renames: it is put back. Any other leftover is removed. A leftover is
    touched only while its output's lock can be taken (or is held by this process), so the
    staging folder of a live run, whatever its name, is never touched.
    """
    try:
        entries = sorted(parent.iterdir())
    except OSError:
        return
    by_name: dict[str, list[tuple[str, Path]]] = {}
    for entry in entries:
        found = _LEFTOVER.match(entry.name)
        if found and entry.is_dir() and str(entry) not in _live:
            by_name.setdefault(found.group(3), []).append((found.group(1), entry))
    for name, leftovers in by_name.items():
        with _unused(parent / name) as free:
            if not free:
                continue
            try:
                _heal(parent / name, leftovers)
            except OSError as exc:  # never a reason to fail this run: the next one tries again
                log.warning("leftovers of %s not healed (%s)", name, type(exc).__name__)


def _heal(out: Path, leftovers: list[tuple[str, Path]]) -> None:
    """Put back previous outputs parked by a killed run (``.slrt-old-…``), then remove the rest."""
    for prefix, path in sorted(leftovers, key=lambda item: item[0] != _OLD_PREFIX):
        if prefix == _OLD_PREFIX and not out.exists():
            os.replace(path, out)
            log.warning("previous outputs restored: %s", out)
        else:
            shutil.rmtree(path, ignore_errors=True)


@contextmanager
def _unused(out: Path) -> Iterator[bool]:
    """True for the block when no other run is writing ``out`` (its lock is taken meanwhile)."""
    if holds(out):
        yield True
        return
    try:
        lock = try_lock(lock_path(out))
    except OutputError:  # the lock file cannot even be created: leave everything as it is
        lock = None
    if lock is None:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


# ---------------------------------------------------------------- the swap


def _swap(stage: Path, out: Path) -> None:
    """Put ``stage`` in place of ``out``; at no moment are the outputs mixed."""
    if out.exists():
        exchange = renameat2()
        if exchange is not None and exchange(stage, out):  # one atomic step: stage now holds the old outputs
            shutil.rmtree(stage, ignore_errors=True)
        else:
            _swap_by_renames(stage, out)
    else:
        os.replace(stage, out)
    _fsync_dir(out.parent)


def _swap_by_renames(stage: Path, out: Path) -> None:
    """Two renames (``out`` -> old, ``stage`` -> ``out``); on failure the old outputs are put back.

    A kill between the two renames leaves the old outputs in ``.slrt-old-…``; :func:`recover`
    puts them back at the next start.
    """
    old = out.parent / f"{_OLD_PREFIX}{secrets.token_hex(4)}-{out.name}"
    try:
        os.replace(out, old)
        os.replace(stage, out)
    except BaseException:
        if old.exists() and not out.exists():
            os.replace(old, out)
        raise
    shutil.rmtree(old, ignore_errors=True)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def renameat2() -> Callable[[Path, Path], bool] | None:
    """An atomic exchange of two paths (Linux ``renameat2`` ``RENAME_EXCHANGE``); None where there is none.

    The function returned says False when this file system refuses the exchange.
    """
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError, TypeError):  # not Linux (TypeError: Windows has no CDLL(None))
        return None
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]

    def exchange(a: Path, b: Path) -> bool:
        return fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0

    return exchange


# ---------------------------------------------------------------- durability


def _fsync_tree(root: Path) -> None:
    """Owner-only modes and every file and folder of ``root`` on disk before the swap."""
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            owner_only(p, FILE_MODE)
            fd = os.open(p, os.O_RDWR if os.name == "nt" else os.O_RDONLY)  # Windows syncs writable handles only
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        owner_only(Path(dirpath), DIR_MODE)
        _fsync_dir(Path(dirpath))


def _fsync_dir(path: Path) -> None:
    """Sync a folder's entries (POSIX; Windows cannot open a folder as a file)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- one file, or one sub-folder, written whole


def atomic_write(path: str | Path, writer: Callable[[Path], T], *, mode: int = FILE_MODE) -> T:
    """Write one file as a whole: ``writer(tmp)`` fills a hidden file beside ``path``, which then replaces it.

    A crash or an error inside ``writer`` leaves the previous file (or none) in place, never half a
    file; the temporary file is removed. The file gets ``mode`` where the system has POSIX modes
    (owner-only by default: most files slrt writes hold personal data).

    Args:
        path: the file to write; its folder must exist.
        writer: writes the complete file to the path it is given (keeps ``path``'s extension).
        mode: permissions of the file written.

    Returns:
        What ``writer`` returned.

    Raises:
        OSError: whatever ``writer`` or the system raised (``path`` untouched).

    Example:
        >>> atomic_write(Path("hasil/laporan.xlsx"), lambda tmp: build(tmp))   # doctest: +SKIP
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=f".tmp{path.suffix}", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        result = writer(tmp)
        if os.name == "posix":
            os.chmod(tmp, mode)
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)
    return result


def write_bytes_atomic(path: str | Path, data: bytes, *, mode: int = FILE_MODE) -> None:
    """:func:`atomic_write` of ``data``."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data), mode=mode)


def replace_folder(stage: Path, out: Path) -> None:
    """Put the complete folder ``stage`` in place of ``out`` (owner-only, synced, swapped as above).

    For a sub-folder written whole inside an output (``kirim/``); the output folder itself is
    written with :func:`staged_dir`, which also holds the lock and heals leftovers.
    """
    _fsync_tree(stage)
    _swap(stage, out)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR if os.name == "nt" else os.O_RDONLY)  # Windows syncs writable handles only
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
