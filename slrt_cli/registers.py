"""Reading the DTKS/DTSEN register: an extract of one or more files, read and normalised whole,
or a register *dataset* (a folder of Parquet files partitioned by ``key=value`` folders), opened
here and read piece by piece once the batch is known (:func:`slrt_cli.engines.register_for`).

Wiring only (L3): :mod:`slrt_cli.io.register` reads, :mod:`slrt_cli.engines.dataset` normalises;
``slrt run``, ``match``, ``dedup``, ``nasional`` and the SLRT desk read the register through here.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from slrt_cli.engines import RegisterDataset, is_dataset
from slrt_cli.engines.dataset import normalised_register
from slrt_cli.io.register import RegisterFile, RegisterRead, read_register_checked
from slrt_cli.model import SheetTable
from slrt_cli.schemas import Schema

log = logging.getLogger("slrt.pipeline")


def load_register(paths: Sequence[str | Path], schema: Schema, today: dt.date) -> pl.DataFrame:
    """Read and normalise the register extract (canonical columns, ``nik_numeric`` flags)."""
    return load_register_checked(paths, schema, today)[0]


def load_register_checked(
    paths: Sequence[str | Path], schema: Schema, today: dt.date
) -> tuple[pl.DataFrame, RegisterRead]:
    """:func:`load_register`, and what was read: the files (rows, SHA-256) and the issues about them.

    Raises:
        InputError: the register is unusable (:func:`slrt_cli.io.register.read_register_checked`).
    """
    read = read_register_checked([Path(p) for p in paths], schema)
    for f in read.files:
        log.info("register file=%s rows=%d sha256=%s", f.file, f.rows, f.sha256)
    for issue in read.issues:
        log.warning("register %s file=%s %s", issue.code, issue.file, json.dumps(issue.params, sort_keys=True))
    frame = _normalised_register(read.table, schema, today)
    # the raw table (every cell as read, some 0.5 GiB for 1M persons) is not kept for the rest of the run
    return frame, dataclasses.replace(read, table=None)


def load_register_source(
    paths: Sequence[str | Path], schema: Schema, today: dt.date
) -> tuple[pl.DataFrame | RegisterDataset, RegisterRead]:
    """:func:`load_register_checked`, except that a register *dataset* (one folder of Parquet files
    partitioned by ``key=value`` folders, :mod:`slrt_cli.engines.dataset`) is opened, not read:
    it is read piece by piece when the batch is known (:func:`register_for`)."""
    if len(paths) == 1 and is_dataset(paths[0]):
        dataset = RegisterDataset.open(paths[0])
        files = [RegisterFile(f.name, f.path, "", f.path.stat().st_size, f.rows) for f in dataset.files]
        log.info("register dataset=%s files=%d rows=%d", Path(paths[0]).name, len(files), dataset.rows)
        return dataset, RegisterRead(None, files)  # type: ignore[arg-type]
    return load_register_checked(paths, schema, today)


def _normalised_register(raw: SheetTable, schema: Schema, today: dt.date) -> pl.DataFrame:
    frame = normalised_register(raw, schema, today)
    log.info("register rows=%d", frame.height)
    return frame
