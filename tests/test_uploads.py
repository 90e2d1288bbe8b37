"""The ministry's update files under kirim/: contents, counts, identifiers, manifest, determinism."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import polars as pl
import pytest

from slrt_cli.errors import InputError, UsageError
from slrt_cli.pipeline import run
from slrt_cli.registers import load_register
from slrt_cli.reconcile import Reconciliation
from slrt_cli.schemas import load_schema
from slrt_cli.upload_layouts import KINDS, layouts_dir, load_layouts
from slrt_cli.uploads import NO_REGION, write_uploads

REPO = Path(__file__).resolve().parent.parent
DESA = REPO / "sample_data" / "desa"
REGISTER = REPO / "sample_data" / "register" / "dtks.parquet"
KEYS = ["source_file", "source_sheet", "source_row"]
SETTINGS = {"coverage": "household", "register": [REGISTER], "full_ids": False}


@pytest.fixture(scope="module")
def result():
    """A month of the sample data, with the register frame kept (as the pipeline should)."""
    r = run([str(DESA)], [str(REGISTER)], full_ids=False)
    r.register = load_register([REGISTER], load_schema(), dt.date.today())
    return r


@pytest.fixture(scope="module")
def result_no_register():
    """The same month without a register frame on the result: full ids asked for in the tables."""
    return run([str(DESA)], [str(REGISTER)], full_ids=True)


@pytest.fixture(scope="module")
def kirim(result, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run") / "kirim"
    write_uploads(folder, result, period="2025-10", settings=SETTINGS)
    return folder


def read_kirim(path: Path) -> list[dict[str, str]]:
    text = path.read_bytes().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text, newline=""), delimiter="|"))


def rows_of(folder: Path, kind: str) -> list[dict[str, str]]:
    name = load_layouts()[kind].file_name
    return [row for p in sorted(folder.rglob(name)) for row in read_kirim(p)]


def expected_nonaktif(result) -> set[str]:
    statuses = load_layouts()["nonaktif"].statuses
    links = result.reconciliation.reconciliation
    listed = links.filter((pl.col("outcome") == "matched") & pl.col("status_verivali").is_in(list(statuses)))
    return set(listed["person_id"]) | set(result.reconciliation.not_found["person_id"])


def expected_perbaikan(result) -> set[tuple[str, str]]:
    skip = load_layouts()["perbaikan"].skip_when_flagged
    gone = expected_nonaktif(result)
    codes = result.rows.select(KEYS + ["issue_codes"])
    pairs = set()
    for row in result.reconciliation.changes.join(codes, on=KEYS, how="left").iter_rows(named=True):
        if row["person_id"] in gone or set(row["issue_codes"] or []) & set(skip.get(row["field"], ())):
            continue
        if row.get("jenis") == "ejaan":  # a spelling variant of the same name is not a correction
            continue
        pairs.add((row["person_id"], row["field"]))
    return pairs


def test_written_paths_and_files(kirim, result, tmp_path):
    out = write_uploads(tmp_path / "kirim", result, period="2025-10", settings=SETTINGS)
    assert out == [
        "kirim/3201/nonaktif.csv", "kirim/3201/perbaikan.csv", "kirim/3201/usulan_baru.csv", "kirim/manifest.json",
    ]
    assert sorted(p.relative_to(tmp_path).as_posix() for p in (tmp_path / "kirim").rglob("*") if p.is_file()) == sorted(out)


def test_manifest_checksums_and_rows_match_the_files(kirim):
    text = (kirim / "manifest.json").read_text("utf-8")
    manifest = json.loads(text)
    assert text == json.dumps(manifest, ensure_ascii=False, indent=2, sort_keys=True) + "\n"  # keys sorted
    assert manifest["period"] == "2025-10"
    assert manifest["settings"]["register"] == [REGISTER.as_posix()]
    assert manifest["schema_version"] == load_schema().version
    paths = [f["path"] for f in manifest["files"]]
    assert paths == sorted(paths) and len(paths) == 3
    for entry in manifest["files"]:
        data = (kirim / entry["path"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["path"]
        assert len(read_kirim(kirim / entry["path"])) == entry["rows"], entry["path"]
    assert {f["kind"] for f in manifest["files"]} == set(KINDS)
    assert manifest["layouts"]["nonaktif"]["columns"] == load_layouts()["nonaktif"].titles


def test_rows_per_file_equal_the_reconciliation_counts(kirim, result):
    links = result.reconciliation.reconciliation
    new = rows_of(kirim, "usulan_baru")
    assert len(new) == links.filter(pl.col("outcome") == "new").height > 0
    assert {r["JENIS USULAN"] for r in new} == {"USULAN BARU", "ANGGOTA BARU"}

    off = rows_of(kirim, "nonaktif")
    assert len(off) == len(expected_nonaktif(result))
    assert {r["ID ART"] for r in off} == expected_nonaktif(result)
    reasons = {r["ALASAN NONAKTIF"] for r in off}
    assert {"MENINGGAL", "PINDAH", "TIDAK DITEMUKAN"} <= reasons
    not_found = {r["ID ART"] for r in off if r["KETERANGAN"] == load_layouts()["nonaktif"].not_found_note}
    assert not_found == set(result.reconciliation.not_found["person_id"])

    fixes = rows_of(kirim, "perbaikan")
    assert len(fixes) == len(expected_perbaikan(result)) > 0
    titles = load_layouts()["perbaikan"].field_titles
    assert {(r["ID ART"], r["KOLOM"]) for r in fixes} == {(p, titles[f]) for p, f in expected_perbaikan(result)}
    assert not {r["ID ART"] for r in fixes} & {r["ID ART"] for r in off}


def test_village_duplicates_are_not_deactivated(kirim, result):
    """A row listed twice by the village (outcome duplicate) keeps its register person active."""
    links = result.reconciliation.reconciliation
    dup = set(links.filter(pl.col("outcome") == "duplicate")["person_id"].drop_nulls())
    kept = set(links.filter((pl.col("outcome") == "matched") & (pl.col("status_verivali") == "DITEMUKAN"))["person_id"])
    assert dup & kept, "the sample should have a duplicate of a found person"
    assert not (dup & kept) & {r["ID ART"] for r in rows_of(kirim, "nonaktif")}


def test_full_identifiers_in_every_file(kirim, result):
    """The tables of this run are masked; the ministry files carry full NIK/No KK."""
    assert result.reconciliation.not_found["nik"].str.contains("*", literal=True).any()
    for path in kirim.rglob("*.csv"):
        assert "*" not in path.read_text("utf-8-sig"), path
    reg = result.register
    off = rows_of(kirim, "nonaktif")
    niks = [r["NIK"] for r in off if r["NIK"]]
    assert niks and all(len(n) == 16 and n.isdigit() for n in niks)
    by_person = dict(reg.select("person_id", "nik").iter_rows())
    assert all(r["NIK"] == (by_person[r["ID ART"]] or "") for r in off)
    new_niks = set(result.rows.join(
        result.reconciliation.reconciliation.filter(pl.col("outcome") == "new").select(KEYS), on=KEYS
    )["nik"].drop_nulls())
    assert new_niks and new_niks == {r["NIK"] for r in rows_of(kirim, "usulan_baru") if r["NIK"]}


def test_without_register_frame_ids_come_from_the_tables(result_no_register, tmp_path):
    folder = tmp_path / "kirim"
    write_uploads(folder, result_no_register, period="2025-10", settings={})
    off = rows_of(folder, "nonaktif")
    assert {r["ID ART"] for r in off} == expected_nonaktif(result_no_register)
    nf = result_no_register.reconciliation.not_found
    full = dict(nf.select("person_id", "nik").iter_rows())
    assert all(r["NIK"] == (full[r["ID ART"]] or "") for r in off if r["ID ART"] in full)


def test_file_format_follows_the_layout(kirim):
    layout = load_layouts()["usulan_baru"]
    data = (kirim / "3201" / layout.file_name).read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM
    first = data[3:].split(b"\r\n", 1)[0].decode()
    assert first.split("|") == layout.titles
    for row in read_kirim(kirim / "3201" / layout.file_name):
        if row["TANGGAL LAHIR"]:
            dt.datetime.strptime(row["TANGGAL LAHIR"], "%d-%m-%Y")  # dd-mm-yyyy
        assert row["JENIS KELAMIN"] in ("", "1", "2")
        assert row["KODE WILAYAH"].startswith("3201") and len(row["KODE WILAYAH"]) == 10
        assert row["KABUPATEN/KOTA"] == "KABUPATEN BOGOR"


def test_same_inputs_give_identical_bytes(result, kirim, tmp_path):
    again = tmp_path / "kirim"
    write_uploads(again, result, period="2025-10", settings=SETTINGS)
    write_uploads(again, result, period="2025-10", settings=SETTINGS)  # replaces its own folder
    files = sorted(p.relative_to(kirim) for p in kirim.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(again) for p in again.rglob("*") if p.is_file())
    for rel in files:
        assert (kirim / rel).read_bytes() == (again / rel).read_bytes(), rel


def test_split_per_desa(result, kirim, tmp_path):
    folder = tmp_path / "kirim"
    paths = write_uploads(folder, result, period="2025-10", settings={}, split_desa=True)
    desa = {p.split("/")[2] for p in paths if p.count("/") == 3}
    assert len(desa) > 1 and all(d.startswith("3201") and len(d) == 10 for d in desa)
    manifest = json.loads((folder / "manifest.json").read_text())
    assert all(f["desa"] == f["path"].split("/")[1] for f in manifest["files"])
    for kind in KINDS:
        assert len(rows_of(folder, kind)) == len(rows_of(kirim, kind)), kind
    for row in rows_of(folder, "nonaktif"):
        assert row["KODE WILAYAH"] in desa


def test_refuses_to_replace_a_foreign_folder(result, tmp_path):
    folder = tmp_path / "kirim"
    folder.mkdir()
    (folder / "catatan.txt").write_text("bukan hasil slrt")
    with pytest.raises(UsageError):
        write_uploads(folder, result, period="2025-10", settings={})
    assert (folder / "catatan.txt").exists()


def test_a_wrong_layout_file_is_named(tmp_path):
    folder = tmp_path / "kirim_layouts"
    shutil.copytree(layouts_dir(), folder)
    path = folder / "nonaktif.toml"
    path.write_text(path.read_text("utf-8").replace('source = "nik"', 'source = "nomor_nik"'), "utf-8")
    with pytest.raises(InputError) as err:
        load_layouts(folder)
    assert err.value.params["path"] == str(path) and "nomor_nik" in err.value.params["detail"]


# ---------------------------------------------------------------- a hand-made month


def tiny_result() -> SimpleNamespace:
    """Two new rows (one without any region), nothing else; synthetic people."""
    rows = pl.DataFrame(
        {
            "source_file": ["a.xlsx", "b.csv"],
            "source_sheet": ["Sheet1", ""],
            "source_row": [2, 2],
            "nik": ["3201014508900001", "3201011508850002"],
            "no_kk": ["3201011201150003", None],
            "nama": ["WARGA CONTOH", "=HYPERLINK(\"http://x\")"],
            "tanggal_lahir": [dt.date(1990, 8, 5), None],
            "jenis_kelamin": ["2", "1"],
            "hub_kk": [None, None],
            "hub_krt": ["1", None],
            "alamat": ["+62 JL. CONTOH", "@RT 01"],
            "kode_desa": ["3201011002", None],
            "alasan": ["-", None],
            "issue_codes": [[], []],
        }
    )
    links = rows.select(*KEYS, "nik", "no_kk", "nama", "kode_desa").with_columns(
        pl.lit("new").alias("outcome"), pl.lit(None, pl.Utf8).alias("person_id"), pl.lit(None, pl.Utf8).alias("household_id"),
        pl.lit("USULAN_BARU").alias("status_verivali"),
    )
    empty = {k: pl.Utf8 for k in ("person_id", "household_id", "kode_desa", "nik", "no_kk", "nama")}
    changes = {k: pl.Utf8 for k in ("source_file", "source_sheet", "person_id", "household_id", "field", "nilai_dtks", "nilai_desa")}
    changes["source_row"] = pl.Int64
    return SimpleNamespace(
        rows=rows,
        reconciliation=Reconciliation(links, pl.DataFrame(schema=empty), pl.DataFrame(), pl.DataFrame(schema=changes)),
    )


def test_rows_without_region_and_formula_cells(tmp_path):
    folder = tmp_path / "kirim"
    paths = write_uploads(folder, tiny_result(), period="2026-01", settings={})
    assert f"kirim/{NO_REGION}/usulan_baru.csv" in paths and "kirim/3201/usulan_baru.csv" in paths
    (bogor,) = read_kirim(folder / "3201" / "usulan_baru.csv")
    assert bogor["NIK"] == "3201014508900001" and bogor["TANGGAL LAHIR"] == "05-08-1990"
    assert bogor["HUB KELUARGA"] == "1"  # from hub_krt when hub_kk is empty
    assert bogor["ALAMAT"] == "'+62 JL. CONTOH" and bogor["KETERANGAN"] == "'-"
    (loose,) = read_kirim(folder / NO_REGION / "usulan_baru.csv")
    assert loose["NAMA"].startswith("'=") and loose["ALAMAT"] == "'@RT 01" and loose["KODE WILAYAH"] == ""
    assert read_kirim(folder / NO_REGION / "nonaktif.csv") == []  # header only: same files in every folder


def test_person_ids_slrt_made_up_are_not_sent(result, tmp_path):
    """A register without person ids (SIKS-NG export) gets ids from slrt: they mean nothing to the ministry."""
    off = expected_nonaktif(result)
    reg = result.register.with_columns(pl.col("person_id").is_in(list(off)).alias("person_id_derived"))
    folder = tmp_path / "kirim"
    write_uploads(folder, SimpleNamespace(rows=result.rows, reconciliation=result.reconciliation, register=reg),
                  period="2025-10", settings={})
    rows = rows_of(folder, "nonaktif")
    assert len(rows) == len(off) and {r["ID ART"] for r in rows} == {""}
    assert all(r["ID DTKS"] and r["NAMA"] for r in rows)


def test_a_layout_column_of_any_register_field_is_filled_from_the_register(result, tmp_path):
    """The register is narrowed to the columns the layouts name (a 440,000-person not-found list with
    ``--coverage desa``): a column an operator adds to a layout still gets the register's value."""
    folder = tmp_path / "kirim_layouts"
    shutil.copytree(layouts_dir(), folder)
    path = folder / "nonaktif.toml"
    path.write_text(path.read_text("utf-8") + '\n[[column]]\ntitle = "TEMPAT LAHIR"\nsource = "tempat_lahir"\n'
                    '\n[[column]]\ntitle = "PEKERJAAN"\nsource = "pekerjaan"\n', "utf-8")
    layouts = load_layouts(folder)
    out = tmp_path / "kirim"
    write_uploads(out, result, period="2025-10", settings={}, layouts=layouts)
    rows = [row for p in sorted(out.rglob("nonaktif.csv")) for row in read_kirim(p)]
    register = result.register.filter(pl.col("person_id").is_in([r["ID ART"] for r in rows]))
    expected = dict(zip(register["person_id"], register["tempat_lahir"].fill_null(""), strict=True))
    work = dict(zip(register["person_id"], register["pekerjaan"].fill_null(""), strict=True))
    assert rows and any(expected.values())
    assert {r["ID ART"]: r["TEMPAT LAHIR"] for r in rows} == expected
    assert {r["ID ART"]: r["PEKERJAAN"] for r in rows} == work
