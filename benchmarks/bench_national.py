"""Benchmark issue 11: a national slice on both engines, and Spark's cost on a district month.

    python benchmarks/bench_national.py [--kabupaten 40] [--persons 250000] [--rows 25000] [--regenerate]
    python benchmarks/bench_national.py --only district      # the 1M-person, 100k-row month alone
    python benchmarks/bench_national.py --only dedup         # slrt dedup on the national register
    python benchmarks/bench_national.py --only national --engines spark \
        --spark-conf spark.slrt.assign.minPairs=0             # Spark assigns the month's pairs too
    python benchmarks/bench_national.py --only national --engines local --kabupaten 80 --rows 12500 \
        --data benchmarks/_data/national20                    # a 20M-person register on one machine

Data (synthetic people only, ``benchmarks/_data/national/``, git-ignored; about 4 minutes):

- ``dtsen/kode_prov=PP/kode_kab=KKKK/part-0.parquet``: ``--kabupaten`` kabupaten of 5 provinces
  (Aceh, Jawa Barat, Jawa Tengah, Jawa Timur, Sulawesi Selatan), ``--persons`` register persons each
  (default 40 x 250,000 = 10,000,000);
- ``hasil/<kab>/rows.parquet``: each district's month as validated rows (``--rows`` each, default
  1,000,000 in all), plus 25 persons of the previous kabupaten who moved in (``pindahan.xlsx``).

Runs, each a fresh child process, timed as a whole (wall) with the peak of the summed resident
memory of the process and all its children (the Spark JVM and its Python workers included),
sampled every 0.2 s from /proc (Linux):

1. ``slrt nasional --engine local`` and ``--engine spark --spark-master local[2]``; the outputs of
   the two are compared file by file (CSV bytes);
2. ``--only district``: ``slrt match`` of a 1M-person, 100k-row month (``benchmarks/_data/run/large``
   of ``bench_run.py``, else ``_data/outputs/noise4`` of ``bench_outputs.py``) with each engine, the
   register given as its file (read whole by either engine) and as a dataset of 8 files (sliced by
   each engine: the comparison where Spark does the work);
3. ``--only dedup``: ``slrt dedup`` on the national register dataset, with each engine.

Targets (issue 11, this machine: 2 cores, 24 GiB): the national slice completes on both engines,
Spark within 30 minutes, peak memory of all processes <= 16 GiB; on the district month Spark local
mode <= 3x the local engine; `slrt dedup` on the 10M register completes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent
DATA = ROOT / "_data" / "national"
PROVINCES = ("11", "32", "33", "35", "73")
SPARK = ["--engine", "spark", "--spark-master", "local[2]", "--spark-conf", "spark.driver.memory=4g",
         "--spark-conf", "spark.sql.shuffle.partitions=16"]


def kabupaten(n: int) -> list[str]:
    from slrt_cli import reference

    per = -(-n // len(PROVINCES))
    out = []
    for p in PROVINCES:
        out += [str(getattr(k, "code", k)) for k in reference.children(p)][:per]
    return sorted(out[:n])


#: the sizes of the national month when neither the command line nor the data folder gives them
SIZES = {"kabupaten": 40, "persons": 250_000, "rows": 25_000}


def generate(kabs: int | None, persons: int | None, rows: int | None, regenerate: bool, data: Path = DATA) -> Path:
    """The national data in ``data``: the month already there, unless sizes that differ from it are
    given (then only with ``--regenerate``: a folder of 10M persons takes a quarter of an hour)."""
    stamp = data / "spec.json"
    kept = json.loads(stamp.read_text()) if stamp.is_file() else None
    given = {"kabupaten": kabs, "persons": persons, "rows": rows}
    spec = {k: v if v is not None else (kept or SIZES)[k] for k, v in given.items()}
    if not regenerate and kept == spec:
        return data
    if kept is not None and not regenerate:
        sys.exit(f"{data} holds {kept}, not {spec}: add --regenerate to replace it, or give another --data")
    kabs, persons, rows = spec["kabupaten"], spec["persons"], spec["rows"]
    from slrt_synth.linkage import link_data

    shutil.rmtree(data, ignore_errors=True)
    data.mkdir(parents=True)
    t = time.perf_counter()
    previous = None
    rng = random.Random(11)
    for i, kab in enumerate(kabupaten(kabs)):
        d = link_data(persons, rows, seed=100 + i, kab=kab, jobs=2)
        folder = data / "dtsen" / f"kode_prov={kab[:2]}" / f"kode_kab={kab}"
        folder.mkdir(parents=True)
        d.register.write_parquet(folder / "part-0.parquet")
        batch = d.batch
        if previous is not None:  # 25 persons of the previous kabupaten moved in
            movers = previous.filter(pl.col("nik").is_not_null()).sample(25, seed=rng.randrange(1 << 30))
            desa = batch["kode_desa"].drop_nulls().unique().sort().to_list()
            extra = movers.select(
                pl.lit("pindahan.xlsx").alias("source_file"), pl.lit("Sheet1").alias("source_sheet"),
                (pl.int_range(pl.len()) + 2).cast(pl.Int64).alias("source_row"), pl.lit("accepted").alias("status"),
                "nik", pl.lit(None, pl.Utf8).alias("no_kk"), "nama", "tanggal_lahir", "jenis_kelamin",
                "nama_ibu_kandung", pl.lit(desa[0]).alias("kode_desa"), pl.lit("PINDAH").alias("status_verivali"))
            batch = pl.concat([batch, extra], how="diagonal_relaxed")
        (data / "hasil" / kab).mkdir(parents=True)
        batch.write_parquet(data / "hasil" / kab / "rows.parquet")
        previous = d.register.select("nik", "nama", "tanggal_lahir", "jenis_kelamin", "nama_ibu_kandung")
        print(f"  {kab}: {d.register.height:,} persons, {batch.height:,} rows ({time.perf_counter() - t:.0f} s)",
              flush=True)
    stamp.write_text(json.dumps(spec))
    return data


def _kind(pid: int, root: int) -> str:
    """Which part of a run a process is: the slrt process itself, Spark's JVM, a Python worker."""
    if pid == root:
        return "driver"
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ")
    except OSError:
        return "other"
    if b"java" in cmd.split(b" ", 1)[0]:
        return "jvm"
    return "python_workers" if b"pyspark" in cmd else "other"


def _tree_rss(pid: int) -> dict[str, int]:
    """Resident bytes of ``pid`` and all its descendants (Linux /proc), summed by :func:`_kind`."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as f:
                    ppid = int(f.read().rsplit(b")", 1)[1].split()[1])
                parents.setdefault(ppid, []).append(int(entry))
            except (OSError, ValueError, IndexError):
                continue
    total: dict[str, int] = {}
    todo = [pid]
    while todo:
        p = todo.pop()
        todo += parents.get(p, [])
        try:
            with open(f"/proc/{p}/statm") as f:
                rss = int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError):
            continue
        kind = _kind(p, pid)
        total[kind] = total.get(kind, 0) + rss
    return total


def timed(cmd: list[str], log: Path) -> dict:
    """Wall seconds and peak summed RSS (GiB) of a command and its children, with the parts of that
    peak (the slrt process, Spark's JVM, its Python workers) and the peak of each part alone."""
    t = time.perf_counter()
    with open(log, "w") as err:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
        peak, at_peak, part_peaks = 0, {}, {}
        done = threading.Event()

        def sample() -> None:
            nonlocal peak, at_peak
            while not done.is_set():
                parts = _tree_rss(proc.pid)
                for k, v in parts.items():
                    part_peaks[k] = max(part_peaks.get(k, 0), v)
                if sum(parts.values()) > peak:
                    peak, at_peak = sum(parts.values()), parts
                time.sleep(0.2)

        thread = threading.Thread(target=sample, daemon=True)
        thread.start()
        code = proc.wait()
        done.set()
        thread.join()
    wall = time.perf_counter() - t
    if code not in (0, 1):
        sys.exit(f"failed ({code}): {' '.join(cmd)}\n{log.read_text()[-3000:]}")
    gib = lambda parts: {k: round(v / 2**30, 2) for k, v in sorted(parts.items())}  # noqa: E731
    return {"wall_s": round(wall, 1), "peak_gib": round(peak / 2**30, 2), "at_peak": gib(at_peak),
            "part_peaks": gib(part_peaks)}


def same_outputs(a: Path, b: Path) -> tuple[int, list[str]]:
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.csv"))
    differ = [n for n in names if not (b / n).is_file() or (a / n).read_bytes() != (b / n).read_bytes()]
    return len(names), differ


def slrt() -> str:
    return str(Path(sys.executable).with_name("slrt"))


def national(data: Path, tmp: Path, engines: tuple[str, ...] = ("local", "spark")) -> None:
    rows = sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in (data / "hasil").rglob("rows.parquet"))
    persons = sum(pl.scan_parquet(p).select(pl.len()).collect().item() for p in (data / "dtsen").rglob("*.parquet"))
    print(f"\n== national slice: {persons:,} register persons in {len(list((data / 'dtsen').rglob('*.parquet')))} "
          f"kabupaten, {rows:,} village rows")
    base = [slrt(), "nasional", "--batch", str(data / "hasil"), "--register", str(data / "dtsen"), "--overwrite",
            "--log-file"]
    results = {}
    for name, extra in (("local", []), ("spark", SPARK)):
        if name not in engines:
            continue
        out = tmp / name
        results[name] = timed([*base, str(tmp / f"{name}.log"), "--out", str(out), *extra], tmp / f"{name}.err")
        summary = json.loads((out / "summary.json").read_text())
        print(f"{name:6s}: wall {results[name]['wall_s']:.0f} s, peak {results[name]['peak_gib']:.2f} GiB (all "
              f"processes; at the peak {results[name]['at_peak']}, each part's own peak "
              f"{results[name]['part_peaks']}); seconds {summary['seconds']}; {summary['counts']}", flush=True)
    if (tmp / "local").is_dir() and (tmp / "spark").is_dir():
        n, differ = same_outputs(tmp / "local", tmp / "spark")
        print(f"outputs: {n} CSV files, {'identical' if not differ else 'DIFFERENT: ' + ', '.join(differ[:10])}")


def district(tmp: Path) -> None:
    data = next((d for d in (ROOT / "_data" / "run" / "large", ROOT / "_data" / "outputs" / "noise4",
                             ROOT / "_data" / "outputs" / "noise6") if (d / "register").is_dir()), None)
    rows = tmp / "large_rows"
    if data is None:
        print("\n== district month: run `python benchmarks/bench_run.py --sizes large` (or bench_outputs.py) first: "
              "they generate the data")
        return
    if not (rows / "rows.parquet").is_file():
        subprocess.run([slrt(), "validate", str(data / "desa"), "--out", str(rows), "-q", "--overwrite"], check=False)
    # the same register as a dataset (8 files of one kabupaten), which each engine reads piece by piece
    dataset = tmp / "large_dtsen"
    if not dataset.is_dir():
        reg = pl.read_parquet(data / "register" / "*.parquet")
        kab = reg["kode_kab"].drop_nulls()[0]
        folder = dataset / f"kode_prov={kab[:2]}" / f"kode_kab={kab}"
        folder.mkdir(parents=True)
        step = -(-reg.height // 8)
        for i in range(8):
            reg.slice(i * step, step).write_parquet(folder / f"part-{i}.parquet")
    print("\n== district month: 1,000,000 register persons x 100,000 rows (slrt match)")
    out = {}
    runs = (("local", "file", []), ("spark", "file", SPARK), ("local", "dataset", []), ("spark", "dataset", SPARK))
    for name, form, extra in runs:
        register = data / "register" if form == "file" else dataset
        key = f"{name}_{form}"
        out[key] = timed([slrt(), "match", str(rows / "rows.parquet"), "--register", str(register),
                          "--out", str(tmp / f"m_{key}"), "--overwrite", *extra], tmp / f"m_{key}.err")
        print(f"{name:6s} {form:8s}: wall {out[key]['wall_s']:.1f} s, peak {out[key]['peak_gib']:.2f} GiB "
              f"{out[key]['at_peak']}", flush=True)
    for form in ("file", "dataset"):
        n, differ = same_outputs(tmp / f"m_local_{form}", tmp / f"m_spark_{form}")
        ratio = out[f"spark_{form}"]["wall_s"] / out[f"local_{form}"]["wall_s"]
        print(f"{form}: spark / local {ratio:.2f}x (target <= 3x); outputs: {n} CSV files, "
              f"{'identical' if not differ else 'DIFFERENT: ' + ', '.join(differ)}")


def dedup(data: Path, tmp: Path) -> None:
    print("\n== slrt dedup on the national register dataset")
    for name, extra in (("local", []), ("spark", SPARK)):
        r = timed([slrt(), "dedup", "--register", str(data / "dtsen"), "--out", str(tmp / f"d_{name}"),
                   "--overwrite", *extra], tmp / f"d_{name}.err")
        pairs = pl.read_parquet(tmp / f"d_{name}" / "register_duplicates.parquet").height
        print(f"{name:6s}: wall {r['wall_s']:.0f} s, peak {r['peak_gib']:.2f} GiB, {pairs:,} pairs", flush=True)
    n, differ = same_outputs(tmp / "d_local", tmp / "d_spark")
    print(f"outputs: {'identical' if not differ else 'DIFFERENT'}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--kabupaten", type=int, help=f"default: the data folder's, else {SIZES['kabupaten']}")
    ap.add_argument("--persons", type=int, help=f"per kabupaten; default: the data folder's, else {SIZES['persons']:,}")
    ap.add_argument("--rows", type=int, help=f"per kabupaten; default: the data folder's, else {SIZES['rows']:,}")
    ap.add_argument("--regenerate", action="store_true")
    ap.add_argument("--data", type=Path, default=DATA,
                    help="where the national data are kept (another folder for another size: --kabupaten 80 "
                         "--rows 12500 --data benchmarks/_data/national20 is 20M persons, 1M rows)")
    ap.add_argument("--only", choices=("national", "district", "dedup"))
    ap.add_argument("--keep", type=Path, help="keep the outputs in this folder")
    ap.add_argument("--engines", default="local,spark", help="national slice: the engines to run (local,spark)")
    ap.add_argument("--spark-conf", action="append", default=[], metavar="KEY=VALUE",
                    help="more Spark settings for the Spark runs (e.g. spark.slrt.assign.minPairs=0: Spark assigns)")
    args = ap.parse_args()
    for kv in args.spark_conf:
        SPARK.extend(["--spark-conf", kv])
    with tempfile.TemporaryDirectory() as t:
        tmp = args.keep or Path(t)
        tmp.mkdir(parents=True, exist_ok=True)
        if args.only in (None, "national", "dedup"):
            data = generate(args.kabupaten, args.persons, args.rows, args.regenerate, args.data)
        if args.only in (None, "national"):
            national(data, tmp, tuple(args.engines.split(",")))
        if args.only in (None, "district"):
            district(tmp)
        if args.only in (None, "dedup"):
            dedup(data, tmp)


if __name__ == "__main__":
    main()
