"""Find out what a file really is: format by content, text encoding, CSV delimiter.

Nothing here trusts the file name: villages rename HTML exports to ``.xls``,
save photos as ``.xlsx`` and send password-protected workbooks. Every function
is pure (bytes or a path in, a small answer out) and never raises for bad input.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
import struct
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# Villages paste whole letters into one cell: the csv module's 128 KiB default would refuse the
# line (and break delimiter sniffing). The file-size limit of ReadLimits bounds it anyway.
csv.field_size_limit(1 << 28)

ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
TEXT_EXTENSIONS = {".csv", ".txt", ".tsv"}
DELIMITERS = (";", ",", "|", "\t")

_HTML_STARTS = ("<!doctype", "<html", "<table", "<head", "<body", "<meta", "<style")
_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)
_IMAGE_MAGIC = {b"\x89PNG": "gambar PNG", b"\xff\xd8\xff": "gambar JPEG", b"GIF8": "gambar GIF"}
_ARCHIVE_MAGIC = {b"Rar!": "arsip RAR", b"7z\xbc\xaf": "arsip 7-Zip"}
#: start of a UTF-8 multi-byte character (rare in real cp1252 text: it would read "Ã©")
_UTF8_SEQUENCE = re.compile(rb"[\xc2-\xf4][\x80-\xbf]")


@dataclass
class Sniffed:
    """What a file holds.

    ``format`` is "xlsx", "xlsm", "xlsb", "ods", "xls" or "csv" (any text
    file), or None when the file cannot be read; then ``code`` is the FILE_*
    issue code and ``params`` its message parameters.
    """

    format: str | None
    code: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


def sniff_format(path: Path, head: bytes) -> Sniffed:
    """Tell the real format of ``path`` from its first bytes (``head``, ~4 KiB).

    Example:
        >>> sniff_format(Path("laporan.xls"), b"%PDF-1.7 ...").params["actual"]
        'PDF'
    """
    ext = path.suffix.lower()
    if not head:
        return Sniffed(None, "FILE_EMPTY")
    if head.startswith(ZIP_MAGIC):
        return _sniff_zip(path, ext)
    if head.startswith(OLE_MAGIC):
        names = cfb_stream_names(path)
        if names is not None and "encryptedpackage" in names:
            return Sniffed(None, "FILE_ENCRYPTED")
        if names is not None and "worddocument" in names:
            return _not_spreadsheet(ext, "dokumen Word (.doc)")
        return Sniffed("xls")
    if head.startswith(b"%PDF"):
        return _not_spreadsheet(ext, "PDF")
    for magic, label in {**_IMAGE_MAGIC, **_ARCHIVE_MAGIC}.items():
        if head.startswith(magic):
            return _not_spreadsheet(ext, label)
    markup = _markup_kind(head)
    if markup == "HTML":
        return _not_spreadsheet(ext, "HTML")
    if markup == "XML2003":
        return Sniffed(None, "FILE_UNREADABLE", {"detail": "format Excel XML 2003"})
    if ext in TEXT_EXTENSIONS:
        return Sniffed("csv")
    return Sniffed(None, "FILE_UNREADABLE", {"detail": "format berkas tidak dikenali"})


def _not_spreadsheet(ext: str, actual: str) -> Sniffed:
    return Sniffed(None, "FILE_NOT_SPREADSHEET", {"extension": ext or "(tanpa akhiran)", "actual": actual})


def _markup_kind(head: bytes) -> str | None:
    """Return "HTML", "XML2003" (Excel 2003 XML spreadsheet) or None."""
    text = head
    for bom in _BOMS:
        if text.startswith(bom):
            text = text[len(bom) :]
            break
    if text[:1] in (b"\x00",) or text[1:2] == b"\x00":  # UTF-16 without BOM
        text = text.replace(b"\x00", b"")
    low = text.decode("latin-1").lstrip().lower()
    if low.startswith(_HTML_STARTS):
        return "HTML"
    if low.startswith("<?xml"):
        if "urn:schemas-microsoft-com:office:spreadsheet" in low or "excel.sheet" in low:
            return "XML2003"
        if "<html" in low:
            return "HTML"
    return None


def _sniff_zip(path: Path, ext: str) -> Sniffed:
    try:
        with zipfile.ZipFile(path) as zf:
            names = {n.replace("\\", "/").lower() for n in zf.namelist()}
            types = _small_member(zf, "[Content_Types].xml").lower()
            if b"sheet.binary" in types or "xl/workbook.bin" in names:
                return Sniffed("xlsb")
            if b"sheet.macroenabled.main" in types:
                return Sniffed("xlsm")
            if b"spreadsheetml.sheet.main" in types or any(n.endswith("workbook.xml") for n in names):
                return Sniffed("xlsx")
            mimetype = _small_member(zf, "mimetype").strip()
            if mimetype.startswith(b"application/vnd.oasis.opendocument.spreadsheet"):
                return Sniffed("ods")
            if mimetype.startswith(b"application/vnd.oasis.opendocument"):
                return _not_spreadsheet(ext, "dokumen OpenDocument")
            if "content.xml" in names and not mimetype:
                return Sniffed("ods")
            if "word/document.xml" in names:
                return _not_spreadsheet(ext, "dokumen Word (.docx)")
            if any(n.startswith("ppt/") for n in names):
                return _not_spreadsheet(ext, "presentasi PowerPoint")
            return _not_spreadsheet(ext, "arsip ZIP")
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as exc:
        return Sniffed(None, "FILE_UNREADABLE", {"detail": _zip_detail(exc)})


def _zip_detail(exc: BaseException) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return "berkas rusak atau terpotong (zip)"
    return f"berkas rusak ({type(exc).__name__})"


def _small_member(zf: zipfile.ZipFile, name: str, limit: int = 1 << 20) -> bytes:
    """Read a small member (content types, mimetype) or b"" when absent or too big."""
    try:
        info = zf.getinfo(name)
    except KeyError:
        return b""
    if info.file_size > limit:
        return b""
    try:
        return zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
        return b""


def zip_totals(path: Path) -> tuple[int, int]:
    """Return (total uncompressed size, total compressed size) declared by a zip's directory.

    Raises:
        zipfile.BadZipFile: not a readable zip.
    """
    with zipfile.ZipFile(path) as zf:
        infos = zf.infolist()
    return sum(i.file_size for i in infos), sum(i.compress_size for i in infos)


# ---- OLE2 / Compound File Binary ---------------------------------------------------

_FREESECT, _ENDOFCHAIN = 0xFFFFFFFF, 0xFFFFFFFE


def cfb_stream_names(path: Path) -> set[str] | None:
    """Names (lower case) of the entries of an OLE2 compound file, or None if unparsable.

    A password-protected .xlsx is an OLE2 file holding ``EncryptedPackage`` and
    ``EncryptionInfo`` streams; a real .xls holds ``Workbook`` (or ``Book``).

    Example:
        >>> "encryptedpackage" in (cfb_stream_names(Path("locked.xlsx")) or set())  # doctest: +SKIP
        True
    """
    try:
        with path.open("rb") as fh:
            return _cfb_names(fh)
    except (OSError, ValueError, struct.error, IndexError):
        return None


def _cfb_names(fh: io.BufferedReader) -> set[str] | None:
    header = fh.read(512)
    if len(header) < 512 or not header.startswith(OLE_MAGIC):
        return None
    shift = struct.unpack_from("<H", header, 0x1E)[0]
    if shift not in (9, 12):
        return None
    size = 1 << shift
    first_dir = struct.unpack_from("<I", header, 0x30)[0]
    difat = [s for s in struct.unpack_from("<109I", header, 0x4C) if s < _ENDOFCHAIN]
    next_difat, n_difat = struct.unpack_from("<II", header, 0x44)
    per_sector = size // 4
    for _ in range(min(n_difat, 4096)):  # further DIFAT sectors (very large files)
        if next_difat >= _ENDOFCHAIN:
            break
        block = _sector(fh, next_difat, size)
        ids = struct.unpack(f"<{per_sector}I", block)
        difat += [s for s in ids[:-1] if s < _ENDOFCHAIN]
        next_difat = ids[-1]
    fat: list[int] = []
    for sect in difat:
        fat += struct.unpack(f"<{per_sector}I", _sector(fh, sect, size))
    names: set[str] = set()
    sect, seen = first_dir, 0
    while sect < _ENDOFCHAIN and sect < len(fat) and seen < 10_000:
        block = _sector(fh, sect, size)
        for off in range(0, size, 128):
            entry = block[off : off + 128]
            n = struct.unpack_from("<H", entry, 64)[0]
            if entry[66] in (1, 2, 5) and 2 <= n <= 64:
                names.add(entry[: n - 2].decode("utf-16-le", "replace").lower())
        sect, seen = fat[sect], seen + 1
    return names


def _sector(fh: io.BufferedReader, index: int, size: int) -> bytes:
    fh.seek((index + 1) * size)
    block = fh.read(size)
    if len(block) < size:
        raise ValueError("truncated compound file")
    return block


# ---- text files ---------------------------------------------------------------------


def _latin1_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    """Decode bytes cp1252 leaves undefined (0x81, 0x8D, 0x8F, 0x90, 0x9D) as Latin-1."""
    return exc.object[exc.start : exc.end].decode("latin-1"), exc.end


codecs.register_error("slrt_latin1", _latin1_fallback)


def decode_text(data: bytes) -> tuple[str, str, bool]:
    """Decode a text file: BOM, else strict UTF-8, else Windows-1252 (line by line if mixed).

    NUL bytes are removed. Returns ``(text, encoding, guessed)``; ``guessed`` is
    True when the encoding is not certain (cp1252 or mixed lines).

    Example:
        >>> decode_text("NAMA;CAFÉ".encode("cp1252"))
        ('NAMA;CAFÉ', 'cp1252', True)
    """
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", "replace").replace("\x00", ""), "utf-8-sig", False
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", "replace").replace("\x00", ""), "utf-16", False
    data = data.replace(b"\x00", b"")
    try:
        return data.decode("utf-8"), "utf-8", False
    except UnicodeDecodeError:
        pass
    if not _UTF8_SEQUENCE.search(data):  # no UTF-8 line at all: plain Windows-1252
        return data.decode("cp1252", "slrt_latin1"), "cp1252", True
    lines = data.splitlines(keepends=True)
    utf8_lines = 0
    parts = []
    for line in lines:
        try:
            text = line.decode("utf-8")
            if not line.isascii():
                utf8_lines += 1
        except UnicodeDecodeError:
            text = line.decode("cp1252", "slrt_latin1")
        parts.append(text)
    if utf8_lines:
        return "".join(parts), "utf-8 + cp1252", True
    return data.decode("cp1252", "slrt_latin1"), "cp1252", True


def sniff_delimiter(text: str, sample_lines: int = 50) -> str:
    """Pick the delimiter among ``; , | TAB`` giving the most consistent column count.

    Quotes are respected. Lines with a single field (titles) do not count.

    Example:
        >>> sniff_delimiter("DAFTAR WARGA\\nNIK;NAMA;ALAMAT\\n1;A, B;C\\n")
        ';'
    """
    sample: list[str] = []
    for line in io.StringIO(text, newline=""):
        if line.strip():
            sample.append(line)
            if len(sample) >= sample_lines:
                break
    best, best_score = ",", (0, 0, 0)
    for rank, delim in enumerate(DELIMITERS):
        try:
            counts = [len(r) for r in csv.reader(sample, delimiter=delim) if len(r) > 1]
        except csv.Error:
            continue
        if not counts:
            continue
        modal = max(set(counts), key=lambda c: (counts.count(c), c))
        score = (counts.count(modal), modal, -rank)
        if score > best_score:
            best, best_score = delim, score
    return best
