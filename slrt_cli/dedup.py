"""`slrt dedup`: the register (DTKS/DTSEN) checked against itself; the ministry's cleaning list.

Wiring only (L3): read the register as every command does (:func:`slrt_cli.registers.load_register_checked`),
find the pairs (:func:`slrt_cli.match.dedup.find_duplicates`) and write the output folder as a
whole (``register_duplicates.csv`` / ``.parquet`` and ``summary.json``), under its lock.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from slrt_cli.atomic import check_target, staged_dir
from slrt_cli.export import write_table
from slrt_cli.lock import output_lock
from slrt_cli.match.dedup import BANDS, KINDS, find_duplicates
from slrt_cli.match.settings import MatchSettings
from slrt_cli.engines import Engine, dedup_slice, needs_slice
from slrt_cli.registers import load_register_source
from slrt_cli.schemas import Schema, load_schema

log = logging.getLogger(__name__)
NAME = "register_duplicates"


@dataclass
class DedupReport:
    """What `slrt dedup` found: the pairs, and how many of each kind and band."""

    pairs: pl.DataFrame
    register_rows: int
    outputs: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        """``same_person``, ``nik_conflict``, ``yakin`` and ``periksa`` (over both kinds)."""
        p = self.pairs
        out = {k: int((p["kind"] == k).sum()) for k in KINDS}
        out.update({b: int((p["band"] == b).sum()) for b in BANDS})
        return out

    def to_dict(self) -> dict:
        return {"register_rows": self.register_rows, "pairs": self.counts(), "outputs": self.outputs}


def dedup(
    register: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    lang: str = "id",
    overwrite: bool = False,
    today: dt.date | None = None,
    schema: Schema | None = None,
    settings: MatchSettings | None = None,
    engine: Engine | None = None,
) -> DedupReport:
    """Find the register's duplicates and (with ``out``) write them. A register dataset (or any
    register, with ``Engine("spark")``) is read piece by piece (:mod:`slrt_cli.engines`); the pairs
    are the same.

    Raises:
        InputError: the register is unusable; UsageError: ``out`` may not be replaced.

    Example:
        >>> dedup(["sample_data/register/dtks.parquet"], "duplikat").counts()  # doctest: +SKIP
    """
    schema = schema or load_schema()
    today = today or dt.date.today()
    if out is None:
        return _dedup(register, None, lang, overwrite, today, schema, settings, engine)
    check_target(Path(out), overwrite)  # before reading a large register
    with output_lock(Path(out)):
        return _dedup(register, Path(out), lang, overwrite, today, schema, settings, engine)


def _dedup(register, out, lang, overwrite, today, schema, settings, engine=None) -> DedupReport:
    start = time.perf_counter()
    engine = engine or Engine()
    source, _read = load_register_source(register, schema, today)
    if needs_slice(source, engine) or engine.name == "spark":  # only the persons who share a block with someone
        cut = dedup_slice(source, settings or MatchSettings.default(), schema, today, engine)
        log.info("dedup slice engine=%s persons=%d of %d seconds=%s", cut.engine, cut.register.height,
                 cut.n_register, cut.seconds)
        pairs = find_duplicates(cut.register, settings, lang=lang, name_counts=cut.name_counts, n_rows=cut.n_rows)
        n_register = cut.n_register
    else:
        pairs = find_duplicates(source, settings, lang=lang)
        n_register = source.height
    report = DedupReport(pairs, n_register, seconds=round(time.perf_counter() - start, 3))
    log.info("dedup register=%d pairs=%d seconds=%.1f", n_register, pairs.height, report.seconds)
    if out is not None:
        with staged_dir(out, overwrite) as stage:
            report.outputs = [*write_table(pairs, stage, NAME), "summary.json"]
            body = {"command": "dedup", "lang": lang, **report.to_dict()}
            (stage / "summary.json").write_text(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    return report
