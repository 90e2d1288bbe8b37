"""Benchmark of `slrt layanan`: a month of SLRT desk service logs against the large register.

Generates (once) ``benchmarks/_data/layanan/<visits>/`` with ``python -m slrt_synth layanan`` from
the bench register (``benchmarks/_data/run/large/register/dtks.parquet``, 1M persons, made by
``python -m slrt_synth bench``), runs ``slrt layanan`` in a subprocess, and prints the wall time,
the peak RSS of the slrt process (``ru_maxrss`` of the children; not measured on Windows), that
every visit is accounted for, and precision/recall per situation against the generator's truth.

    python benchmarks/bench_layanan.py                # 5,000 visits, 10 logs
    python benchmarks/bench_layanan.py --visits 500 --register sample_data/register/dtks.parquet
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_REGISTER = HERE / "_data" / "run" / "large" / "register" / "dtks.parquet"
SITUATIONS = ("bukan_dtks", "sudah_menerima", "belum_menerima", "perlu_adminduk", "lainnya", "ditolak")


def _children_peak_mib() -> float | None:
    try:
        import resource
    except ImportError:  # Windows
        return None
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def scores(truth: pl.DataFrame, got: pl.DataFrame) -> tuple[pl.DataFrame, int, int]:
    """Per situation: truth count, found count, precision, recall; visits missing and extra."""
    truth = truth.with_columns(pl.col("source_row").cast(pl.Int64))
    got = got.with_columns(pl.col("source_row").cast(pl.Int64))
    both = truth.join(got.select("source_file", "source_row", pl.col("situasi").alias("found")),
                      on=["source_file", "source_row"], how="full", coalesce=True)
    missing = both.filter(pl.col("found").is_null()).height
    extra = both.filter(pl.col("situasi").is_null()).height
    lines = []
    for s in SITUATIONS:
        tp = both.filter((pl.col("situasi") == s) & (pl.col("found") == s)).height
        n_true = both.filter(pl.col("situasi") == s).height
        n_found = both.filter(pl.col("found") == s).height
        lines.append((s, n_true, n_found, tp / n_found if n_found else None, tp / n_true if n_true else None))
    table = pl.DataFrame(lines, schema=["situasi", "truth", "found", "precision", "recall"], orient="row")
    return table, missing, extra


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--visits", type=int, default=5000)
    p.add_argument("--files", type=int, default=10)
    p.add_argument("--register", type=Path, default=DEFAULT_REGISTER)
    p.add_argument("--seed", type=int, default=2026)
    p.add_argument("--noise", type=float, default=0.2,
                   help="share of register visitors written with one slip (name, NIK digit, day/month)")
    p.add_argument("--regenerate", action="store_true")
    args = p.parse_args(argv)
    if not args.register.is_file():
        print(f"register missing: {args.register} (python -m slrt_synth bench --out benchmarks/_data/run/large)",
              file=sys.stderr)
        return 2
    data = HERE / "_data" / "layanan" / f"{args.visits}-noise{args.noise:g}"
    logs = data / "logs"
    if args.regenerate or not (logs / "truth.csv").is_file():
        shutil.rmtree(logs, ignore_errors=True)
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "slrt_synth", "layanan", "--register", str(args.register), "--out", str(logs),
                        "--visits", str(args.visits), "--files", str(args.files), "--seed", str(args.seed),
                        "--noise", str(args.noise)],
                       check=True, cwd=REPO)
        print(f"generated {args.visits} visits in {time.perf_counter() - t0:.1f} s")
    truth = pl.read_csv(logs / "truth.csv", infer_schema=False)
    (logs / "truth.csv").rename(data / "truth.csv")  # not read as a log
    try:
        out, state = data / "hasil", data / "hasil.state"
        shutil.rmtree(out, ignore_errors=True)
        shutil.rmtree(state, ignore_errors=True)
        slrt = [sys.executable, "-m", "slrt_cli", "layanan", str(logs), "--register", str(args.register), "--out", str(out),
                "-q"]
        t0 = time.perf_counter()
        done = subprocess.run(slrt, cwd=REPO)
        wall = time.perf_counter() - t0
    finally:
        (data / "truth.csv").rename(logs / "truth.csv")
    if done.returncode not in (0, 1):
        print(f"slrt layanan failed: exit {done.returncode}", file=sys.stderr)
        return 1
    got = pl.read_csv(out / "layanan.csv", infer_schema=False)
    table, missing, extra = scores(truth, got)
    peak = _children_peak_mib()
    print(f"visits {truth.height}: lines in layanan.csv {got.height}, missing {missing}, extra {extra}")
    print(f"wall {wall:.1f} s, peak RSS {'n/a' if peak is None else f'{peak:.0f} MiB'} (register {args.register.name})")
    with pl.Config(tbl_rows=20, float_precision=3):
        print(table)
    return 0 if missing == 0 and extra == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
