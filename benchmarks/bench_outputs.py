"""Benchmark the outputs of a messy month: ``slrt run`` with household and with desa coverage.

    python benchmarks/bench_outputs.py [--runs 3] [--noise 6] [--regenerate]

Real months carry far more warnings than clean ones (issue 13: 57 % of rows flagged, about one
issue per row). The month here is the ``large`` size of ``bench_run.py`` (1,000,000 register
persons, 100,000 rows in 200 files) generated with the noise rates multiplied by ``--noise``, so
that most rows are flagged: at 6 (the default), 70 % of rows with an issue and 0.99 issues per
row; at 4, 58 % and 0.78. Data are cached in ``benchmarks/_data/outputs/noise<N>/`` (git-ignored).

For each coverage the script runs a fresh ``slrt run`` child process and reports:

- the wall time of the whole process, and of writing the outputs (the ``seconds`` line of the
  run's ``--log-file``: from the end of the matching until every file of the run folder is in
  place; the villages' fix-files, written meanwhile by the workers, included);
- the peak RSS of the largest process (``ru_maxrss``);
- how messy the month is: rows, share of rows flagged, issues per row.

Targets (issue 13): outputs written in <= 5 s; the desa-coverage run <= 2 GiB and <= 1.3x the
wall time of the household-coverage run.
"""

from __future__ import annotations

import argparse
import json
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent
SPEC = {"register": 1_000_000, "rows": 100_000, "files": 200}


def generate(noise: float, regenerate: bool) -> Path:
    folder = ROOT / "_data" / "outputs" / f"noise{noise:g}"
    stamp = folder / "spec.json"
    spec = {**SPEC, "noise": noise}
    if folder.exists() and not regenerate and stamp.is_file() and json.loads(stamp.read_text()) == spec:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "slrt_synth", "bench", "--out", str(folder), "--files", str(SPEC["files"]),
         "--rows", str(SPEC["rows"]), "--register-persons", str(SPEC["register"]), "--noise", str(noise),
         "--overwrite"],
        check=True,
    )
    stamp.write_text(json.dumps(spec))
    print(f"generated in {time.perf_counter() - t:.1f} s")
    return folder


def one_run(data: Path, out: Path, coverage: str) -> dict[str, float]:
    slrt = str(Path(sys.executable).with_name("slrt"))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t = time.perf_counter()
    log = out.with_suffix(".log")
    log.unlink(missing_ok=True)
    proc = subprocess.run([slrt, "run", "-r", str(data / "register"), str(data / "desa"), "--out", str(out),
                           "--overwrite", "-q", "--coverage", coverage, "--log-file", str(log)],
                          capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        sys.exit(f"slrt run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    peak = max(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, before) / 1024
    seconds = dict(re.findall(r"\b(\w+)=([\d.]+)", next(
        (line.split(" seconds ", 1)[1] for line in log.read_text(encoding="utf-8").splitlines() if " seconds " in line),
        "")))
    return {"wall": wall, "peak_mib": peak, "outputs_s": float(seconds.get("outputs", "nan"))}


def messiness(out: Path) -> dict[str, float]:
    rows = pl.read_parquet(out / "rows.parquet") if (out / "rows.parquet").is_file() else None
    rec = pl.read_parquet(out / "reconciliation.parquet")
    issues = pl.read_parquet(out / "issues.parquet")
    n = rec.height if rows is None else rows.height
    # issues name their row by file, sheet and row (file- and sheet-level issues have no row)
    keys = [c for c in ("file", "sheet", "row") if c in issues.columns]
    flagged = issues.filter(pl.col("row").is_not_null()).select(keys).unique().height if "row" in keys else 0
    return {"rows": n, "issues": issues.height, "issues_per_row": issues.height / max(n, 1),
            "rows_with_an_issue": flagged / max(n, 1),
            "not_found": pl.read_parquet(out / "not_found.parquet").height}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--noise", type=float, default=6.0)
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args()
    data = generate(args.noise, args.regenerate)
    medians = {}
    with tempfile.TemporaryDirectory() as tmp:
        for coverage in ("household", "desa"):
            out = Path(tmp) / coverage
            runs = []
            for i in range(args.runs):
                r = one_run(data, out, coverage)
                runs.append(r)
                print(f"{coverage} run {i + 1}/{args.runs}: {r['wall']:.2f} s, outputs {r['outputs_s']:.2f} s, "
                      f"peak RSS {r['peak_mib']:.0f} MiB")
            medians[coverage] = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
            medians[coverage]["peak_max"] = max(r["peak_mib"] for r in runs)
            m = messiness(out)
            print(f"  month: {m['rows']:,} rows, {m['issues']:,} issues ({m['issues_per_row']:.2f} per row), "
                  f"{m['rows_with_an_issue']:.0%} of rows with an issue, {m['not_found']:,} not found")
    h, d = medians["household"], medians["desa"]
    print(f"\n== messy month: {SPEC['register']:,} register persons x {SPEC['rows']:,} rows in {SPEC['files']} files, "
          f"noise x{args.noise:g}")
    print(f"household coverage: wall median {h['wall']:.2f} s, outputs {h['outputs_s']:.2f} s (target <= 5 s), "
          f"peak {h['peak_max']:.0f} MiB")
    print(f"desa coverage:      wall median {d['wall']:.2f} s, outputs {d['outputs_s']:.2f} s, "
          f"peak {d['peak_max']:.0f} MiB (target <= 2048 MiB)")
    print(f"desa / household wall: {d['wall'] / h['wall']:.2f}x (target <= 1.3x)")


if __name__ == "__main__":
    main()
