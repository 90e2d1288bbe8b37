"""Generate the bundled sample and benchmark data sets (register + village files + truth)."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context
from pathlib import Path

from slrt_synth import readme
from slrt_synth.batch import BatchBuilder, FilePlan, missing_rows
from slrt_synth.layouts import FileContext, SheetGrid, layout, render_cell
from slrt_synth.population import Population, build_population
from slrt_synth.styles import random_style, sample_styles
from slrt_synth.writers import (
    TRUTH_COLUMNS,
    write_register_parquet,
    write_siksng_csv,
    write_truth_csv,
    write_truth_parquet,
    write_village_file,
)

SNAPSHOT = dt.date(2025, 6, 30)  # date of the register extract
BATCH_DATE = dt.date(2025, 10, 20)  # the month's verification round
MONTH = "OKTOBER 2025"
SIGN_DATE = "20 Oktober 2025"
SAMPLE_SEED = 2025
BENCH_SEED = 7


@dataclass
class Written:
    """What was generated: counts and where each record landed."""

    out: Path
    register_persons: int = 0
    register_households: int = 0
    files: list[dict] = field(default_factory=list)  # per file: path, format, sheets, header rows, rows
    truth: list[dict] = field(default_factory=list)
    missing: list[dict] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def data_rows(self) -> int:
        return len(self.truth)


def _folder(name: str) -> str:
    return name.upper().replace(" ", "_")


def _context(builder: BatchBuilder, pop: Population, desa: str) -> FileContext:
    rng = builder.shard.rng
    names = builder.shard.names
    return FileContext(
        desa=pop.geo.desa[desa], kecamatan=pop.geo.kecamatan[desa[:6]], kabupaten=pop.geo.kab_name,
        month=MONTH, sign_date=SIGN_DATE,
        kades=("H. " if rng.random() < 0.5 else "") + names.name("SUNDA", 1, 1972),
        operator=names.name("SUNDA", rng.randint(1, 2), 1994),
    )


def _render(plan: FilePlan, ctx: FileContext, rng: random.Random) -> list[SheetGrid]:
    cols = plan.style.columns
    rows = [[render_cell(c, rec.obs, plan.style, rng, 0) for c in cols] for rec in plan.records]
    rws = [rec.person["rw"] for rec in plan.records]
    return layout(plan.style, rows, rws, ctx, rng)


def _truth_rows(plan: FilePlan, sheets: list[SheetGrid]) -> list[dict]:
    out = []
    csv = plan.style.fmt == "csv"
    for g in sheets:
        for i, row_no in g.data_rows:
            rec = plan.records[i]
            out.append({
                "source_file": plan.rel_path, "source_sheet": "" if csv else g.name, "source_row": row_no,
                "person_id": rec.person_id, "household_id": rec.household_id, "truth_status": rec.status,
                "noise": ";".join(rec.noise),
            })
    return out


def _file_info(plan: FilePlan, sheets: list[SheetGrid]) -> dict:
    data = [g for g in sheets if g.data_rows]
    return {
        "path": plan.rel_path, "format": plan.style.fmt, "desa": plan.desa,
        "sheets": [g.name for g in data] if plan.style.fmt != "csv" else [""],
        "extra_sheets": [g.name for g in sheets if not g.data_rows],
        "header_rows": list(data[0].header_rows) if data else [],
        "rows": len(plan.records), "style": plan.style,
    }


def _write_one(args: tuple) -> str:
    path, style, sheets = args
    write_village_file(path, style, sheets)
    return str(path)


def _prepare(out: Path, overwrite: bool) -> None:
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise FileExistsError(f"{out} is not empty (use --overwrite)")
        for name in ("register", "desa", "layanan"):
            shutil.rmtree(out / name, ignore_errors=True)
        for name in ("truth.csv", "truth.parquet", "truth_missing.csv", "truth_missing.parquet", "README.md",
                     "manifest.json"):
            (out / name).unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def _pick_sample_desa(pop_geo_desa: dict[str, str], kecs: list[str]) -> list[str]:
    picked = []
    for kec in kecs:
        codes = sorted(c for c in pop_geo_desa if c.startswith(kec))
        desa = [c for c in codes if c[6] == "2"][:2]
        kel = [c for c in codes if c[6] != "2"][:1]
        picked.extend(list(dict.fromkeys(desa + kel + codes))[:3])
    return picked


def generate_sample(out: Path, seed: int = SAMPLE_SEED, kab: str = "3201", persons: int = 3000,
                    overwrite: bool = False) -> Written:
    """Write the bundled sample: register (SIKS-NG CSV + Parquet), ten village files, truth, README.

    Example:
        >>> generate_sample(Path("sample_data"), overwrite=True)  # doctest: +SKIP
    """
    t0 = time.perf_counter()
    out = Path(out)
    _prepare(out, overwrite)
    from slrt_synth.population import Geography

    geo = Geography.load(kab)
    kecs = [k for k in sorted(geo.kecamatan) if sum(c.startswith(k) for c in geo.desa) >= 3][:4]
    register_desa = _pick_sample_desa(geo.desa, kecs)
    pop = build_population(kab, persons, seed, SNAPSHOT, desa=register_desa)
    visited = [c for i, c in enumerate(register_desa) if i % 3 != 2][:8]
    builder = BatchBuilder(pop, seed + 100, BATCH_DATE, level=2.5, random_rejects=False)
    styles = sample_styles([geo.desa[c] for c in visited], [geo.kecamatan[c[:6]] for c in visited], MONTH)
    written = Written(out=out, register_persons=len(pop), register_households=pop.n_households)
    missing: list[dict] = []
    first_plan: dict[int, FilePlan] = {}
    render_rng = random.Random(seed + 200)
    for desa_idx, n_rows, style in styles:
        desa = visited[desa_idx]
        plan = FilePlan(rel_path=f"{_folder(geo.kecamatan[desa[:6]])}/{style.name}", desa=desa, style=style)
        builder.fill(plan, n_rows, missing, copies_from=first_plan[desa_idx].records if desa_idx in first_plan else ())
        first_plan.setdefault(desa_idx, plan)
        sheets = _render(plan, _context(builder, pop, desa), render_rng)
        write_village_file(out / "desa" / plan.rel_path, style, sheets)
        written.truth.extend(_truth_rows(plan, sheets))
        written.files.append(_file_info(plan, sheets))
    write_siksng_csv(out / "register" / "dtks_siksng.csv", pop.df, geo)
    write_register_parquet(out / "register" / "dtks.parquet", pop.df, geo)
    written.truth.sort(key=lambda r: (r["source_file"], r["source_sheet"], r["source_row"]))
    write_truth_csv(out / "truth.csv", written.truth)
    written.missing = missing_rows(missing, {r["person_id"] for r in written.truth})
    write_truth_csv(out / "truth_missing.csv", written.missing or [{"person_id": "", "household_id": "", "kode_desa": ""}][:0])
    (out / "README.md").write_text(readme.sample_readme(written, pop, seed, kab), encoding="utf-8")
    from slrt_synth.layanan import write_sample  # the SLRT desk's service logs (slrt layanan)

    write_sample(out)
    written.seconds["total"] = time.perf_counter() - t0
    return written


def generate_bench(out: Path, files: int = 100, rows: int = 100_000, register_persons: int = 1_000_000,
                   seed: int = BENCH_SEED, kab: str = "3201", jobs: int = 2, siksng: bool = False,
                   overwrite: bool = False, noise: float = 1.0) -> Written:
    """Write a benchmark data set: register Parquet, ``files`` village files with ``rows`` rows in total, truth.

    ``noise`` multiplies the noise rates (1.0 realistic for a clean month; about 4 gives a month as
    messy as real ones, with most rows flagged). The result depends on the arguments and the seed,
    not on ``jobs``.
    """
    times: dict[str, float] = {}
    t0 = time.perf_counter()
    out = Path(out)
    _prepare(out, overwrite)
    pop = build_population(kab, register_persons, seed, SNAPSHOT, jobs=jobs)
    times["population"] = time.perf_counter() - t0
    geo = pop.geo
    rng = random.Random(seed + 1)
    desa_pool = sorted(geo.desa)
    rng.shuffle(desa_pool)
    n_second = files // 10
    firsts = desa_pool[: files - n_second]
    desa_of_file = firsts + firsts[:n_second]
    weights = [rng.lognormvariate(0, 0.5) for _ in range(files)]
    sizes = [max(1, int(rows * w / sum(weights))) for w in weights]
    sizes[0] += rows - sum(sizes)
    builder = BatchBuilder(pop, seed + 100, BATCH_DATE, level=noise)
    written = Written(out=out, register_persons=len(pop), register_households=pop.n_households)
    missing: list[dict] = []
    first_plan: dict[str, FilePlan] = {}
    render_rng = random.Random(seed + 200)
    tasks = []
    for i, (desa, n) in enumerate(zip(desa_of_file, sizes)):
        second = desa in first_plan
        name = f"{'susulan_' if second else ''}verivali_{geo.desa[desa].lower().replace(' ', '_')}_{i:03d}"
        style = random_style(rng, name, MONTH, geo.desa[desa], geo.kecamatan[desa[:6]])
        style.name = f"{name}.{style.fmt}"
        plan = FilePlan(rel_path=f"{_folder(geo.kecamatan[desa[:6]])}/{style.name}", desa=desa, style=style)
        builder.fill(plan, n, missing, copies_from=first_plan[desa].records if second else ())
        first_plan.setdefault(desa, plan)
        sheets = _render(plan, _context(builder, pop, desa), render_rng)
        tasks.append((out / "desa" / plan.rel_path, style, sheets))
        written.truth.extend(_truth_rows(plan, sheets))
        written.files.append(_file_info(plan, sheets))
        plan.records = []  # free memory
    times["batch"] = time.perf_counter() - t0 - times["population"]
    t1 = time.perf_counter()
    if jobs > 1:
        with ProcessPoolExecutor(jobs, mp_context=get_context("spawn")) as ex:
            list(ex.map(_write_one, tasks, chunksize=4))
    else:
        for t in tasks:
            _write_one(t)
    times["write_files"] = time.perf_counter() - t1
    t1 = time.perf_counter()
    write_register_parquet(out / "register" / "dtks.parquet", pop.df, geo)
    if siksng:
        write_siksng_csv(out / "register" / "dtks_siksng.csv", pop.df, geo)
    written.truth.sort(key=lambda r: (r["source_file"], r["source_sheet"], r["source_row"]))
    write_truth_parquet(out / "truth.parquet", written.truth, TRUTH_COLUMNS)
    written.missing = missing_rows(missing, {r["person_id"] for r in written.truth})
    write_truth_parquet(out / "truth_missing.parquet", written.missing, ("person_id", "household_id", "kode_desa"))
    times["write_register_truth"] = time.perf_counter() - t1
    times["total"] = time.perf_counter() - t0
    written.seconds = times
    manifest = {
        "kind": "bench", "seed": seed, "kab": kab, "files": files, "rows": rows,
        "register_persons": register_persons, "noise": noise, "data_rows_written": written.data_rows,
        "files_by_format": {f: sum(1 for x in written.files if x["format"] == f) for f in ("xlsx", "xls", "csv")},
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return written
