"""Benchmark ``slrt validate`` on pathologically wide files (issue 14: cost linear in a file's size).

    python benchmarks/bench_wide.py [--only csv10000,xlsx16384,line50000] [--rows 20] [--timeout 900]
                                    [--regenerate] [--pythonpath DIR]

1. Generates, unless already there with the same parameters, into ``benchmarks/_data/wide/``
   (git-ignored; synthetic people and values only):

   * ``wide_10000.csv``: a ``;`` CSV whose header has the usual titles (NO, NIK, NO KK, NAMA,
     TGL LAHIR, JK, ALAMAT) followed by 9,993 more titled columns, ``--rows`` data rows filled
     in every column, every other one with a bad sex code (flagged rows go to a fix-file, as in
     a real month);
   * ``wide_16384.xlsx``: the same with 16,384 columns (the widest sheet Excel allows, A:XFD),
     written with xlsxwriter;
   * ``line_50000.csv``: a 7-column CSV of ``--rows`` rows, one of which has 50,000 fields.

2. Runs ``/usr/bin/time -v slrt validate FILE --out DIR --overwrite`` once per file (a fresh
   process each; without ``/usr/bin/time`` the wall time and ``ru_maxrss`` are measured from
   Python) and prints whole-process wall time, peak RSS, exit code, the rows in
   ``rows.parquet`` and the issue codes about columns or the file's size.

``--pythonpath DIR`` puts DIR first on the child's PYTHONPATH, to time another copy of the
package (e.g. ``git archive <commit> | tar -x -C DIR``) with the same ``slrt`` executable.
A run longer than ``--timeout`` seconds is stopped and reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data" / "wide"

HEAD = ["NO", "NIK", "NO KK", "NAMA", "TGL LAHIR", "JK", "ALAMAT"]
KK = "3201011201150003"  # synthetic

_CHILD = r"""
import json, resource, subprocess, sys, time
t = time.perf_counter()
try:
    p = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=float(sys.argv[1]))
    rc, err = p.returncode, p.stderr
except subprocess.TimeoutExpired as exc:
    rc, err = "timeout", exc.stderr or b""
wall = time.perf_counter() - t
rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "maxrss_kib": rss, "rc": rc, "stderr": err.decode("utf-8", "replace")[-2000:]}))
"""


def _letters(n: int) -> str:
    """A, B, ..., Z, AA, ...: names without digits (a digit in a name is an issue of its own)."""
    text = ""
    n += 1
    while n:
        n, rem = divmod(n - 1, 26)
        text = chr(65 + rem) + text
    return text


def _person(r: int) -> list[str]:
    """A synthetic person: women born 05-08-1990 in 32.01.01, serials 0001.. (structurally valid NIKs)."""
    sex = "X" if r % 2 else "P"  # every other row flagged (bad sex code): those rows go to a fix-file
    return [str(r + 1), f"32010145089{r + 1:05d}", KK, "WARGA CONTOH " + _letters(r), "05-08-1990", sex,
            f"KP CONTOH RT 0{r % 9 + 1} RW 01"]


def _wide_rows(columns: int, rows: int) -> tuple[list[str], list[list[str]]]:
    header = HEAD + [f"KOLOM TAMBAHAN {c}" for c in range(len(HEAD) + 1, columns + 1)]
    body = [_person(r) + [str((r * 7 + c) % 97) for c in range(len(HEAD), columns)] for r in range(rows)]
    return header, body


def gen_csv(path: Path, columns: int, rows: int) -> None:
    header, body = _wide_rows(columns, rows)
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(";".join(header) + "\n")
        for row in body:
            fh.write(";".join(row) + "\n")


def gen_xlsx(path: Path, columns: int, rows: int) -> None:
    import xlsxwriter

    header, body = _wide_rows(columns, rows)
    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, header)
    for r, row in enumerate(body, start=1):
        ws.write_row(r, 0, row)
    wb.close()


def gen_line(path: Path, fields: int, rows: int) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        fh.write(";".join(HEAD) + "\n")
        for r in range(rows):
            row = _person(r)
            if r == rows // 2:
                row += [f"isi {c}" for c in range(len(row), fields)]
            fh.write(";".join(row) + "\n")


CASES = {
    "csv10000": ("wide_10000.csv", lambda p, rows: gen_csv(p, 10_000, rows)),
    "xlsx16384": ("wide_16384.xlsx", lambda p, rows: gen_xlsx(p, 16_384, rows)),
    "line50000": ("line_50000.csv", lambda p, rows: gen_line(p, 50_000, rows)),
}


def ensure_data(data: Path, rows: int, regenerate: bool) -> None:
    data.mkdir(parents=True, exist_ok=True)
    manifest = data / "manifest.json"
    if not regenerate and manifest.is_file() and json.loads(manifest.read_text("utf-8")) == {"rows": rows, "version": 2} \
            and all((data / name).is_file() for name, _ in CASES.values()):
        print(f"data: {data} (existing)")
        return
    for name, make in CASES.values():
        t = time.perf_counter()
        make(data / name, rows)
        print(f"data: {name} {(data / name).stat().st_size / 2**20:.1f} MiB in {time.perf_counter() - t:.1f} s",
              flush=True)
    manifest.write_text(json.dumps({"rows": rows, "version": 2}), "utf-8")


def _clock(text: str) -> float:
    parts = [float(p) for p in text.split(":")]
    total = 0.0
    for p in parts:
        total = total * 60 + p
    return total


def run_once(cmd: list[str], env: dict, timeout: float) -> dict:
    timer = Path("/usr/bin/time")
    if timer.exists():
        t = time.perf_counter()
        # a session of its own: on timeout, slrt and its helpers are stopped with the timer
        p = subprocess.Popen([str(timer), "-v", *cmd], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env=env, text=True, errors="replace", start_new_session=True)
        try:
            _, err = p.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.communicate()
            return {"wall": time.perf_counter() - t, "maxrss_kib": None, "rc": "timeout", "stderr": ""}
        wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", err)
        rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", err)
        status = re.search(r"Exit status: (\d+)", err)
        return {"wall": _clock(wall.group(1)) if wall else time.perf_counter() - t,
                "maxrss_kib": int(rss.group(1)) if rss else None,
                "rc": int(status.group(1)) if status else p.returncode, "stderr": err[-2000:]}
    out = subprocess.run([sys.executable, "-c", _CHILD, str(timeout), *cmd], capture_output=True, text=True,
                         env=env, check=True)
    return json.loads(out.stdout)


def outcome(out: Path) -> tuple[str, str]:
    """Rows in rows.parquet and the issue codes about columns and size (with their counts)."""
    summary = out / "summary.json"
    rows = "-"
    if (out / "rows.parquet").is_file():
        import polars as pl

        rows = str(pl.scan_parquet(out / "rows.parquet").select(pl.len()).collect().item())
    codes = ""
    if summary.is_file():
        counts = json.loads(summary.read_text("utf-8")).get("issues_by_code", {})
        if isinstance(counts, dict):
            keep = {k: v for k, v in counts.items() if k.startswith(("COLUMN", "FILE_TOO", "SHEET"))}
            codes = " ".join(f"{k}={v}" for k, v in sorted(keep.items()))
    return rows, codes


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
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
    p.add_argument("--only", default=",".join(CASES), help="cases to run: " + ", ".join(CASES))
    p.add_argument("--rows", type=int, default=20, help="data rows per file")
    p.add_argument("--timeout", type=float, default=900.0, help="seconds before a run is stopped")
    p.add_argument("--data", type=Path, default=DATA)
    p.add_argument("--regenerate", action="store_true")
    p.add_argument("--pythonpath", type=Path, help="another copy of slrt_cli to time (put first on PYTHONPATH)")
    args = p.parse_args(argv)

    exe = Path(sys.executable).with_name("slrt")
    if not exe.exists():
        print("note: no `slrt` next to this Python; nothing to time")
        return 0
    ensure_data(args.data, args.rows, args.regenerate)
    env = dict(os.environ)
    if args.pythonpath:
        env["PYTHONPATH"] = os.pathsep.join([str(args.pythonpath.resolve()), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    table = [("file", "size", "wall", "peak RSS", "exit", "rows", "issues (columns/size)")]
    for case in [c.strip() for c in args.only.split(",") if c.strip()]:
        name = CASES[case][0]
        path = args.data / name
        out = Path(tempfile.mkdtemp(prefix="slrt-wide-")) / "hasil"
        try:
            r = run_once([str(exe), "validate", str(path), "--out", str(out), "--overwrite", "-q"], env,
                         args.timeout)
            rows, codes = outcome(out)
        finally:
            shutil.rmtree(out.parent, ignore_errors=True)
        wall = f"> {args.timeout:.0f} s (stopped)" if r["rc"] == "timeout" else f"{r['wall']:.2f} s"
        rss = "-" if r["maxrss_kib"] is None else f"{r['maxrss_kib'] / 1024:.0f} MiB"
        print(f"{name}: {wall}, peak RSS {rss}, exit {r['rc']}", flush=True)
        if r["rc"] not in (0, 1, "timeout"):
            print(r["stderr"])
        table.append((name, f"{path.stat().st_size / 2**20:.1f} MiB", wall, rss, str(r["rc"]), rows, codes))
    print(_table(table))
    return 0


if __name__ == "__main__":
    t0 = time.perf_counter()
    code = main()
    print(f"(benchmark script total {time.perf_counter() - t0:.0f} s)")
    sys.exit(code)
