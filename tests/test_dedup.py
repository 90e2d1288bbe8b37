"""`slrt dedup`: duplicates inside the register (slrt_cli/match/dedup.py, slrt_cli/dedup.py).

Hand-made registers of synthetic people: one person under two ids (same NIK; a NIK one digit
off; no NIK), twins in one KK, a parent and a child of one name, two persons with one NIK. The
result does not depend on row order; the command (CliRunner and the installed script) writes
masked NIKs only and holds to schemas/privacy.toml [dedup.*].
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from slrt_cli.cli import app
from slrt_cli.match.dedup import COLUMNS, find_duplicates

REPO = Path(__file__).resolve().parent.parent
SLRT = str(Path(sys.executable).with_name("slrt.exe" if os.name == "nt" else "slrt"))
SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")
D = dt.date
COLS = ["person_id", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "kode_desa", "nama_ibu_kandung", "alamat"]
ROWS = [
    # one person under two ids, same NIK
    ("P001", "3201014508900001", "3201010101100001", "SITI AMINAH", D(1990, 8, 5), "2", "3201012001", "AMINAH", "JL MAWAR 1"),
    ("P002", "3201014508900001", "3201010101100001", "Siti Aminah", D(1990, 8, 5), "2", "3201012001", "AMINAH", "JL MAWAR 1"),
    # one person under two ids, NIK one digit off, moved house
    ("P003", "3201011203850004", "3201010101100002", "BUDI SANTOSO", D(1985, 3, 12), "1", "3201012001", "SARINAH", "JL MELATI 2"),
    ("P004", "3201011203850005", "3201010101100099", "BUDI SANTOSO", D(1985, 3, 12), "1", "3201012001", "SARINAH", "JL MELATI 9"),
    # twins (and a triplet) in one KK: same birth date, address, family name; other first names
    ("P005", "3201010706150001", "3201010101100003", "RIZKI PRATAMA", D(2015, 6, 7), "1", "3201012001", "DEWI LESTARI", "JL KENANGA 3"),
    ("P006", "3201014706150002", "3201010101100003", "RIZKA PRATIWI", D(2015, 6, 7), "2", "3201012001", "DEWI LESTARI", "JL KENANGA 3"),
    ("P007", "3201010706150003", "3201010101100003", "ANDI PRATAMA", D(2015, 6, 7), "1", "3201012001", "DEWI LESTARI", "JL KENANGA 3"),
    # a parent and a child of one name, one KK
    ("P008", "3201011010600001", "3201010101100004", "AHMAD YANI", D(1960, 10, 10), "1", "3201012001", "SUTINAH", "JL ANGGREK 4"),
    ("P009", "3201011010950002", "3201010101100004", "AHMAD YANI", D(1995, 10, 10), "1", "3201012001", "SRI WAHYUNI", "JL ANGGREK 4"),
    # two different persons carrying one NIK
    ("P010", "3201012002700001", "3201010101100005", "JOKO SUSILO", D(1970, 2, 20), "1", "3201012001", "MARIYAH", "JL DAHLIA 5"),
    ("P011", "3201012002700001", "3201010101100006", "MEGA LESTARI", D(1980, 1, 23), "2", "3201012002", "FATIMAH", "JL TULIP 6"),
    # one person under two ids, NIK missing on one, same mother's name, another desa
    ("P012", "3201015512880003", "3201010101100007", "DEWI SARTIKA", D(1988, 12, 15), "2", "3201012001", "KARTINI", "JL SENTOSA 7"),
    ("P013", None, None, "SARTIKA DEWI", D(1988, 12, 15), "2", "3201022005", "KARTINI", "DUSUN KRAJAN"),
    # unrelated people
    ("P014", "3201016101920001", "3201010101100008", "NINA KURNIASIH", D(1992, 1, 21), "2", "3201012001", "ROSMALA", "JL CEMPAKA 8"),
    ("P015", "3201012303750002", "3201010101100009", "HENDRA GUNAWAN", D(1975, 3, 23), "1", "3201012002", "SUMIATI", "JL FLAMBOYAN"),
]


def _register() -> pl.DataFrame:
    return pl.DataFrame(ROWS, schema=COLS, orient="row")


@pytest.fixture(scope="module")
def found() -> pl.DataFrame:
    return find_duplicates(_register(), lang="id")


def _pair(found: pl.DataFrame, a: str, b: str) -> dict | None:
    rows = found.filter((pl.col("person_id_a") == a) & (pl.col("person_id_b") == b)).to_dicts()
    return rows[0] if rows else None


def test_columns_and_order(found):
    assert found.columns == COLUMNS
    assert (found["person_id_a"] < found["person_id_b"]).all()
    assert found.select("person_id_a", "person_id_b").equals(found.select("person_id_a", "person_id_b").sort(pl.all()))


def test_same_nik_same_person(found):
    p = _pair(found, "P001", "P002")
    assert p["kind"] == "same_person" and p["band"] == "yakin" and p["score"] > 0.99
    assert p["alasan"].startswith("NIK sama; nama sama; tanggal lahir sama")


def test_nik_one_digit_off_same_person(found):
    p = _pair(found, "P003", "P004")
    assert p["kind"] == "same_person" and p["band"] == "yakin"
    assert "NIK beda satu digit" in p["alasan"]
    assert (p["nik_a"], p["nik_b"]) == ("320101******0004", "320101******0005")


def test_missing_nik_reordered_name_same_mother(found):
    p = _pair(found, "P012", "P013")
    assert p["kind"] == "same_person"
    assert "NIK kosong" in p["alasan"] and "nama ibu kandung sama" in p["alasan"]


def test_twins_and_parent_child_are_not_one_person(found):
    ids = {"P005", "P006", "P007", "P008", "P009"}
    touched = found.filter(pl.col("person_id_a").is_in(ids) | pl.col("person_id_b").is_in(ids))
    assert touched.height == 0, touched.to_dicts()


def test_two_persons_one_nik(found):
    p = _pair(found, "P010", "P011")
    assert p["kind"] == "nik_conflict" and p["band"] == "yakin"
    assert p["alasan"] == "NIK sama; nama berbeda; tanggal lahir berbeda"
    assert p["nama_a"] == "JOKO SUSILO" and p["nik_a"] == p["nik_b"] == "320101******0001"


def test_nothing_else(found):
    assert sorted(zip(found["person_id_a"], found["person_id_b"])) == [
        ("P001", "P002"), ("P003", "P004"), ("P010", "P011"), ("P012", "P013")]


def test_same_nik_with_name_typo_is_same_person_to_check():
    rows = [ROWS[0], ("P020", "3201014508900001", "3201010101100001", "SITI AMINA", D(1990, 5, 8), "2", "3201012001",
                      "AMINAH", "JL MAWAR 1")]
    out = find_duplicates(pl.DataFrame(rows, schema=COLS, orient="row"), lang="en")
    assert out["kind"].to_list() == ["same_person"]
    assert out["alasan"][0].startswith("same NIK; similar name; birth date nearly the same")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_row_order_does_not_matter(found, seed):
    shuffled = _register().sample(fraction=1.0, shuffle=True, seed=seed)
    assert find_duplicates(shuffled, lang="id").equals(found)


def test_english_reasons():
    out = find_duplicates(_register(), lang="en")
    assert out.filter(pl.col("kind") == "nik_conflict")["alasan"].to_list() == [
        "same NIK; different name; different birth date"]


def _write(folder: Path) -> Path:
    path = folder / "dtks.parquet"
    _register().write_parquet(path)
    return path


def test_cli_writes_the_cleaning_list(tmp_path):
    reg = _write(tmp_path)
    out = tmp_path / "duplikat"
    res = CliRunner().invoke(app, ["dedup", "--register", str(reg), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "nik_conflict" not in res.output and "3 pasang" in res.output
    assert not SIXTEEN.findall(res.output)
    table = pl.read_csv(out / "register_duplicates.csv", infer_schema=False)
    assert table.columns == COLUMNS and table.height == 4
    assert pl.read_parquet(out / "register_duplicates.parquet").height == 4
    text = (out / "register_duplicates.csv").read_text("utf-8-sig")
    assert not SIXTEEN.findall(text)
    # the folder is written as a whole: a second run needs --overwrite
    again = CliRunner().invoke(app, ["dedup", "--register", str(reg), "--out", str(out)])
    assert again.exit_code == 2
    again = CliRunner().invoke(app, ["dedup", "--register", str(reg), "--out", str(out), "--overwrite"])
    assert again.exit_code == 0, again.output


def test_installed_command_in_english_and_privacy_rule(tmp_path):
    reg = _write(tmp_path)
    out = tmp_path / "dup"
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", "NO_COLOR": "1"}
    env.pop("SLRT_LANG", None)
    res = subprocess.run([SLRT, "dedup", "-r", str(reg), "--out", str(out), "--lang", "en", "--json",
                          "--log-file", str(tmp_path / "slrt.log")],
                         capture_output=True, text=True, cwd=tmp_path, env=env, encoding="utf-8", timeout=300)
    assert res.returncode == 0, res.stderr
    body = json.loads(res.stdout)
    assert body["pairs"] == {"same_person": 3, "nik_conflict": 1, "yakin": 3, "periksa": 1} or \
        body["pairs"]["same_person"] == 3 and body["pairs"]["nik_conflict"] == 1
    table = pl.read_csv(out / "register_duplicates.csv", infer_schema=False)
    assert table.filter(pl.col("kind") == "nik_conflict")["alasan"].to_list() == [
        "same NIK; different name; different birth date"]
    console = res.stdout + res.stderr + (tmp_path / "slrt.log").read_text("utf-8")
    assert not SIXTEEN.findall(console)
    rule = tomllib.loads((REPO / "schemas" / "privacy.toml").read_text("utf-8"))["dedup"]
    written = {p for p in out.rglob("*") if p.is_file()}
    covered = {p for spec in rule.values() for pattern in spec["files"] for p in out.glob(pattern) if p.is_file()}
    assert written and written <= covered
    names = set(_register()["nama"])
    for spec in rule.values():
        files = [p for pattern in spec["files"] for p in out.glob(pattern) if p.is_file()]
        text = "\n".join(p.read_text("utf-8-sig") if p.suffix != ".parquet" else str(pl.read_parquet(p).rows())
                         for p in files)
        assert not SIXTEEN.findall(text)
        if spec["nama"] == "absent":
            assert not [n for n in names if n in text]
        elif files:
            assert [n for n in names if n in text]
