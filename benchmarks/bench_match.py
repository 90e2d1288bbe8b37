"""Benchmark of the record-linkage engine (slrt_cli.match) on synthetic data with ground truth.

Sizes (register persons x batch rows):
  small  ~200,000 x  20,000  (a kabupaten month)
  large  ~1,000,000 x 100,000 (a large batch)

For each size: link precision, recall, F1, review rate, new-person precision and
recall, duplicate precision, blocking recall (share of true pairs kept, per rule
and overall), pairs blocked / compared / scored, time (median of the runs, with
the seconds of each stage) and peak RSS of the matching process.

The data come from the population and noise of ``slrt_synth`` (synthetic
people only), built in memory and cached under ``benchmarks/_data/match/``.
Each timed run is a fresh process: it reads the cached Parquet files, then
times ``slrt_cli.match.match`` alone (the end-to-end ``slrt run`` benchmark,
reading Excel files, lives with the pipeline).

Usage:
    .venv/bin/python benchmarks/bench_match.py                 # both sizes, 3 runs
    .venv/bin/python benchmarks/bench_match.py --sizes small --runs 1
    .venv/bin/python benchmarks/bench_match.py --workers 2 --json
    .venv/bin/python benchmarks/bench_match.py --no-ids      # no NIK / No KK / ids (as Splink's figures)
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "benchmarks" / "_data" / "match"
SIZES = {"small": (200_000, 20_000), "large": (1_000_000, 100_000)}
SEED = 7
TARGET_SECONDS = {"small": 2.0, "large": 7.0}  # the matcher's share of the end-to-end targets (5 s / 15 s)


def data_dir(size: str) -> Path:
    reg, rows = SIZES[size]
    return DATA / f"{size}_{reg}x{rows}_s{SEED}"


def ensure_data(size: str, regenerate: bool, jobs: int) -> Path:
    """Generate (once) and cache the register, batch and truth of ``size``."""
    out = data_dir(size)
    if not regenerate and all((out / f"{n}.parquet").is_file() for n in ("batch", "register", "truth")):
        return out
    sys.path.insert(0, str(ROOT))
    from slrt_synth.linkage import link_data

    reg, rows = SIZES[size]
    t = time.perf_counter()
    d = link_data(register_persons=reg, batch_rows=rows, seed=SEED, jobs=jobs)
    out.mkdir(parents=True, exist_ok=True)
    d.batch.write_parquet(out / "batch.parquet")
    d.register.write_parquet(out / "register.parquet")
    d.truth.write_parquet(out / "truth.parquet")
    print(f"[{size}] generated {reg:,} x {rows:,} in {time.perf_counter() - t:.1f} s -> {out}", file=sys.stderr)
    return out


# ---------------------------------------------------------------- child process


def _rss_mib(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


ID_COLUMNS = ("nik", "no_kk", "person_id", "household_id", "nik_numeric", "no_kk_numeric")


def child(folder: str, workers: int, quality: bool, no_ids: bool = False) -> None:
    """One timed run (in its own process); prints one JSON line."""
    import polars as pl

    from slrt_cli.match.engine import match_details

    folder_p = Path(folder)
    batch = pl.read_parquet(folder_p / "batch.parquet")
    if no_ids:  # like Splink's reference figures: no identifier in the village rows
        batch = batch.drop([c for c in ID_COLUMNS if c in batch.columns])
    register = pl.read_parquet(folder_p / "register.parquet")
    rss_loaded = _rss_mib("VmRSS")
    t = time.perf_counter()
    out, weights = match_details(batch, register, workers=workers)
    seconds = time.perf_counter() - t
    result = {
        "seconds": seconds,
        "rss_loaded_mib": rss_loaded,
        "peak_rss_mib": _rss_mib("VmHWM"),
        "stages": weights.diagnostics.get("seconds", {}),
        "pairs": {k: v for k, v in weights.diagnostics.items() if k.startswith("pairs_")},
        "outcomes": dict(out.group_by("outcome").len().sort("outcome").iter_rows()),
    }
    if quality:
        from slrt_cli.match.quality import link_quality

        truth = pl.read_parquet(folder_p / "truth.parquet")
        result["quality"] = link_quality(out, truth)
        result["blocking_recall"] = _blocking_recall(batch, register, truth)
    print(json.dumps(result))


def _blocking_recall(batch, register, truth) -> dict[str, float]:
    import polars as pl

    from slrt_cli.match import features
    from slrt_cli.match.blocking import Blocker, blocking_recall
    from slrt_cli.match.settings import MatchSettings
    from slrt_cli.match.weights import term_tables

    s = MatchSettings.default()
    b = features.prepare_batch(batch, s.names)
    r = features.prepare_register(register, s.names)
    live = b.filter(pl.col("_status") != "rejected")
    rw = features.explode_words(r, "_r", s.names)
    tables = term_tables(r, s, rw)
    blocker = Blocker(live, r, s.names, tables.common, tables.frequent, rw)
    key = ["source_file", "source_sheet", "source_row"]
    true_pairs = (
        live.select("_b", *key)
        .join(truth.filter(pl.col("true_person_id").is_not_null()), on=key)
        .join(r.select("_r", pl.col("person_id").alias("true_person_id")), on="true_person_id")
        .select("_b", "_r")
    )
    return blocking_recall(blocker, s.blocking, true_pairs)


# ---------------------------------------------------------------- parent


def run_size(size: str, runs: int, workers: int, regenerate: bool, jobs: int, no_ids: bool = False) -> dict:
    folder = ensure_data(size, regenerate, jobs)
    results = []
    for i in range(runs):
        cmd = [sys.executable, __file__, "--child", str(folder), "--workers", str(workers)]
        if i == 0:
            cmd.append("--quality")
        if no_ids:
            cmd.append("--no-ids")
        done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
        if done.returncode:
            raise SystemExit(f"[{size}] run {i + 1} failed:\n{done.stderr}")
        results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    first = results[0]
    times = [r["seconds"] for r in results]
    return {
        "size": size + (" (no NIK, No KK or ids in the village rows)" if no_ids else ""),
        "register": SIZES[size][0],
        "batch": SIZES[size][1],
        "runs": runs,
        "workers": workers,
        "seconds_median": statistics.median(times),
        "seconds_all": times,
        "target_seconds": TARGET_SECONDS[size],
        "peak_rss_mib": max(r["peak_rss_mib"] for r in results),
        "rss_after_loading_mib": first["rss_loaded_mib"],
        "stages": first["stages"],
        "pairs": first["pairs"],
        "outcomes": first["outcomes"],
        "quality": first["quality"],
        "blocking_recall": first["blocking_recall"],
    }


def report(r: dict) -> str:
    q, br, p = r["quality"], r["blocking_recall"], r["pairs"]
    lines = [
        (
            f"== {r['size']}: {r['register']:,} register x {r['batch']:,} batch rows "
            f"({r['runs']} run(s), workers={r['workers']})"
        ),
        (
            f"  link precision {q['precision']:.4f}  recall {q['recall']:.4f}  F1 {q['f1']:.4f}  "
            f"false links {int(q['false_links'])}"
        ),
        (
            f"  review rate {q['review_rate']:.4f}  new precision {q['new_precision']:.4f}  "
            f"new recall {q['new_recall']:.4f}  duplicate precision {q['duplicate_precision']:.4f}"
        ),
        f"  blocking recall {br['all']:.5f}  (" + ", ".join(f"{k} {v:.3f}" for k, v in br.items() if k != "all") + ")",
        (
            f"  pairs blocked {p.get('pairs_blocked', 0):,}  compared {p.get('pairs_compared', 0):,}  "
            f"scored {p.get('pairs_scored', 0):,}"
        ),
        f"  time {r['seconds_median']:.2f} s median (target {r['target_seconds']:.0f} s; runs "
        + ", ".join(f"{t:.2f}" for t in r["seconds_all"])
        + ")",
        "  stages " + ", ".join(f"{k} {v:.2f}" for k, v in r["stages"].items()),
        f"  peak RSS {r['peak_rss_mib']:.0f} MiB (after reading the inputs: {r['rss_after_loading_mib']:.0f} MiB)",
        "  outcomes " + ", ".join(f"{k} {v:,}" for k, v in r["outcomes"].items()),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="small,large", help="comma-separated: small, large")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--workers", type=int, default=1, help="processes for scoring partitions")
    ap.add_argument("--jobs", type=int, default=2, help="processes for generating the data")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--json", action="store_true", help="print one JSON document instead of text")
    ap.add_argument("--no-ids", action="store_true", help="drop NIK, No KK and ids from the village rows")
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--quality", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        sys.path.insert(0, str(ROOT))
        child(args.child, args.workers, args.quality, args.no_ids)
        return 0
    results = [
        run_size(s.strip(), args.runs, args.workers, args.regenerate, args.jobs, args.no_ids)
        for s in args.sizes.split(",")
    ]
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        print("\n\n".join(report(r) for r in results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
