"""A register dataset: a folder of Parquet files, read one file (or one part of a file) at a time.

Layout (what ``docs/scale.md`` tells Pusdatin to hand over)::

    dtsen/
      kode_prov=32/kode_kab=3201/part-0.parquet
      kode_prov=32/kode_kab=3202/part-0.parquet
      ...

Each file holds register rows with the columns a register extract has (titles are recognised as
in any extract: ``NIK``, ``ID DTKS``, ``nama``, ...). The folder names (``key=value``) only
partition the data: they are not read as columns. The register's order, which breaks ties
between equal candidates, is the files' relative paths sorted, then the rows of each file: the
same on every engine and for any number of partitions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pyarrow.parquet as pq

from slrt_cli.checks import ensure_columns
from slrt_cli.errors import InputError
from slrt_cli.io.register import piece_table
from slrt_cli.model import SheetTable
from slrt_cli.normalise import normalise_sheet
from slrt_cli.schemas import Schema


def normalised_register(raw: SheetTable, schema: Schema, today: dt.date) -> pl.DataFrame:
    """The canonical register (every field, ``nik_numeric`` flags, ``register_file``) from a raw table."""
    frame = ensure_columns(normalise_sheet(raw, schema, today=today), schema)  # every field, even if absent
    frame = frame.drop([c for c in frame.columns if c.startswith("_")])
    frame = frame.rename({"x:person_id_derived": "person_id_derived", "x:register_file": "register_file"},
                         strict=False).with_columns(
        (pl.col("person_id_derived") == "true").alias("person_id_derived")
    )
    frame = frame.rename({c: c.replace("__numeric", "_numeric") for c in frame.columns if c.endswith("__numeric")})
    return frame.drop([c for c in frame.columns if c.endswith(("__raw", "__status"))])


def normalised_piece(frame: pl.DataFrame, file: str, source_row: pl.Series, schema: Schema,
                     today: dt.date) -> pl.DataFrame:
    """One piece of a dataset file as canonical register rows (:func:`slrt_cli.io.register.piece_table`)."""
    return normalised_register(piece_table(frame, file, source_row, schema), schema, today)


def is_dataset(path: str | Path) -> bool:
    """A folder holding Parquet files under ``key=value`` folders (a partitioned dataset)."""
    p = Path(path)
    if not p.is_dir():
        return False
    return any("=" in part for f in p.rglob("*.parquet") for part in f.relative_to(p).parts[:-1])


@dataclass(frozen=True)
class DatasetFile:
    path: Path
    name: str  # relative path, with /
    rows: int
    first: int  # global position of its first row


@dataclass(frozen=True)
class RegisterDataset:
    """The files of a register dataset in the register's order, with their row counts."""

    root: Path
    files: tuple[DatasetFile, ...]

    @classmethod
    def open(cls, root: str | Path) -> RegisterDataset:
        root = Path(root)
        found = sorted((f.relative_to(root).as_posix(), f) for f in root.rglob("*.parquet") if f.is_file())
        if not found:
            raise InputError("error_register_empty", files=str(root))
        files, first = [], 0
        for name, path in found:
            try:
                rows = pq.ParquetFile(path).metadata.num_rows
            except Exception as exc:  # noqa: BLE001 - a damaged file: name it
                raise InputError("error_register_unreadable", file=name, detail=type(exc).__name__) from exc
            files.append(DatasetFile(path, name, rows, first))
            first += rows
        return cls(root, tuple(files))

    @property
    def rows(self) -> int:
        return sum(f.rows for f in self.files)

    def read(self, f: DatasetFile, schema: Schema, today: dt.date) -> pl.DataFrame:
        """One file as canonical register rows."""
        frame = pl.read_parquet(f.path)
        lines = pl.int_range(2, frame.height + 2, dtype=pl.Int64, eager=True)
        return normalised_piece(frame, f.name, lines, schema, today)
