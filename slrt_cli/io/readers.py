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
import hashlib
import io
import logging
import os
import traceback
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import python_calamine as calamine

from slrt_cli.collector import collector_paused
from slrt_cli.io.cells import column_letter
from slrt_cli.io.guard import COLUMNS_PAST_LAST_FIELD
from slrt_cli.io.layout import Grid, GridResult, Merge, read_grid
from slrt_cli.io.mapping import ColumnMapping
from slrt_cli.io.sniff import decode_text, sniff_delimiter, sniff_format, zip_totals
from slrt_cli.model import FileResult, Issue
from slrt_cli.privacy import scrub
from slrt_cli.schemas import Schema

log = logging.getLogger("slrt.io.readers")

MiB = 1 << 20
GiB = 1 << 30

#: File name endings slrt reads (compared case-insensitively).
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
        with collector_paused():
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


def _is_file_error(exc: BaseException) -> bool:
    """True for what a bad file can raise; pyo3's PanicException derives from BaseException."""
    return isinstance(exc, _FILE_ERRORS) or type(exc).__name__ == "PanicException"


def _read_into(result: FileResult, schema: Schema, limits: ReadLimits) -> None:
    path = result.path
    result.size, result.sha256 = size_and_hash(path)  # also for refused files (duplicate check)
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


def size_and_hash(path: Path) -> tuple[int, str]:
    """Size in bytes and SHA-256 of a file, read in 1 MiB chunks."""
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
