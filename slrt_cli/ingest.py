"""One village file read and its rows normalised: the unit of work a worker process may take.

Reading (:mod:`slrt_cli.io.readers`) and normalising (:mod:`slrt_cli.normalise`)
are separate steps; this module (above both, like :mod:`slrt_cli.pipeline`)
puts them together per file so that :class:`slrt_cli.executor.Pool` can hand a
file to another process. It imports only those two steps: a worker starts fast.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from slrt_cli.io import readers
from slrt_cli.model import FileResult
from slrt_cli.normalise import normalise_sheet


def read_and_normalise(item: tuple[tuple[Path, str], tuple]) -> tuple[FileResult, pl.DataFrame | None]:
    """One input file read and its sheets' rows normalised.

    ``item``: ((path, display name), (schema, today, limits)). A pure function of the file and
    those arguments, so that a worker process may do it (:meth:`slrt_cli.executor.Pool.map`).
    """
    (path, name), (schema, today, limits) = item
    result = readers.read_file(path, name, schema, limits)
    frames = []
    for sheet in result.sheets:
        frame = normalise_sheet(sheet, schema, today=today)
        frames.append(frame.with_columns(
            pl.lit(result.file, pl.Utf8).alias("source_file"),
            pl.lit(sheet.sheet, pl.Utf8).alias("source_sheet"),
            pl.lit("no_kk" in frame.columns).alias("_has_no_kk"),
        ))
    return result, (pl.concat(frames, how="diagonal_relaxed") if frames else None)


def init_worker(raise_internal: bool) -> None:
    """In a worker process, once: internal errors are raised as in the process that started it."""
    readers.RAISE_INTERNAL_ERRORS = raise_internal
