"""Reading quality of ``slrt run`` on two sources of village files (issue 9).

    python benchmarks/bench_reading.py [--rows 3000] [--files 20] [--wild-files 30] [--reuse] [--json FILE]

Two months from the same synthetic register (``build_population`` with the same kabupaten,
size and seed, so ``register/dtks.parquet`` is the same file in both):

- ``generator``: the usual generator (``slrt_synth.generate_bench``; titles from
  ``layouts.HEADERS``);
- ``wild``: the second layout source (``slrt_synth.wild``; titles recombined from words,
  bare item numbers, combined cells, questionnaire headers, sentinels, instruction sheets...).

Each month goes through ``.venv/bin/slrt run`` (a child process, ``-q``) into
``benchmarks/_data/reading/<source>/hasil`` (kept for inspection; git-ignored), then the
outputs are compared with the generator's truth (``truth.parquet``: one line per data row at
the row Excel shows). Printed per source:

- rows in (truth), rows read (``rows.parquet`` has a row at the same file/sheet/row);
- identifying rows (truth: no ``reject:`` tag, i.e. a name plus a NIK or a birth date are in
  the file) and how many of them slrt **falsely rejected** (``rows.parquet`` status
  ``rejected``), as a count and a share of identifying rows;
- rows made unusable on purpose (``reject:`` tags; in the wild source also rows holding only an
  outcome or a relationship) that slrt rejected, and the status-only rows among them;
- data rows **absent from reconciliation.csv** (lost), and reconciliation lines at no truth row
  (titles, notes or sentinels read as data);
- link precision / recall / F1: precision = correct links / ``matched`` lines; recall = correct
  links / truth rows of register persons that are not duplicates and not unusable on purpose.
  Unlike ``bench_run.py`` the recall denominator keeps rows slrt rejected or lost: a row the
  reader could not read is a link missed;
- per file: whether the NIK and the birth date were recognised: the file holds the field (the
  truth says how its column is titled: ``word``, ``number`` = a bare item number, ``blank``,
  ``combined``) and ``rows.parquet`` has a value for at least half of the rows whose file cell
  holds one (noise tags say which cells are empty).

Generation takes a few seconds (deterministic; ``--reuse`` keeps the files of the previous run);
each ``slrt run`` a few seconds. ``--slrt CMD`` measures another checkout (e.g. ``git archive HEAD``
unpacked in /tmp: ``--slrt "env PYTHONPATH=/tmp/head .venv/bin/python -m slrt_cli"``).
Synthetic people only.
"""

from __future__ import annotations

import argparse
import json
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent
REPO = ROOT.parent
DATA = ROOT / "_data" / "reading"
KEYS = ["source_file", "source_sheet", "source_row"]
NO_NIK_TAGS = ("nik:missing", "nik:none", "nik:none_in_register")
NO_DATE_TAGS = ("date:missing", "date:placeholder", "date:invalid")


def slrt_exe() -> str:
    for cand in (Path(sys.executable).with_name("slrt"), REPO / ".venv" / "bin" / "slrt"):
        if cand.is_file():
            return str(cand)
    sys.exit("slrt executable not found next to this Python or in .venv/bin")


# ---- generation -----------------------------------------------------------------------
def _generator_files(written) -> list[dict]:
    out = []
    for f in written.files:
        style = f["style"]
        fields = {}
        for c in style.columns:
            if c.field:
                title = f"{c.group}/{c.header}" if c.group else c.header
                fields[c.field] = {"title": title, "mode": "word", "item": ""}
        out.append({"path": f["path"], "format": f["format"], "rows": f["rows"], "fields": fields})
    return out


def generate(args: argparse.Namespace) -> dict[str, Path]:
    from slrt_synth import generate_bench
    from slrt_synth.wild import generate_wild

    folders = {"generator": DATA / "generator", "wild": DATA / "wild"}
    spec = {"rows": args.rows, "files": args.files, "wild_files": args.wild_files,
            "register": args.register_persons, "seed": args.seed, "wild_seed": args.wild_seed}
    stamp = DATA / "spec.json"
    if args.reuse and stamp.is_file() and json.loads(stamp.read_text()) == spec and all(
            (f / "files.json").is_file() for f in folders.values()):
        return folders
    DATA.mkdir(parents=True, exist_ok=True)
    stamp.unlink(missing_ok=True)
    t = time.perf_counter()
    for f in folders.values():
        shutil.rmtree(f, ignore_errors=True)
    w = generate_bench(folders["generator"], files=args.files, rows=args.rows,
                       register_persons=args.register_persons, seed=args.seed, jobs=1, overwrite=True)
    (folders["generator"] / "files.json").write_text(json.dumps(_generator_files(w), indent=1, ensure_ascii=False))
    generate_wild(folders["wild"], files=args.wild_files, rows=args.rows, register_persons=args.register_persons,
                  seed=args.wild_seed, pop_seed=args.seed, overwrite=True)
    stamp.write_text(json.dumps(spec))
    print(f"generated both sources in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    return folders


def run_slrt(data: Path, slrt: list[str]) -> tuple[Path, float]:
    out = data / "hasil"
    state = data / "hasil.state"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(state, ignore_errors=True)
    t = time.perf_counter()
    proc = subprocess.run([*slrt, "run", "-r", str(data / "register"), str(data / "desa"), "--out", str(out),
                           "--state", str(state), "--overwrite", "-q"], capture_output=True, text=True)
    wall = time.perf_counter() - t
    if proc.returncode not in (0, 1):
        sys.exit(f"slrt run on {data} failed ({proc.returncode}): {proc.stderr[-3000:]}")
    return out, wall


# ---- measurement ----------------------------------------------------------------------
def _has(tag_col: str, tags: tuple[str, ...]) -> pl.Expr:
    e = pl.lit(False)
    for t in tags:
        e = e | pl.col(tag_col).str.contains(t, literal=True)
    return e


def measure(data: Path, out: Path) -> dict:
    truth = pl.read_parquet(data / "truth.parquet").with_columns(
        pl.col("source_sheet").fill_null(""), pl.col("person_id").replace("", None), pl.col("noise").fill_null(""))
    truth = truth.with_columns(
        (~pl.col("noise").str.contains("reject:", literal=True)).alias("identifying"),
        pl.col("noise").str.contains("row:status_only", literal=True).alias("status_only"),
        pl.col("noise").str.contains("duplicate", literal=True).alias("dup"),
        (~_has("noise", NO_NIK_TAGS)).alias("nik_in_file"),
        (~_has("noise", NO_DATE_TAGS)).alias("date_in_file"),
    )
    rows = pl.read_parquet(out / "rows.parquet", columns=KEYS + ["status", "nik", "tanggal_lahir"]).with_columns(
        pl.col("source_sheet").fill_null(""))
    rec = pl.read_parquet(out / "reconciliation.parquet", columns=KEYS + ["outcome", "person_id"]).with_columns(
        pl.col("source_sheet").fill_null(""))
    j = truth.join(rows.rename({"nik": "r_nik", "tanggal_lahir": "r_date"}), on=KEYS, how="left") \
        .with_columns(pl.col("status").is_not_null().alias("read"))
    j = j.join(rec.rename({"person_id": "linked_id"}), on=KEYS, how="left")
    ident = j.filter(pl.col("identifying"))
    planned = j.filter(~pl.col("identifying"))
    links = rec.filter(pl.col("outcome") == "matched").join(
        truth.select(KEYS + [pl.col("person_id").alias("true_id")]), on=KEYS, how="left")
    tp = links.filter(pl.col("person_id") == pl.col("true_id")).height
    linkable = truth.filter(pl.col("person_id").is_not_null() & ~pl.col("dup") & pl.col("identifying")).height
    precision = tp / max(links.height, 1)
    recall = tp / max(linkable, 1)
    extra = rec.join(truth.select(KEYS), on=KEYS, how="anti")
    false_rej = ident.filter(pl.col("status") == "rejected").height

    files = json.loads((data / "files.json").read_text(encoding="utf-8"))
    per_file = []
    for f in files:
        fj = j.filter(pl.col("source_file") == f["path"])
        entry = {"path": f["path"], "format": f["format"], "rows": fj.height, "read": int(fj["read"].sum()),
                 "false_rejected": fj.filter(pl.col("identifying") & (pl.col("status") == "rejected")).height,
                 "lost": fj.filter(pl.col("outcome").is_null()).height}
        for field, col, present_col in (("nik", "r_nik", "nik_in_file"), ("tanggal_lahir", "r_date", "date_in_file")):
            spec = f["fields"].get(field)
            want = fj.filter(pl.col(present_col))
            got = want.filter(pl.col(col).is_not_null()).height
            share = got / want.height if want.height else None
            entry[field] = {
                "present": spec is not None, "title": spec["title"] if spec else None,
                "mode": spec["mode"] if spec else None, "share": share,
                "recognised": bool(spec is not None and share is not None and share >= 0.5),
            }
        per_file.append(entry)
    with_nik = [f for f in per_file if f["nik"]["present"]]
    with_date = [f for f in per_file if f["tanggal_lahir"]["present"]]
    return {
        "files": len(files),
        "rows_in": truth.height,
        "rows_read": int(j["read"].sum()),
        "identifying": ident.height,
        "false_rejected": false_rej,
        "false_rejected_pct": 100 * false_rej / max(ident.height, 1),
        "planned_rejected": planned.filter(pl.col("status") == "rejected").height,
        "planned": planned.height,
        "status_only_rejected": planned.filter(pl.col("status_only") & (pl.col("status") == "rejected")).height,
        "status_only": planned.filter(pl.col("status_only")).height,
        "absent_from_reconciliation": j.filter(pl.col("outcome").is_null()).height,
        "reconciliation_lines_not_in_truth": extra.height,
        "links": links.height,
        "precision": precision,
        "recall": recall,
        "f1": 2 * precision * recall / max(precision + recall, 1e-9),
        "review": rec.filter(pl.col("outcome") == "review").height,
        "files_nik_recognised": sum(f["nik"]["recognised"] for f in with_nik),
        "files_nik_present": len(with_nik),
        "files_date_recognised": sum(f["tanggal_lahir"]["recognised"] for f in with_date),
        "files_date_present": len(with_date),
        "per_file": per_file,
    }


# ---- printing -----------------------------------------------------------------------
def _short(s: str | None, n: int) -> str:
    if s is None:
        return "-"
    s = s.replace("\n", "\u23ce")
    return s if len(s) <= n else s[: n - 1] + "\u2026"


def print_summary(results: dict[str, dict]) -> None:
    names = list(results)
    lines = [
        ("files", lambda r: f"{r['files']}"),
        ("data rows in (truth)", lambda r: f"{r['rows_in']:,}"),
        ("rows read at their row", lambda r: f"{r['rows_read']:,}"),
        ("identifying rows", lambda r: f"{r['identifying']:,}"),
        ("falsely rejected", lambda r: f"{r['false_rejected']:,} ({r['false_rejected_pct']:.1f} %)"),
        ("unusable on purpose: rejected", lambda r: f"{r['planned_rejected']}/{r['planned']}"),
        ("  status-only rows: rejected", lambda r: f"{r['status_only_rejected']}/{r['status_only']}"),
        ("absent from reconciliation", lambda r: f"{r['absent_from_reconciliation']:,}"),
        ("reconciliation lines at no data row", lambda r: f"{r['reconciliation_lines_not_in_truth']:,}"),
        ("links (matched)", lambda r: f"{r['links']:,}"),
        ("link precision", lambda r: f"{r['precision']:.4f}"),
        ("link recall", lambda r: f"{r['recall']:.4f}"),
        ("link F1", lambda r: f"{r['f1']:.4f}"),
        ("review", lambda r: f"{r['review']:,}"),
        ("files: NIK recognised", lambda r: f"{r['files_nik_recognised']}/{r['files_nik_present']}"),
        ("files: birth date recognised", lambda r: f"{r['files_date_recognised']}/{r['files_date_present']}"),
        ("slrt run wall time", lambda r: f"{r['seconds']:.1f} s"),
    ]
    w0 = max(len(k) for k, _ in lines)
    print(f"\n{'':{w0}}  " + "  ".join(f"{n:>18}" for n in names))
    for label, fn in lines:
        print(f"{label:{w0}}  " + "  ".join(f"{fn(results[n]):>18}" for n in names))


def print_per_file(name: str, r: dict, only_misses: bool) -> None:
    rows = r["per_file"]
    if only_misses:
        rows = [f for f in rows if not (f["nik"]["recognised"] or not f["nik"]["present"])
                or not (f["tanggal_lahir"]["recognised"] or not f["tanggal_lahir"]["present"])
                or f["false_rejected"] or f["lost"]]
    print(f"\n== {name}: per file ({'files with a miss' if only_misses else 'all files'}; "
          "NIK / birth date: mode, title as written, share of filled cells found in rows.parquet)")
    print(f"{'file':44} {'fmt':4} {'rows':>4} {'read':>4} {'frej':>4} {'lost':>4}  {'NIK':36}  {'birth date':36}")

    def cell(x: dict) -> str:
        if not x["present"]:
            return "absent"
        share = "-" if x["share"] is None else f"{100 * x['share']:.0f}%"
        mark = "ok" if x["recognised"] else "MISS"
        return f"{mark:4} {share:>4} {x['mode'][:4]:4} {_short(x['title'], 20)}"

    for f in rows:
        print(f"{_short(f['path'], 44):44} {f['format']:4} {f['rows']:>4} {f['read']:>4} {f['false_rejected']:>4} "
              f"{f['lost']:>4}  {cell(f['nik']):36}  {cell(f['tanggal_lahir']):36}")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rows", type=int, default=3000, help="data rows per source (default 3000)")
    ap.add_argument("--files", type=int, default=20, help="files of the usual generator (default 20)")
    ap.add_argument("--wild-files", type=int, default=30, help="files of the wild source (default 30)")
    ap.add_argument("--register-persons", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7, help="register and usual generator seed")
    ap.add_argument("--wild-seed", type=int, default=9)
    ap.add_argument("--sources", default="generator,wild")
    ap.add_argument("--reuse", action="store_true", help="keep the files generated by the previous run")
    ap.add_argument("--all-files", action="store_true", help="per-file table of every file, not only misses")
    ap.add_argument("--json", type=Path, help="also write the figures to this JSON file")
    ap.add_argument("--slrt", help="command that runs slrt (default: the slrt next to this Python), e.g. "
                    "'env PYTHONPATH=/tmp/slrt_head python -m slrt_cli' to measure another checkout")
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    folders = generate(args)
    slrt = shlex.split(args.slrt) if args.slrt else [slrt_exe()]
    results = {}
    for name in args.sources.split(","):
        data = folders[name]
        out, wall = run_slrt(data, slrt)
        r = measure(data, out)
        r["seconds"] = wall
        results[name] = r
    print_summary(results)
    for name, r in results.items():
        print_per_file(name, r, only_misses=not args.all_files)
    if args.json:
        args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\n(total {time.perf_counter() - t0:.1f} s; outputs in {DATA}/<source>/hasil)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
