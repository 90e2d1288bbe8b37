"""A synthetic month of several kabupaten (synthetic people only): a national register slice, the
villages' validated rows of every district, and persons who moved or were proposed twice.

- each kabupaten gets its own population and month (:func:`slrt_synth.linkage.link_data`);
- **movers**: register persons of one kabupaten written by a village of another (their NIK, name
  and birth date, a new address), in a file ``<kab>/pindahan.xlsx``;
- **cross-district duplicates**: rows of one district's month written again by a village of
  another district (``<kab>/ganda.xlsx``), and newborns (not in the register) proposed by two
  districts at once.

:func:`write_register_dataset` writes the register the way Pusdatin hands it over: Parquet files
partitioned by province and kabupaten.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from slrt_synth.linkage import BATCH_SCHEMA, link_data

KABUPATEN = ("3201", "3204", "3273", "3302", "3578")


@dataclass
class NationalData:
    register: pl.DataFrame
    batch: pl.DataFrame
    movers: pl.DataFrame  # source_file, source_row, person_id, kab_asal, kab_baru
    cross: pl.DataFrame  # source_file_a, source_row_a, source_file_b, source_row_b, person_id (None: newborn)


def _extra_row(file: str, row: int, values: dict, desa: str) -> dict:
    out = {k: None for k in BATCH_SCHEMA}
    out.update(values)
    out.update(source_file=file, source_sheet="Sheet1", source_row=row, status="accepted", kode_desa=desa,
               kode_kec=desa[:6], kode_kab=desa[:4], person_id=None, household_id=None,
               nik_numeric=False, no_kk_numeric=False)
    return out


def national_month(kabs: tuple[str, ...] = KABUPATEN[:3], persons: int = 4000, rows: int = 300, seed: int = 11,
                   movers: int = 8, cross: int = 8, newborns: int = 3, desa_count: int | None = 6,
                   quiet: tuple[str, ...] = ()) -> NationalData:
    """Several districts' month against one register of all of them; ``quiet``: kabupaten in the
    register whose villages sent nothing this month."""
    rng = random.Random(seed)
    registers, batches = [], []
    for i, kab in enumerate(sorted((*kabs, *quiet))):
        d = link_data(persons, rows, seed=seed + i, kab=kab, desa_count=desa_count)
        registers.append(d.register)
        if kab in kabs:
            batches.append(d.batch.with_columns((pl.lit(f"{kab}/") + pl.col("source_file")).alias("source_file")))
    register = pl.concat(registers, how="vertical_relaxed")
    batch = pl.concat(batches, how="vertical_relaxed")
    kab_list = sorted(kabs)
    desa_of = {k: sorted(register.filter(pl.col("kode_kab") == k)["kode_desa"].unique().to_list()) for k in kab_list}
    person_cols = ["nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "nama_ibu_kandung"]
    extra, moved, twice = [], [], []
    next_row: dict[str, int] = {}

    def add(file: str, values: dict, desa: str) -> int:
        row = next_row.get(file, 1) + 1
        next_row[file] = row
        extra.append(_extra_row(file, row, values, desa))
        return row

    seen_pids = set(batch["person_id"].drop_nulls().to_list())
    for _ in range(movers):
        origin, dest = rng.sample(kab_list, 2)
        pool = register.filter((pl.col("kode_kab") == origin) & pl.col("nik").is_not_null()
                               & ~pl.col("person_id").is_in(sorted(seen_pids)))
        person = pool.row(rng.randrange(pool.height), named=True)
        seen_pids.add(person["person_id"])
        values = {c: person[c] for c in person_cols} | {"no_kk": None, "hub_kk": "1", "status_verivali": "PINDAH"}
        file = f"{dest}/pindahan.xlsx"
        row = add(file, values, rng.choice(desa_of[dest]))
        moved.append({"source_file": file, "source_row": row, "person_id": person["person_id"],
                      "kab_asal": origin, "kab_baru": dest})
    linked = batch.filter(pl.col("nik").is_not_null() & (pl.col("status") == "accepted"))
    for _ in range(cross):
        a = linked.row(rng.randrange(linked.height), named=True)
        dest = rng.choice([k for k in kab_list if k != a["kode_kab"]])
        values = {c: a[c] for c in person_cols} | {"hub_kk": a["hub_kk"], "status_verivali": a["status_verivali"]}
        file = f"{dest}/ganda.xlsx"
        row = add(file, values, rng.choice(desa_of[dest]))
        twice.append({"source_file_a": a["source_file"], "source_row_a": a["source_row"], "source_file_b": file,
                      "source_row_b": row})
    for j in range(newborns):
        ka, kb = rng.sample(kab_list, 2)
        desa = rng.choice(desa_of[ka])
        nik = f"{desa[:6]}{rng.randint(1, 28):02d}0926{9000 + j:04d}"
        values = {"nik": nik, "nama": f"BAYI {rng.choice(['PUTRI', 'PUTRA'])} {rng.choice(['AMALIA', 'RIZKI', 'NUR'])}",
                  "tanggal_lahir": None, "jenis_kelamin": "2", "hub_kk": "3", "status_verivali": "USULAN_BARU",
                  "nama_ibu_kandung": "SITI AMINAH"}
        ra = add(f"{ka}/ganda.xlsx", values, desa)
        rb = add(f"{kb}/ganda.xlsx", values, rng.choice(desa_of[kb]))
        twice.append({"source_file_a": f"{ka}/ganda.xlsx", "source_row_a": ra, "source_file_b": f"{kb}/ganda.xlsx",
                      "source_row_b": rb})
    batch = pl.concat([batch, pl.DataFrame(extra, schema=BATCH_SCHEMA)], how="vertical_relaxed")
    return NationalData(register, batch, pl.DataFrame(moved), pl.DataFrame(twice))


def write_register_dataset(register: pl.DataFrame, out: str | Path, files_per_kab: int = 1) -> Path:
    """The register as Parquet files ``kode_prov=PP/kode_kab=KKKK/part-N.parquet`` (every column kept)."""
    out = Path(out)
    for (kab,), part in sorted(register.partition_by("kode_kab", as_dict=True, maintain_order=True).items()):
        folder = out / f"kode_prov={str(kab)[:2]}" / f"kode_kab={kab}"
        folder.mkdir(parents=True, exist_ok=True)
        size = -(-part.height // files_per_kab)
        for n in range(files_per_kab):
            part.slice(n * size, size).write_parquet(folder / f"part-{n}.parquet")
    return out


def write_district_batches(batch: pl.DataFrame, root: str | Path) -> Path:
    """Each district's rows as its own run folder, ``<root>/<kab>/rows.parquet`` (the source file
    names without the ``<kab>/`` prefix :func:`national_month` gives them), as `slrt nasional` reads them."""
    root = Path(root)
    district = pl.col("source_file").str.splitn("/", 2)
    b = batch.with_columns(district.struct.field("field_0").alias("_d"),
                           district.struct.field("field_1").alias("source_file"))
    for (d,), part in sorted(b.partition_by("_d", as_dict=True).items()):
        (root / d).mkdir(parents=True, exist_ok=True)
        part.drop("_d").write_parquet(root / d / "rows.parquet")
    return root
