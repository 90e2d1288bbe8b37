"""Read village files (Excel, ODS, CSV/TXT/TSV) into :class:`~slrt_cli.model.FileResult` objects.

Public entry points:

* :func:`collect_inputs` turns the file and folder arguments into the list of files to read.
* :func:`read_file` reads one file; it never raises for a bad file: every problem
  becomes an :class:`~slrt_cli.model.Issue` on the result.

Spreadsheets are read with python-calamine, which keeps each cell's type (a NIK
typed as a number is told apart from a NIK typed as text); text files with the
``csv`` module after encoding and delimiter sniffing (:mod:`slrt_cli.io.sniff`).
Every format becomes a grid of cells, and one routine (:mod:`slrt_cli.io.layout`)
finds the header and the data rows.
"""

from __future__ import annotations

import csv
import gc
import hashlib
import io
import json
import logging
import os
import re
import stat
import traceback
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import python_calamine as calamine

from slrt_cli.errors import UsageError
from slrt_cli.io.layout import COLUMNS_PAST_LAST_FIELD, Grid, GridResult, Merge, column_letter, read_grid
from slrt_cli.io.mapping import ColumnMapping
from slrt_cli.io.sniff import decode_text, sniff_delimiter, sniff_format, zip_totals
from slrt_cli.model import INFO, FileResult, Issue
from slrt_cli.privacy import scrub
from slrt_cli.schemas import Schema

log = logging.getLogger("slrt.io.readers")

MiB = 1 << 20
GiB = 1 << 30

#: File name endings slrt reads (compared case-insensitively).
ALLOWED_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".xlsb", ".ods", ".csv", ".txt", ".tsv")
_ZIP_FORMATS = {"xlsx", "xlsm", "xlsb", "ods"}
_SKIPPED_SHEET_TYPES = {"ChartSheet", "Vba"}

#: Re-raise unexpected exceptions (bugs) instead of turning them into FILE_UNREADABLE.
#: Tests set it; ``SLRT_DEBUG=1`` sets it too.
RAISE_INTERNAL_ERRORS = os.environ.get("SLRT_DEBUG") == "1"

#: Exceptions a bad file can cause (anything else is a bug in slrt).
_FILE_ERRORS = (calamine.CalamineError, OSError, zipfile.BadZipFile, csv.Error, EOFError, MemoryError,
                UnicodeError, OverflowError)


@dataclass(frozen=True)
class ReadLimits:
    """Limits that protect the machine from huge or hostile files.

    Attributes:
        max_file_bytes: largest file read at all (default 200 MiB).
        max_unzipped_bytes: largest total uncompressed size of an xlsx/xlsm/xlsb/ods
            container, from its zip directory, checked before opening (default 1 GiB).
        max_zip_ratio: largest uncompressed:compressed ratio (default 100) ...
        zip_ratio_min_bytes: ... applied once the uncompressed total exceeds this
            (default 50 MiB; small files compress well legitimately).
        max_rows_per_sheet: most data rows read from one sheet or text file
            (default 300,000); a bigger sheet is refused with FILE_TOO_LARGE.
        max_cells_per_sheet: largest used range (rows × columns) of one sheet
            (default 30,000,000).
        max_cells_per_file: cell budget of a whole file: the used ranges of its sheets
            (hidden sheets that are skipped not counted), or the fields of a text file
            (default 30,000,000); past it the file is refused with one FILE_TOO_LARGE.
        columns_past_last_field: columns read to the right of the last recognised column
            (default 500, :data:`~slrt_cli.io.layout.COLUMNS_PAST_LAST_FIELD`); more are
            reported once (COLUMNS_BEYOND_LIMIT) and not carried.
        header_scan_rows: non-blank rows searched for the header (default 30).
        read_hidden_sheets: read hidden and very hidden sheets too (default False: they are
            skipped with a SHEET_HIDDEN issue); ``--baca-lembar-tersembunyi``.
        mapping: the operator's column mapping (``--kolom``, :mod:`slrt_cli.io.mapping`): each
            file is read with ``mapping.schema_for(schema, display_name)``.
    """

    max_file_bytes: int = 200 * MiB
    max_unzipped_bytes: int = 1 * GiB
    max_zip_ratio: float = 100.0
    zip_ratio_min_bytes: int = 50 * MiB
    max_rows_per_sheet: int = 300_000
    max_cells_per_sheet: int = 30_000_000
    max_cells_per_file: int = 30_000_000
    columns_past_last_field: int = COLUMNS_PAST_LAST_FIELD
    header_scan_rows: int = 30
    read_hidden_sheets: bool = False
    mapping: ColumnMapping | None = None


class _Refused(Exception):
    """A file-level problem found while reading: becomes one issue, nothing else is read."""

    def __init__(self, code: str, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.params = params


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
        if not path.is_file() or path.stat().st_size > 16 * MiB:
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


# ---- one file -----------------------------------------------------------------------


def read_file(path: Path, display_name: str, schema: Schema, limits: ReadLimits = ReadLimits()) -> FileResult:
    """Read one input file: every sheet, header found, data rows as text with cell kinds.

    Never raises for a bad file: problems are issues on the result, and
    ``readable`` is False when nothing could be read. Issues about a sheet
    that was read are on its :class:`SheetTable`; file issues and issues of
    skipped sheets (empty, no header, unreadable) are on the result.

    Args:
        path: the file.
        display_name: how the file is named in issues and reports.
        schema: gives the column aliases and the identity fields.
        limits: size limits (:class:`ReadLimits`).

    Returns:
        A :class:`FileResult` with ``format`` "xlsx", "xlsm", "xls", "xlsb", "ods" or "csv".

    Example:
        >>> res = read_file(Path("desa_a.xlsx"), "desa_a.xlsx", load_schema())  # doctest: +SKIP
        >>> res.sheets[0].data.columns[:3]
        ['source_row', 'nik', 'nik#k']
    """
    path = Path(path)
    if limits.mapping is not None:  # the operator's titles (--kolom) as exact aliases; the schema is not changed
        schema = limits.mapping.schema_for(schema, display_name)
    result = FileResult(display_name, path, sha256="", size=0, format=_format_from_name(path))
    try:
        with _gc_paused():
            _read_into(result, schema, limits)
    except _Refused as exc:
        _refuse(result, schema, exc.code, exc.params)
    except BaseException as exc:
        if _is_file_error(exc):
            code = "FILE_ENCRYPTED" if _mentions_password(exc) else "FILE_UNREADABLE"
            _refuse(result, schema, code, {"detail": _detail(exc)} if code == "FILE_UNREADABLE" else {})
        elif isinstance(exc, Exception) and not RAISE_INTERNAL_ERRORS:
            # a bug in slrt: report the file and keep the batch going
            # frames only: an exception message may quote a cell (a name, an address)
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("internal error reading %s: %s\n%s", display_name, type(exc).__name__, scrub(frames))
            _refuse(result, schema, "FILE_UNREADABLE", {"detail": f"kesalahan internal slrt ({type(exc).__name__})"})
        else:
            raise
    if result.readable and not any(t.data.height for t in result.sheets):
        if any(i.code == "FILE_TOO_LARGE" for i in result.issues):
            result.readable = bool(result.sheets)
        else:
            result.issues.append(Issue("FILE_NO_DATA", schema.severity("FILE_NO_DATA"), display_name))
    return result


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector: reading creates millions of acyclic
    objects, and collections triggered by them cost ~20 % of the read time."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _is_file_error(exc: BaseException) -> bool:
    """True for what a bad file can raise; pyo3's PanicException derives from BaseException."""
    return isinstance(exc, _FILE_ERRORS) or type(exc).__name__ == "PanicException"


def _read_into(result: FileResult, schema: Schema, limits: ReadLimits) -> None:
    path = result.path
    result.size, result.sha256 = _size_and_hash(path)  # also for refused files (duplicate check)
    if result.size > limits.max_file_bytes:
        raise _Refused("FILE_TOO_LARGE", detail=_bytes_text(result.size), limit=_bytes_text(limits.max_file_bytes))
    with path.open("rb") as fh:
        head = fh.read(4096)
    sniffed = sniff_format(path, head)
    if sniffed.format is None:
        raise _Refused(sniffed.code or "FILE_UNREADABLE", **sniffed.params)
    result.format = sniffed.format
    if sniffed.format == "csv":
        _read_text(result, schema, limits)
    else:
        _read_workbook(result, schema, limits)


def _refuse(result: FileResult, schema: Schema, code: str, params: dict) -> None:
    result.readable = False
    result.sheets = []
    result.issues.append(Issue(code, schema.severity(code), result.file, params=dict(params)))


def _size_and_hash(path: Path) -> tuple[int, str]:
    digest = hashlib.sha256()
    size = 0
    with path.open("rb") as fh:
        while chunk := fh.read(MiB):
            digest.update(chunk)
            size += len(chunk)
    return size, digest.hexdigest()


def _format_from_name(path: Path) -> str:
    ext = path.suffix.lower().lstrip(".")
    return "csv" if ext in ("txt", "tsv") else ext


def _mentions_password(exc: BaseException) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return isinstance(exc, calamine.PasswordError) or "password" in text or "encrypt" in text


def _detail(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if len(text) > 120:
        text = text[:117] + "..."
    return scrub(text)


def _bytes_text(n: float) -> str:
    for unit in ("byte", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "byte" or n == int(n) else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} GiB"  # pragma: no cover


def _add_sheet(result: FileResult, schema: Schema, limits: ReadLimits, res: GridResult, sheet: str) -> None:
    if res.too_many_rows:
        where = f"lembar '{sheet}'" if sheet else "berkas"
        cap = limits.max_rows_per_sheet
        result.issues.append(Issue("FILE_TOO_LARGE", schema.severity("FILE_TOO_LARGE"), result.file, sheet,
                                   params={"detail": f"{where} berisi lebih dari {cap} baris data",
                                           "limit": f"{cap} baris per lembar"}))
    result.issues += res.issues
    if res.table is not None:
        result.sheets.append(res.table)


# ---- spreadsheets -------------------------------------------------------------------


def _check_zip(path: Path, limits: ReadLimits) -> None:
    """Refuse a decompression bomb before calamine inflates anything."""
    try:
        unzipped, zipped = zip_totals(path)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        raise _Refused("FILE_UNREADABLE", detail=f"berkas rusak atau terpotong ({type(exc).__name__})") from None
    if unzipped > limits.max_unzipped_bytes:
        raise _Refused("FILE_TOO_LARGE", detail=f"isi setelah dibuka {_bytes_text(unzipped)}",
                       limit=_bytes_text(limits.max_unzipped_bytes))
    ratio = unzipped / max(zipped, 1)
    if unzipped > limits.zip_ratio_min_bytes and ratio > limits.max_zip_ratio:
        raise _Refused("FILE_TOO_LARGE", detail=f"isi setelah dibuka {_bytes_text(unzipped)}, rasio {ratio:.0f}:1",
                       limit=f"rasio {limits.max_zip_ratio:.0f}:1")


def _open_workbook(path: Path, fmt: str) -> calamine.CalamineWorkbook:
    """Open with the reader of the real format (calamine picks it from the name otherwise).
    A name that is not valid UTF-8 (an archive unzipped on Windows) is opened as a file object."""
    if path.suffix == "." + fmt and _utf8_name(path):
        return calamine.CalamineWorkbook.from_path(str(path))
    with path.open("rb") as fh:  # renamed file: calamine detects the format from the content
        return calamine.CalamineWorkbook.from_filelike(fh)


def _utf8_name(path: Path) -> bool:
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_workbook(result: FileResult, schema: Schema, limits: ReadLimits) -> None:
    if result.format in _ZIP_FORMATS:
        _check_zip(result.path, limits)
    workbook = _open_workbook(result.path, result.format)
    budget = [limits.max_cells_per_file]  # cells the file's remaining sheets may still use
    try:
        metadata = list(workbook.sheets_metadata)
        for index, name in enumerate(workbook.sheet_names):
            typ = metadata[index].typ if index < len(metadata) else None
            if typ is not None and str(typ).rsplit(".", 1)[-1] in _SKIPPED_SHEET_TYPES:
                continue
            visible = _visibility(metadata[index]) if index < len(metadata) else "Visible"
            if visible != "Visible" and not limits.read_hidden_sheets:
                result.issues.append(Issue("SHEET_HIDDEN", schema.severity("SHEET_HIDDEN"), result.file, name,
                                           params={"visibility": visible}))
                continue
            try:
                res = _read_sheet(workbook, index, name, result, schema, limits, budget)
            except BaseException as exc:
                if not _is_file_error(exc):
                    raise
                result.issues.append(Issue("SHEET_UNREADABLE", schema.severity("SHEET_UNREADABLE"), result.file,
                                           name, params={"detail": _detail(exc)}))
                continue
            _add_sheet(result, schema, limits, res, name)
    finally:
        workbook.close()


def _read_sheet(workbook: calamine.CalamineWorkbook, index: int, name: str, result: FileResult,
                schema: Schema, limits: ReadLimits, budget: list[int] | None = None) -> GridResult:
    sheet = workbook.get_sheet_by_index(index)
    if sheet.start is None:
        return GridResult(None, [Issue("SHEET_EMPTY", schema.severity("SHEET_EMPTY"), result.file, name)])
    cells = sheet.height * sheet.width
    if cells > limits.max_cells_per_sheet:
        return GridResult(None, [Issue("FILE_TOO_LARGE", schema.severity("FILE_TOO_LARGE"), result.file, name,
                                       params={"detail": f"lembar '{name}': {cells} sel",
                                               "limit": f"{limits.max_cells_per_sheet} sel per lembar"})])
    if budget is not None:
        budget[0] -= cells
        if budget[0] < 0:
            raise _Refused("FILE_TOO_LARGE",
                           detail=f"lebih dari {limits.max_cells_per_file} sel (sampai lembar '{name}')",
                           limit=f"{limits.max_cells_per_file} sel per berkas")
    first_col = sheet.start[1]
    # iter_rows yields every row from row 1 (empty rows above the used range
    # included) and the columns of the used range only
    grid = Grid(rows=enumerate(sheet.iter_rows(), start=1), label=lambda c: column_letter(c + first_col),
                merges=_merges(sheet, first_col))
    return read_grid(grid, schema, file=result.file, path=result.path, sheet=name,
                     max_rows=limits.max_rows_per_sheet, scan_rows=limits.header_scan_rows,
                     columns_past=limits.columns_past_last_field)


def _visibility(meta: object) -> str:
    """``Visible``, ``Hidden`` or ``VeryHidden`` (calamine's SheetVisibleEnum member name)."""
    visible = getattr(meta, "visible", None)
    return "Visible" if visible is None else str(visible).rsplit(".", 1)[-1]


def _merges(sheet: calamine.CalamineSheet, first_col: int) -> list[Merge] | None:
    try:
        ranges = sheet.merged_cell_ranges
    except (AttributeError, calamine.CalamineError):  # older readers: treat as unknown
        return None
    if ranges is None:
        return None
    return [(r0 + 1, r1 + 1, c0 - first_col, c1 - first_col) for (r0, c0), (r1, c1) in ranges]


# ---- text files ---------------------------------------------------------------------


def _read_text(result: FileResult, schema: Schema, limits: ReadLimits) -> None:
    text, encoding, guessed = decode_text(result.path.read_bytes())
    delimiter = sniff_delimiter(text)
    if guessed:
        shown = "TAB" if delimiter == "\t" else delimiter
        result.issues.append(Issue("FILE_ENCODING_GUESSED", schema.severity("FILE_ENCODING_GUESSED"), result.file,
                                   params={"encoding": encoding, "delimiter": shown}))
    grid = Grid(rows=_budgeted(_text_rows(text, delimiter), limits.max_cells_per_file), label=lambda c: str(c + 1),
                merges=None)
    res = read_grid(grid, schema, file=result.file, path=result.path, sheet="",
                    max_rows=limits.max_rows_per_sheet, scan_rows=limits.header_scan_rows,
                    columns_past=limits.columns_past_last_field)
    _add_sheet(result, schema, limits, res, "")


def _text_rows(text: str, delimiter: str) -> Iterator[tuple[int, list]]:
    """CSV records numbered as Excel shows them: one row per record, even when a quoted field
    (a title with a line break) spans several lines of the file."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    yield from enumerate(reader, start=1)


def _budgeted(rows: Iterator[tuple[int, list]], max_cells: int) -> Iterator[tuple[int, list]]:
    """The rows of a text file, refused as a whole (FILE_TOO_LARGE) once they hold more than
    ``max_cells`` fields: a file of a few huge lines costs no more than its budget."""
    cells = 0
    for number, fields in rows:
        cells += len(fields)
        if cells > max_cells:
            raise _Refused("FILE_TOO_LARGE", detail=f"lebih dari {max_cells} sel (sampai baris {number})",
                           limit=f"{max_cells} sel per berkas")
        yield number, fields
