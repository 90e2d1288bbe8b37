"""changes.csv: every change shows what changed, its kind, and the side slrt proposes to keep.

Synthetic people only; the frames are built here (no files read).
"""

from __future__ import annotations

import polars as pl
import pytest

from slrt_cli.i18n import catalog
from slrt_cli.match import normalise_names
from slrt_cli.reconcile import CHANGE_COLUMNS, CHANGE_KINDS, CHANGE_REASONS, explain_changes, reconcile

KEYS = ["source_file", "source_sheet", "source_row"]


def _rows(*people: dict) -> pl.DataFrame:
    base = {"source_file": "DESA.xlsx", "source_sheet": "Sheet1", "status": "valid", "status_verivali": None,
            "kode_desa": "3201011001", "no_kk": None, "nik": None, "nama": None, "hub_krt": None,
            "status_kawin": None, "tanggal_lahir": None, "issue_codes": []}
    rows = [{**base, "source_row": i + 2, **p} for i, p in enumerate(people)]
    text = {k: pl.Utf8 for k in base if k not in ("issue_codes",)}
    return pl.DataFrame(rows, schema_overrides={**text, "issue_codes": pl.List(pl.Utf8), "source_row": pl.Int64})


def _register(*people: dict) -> pl.DataFrame:
    base = {"household_id": "SYN32010000001", "kode_desa": "3201011001", "no_kk": None, "nik": None, "nama": None,
            "hub_krt": None, "status_kawin": None, "tanggal_lahir": None, "register_file": "dtks.csv"}
    rows = [{**base, "person_id": f"P{i}", "source_row": i + 2, **p} for i, p in enumerate(people)]
    return pl.DataFrame(rows, schema_overrides={k: pl.Utf8 for k in base})


def _links(n: int) -> pl.DataFrame:
    return pl.DataFrame({
        "source_file": ["DESA.xlsx"] * n, "source_sheet": ["Sheet1"] * n, "source_row": list(range(2, n + 2)),
        "outcome": ["matched"] * n, "person_id": [f"P{i}" for i in range(n)],
        "household_id": ["SYN32010000001"] * n, "score": [1.0] * n, "alasan": [""] * n, "match_stage": ["nik"] * n,
    })


def _changes(rows, reg, **kw) -> pl.DataFrame:
    return reconcile(rows, _links(rows.height), reg, name_key=normalise_names, **kw).changes


KK = "3201012345670003"


@pytest.fixture
def month():
    rows = _rows(
        {"nik": "3201020000000002", "no_kk": KK, "nama": "SITI AMINAH"},  # NIK: one digit of the date block
        {"nik": "3201014508900001", "no_kk": KK, "nama": "MUH. SOLEH", "hub_krt": "1", "status_kawin": "KAWIN"},
        {"nik": "3201014508900003", "no_kk": KK, "nama": "DEDI", "tanggal_lahir": "1990-08-05",
         "issue_codes": ["NIK_BIRTH_DATE_MISMATCH"]},
    )
    reg = _register(
        {"nik": "3201024000000002", "no_kk": KK, "nama": "SITI AMINAH"},
        {"nik": "3201014508900001", "no_kk": KK, "nama": "MUHAMMAD SOLEH", "hub_krt": None, "status_kawin": ""},
        {"nik": "3201014508900003", "no_kk": KK, "nama": "DEDY", "tanggal_lahir": "1990-08-15"},
    )
    return rows, reg


def test_a_changed_nik_shows_the_digits_that_differ(month):
    changes = _changes(*month)
    nik = changes.filter(pl.col("field") == "nik").row(0, named=True)
    assert nik["nilai_dtks"] == "3201024*****0002" and nik["nilai_desa"] == "3201020*****0002"
    assert nik["nilai_dtks"] != nik["nilai_desa"]  # masking never hides the change it reports


def test_full_ids_show_both_identifiers_whole(month):
    nik = _changes(*month, full_ids=True).filter(pl.col("field") == "nik").row(0, named=True)
    assert (nik["nilai_dtks"], nik["nilai_desa"]) == ("3201024000000002", "3201020000000002")


def test_a_value_the_register_lacks_is_a_fill_in_kept_from_the_village(month):
    changes = _changes(*month).filter(pl.col("source_row") == 3)
    fills = changes.filter(pl.col("field").is_in(["hub_krt", "status_kawin"]))
    assert fills.height == 2
    assert set(fills["jenis"]) == {"isian"} and set(fills["usul"]) == {"desa"}
    assert set(fills["alasan_usul"]) == {"dtks_kosong"}


def test_a_spelling_variant_keeps_the_register_spelling(month):
    name = _changes(*month).filter((pl.col("field") == "nama") & (pl.col("source_row") == 3)).row(0, named=True)
    assert (name["jenis"], name["usul"], name["alasan_usul"]) == ("ejaan", "dtks", "ejaan_nama")


def test_a_correction_keeps_the_village_value_unless_the_checks_flagged_it(month):
    changes = _changes(*month)
    name = changes.filter((pl.col("field") == "nama") & (pl.col("source_row") == 4)).row(0, named=True)
    assert (name["jenis"], name["usul"], name["alasan_usul"]) == ("koreksi", "desa", "hasil_verivali")
    born = changes.filter(pl.col("field") == "tanggal_lahir").row(0, named=True)
    assert (born["jenis"], born["usul"], born["alasan_usul"]) == ("koreksi", "dtks", "nilai_desa_ditandai")


def test_columns_and_codes_are_stable_and_the_reason_is_translated(month):
    changes = _changes(*month)
    assert changes.columns == CHANGE_COLUMNS
    assert set(changes["jenis"]) <= set(CHANGE_KINDS)
    assert all(CHANGE_REASONS[r] == u for r, u in changes.select("alasan_usul", "usul").iter_rows())
    en = explain_changes(changes, "en")
    assert en.columns == changes.columns and en.select(KEYS + ["usul", "alasan_usul"]).equals(
        changes.select(KEYS + ["usul", "alasan_usul"]))
    fill = en.filter(pl.col("jenis") == "isian")["keterangan_usul"][0]
    assert fill == catalog("en")["usul_dtks_kosong"] != changes.filter(pl.col("jenis") == "isian")["keterangan_usul"][0]


def test_every_reason_has_a_text_in_both_languages():
    for lang in ("id", "en"):
        assert {f"usul_{code}" for code in CHANGE_REASONS} <= catalog(lang).keys()
    assert set(CHANGE_REASONS.values()) == {"desa", "dtks"}


def test_no_change_means_an_empty_table_with_the_columns():
    rows = _rows({"nik": "3201014508900001", "nama": "SITI"})
    reg = _register({"nik": "3201014508900001", "nama": "SITI"})
    changes = _changes(rows, reg)
    assert changes.height == 0 and changes.columns == CHANGE_COLUMNS


def test_reconciliation_names_the_register_person_by_its_own_identity(month):
    rows, reg = month
    rec = reconcile(rows, _links(rows.height), reg, name_key=normalise_names)
    first = rec.reconciliation.row(0, named=True)
    assert first["nik_dtks"] == "320102******0002" and first["nama_dtks"] == "SITI AMINAH"
    assert (first["id_dtks"], first["berkas_dtks"], first["baris_dtks"]) == ("SYN32010000001", "dtks.csv", 2)
    full = reconcile(rows, _links(rows.height), reg, full_ids=True).reconciliation.row(0, named=True)
    assert full["nik_dtks"] == "3201024000000002"


def test_not_found_gives_the_register_row():
    rows = _rows({"nik": "3201014508900001", "nama": "SITI"})
    reg = _register({"nik": "3201014508900001", "nama": "SITI"}, {"nik": "3201014508900002", "nama": "ANI"})
    nf = reconcile(rows, _links(1), reg).not_found
    assert nf.select("person_id", "id_dtks", "berkas_dtks", "baris_dtks").rows() == [
        ("P1", "SYN32010000001", "dtks.csv", 3)
    ]
    assert nf["nik"][0] == "320101******0002"


def test_a_register_without_household_ids_masks_the_no_kk_it_uses_instead():
    rows = _rows({"nik": "3201014508900001", "nama": "SITI", "no_kk": KK})
    reg = _register({"nik": "3201014508900001", "nama": "SITI", "no_kk": KK, "household_id": KK})
    rec = reconcile(rows, _links(1), reg).reconciliation
    assert rec["id_dtks"][0] == "320101******0003"
