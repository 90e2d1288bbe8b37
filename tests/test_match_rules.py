"""Matching rules on small hand-made cases (slrt_cli.match).

Each case adds a few hand-made people to a small synthetic register (so that the
weights and the prior are those of a realistic population) and checks one rule.
Synthetic people only.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random

import polars as pl
import pytest

from slrt_cli.match import OUTPUT_COLUMNS, MatchSettings, estimate, match, match_partition, reasons_as_json
from slrt_synth.population import build_population
from slrt_synth.writers import register_canonical

KEY = ["source_file", "source_sheet", "source_row"]
DESA = "3201012001"  # a desa of Kabupaten Bogor (first kecamatan)
KEC = DESA[:6]

REGISTER_COLUMNS = [
    "person_id",
    "household_id",
    "no_kk",
    "nik",
    "nama",
    "tanggal_lahir",
    "jenis_kelamin",
    "hub_kk",
    "nama_ibu_kandung",
    "alamat",
    "rt",
    "rw",
    "kode_desa",
    "kode_kec",
    "kode_kab",
]


def nik(birth: dt.date, sex: int, serial: int, kec: str = KEC) -> str:
    """A structurally valid NIK (serials from 9000 do not collide with the background)."""
    day = birth.day + (40 if sex == 2 else 0)
    return f"{kec}{day:02d}{birth:%m%y}{serial:04d}"


def kk(serial: int, kec: str = KEC) -> str:
    return f"{kec}150320{serial:04d}"


def person(
    pid,
    hid,
    no_kk,
    nik_,
    nama,
    birth,
    sex,
    hub="3",
    ibu="SITI MARYAM",
    desa=DESA,
    alamat="KP. SUKAMAJU",
    rt="001",
    rw="002",
) -> dict:
    return {
        "person_id": pid,
        "household_id": hid,
        "no_kk": no_kk,
        "nik": nik_,
        "nama": nama,
        "tanggal_lahir": birth,
        "jenis_kelamin": str(sex),
        "hub_kk": hub,
        "nama_ibu_kandung": ibu,
        "alamat": alamat,
        "rt": rt,
        "rw": rw,
        "kode_desa": desa,
        "kode_kec": desa[:6],
        "kode_kab": desa[:4],
    }


@pytest.fixture(scope="module")
def background() -> pl.DataFrame:
    pop = build_population("3201", 3000, 11, dt.date(2025, 6, 30))
    return register_canonical(pop.df, pop.geo).select(REGISTER_COLUMNS)


def register_with(background: pl.DataFrame, people: list[dict]) -> pl.DataFrame:
    extra = pl.DataFrame(people, schema={c: background.schema[c] for c in REGISTER_COLUMNS})
    return pl.concat([background, extra])


def batch_of(rows: list[dict], file: str = "desa/verivali.xlsx") -> pl.DataFrame:
    """Village rows: register-like dicts, person/household ids dropped unless given."""
    out = []
    for i, r in enumerate(rows):
        row = {k: r.get(k) for k in REGISTER_COLUMNS}
        row.update(person_id=r.get("village_person_id"), household_id=r.get("village_household_id"))
        row.update(
            source_file=r.get("source_file", file),
            source_sheet="Sheet1",
            source_row=r.get("source_row", i + 5),
            status=r.get("status", "accepted"),
            nik_numeric=r.get("nik_numeric", False),
            no_kk_numeric=False,
            status_verivali=r.get("status_verivali", "DITEMUKAN"),
        )
        out.append(row)
    schema = {
        "source_file": pl.Utf8,
        "source_sheet": pl.Utf8,
        "source_row": pl.Int64,
        "status": pl.Utf8,
        "nik_numeric": pl.Boolean,
        "no_kk_numeric": pl.Boolean,
        "status_verivali": pl.Utf8,
        "tanggal_lahir": pl.Date,
    }
    return pl.DataFrame(out, schema_overrides=schema, infer_schema_length=None)


def family() -> list[dict]:
    """A registered household: head, wife, a son, a daughter."""
    k = kk(9001)
    return [
        person(
            "P1", "H1", k, nik(dt.date(1975, 4, 12), 1, 9001), "DEDI KURNIAWAN", dt.date(1975, 4, 12), 1, "1", "EUIS"
        ),
        person("P2", "H1", k, nik(dt.date(1979, 8, 3), 2, 9001), "IMAS MASRUROH", dt.date(1979, 8, 3), 2, "2", "OOM"),
        person(
            "P3",
            "H1",
            k,
            nik(dt.date(2004, 2, 20), 1, 9001),
            "RIZAL FAUZAN",
            dt.date(2004, 2, 20),
            1,
            "3",
            "IMAS MASRUROH",
        ),
        person(
            "P4",
            "H1",
            k,
            nik(dt.date(2009, 11, 9), 2, 9001),
            "NURUL AINI",
            dt.date(2009, 11, 9),
            2,
            "3",
            "IMAS MASRUROH",
        ),
    ]


def run(background, people, rows, **kw) -> pl.DataFrame:
    out = match(batch_of(rows), register_with(background, people), **kw)
    assert out.height == len(rows)
    return out


def by_row(out: pl.DataFrame) -> dict[int, dict]:
    return {r["source_row"]: r for r in out.to_dicts()}


# ---------------------------------------------------------------- stage 1 and names


def test_equal_nik_links(background):
    fam = family()
    rows = [dict(p, source_row=5 + i) for i, p in enumerate(fam)]
    out = by_row(run(background, fam, rows))
    for i, p in enumerate(fam):
        r = out[5 + i]
        assert (r["outcome"], r["person_id"], r["household_id"], r["match_stage"]) == (
            "matched",
            p["person_id"],
            "H1",
            "nik",
        )
        assert r["score"] > 0.99
        assert r["alasan"].startswith("NIK sama; nama sama; tanggal lahir sama")


@pytest.mark.parametrize("variant", ["MOCH. RIZKI", "MOH RIZKI", "M. RIZKI", "MUHAMAD RIZKI", "MOCHAMMAD RIZKI"])
def test_muhammad_variants_link_without_nik(background, variant):
    p = person("PM", "HM", kk(9002), nik(dt.date(2001, 5, 17), 1, 9002), "MUHAMMAD RIZKI", dt.date(2001, 5, 17), 1)
    row = dict(p, nama=variant, nik=None, no_kk=None)
    out = run(background, [p], [row]).row(0, named=True)
    assert (out["outcome"], out["person_id"]) == ("matched", "PM")
    assert "→" in out["alasan"] and "MUHAMMAD" in out["alasan"]


def test_swapped_day_and_month(background):
    p = person("PS", "HS", kk(9003), nik(dt.date(1988, 3, 5), 2, 9003), "YAYAH ROKAYAH", dt.date(1988, 3, 5), 2)
    row = dict(p, tanggal_lahir=dt.date(1988, 5, 3), nik=None)
    out = run(background, [p], [row]).row(0, named=True)
    assert (out["outcome"], out["person_id"]) == ("matched", "PS")
    assert "tertukar" in out["alasan"]


def test_excel_damaged_nik_is_strong_evidence_with_name_and_date(background):
    p = person("PD", "HD", kk(9004), nik(dt.date(1990, 7, 21), 1, 9001), "ENCEP SUPRIADI", dt.date(1990, 7, 21), 1)
    damaged = p["nik"][:15] + "0"
    row = dict(p, nik=damaged, nik_numeric=True, no_kk=None, alamat=None, rt=None, rw=None)
    out = run(background, [p], [row]).row(0, named=True)
    assert (out["outcome"], out["person_id"], out["match_stage"]) == ("matched", "PD", "probabilistic")
    assert "15 digit" in out["alasan"]
    assert damaged not in json.dumps(out["reasons"])  # identifiers are masked


def test_excel_damaged_nik_alone_does_not_link(background):
    p = person("PD", "HD", kk(9004), nik(dt.date(1990, 7, 21), 1, 9001), "ENCEP SUPRIADI", dt.date(1990, 7, 21), 1)
    row = dict(
        p,
        nik=p["nik"][:15] + "0",
        nik_numeric=True,
        nama="TATI HARYATI",
        tanggal_lahir=dt.date(1966, 1, 2),
        jenis_kelamin="2",
        no_kk=None,
    )
    out = run(background, [p], [row]).row(0, named=True)
    assert out["outcome"] == "new"


def test_equal_nik_with_a_different_person_goes_to_review(background):
    p = person("PX", "HX", kk(9005), nik(dt.date(1970, 1, 30), 1, 9001), "SUHERMAN", dt.date(1970, 1, 30), 1)
    row = dict(
        p,
        nama="NENG SRI MULYANI",
        tanggal_lahir=dt.date(1995, 6, 6),
        jenis_kelamin="2",
        no_kk=None,
        alamat=None,
        rt=None,
        rw=None,
        desa=None,
    )
    out = run(background, [p], [row]).row(0, named=True)
    assert (out["outcome"], out["person_id"], out["match_stage"]) == ("review", "PX", "nik")
    assert out["alasan"].startswith("NIK sama tetapi orang berbeda")


def test_head_nik_copied_to_a_member_does_not_hide_her(background):
    fam = family()
    rows = [dict(p) for p in fam]
    rows[1]["nik"] = fam[0]["nik"]  # the wife's row carries the head's NIK
    out = run(background, fam, rows)
    assert out["person_id"].to_list() == ["P1", "P2", "P3", "P4"]
    assert out["outcome"].to_list() == ["matched"] * 4


# ---------------------------------------------------------------- the household trap


def test_new_baby_in_a_known_household_is_new(background):
    fam = family()
    baby_birth = dt.date(2025, 9, 1)
    baby = person(
        None, None, fam[0]["no_kk"], nik(baby_birth, 2, 9001), "NAYLA PUTRI", baby_birth, 2, "3", "IMAS MASRUROH"
    )
    rows = [dict(p) for p in fam] + [dict(baby, status_verivali="ANGGOTA_BARU")]
    out = run(background, fam, rows)
    assert out["outcome"].to_list() == ["matched"] * 4 + ["new"]
    assert out["person_id"][4] is None


def test_new_baby_without_nik_named_like_the_family_is_new(background):
    fam = family()
    baby = person(None, None, fam[0]["no_kk"], None, "NURUL AZZAHRA", dt.date(2025, 8, 14), 2, "3", "IMAS MASRUROH")
    out = run(background, fam, [dict(p) for p in fam] + [baby])
    assert out["outcome"][4] == "new"


def test_new_spouse_is_new(background):
    fam = family()
    spouse = person(
        None,
        None,
        fam[0]["no_kk"],
        nik(dt.date(2003, 10, 2), 2, 9002),
        "SALSABILA RAHMA",
        dt.date(2003, 10, 2),
        2,
        "4",
        "ENOK",
    )
    out = run(background, fam, [dict(p) for p in fam] + [spouse])
    assert out["outcome"].to_list() == ["matched"] * 4 + ["new"]


def twins() -> list[dict]:
    birth = dt.date(2015, 6, 1)
    k = kk(9006)
    return [
        person("T1", "HT", k, nik(birth, 1, 9001), "MUHAMMAD HASAN", birth, 1, "3", "ROSITA"),
        person("T2", "HT", k, nik(birth, 1, 9002), "MUHAMMAD HUSEIN", birth, 1, "3", "ROSITA"),
    ]


def test_twins_are_separated_by_name(background):
    tw = twins()
    rows = [dict(p, nik=None) for p in reversed(tw)]  # listed in the other order, without NIK
    out = run(background, tw, rows)
    assert out["person_id"].to_list() == ["T2", "T1"]
    assert out["outcome"].to_list() == ["matched", "matched"]


def test_a_new_twin_is_not_linked_to_the_registered_one(background):
    birth = dt.date(2016, 3, 3)
    k = kk(9007)
    registered = person("R1", "HR", k, nik(birth, 1, 9001), "RIZKI PRATAMA", birth, 1, "3", "ROSITA")
    other = person(None, None, k, nik(birth, 2, 9002), "RIZKA PRATAMA", birth, 2, "3", "ROSITA")
    same_sex = person(None, None, k, None, "RIZKA PRATAMA", birth, 1, "3", "ROSITA")
    out = run(background, [registered], [dict(registered), other, same_sex])
    assert out["outcome"].to_list() == ["matched", "new", "new"]


# ---------------------------------------------------------------- one-to-one and duplicates


def test_a_person_listed_twice_is_a_duplicate(background):
    fam = family()
    rows = [dict(p) for p in fam] + [dict(fam[2], nik=None, nama="RIZAL FAUZAN", source_file="desa/susulan.xlsx")]
    out = run(background, fam, rows)
    dup = out.filter(pl.col("outcome") == "duplicate")
    assert dup.height == 1 and dup["person_id"][0] == "P3"
    assert dup["alasan"][0].startswith("orang yang sama sudah dicocokkan")
    assert out.filter(pl.col("outcome") == "matched")["person_id"].sort().to_list() == ["P1", "P2", "P3", "P4"]


def test_household_evidence_links_a_member_without_birth_date(background):
    fam = family()
    fam[3]["nama"] = "SITI NURJANAH"  # a very common name: alone it cannot decide
    rows = [dict(p) for p in fam]
    rows[3] = dict(fam[3], nik=None, tanggal_lahir=None, jenis_kelamin=None, nama_ibu_kandung=None)
    out = run(background, fam, rows).row(3, named=True)
    assert (out["outcome"], out["person_id"], out["match_stage"]) == ("matched", "P4", "household")
    assert "anggota lain KK" in out["alasan"]


def test_one_to_one_and_one_row_per_input_row(background):
    fam = family()
    rows = [dict(p) for p in fam] * 3 + [dict(fam[0], status="rejected", source_file="desa/x.xlsx")]
    for i, r in enumerate(rows):
        r["source_row"] = i + 2
    out = run(background, fam, rows)
    assert out.columns == OUTPUT_COLUMNS
    assert out.select(KEY).equals(batch_of(rows).select(KEY).sort(KEY))
    linked = out.filter(pl.col("outcome").is_in(["matched", "review"]))
    assert linked["person_id"].n_unique() == linked.height
    assert out.filter(pl.col("outcome") == "rejected").height == 1
    assert out.filter(pl.col("outcome") == "rejected")["person_id"][0] is None


def test_rows_without_region_are_still_matched(background):
    fam = family()
    rows = [dict(p, kode_desa=None, kode_kec=None, kode_kab=None, alamat=None) for p in fam]
    out = run(background, fam, rows)
    assert out["outcome"].to_list() == ["matched"] * 4


# ---------------------------------------------------------------- determinism


@pytest.fixture(scope="module")
def month(background) -> tuple[pl.DataFrame, pl.DataFrame]:
    """A few households in two kecamatan, with noise, new members and a duplicate."""
    rng = random.Random(5)
    people, rows = [], []
    for h in range(12):
        desa = DESA if h % 2 else "3201022002"
        kec = desa[:6]
        k = kk(9100 + h, kec)
        for m in range(3):
            birth = dt.date(1960 + 3 * h + m * 11, 1 + m * 3, 2 + h)
            sex = 1 + (m % 2)
            name = ["ASEP", "SITI", "DEDE", "YULI", "ROHMAT", "NENG"][
                (h + m) % 6
            ] + f" {['JAYA', 'SARI', 'MULYA'][m]}{h}"
            p = person(f"X{h}{m}", f"XH{h}", k, nik(birth, sex, 9100 + h, kec), name, birth, sex, str(m + 1), desa=desa)
            people.append(p)
            row = dict(p)
            if rng.random() < 0.3:
                row["nik"] = None
            if rng.random() < 0.2:
                row["nama"] = row["nama"].replace("SITI", "ST.").replace("ASEP", "ASEP H.")
            rows.append(row)
        rows.append(person(None, None, k, None, f"BAYI BARU{h}", dt.date(2025, 7, 1 + h), 1, "3", desa=desa))
    rows.append(dict(rows[0], source_file="desa/z.xlsx"))
    for i, r in enumerate(rows):
        r.setdefault("source_file", f"desa/{r['kode_desa']}.xlsx")
        r["source_row"] = i + 2
    return batch_of(rows), register_with(background, people)


def test_results_do_not_depend_on_row_order(month):
    batch, register = month
    first = match(batch, register)
    shuffled = match(
        batch.sample(fraction=1.0, shuffle=True, seed=1), register.sample(fraction=1.0, shuffle=True, seed=2)
    )
    assert first.equals(shuffled)
    assert set(first["outcome"]) >= {"matched", "new", "duplicate"}


def test_results_do_not_depend_on_partitioning(month):
    batch, register = month
    by_kab = match(batch, register, partition_by="kode_kab")
    assert by_kab.equals(match(batch, register, partition_by="kode_kec"))
    assert by_kab.equals(match(batch, register, partition_by=None))
    w = estimate(batch, register)
    assert by_kab.equals(match_partition(batch, register, w))


def test_estimate_is_deterministic(month):
    batch, register = month
    a = estimate(batch, register)
    b = estimate(batch.reverse(), register.reverse())
    assert a.bits == b.bits and a.prior_bits == b.prior_bits


def test_settings_thresholds_are_used(month):
    batch, register = month
    strict = MatchSettings.default().replace(match_threshold=0.999999, review_threshold=0.999)
    out = match(batch, register, strict)
    normal = match(batch, register)
    assert out.filter(pl.col("outcome") == "matched").height <= normal.filter(pl.col("outcome") == "matched").height


def test_reasons_are_structured_and_masked(background):
    fam = family()
    out = run(background, fam, [dict(fam[0])]).row(0, named=True)
    fields = [r["field"] for r in out["reasons"]]
    assert fields[:3] == ["nik", "name", "dob"]
    nik_reason = out["reasons"][0]
    assert nik_reason["village"] == fam[0]["nik"][:6] + "******" + fam[0]["nik"][-4:]
    assert fam[0]["nik"] not in json.dumps(out["reasons"])


def test_a_process_pool_gives_the_same_result(month):
    batch, register = month
    assert match(batch, register, partition_by="kode_kec", workers=2).equals(match(batch, register))


def test_a_lone_initial_does_not_contradict_an_equal_nik(background):
    p = person("PI", "HI", kk(9008), nik(dt.date(2011, 3, 26), 1, 9001), "MUHAMMAD", dt.date(2011, 3, 26), 1)
    out = run(background, [p], [dict(p, nama="M.")]).row(0, named=True)
    assert (out["outcome"], out["person_id"], out["match_stage"]) == ("matched", "PI", "nik")


def test_settings_are_checked():
    s = MatchSettings.default()
    assert s.review_threshold <= s.match_threshold
    with pytest.raises(ValueError):
        s.replace(review_threshold=0.99, match_threshold=0.9)
    with pytest.raises(ValueError):
        s.replace(gate_name_level="nonsense")


def test_empty_inputs_and_missing_columns(background):
    fam = family()
    batch = batch_of([dict(p) for p in fam])
    register = register_with(background, fam)
    assert match(batch.head(0), register).columns == OUTPUT_COLUMNS
    assert match(batch, register.head(0))["outcome"].to_list() == ["new"] * 4
    slim = batch.select("source_file", "source_sheet", "source_row", "nama", "tanggal_lahir", "nik")
    out = match(slim, register.select("person_id", "household_id", "nama", "tanggal_lahir", "nik"))
    assert out["person_id"].to_list() == ["P1", "P2", "P3", "P4"]


def test_reasons_as_json_for_csv(background):
    fam = family()
    out = reasons_as_json(run(background, fam, [dict(fam[0]), person(None, None, None, None, "X", None, 1)]))
    first = json.loads(out["reasons"][0])
    assert first[0]["field"] == "nik" and first[0]["level"] == "exact"
    assert out["reasons"][1] is None
    out.write_csv(io.StringIO())  # flat: a CSV can hold it


def decisions_of(rows: list[tuple[int, str, str]], file: str = "desa/verivali.xlsx") -> pl.DataFrame:
    return pl.DataFrame(
        {
            "source_file": [file] * len(rows),
            "source_sheet": ["Sheet1"] * len(rows),
            "source_row": [r for r, _, _ in rows],
            "person_id": [p for _, p, _ in rows],
            "keputusan": [k for _, _, k in rows],
        },
        schema_overrides={"source_row": pl.Int64},
    )


def test_reviewer_decisions(background):
    fam = family()
    rows = [dict(p, source_row=5 + i) for i, p in enumerate(fam)]
    rows[0]["nama"] = "UJANG"  # a nickname: the equal NIK makes it a review
    rows[0]["tanggal_lahir"] = dt.date(1975, 4, 21)
    batch, register = batch_of(rows), register_with(background, fam)
    before = by_row(match(batch, register))
    assert (before[5]["outcome"], before[5]["person_id"]) == ("review", "P1")
    decisions = decisions_of([(5, "P1", "sama"), (6, "P2", "beda"), (7, "P4", "SAMA ")])
    after = by_row(match(batch, register, decisions=decisions))
    assert (after[5]["outcome"], after[5]["person_id"], after[5]["match_stage"]) == ("matched", "P1", "decision")
    assert after[5]["alasan"].startswith("diputuskan sama oleh pemeriksa")
    assert after[6]["outcome"] == "new" and after[6]["person_id"] is None  # beda: the candidate is gone
    # sama on a pair the matcher would never make: the reviewer wins, one-to-one still holds
    assert (after[7]["outcome"], after[7]["person_id"]) == ("matched", "P4")
    assert (after[8]["outcome"], after[8]["person_id"]) == ("duplicate", "P4")  # her own row now repeats her


def test_decisions_on_unknown_rows_or_people_are_ignored(background):
    fam = family()
    batch, register = batch_of([dict(p) for p in fam]), register_with(background, fam)
    noise = decisions_of([(99, "P1", "sama"), (5, "NOPE", "sama"), (5, "P1", "mungkin")])
    assert match(batch, register, decisions=noise).equals(match(batch, register))
