"""Benchmark ``slrt run`` end to end: Excel files in, every output written.

    python benchmarks/bench_run.py [--sizes kab,large] [--runs 3] [--regenerate]

Two sizes (issue targets in brackets):

- ``kab``: a kabupaten month, 200,000 register persons, 20,000 rows in 80 files  [<= 5 s]
- ``large``: 1,000,000 register persons, 100,000 rows in 200 files               [<= 15 s, <= 2 GiB]

Data come from ``slrt_synth`` (synthetic people only) and are cached in
``benchmarks/_data/run/<size>/`` (git-ignored). Each run is a fresh ``slrt run``
child process; the script reports the median wall time, the CPU time (user +
system, helper processes included: less sensitive than wall time to a busy
machine, not to a slower one), the peak RSS of the largest process
(``ru_maxrss``), and the accuracy of the links against the generator's
truth: precision, recall, F1, review rate, new-person precision/recall and
not-found precision/recall.
"""

from __future__ import annotations

import argparse
import json
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
SIZES = {
    "kab": {"register": 200_000, "rows": 20_000, "files": 80, "target_s": 5.0, "target_mib": None},
    "large": {"register": 1_000_000, "rows": 100_000, "files": 200, "target_s": 15.0, "target_mib": 2048},
}
KEYS = ["source_file", "source_sheet", "source_row"]


def generate(size: str, regenerate: bool) -> Path:
    spec = SIZES[size]
    folder = ROOT / "_data" / "run" / size
    stamp = folder / "spec.json"
    if folder.exists() and not regenerate and stamp.is_file() and json.loads(stamp.read_text()) == spec:
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "slrt_synth", "bench", "--out", str(folder), "--files", str(spec["files"]),
         "--rows", str(spec["rows"]), "--register-persons", str(spec["register"]), "--overwrite"],
        check=True,
    )
    stamp.write_text(json.dumps(spec))
    print(f"generated {size} in {time.perf_counter() - t:.1f} s")
    return folder


def one_run(data: Path, out: Path) -> tuple[float, float, float]:
    """Wall seconds, peak RSS (MiB) and CPU seconds (user + system, helpers included) of one run."""
    slrt = str(Path(sys.executable).with_name("slrt"))
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    before, cpu0 = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
    t = time.perf_counter()
    proc = subprocess.run([slrt, "run", "-r", str(data / "register"), str(data / "desa"), "--out", str(out),
                           "--overwrite", "-q"], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        sys.exit(f"slrt run failed ({proc.returncode}): {proc.stderr[-2000:]}")
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, max(usage.ru_maxrss, before) / 1024, usage.ru_utime + usage.ru_stime - cpu0


def accuracy(data: Path, out: Path) -> dict[str, float]:
    truth = pl.read_parquet(data / "truth.parquet").with_columns(
        pl.col("source_sheet").fill_null(""), pl.col("person_id").replace("", None)  # "" = new person
    )
    rec = pl.read_parquet(out / "reconciliation.parquet").with_columns(pl.col("source_sheet").fill_null(""))
    j = rec.join(truth.select(KEYS + [pl.col("person_id").alias("true_id"), "noise"]), on=KEYS, how="left")
    dup = pl.col("noise").fill_null("").str.contains("duplicate")
    links = j.filter(pl.col("outcome") == "matched")
    tp = links.filter(pl.col("person_id") == pl.col("true_id")).height
    linkable = j.filter(pl.col("true_id").is_not_null() & ~dup & (pl.col("outcome") != "rejected")).height
    precision = tp / max(links.height, 1)
    recall = tp / max(linkable, 1)
    new = j.filter(pl.col("outcome") == "new")
    true_new = j.filter(pl.col("true_id").is_null() & (pl.col("outcome") != "rejected"))
    nf = set(pl.read_parquet(out / "not_found.parquet")["person_id"])
    missing_path = data / "truth_missing.parquet"
    missing = set(pl.read_parquet(missing_path)["person_id"]) if missing_path.is_file() else set()
    return {
        "rows": rec.height,
        "rows_in_truth": truth.height,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / max(precision + recall, 1e-9),
        "review_rate": j.filter(pl.col("outcome") == "review").height / rec.height,
        "new_precision": new.filter(pl.col("true_id").is_null()).height / max(new.height, 1),
        "new_recall": new.filter(pl.col("true_id").is_null()).height / max(true_new.height, 1),
        "not_found_precision": len(nf & missing) / max(len(nf), 1),
        "not_found_recall": len(nf & missing) / max(len(missing), 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="kab,large")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--regenerate", action="store_true")
    args = ap.parse_args()
    for size in args.sizes.split(","):
        data = generate(size, args.regenerate)
        walls, peaks, cpus = [], [], []
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "hasil"
            for i in range(args.runs):
                wall, peak, cpu = one_run(data, out)
                walls.append(wall)
                peaks.append(peak)
                cpus.append(cpu)
                print(f"{size} run {i + 1}/{args.runs}: {wall:.2f} s, cpu {cpu:.1f} s, peak RSS {peak:.0f} MiB")
            acc = accuracy(data, out)
        spec = SIZES[size]
        print(f"\n== {size}: {spec['register']:,} register persons x {spec['rows']:,} rows in {spec['files']} files")
        print(f"wall time median {statistics.median(walls):.2f} s (target <= {spec['target_s']} s); "
              f"runs {' '.join(f'{w:.2f}' for w in walls)}")
        print(f"cpu time median {statistics.median(cpus):.1f} s (user + system, helpers included; "
              f"{statistics.median(cpus) / statistics.median(walls):.2f} cores busy on average)")
        target = f" (target <= {spec['target_mib']} MiB)" if spec["target_mib"] else ""
        print(f"peak RSS max {max(peaks):.0f} MiB{target}")
        for k, v in acc.items():
            print(f"  {k:22s} {v:.4f}" if isinstance(v, float) else f"  {k:22s} {v}")


if __name__ == "__main__":
    main()
