"""`slrt nasional`: the validated rows of many districts against a national (or provincial) register,
in one job.

Wiring only (L3):

1. the districts' ``rows.parquet`` are read (a district's run folder, the file itself, or a folder
   holding many) and stacked; each row's ``source_file`` is prefixed with its district's folder
   name, so that two districts' files of one name stay apart;
2. the register (a dataset, usually) is cut to the slice the month needs by the engine asked for
   (:mod:`slrt_cli.engines`), and the whole month is matched once: the weights, and the
   one-to-one assignment, are national (a person proposed by two districts is linked once);
3. reconciliation, movers (:func:`slrt_cli.reconcile.movers`) and cross-district duplicates
   (:mod:`slrt_cli.match.cross`);
4. one folder per kabupaten (``kab_<code>/``) with the files a district's ``slrt match`` writes,
   and the national tables: ``movers``, ``cross_district_duplicates``, ``ringkasan_provinsi``,
   ``ringkasan_nasional`` (CSV + Parquet) and ``summary.json``; written as a whole, under a lock.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from slrt_cli.atomic import check_target, staged_dir
from slrt_cli.engines import Engine, assigner, completed, register_for, scoring_mapper
from slrt_cli.errors import UsageError
from slrt_cli.export import write_summary, write_table
from slrt_cli.lock import output_lock
from slrt_cli.outputs import write_run_into
from slrt_cli.registers import load_register_source
from slrt_cli.reconcile import KEYS, Reconciliation
from slrt_cli.runs import RunReport
from slrt_cli.schemas import Schema, load_schema

log = logging.getLogger("slrt.nasional")

NO_KAB = "tanpa_kab"
SUMMARY_COLUMNS = ["rows", "matched", "review", "new", "duplicate", "rejected", "not_found", "movers_in",
                   "cross_district_pairs"]


@dataclass
class NationalReport:
    """What `slrt nasional` did: the national run, and the kabupaten written."""

    run: RunReport
    cross: pl.DataFrame
    kabupaten: list[str]
    batches: list[str]
    outputs: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        c = self.run.counts()
        c.update(movers=self.run.reconciliation.movers.height, cross_district_pairs=self.cross.height,
                 kabupaten=len(self.kabupaten))
        return c

    def to_dict(self) -> dict:
        return {"counts": self.counts(), "register_rows": self.run.register_rows, "kabupaten": self.kabupaten,
                "batches": self.batches, "outputs": self.outputs, "seconds": self.seconds}


def find_batches(paths: Sequence[str | Path]) -> list[tuple[str, Path]]:
    """(district name, rows.parquet) of every batch given: a file, or a folder searched for them."""
    found: list[tuple[str, Path]] = []
    for p in map(Path, paths):
        if p.is_file():
            files = [p]
        elif p.is_dir():
            files = sorted(p.rglob("rows.parquet")) or sorted(f for f in p.rglob("*.parquet"))
        else:
            raise UsageError("error_path_missing", path=str(p))
        for f in files:
            name = f.parent.name if f.name == "rows.parquet" else f.stem
            found.append((name, f))
    names: dict[str, int] = {}
    out = []
    for name, f in found:  # two districts' folders of one name stay apart
        names[name] = names.get(name, 0) + 1
        out.append((name if names[name] == 1 else f"{name}_{names[name]}", f))
    if not out:
        raise UsageError("error_nasional_no_batch", paths=", ".join(map(str, paths)))
    return out


def read_batches(batches: list[tuple[str, Path]]) -> pl.DataFrame:
    """The districts' rows stacked, ``source_file`` prefixed with the district's name."""
    frames = []
    for name, f in batches:
        rows = pl.read_parquet(f)
        frames.append(rows.with_columns((pl.lit(f"{name}/") + pl.col("source_file").cast(pl.Utf8)).alias("source_file")))
    return pl.concat(frames, how="diagonal_relaxed")


def _row_kab(rows: pl.DataFrame) -> pl.Expr:
    from slrt_cli.match.cross import row_kabupaten

    return row_kabupaten(rows).fill_null(NO_KAB)


def nasional(
    batches: Sequence[str | Path],
    register: Sequence[str | Path],
    out: str | Path,
    *,
    engine: Engine | None = None,
    coverage: str = "household",
    full_ids: bool = False,
    lang: str = "id",
    overwrite: bool = False,
    today: dt.date | None = None,
    schema: Schema | None = None,
    settings=None,
) -> NationalReport:
    """Match many districts' validated rows against one register; write one folder per kabupaten
    and the national tables (module docstring).

    Example:
        >>> r = nasional(["hasil/3201", "hasil/3204"], ["dtsen/"], "nasional")  # doctest: +SKIP
        >>> r.counts()["movers"]  # doctest: +SKIP
    """
    out = Path(out)
    with output_lock(out):
        check_target(out, overwrite)
        return _nasional(batches, register, out, engine or Engine(), coverage, full_ids, lang, overwrite,
                         today or dt.date.today(), schema or load_schema(), settings)


def _nasional(batches, register, out, engine, coverage, full_ids, lang, overwrite, today, schema, settings):
    from slrt_cli.match import MatchSettings, match, normalise_names
    from slrt_cli.match.cross import cross_district_duplicates
    from slrt_cli.match.explain import localised
    from slrt_cli.reconcile import reconcile

    clock = {"start": time.perf_counter()}
    found = find_batches(batches)
    rows = read_batches(found)
    source, reg_read = load_register_source(register, schema, today)
    settings = localised(settings or MatchSettings.default(), lang)
    reg, tables, n_register, cut = register_for(rows, source, settings, schema, today, engine, coverage)
    clock["slice"] = time.perf_counter()
    links = match(rows, reg, settings, tables=tables, mapper=scoring_mapper(engine), assigner=assigner(engine, cut))
    reg = completed(cut, reg, rows, links)
    rec = reconcile(rows, links, reg, full_ids=full_ids, coverage=coverage, name_key=normalise_names, lang=lang)
    cross = cross_district_duplicates(rows, links, settings, lang)
    clock["match"] = time.perf_counter()
    run = RunReport(None, rows, n_register, rec, register=reg, full_ids=full_ids,
                    register_files=[f.to_dict() for f in reg_read.files])
    kab_of_row = rows.select(*KEYS, _row_kab(rows).alias("_kab"))
    kabupaten = sorted(kab_of_row["_kab"].unique().to_list())
    outputs: list[str] = []
    with staged_dir(out, overwrite) as stage:
        for kab in kabupaten:
            part = _district(run, kab_of_row, kab)
            folder = stage / f"kab_{kab}"
            folder.mkdir()
            names = write_run_into(part, folder, schema, lang=lang,
                                   settings={"coverage": coverage, "engine": engine.name})
            outputs += [f"kab_{kab}/{n}" for n in names]
        outputs += write_table(rec.movers, stage, "movers")
        outputs += write_table(cross, stage, "cross_district_duplicates")
        prov, nat = summaries(rows, rec, cross, kab_of_row)
        outputs += write_table(prov, stage, "ringkasan_provinsi")
        outputs += write_table(nat, stage, "ringkasan_nasional")
        report = NationalReport(run, cross, kabupaten, [name for name, _ in found], outputs + ["summary.json"])
        clock["end"] = time.perf_counter()
        report.seconds = {"slice": round(clock["slice"] - clock["start"], 2),
                          "match": round(clock["match"] - clock["slice"], 2),
                          "outputs": round(clock["end"] - clock["match"], 2)}
        write_summary({**report.to_dict(), "engine": engine.name, "coverage": coverage}, stage / "summary.json")
    log.info("nasional rows=%d kabupaten=%d seconds=%s", rows.height, len(kabupaten), report.seconds)
    return report


def _district(run: RunReport, kab_of_row: pl.DataFrame, kab: str) -> RunReport:
    """The national run restricted to one kabupaten: its rows, and the register persons it expects."""
    keys = kab_of_row.filter(pl.col("_kab") == kab).select(KEYS)
    rec = run.reconciliation

    def mine(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.join(keys, on=KEYS, how="semi")

    def theirs(frame: pl.DataFrame) -> pl.DataFrame:  # register persons: by their desa
        if "kode_desa" not in frame.columns:
            return frame.clear()
        return frame.filter(pl.col("kode_desa").cast(pl.Utf8).str.slice(0, 4) == kab)

    part = Reconciliation(mine(rec.reconciliation), theirs(rec.not_found), theirs(rec.households),
                          mine(rec.changes), mine(rec.movers))
    return dataclasses.replace(run, rows=mine(run.rows), reconciliation=part)


def summaries(rows: pl.DataFrame, rec: Reconciliation, cross: pl.DataFrame,
              kab_of_row: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Counts per province (``kode_prov``) and for the nation: rows by outcome and by verivali status,
    register persons not found, movers in, cross-district pairs (a pair counts in each side's province)."""
    r = rec.reconciliation.join(kab_of_row, on=KEYS).with_columns(pl.col("_kab").str.slice(0, 2).alias("kode_prov"))
    by_outcome = r.group_by("kode_prov").agg(
        pl.len().alias("rows"), *[(pl.col("outcome") == k).sum().alias(k)
                                  for k in ("matched", "review", "new", "duplicate", "rejected")])
    status = (r.filter(pl.col("status_verivali").is_not_null())
              .group_by("kode_prov", "status_verivali").len()
              .pivot(on="status_verivali", index="kode_prov", values="len", sort_columns=True))
    nf = rec.not_found.select(pl.col("kode_desa").cast(pl.Utf8).str.slice(0, 2).alias("kode_prov")) \
        .group_by("kode_prov").agg(pl.len().alias("not_found"))
    mv = rec.movers.select(pl.col("kode_wilayah_baru").str.slice(0, 2).alias("kode_prov")) \
        .group_by("kode_prov").agg(pl.len().alias("movers_in"))
    pairs = cross.with_row_index("_pair")
    cx = pl.concat([pairs.select("_pair", pl.col("kode_kab_a").str.slice(0, 2).alias("kode_prov")),
                    pairs.select("_pair", pl.col("kode_kab_b").str.slice(0, 2).alias("kode_prov"))]) \
        .unique().group_by("kode_prov").agg(pl.len().alias("cross_district_pairs"))
    prov = by_outcome
    for extra in (nf, mv, cx):
        prov = prov.join(extra, on="kode_prov", how="full", coalesce=True)
    prov = prov.join(status, on="kode_prov", how="left")
    numbers = [c for c in prov.columns if c != "kode_prov"]
    prov = prov.with_columns([pl.col(c).fill_null(0).cast(pl.Int64) for c in numbers]).sort("kode_prov")
    nat = prov.select([pl.col(c).sum() for c in numbers]).with_columns(
        pl.lit("nasional").alias("wilayah"), pl.lit(cross.height, pl.Int64).alias("cross_district_pairs"))
    return prov, nat.select("wilayah", *numbers)
