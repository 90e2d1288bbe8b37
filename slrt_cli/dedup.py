"""`slrt dedup`: the register (DTKS/DTSEN) checked against itself; the ministry's cleaning list.

Wiring only (L3): read the register as every command does (:func:`slrt_cli.pipeline.load_register_checked`),
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
from slrt_cli.pipeline import load_register_checked
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
) -> DedupReport:
    """Find the register's duplicates and (with ``out``) write them.

    Raises:
        InputError: the register is unusable; UsageError: ``out`` may not be replaced.

    Example:
        >>> dedup(["sample_data/register/dtks.parquet"], "duplikat").counts()  # doctest: +SKIP
    """
    schema = schema or load_schema()
    today = today or dt.date.today()
    if out is None:
        return _dedup(register, None, lang, overwrite, today, schema, settings)
    check_target(Path(out), overwrite)  # before reading a large register
    with output_lock(Path(out)):
        return _dedup(register, Path(out), lang, overwrite, today, schema, settings)


def _dedup(register, out, lang, overwrite, today, schema, settings) -> DedupReport:
    start = time.perf_counter()
    reg, _read = load_register_checked(register, schema, today)
    pairs = find_duplicates(reg, settings, lang=lang)
    report = DedupReport(pairs, reg.height, seconds=round(time.perf_counter() - start, 3))
    log.info("dedup register=%d pairs=%d seconds=%.1f", reg.height, pairs.height, report.seconds)
    if out is not None:
        with staged_dir(out, overwrite) as stage:
            report.outputs = [*write_table(pairs, stage, NAME), "summary.json"]
            body = {"command": "dedup", "lang": lang, **report.to_dict()}
            (stage / "summary.json").write_text(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    return report
