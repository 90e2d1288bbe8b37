"""Synthetic SLRT desk service logs (buku layanan Puskesos) with the truth of each visit's situation.

Visitors are drawn from a synthetic register extract (``sample_data/register/dtks.parquet`` or the
bench register): some are register people (by their NIK), some are made up here (names recombined
from the register's name parts, birth dates and NIK serials 9xxx that the register never uses), some
come without a usable NIK. Everyone is synthetic. The same seed gives the same files.

Two layouts, like two Puskesos: an .xlsx with title rows and the full column set, and a ``;`` CSV
with other titles and no category column (the category then comes from the complaint's words).

``truth.csv``: ``source_file``, ``source_row`` (as a spreadsheet shows it), ``person_id`` (empty
when not in the register), ``situasi`` (what slrt should say), ``kategori``.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

import polars as pl

#: category -> (programme, register flag, complaint texts): each text holds the category's keywords
NEEDS = {
    "kesehatan": ("PBI-JK", "pbi", ["anak sakit perlu berobat ke rumah sakit", "ibu stroke, tidak punya BPJS",
                                    "butuh biaya operasi di RSUD", "suami sakit TBC perlu obat"]),
    "pendidikan": ("PIP", "pip", ["anak putus sekolah karena biaya", "tidak mampu beli seragam SMP",
                                  "minta bantuan biaya sekolah anak SD"]),
    "bantuan_tunai": ("PKH", "pkh", ["tidak dapat bantuan PKH", "belum dapat bantuan padahal lansia",
                                     "minta didaftarkan PKH, ada balita"]),
    "pangan": ("BPNT", "bpnt", ["tidak ada beras untuk makan", "minta bantuan sembako"]),
    "adminduk": ("", "", ["tidak punya KTP", "akta kelahiran anak belum ada", "kartu keluarga hilang"]),
    "lainnya": ("", "", ["minta tolong", "konsultasi saja", "ingin bertanya"]),
}
OFFICE = {"kesehatan": "Dinkes", "pendidikan": "Disdik", "bantuan_tunai": "Dinsos", "pangan": "DINSOS",
          "adminduk": "Dukcapil", "lainnya": ""}
LABEL = {"kesehatan": "Kesehatan", "pendidikan": "Pendidikan", "bantuan_tunai": "PKH", "pangan": "Sembako",
         "adminduk": "KTP", "lainnya": "Lainnya"}
STATUSES = ["dirujuk", "diproses", "selesai", "ditolak"]
TITLE_A = ["NO", "TGL KUNJUNGAN", "NIK", "NO KK", "NAMA", "TGL LAHIR", "JENIS KELAMIN", "ALAMAT", "DESA", "KODE DESA",
           "KELUHAN", "KATEGORI", "DIRUJUK KE", "STATUS RUJUKAN", "TGL RUJUKAN", "TGL SELESAI"]
TITLE_B = ["Tanggal Datang", "NIK", "Nama Lengkap", "Tanggal Lahir", "Desa/Kelurahan", "Permasalahan", "Tujuan Rujukan",
           "Tindak Lanjut", "Tgl Selesai"]


@dataclass
class Written:
    out: Path
    files: list[str]
    visits: int
    truth: dict[str, int]


def generate_logs(register: Path, out: Path, *, visits: int = 60, files: int = 2, seed: int = 2025,
                  month: tuple[int, int] = (2025, 11), share_in: float = 0.6, share_no_nik: float = 0.1,
                  truth_path: Path | None = None, noise: float = 0.0) -> Written:
    """Write ``files`` service logs (alternating layouts) holding ``visits`` visits, and the truth
    (``truth_path``, default ``out/truth.csv``).

    ``noise``: the share of register visitors written as a desk writes them in a hurry, one slip
    each (a misspelt or old-spelling name, one NIK digit off, day and month swapped), so that the
    matcher's other stages are exercised (the sample has none: it stays as committed).
    """
    rng = random.Random(seed)
    reg = pl.read_parquet(register, columns=None)
    flags = [c for c in ("pkh", "bpnt", "pbi", "pip") if c in reg.columns]
    reg = reg.filter(pl.col("nik").is_not_null() & pl.col("nama").is_not_null() & pl.col("tanggal_lahir").is_not_null())
    reg = reg.filter(pl.col("nik").is_unique())
    pool = reg.sample(n=min(reg.height, max(visits * 2, 50)), seed=seed, shuffle=True)
    people = pool.to_dicts()
    parts = [w for n in pool["nama"].head(2000).to_list() for w in str(n).split() if len(w) > 2]
    used_niks = set(pool["nik"].to_list())
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    recent: list[dict] = []
    for i in range(visits):
        day = dt.date(month[0], month[1], 1 + rng.randrange(28))
        kind = rng.random()
        cat = rng.choice(list(NEEDS))
        if kind < share_no_nik:
            p = _made_up(rng, parts, people, used_niks)
            p["nik"] = rng.choice(["", "", p["nik"][:15]])  # none, or 15 digits (Excel ate one)
            situ, pid = "perlu_adminduk", ""
        elif kind < share_no_nik + share_in:
            p = dict(rng.choice(recent)) if recent and rng.random() < 0.05 else dict(people[i % len(people)])
            recent.append(p)
            if noise and rng.random() < noise:
                p = _slip(p, rng)
            prog, flag, _ = NEEDS[cat]
            if not prog:
                situ = "lainnya"
            elif flag in flags:
                situ = "sudah_menerima" if str(p.get(flag)) in ("1", "true", "True") else "belum_menerima"
            else:
                situ = "belum_menerima"
            pid = p["person_id"]
        else:
            p = _made_up(rng, parts, people, used_niks)
            situ, pid = "bukan_dtks", ""
        status = rng.choices(STATUSES, weights=[5, 2, 3, 1])[0] if OFFICE[cat] else ""
        closed = day + dt.timedelta(days=rng.randrange(1, 30)) if status in ("selesai", "ditolak") else None
        rows.append({"p": p, "day": day, "cat": cat, "text": rng.choice(NEEDS[cat][2]), "status": status,
                     "closed": closed, "situasi": situ, "person_id": pid})
    rows.sort(key=lambda r: r["day"])
    names, truth = [], []
    per = -(-visits // files)
    for f in range(files):
        chunk = rows[f * per:(f + 1) * per]
        if not chunk:
            break
        if f % 2 == 0:
            name = f"BUKU_LAYANAN_PUSKESOS_{f + 1:02d}_{month[0]}_{month[1]:02d}.xlsx"
            _write_xlsx(out / name, chunk, rng)
            first = 4
        else:
            name = f"layanan_puskesos_{f + 1:02d}.csv"
            _write_csv(out / name, chunk)
            first = 2
        names.append(name)
        truth += [{"source_file": name, "source_row": first + j, "person_id": r["person_id"], "situasi": r["situasi"],
                   "kategori": r["cat"]} for j, r in enumerate(chunk)]
    truth_path = truth_path or out / "truth.csv"
    with truth_path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(truth[0]))
        w.writeheader()
        w.writerows(truth)
    counts: dict[str, int] = {}
    for r in truth:
        counts[r["situasi"]] = counts.get(r["situasi"], 0) + 1
    return Written(out, names, len(truth), counts)


def _slip(p: dict, rng: random.Random) -> dict:
    """One slip of the pen on a register visitor's values (the person stays the same)."""
    from slrt_synth import noise as nz

    p = dict(p)
    kind = rng.choice(("name", "name", "nik", "date"))
    if kind == "name":
        p["nama"] = nz.old_spelling(p["nama"], rng) or nz.typo(p["nama"], rng) or p["nama"]
    elif kind == "nik":
        p["nik"] = nz.digit_off(str(p["nik"]), rng)
    else:
        born = p["tanggal_lahir"]
        p["tanggal_lahir"] = nz.swapped(born) or born
    return p


def _made_up(rng: random.Random, parts: list[str], people: list[dict], used: set[str]) -> dict:
    """A person not in the register: a recombined name, a birth date, a NIK with a 9xxx serial."""
    like = rng.choice(people)
    born = dt.date(rng.randrange(1950, 2005), rng.randrange(1, 13), rng.randrange(1, 29))
    female = rng.random() < 0.5
    region = str(like["nik"])[:6]
    while True:
        nik = f"{region}{born.day + (40 if female else 0):02d}{born.month:02d}{born.year % 100:02d}{rng.randrange(9000, 10000):04d}"
        if nik not in used:
            used.add(nik)
            break
    name = f"{rng.choice(parts)} {rng.choice(parts)} SINTETIS"
    return {"nik": nik, "no_kk": "", "nama": name, "tanggal_lahir": born, "jenis_kelamin": "2" if female else "1",
            "alamat": like.get("alamat"), "nama_desa": like.get("nama_desa"), "kode_desa": like.get("kode_desa")}


def _values(r: dict) -> dict:
    p = r["p"]
    born = p["tanggal_lahir"]
    return {"nik": p.get("nik") or "", "no_kk": p.get("no_kk") or "", "nama": p["nama"],
            "lahir": born.strftime("%d/%m/%Y") if born else "", "sex": {"1": "L", "2": "P"}.get(str(p.get("jenis_kelamin")), ""),
            "alamat": p.get("alamat") or "", "desa": p.get("nama_desa") or "", "kode": p.get("kode_desa") or ""}


def _write_xlsx(path: Path, chunk: list[dict], rng: random.Random) -> None:
    import xlsxwriter

    from slrt_synth.writers import FIXED_TIME

    wb = xlsxwriter.Workbook(str(path))
    wb.set_properties({"created": FIXED_TIME, "author": "Puskesos", "title": "Buku layanan (sintetis)"})
    ws = wb.add_worksheet("LAYANAN")
    text = wb.add_format({"num_format": "@"})
    date = wb.add_format({"num_format": "dd/mm/yyyy"})
    ws.write_string(0, 0, "BUKU REGISTER LAYANAN PUSKESOS (DATA SINTETIS)")
    ws.write_string(1, 0, "Semua orang di berkas ini fiktif / everyone in this file is made up")
    for j, title in enumerate(TITLE_A):
        ws.write_string(2, j, title)
    for i, r in enumerate(chunk, start=3):
        v = _values(r)
        cat = r["cat"]
        written_cat = LABEL[cat] if rng.random() < 0.7 else ""
        cells = [str(i - 2), r["day"], v["nik"], v["no_kk"], v["nama"], v["lahir"], v["sex"], v["alamat"], v["desa"],
                 v["kode"], r["text"], written_cat, OFFICE[cat], r["status"], r["day"], r["closed"]]
        for j, c in enumerate(cells):
            if isinstance(c, dt.date):
                ws.write_datetime(i, j, dt.datetime(c.year, c.month, c.day), date)
            elif c:
                ws.write_string(i, j, str(c), text)
    wb.close()


def _write_csv(path: Path, chunk: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8-sig") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(TITLE_B)
        for r in chunk:
            v = _values(r)
            w.writerow([r["day"].strftime("%d-%m-%Y"), v["nik"], v["nama"], v["lahir"], v["desa"], r["text"],
                        OFFICE[r["cat"]], r["status"], r["closed"].strftime("%d-%m-%Y") if r["closed"] else ""])


SAMPLE_README = """# sample_data/layanan: synthetic SLRT desk service logs

**Everyone here is synthetic.** Visitors in the register are people of `../register/dtks.parquet`
(themselves synthetic); visitors not in it were made up by `python -m slrt_synth layanan`
(names recombined from the register's name parts, with the word `SINTETIS`; NIK serials 9xxx).

- `buku/BUKU_LAYANAN_PUSKESOS_01_2025_11.xlsx`: 2 title rows, header on row 3, category column filled on most rows.
- `buku/layanan_puskesos_02.csv`: `;` CSV, UTF-8 with BOM, other titles, no category column (the complaint's words decide).
- `truth.csv`: per visit (`source_file`, `source_row`), the register `person_id` (empty when not in it), the `situasi`
  slrt should give and the category the generator used.

Regenerated with the rest of `sample_data/` by `python tools/make_sample_data.py` (slrt_synth.layanan.write_sample);
more visits: `python -m slrt_synth layanan --register sample_data/register/dtks.parquet --out DIR --visits 500`.
"""


def write_sample(out: Path) -> Written:
    """The bundled sample's desk logs: ``<out>/layanan/buku/`` (two logs, 64 visits), ``truth.csv``, README."""
    import shutil

    folder = out / "layanan"
    shutil.rmtree(folder, ignore_errors=True)
    (folder / "buku").mkdir(parents=True)
    done = generate_logs(out / "register" / "dtks.parquet", folder / "buku", visits=64, files=2, seed=2025,
                         truth_path=folder / "truth.csv")
    (folder / "README.md").write_text(SAMPLE_README, encoding="utf-8")
    return done
