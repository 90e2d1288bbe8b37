"""Regenerate sample_data/ (synthetic register, village files, truth, README) deterministically.

    python tools/make_sample_data.py [--seed N] [--out sample_data]

Same seed, same bytes. tests/test_synth.py fails when the committed sample_data/ is stale.
Everyone in sample_data/ is synthetic (slrt_synth).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from slrt_synth.generate import SAMPLE_SEED, generate_sample

REPO = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--out", type=Path, default=REPO / "sample_data")
    p.add_argument("--seed", type=int, default=SAMPLE_SEED)
    p.add_argument("--kab", default="3201", help="kabupaten code (default 3201, Kabupaten Bogor)")
    args = p.parse_args(argv)
    w = generate_sample(args.out, seed=args.seed, kab=args.kab, overwrite=True)
    size = sum(f.stat().st_size for f in args.out.rglob("*") if f.is_file())
    print(f"{args.out}: {w.register_persons} register persons, {len(w.files)} village files, "
          f"{w.data_rows} data rows, {len(w.missing)} people not listed; {size / 1e6:.2f} MB; "
          f"{w.seconds['total']:.1f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
