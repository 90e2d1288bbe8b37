"""Which files of the paths given are village files: folders searched, names made displayable,
non-regular files and unreadable folders reported, and slrt's own outputs, the register and the
state folder never taken (:class:`Exclusion`)."""

from __future__ import annotations

import hashlib
import json
import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from slrt_cli.errors import UsageError
from slrt_cli.model import INFO, Issue

ALLOWED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".txt", ".tsv")


# ---- inputs -------------------------------------------------------------------------


def collect_inputs(
    paths: list[Path], exclude: Sequence[Exclusion] = ()
) -> tuple[list[tuple[Path, str]], list[Issue]]:
    """List the files to read from file and folder arguments.

    Folders are searched recursively for files with an allowed extension
    (:data:`ALLOWED_EXTENSIONS`, any case); hidden files and folders and Office
    lock files (``~$x.xlsx``) inside folders are skipped, other file types
    ignored. A file named explicitly with another extension gets a
    FILE_UNSUPPORTED issue. The display name is the path relative to the folder
    argument (just the name for a file argument), made displayable
    (:func:`displayable_name`); the list is sorted by it and a file reached
    twice is listed once.

    Never read: the paths of ``exclude`` (slrt's own output and state folders, the
    register; each announced by an info issue when it lies among the inputs),
    folders and files slrt wrote (:func:`slrt_folder`, :func:`slrt_file`) and
    anything that is not a regular file (a FIFO would block forever). A folder
    that cannot be listed and a non-regular file are reported, never skipped
    silently.

    Returns:
        ``([(path, display_name), ...], issues)``.

    Raises:
        UsageError: ``error_path_missing`` when an argument does not exist.

    Example:
        >>> files, issues = collect_inputs([Path("kiriman/desa")])  # doctest: +SKIP
        >>> files[0][1]
        'kec_a/desa_1.xlsx'
    """
    found: list[tuple[Path, str, str]] = []
    issues: list[Issue] = []
    skip = _Skip(exclude)
    for arg in map(Path, paths):
        if not arg.exists():
            raise UsageError("error_path_missing", path=str(arg))
        issues += skip.announce(arg)
        if skip.hit(arg):
            continue
        if arg.is_dir():
            if slrt_folder(arg):
                issues.append(Issue("INPUT_SLRT_OUTPUT", INFO, displayable_name(str(arg))))
                continue
            files, problems = _walk(arg, skip)
            found += files
            issues += problems
        else:
            issues += _take_file(arg, arg.name, found)
    return _unique(found, issues)


def _take_file(path: Path, rel: str, found: list[tuple[Path, str, str]]) -> list[Issue]:
    """Add a file named as an argument to ``found``, or say why it is not read."""
    shown = displayable_name(rel)
    kind = _special_kind(path)
    if kind:
        return [Issue("FILE_NOT_REGULAR", "error", shown, params={"kind": kind})]
    if path.suffix.lower() not in ALLOWED_EXTENSIONS:
        return [Issue("FILE_UNSUPPORTED", "error", shown, params={"extension": path.suffix or "(tanpa akhiran)"})]
    if slrt_file(path):
        return [Issue("INPUT_SLRT_OUTPUT", INFO, shown)]
    found.append((path, rel, shown))
    return []


def _unique(found: list[tuple[Path, str, str]], issues: list[Issue]) -> tuple[list[tuple[Path, str]], list[Issue]]:
    """Sorted by display name, each real file once; display names made distinct and odd names reported."""
    found.sort(key=lambda item: (item[2].casefold(), item[2], item[1]))
    seen: set[str] = set()
    unique = []
    for path, rel, shown in found:
        real = _real(path)
        if real not in seen:
            seen.add(real)
            unique.append((path, rel, shown))
    taken: dict[str, int] = {}
    for _, _, shown in unique:
        taken[shown] = taken.get(shown, 0) + 1
    out = []
    for path, rel, shown in unique:
        if shown != rel:  # the name as the file system holds it cannot be shown as it is
            if taken[shown] > 1:
                shown = _distinct(shown, rel)
            issues.append(Issue("FILE_NAME_UNDISPLAYABLE", INFO, shown, params={"name": shown}))
        out.append((path, shown))
    return out, issues


def _walk(folder: Path, skip: _Skip | None = None) -> tuple[list[tuple[Path, str, str]], list[Issue]]:
    """Files under ``folder`` as (path, name relative to ``folder``, displayable name), and what was
    not read: folders that cannot be listed, non-regular files, slrt's own folders and files."""
    skip = skip or _Skip(())
    out: list[tuple[Path, str, str]] = []
    issues: list[Issue] = []
    pending = [folder]
    while pending:
        current = pending.pop()
        try:
            with os.scandir(current) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            where = str(folder) if current == folder else _relative(current, folder)
            issues.append(Issue("FOLDER_UNREADABLE", "error", displayable_name(where),
                                params={"detail": exc.strerror or type(exc).__name__}))
            continue
        for entry in entries:
            path = Path(entry.path)
            if entry.name.startswith(".") or skip.hit(path):
                continue
            rel = _relative(path, folder)
            if _is_dir(entry):
                if entry.is_symlink():
                    continue  # not followed (a link may loop), as before
                if slrt_folder(path):
                    issues.append(Issue("INPUT_SLRT_OUTPUT", INFO, displayable_name(rel)))
                else:
                    pending.append(path)
            elif not entry.name.startswith("~$"):
                issues += _found_file(entry, path, rel, out)
    return out, issues


def _found_file(entry: os.DirEntry, path: Path, rel: str, out: list[tuple[Path, str, str]]) -> list[Issue]:
    """A file met in a folder: added to ``out`` when it is a village file, else why not (or nothing)."""
    kind = _special_kind(path, entry)
    if kind:
        return [Issue("FILE_NOT_REGULAR", "error", displayable_name(rel), params={"kind": kind})]
    if Path(entry.name).suffix.lower() not in ALLOWED_EXTENSIONS:
        return []
    if slrt_file(path):
        return [Issue("INPUT_SLRT_OUTPUT", INFO, displayable_name(rel))]
    out.append((path, rel, displayable_name(rel)))
    return []


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir()
    except OSError:
        return False


def _special_kind(path: Path, entry: os.DirEntry | None = None) -> str:
    """"" for a regular file (or a link to one); else what it is: fifo, device, socket, broken link.

    Only ``stat`` is used (never ``open``): opening a FIFO blocks until someone writes into it.
    """
    try:
        mode = (entry.stat() if entry is not None else os.stat(path)).st_mode
    except OSError:
        return "broken link" if os.path.islink(path) else "unreadable"
    if stat.S_ISREG(mode):
        return ""
    if stat.S_ISFIFO(mode):
        return "fifo"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    if stat.S_ISSOCK(mode):
        return "socket"
    return "other"


def _relative(path: Path, folder: Path) -> str:
    return path.relative_to(folder).as_posix()


def _real(path: Path) -> str:
    return os.path.normcase(os.path.realpath(path))


def displayable_name(name: str) -> str:
    """``name`` as it can be shown, written and stored: bytes that are not UTF-8 (a name from a zip
    made on Windows) and control characters become U+FFFD.

    Example:
        >>> displayable_name(os.fsdecode(b"desa_\\xe9.csv"))
        'desa_\\ufffd.csv'
    """
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        try:
            name = name.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        except UnicodeEncodeError:  # a lone surrogate from a Windows name
            name = name.encode("utf-8", "replace").decode("utf-8")
    return _CONTROL.sub("\ufffd", name)


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _distinct(shown: str, rel: str) -> str:
    """``desa_�.csv`` -> ``desa_�~1a2b3c4d.csv``: two names that show alike, told apart by a stable hash."""
    digest = hashlib.blake2b(rel.encode("utf-8", "surrogateescape"), digest_size=4).hexdigest()
    stem, dot, ext = shown.rpartition(".")
    return f"{stem}~{digest}.{ext}" if dot and "/" not in ext else f"{shown}~{digest}"


# ---- what is never an input ---------------------------------------------------------


@dataclass(frozen=True)
class Exclusion:
    """A path never read as a village file: slrt's output folder, its state folder, the register.

    Attributes:
        path: the folder or file (it need not exist yet).
        code: the info issue that announces it when it lies among the inputs.
        siblings: name prefixes of the folders beside ``path`` left out with it (the output
            folder's staging folders, e.g. ``.slrt-staging-hasil-``).
    """

    path: Path
    code: str
    siblings: tuple[str, ...] = ()


class _Skip:
    """Answers "is this path excluded?" for the walk; announces each exclusion once."""

    def __init__(self, exclude: Sequence[Exclusion]) -> None:
        self.rules = [(e, _real(e.path)) for e in exclude]
        self.reals = {real for _, real in self.rules}
        self.siblings = {(os.path.dirname(real), prefix) for e, real in self.rules for prefix in e.siblings}
        self.announced: set[str] = set()

    def hit(self, path: Path) -> bool:
        if not self.rules:
            return False
        real = _real(path)
        if real in self.reals:
            return True
        parent, name = os.path.split(real)
        return any(parent == p and name.startswith(prefix) for p, prefix in self.siblings)

    def announce(self, arg: Path) -> list[Issue]:
        """Info issues for the exclusions inside ``arg`` that a walk would otherwise have read.

        Decided from the paths alone, whether or not they exist yet: the first run into an
        output folder inside the input folder reports exactly what the second one does."""
        top = _real(arg)
        issues = []
        for rule, real in self.rules:
            if real in self.announced or not (real == top or real.startswith(top.rstrip(os.sep) + os.sep)):
                continue
            parts = Path(os.path.relpath(real, top)).parts if real != top else ()
            if any(part.startswith(".") for part in parts) or not _would_be_read(real):
                continue
            self.announced.add(real)
            shown = "/".join(parts) or arg.name
            issues.append(Issue(rule.code, INFO, displayable_name(shown),
                                params={"path": displayable_name(str(rule.path))}))
        return issues


def _would_be_read(real: str) -> bool:
    """A folder (or a folder still to be made), or a file of a type slrt reads."""
    if not os.path.exists(real) or os.path.isdir(real):
        return True
    return Path(real).suffix.lower() in ALLOWED_EXTENSIONS


#: the first line of the tables slrt writes (UTF-8 with BOM): such a file is never a village file
_SLRT_HEADERS = (
    "source_file,source_sheet,source_row,",  # reconciliation, changes
    "kode,tingkat,berkas,lembar,baris,kolom,nilai,pesan",  # issues.csv
    "code,severity,file,sheet,row,column,value,message",
    "person_id,household_id,kode_desa,nik,no_kk,nama",  # not_found
    "household_id,kode_desa,anggota_dtks,",  # households
    "sha256,period,file",  # the state folder's processed.csv
)
#: files that mark a folder slrt wrote (an output folder, its kirim/): JSON with ``slrt_version``
_SLRT_MARKERS = ("summary.json", "manifest.json")


def slrt_folder(folder: Path) -> bool:
    """True for a folder slrt wrote: an output folder (``summary.json``) or a ``kirim/``
    (``manifest.json``), recognised by the ``slrt_version`` in them, or by ``rows.parquet``
    beside ``issues.csv``."""
    for marker in _SLRT_MARKERS:
        if _slrt_json(folder / marker):
            return True
    return (folder / "rows.parquet").is_file() and (folder / "issues.csv").is_file()


def _slrt_json(path: Path) -> bool:
    try:
        if not path.is_file() or path.stat().st_size > 16 << 20:
            return False
        body = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return False
    return isinstance(body, dict) and "slrt_version" in body


def slrt_file(path: Path) -> bool:
    """True for a table slrt wrote (reconciliation.csv, issues.csv…), known by its first line."""
    if path.suffix.lower() not in (".csv", ".txt", ".tsv"):
        return False
    try:
        with path.open("rb") as fh:
            head = fh.read(512)
    except OSError:
        return False  # read_file reports it
    first = head.removeprefix(b"\xef\xbb\xbf").split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace")
    return any(first.startswith(h) for h in _SLRT_HEADERS)
