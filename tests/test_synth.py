"""Tests of the synthetic data generator (slrt_synth): determinism, NIK structure, truth."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import time
from pathlib import Path

import openpyxl
import polars as pl
import pytest
import python_calamine

from slrt_cli import reference
from slrt_cli.schemas import load_schema
from slrt_synth import build_population, generate_bench, generate_sample, nik_for
from slrt_synth import noise as nz
from slrt_synth.generate import SNAPSHOT
from slrt_synth.layouts import (
    EXTRA_HEADERS,
    HEADERS,
    IDENTITY,
    KAWIN_LABEL,
    KEBERADAAN_CODE,
    REL_LABEL,
    SEX_FORMATS,
    SHDK_LABEL,
    STATUS_LABEL,
    FileStyle,
)
from slrt_synth.writers import SIKSNG_COLUMNS

REPO = Path(__file__).resolve().parent.parent
SUB_HEADERS = {"TEMPAT", "TANGGAL"}  # lower cells of "TEMPAT/TGL LAHIR": not aliases on their own


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    out = tmp_path_factory.mktemp("sample")
    return generate_sample(out)


@pytest.fixture(scope="module")
def population():
    return build_population("3201", 6000, 11, SNAPSHOT)


def _hashes(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


# ---- determinism ------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes(tmp_path):
    a = generate_sample(tmp_path / "a", seed=5, persons=1200)
    b = generate_sample(tmp_path / "b", seed=5, persons=1200)
    assert a.data_rows == b.data_rows > 0
    assert _hashes(tmp_path / "a") == _hashes(tmp_path / "b")
    generate_sample(tmp_path / "c", seed=6, persons=1200)
    assert _hashes(tmp_path / "a")["truth.csv"] != _hashes(tmp_path / "c")["truth.csv"]


def test_committed_sample_data_is_current(sample):
    committed = REPO / "sample_data"
    if not (committed / "truth.csv").is_file():
        pytest.skip("sample_data/ not generated")
    assert _hashes(committed) == _hashes(sample.out), "run: python tools/make_sample_data.py"


def test_refuses_to_overwrite_without_flag(tmp_path):
    (tmp_path / "x.txt").write_text("keep")
    with pytest.raises(FileExistsError):
        generate_sample(tmp_path)


def test_sample_generation_is_quick(tmp_path):
    t0 = time.perf_counter()
    generate_sample(tmp_path)
    assert time.perf_counter() - t0 < 15  # about a second on a laptop; generous for slow CI


# ---- register ---------------------------------------------------------------------------
def _kecamatan(kab: str) -> set[str]:
    return {r.code for r in reference.children(kab)}


def test_niks_are_structurally_valid(population):
    df = population.df
    with_nik = df.filter(pl.col("nik") != "")
    assert 0.04 < 1 - with_nik.height / df.height < 0.11  # ~7 % without NIK, as in DTKS
    assert with_nik["nik"].n_unique() == with_nik.height
    kecs: dict[str, set[str]] = {}
    other_kab = 0
    for nik, birth, sex in with_nik.select("nik", "tanggal_lahir", "jenis_kelamin").iter_rows():
        assert len(nik) == 16 and nik.isdigit()
        kab = nik[:4]
        other_kab += kab != "3201"
        assert nik[:6] in kecs.setdefault(kab, _kecamatan(kab)), nik[:6]
        day = int(nik[6:8])
        assert (day > 40) == (sex == 2)
        assert (day - 40 if sex == 2 else day, int(nik[8:10]), int(nik[10:12])) == (
            birth.day, birth.month, birth.year % 100)
        assert nik[12:] != "0000"
        assert nik == nik_for(nik[:6], birth, sex, int(nik[12:]))
    assert 0.03 < other_kab / with_nik.height < 0.3  # people born elsewhere keep their NIK prefix


def test_no_kk_structure(population):
    kecs = _kecamatan("3201")
    for kk in population.df["no_kk"].unique().to_list():
        assert len(kk) == 16 and kk.isdigit()
        assert kk[:6] in kecs
        recorded = dt.date(2000 + int(kk[10:12]), int(kk[8:10]), int(kk[6:8]))
        assert dt.date(2003, 1, 1) <= recorded <= SNAPSHOT
        assert kk[12:] != "0000"


def test_households_are_plausible(population):
    df = population.df
    assert df["household_id"].str.starts_with("SYN").all()
    assert df["person_id"].str.starts_with("SYN").all()
    assert (df["person_id"].str.slice(0, 14) == df["household_id"]).all()
    heads = df.group_by("household_id").agg(
        (pl.col("hub_krt") == 1).sum().alias("heads"), pl.col("hub_krt").first().alias("first"),
        pl.col("no_kk").n_unique().alias("kks"))
    assert (heads["heads"] == 1).all() and (heads["first"] == 1).all()
    assert 0.02 < (heads["kks"] == 2).mean() < 0.15  # some households hold two KKs
    # a child is at least 15 years younger than the mother (the head or the head's wife)
    mothers = df.filter(pl.col("hub_krt").is_in([1, 2]) & (pl.col("jenis_kelamin") == 2))
    by_name = {(h, n): b for h, n, b in mothers.select("household_id", "nama", "tanggal_lahir").iter_rows()}
    checked = 0
    for hh, mother, birth, rel in df.select("household_id", "nama_ibu_kandung", "tanggal_lahir", "hub_krt").iter_rows():
        if rel == 3 and (hh, mother) in by_name:
            assert (birth - by_name[(hh, mother)]).days > 15 * 365
            checked += 1
    assert checked > 1000


def test_twins_and_sibling_serials(population):
    df = population.df.filter((pl.col("hub_krt") == 3) & (pl.col("nik") != ""))
    twins = df.group_by("household_id", "tanggal_lahir").agg(pl.col("nik"), pl.len()).filter(pl.col("len") == 2)
    assert twins.height > 0
    for niks in twins["nik"].to_list():
        assert abs(int(niks[0][-4:]) - int(niks[1][-4:])) == 1
    near = df.group_by("household_id").agg(pl.col("nik").str.slice(12, 4).cast(pl.Int32).alias("s"),
                                           pl.col("tanggal_lahir").alias("b"))
    found = 0
    for serials, births in near.select("s", "b").iter_rows():
        found += any(serials[i + 1] - serials[i] == 1 and births[i + 1] != births[i] for i in range(len(serials) - 1))
    assert found > 0


def test_common_names_are_common(population):
    words = population.df["nama"].str.split(" ").explode().value_counts(sort=True)
    top = set(words["nama"].head(12).to_list())
    assert {"SITI", "MUHAMMAD", "NUR"} <= top
    assert (population.df["nama"].str.contains(" ").not_()).mean() > 0.1  # one-word names exist


# ---- village files and truth ----------------------------------------------------------------
def _read(path: Path, style: FileStyle) -> dict[str, dict[int, list]]:
    """{sheet: {row number: cells}} as a reader sees the file."""
    if style.fmt == "xlsx":
        wb = openpyxl.load_workbook(path)
        return {ws.title: {i: list(r) for i, r in enumerate(ws.iter_rows(values_only=True), 1)} for ws in wb.worksheets}
    if style.fmt == "xls":
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        return {n: {i: r for i, r in enumerate(wb.get_sheet_by_name(n).to_python(skip_empty_area=False), 1)}
                for n in wb.sheet_names}
    rows = {}
    with path.open(encoding=style.encoding, newline="") as fh:
        reader = csv.reader(fh, delimiter=style.delimiter)
        for r in reader:
            rows[reader.line_num] = r
    return {"": rows}


def _blank(v) -> bool:
    return v is None or v == ""


def test_truth_rows_are_exactly_the_data_rows(sample):
    truth = sample.truth
    assert len(truth) == sample.data_rows == sum(f["rows"] for f in sample.files)
    for f in sample.files:
        style = f["style"]
        ident = [i for i, c in enumerate(style.columns) if c.field in IDENTITY]
        skip = set(f["header_rows"]) | ({max(f["header_rows"]) + 1} if style.numbering else set())
        for sheet, rows in _read(sample.out / "desa" / f["path"], style).items():
            if sheet in f["extra_sheets"]:
                continue
            seen = {n for n, cells in rows.items()
                    if n not in skip and any(not _blank(cells[i]) for i in ident if i < len(cells))}
            expected = {r["source_row"] for r in truth if r["source_file"] == f["path"] and r["source_sheet"] == sheet}
            assert seen == expected, (f["path"], sheet)


def test_truth_rows_hold_the_person(sample):
    register = pl.read_parquet(sample.out / "register" / "dtks.parquet")
    by_id = {r["person_id"]: r for r in register.iter_rows(named=True)}
    checked = 0
    for f in sample.files:
        style = f["style"]
        col = {c.field: i for i, c in enumerate(style.columns) if c.field}
        grids = _read(sample.out / "desa" / f["path"], style)
        for t in (t for t in sample.truth if t["source_file"] == f["path"]):
            cells = grids[t["source_sheet"]][t["source_row"]]
            tags = t["noise"].split(";")
            if not t["person_id"]:
                assert t["truth_status"] in ("USULAN_BARU", "ANGGOTA_BARU")
                continue
            person = by_id[t["person_id"]]
            assert person["household_id"] == t["household_id"]
            if not any(x.startswith("name:") or x == "reject:NAME_MISSING" for x in tags):
                assert cells[col["nama"]] == person["nama"]
                checked += 1
            if "nik" in col and not any(x.startswith("nik:") for x in tags):
                assert str(cells[col["nik"]]) == person["nik"]
    assert checked > 150


def test_only_planned_rows_are_unusable(sample):
    rejects = [t for t in sample.truth if "reject:" in t["noise"]]
    codes = sorted(x for t in rejects for x in t["noise"].split(";") if x.startswith("reject:"))
    assert codes == ["reject:BIRTH_DATE_FUTURE", "reject:IDENTITY_MISSING", "reject:IDENTITY_MISSING",
                     "reject:NAME_MISSING"]
    for t in sample.truth:
        tags = set(t["noise"].split(";"))
        if any(x.startswith("reject:") for x in tags):
            continue
        nik_clean = not any(x.startswith("nik:") for x in tags)
        date_ok = not tags & {"date:missing", "date:invalid", "date:placeholder"}
        assert nik_clean or date_ok, t


def test_every_noise_kind_is_in_the_sample(sample):
    tags = {x for t in sample.truth for x in t["noise"].split(";") if x}
    for tag in ("duplicate", "name:muhammad", "name:old_spelling", "name:title", "name:typo", "name:spacing",
                "name:case", "nik:missing", "nik:digit_off", "nik:excel_number", "nik:scientific",
                "nik:apostrophe", "date:missing", "date:day_month_swapped", "date:invalid", "date:placeholder",
                "sex:invalid"):
        assert tag in tags, tag
    statuses = {t["truth_status"] for t in sample.truth}
    assert {"DITEMUKAN", "MENINGGAL", "PINDAH", "USULAN_BARU", "ANGGOTA_BARU"} <= statuses
    formats = {f["format"] for f in sample.files}
    assert formats == {"xlsx", "xls", "csv"}


def test_siksng_export_layout(sample):
    path = sample.out / "register" / "dtks_siksng.csv"
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh, delimiter="|"))
    assert tuple(rows[0]) == SIKSNG_COLUMNS and len(SIKSNG_COLUMNS) == 23
    assert len(rows) - 1 == sample.register_persons
    parquet = pl.read_parquet(sample.out / "register" / "dtks.parquet")
    for i in (0, 100, len(rows) - 2):
        assert rows[i + 1][0] == parquet["household_id"][i] and rows[i + 1][10] == (parquet["nik"][i] or "")
    assert {r[14] for r in rows[1:]} == {"LAKI-LAKI", "PEREMPUAN"}
    assert parquet["tanggal_lahir"].dtype == pl.Date and parquet["nik"].dtype == pl.Utf8


def test_sample_is_small():
    folder = REPO / "sample_data"
    if not folder.is_dir():
        pytest.skip("sample_data/ not generated")
    assert sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) < 2_000_000


# ---- vocabularies agree with schemas/ ---------------------------------------------------------
def test_headers_are_known_aliases():
    schema = load_schema()
    special = {"hub_kk_shdk": ("hub_kk", "hubungan_shdk"), "status_keberadaan": ("status_verivali", "keberadaan_art")}
    for key, spellings in HEADERS.items():
        field, codelist = special.get(key, (key, None))
        for h in spellings:
            got = schema.match_header(h)
            assert got is not None and got[0] == field, h
            if codelist:
                assert got[1] == codelist, h
    for spellings in EXTRA_HEADERS.values():
        for h in spellings:
            assert schema.match_header(h) is None, h
    assert schema.match_header("JALAN")[0] == "alamat"


def test_written_values_are_in_the_code_lists():
    cl = load_schema().codelists
    for male, female in SEX_FORMATS.values():
        assert (cl["jenis_kelamin"].lookup(male), cl["jenis_kelamin"].lookup(female)) == ("1", "2")
    for code, labels in REL_LABEL.items():
        for label in labels:
            assert cl["hubungan"].lookup(label) == str(code) or label == "KK", label
    for code, label in SHDK_LABEL.items():
        assert cl["hubungan_shdk"].lookup(str(code)) == cl["hubungan"].lookup(label)
    for code, labels in KAWIN_LABEL.items():
        assert all(cl["status_kawin"].lookup(x) == str(code) for x in labels)
    for status, labels in STATUS_LABEL.items():
        assert all(cl["status_verivali"].lookup(x) == status for x in labels), status
    for status, code in KEBERADAAN_CODE.items():
        assert cl["keberadaan_art"].lookup(str(code)) == ("ANGGOTA_BARU" if status == "USULAN_BARU" else status)


# ---- helpers and the benchmark set ------------------------------------------------------------------
def test_excel_damage_helpers():
    assert nz.excel_number("3201014508900001") == 3201014508900000.0
    assert nz.excel_scientific("3201014508900001") == "3.20101E+15"
    assert nz.excel_scientific("3201014508900001", ",") == "3,20101E+15"
    assert nz.swapped(dt.date(1990, 8, 5)) == dt.date(1990, 5, 8)
    assert nz.future(dt.date(2025, 3, 12)) > dt.date(2040, 1, 1)


def test_bench_set_small(tmp_path):
    w = generate_bench(tmp_path, files=4, rows=700, register_persons=4000, jobs=1)
    truth = pl.read_parquet(tmp_path / "truth.parquet")
    assert truth.height == 700 == w.data_rows
    assert truth.columns == ["source_file", "source_sheet", "source_row", "person_id", "household_id",
                             "truth_status", "noise"]
    assert len(list((tmp_path / "desa").rglob("*.*"))) == 4
    assert pl.read_parquet(tmp_path / "register" / "dtks.parquet").height == 4000
