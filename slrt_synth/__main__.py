"""``python -m slrt_synth sample|bench``: generate synthetic data (a developer tool)."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from slrt_synth.generate import BENCH_SEED, SAMPLE_SEED, generate_bench, generate_sample


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m slrt_synth",
        description="Generate synthetic DTKS register extracts and village verivali files with ground truth. "
        "Everyone generated is synthetic; the same seed gives byte-identical files.",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sample", help="the bundled sample: ~3,000 register persons, ten village files")
    s.add_argument("--out", type=Path, required=True, help="output folder")
    s.add_argument("--seed", type=int, default=SAMPLE_SEED)
    s.add_argument("--kab", default="3201", help="4-digit Kemendagri kabupaten code (default 3201 Kab. Bogor)")
    s.add_argument("--persons", type=int, default=3000, help="register size")
    s.add_argument("--overwrite", action="store_true", help="replace generated files in a non-empty folder")
    b = sub.add_parser("bench", help="large data for benchmarks (register as Parquet, mostly .xlsx files)")
    b.add_argument("--out", type=Path, required=True, help="output folder")
    b.add_argument("--files", type=int, default=100)
    b.add_argument("--rows", type=int, default=100_000, help="data rows in all village files together")
    b.add_argument("--register-persons", type=int, default=1_000_000)
    b.add_argument("--seed", type=int, default=BENCH_SEED)
    b.add_argument("--kab", default="3201")
    b.add_argument("--jobs", type=int, default=min(2, os.cpu_count() or 1), help="worker processes")
    b.add_argument("--siksng", action="store_true", help="also write the register as a SIKS-NG pipe CSV")
    b.add_argument("--noise", type=float, default=1.0, help="multiplier of the noise rates (about 4: a messy month)")
    b.add_argument("--overwrite", action="store_true", help="replace generated files in a non-empty folder")
    lay = sub.add_parser("layanan", help="SLRT desk service logs (buku layanan) drawn from a register, with truth.csv")
    lay.add_argument("--register", type=Path, required=True, help="a synthetic register extract (Parquet, canonical columns)")
    lay.add_argument("--out", type=Path, required=True, help="output folder")
    lay.add_argument("--visits", type=int, default=60)
    lay.add_argument("--files", type=int, default=2)
    lay.add_argument("--seed", type=int, default=2025)
    lay.add_argument("--noise", type=float, default=0.0, help="share of register visitors written with one slip")
    return p


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "layanan":
        from slrt_synth.layanan import generate_logs

        done = generate_logs(args.register, args.out, visits=args.visits, files=args.files, seed=args.seed,
                             noise=args.noise)
        print(f"{done.out}: {len(done.files)} service logs, {done.visits} visits; truth {done.truth}", file=sys.stderr)
        return 0
    try:
        if args.command == "sample":
            w = generate_sample(args.out, seed=args.seed, kab=args.kab, persons=args.persons, overwrite=args.overwrite)
        else:
            w = generate_bench(args.out, files=args.files, rows=args.rows, register_persons=args.register_persons,
                               seed=args.seed, kab=args.kab, jobs=args.jobs, siksng=args.siksng,
                               overwrite=args.overwrite, noise=args.noise)
    except (FileExistsError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    timing = ", ".join(f"{k} {v:.1f} s" for k, v in w.seconds.items())
    print(f"{w.out}: register {w.register_persons} persons / {w.register_households} households; "
          f"{len(w.files)} village files, {w.data_rows} data rows; {len(w.missing)} listed people missing; {timing}",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
