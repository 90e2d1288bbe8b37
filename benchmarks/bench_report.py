"""Benchmark the reports: ``write_workbook`` (laporan.xlsx) + ``write_html`` (laporan.html) on ~100,000 rows.

    python benchmarks/bench_report.py [--source auto|bench|sample] [--rows 100000] [--runs 3] [--check]

The result to report on (a :class:`slrt_cli.runs.RunReport`) comes from:

- ``bench``: the real pipeline run on the validate benchmark's data
  (``benchmarks/_data/validate/``: 100 village files, 100,000 rows, a 1,000,000-person
  register; generate it with ``python benchmarks/bench_validate.py``). The run takes
  about a minute, so its result is cached in ``benchmarks/_data/report/run.pkl``
  (git-ignored, synthetic people only) next to the manifest it was built from; ``--refresh``
  runs the pipeline again (after changes to the pipeline).
- ``sample``: the sample month (``sample_data/``) replicated to ``--rows`` rows, each copy
  under its own file names and moved to other desa of Kabupaten Bogor (seconds; the
  shape of the sample, not of a district).
- ``auto`` (default): ``bench`` when its data exists, else ``sample``.

Then times ``--runs`` times (median) each writer alone, their sum, the output sizes and
the cells written. Target: <= 5 s for both together. ``--check`` exits 1 when missed.
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import statistics
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BENCH_DATA = HERE / "_data" / "validate"
CACHE = HERE / "_data" / "report"
TARGET_SECONDS = 5.0


def from_bench(workers: int, refresh: bool = False):
    """The pipeline's result on the validate benchmark's data (cached; ``refresh`` runs it again)."""
    from slrt_cli.pipeline import run

    manifest = json.loads((BENCH_DATA / "manifest.json").read_text("utf-8"))
    cache, stamp = CACHE / "run.pkl", CACHE / "manifest.json"
    fresh = cache.is_file() and stamp.is_file() and json.loads(stamp.read_text("utf-8")) == manifest
    if fresh and not refresh:
        print(f"result: {cache} (cached)")
        with cache.open("rb") as fh:
            return pickle.load(fh)  # our own cache file, written below
    print(f"result: running the pipeline on {BENCH_DATA} (about a minute, cached afterwards)")
    t = time.perf_counter()
    result = run([BENCH_DATA / "desa"], [BENCH_DATA / "register" / "dtks.parquet"], workers=workers)
    print(f"  pipeline: {time.perf_counter() - t:.1f} s")
    CACHE.mkdir(parents=True, exist_ok=True)
    with cache.open("wb") as fh:
        pickle.dump(result, fh, protocol=pickle.HIGHEST_PROTOCOL)
    stamp.write_text(json.dumps(manifest), "utf-8")
    return result


def from_sample(rows: int):
    """The sample month replicated to about ``rows`` rows (other file names, other desa)."""
    import dataclasses

    from slrt_cli.pipeline import run
    from slrt_cli.reference import regions_in_kabupaten

    base = run([ROOT / "sample_data" / "desa"], [ROOT / "sample_data" / "register" / "dtks.parquet"])
    rec, val = base.reconciliation, base.validation
    copies = max(1, round(rows / rec.reconciliation.height))
    desa = sorted(r.code for r in regions_in_kabupaten("3201").values() if r.level == "desa")
    own = sorted(set(rec.reconciliation["kode_desa"].drop_nulls()) | set(rec.not_found["kode_desa"].drop_nulls()))

    def copy(frame: pl.DataFrame, k: int, file_col: str = "source_file") -> pl.DataFrame:
        exprs = []
        if file_col in frame.columns:
            exprs.append((pl.lit(f"R{k:03d}/") + pl.col(file_col)).alias(file_col))
        if "kode_desa" in frame.columns:
            moved = {c: desa[(k * len(own) + i) % len(desa)] for i, c in enumerate(own)}
            exprs.append(pl.col("kode_desa").replace(moved))
        for c in ("person_id", "household_id"):
            if c in frame.columns:
                exprs.append(pl.col(c) + pl.lit(f"-{k}"))
        return frame.with_columns(exprs)

    def stack(frame: pl.DataFrame, file_col: str = "source_file") -> pl.DataFrame:
        return pl.concat([copy(frame, k, file_col) for k in range(copies)], how="vertical")

    reconciliation = dataclasses.replace(
        rec,
        reconciliation=stack(rec.reconciliation),
        not_found=stack(rec.not_found),
        households=stack(rec.households),
        changes=stack(rec.changes),
    )
    validation = dataclasses.replace(
        val,
        files=[dataclasses.replace(f, file=f"R{k:03d}/{f.file}") for k in range(copies) for f in val.files],
        table=stack(val.table),
        issue_table=stack(val.issue_table, "file"),
    )
    return dataclasses.replace(
        base, validation=validation, rows=stack(base.rows), reconciliation=reconciliation,
        register_rows=base.register_rows * copies,
    )


def cells(path: Path) -> dict[str, int]:
    """Cells per sheet of the workbook (read back, so it costs a few seconds)."""
    import openpyxl

    book = openpyxl.load_workbook(path, read_only=True)
    out = {}
    for ws in book.worksheets:
        out[ws.title] = sum(1 for row in ws.iter_rows(values_only=True) for v in row if v is not None)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", choices=["auto", "bench", "sample"], default="auto")
    parser.add_argument("--rows", type=int, default=100_000, help="rows for --source sample")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2, help="matching processes for --source bench")
    parser.add_argument("--refresh", action="store_true", help="run the pipeline again for --source bench")
    parser.add_argument("--cells", action="store_true", help="also count the cells written per sheet")
    parser.add_argument("--check", action="store_true", help=f"exit 1 when the reports take > {TARGET_SECONDS} s")
    args = parser.parse_args(argv)

    from slrt_cli.reference import lookup
    from slrt_cli.report.excel import write_workbook
    from slrt_cli.report.html import write_html

    source = args.source
    if source == "auto":
        source = "bench" if (BENCH_DATA / "manifest.json").is_file() else "sample"
    result = from_bench(args.workers, args.refresh) if source == "bench" else from_sample(args.rows)
    counts = result.reconciliation.counts()
    print(f"rows: {result.reconciliation.reconciliation.height:,} ({source}); "
          + ", ".join(f"{k} {v:,}" for k, v in counts.items())
          + f"; changes {result.reconciliation.changes.height:,}")
    lookup("3201011001")  # load the region reference once, as a run has (normalise needs it)

    names = ("laporan.xlsx", "laporan.html", "both")
    times: dict[str, list[float]] = {n: [] for n in names}
    cpu: dict[str, list[float]] = {n: [] for n in names}
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        for _ in range(args.runs):
            t0, c0 = time.perf_counter(), time.process_time()
            write_workbook(out / "laporan.xlsx", result)
            t1, c1 = time.perf_counter(), time.process_time()
            write_html(out / "laporan.html", result)
            t2, c2 = time.perf_counter(), time.process_time()
            for n, wall, busy in zip(names, (t1 - t0, t2 - t1, t2 - t0), (c1 - c0, c2 - c1, c2 - c0), strict=True):
                times[n].append(wall)
                cpu[n].append(busy)
        sizes = {name: (out / name).stat().st_size for name in ("laporan.xlsx", "laporan.html")}
        per_sheet = cells(out / "laporan.xlsx") if args.cells else {}

    print(f"\n{'output':<14}{'wall median s':>14}{'wall min s':>11}{'CPU median s':>13}{'size MB':>9}")
    for name, values in times.items():
        size = f"{sizes[name] / 1e6:>9.2f}" if name in sizes else f"{'':>9}"
        print(f"{name:<14}{statistics.median(values):>14.2f}{min(values):>11.2f}"
              f"{statistics.median(cpu[name]):>13.2f}{size}")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"(load average {load:.1f} on {os.cpu_count()} CPUs: wall time grows with other work, CPU time much less)")
    if per_sheet:
        print("\ncells per sheet: " + ", ".join(f"{k} {v:,}" for k, v in per_sheet.items())
              + f" (total {sum(per_sheet.values()):,})")
    median = statistics.median(times["both"])
    ok = median <= TARGET_SECONDS
    print(f"\ntarget: both <= {TARGET_SECONDS:.0f} s: {'met' if ok else 'MISSED'} ({median:.2f} s)")
    return 0 if ok or not args.check else 1


if __name__ == "__main__":
    sys.exit(main())
