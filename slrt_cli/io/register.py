"""Open the register extract (DTKS or DTSEN) in any of the layouts that exist.

Layouts are recognised through the same alias tables as the village files
(``schemas/aliases.csv``): the SIKS-NG DTKS export (``|``-delimited, 23
columns, region names instead of codes, no person id), BDT-style tables
(``IDBDT``, ``IDARTBDT``, ``KDDESA``…), plain ``ID_DTKS``/``ID_ART`` extracts,
and DTSEN (a family table plus a member table, joined on ``id_keluarga``).
Files may be Parquet, CSV (``,`` ``;`` ``|`` tab; UTF-8 or Windows-1252) or
Excel; several files (e.g. one per kabupaten) are stacked.

The result is one raw :class:`SheetTable` (text cells, as read) that the
normalisation step turns into canonical columns, like any village sheet.
A layout without a person id gets a stable derived one (a hash of the
household, NIK, name and birth date as written in the register).
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from slrt_cli.errors import InputError
from slrt_cli.io.readers import read_file, size_and_hash
from slrt_cli.io.sniff import decode_text, sniff_delimiter
from slrt_cli.model import Issue, SheetTable, SourceColumn
from slrt_cli.privacy import mask_id, scrub
from slrt_cli.schemas import Schema

#: Family-level fields a DTSEN member row takes from its family row.
FAMILY_FIELDS = [
    "household_id", "no_kk", "alamat", "dusun", "rt", "rw", "desil",
    "kode_prov", "kode_kab", "kode_kec", "kode_desa", "nama_prov", "nama_kab", "nama_kec", "nama_desa",
]
#: extra column marking person ids that slrt derived (the layout had none): never sent to the ministry
DERIVED = "x:person_id_derived"
#: extra column: the register file a row was read from (its ``source_row`` is the row's line or Excel
#: row in that file), so that an operator can find the person in the extract (reconciliation.csv)
FILE_COLUMN = "x:register_file"
REGISTER_EXTENSIONS = {".parquet", ".pq", ".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods"}
_HEADER_SCAN = 30
#: share of columns two files must have in common to be one layout (an older export may lack a column)
SAME_LAYOUT = 0.6
#: conflicting person ids listed in the error message
MAX_SHOWN = 10
_FILE, _ROW = "_register_file", "_register_row"  # working columns, dropped with the other non-fields


@dataclass
class RegisterFile:
    """One register file: how it is named, its checksum, the data rows read from it."""

    file: str
    path: Path
    sha256: str
    size: int
    rows: int = 0
    named: bool = True  # named on the command line (not found in a folder)

    def to_dict(self) -> dict:
        return {"file": self.file, "path": str(self.path), "rows": self.rows, "size": self.size,
                "sha256": self.sha256}


@dataclass
class RegisterRead:
    """The register as read: one raw table, the files it came from, what was left out and why."""

    table: SheetTable
    files: list[RegisterFile]
    issues: list[Issue] = field(default_factory=list)
    duplicate_rows: int = 0


def register_files(paths: list[Path]) -> list[Path]:
    """The register files named by ``paths`` (files, or folders searched recursively)."""
    return [f.path for f in _candidates(paths)]


def _candidates(paths: list[Path]) -> list[RegisterFile]:
    """Every file named or found, with its checksum (no content read beyond that)."""
    out: list[RegisterFile] = []
    for p in map(Path, paths):
        if not p.exists():
            raise InputError("error_register_missing", path=str(p))
        if p.is_dir():
            found = sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in REGISTER_EXTENSIONS
                           and not q.name.startswith((".", "~$")))
            out += [_checksum(q, q.relative_to(p).as_posix(), named=False) for q in found]
        elif not p.is_file():  # a FIFO or a device: opening it could block forever
            raise InputError("error_register_unreadable", file=p.name, detail="FIFO/device")
        else:
            out.append(_checksum(p, p.name, named=True))
    if not out:
        raise InputError("error_register_missing", path=", ".join(str(p) for p in paths))
    return out


def _checksum(path: Path, name: str, named: bool) -> RegisterFile:
    try:
        size, digest = size_and_hash(path)
    except OSError as exc:
        raise InputError("error_register_unreadable", file=name, detail=exc.strerror or type(exc).__name__) from exc
    return RegisterFile(name, path, digest, size, named=named)


def read_register(paths: list[Path], schema: Schema) -> SheetTable:
    """Read the register extract into one raw table with canonical column keys (see :func:`read_register_checked`)."""
    return read_register_checked(paths, schema).table


def read_register_checked(paths: list[Path], schema: Schema) -> RegisterRead:
    """Read the register extract, checked before anything is matched against it.

    - a file given twice, or present twice in a folder (same SHA-256), is read once;
    - an empty or header-only file is left out; a register with no data row at all is refused;
    - a file whose layout differs from the register's (a village workbook dropped in the
      register folder) is left out when found in a folder, refused when named;
    - rows repeated exactly (within or across files) are read once;
    - one person id on rows that differ (two persons, or one person written two ways) is refused.

    Everything left out is an issue naming the file (codes ``REGISTER_*``).

    Raises:
        InputError: a file cannot be read, a required column is missing, the register has no
            data row, a named file is not a register extract, or person ids conflict (the
            message names the file and the column, or lists the ids, masked).
    """
    issues: list[Issue] = []
    files = _distinct_files(_candidates(paths), schema, issues)
    tables: list[tuple[RegisterFile, SheetTable]] = []
    for f in files:
        table = _read_one(f.path, schema)
        f.rows = table.data.height
        if f.rows == 0:
            issues.append(Issue("REGISTER_FILE_EMPTY", schema.severity("REGISTER_FILE_EMPTY"), f.file))
        else:
            tables.append((f, table))
    if not tables:
        raise InputError("error_register_empty", files=", ".join(f.file for f in files))
    tables = _same_layout(tables, schema, issues)
    members = [(f, t) for f, t in tables if not _is_family_table(t)]
    families = [(f, t) for f, t in tables if _is_family_table(t)]
    if not members:
        members, families = families, []
    frame = _stack(members)
    if families:
        frame = _join_families(frame, _stack(families))
    _require(frame, ", ".join(t.file for _, t in members))
    frame, dropped = _drop_repeated_rows(frame, schema, issues)
    _refuse_conflicting_ids(frame)
    frame = _derive_ids(frame)
    tables_only = [t for _, t in tables]
    return RegisterRead(_raw_table(frame, tables_only, schema), [f for f, _ in tables], issues, dropped)


def piece_table(frame: pl.DataFrame, file: str, source_row: pl.Series, schema: Schema) -> SheetTable:
    """One piece of a register *dataset* (a Parquet file, or a part of one), read as
    :func:`read_register_checked` reads a file: columns recognised by their titles, ids derived.

    A dataset is read piece by piece (it need not fit in memory), so what needs the whole register
    at once is not done: rows repeated across pieces are kept and person ids are not compared
    across pieces. ``file``: the file's name as shown in outputs; ``source_row``: each row's line
    in it (the header is line 1).
    """
    table = _mapped(_parquet_frame(frame), Path(file), schema, 1)
    data = table.data.with_columns(source_row.cast(pl.Int64).alias("source_row"))
    _require(data, file)
    data = _derive_ids(data).with_columns(pl.lit(file).alias(_FILE))
    return _raw_table(data, [table], schema)


def _distinct_files(files: list[RegisterFile], schema: Schema, issues: list[Issue]) -> list[RegisterFile]:
    """Each content once (the first name wins); empty files reported and left out."""
    seen: dict[str, str] = {}
    out = []
    for f in files:
        if f.size == 0:
            issues.append(Issue("REGISTER_FILE_EMPTY", schema.severity("REGISTER_FILE_EMPTY"), f.file))
        elif f.sha256 in seen:
            issues.append(Issue("REGISTER_FILE_DUPLICATE", schema.severity("REGISTER_FILE_DUPLICATE"), f.file,
                                params={"other": seen[f.sha256]}))
        else:
            seen[f.sha256] = f.file
            out.append(f)
    if not out:
        raise InputError("error_register_empty", files=", ".join(f.file for f in files))
    return out


def _stack(tables: list[tuple[RegisterFile, SheetTable]]) -> pl.DataFrame:
    return pl.concat([t.data.with_columns(pl.lit(f.file).alias(_FILE)) for f, t in tables], how="diagonal_relaxed")


def _same_layout(tables: list[tuple[RegisterFile, SheetTable]], schema: Schema,
                 issues: list[Issue]) -> list[tuple[RegisterFile, SheetTable]]:
    """Leave out the files whose columns are not the register's (found in a folder) or refuse them
    (named). The register's layout is the one most files share (ties: most rows); a DTSEN family
    table is compared with the other family tables."""
    keep = []
    for family in (False, True):
        group = [(f, t) for f, t in tables if _is_family_table(t) == family]
        if not group:
            continue
        main = _main_layout(group)
        for f, t in group:
            if _similar(_layout(t), main):
                keep.append((f, t))
                continue
            columns = ", ".join(c.header for c in t.columns if c.field)  # as the file titles them
            if f.named:
                raise InputError("error_register_layout", file=f.file, columns=columns)
            issues.append(Issue("REGISTER_FILE_OTHER_LAYOUT", schema.severity("REGISTER_FILE_OTHER_LAYOUT"), f.file,
                                params={"columns": columns}))
    return [(f, t) for f, t in tables if any(f is k for k, _ in keep)]


def _layout(t: SheetTable) -> frozenset[str]:
    return frozenset(c for c in t.data.columns if c != "source_row")


def _main_layout(group: list[tuple[RegisterFile, SheetTable]]) -> frozenset[str]:
    score: dict[frozenset[str], tuple[int, int]] = {}
    for f, t in group:
        files, rows = score.get(_layout(t), (0, 0))
        score[_layout(t)] = (files + 1, rows + f.rows)
    return max(score, key=lambda layout: score[layout])  # first of equals: files in order


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    """Two exports of one layout (an older one may lack a column or two), not two layouts."""
    if a == b:
        return True
    if ("status_verivali" in a) != ("status_verivali" in b):  # a village's verivali results
        return False
    return len(a & b) / len(a | b) >= SAME_LAYOUT


def _drop_repeated_rows(frame: pl.DataFrame, schema: Schema, issues: list[Issue]) -> tuple[pl.DataFrame, int]:
    """Rows repeated exactly (every column but the row number and the file) are read once."""
    values = [c for c in frame.columns if c not in ("source_row", _FILE)]
    # rows alike in every value have the same hash: comparing whole rows (some 900 MiB for a
    # million persons) only among the rows that share their hash with another
    row_hash = pl.fold(pl.lit(0, pl.UInt64), lambda a, b: a ^ b, [pl.col(c).hash(seed=i) for i, c in enumerate(values)])
    alike = frame.select(row_hash.is_duplicated()).to_series()
    maybe = frame.with_row_index(_ROW).filter(alike)
    repeated = maybe.filter(maybe.select(values).is_duplicated())
    if not repeated.height:
        return frame, 0
    later = repeated.filter(pl.struct(values).is_first_distinct().not_())
    for (name,), rows in later.sort(_ROW).partition_by(_FILE, as_dict=True, maintain_order=True).items():
        numbers = rows["source_row"].to_list()
        shown = ", ".join(str(n) for n in numbers[:10]) + (", …" if len(numbers) > 10 else "")
        issues.append(Issue("REGISTER_ROWS_DUPLICATE", schema.severity("REGISTER_ROWS_DUPLICATE"), name,
                            params={"count": len(numbers), "rows": shown}))
    kept = frame.with_row_index(_ROW).join(later.select(_ROW), on=_ROW, how="anti").drop(_ROW)
    return kept, later.height


def _refuse_conflicting_ids(frame: pl.DataFrame) -> None:
    """One person id on rows that differ: which row is the person is unknown, so nothing is matched."""
    if "person_id" not in frame.columns:
        return
    ids = frame.filter(pl.col("person_id").is_not_null() & pl.col("person_id").is_duplicated())
    if not ids.height:
        return
    where = (
        ids.group_by("person_id", maintain_order=True)
        .agg(pl.format("{}:{}", pl.col(_FILE), pl.col("source_row")).alias("_where"))
    )
    shown = [f"{mask_id(pid)} ({'; '.join(w[:3])})" for pid, w in where.head(MAX_SHOWN).iter_rows()]
    more = f" (+{where.height - MAX_SHOWN})" if where.height > MAX_SHOWN else ""
    raise InputError("error_register_conflict", count=where.height, ids=", ".join(shown) + more)


def _raw_table(frame: pl.DataFrame, tables: list[SheetTable], schema: Schema) -> SheetTable:
    codelists = {c.key: c.codelist for t in tables for c in t.columns if c.codelist}
    columns = [
        SourceColumn(i, str(i + 1), key, key, key, codelists.get(key))
        for i, key in enumerate(c for c in frame.columns if c in schema.fields)
    ]
    keep = ["source_row"] + [c.key for c in columns]
    kinds = [pl.when(pl.col(c.key).is_not_null()).then(pl.lit("s")).alias(c.key + "#k") for c in columns]
    data = frame.select(keep).with_columns(kinds).with_columns(
        frame[DERIVED].cast(pl.Utf8).alias(DERIVED), frame[_FILE].cast(pl.Utf8).alias(FILE_COLUMN)
    )
    for extra in (DERIVED, FILE_COLUMN):
        columns.append(SourceColumn(len(columns), str(len(columns) + 1), extra, None, extra))
    name = " + ".join(t.file for t in tables)
    return SheetTable(file=name, path=Path(tables[0].path), sheet="", header_rows=(1,), columns=columns, data=data)


def _is_family_table(t: SheetTable) -> bool:
    keys = set(t.data.columns)
    return "keluarga_id" in keys and "person_id" not in keys and len(t.data.columns) > 1


def _join_families(members: pl.DataFrame, families: pl.DataFrame) -> pl.DataFrame:
    if "keluarga_id" not in members.columns:
        raise InputError("error_register_column", file="DTSEN", column="id_keluarga")
    fam = families.select(["keluarga_id"] + [c for c in FAMILY_FIELDS if c in families.columns])
    fam = fam.unique("keluarga_id", keep="first").rename({c: f"{c}__fam" for c in fam.columns if c != "keluarga_id"})
    joined = members.join(fam, on="keluarga_id", how="left")
    fills = []
    for c in FAMILY_FIELDS:
        if f"{c}__fam" in joined.columns:
            mine = pl.col(c) if c in joined.columns else pl.lit(None, dtype=pl.Utf8)
            fills.append(pl.coalesce(mine, pl.col(f"{c}__fam")).alias(c))
    joined = joined.with_columns(fills)
    return joined.drop([c for c in joined.columns if c.endswith("__fam")])


def _require(frame: pl.DataFrame, files: str) -> None:
    cols = set(frame.columns)
    if "nama" not in cols:
        raise InputError("error_register_column", file=files, column="NAMA")
    if not cols & {"nik", "tanggal_lahir"}:
        raise InputError("error_register_column", file=files, column="NIK / TANGGAL LAHIR")
    if not cols & {"household_id", "keluarga_id", "no_kk"}:
        raise InputError("error_register_column", file=files, column="ID DTKS / NOKK")


def _derive_ids(frame: pl.DataFrame) -> pl.DataFrame:
    """Household id from the family id, else an opaque one made from the No KK (``K`` + a hash: a
    household id is shown where a No KK is masked); person id derived when the layout has none."""
    if "household_id" not in frame.columns or frame["household_id"].null_count() == frame.height:
        if "keluarga_id" in frame.columns:
            frame = frame.with_columns(pl.col("keluarga_id").alias("household_id"))
        else:
            kk = frame["no_kk"].cast(pl.Utf8)
            ids = {k: "K" + _stable_id(k)[1:] for k in kk.drop_nulls().unique().to_list()}
            frame = frame.with_columns(kk.replace_strict(ids, default=None, return_dtype=pl.Utf8).alias("household_id"))
    if "person_id" in frame.columns and frame["person_id"].null_count() == 0:
        return frame.with_columns(pl.lit(False).alias(DERIVED))
    parts = [c for c in ("household_id", "nik", "nama", "tanggal_lahir") if c in frame.columns]
    keys = frame.select(pl.concat_str([pl.col(c).fill_null("") for c in parts], separator="|")).to_series().to_list()
    derived = [_stable_id(k) for k in keys]
    seen: dict[str, int] = {}
    for i, d in enumerate(derived):  # identical register rows stay distinct, in file order
        n = seen.get(d, 0) + 1
        seen[d] = n
        if n > 1:
            derived[i] = f"{d}-{n}"
    new = pl.Series("_derived", derived, dtype=pl.Utf8)
    if "person_id" in frame.columns:
        flag = pl.col("person_id").is_null()
        return frame.with_columns(pl.coalesce(pl.col("person_id"), new).alias("person_id"), flag.alias(DERIVED))
    return frame.with_columns(new.alias("person_id"), pl.lit(True).alias(DERIVED))


def _stable_id(key: str) -> str:
    return "P" + hashlib.blake2b(key.encode("utf-8"), digest_size=8).hexdigest()


# ---------------------------------------------------------------- one file


def _read_one(path: Path, schema: Schema) -> SheetTable:
    ext = path.suffix.lower()
    try:
        if ext in (".parquet", ".pq"):
            frame, header_line = _parquet(path), 1
        elif ext in (".csv", ".txt", ".tsv"):
            frame, header_line = _csv(path, schema)
        else:
            return _excel(path, schema)
    except InputError:
        raise
    except Exception as exc:  # corrupt or unsupported: name the file, never the data
        raise InputError("error_register_unreadable", file=path.name, detail=scrub(f"{type(exc).__name__}: {exc}")[:200]) from exc
    return _mapped(frame, path, schema, header_line)


def _parquet(path: Path) -> pl.DataFrame:
    return _parquet_frame(pl.read_parquet(path))


def _parquet_frame(frame: pl.DataFrame) -> pl.DataFrame:
    """A Parquet table's columns as text, as the other formats give them."""
    casts = []
    for name, dtype in frame.schema.items():
        if dtype == pl.Utf8:
            continue
        if dtype.is_temporal():
            casts.append(pl.col(name).dt.strftime("%Y-%m-%d").alias(name))
        elif dtype.is_float():  # a float id has lost digits: keep what is left, as text
            casts.append(pl.col(name).cast(pl.Int64, strict=False).cast(pl.Utf8).alias(name))
        else:
            casts.append(pl.col(name).cast(pl.Utf8).alias(name))
    return frame.with_columns(casts) if casts else frame


def _csv(path: Path, schema: Schema) -> tuple[pl.DataFrame, int]:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = decode_text(data)[0]
    head = text[: 1 << 16]
    delimiter = sniff_delimiter(head)
    skip = _header_line(head, delimiter, schema)
    frame = pl.read_csv(
        io.BytesIO(text.encode("utf-8")),
        separator=delimiter,
        skip_rows=skip,
        infer_schema=False,
        quote_char='"',
        truncate_ragged_lines=True,
    )
    frame = frame.with_columns(pl.col(c).str.strip_chars().replace("", None) for c in frame.columns)
    return frame, skip + 1


def _header_line(head: str, delimiter: str, schema: Schema) -> int:
    """Index of the header line: the first of the top lines that maps most canonical fields."""
    best, best_n = 0, 0
    for i, line in enumerate(head.splitlines()[:_HEADER_SCAN]):
        n = len({m[0] for cell in line.split(delimiter) if (m := schema.match_header(cell.strip().strip('"')))})
        if n > best_n:
            best, best_n = i, n
    return best


def _excel(path: Path, schema: Schema) -> SheetTable:
    result = read_file(path, path.name, schema)
    if not result.sheets:
        code = result.issues[0].code if result.issues else "FILE_NO_DATA"
        raise InputError("error_register_unreadable", file=path.name, detail=code)
    sheet = max(result.sheets, key=lambda s: s.data.height)
    keep = ["source_row"] + [c.key for c in sheet.columns if c.field]
    return SheetTable(path.name, path, sheet.sheet, sheet.header_rows, [c for c in sheet.columns if c.field],
                      sheet.data.select(keep))


def _mapped(frame: pl.DataFrame, path: Path, schema: Schema, header_line: int) -> SheetTable:
    """Rename columns to canonical fields (first column wins), drop the rest, add source_row."""
    renames: dict[str, str] = {}
    codelists: dict[str, str | None] = {}
    for col in frame.columns:
        m = schema.match_header(col)
        if m and m[0] not in renames.values():
            renames[col] = m[0]
            codelists[m[0]] = m[1]
    data = frame.select([pl.col(c).alias(k) for c, k in renames.items()]).with_row_index("source_row", offset=header_line + 1)
    data = data.with_columns(pl.col("source_row").cast(pl.Int64))
    columns = [SourceColumn(i, str(i + 1), c, k, k, codelists.get(k)) for i, (c, k) in enumerate(renames.items())]
    return SheetTable(path.name, path, "", (header_line,), columns, data)
