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
from pathlib import Path

import polars as pl

from slrt_cli.errors import InputError
from slrt_cli.io.readers import read_file
from slrt_cli.io.sniff import decode_text, sniff_delimiter
from slrt_cli.model import SheetTable, SourceColumn
from slrt_cli.privacy import scrub
from slrt_cli.schemas import Schema

#: Family-level fields a DTSEN member row takes from its family row.
FAMILY_FIELDS = [
    "household_id", "no_kk", "alamat", "dusun", "rt", "rw", "desil",
    "kode_prov", "kode_kab", "kode_kec", "kode_desa", "nama_prov", "nama_kab", "nama_kec", "nama_desa",
]
#: extra column marking person ids that slrt derived (the layout had none): never sent to the ministry
DERIVED = "x:person_id_derived"
REGISTER_EXTENSIONS = {".parquet", ".pq", ".csv", ".txt", ".tsv", ".xlsx", ".xlsm", ".xls", ".ods"}
_HEADER_SCAN = 30


def register_files(paths: list[Path]) -> list[Path]:
    """The register files named by ``paths`` (files, or folders searched recursively)."""
    out: list[Path] = []
    for p in paths:
        p = Path(p)
        if not p.exists():
            raise InputError("error_register_missing", path=str(p))
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in REGISTER_EXTENSIONS
                          and not q.name.startswith((".", "~$")))
        else:
            out.append(p)
    if not out:
        raise InputError("error_register_missing", path=", ".join(str(p) for p in paths))
    return out


def read_register(paths: list[Path], schema: Schema) -> SheetTable:
    """Read the register extract into one raw table with canonical column keys.

    Raises:
        InputError: a file cannot be read, or a required column is missing
            (the message names the file and the column).
    """
    tables = [_read_one(p, schema) for p in register_files(paths)]
    members = [t for t in tables if not _is_family_table(t)]
    families = [t for t in tables if _is_family_table(t)]
    if not members:
        members, families = families, []
    frame = pl.concat([t.data for t in members], how="diagonal_relaxed")
    if families:
        frame = _join_families(frame, pl.concat([t.data for t in families], how="diagonal_relaxed"))
    _require(frame, ", ".join(t.file for t in members))
    frame = _derive_ids(frame)
    codelists = {c.key: c.codelist for t in tables for c in t.columns if c.codelist}
    columns = [
        SourceColumn(i, str(i + 1), key, key, key, codelists.get(key))
        for i, key in enumerate(c for c in frame.columns if c in schema.fields)
    ]
    keep = ["source_row"] + [c.key for c in columns]
    kinds = [pl.when(pl.col(c.key).is_not_null()).then(pl.lit("s")).alias(c.key + "#k") for c in columns]
    data = frame.select(keep).with_columns(kinds).with_columns(frame[DERIVED].cast(pl.Utf8).alias(DERIVED))
    columns.append(SourceColumn(len(columns), str(len(columns) + 1), DERIVED, None, DERIVED))
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
    """Household id from the family id or No KK; person id derived when the layout has none."""
    if "household_id" not in frame.columns or frame["household_id"].null_count() == frame.height:
        source = "keluarga_id" if "keluarga_id" in frame.columns else "no_kk"
        frame = frame.with_columns(pl.col(source).alias("household_id"))
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
    frame = pl.read_parquet(path)
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
