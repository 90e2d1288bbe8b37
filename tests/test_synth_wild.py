"""Tests of the second layout source (slrt_synth.wild): determinism, truth, real variation."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from pathlib import Path

import polars as pl
import pytest
import python_calamine

from slrt_synth.wild import KEY_FIELDS, generate_wild, load_words

REPO = Path(__file__).resolve().parent.parent
SMALL = {"files": 20, "rows": 900, "register_persons": 8000}


def _hashes(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def month(tmp_path_factory):
    out = tmp_path_factory.mktemp("wild") / "a"
    written = generate_wild(out, seed=3, **SMALL)
    files = json.loads((out / "files.json").read_text(encoding="utf-8"))
    truth = pl.read_csv(out / "truth.csv", infer_schema=False).with_columns(
        pl.col("source_sheet").fill_null(""), pl.col("noise").fill_null(""), pl.col("source_row").cast(pl.Int64))
    return out, written, files, truth


def _grid(out: Path, f: dict) -> list[list[str]]:
    """The data sheet as text cells ('' for empty), rows as Excel numbers them (index + 1)."""
    path = out / "desa" / f["path"]
    if f["format"] == "csv":
        with path.open(encoding=f["encoding"], newline="") as fh:
            rows = list(csv.reader(fh, delimiter=f["delimiter"]))
    else:
        wb = python_calamine.CalamineWorkbook.from_path(str(path))
        rows = wb.get_sheet_by_name(f["sheet"]).to_python(skip_empty_area=False)
    return [["" if v is None else str(v).strip() for v in r] for r in rows]


# ---- determinism ------------------------------------------------------------------------
def test_same_seed_gives_identical_bytes(month, tmp_path):
    out, written, _, _ = month
    generate_wild(tmp_path / "b", seed=3, **SMALL)
    assert written.data_rows == SMALL["rows"]
    assert _hashes(out) == _hashes(tmp_path / "b")
    generate_wild(tmp_path / "c", seed=4, pop_seed=3, **SMALL)  # other files, same register
    other = _hashes(tmp_path / "c")
    assert other["truth.csv"] != _hashes(out)["truth.csv"]
    assert other["register/dtks.parquet"] == _hashes(out)["register/dtks.parquet"]  # same population


def test_population_seed_gives_the_usual_generators_register(tmp_path):
    from slrt_synth import generate_bench

    generate_bench(tmp_path / "g", files=2, rows=40, register_persons=3000, seed=5, jobs=1)
    generate_wild(tmp_path / "w", files=2, rows=40, register_persons=3000, seed=8, pop_seed=5)
    assert (tmp_path / "g/register/dtks.parquet").read_bytes() == (tmp_path / "w/register/dtks.parquet").read_bytes()


# ---- truth --------------------------------------------------------------------------------
def test_truth_covers_every_data_row(month):
    """Below the header, every non-empty row up to the ``###`` sentinel is a truth row, and back."""
    out, _, files, truth = month
    assert len(files) == SMALL["files"]
    assert sorted(truth["source_file"].unique().to_list()) == sorted(f["path"] for f in files)
    for f in files:
        grid = _grid(out, f)
        last_header = max(f["header_rows"])
        listed = set(truth.filter(pl.col("source_file") == f["path"])["source_row"].to_list())
        seen = set()
        for row_no in range(last_header + 1, len(grid) + 1):
            cells = grid[row_no - 1]
            if cells and cells[0] == "###":
                assert f["sentinel"]
                assert grid[row_no][0] == "Catatan:"
                break
            if not any(cells):
                continue
            numbering = [c.removesuffix(".0") for c in cells] == [str(i) for i in range(1, len(cells) + 1)]
            if numbering and row_no == last_header + 1:
                continue
            seen.add(row_no)
        assert seen == listed, f["path"]
        sheet = truth.filter(pl.col("source_file") == f["path"])["source_sheet"].unique().to_list()
        assert sheet == [f["sheet"]]


def test_identifying_rows_hold_a_name_and_a_nik_or_birth_date(month):
    """A row without a ``reject:`` tag has a name plus a NIK or a birth date in the file (the bench's
    definition of an identifying row); status-only rows hold an outcome or relationship and nothing else."""
    out, _, files, truth = month
    status_only = 0
    for f in files:
        grid = _grid(out, f)
        cols = f["columns"]
        name = cols.index("nama")
        nik = cols.index("nik")
        date = cols.index("ttl") if "ttl" in cols else cols.index("tanggal_lahir")
        keep = [i for i, k in enumerate(cols) if k in ("status_verivali", "hub_kk")]
        for row in truth.filter(pl.col("source_file") == f["path"]).iter_rows(named=True):
            cells = grid[row["source_row"] - 1]
            if "reject:" not in row["noise"]:
                assert cells[name], (f["path"], row["source_row"])
                assert cells[nik] or cells[date], (f["path"], row["source_row"])
            if "row:status_only" in row["noise"]:
                status_only += 1
                assert not cells[name] and not cells[nik]
                assert any(cells[i] for i in keep)
    assert status_only >= 3


# ---- variation ----------------------------------------------------------------------------
def test_titles_really_vary(month):
    _, _, files, _ = month
    nik_titles = {f["fields"]["nik"]["title"] for f in files if f["fields"]["nik"]["mode"] == "word"}
    assert len(nik_titles) >= 12, nik_titles
    date_modes = [f["fields"]["tanggal_lahir"]["mode"] for f in files]
    assert "combined" in date_modes  # with the place of birth: "BANTUL, 17-08-85"
    assert sum(m in ("number", "blank") for m in date_modes) >= 2  # no birth-date title: only content tells
    key_modes = {f["fields"][k]["mode"] for f in files for k in KEY_FIELDS if k in f["fields"]}
    assert {"word", "number", "blank"} <= key_modes
    assert any(f["header"] == "questionnaire" and len(f["header_rows"]) >= 3 for f in files)
    assert any(f["sentinel"] for f in files)
    assert any(f["instructions_sheet"] for f in files)
    assert any(f["extra_columns"] for f in files)
    assert len({tuple(f["columns"]) for f in files}) == len(files)  # no two files share a column order
    assert {f["format"] for f in files} >= {"xlsx", "csv"}


def test_values_vary_like_real_files(month):
    out, _, files, _ = month
    text = "\n".join("\n".join("\t".join(r) for r in _grid(out, f)) for f in files)
    assert re.search(r"\d{2}/\d{2}/\d{4} 0:00:00", text)  # dates with a time part
    assert re.search(r"\b\d{1,3}/\d{2,3}\b", text)  # RT/RW in one cell
    assert re.search(r"[A-Z .]+(, | / |,| )\d{1,2}[-/ ]", text)  # place and date in one cell
    assert re.search(r"\b(male|female|Male|Female)\b", text) or re.search(r"\tL\t|\tP\t", text)
    assert re.search(r"Tidak Ditemukan|TIDAK DITEMUKAN|Meninggal|MENINGGAL|Pindah|PINDAH", text)


def test_vocabulary_is_words_not_person_data_and_stays_out_of_the_reader():
    words = load_words()
    for spec in words["field"].values():
        assert spec["cores"]
    blob = json.dumps(words)
    assert not re.search(r"\d{12,}", blob)  # no identifier of anybody
    for p in (REPO / "slrt_cli").rglob("*.py"):  # the generator lives outside the shipped package
        assert "wild_words" not in p.read_text(encoding="utf-8"), p
    assert "wild" not in (REPO / "schemas" / "aliases.csv").read_text(encoding="utf-8").lower()
