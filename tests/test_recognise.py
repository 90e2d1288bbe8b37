"""Columns recognised by their words and their content, on files built here and on files
nobody on the team made (``shared/corpus/formats``). Synthetic people only."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pytest
import xlsxwriter

from slrt_cli.io.content import profile_column, split_place_date, split_rt_rw
from slrt_cli.io.layout import is_hint_row
from slrt_cli.io.titles import TitleRecogniser
from slrt_cli.pipeline import validate
from slrt_cli.schemas import load_schema

NIK_A = "3201014508900001"  # woman, 05-08-1990
NIK_B = "3201011508850002"  # man, 15-08-1985
NIK_C = "3201015012150003"  # woman, 10-12-2015
KK = "3201011201150003"
TODAY = dt.date(2026, 11, 1)
CORPUS = next((p for p in (Path(__file__).resolve().parents[2] / "shared" / "corpus", Path("/work/shared/corpus"))
               if p.is_dir()), None)


@pytest.fixture(scope="module")
def rec():
    return TitleRecogniser.for_schema(load_schema())


@pytest.mark.parametrize(
    "title, field",
    [
        ("NIK (WAJIB 16 ANGKA)", "nik"),  # hints
        ("TANGGAL LAHIR (HH-BB-TTTT)", "tanggal_lahir"),
        ("Jenis Kelamin (L/P)", "jenis_kelamin"),
        ("(3) NIK", "nik"),  # numbering
        ("3. Nama Lengkap", "nama"),
        ("Kode Desa/Kelurahan (10)", "kode_desa"),
        ("kartu_nik", "nik"),  # exporters' prefixes and suffixes
        ("kartu_nama", "nama"),
        ("kartu_tanggal_lahir", "tanggal_lahir"),
        ("nik_anggota", "nik"),
        ("NO. KTP/NIK PENERIMA", "nik"),
        ("Nama\nLengkap\nAnggota", "nama"),  # line breaks
        ("Tgl.\nLahir", "tanggal_lahir"),
        ("HASIL VERVAL", "status_verivali"),
        ("Status Hubungan", "hub_kk"),
        ("Status Nikah", "status_kawin"),
        ("gender", "jenis_kelamin"),
        ("Date of birth", "tanggal_lahir"),
        ("Tempat, Tanggal Lahir", "tempat_tanggal_lahir"),  # combined
        ("RT / RW", "rt_rw"),
    ],
)
def test_titles_recognised_by_their_words(rec, title, field):
    assert rec.recognise(title).field == field


@pytest.mark.parametrize("title", ["Nama SLS (11)", "nama_ortu", "Nama Program", "tgl_lpj", "tanggal_pengukuran",
                                   "No. Peserta", "Status bangunan (16)", "406", "Jumlah ART (14)",
                                   "Title:", "Total", "Value at"])  # a longer word never shortens to TTL
def test_titles_of_other_things_are_not_taken(rec, title):
    assert rec.recognise(title).field is None


def test_title_that_only_speaks_of_a_kind_rules_the_field_out(rec):
    assert "tanggal_lahir" in rec.speaks_of("tgl_lpj")
    assert "nama" in rec.speaks_of("nama_ortu")
    assert rec.speaks_of("406") == set()


def test_profiles_and_splitters():
    schema = load_schema()
    dates = profile_column(["12/12/1982 0:00:00", "30/03/1979 0:00:00", "01-01-1990"], ["s"] * 3, schema, TODAY)
    assert dates.fit("date") == 1.0
    serials = profile_column(["30000", "31000.0", "25000"], ["n"] * 3, schema, TODAY)
    assert serials.fit("date") == 1.0
    ages = profile_column(["35", "12", "70"], ["n"] * 3, schema, TODAY)
    assert ages.fit("date") == 0.0
    ids = profile_column([NIK_A, NIK_B, NIK_C], ["s"] * 3, schema, TODAY)
    assert ids.fit("nik") == 1.0 and ids.women_days > 0
    words = profile_column(["Ditemukan", "Tidak Ditemukan", "Usulan Baru"], ["s"] * 3, schema, TODAY)
    assert words.fit("status_verivali") == 1.0
    assert split_place_date("BANTUL, 17-08-85") == ("BANTUL", "17-08-85")
    assert split_place_date("17-08-1985") == (None, "17-08-1985")
    assert split_rt_rw("01/003") == ("01", "003") and split_rt_rw("RT 1") == (None, None)
    assert is_hint_row(["Terdaftar / Tidak Terdaftar", "Ya / Tidak"]) and not is_hint_row([NIK_A, "SITI"])


def _write_xlsx(path: Path, sheets: dict[str, list[list]]) -> Path:
    wb = xlsxwriter.Workbook(path)
    text = wb.add_format({"num_format": "@"})
    for name, rows in sheets.items():
        ws = wb.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, v in enumerate(row):
                if v is None:
                    continue
                if isinstance(v, str):
                    ws.write_string(r, c, v, text)
                else:
                    ws.write_number(r, c, v)
    wb.close()
    return path


def _rows(report):
    return report.table.sort("source_row")


def _issues(report, code):
    return report.issue_table.filter(report.issue_table["code"] == code)


def test_hints_prefixes_and_line_breaks_in_titles(tmp_path):
    path = _write_xlsx(tmp_path / "desa.xlsx", {"DATA": [
        ["(1) NO", "kartu_nama", "NIK (WAJIB 16 ANGKA)", "No.\nKartu Keluarga", "TANGGAL LAHIR (HH-BB-TTTT)",
         "Jenis Kelamin (L/P)"],
        ["1", "SITI CONTOH", NIK_A, KK, "05-08-1990", "P"],
        ["2", "BUDI CONTOH", NIK_B, KK, "15-08-1985", "L"],
    ]})
    report = validate([path], today=TODAY)
    rows = _rows(report)
    assert rows["nama"].to_list() == ["SITI CONTOH", "BUDI CONTOH"]
    assert rows["nik"].to_list() == [NIK_A, NIK_B]
    assert rows["no_kk"].to_list() == [KK, KK]
    assert rows["tanggal_lahir"].to_list() == [dt.date(1990, 8, 5), dt.date(1985, 8, 15)]
    assert rows["jenis_kelamin"].to_list() == ["2", "1"]
    assert set(rows["status"]) == {"accepted"}


def test_birth_date_found_by_content_under_a_bare_item_number(tmp_path):
    serial = lambda d: (d - dt.date(1899, 12, 30)).days  # noqa: E731
    path = _write_xlsx(tmp_path / "kuesioner.xlsx", {"R": [
        ["NAMA", "NIK", "406", "407"],
        ["SITI CONTOH", "", serial(dt.date(1990, 8, 5)), 1],
        ["ANAK CONTOH", NIK_C, serial(dt.date(2015, 12, 10)), 3],
    ]})
    report = validate([path], today=TODAY)
    rows = _rows(report)
    assert rows["tanggal_lahir"].to_list() == [dt.date(1990, 8, 5), dt.date(2015, 12, 10)]
    assert set(rows["status"]) != {"rejected"}  # the NIK-less row has its birth date: not rejected
    info = _issues(report, "COLUMN_BY_CONTENT")
    assert info.height == 1 and info["column"][0] == "406"
    assert json.loads(info["params"][0])["pct"] == 100


def test_swapped_columns_are_read_by_content_with_a_warning(tmp_path):
    path = _write_xlsx(tmp_path / "tertukar.xlsx", {"DATA": [
        ["NAMA", "TGL LAHIR", "NIK"],
        ["SITI CONTOH", NIK_A, "05-08-1990"],
        ["BUDI CONTOH", NIK_B, "15-08-1985"],
        ["ANAK CONTOH", NIK_C, "10-12-2015"],
    ]})
    report = validate([path], today=TODAY)
    rows = _rows(report)
    assert rows["nik"].to_list() == [NIK_A, NIK_B, NIK_C]
    assert rows["tanggal_lahir"][0] == dt.date(1990, 8, 5)
    warn = _issues(report, "COLUMN_CONTENT_MISMATCH")
    assert warn.height == 2 and set(warn["severity"]) == {"warning"}


def test_combined_columns_are_split_and_the_original_kept(tmp_path):
    path = tmp_path / "ttl.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, delimiter=";")
        w.writerow(["NAMA", "NIK", "Tempat, Tanggal Lahir", "RT/RW"])
        w.writerow(["SITI CONTOH", NIK_A, "BANTUL, 05-08-90", "01/003"])
        w.writerow(["BUDI CONTOH", NIK_B, "SLEMAN, 15-08-1985", "02/003"])
    report = validate([path], today=TODAY)
    rows = _rows(report)
    assert rows["tempat_lahir"].to_list() == ["BANTUL", "SLEMAN"]
    assert rows["tanggal_lahir"].to_list() == [dt.date(1990, 8, 5), dt.date(1985, 8, 15)]
    assert rows["rt"].to_list() == ["001", "002"] and rows["rw"].to_list() == ["003", "003"]
    assert "x:Tempat, Tanggal Lahir" in rows.columns  # the original is kept
    assert _issues(report, "COLUMN_SPLIT").height == 2


def test_status_words_map_to_verivali_codes_wherever_the_column_is(tmp_path):
    path = _write_xlsx(tmp_path / "status.xlsx", {"A": [
        ["NAMA", "NIK", "KEBERADAAN"],
        ["SITI CONTOH", NIK_A, "Ditemukan"],
        ["BUDI CONTOH", NIK_B, "Tidak Ditemukan"],
        ["ANAK CONTOH", NIK_C, "Usulan Baru"],
    ], "B": [
        ["NAMA", "NIK", "KET"],
        ["SITI CONTOH", NIK_A, "Ditemukan"],
        ["BUDI CONTOH", NIK_B, "Meninggal"],
        ["ANAK CONTOH", NIK_C, "Usulan Baru"],
    ]})
    report = validate([path], today=TODAY)
    rows = _rows(report).sort("source_sheet", "source_row")
    assert rows["status_verivali"].to_list() == ["DITEMUKAN", "TIDAK_DITEMUKAN", "USULAN_BARU",
                                                 "DITEMUKAN", "MENINGGAL", "USULAN_BARU"]
    assert _issues(report, "CODE_INVALID").height == 0


def test_code_invalid_lists_the_values_of_the_list_applied(tmp_path):
    path = _write_xlsx(tmp_path / "kode.xlsx", {"A": [
        ["NAMA", "NIK", "SHDK"],
        ["SITI CONTOH", NIK_A, "Kepala Keluarga"],
        ["BUDI CONTOH", NIK_B, "Tetangga"],
    ]})
    report = validate([path], today=TODAY)
    bad = _issues(report, "CODE_INVALID")
    assert bad.height == 1
    allowed = json.loads(bad["params"][0])["allowed"]
    assert "Famili Lain" in allowed  # the Dukcapil SHDK list, not the BDT one


def test_time_part_and_english_sex_words(tmp_path):
    path = _write_xlsx(tmp_path / "waktu.xlsx", {"A": [
        ["nama", "nik", "gender", "tanggal_lahir"],
        ["SITI CONTOH", NIK_A, "female", "05/08/1990 0:00:00"],
        ["BUDI CONTOH", NIK_B, "male", "15/08/1985 0:00:00"],
    ]})
    rows = _rows(validate([path], today=TODAY))
    assert rows["jenis_kelamin"].to_list() == ["2", "1"]
    assert rows["tanggal_lahir"].to_list() == [dt.date(1990, 8, 5), dt.date(1985, 8, 15)]


def test_end_marker_notes_and_trailing_data_rows(tmp_path):
    path = _write_xlsx(tmp_path / "akhir.xlsx", {"PETUNJUK": [
        ["Cara mengisi: ketik NIK sebagai teks"],
    ], "DATA": [
        ["NAMA", "NIK", "HUBUNGAN", "STATUS"],
        ["SITI CONTOH", NIK_A, "KEPALA KELUARGA", "DITEMUKAN"],
        [None, None, "ANAK", "MENINGGAL"],  # a data row without name and NIK: rejected, never skipped
        ["###", None, None, None],
        ["Catatan:", None, None, None],
        ["1. Sesuaikan kolom peserta", None, None, None],
    ]})
    report = validate([path], today=TODAY)
    rows = _rows(report)
    assert rows["source_row"].to_list() == [2, 3]
    assert rows["status"].to_list()[1] == "rejected"
    notes = _issues(report, "ROWS_SKIPPED_NOTES")
    assert notes.height == 1 and json.loads(notes["params"][0])["count"] == 3


def test_excel_damaged_nik_with_a_name_is_flagged_not_rejected(tmp_path):
    path = _write_xlsx(tmp_path / "angka.xlsx", {"A": [
        ["NAMA", "NIK"],
        ["SITI CONTOH", float(NIK_A[:15] + "0")],
        ["", float(NIK_B[:15] + "0")],
    ]})
    rows = _rows(validate([path], today=TODAY))
    assert rows["status"].to_list() == ["flagged", "rejected"]


def test_questionnaire_numbering_row_with_a_word_is_skipped(tmp_path):
    path = _write_xlsx(tmp_path / "bdt.xlsx", {"A": [
        ["Nama ART (1)", "NIK (2)", "Tanggal lahir (3)"],
        ["KOLOM", 2, 3],
        ["SITI CONTOH", NIK_A, "05-08-1990"],
    ]})
    report = validate([path], today=TODAY)
    assert _rows(report)["source_row"].to_list() == [3]
    assert _issues(report, "ROWS_SKIPPED_NUMBERING").height == 1


# ---- files nobody on the team made ----------------------------------------------------------

#: file -> (person rows, fields that must be recognised) — from shared/corpus/formats/README.md
CORPUS_EXPECTED = {
    "opensid_contoh-data-bdt2015__REDACTED.xlsx": (7, {"household_id", "kode_prov", "kode_desa", "nama", "nik",
                                                     "hub_krt", "jenis_kelamin"}),
    "opensid_format_impor_program_bantuan__REDACTED.xlsx": (2, {"nik", "nama", "tempat_lahir", "tanggal_lahir",
                                                               "alamat"}),
    "opendk_peserta_program_bantuan_31_05_2022__REDACTED.csv": (10, {"nik", "nama", "tempat_lahir",
                                                                    "tanggal_lahir", "alamat"}),
    "sigede-dpkj_template-data-warga.xlsx": (3, {"no_kk", "nik", "nama", "jenis_kelamin", "tempat_lahir",
                                                 "tanggal_lahir", "status_kawin", "hub_kk", "desil"}),
    "wp-satset_contoh_p3ke.xlsx": (4, {"nama", "nik", "tanggal_lahir", "jenis_kelamin", "kode_desa", "desil"}),
    "wp-satset_contoh_rtlh.xlsx": (4, {"nama", "nik", "rt", "rw"}),
    "wp-satset_contoh_stunting.xlsx": (4, {"nik", "nama", "jenis_kelamin", "tanggal_lahir", "rt", "rw"}),
    "wp-siks_contoh_data_wrse.xlsx": (0, set()),
    "wp-siks_contoh_disabilitas.xlsx": (0, set()),
    "linjamsos_template_import_dtsen.xlsx": (0, set()),
    "pakenjeng_Lampiran_1_Format_Kolom_Pendataan.xlsx": (0, set()),
    "dtks-sulteng_instrumen_verifikasi_psks_psm.xlsx": (0, set()),
}


@pytest.fixture(scope="module")
def corpus_report():
    if CORPUS is None:
        pytest.skip("shared/corpus not found")
    return validate([CORPUS / "formats"], today=TODAY)


@pytest.mark.parametrize("name", sorted(CORPUS_EXPECTED))
def test_corpus_files_yield_their_person_rows_and_fields(corpus_report, name):
    expected_rows, expected_fields = CORPUS_EXPECTED[name]
    rows = corpus_report.table.filter(corpus_report.table["source_file"] == name)
    assert rows.height == expected_rows
    for fld in expected_fields:
        assert rows[fld].null_count() < rows.height, f"{fld} not read from {name}"
    # dummy and redacted people: nobody is rejected when a name and a birth date or NIK are there
    assert "rejected" not in set(rows["status"]) or name == "wp-satset_contoh_rtlh.xlsx"


def test_corpus_recognition_invents_nothing(corpus_report):
    by_content = corpus_report.issue_table.filter(corpus_report.issue_table["code"] == "COLUMN_BY_CONTENT")
    # only the P3KE head-of-family list needs content: its name column is titled `kepala_keluarga`
    assert by_content["file"].to_list() == ["wp-satset_contoh_p3ke.xlsx"]
    assert by_content["column"].to_list() == ["kepala_keluarga"]


def test_sheet_titled_only_by_item_numbers_is_read_by_content(tmp_path):
    serial = lambda d: (d - dt.date(1899, 12, 30)).days  # noqa: E731
    path = _write_xlsx(tmp_path / "nomor.xlsx", {"BLOK IV": [
        ["BLOK IV. KETERANGAN ANGGOTA"],
        ["401", "402", "403", "404", "405"],
        ["1", "SITI CONTOH", NIK_A, "P", serial(dt.date(1990, 8, 5))],
        ["2", "BUDI CONTOH", NIK_B, "L", serial(dt.date(1985, 8, 15))],
        ["3", "ANAK CONTOH", NIK_C, "P", serial(dt.date(2015, 12, 10))],
    ]})
    report = validate([path], today=TODAY)
    rows = _rows(report)
    assert rows["nama"].to_list() == ["SITI CONTOH", "BUDI CONTOH", "ANAK CONTOH"]
    assert rows["nik"].to_list() == [NIK_A, NIK_B, NIK_C]
    assert rows["jenis_kelamin"].to_list() == ["2", "1", "2"]
    assert rows["tanggal_lahir"][2] == dt.date(2015, 12, 10)
    assert _issues(report, "COLUMN_BY_CONTENT").height == 4


def test_notes_sheet_with_numbers_is_not_taken_for_data(tmp_path):
    path = _write_xlsx(tmp_path / "catatan.xlsx", {"CATATAN": [
        ["Jumlah", "Keterangan"],
        ["12", "rumah tangga diverifikasi"],
    ]})
    report = validate([path], today=TODAY)
    assert report.table.height == 0
    assert _issues(report, "SHEET_NO_HEADER").height == 1


def test_questionnaire_header_with_group_titles_and_repeated_keys(tmp_path):
    """BPS-style: block / section (merged over column groups) / item numbers, the NIK repeated in a
    second group; a copy that disagrees is reported, never silently picked."""
    path = tmp_path / "regsosek.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet("BLOK IV")
    text = wb.add_format({"num_format": "@"})
    ws.merge_range("A1:F1", "BLOK IV. KETERANGAN ANGGOTA RUMAH TANGGA")
    ws.merge_range("A2:C2", "KETERANGAN IDENTITAS")
    ws.merge_range("D2:F2", "KETERANGAN SOSIAL")
    ws.write_row("A3", ["(401)", "(402)", "(403)", "(404)", "(405)", "(406)"])
    people = [("SITI CONTOH", NIK_A, "05-08-1990", NIK_A), ("BUDI CONTOH", NIK_B, "15-08-1985", NIK_C)]
    for r, (name, nik, born, nik_again) in enumerate(people, start=3):
        ws.write_string(r, 0, name, text)
        ws.write_string(r, 1, nik, text)
        ws.write_string(r, 2, born, text)
        ws.write_string(r, 3, nik_again, text)  # the NIK again, in the social block
        ws.write_string(r, 4, "DITEMUKAN", text)
        ws.write_string(r, 5, "KEPALA KELUARGA" if r == 3 else "SUAMI", text)
    wb.close()
    report = validate([path], today=TODAY)
    rows = _rows(report)
    assert rows["source_row"].to_list() == [4, 5]
    assert rows["nama"].to_list() == ["SITI CONTOH", "BUDI CONTOH"]
    assert rows["nik"].to_list() == [NIK_A, NIK_B]
    assert rows["tanggal_lahir"].to_list() == [dt.date(1990, 8, 5), dt.date(1985, 8, 15)]
    assert rows["status_verivali"].to_list() == ["DITEMUKAN", "DITEMUKAN"]
    disagree = _issues(report, "KEY_COLUMNS_DISAGREE")
    assert disagree["row"].to_list() == [5]
    assert json.loads(disagree["params"][0]) == {"field": "nik", "first": "B", "other": "D"}
    assert NIK_C not in disagree["value"].to_list() and NIK_C not in disagree["params"][0]


def test_rows_above_the_first_nik_of_an_untitled_sheet_are_data(tmp_path):
    """A person without a NIK heads the list: the header is the item-number row, not that person."""
    serial = lambda d: (d - dt.date(1899, 12, 30)).days  # noqa: E731
    path = _write_xlsx(tmp_path / "tanpa_nik.xlsx", {"BLOK IV": [
        ["BLOK IV. KETERANGAN ANGGOTA"],
        ["(401)", "(402)", "(403)", "(404)"],
        [1, "", "SITI CONTOH", serial(dt.date(1990, 8, 5))],
        [2, NIK_B, "BUDI CONTOH", serial(dt.date(1985, 8, 15))],
        [3, NIK_C, "ANAK CONTOH", serial(dt.date(2015, 12, 10))],
    ]})
    rows = _rows(validate([path], today=TODAY))
    assert rows["source_row"].to_list() == [3, 4, 5]
    assert rows["nama"].to_list() == ["SITI CONTOH", "BUDI CONTOH", "ANAK CONTOH"]
    assert rows["status"][0] != "rejected"  # no NIK, but a name and a birth date
