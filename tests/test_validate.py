"""Validation rules on hand-built normalised batches (no reader, no normaliser)."""

import datetime as dt
import json

import polars as pl
import pytest

from slrt_cli.i18n import t
from slrt_cli.schemas import load_schema
from slrt_cli.checks import validate_batch

TODAY = dt.date(2026, 11, 22)
SCHEMA = load_schema()
D = dt.date

# A well-formed woman born 5 Aug 1990: NIK date block 45 08 90.
GOOD = {
    "nik": "3201014508900001",
    "no_kk": "3201011201150003",
    "nama": "WARGA CONTOH SATU",
    "tanggal_lahir": D(1990, 8, 5),
    "jenis_kelamin": "2",
    "hub_kk": "1",
}


def batch(*rows: dict) -> pl.DataFrame:
    recs = []
    for i, r in enumerate(rows):
        rec = {"source_file": "desa.xlsx", "source_sheet": "Data", "source_row": 5 + i}
        rec.update(r)
        for f in ("nik", "no_kk", "nama", "jenis_kelamin", "hub_kk"):
            rec.setdefault(f"{f}__raw", None if rec.get(f) is None else str(rec[f]))
        rec.setdefault("nik__numeric", False)
        rec.setdefault("no_kk__numeric", False)
        rec.setdefault("tanggal_lahir__status", "ok" if rec.get("tanggal_lahir") else "empty")
        recs.append(rec)
    schema = {
        "tanggal_lahir": pl.Date,
        "nik": pl.Utf8,
        "no_kk": pl.Utf8,
        "nama": pl.Utf8,
        "jenis_kelamin": pl.Utf8,
        "hub_kk": pl.Utf8,
    }
    return pl.DataFrame(recs, schema_overrides=schema, infer_schema_length=None)


def run(*rows):
    return validate_batch(batch(*rows), SCHEMA, {("desa.xlsx", "Data"): {"nik": "NIK (C)"}}, today=TODAY)


def codes_of(result, row=0):
    return set(result.rows["issue_codes"][row].to_list())


def test_a_clean_row_is_accepted_without_issues():
    r = run(GOOD)
    assert r.rows["status"].to_list() == ["accepted"]
    assert r.issues.height == 0


@pytest.mark.parametrize(
    "change, code, status",
    [
        ({"nama": None}, "NAME_MISSING", "rejected"),
        ({"nik": None, "tanggal_lahir": None}, "IDENTITY_MISSING", "rejected"),
        ({"nik": "12345", "tanggal_lahir": None}, "IDENTITY_MISSING", "rejected"),
        ({"tanggal_lahir": D(2027, 1, 1)}, "BIRTH_DATE_FUTURE", "rejected"),
        ({"nik": None}, "NIK_MISSING", "flagged"),
        ({"nik__numeric": True, "nik": "3201014508900000"}, "NIK_NUMERIC", "flagged"),
        ({"nik": "32010145089000"}, "NIK_FORMAT", "flagged"),
        ({"nik": "3201014508900O01"}, "NIK_FORMAT", "flagged"),
        ({"nik": "9901014508900001"}, "NIK_PROVINCE_UNKNOWN", "flagged"),
        ({"nik": "3299014508900001"}, "NIK_REGION_UNKNOWN", "flagged"),
        ({"nik": "3201013102900001"}, "NIK_DATE_INVALID", "flagged"),
        ({"nik": "3201014508900000"}, "NIK_SERIAL_ZERO", "flagged"),
        ({"nik": "3201000000000001"}, "NIK_REPEATED_DIGITS", "flagged"),
        ({"tanggal_lahir": D(1990, 8, 6)}, "NIK_BIRTH_DATE_MISMATCH", "flagged"),
        ({"jenis_kelamin": "1"}, "NIK_SEX_MISMATCH", "flagged"),
        ({"no_kk": "3201014508900001"}, "NIK_EQUALS_KK", "flagged"),
        ({"no_kk": None}, "KK_MISSING", "flagged"),
        ({"no_kk__numeric": True}, "KK_NUMERIC", "flagged"),
        ({"no_kk": "320101"}, "KK_FORMAT", "flagged"),
        ({"no_kk": "0001011201150003"}, "KK_PROVINCE_UNKNOWN", "flagged"),
        ({"no_kk": "3201011201150000"}, "KK_SERIAL_ZERO", "flagged"),
        ({"tanggal_lahir": None, "tanggal_lahir__status": "invalid", "tanggal_lahir__raw": "31-02-1990"}, "BIRTH_DATE_INVALID", "flagged"),
        ({"tanggal_lahir": None, "tanggal_lahir__status": "placeholder", "tanggal_lahir__raw": "01-01-1900"}, "BIRTH_DATE_PLACEHOLDER", "flagged"),
        ({"tanggal_lahir": None}, "BIRTH_DATE_MISSING", "flagged"),
        ({"nik": None, "tanggal_lahir": D(1890, 1, 1)}, "BIRTH_DATE_TOO_OLD", "flagged"),
        ({"jenis_kelamin": None, "jenis_kelamin__raw": "X"}, "SEX_INVALID", "flagged"),
        ({"nama": "WARGA 2"}, "NAME_HAS_DIGITS", "flagged"),
        ({"hub_kk": None, "hub_kk__raw": "SEPUPU JAUH"}, "CODE_INVALID", "flagged"),
        ({"person_id__numeric": True, "person_id": "1234567890"}, "ID_NUMERIC", "flagged"),
        ({"rt": None, "rt__raw": "A1"}, "RT_RW_INVALID", "flagged"),
        ({"desil": None, "desil__raw": "sebelas"}, "NUMBER_INVALID", "flagged"),
        ({"desil": 11, "desil__raw": "11"}, "NUMBER_INVALID", "flagged"),
        ({"pkh": None, "pkh__raw": "mungkin"}, "FLAG_INVALID", "flagged"),
        ({"kode_desa": "3201019999", "kode_desa__raw": "32.01.01.9999"}, "REGION_CODE_UNKNOWN", "flagged"),
        ({"region_unresolved": "nama_desa", "nama_desa__raw": "DESA ANTAH"}, "REGION_NAME_UNKNOWN", "flagged"),
    ],
)
def test_each_rule(change, code, status):
    row = {**GOOD, **change}
    r = run(row)
    assert code in codes_of(r), r.issues
    assert r.rows["status"][0] == status
    issue = r.issues.filter(pl.col("code") == code).row(0, named=True)
    assert issue["file"] == "desa.xlsx" and issue["sheet"] == "Data" and issue["row"] == 5
    # the message renders completely in both languages
    for lang in ("id", "en"):
        msg = t(code, lang=lang, value=issue["value"], column=issue["column"], **json.loads(issue["params"]))
        assert "{" not in msg, msg


def test_identifiers_are_masked_in_issues():
    r = run({**GOOD, "jenis_kelamin": "1"})
    issue = r.issues.filter(pl.col("code") == "NIK_SEX_MISMATCH").row(0, named=True)
    assert issue["value"] == "320101******0001"
    assert "3201014508900001" not in r.issues.write_csv()


def test_the_column_is_named_as_the_user_sees_it():
    r = run({**GOOD, "jenis_kelamin": "1"})
    assert r.issues.filter(pl.col("code") == "NIK_SEX_MISMATCH")["column"][0] == "NIK (C)"


def test_duplicate_nik_names_the_other_rows():
    r = run(GOOD, {**GOOD, "nama": "WARGA CONTOH DUA", "hub_kk": "3"})
    dup = r.issues.filter(pl.col("code") == "NIK_DUPLICATE").sort("row")
    assert dup.height == 2
    assert json.loads(dup["params"][0]) == {"count": "2", "others": "desa.xlsx:6"}


def test_household_heads():
    child = {**GOOD, "nik": "3201011005150001", "tanggal_lahir": D(2015, 5, 10), "jenis_kelamin": "1", "hub_kk": "3", "nama": "ANAK CONTOH"}
    none = run({**GOOD, "hub_kk": "2"}, child)
    assert "HOUSEHOLD_NO_HEAD" in codes_of(none, 0) and "HOUSEHOLD_NO_HEAD" in codes_of(none, 1)
    two = run(GOOD, {**child, "hub_kk": "1", "tanggal_lahir": D(1985, 5, 10), "nik": "3201011005850001"})
    assert "HOUSEHOLD_MANY_HEADS" in codes_of(two, 0)
    ok = run(GOOD, child)
    assert ok.issues.height == 0


def test_child_older_than_head_is_implausible():
    old_child = {**GOOD, "nik": "3201011005600001", "tanggal_lahir": D(1960, 5, 10), "jenis_kelamin": "1", "hub_kk": "3", "nama": "ANAK TUA"}
    r = run(GOOD, old_child)
    assert "AGE_RELATION_IMPLAUSIBLE" in codes_of(r, 1)


def test_a_broken_nik_with_name_and_birth_date_is_flagged_not_rejected():
    r = run({**GOOD, "nik": "32010145"})
    assert r.rows["status"][0] == "flagged"


def test_no_row_is_lost():
    rows = [GOOD, {**GOOD, "nama": None}, {**GOOD, "nik": None}]
    r = run(*rows)
    assert r.rows.height == 3
    assert r.rows["source_row"].to_list() == [5, 6, 7]


def test_relation_to_the_household_head_groups_by_household_not_kk():
    # A second KK inside a household: its members relate to the *household* head (hub_krt),
    # so their KK having no relation-1 member is not a problem.
    head = {**GOOD, "hub_kk": None, "hub_krt": "1", "household_id": "SYN-H1"}
    married_child = {**GOOD, "nik": "3201011005950001", "tanggal_lahir": D(1995, 5, 10), "jenis_kelamin": "1",
                     "nama": "ANAK MENIKAH", "hub_kk": None, "hub_krt": "3", "household_id": "SYN-H1",
                     "no_kk": "3201010101200002"}
    grandchild = {**married_child, "nik": "3201011005200001", "tanggal_lahir": D(2020, 5, 10), "nama": "CUCU",
                  "hub_krt": "5"}
    r = run(head, married_child, grandchild)
    assert r.issues.filter(pl.col("code").str.starts_with("HOUSEHOLD")).height == 0


def test_rows_without_household_do_not_borrow_a_head_age():
    lone_child = {**GOOD, "no_kk": None, "hub_kk": "3", "nik": "3201011005600001", "tanggal_lahir": D(1960, 5, 10),
                  "jenis_kelamin": "1", "nama": "ANAK TANPA KK"}
    lone_head = {**GOOD, "no_kk": None, "nik": "3201014508000001", "tanggal_lahir": D(2000, 8, 5)}
    r = run(lone_head, lone_child)
    assert "AGE_RELATION_IMPLAUSIBLE" not in codes_of(r, 1)
