"""`slrt nasional` (issue 11): many districts' rows against one register; movers and cross-district
duplicates on hand-planted cases (slrt_synth.national: synthetic people only)."""

from __future__ import annotations

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from slrt_cli.cli import app
from slrt_cli.match import match
from slrt_cli.match.cross import cross_district_duplicates
from slrt_cli.nasional import nasional
from slrt_cli.reconcile import reconcile
from slrt_synth.national import national_month, write_district_batches, write_register_dataset


@pytest.fixture(scope="module")
def month():
    return national_month(kabs=("3201", "3204", "3273"), quiet=("3578",), persons=4000, rows=200, seed=31)


@pytest.fixture(scope="module")
def folders(month, tmp_path_factory):
    """Each district's rows.parquet in its own run folder, and the register as a dataset."""
    root = tmp_path_factory.mktemp("nasional")
    write_register_dataset(month.register, root / "dtsen", files_per_kab=2)
    write_district_batches(month.batch, root / "hasil")
    return root


def pair_keys(frame: pl.DataFrame) -> set[frozenset]:
    return {frozenset({(r["source_file_a"], r["source_row_a"]), (r["source_file_b"], r["source_row_b"])})
            for r in frame.iter_rows(named=True)}


def test_every_person_who_moved_between_kabupaten_is_a_mover_never_not_found(month):
    links = match(month.batch, month.register)
    rec = reconcile(month.batch, links, month.register)
    found = {(r["source_file"], r["source_row"]): r for r in rec.movers.iter_rows(named=True)}
    for m in month.movers.iter_rows(named=True):
        row = found[(m["source_file"], m["source_row"])]
        assert row["person_id"] == m["person_id"]
        assert row["kode_wilayah_asal"][:4] == m["kab_asal"] and row["kode_wilayah_baru"][:4] == m["kab_baru"]
        assert "Pindah masuk" in row["alasan"]
    assert not set(month.movers["person_id"]) & set(rec.not_found["person_id"])
    # a row linked inside its own kabupaten is no mover
    assert (rec.movers["kode_wilayah_asal"].str.slice(0, 4) != rec.movers["kode_wilayah_baru"].str.slice(0, 4)).all()


def test_the_same_person_proposed_by_two_districts_is_a_cross_district_pair(month):
    links = match(month.batch, month.register)
    cross = cross_district_duplicates(month.batch, links)
    planted = {frozenset({(r["source_file_a"], r["source_row_a"]), (r["source_file_b"], r["source_row_b"])})
               for r in month.cross.iter_rows(named=True)}
    assert planted <= pair_keys(cross)
    # the newborns, not in the register, are found by their own values: no shared register person
    newborn = cross.filter(pl.col("person_id").is_null())
    assert newborn.height >= 3 and (newborn["kode_kab_a"] != newborn["kode_kab_b"]).all()
    assert (cross["kode_kab_a"] != cross["kode_kab_b"]).all()
    # the order of the rows does not matter
    shuffled = month.batch.sample(fraction=1.0, shuffle=True, seed=5)
    assert cross.equals(cross_district_duplicates(shuffled, match(shuffled, month.register)))


def test_nasional_writes_a_folder_per_kabupaten_and_the_national_tables(folders, month):
    result = CliRunner().invoke(app, ["nasional", "--batch", str(folders / "hasil"), "--register",
                                      str(folders / "dtsen"), "--out", str(folders / "out"), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.output)
    assert body["kabupaten"] == ["3201", "3204", "3273"] and body["counts"]["movers"] >= month.movers.height
    out = folders / "out"
    for kab in ("3201", "3204", "3273"):
        rec = pl.read_csv(out / f"kab_{kab}" / "reconciliation.csv", infer_schema=False)
        assert rec["source_file"].str.starts_with(f"{kab}/").all()  # the district's folder name, then its file
        assert (out / f"kab_{kab}" / "laporan.xlsx").is_file() and (out / f"kab_{kab}" / "kirim").is_dir()
    total = sum(pl.read_csv(out / f"kab_{k}" / "reconciliation.csv", infer_schema=False).height
                for k in ("3201", "3204", "3273"))
    assert total == month.batch.height
    nat = pl.read_csv(out / "ringkasan_nasional.csv")
    assert nat["rows"][0] == month.batch.height
    assert nat["cross_district_pairs"][0] == pl.read_csv(out / "cross_district_duplicates.csv").height
    prov = pl.read_csv(out / "ringkasan_provinsi.csv", schema_overrides={"kode_prov": pl.Utf8})
    assert prov["kode_prov"].to_list() == ["32"] and prov["rows"].sum() == month.batch.height
    movers = pl.read_csv(out / "movers.csv", infer_schema=False)
    assert {(f.split("/", 1)[1], int(r)) for f, r in zip(movers["source_file"], movers["source_row"])} >= {
        (f.split("/", 1)[1], r) for f, r in zip(month.movers["source_file"], month.movers["source_row"])}


def test_a_district_run_writes_movers_even_when_nobody_moved(tmp_path):
    result = CliRunner().invoke(app, ["run", "-q", "--register", "sample_data/register/dtks.parquet",
                                      "sample_data/desa", "--out", str(tmp_path / "o"), "--period", "2026-10"])
    assert result.exit_code == 0, result.output
    movers = pl.read_csv(tmp_path / "o" / "movers.csv")
    assert movers.columns == ["source_file", "source_sheet", "source_row", "person_id", "household_id",
                              "kode_wilayah_asal", "kode_wilayah_baru", "alasan"]
    assert movers.height == 0


def test_nasional_without_any_batch_is_a_usage_error(tmp_path):
    (tmp_path / "kosong").mkdir()
    with pytest.raises(Exception) as err:
        nasional([tmp_path / "kosong"], [tmp_path / "dtsen"], tmp_path / "out")
    assert getattr(err.value, "code", "") == "error_nasional_no_batch"


def test_the_national_tables_hold_to_the_privacy_rule(folders, month):
    """schemas/privacy.toml [nasional.*]: no NIK, No KK, name or birth date in the national tables."""
    import re
    import tomllib
    from pathlib import Path

    out = folders / "out"
    if not out.exists():
        nasional([folders / "hasil"], [folders / "dtsen"], out)
    rule = tomllib.loads((Path(__file__).resolve().parent.parent / "schemas" / "privacy.toml").read_text("utf-8"))
    names = {n for n in month.batch["nama"].drop_nulls() if len(n) > 6}
    for spec in rule["nasional"].values():
        assert {spec[f] for f in ("nik", "no_kk", "nama", "tanggal_lahir")} == {"absent"}
        for pattern in spec["files"]:
            for f in out.glob(pattern):
                text = f.read_text("utf-8-sig") if f.suffix != ".parquet" else str(pl.read_parquet(f).rows())
                assert not re.search(r"(?<!\d)\d{16}(?!\d)", text), f.name
                assert not [n for n in names if n in text], f.name
