"""review.xlsx: the pairs a reviewer decides, read back with openpyxl; and the round-trip
review.xlsx -> reviewer's decisions -> rerun -> next month from the state."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import tomllib
import zipfile

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from slrt_cli.cli import app
from slrt_cli.i18n import catalog
from slrt_cli.io.decisions import read_decisions
from slrt_cli.report.labels import format_date, format_number, num_format
from slrt_cli.privacy import mask_pair
from slrt_cli.report.review import review_pairs, write_review
from slrt_cli.schemas import schemas_dir
from test_run import SAMPLE

runner = CliRunner()
REGISTER = str(SAMPLE / "register" / "dtks.parquet")
KEYS = ["source_file", "source_sheet", "source_row"]

# synthetic people (Bogor region prefixes); the NIKs of pair 2 differ in one digit of the date block
NIK_A, NIK_B1, NIK_B2 = "3201011708900001", "3201024508850002", "3201024508860002"
KK_A, KK_B = "3201010101200003", "3201020202150004"
TITLES_ID = ["No", "Sumber", "Nama", "NIK", "No KK", "Tanggal lahir", "Jenis kelamin", "Hubungan keluarga",
             "Nama ibu kandung", "Alamat", "RT/RW", "Kode desa", "Asal data", "Alasan", "Skor", "Keputusan",
             "Catatan", "Berkas", "Lembar", "Baris", "ID DTKS"]
TITLES_EN = ["No", "Source", "Name", "NIK", "KK number", "Birth date", "Sex", "Relation to family head",
             "Mother's name", "Address", "RT/RW", "Desa code", "Origin", "Reasons", "Score", "Decision",
             "Note", "File", "Sheet", "Row", "DTKS ID"]
HEADER, FIRST = 3, 4  # the title row and the first pair's row (1-based, as in Excel)


def frames(n_extra: int = 0):
    """rec, rows, register of two review pairs (plus ``n_extra`` plain ones)."""
    village = [
        ("DRAMAGA/verivali_cikarawang.xlsx", "VERIVALI", 12, "MOCH. SURYANI", NIK_A, KK_A, dt.date(1990, 8, 17),
         "1", "1", "SITI AMINAH", "KP. CIKARAWANG", "001", "002", "3201011001"),
        ("DRAMAGA/verivali_situdaun.csv", "", 7, "RATNA DEWI LESTARI", NIK_B1, KK_B, dt.date(1985, 8, 5),
         "2", "3", None, "JL. MELATI 4", "003", "004", "3201022002"),
    ]
    register = [
        ("P0000000000000001", "SYN32010000001", "MUHAMMAD SURYANI", NIK_A, KK_A, dt.date(1990, 8, 18), "1", "1",
         "SITI AMINAH", "KP. CIKARAWANG", "001", "002", "3201011001"),
        ("P0000000000000002", "SYN32010000002", "RATNA DEWI", NIK_B2, KK_B, dt.date(1985, 8, 5), "2", "1",
         "ENDAH", "JL. MELATI 4", "003", "005", "3201022002"),
    ]
    alasan = [
        "nama/tanggal lahir tidak cukup cocok; NIK sama; nama mirip 0,85 (MOCH. → MUHAMMAD); tanggal lahir beda; No KK sama",
        "NIK beda 1 digit; nama sebagian sama 0,8 (LESTARI →); tanggal lahir sama; No KK sama; hubungan keluarga beda",
    ]
    for i in range(n_extra):
        village.append((f"DRAMAGA/desa_{i:03d}.csv", "", 2 + i, f"WARGA NOMOR {i}", f"32010117089{i:05d}",
                        KK_A, dt.date(1990, 1, 1), "1", "3", None, "KP. BARU", "001", "001", "3201011001"))
        register.append((f"P10000000000{i:05d}", "SYN32010000009", f"WARGA NO {i}", f"32010117089{i:05d}", KK_A,
                         dt.date(1990, 1, 1), "1", "3", None, "KP. BARU", "001", "001", "3201011001"))
        alasan.append("nama/tanggal lahir tidak cukup cocok; nama agak mirip 0,7 (NOMOR → NO); tanggal lahir sama")
    fields = ["nama", "nik", "no_kk", "tanggal_lahir", "jenis_kelamin", "hub_kk", "nama_ibu_kandung", "alamat",
              "rt", "rw", "kode_desa"]
    rows = pl.DataFrame(village, schema=KEYS + fields, orient="row")
    reg = pl.DataFrame(register, schema=["person_id", "household_id"] + fields, orient="row")
    rec = pl.DataFrame({
        **{k: rows[k] for k in KEYS},
        "outcome": ["review"] * rows.height, "person_id": reg["person_id"], "household_id": reg["household_id"],
        "score": [0.6024, 0.71] + [0.5] * n_extra, "alasan": alasan,
    })
    return rec, rows, reg


def written(tmp_path, lang="id", full_ids=False, n_extra=0):
    rec, rows, reg = frames(n_extra)
    path = tmp_path / f"review_{lang}.xlsx"
    write_review(path, review_pairs(rec, rows, reg, full_ids=full_ids), lang=lang)
    return path


def sheet(path):
    return openpyxl.load_workbook(path).worksheets[0]


def columns(ws):
    return {c.value: c.column for c in ws[HEADER] if c.value}


def value(ws, row, title):
    return ws.cell(row, columns(ws)[title]).value


def fill(ws, row, title):
    return ws.cell(row, columns(ws)[title]).fill.fgColor.rgb


def all_text(path):
    with zipfile.ZipFile(path) as z:
        return "".join(z.read(n).decode("utf-8", "replace") for n in z.namelist())


# ---- labels: Indonesian / English formats ----

def test_numbers_and_dates_are_written_the_indonesian_way_or_the_english_one():
    assert format_number(3000, "id") == "3.000" and format_number(3000, "en") == "3,000"
    assert format_number(0.6024, "id", 2) == "0,60" and format_number(1234.5, "en", 2) == "1,234.50"
    assert format_date(dt.date(1990, 8, 17), "id") == "17/08/1990"
    assert format_date(dt.date(1990, 8, 17), "en") == "17 Aug 1990"
    assert num_format("date", "id") == "dd/mm/yyyy" and num_format("int", "id") == r"[>=1000000]#\.###\.###;[>=1000]#\.###;0"


# ---- the sheet ----

@pytest.mark.parametrize("lang,titles", [("id", TITLES_ID), ("en", TITLES_EN)])
def test_titles_are_words_of_the_language_and_never_repeated(tmp_path, lang, titles):
    ws = sheet(written(tmp_path, lang))
    got = [c.value for c in ws[HEADER]]
    assert got == titles
    assert len(set(got)) == len(got)
    assert ws.title == catalog(lang)["review_sheet"]
    assert "_" not in "".join(got)


def test_each_pair_is_a_village_row_above_its_register_row(tmp_path):
    ws = sheet(written(tmp_path))
    assert [value(ws, r, "Sumber") for r in range(FIRST, FIRST + 4)] == ["Desa", "DTKS", "Desa", "DTKS"]
    assert value(ws, FIRST, "Nama") == "MOCH. SURYANI" and value(ws, FIRST + 1, "Nama") == "MUHAMMAD SURYANI"
    assert value(ws, FIRST, "Asal data") == "DRAMAGA/verivali_cikarawang.xlsx, lembar VERIVALI, baris 12"
    assert value(ws, FIRST + 1, "Asal data") == "ID DTKS P0000000000000001, ruta SYN32010000001"
    assert value(ws, FIRST + 2, "Asal data") == "DRAMAGA/verivali_situdaun.csv, baris 7"
    # what is one per pair spans both rows
    merged = {str(r) for r in ws.merged_cells.ranges}
    for title in ("No", "Alasan", "Skor", "Keputusan", "Catatan"):
        col = openpyxl.utils.get_column_letter(columns(ws)[title])
        assert f"{col}{FIRST}:{col}{FIRST + 1}" in merged, title
    assert value(ws, FIRST, "No") == 1 and value(ws, FIRST + 2, "No") == 2
    # the keys read_decisions needs are on the decision's row
    assert [value(ws, FIRST, t) for t in ("Berkas", "Lembar", "Baris", "ID DTKS")] == [
        "DRAMAGA/verivali_cikarawang.xlsx", "VERIVALI", 12, "P0000000000000001"]
    assert value(ws, FIRST + 2, "Lembar") is None  # a CSV has no sheet


def test_codes_are_shown_as_labels(tmp_path):
    ws = sheet(written(tmp_path))
    assert value(ws, FIRST, "Jenis kelamin") == "Laki-laki" and value(ws, FIRST + 2, "Jenis kelamin") == "Perempuan"
    assert value(ws, FIRST + 2, "Hubungan keluarga") == "Anak" and value(ws, FIRST + 3, "Hubungan keluarga") == "Kepala"
    ws = sheet(written(tmp_path, "en"))
    assert value(ws, FIRST + 2, "Sex") == "Female" and value(ws, FIRST + 3, "Relation to family head") == "Head"


def test_the_fields_that_differ_are_highlighted_on_both_rows(tmp_path):
    ws = sheet(written(tmp_path))
    differ = [("Nama", FIRST), ("Tanggal lahir", FIRST), ("NIK", FIRST + 2), ("Hubungan keluarga", FIRST + 2),
              ("RT/RW", FIRST + 2), ("Nama", FIRST + 2)]
    for title, row in differ:
        assert fill(ws, row, title) == fill(ws, row + 1, title) != "00000000", title
    plain = fill(ws, FIRST, "Alamat")
    for title, row in [("NIK", FIRST), ("No KK", FIRST), ("Alamat", FIRST), ("Tanggal lahir", FIRST + 2),
                       ("Jenis kelamin", FIRST), ("Nama ibu kandung", FIRST + 2)]:  # one side empty: not a difference
        assert fill(ws, row, title) == fill(ws, row + 1, title) == plain, title
    assert fill(ws, FIRST, "Nama") != plain


def test_nik_and_kk_show_only_the_digits_that_differ(tmp_path):
    path = written(tmp_path)
    ws = sheet(path)
    assert value(ws, FIRST, "NIK") == value(ws, FIRST + 1, "NIK") == "320101******0001"
    assert value(ws, FIRST + 2, "NIK") == "320102*****50002" and value(ws, FIRST + 3, "NIK") == "320102*****60002"
    assert value(ws, FIRST, "No KK") == "320101******0003"
    text = all_text(path)
    for full in (NIK_A, NIK_B1, NIK_B2, KK_A, KK_B):
        assert full not in text


def test_an_identifier_is_never_shown_whole_even_when_every_hidden_digit_differs(tmp_path):
    rec, rows, reg = frames()
    other = "3201025619960002"  # NIK_B1's region and serial, every digit of the date block different
    reg = reg.with_columns(pl.when(pl.col("nik") == NIK_B2).then(pl.lit(other)).otherwise("nik").alias("nik"))
    path = tmp_path / "r.xlsx"
    write_review(path, review_pairs(rec, rows, reg), lang="id")
    ws = sheet(path)
    # the digits that differ show, but one stays hidden (privacy.mask_pair): neither side is whole
    assert (value(ws, FIRST + 2, "NIK"), value(ws, FIRST + 3, "NIK")) == mask_pair(NIK_B1, other)
    assert "*" in value(ws, FIRST + 2, "NIK") and value(ws, FIRST + 2, "NIK") != value(ws, FIRST + 3, "NIK")
    assert fill(ws, FIRST + 2, "NIK") == fill(ws, FIRST + 2, "Nama") != fill(ws, FIRST, "NIK")  # still highlighted
    assert NIK_B1 not in all_text(path) and other not in all_text(path)


def test_full_ids_when_asked_for(tmp_path):
    ws = sheet(written(tmp_path, full_ids=True))
    assert value(ws, FIRST + 2, "NIK") == NIK_B1 and value(ws, FIRST + 3, "NIK") == NIK_B2
    assert ws.cell(FIRST + 2, columns(ws)["NIK"]).number_format == "@"


def test_reasons_in_plain_words_with_the_values_compared(tmp_path):
    ws = sheet(written(tmp_path))
    first = value(ws, FIRST, "Alasan").split("\n")
    assert first == ["nama dan tanggal lahir kurang cocok untuk dicocokkan otomatis", "NIK sama",
                     "nama mirip: MOCH. SURYANI ↔ MUHAMMAD SURYANI", "tanggal lahir beda: 17/08/1990 ↔ 18/08/1990",
                     "No KK sama"]
    second = value(ws, FIRST + 2, "Alasan").split("\n")
    assert "NIK beda 1 digit: 320102*****50002 ↔ 320102*****60002" in second
    assert "hubungan keluarga beda: Anak ↔ Kepala" in second
    assert "0,8" not in value(ws, FIRST + 2, "Alasan")  # no scores inside the words
    ws = sheet(written(tmp_path, "en"))
    assert value(ws, FIRST, "Reasons").split("\n")[2:4] == [
        "name similar: MOCH. SURYANI ↔ MUHAMMAD SURYANI", "birth date different: 17 Aug 1990 ↔ 18 Aug 1990"]


def test_every_phrase_of_the_matcher_has_plain_words_in_both_languages():
    phrases = {k[len("alasan_"):] for k in catalog("id") if k.startswith("alasan_")}
    phrases |= set(tomllib.loads((schemas_dir() / "match.toml").read_text("utf-8")).get("alasan", {}))
    assert len(phrases) > 40
    for lang in ("id", "en"):
        missing = [k for k in phrases - {"separator", "decimal_mark"} if f"review_reason_{k}" not in catalog(lang)]
        assert missing == [], lang


def test_reasons_written_in_english_by_the_matcher_are_recognised(tmp_path):
    rec, rows, reg = frames()
    rec = rec.with_columns(pl.lit("name/birth date do not match well enough; same NIK; similar name 0.85 "
                                  "(MOCH. → MUHAMMAD); different birth date").alias("alasan"))
    path = tmp_path / "r.xlsx"
    write_review(path, review_pairs(rec, rows, reg), lang="en")
    assert value(sheet(path), FIRST, "Reasons").split("\n") == [
        "name and birth date not close enough to link automatically", "NIK same",
        "name similar: MOCH. SURYANI ↔ MUHAMMAD SURYANI", "birth date different: 17 Aug 1990 ↔ 18 Aug 1990"]


def test_a_reason_the_review_does_not_know_is_kept_as_written(tmp_path):
    rec, rows, reg = frames()
    rec = rec.with_columns(pl.lit("alasan baru dari versi lain; NIK sama").alias("alasan"))
    path = tmp_path / "r.xlsx"
    write_review(path, review_pairs(rec, rows, reg), lang="id")
    assert value(sheet(path), FIRST, "Alasan").split("\n") == ["alasan baru dari versi lain", "NIK sama"]


def test_number_formats_comments_and_decision_dropdown(tmp_path):
    for lang, date in (("id", "dd/mm/yyyy"), ("en", "dd mmm yyyy")):
        path = written(tmp_path, lang)
        ws = sheet(path)
        cols, titles = columns(ws), (TITLES_ID if lang == "id" else TITLES_EN)
        birth = ws.cell(FIRST, cols[titles[5]])
        assert birth.value == dt.datetime(1990, 8, 17) and birth.number_format == date
        score = ws.cell(FIRST, cols[titles[14]])
        assert score.value == pytest.approx(0.6024) and score.number_format == num_format("score", lang)
        nik = ws.cell(FIRST, cols["NIK"])
        assert nik.number_format == "@"
        keputusan = titles[15]
        assert ws.cell(HEADER, cols[keputusan]).comment is not None
        assert ws.cell(HEADER, cols["NIK"]).comment is not None
        validations = ws.data_validations.dataValidation
        assert len(validations) == 1
        expected = '"sama,beda"' if lang == "id" else '"same,different"'
        assert validations[0].formula1 == expected
        letter = openpyxl.utils.get_column_letter(cols[keputusan])
        assert f"{letter}{FIRST}" in str(validations[0].sqref)


def test_print_set_up_a4_landscape_one_page_wide_titles_repeated(tmp_path):
    ws = sheet(written(tmp_path))
    assert ws.page_setup.orientation == "landscape" and int(ws.page_setup.paperSize) == 9
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth or 1) == 1 and ws.page_setup.fitToHeight == 0  # 1 is the default
    assert ws.print_title_rows == f"${HEADER}:${HEADER}"
    assert ws.freeze_panes == f"D{FIRST}"
    assert "&P" in ws.oddFooter.center.text
    # the columns slrt reads are outside the printed area, grouped and folded away
    last = openpyxl.utils.get_column_letter(TITLES_ID.index("Catatan") + 1)
    assert ws.print_area.endswith(f"${last}${FIRST + 3}")
    keys = openpyxl.utils.get_column_letter(TITLES_ID.index("Berkas") + 1)
    assert ws.column_dimensions[keys].hidden and ws.column_dimensions[keys].outlineLevel == 1


def test_a_pair_never_splits_across_pages(tmp_path):
    ws = sheet(written(tmp_path, n_extra=120))
    breaks = [b.id for b in ws.row_breaks.brk]
    assert len(breaks) >= 3
    for b in breaks:  # a break falls after a register row: (row - FIRST + 1) even
        assert (b - FIRST + 1) % 2 == 0, b
    gaps = [b - a for a, b in zip([FIRST - 1] + breaks, breaks)]
    assert max(gaps) - min(gaps) <= 8  # pages filled evenly, not one break per pair
    for row in range(FIRST, FIRST + 6):
        assert ws.row_dimensions[row].height  # fixed heights, so that the breaks are where they are drawn


def test_nothing_to_review_writes_the_titles_only(tmp_path):
    rec, rows, reg = frames()
    path = tmp_path / "empty.xlsx"
    write_review(path, review_pairs(rec.clear(), rows, reg), lang="id")
    ws = sheet(path)
    assert [c.value for c in ws[HEADER]] == TITLES_ID
    assert ws.cell(FIRST, 1).value is None
    assert read_decisions(path).height == 0


@pytest.mark.parametrize("lang,same,different", [("id", "sama", "beda"), ("en", "same", "different")])
def test_decisions_filled_in_the_written_review_are_read_back(tmp_path, lang, same, different):
    path = written(tmp_path, lang)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    col = columns(ws)[(TITLES_ID if lang == "id" else TITLES_EN)[15]]
    ws.cell(FIRST, col, same)
    ws.cell(FIRST + 2, col, different.upper())
    filled = tmp_path / f"filled_{lang}.xlsx"
    wb.save(filled)
    got = read_decisions(filled).sort("source_row", descending=True)
    assert got.select(KEYS + ["person_id", "keputusan"]).rows() == [
        ("DRAMAGA/verivali_cikarawang.xlsx", "VERIVALI", 12, "P0000000000000001", "sama"),
        ("DRAMAGA/verivali_situdaun.csv", "", 7, "P0000000000000002", "beda"),
    ]
    assert got["review_row"].to_list() == [FIRST, FIRST + 2]


def test_decisions_of_an_older_review_layout_are_still_read(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Isi kolom keputusan"])
    ws.append([])
    ws.append(["source_file", "source_sheet", "source_row", "person_id", "household_id", "skor", "keputusan"])
    ws.append(["a.csv", None, 3, "P1", "H1", 0.6, "Sama"])
    path = tmp_path / "old.xlsx"
    wb.save(path)
    assert read_decisions(path).select(KEYS + ["person_id", "keputusan"]).rows() == [("a.csv", "", 3, "P1", "sama")]


def test_thousands_of_pairs_are_written(tmp_path):
    path = written(tmp_path, n_extra=3000)
    assert path.stat().st_size > 0
    assert read_decisions(path).height == 0


# ---- through the CLI: review.xlsx -> decisions -> rerun -> next month ----

def run(*args):
    res = runner.invoke(app, ["run", "-r", REGISTER, *args, "--json"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def outcome(out, file, sheet, row):
    rec = pl.read_parquet(out / "reconciliation.parquet").with_columns(pl.col("source_sheet").fill_null(""))
    return rec.filter((pl.col("source_file") == file) & (pl.col("source_sheet") == sheet) & (pl.col("source_row") == row)).row(0, named=True)


def issues_of(out):
    """issues.csv with its stable column names (older runs wrote them in Bahasa)."""
    frame = pl.read_csv(out / "issues.csv", infer_schema_length=0)
    old = {"kode": "code", "berkas": "file", "pesan": "message"}
    return frame.rename({k: v for k, v in old.items() if k in frame.columns})


def test_review_round_trip(tmp_path):
    first = tmp_path / "bulan1"
    run(str(SAMPLE / "desa"), "--out", str(first), "--period", "2025-10")
    wb = openpyxl.load_workbook(first / "review.xlsx")
    ws = wb.worksheets[0]
    col = columns(ws)
    assert {"Berkas", "Lembar", "Baris", "ID DTKS", "Keputusan"} <= set(col)
    assert ws.data_validations.dataValidation  # the sama/beda dropdown
    pairs = [[c.value for c in r] for r in ws.iter_rows(min_row=FIRST) if r[col["Berkas"] - 1].value]
    assert len(pairs) >= 2
    same, other = pairs[0], pairs[1]

    def key(p):
        return p[col["Berkas"] - 1], p[col["Lembar"] - 1] or "", int(p[col["Baris"] - 1])

    ws.cell(FIRST, col["Keputusan"], "sama")
    ws.cell(FIRST + 2, col["Keputusan"], "BEDA")  # case does not matter
    # two invalid decisions: an unknown value, and a row that does not exist
    extra = ws.max_row + 1
    for title, v in (("Berkas", same[col["Berkas"] - 1]), ("Lembar", same[col["Lembar"] - 1]), ("Baris", 9999),
                     ("ID DTKS", same[col["ID DTKS"] - 1]), ("Keputusan", "sama")):
        ws.cell(extra, col[title], v)
    if len(pairs) > 2:
        ws.cell(FIRST + 4, col["Keputusan"], "mungkin")
    decisions = tmp_path / "review_diisi.xlsx"
    wb.save(decisions)

    second = tmp_path / "bulan1b"
    state = tmp_path / "state"
    run(str(SAMPLE / "desa"), "--out", str(second), "--period", "2025-10", "--state", str(state),
        "--decisions", str(decisions))
    key_same, key_other = key(same), key(other)
    got = outcome(second, *key_same)
    assert got["outcome"] == "matched" and got["person_id"] == same[col["ID DTKS"] - 1]
    assert got["match_stage"] == "decision"
    got = outcome(second, *key_other)
    assert got["person_id"] != other[col["ID DTKS"] - 1] or got["outcome"] == "new"
    invalid = issues_of(second).filter(pl.col("code") == "DECISION_INVALID")
    assert invalid.height >= 1 and all("review.xlsx" == f for f in invalid["file"])
    assert any("tidak ada lagi" in m for m in invalid["message"])

    # next month: the same person arrives in a re-saved (different) file, no --decisions given
    month2 = tmp_path / "desa2"
    shutil.copytree(SAMPLE / "desa", month2)
    target = month2 / key_same[0]
    if target.suffix == ".xlsx":
        book = openpyxl.load_workbook(target)
        book.active.cell(1, 1, "DATA BULAN BERIKUTNYA")  # new checksum, same rows
        book.save(target)
    third = tmp_path / "bulan2"
    body = run(str(month2), "--out", str(third), "--period", "2025-11", "--state", str(state))
    got = outcome(third, *key_same)
    assert got["outcome"] == "matched" and got["match_stage"] == "decision"
    got = outcome(third, *key_other)
    assert got["person_id"] != other[col["ID DTKS"] - 1] or got["outcome"] == "new"
    # the files that did not change were already processed in 2025-10: reported, not counted twice
    assert issues_of(third).filter(pl.col("code") == "FILE_ALREADY_PROCESSED").height >= 1
    assert body["match"]["rejected"] > 4
