"""In-memory synthetic batch / register / truth for matcher tests and benchmarks.

Uses the population and noise of :mod:`slrt_synth` (not its file writers)
and turns each record into the canonical row validation would produce (what
an Excel number does to a NIK included), so the matcher can be measured
without reading files. Synthetic people only.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

import polars as pl

from slrt_synth.batch import BatchBuilder, FilePlan
from slrt_synth.population import build_population
from slrt_synth.styles import random_style
from slrt_synth.writers import register_canonical

SNAPSHOT = dt.date(2025, 6, 30)
BATCH_DATE = dt.date(2025, 10, 20)
_SHDK_TO_BDT = {1: "1", 2: "2", 3: "2", 4: "3", 5: "4", 6: "5", 7: "6", 8: "6", 9: "8", 10: "7", 11: "8"}
_PLACEHOLDERS = {dt.date(1900, 1, 1), dt.date(1970, 1, 1)}

BATCH_SCHEMA = {
    "source_file": pl.Utf8,
    "source_sheet": pl.Utf8,
    "source_row": pl.Int64,
    "status": pl.Utf8,
    "nik": pl.Utf8,
    "no_kk": pl.Utf8,
    "nik_numeric": pl.Boolean,
    "no_kk_numeric": pl.Boolean,
    "nama": pl.Utf8,
    "tanggal_lahir": pl.Date,
    "jenis_kelamin": pl.Utf8,
    "hub_kk": pl.Utf8,
    "hub_krt": pl.Utf8,
    "nama_ibu_kandung": pl.Utf8,
    "alamat": pl.Utf8,
    "rt": pl.Utf8,
    "rw": pl.Utf8,
    "kode_desa": pl.Utf8,
    "kode_kec": pl.Utf8,
    "kode_kab": pl.Utf8,
    "status_verivali": pl.Utf8,
    "household_id": pl.Utf8,
    "person_id": pl.Utf8,
}


@dataclass
class LinkData:
    """A register, a batch of village rows and the truth (batch row -> true person_id or None)."""

    register: pl.DataFrame
    batch: pl.DataFrame
    truth: pl.DataFrame  # source_file, source_sheet, source_row, true_person_id, noise, truth_status


def _digits(value: object) -> str | None:
    if value is None:
        return None
    s = str(value).strip().lstrip("'")
    return s if s and s != "-" else None


def _identifier(value: object, tags: list[str], kind: str) -> tuple[str | None, bool]:
    s = _digits(value)
    if s is None:
        return None, False
    if f"{kind}:scientific" in tags:  # 3.20414E+15: six significant digits survive
        return (s.replace(",", ".").split("E")[0].replace(".", "") + "0" * 16)[:16], True
    if f"{kind}:excel_number" in tags and s.isdigit():
        return (s[:15] + "0" if len(s) >= 16 else s), True
    return s, False


def _row(rec, plan: FilePlan, i: int) -> dict:
    obs, tags, fields = rec.obs, rec.noise, plan.style.fields
    nik, nik_num = _identifier(obs.get("nik"), tags, "nik") if "nik" in fields else (None, False)
    kk, kk_num = _identifier(obs.get("no_kk"), tags, "kk") if "no_kk" in fields else (None, False)
    birth = obs.get("tanggal_lahir") if "tanggal_lahir" in fields else None
    birth = birth if isinstance(birth, dt.date) and birth not in _PLACEHOLDERS else None
    sex = obs.get("jenis_kelamin")
    hub_kk = hub_krt = None
    for col in plan.style.columns:
        if col.field == "hub_kk":
            hub_kk = _SHDK_TO_BDT.get(obs.get("shdk")) if col.codelist == "shdk" else str(obs.get("hub_kk"))
        elif col.field == "hub_krt":
            hub_krt = str(obs.get("hub_krt"))
    name = obs.get("nama")
    mother = obs.get("nama_ibu_kandung") if "nama_ibu_kandung" in fields else None
    rejected = any(t.startswith("reject:") for t in tags) or (birth is not None and birth > BATCH_DATE)
    return {
        "source_file": plan.rel_path,
        "source_sheet": "Sheet1",
        "source_row": i + 2,
        "status": "rejected" if rejected else "accepted",
        "nik": nik,
        "no_kk": kk,
        "nik_numeric": nik_num,
        "no_kk_numeric": kk_num,
        "nama": " ".join(str(name).upper().split()) if name else None,
        "tanggal_lahir": birth,
        "jenis_kelamin": str(sex) if sex in (1, 2) and "jenis_kelamin" in fields else None,
        "hub_kk": hub_kk,
        "hub_krt": hub_krt,
        "nama_ibu_kandung": " ".join(mother.upper().split()) or None if mother and mother != "-" else None,
        "alamat": obs.get("alamat") if "alamat" in fields else None,
        "rt": obs.get("rt") if "rt" in fields else None,
        "rw": obs.get("rw") if "rw" in fields else None,
        "kode_desa": plan.desa,
        "kode_kec": plan.desa[:6],
        "kode_kab": plan.desa[:4],
        "status_verivali": obs.get("status_verivali"),
        "household_id": obs.get("household_id") if "household_id" in fields else None,
        "person_id": obs.get("person_id") if "person_id" in fields else None,
    }


def link_data(
    register_persons: int, batch_rows: int, seed: int = 7, kab: str = "3201", files: int | None = None, jobs: int = 1,
    desa_count: int | None = None,
) -> LinkData:
    """Build a synthetic register and a month of village rows with the truth.

    Example:
        >>> d = link_data(5000, 500)  # doctest: +SKIP
        >>> d.batch.height == d.truth.height == 500  # doctest: +SKIP
    """
    desa = None
    if desa_count:  # a small register in a few desa: the villages' rows find their people
        from slrt_synth.population import Geography

        codes = sorted(Geography.load(kab).desa)
        desa = random.Random(seed + 2).sample(codes, min(desa_count, len(codes)))
    pop = build_population(kab, register_persons, seed, SNAPSHOT, desa=desa, jobs=jobs)
    register = register_canonical(pop.df, pop.geo)
    rng = random.Random(seed + 1)
    n_files = files or max(1, batch_rows // 250)
    desa_pool = sorted(desa) if desa else sorted(pop.geo.desa)
    rng.shuffle(desa_pool)
    n_second = n_files // 10
    firsts = desa_pool[: max(1, n_files - n_second)]
    desa_of_file = (firsts + firsts[:n_second])[:n_files]
    weights = [rng.lognormvariate(0, 0.5) for _ in desa_of_file]
    sizes = [max(1, int(batch_rows * w / sum(weights))) for w in weights]
    sizes[0] += batch_rows - sum(sizes)
    builder = BatchBuilder(pop, seed + 100, BATCH_DATE, level=1.0)
    rows, truth, missing, first = [], [], [], {}
    for k, (desa, n) in enumerate(zip(desa_of_file, sizes)):
        style = random_style(rng, f"f{k:03d}", "OKTOBER 2025", pop.geo.desa[desa], pop.geo.kecamatan[desa[:6]])
        plan = FilePlan(rel_path=f"{desa}/verivali_{k:03d}.xlsx", desa=desa, style=style)
        builder.fill(plan, n, missing, copies_from=first[desa].records if desa in first else ())
        first.setdefault(desa, plan)
        for i, rec in enumerate(plan.records):
            row = _row(rec, plan, i)
            rows.append(row)
            truth.append(
                {
                    "source_file": row["source_file"],
                    "source_sheet": row["source_sheet"],
                    "source_row": row["source_row"],
                    "true_person_id": rec.person_id or None,
                    "truth_status": rec.status,
                    "noise": ";".join(rec.noise),
                }
            )
    batch = pl.DataFrame(rows, schema=BATCH_SCHEMA)
    return LinkData(register, batch, pl.DataFrame(truth, schema_overrides={"source_row": pl.Int64}))
