"""Benchmark ``slrt validate`` on 100 synthetic village files with 100,000 data rows.

    python benchmarks/bench_validate.py [--runs 3] [--regenerate] [--check]

1. Generates the data into ``benchmarks/_data/validate/`` (git-ignored) unless it is
   already there with the same parameters: register Parquet, ``desa/`` (mostly .xlsx),
   ``truth.parquet`` (slrt_synth; synthetic people only).
2. Runs ``slrt validate benchmarks/_data/validate/desa --out <tmp>`` ``--runs`` times,
   each in a fresh child process, and reports the median wall time and the peak RSS
   (``ru_maxrss`` of that child), plus data rows generated vs rows in ``rows.parquet``.

Targets: <= 10 s wall time and <= 1 GiB peak RSS. ``--check`` exits 1 when missed.
If ``slrt validate`` is not available, the data is still generated and a note printed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "validate"
TARGET_SECONDS = 10.0
TARGET_RSS = 1024**3

# Runs one command in a fresh process and reports its wall time and peak RSS (Linux: KiB).
_CHILD = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
p = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "maxrss_kib": rss, "rc": p.returncode, "stderr": p.stderr.decode("utf-8", "replace")[-2000:]}))
"""


def _params(args: argparse.Namespace) -> dict:
    return {"kind": "bench", "seed": args.seed, "kab": "3201", "files": args.files, "rows": args.rows,
            "register_persons": args.register_persons}


def ensure_data(args: argparse.Namespace) -> dict:
    """Generate the benchmark data unless it exists with the same parameters; return its manifest."""
    manifest_path = args.data / "manifest.json"
    want = _params(args)
    if manifest_path.is_file() and not args.regenerate:
        manifest = json.loads(manifest_path.read_text("utf-8"))
        if all(manifest.get(k) == v for k, v in want.items()):
            print(f"data: {args.data} (existing, {manifest['data_rows_written']} rows)")
            return manifest
    from slrt_synth.generate import generate_bench

    print(f"data: generating {args.files} files / {args.rows} rows (register {args.register_persons}) "
          f"into {args.data} ...", flush=True)
    w = generate_bench(args.data, files=args.files, rows=args.rows, register_persons=args.register_persons,
                       seed=args.seed, jobs=args.jobs, overwrite=True)
    print("data: generated in " + ", ".join(f"{k} {v:.1f} s" for k, v in w.seconds.items()))
    return json.loads(manifest_path.read_text("utf-8"))


def slrt_command() -> list[str] | None:
    """The ``slrt validate`` command next to this Python, or None when unavailable."""
    exe = Path(sys.executable).with_name("slrt")
    if not exe.exists():
        return None
    probe = subprocess.run([str(exe), "validate", "--help"], capture_output=True, check=False)
    return [str(exe), "validate"] if probe.returncode == 0 else None


def run_once(cmd: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", _CHILD, *cmd], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def count_rows(out: Path) -> int | None:
    rows = out / "rows.parquet"
    if not rows.is_file():
        return None
    import polars as pl

    return pl.scan_parquet(rows).select(pl.len()).collect().item()


def compare_truth(out: Path, data: Path) -> dict | None:
    """Rows of truth.parquet found at the same file/sheet/row in rows.parquet, and rejected rows."""
    import polars as pl

    rows = out / "rows.parquet"
    keys = ["source_file", "source_sheet", "source_row"]
    if not rows.is_file() or not set(keys) <= set(pl.read_parquet_schema(rows)):
        return None
    got = pl.read_parquet(rows, columns=[*keys, "status"] if "status" in pl.read_parquet_schema(rows) else keys)
    got = got.with_columns(pl.col("source_sheet").fill_null(""), pl.col("source_row").cast(pl.Int64))
    truth = pl.read_parquet(data / "truth.parquet")
    joined = truth.join(got, on=keys, how="inner")
    res = {"found": joined.height, "truth": truth.height,
           "planned_rejects": truth.filter(pl.col("noise").str.contains("reject:")).height}
    if "status" in got.columns:
        rej = joined.filter(pl.col("status") == "rejected")
        res["rejected"] = got.filter(pl.col("status") == "rejected").height
        res["rejected_planned"] = rej.filter(pl.col("noise").str.contains("reject:")).height
    return res


def _table(rows: list[tuple[str, str, str]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(3)]
    line = "+" + "+".join("-" * (w + 2) for w in widths) + "+"
    out = [line]
    for k, r in enumerate(rows):
        out.append("| " + " | ".join(c.ljust(w) for c, w in zip(r, widths)) + " |")
        if k == 0:
            out.append(line)
    out.append(line)
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--runs", type=int, default=3, help="timed runs (median reported)")
    p.add_argument("--data", type=Path, default=DATA, help="benchmark data folder")
    p.add_argument("--files", type=int, default=100)
    p.add_argument("--rows", type=int, default=100_000)
    p.add_argument("--register-persons", type=int, default=1_000_000)
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="processes for generation")
    p.add_argument("--regenerate", action="store_true", help="generate the data again")
    p.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    args = p.parse_args(argv)

    manifest = ensure_data(args)
    cmd = slrt_command()
    if cmd is None:
        print("note: `slrt validate` is not available yet (no `slrt` next to this Python, or no `validate` "
              "command); only the data was generated.")
        return 0

    desa = args.data / "desa"
    results = []
    rows_out = None
    truth_cmp = None
    for i in range(args.runs):
        out = Path(tempfile.mkdtemp(prefix="slrt-bench-"))
        try:
            r = run_once([*cmd, str(desa), "--out", str(out)])
            if r["rc"] not in (0, 1):
                print(f"run {i + 1}: slrt validate failed with exit code {r['rc']}:\n{r['stderr']}")
                return 2
            rows_out = count_rows(out)
            if i == args.runs - 1:
                truth_cmp = compare_truth(out, args.data)
            results.append(r)
            print(f"run {i + 1}/{args.runs}: {r['wall']:.2f} s, peak RSS {r['maxrss_kib'] / 1024:.0f} MiB, "
                  f"exit {r['rc']}", flush=True)
        finally:
            shutil.rmtree(out, ignore_errors=True)

    wall = statistics.median(r["wall"] for r in results)
    rss = max(r["maxrss_kib"] for r in results) * 1024
    ok_time, ok_rss = wall <= TARGET_SECONDS, rss <= TARGET_RSS
    ok_rows = rows_out == manifest["data_rows_written"]
    table = [
        ("measure", "value", "target"),
        ("files", str(manifest["files"]), ""),
        ("data rows generated", str(manifest["data_rows_written"]), ""),
        ("rows in rows.parquet", "-" if rows_out is None else str(rows_out),
         "= generated" + ("" if ok_rows else "  (DIFFERS)")),
        (f"wall time, median of {len(results)}", f"{wall:.2f} s",
         f"<= {TARGET_SECONDS:.0f} s" + ("" if ok_time else "  (MISSED)")),
        ("peak RSS, max over runs", f"{rss / 2**20:.0f} MiB", "<= 1024 MiB" + ("" if ok_rss else "  (MISSED)")),
        ("runs (wall s)", " ".join(f"{r['wall']:.2f}" for r in results), ""),
    ]
    if truth_cmp:
        table.insert(4, ("truth rows at the same file/sheet/row", f"{truth_cmp['found']}", f"= {truth_cmp['truth']}"))
        if "rejected" in truth_cmp:
            rejected = f"{truth_cmp['rejected']} ({truth_cmp['rejected_planned']})"
        table.insert(5, ("rejected rows (of them planned)", rejected, f"= {truth_cmp['planned_rejects']} planned"))
    print(_table(table))
    if args.check and not (ok_time and ok_rss):
        return 1
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"(benchmark script total {time.perf_counter() - t0:.0f} s)")
    sys.exit(code)
