"""laporan.xlsx read back with openpyxl: sheets, panes, filters, cell types, masking, counts."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from slrt_cli.pipeline import run
from slrt_cli.report import excel
from slrt_cli.report.excel import CATEGORIES, LABELS, NOT_FOUND, SHEETS, write_workbook

ROOT = Path(__file__).resolve().parents[1]
RUN_DATE = dt.date(2025, 10, 20)
MASKED = re.compile(r"^\d{6}\*+\d{4}$|^\d{4}\*+\d{2}$|^\d\*+$|^\*+$")
SHEET_ORDER = ["summary"] + [key for key, _, _ in SHEETS] + ["changes"]


@pytest.fixture(scope="module")
def result():
    return run([ROOT / "sample_data/desa"], [ROOT / "sample_data/register/dtks.parquet"], today=RUN_DATE)


@pytest.fixture(scope="module")
def books(result, tmp_path_factory):
    """The workbook masked (id), with full identifiers (id) and in English, opened with openpyxl."""
    out = tmp_path_factory.mktemp("laporan")
    paths = {
        "id": (out / "laporan.xlsx", {}),
        "full": (out / "laporan_full.xlsx", {"full_ids": True}),
        "en": (out / "laporan_en.xlsx", {"lang": "en"}),
    }
    for path, kwargs in paths.values():
        write_workbook(path, result, run_date=RUN_DATE, **kwargs)
    return {k: openpyxl.load_workbook(p) for k, (p, _) in paths.items()}


def sheet_name(key: str, lang: str = "id") -> str:
    return LABELS[lang][f"sheet_{key}"]


def table(ws, header_row: int = 2) -> list[dict]:
    """Rows under the header as dicts keyed by the column titles."""
    rows = ws.iter_rows(min_row=header_row, values_only=True)
    titles = next(rows)
    return [dict(zip(titles, r, strict=False)) for r in rows if any(v is not None for v in r)]


def summary_rows(ws, lang: str = "id") -> tuple[list[dict], dict]:
    """Desa rows and the grand total row of the summary sheet."""
    rows = table(ws, header_row=8)
    total = [r for r in rows if r[LABELS[lang]["kecamatan"]] == LABELS[lang]["total"]]
    desa = [r for r in rows if r[LABELS[lang]["kode_desa"]] is not None]
    return desa, total[0]


def test_sheet_names_and_order(books):
    for lang, book in (("id", books["id"]), ("en", books["en"])):
        assert book.sheetnames == [sheet_name(k, lang) for k in SHEET_ORDER]
        assert all(len(n) <= 31 and not set(n) & set("[]:*?/\\") for n in book.sheetnames)
    assert books["id"].sheetnames[:3] == ["Ringkasan", "Perlu Diperiksa", "Ditolak"]
    assert books["en"].sheetnames[:3] == ["Summary", "To Review", "Rejected"]


def test_every_sheet_has_a_frozen_header_and_a_filter(books):
    book = books["id"]
    summary = book[sheet_name("summary")]
    assert summary.freeze_panes == "D9"
    last_col = openpyxl.utils.get_column_letter(3 + 1 + len(CATEGORIES) + 1)
    assert summary.auto_filter.ref == f"A8:{last_col}{summary.max_row - 1}"  # the grand total stays below
    for name in book.sheetnames[1:]:
        ws = book[name]
        assert ws.freeze_panes == "A3", name
        ref = ws.auto_filter.ref
        assert ref.startswith("A2:"), name
        last_row = int(re.sub(r"^A2:[A-Z]+", "", ref))
        assert last_row == max(ws.max_row, 2), name
        widths = [ws.column_dimensions[c].width for c in "ABC"]
        assert all(w and w >= 6 for w in widths), name


def test_summary_counts_equal_the_reconciliation(result, books):
    rec = result.reconciliation
    counts = rec.counts()
    lab = LABELS["id"]
    desa, total = summary_rows(books["id"][sheet_name("summary")])
    assert total[lab["rows"]] == rec.reconciliation.height
    assert total[lab["review"]] == counts["review"]
    assert total[lab["rejected"]] == counts["rejected"]
    assert total[lab["new_household"]] + total[lab["new_member"]] == counts["new"]
    assert total[lab["not_found"]] == rec.not_found.height
    status = dict(rec.reconciliation.filter(pl.col("outcome") == "matched").group_by("status_verivali").len().iter_rows())
    assert total[lab["deceased"]] == status.get("MENINGGAL", 0)
    assert total[lab["moved"]] == status.get("PINDAH", 0)
    assert total[lab["duplicate"]] == counts["duplicate"] + status.get("GANDA", 0)
    # the categories split the rows received, desa by desa and in total
    assert sum(total[lab[c]] for c in CATEGORIES) == total[lab["rows"]]
    for row in desa:
        assert sum(row[lab[c]] for c in CATEGORIES) == row[lab["rows"]]
    for key in ["rows", *CATEGORIES, NOT_FOUND]:
        assert sum(r[lab[key]] for r in desa) == total[lab[key]], key
    # names, not only codes
    assert {"Karadenan", "Pondok Rajeg", "Cilebut Timur"} <= {r[lab["desa"]] for r in desa}
    assert {"Cibinong", "Sukaraja"} <= {r[lab["kecamatan"]] for r in desa}


def test_summary_header_block(result, books):
    ws = books["id"][sheet_name("summary")]
    assert "Kabupaten Bogor" in ws["A1"].value
    assert ws["B2"].value == "Oktober 2025"
    assert ws["B3"].value == dt.datetime(2025, 10, 20) and ws["B3"].number_format == excel.DATE_FORMAT
    assert ws["B4"].value == len(result.validation.files)  # numbers, shown 3.000 (tests/test_figures.py)
    assert ws["B5"].value == result.register_rows and ws["B5"].number_format == excel.INT_FORMATS["id"]
    assert "reconciliation.csv" in ws["A6"].value


def test_category_sheets_hold_every_action_row(result, books):
    rec = result.reconciliation
    counts = rec.counts()
    book = books["id"]
    assert len(table(book[sheet_name("review")])) == counts["review"]
    assert len(table(book[sheet_name("rejected")])) == counts["rejected"]
    new = len(table(book[sheet_name("new_household")])) + len(table(book[sheet_name("new_member")]))
    assert new == counts["new"]
    absent = rec.reconciliation.filter(
        (pl.col("outcome") == "matched") & (pl.col("status_verivali") == "TIDAK_DITEMUKAN")
    ).height
    assert len(table(book[sheet_name("not_found")])) == absent + rec.not_found.height
    assert f"{counts['review']} baris" in book[sheet_name("review")]["A1"].value


def test_source_file_sheet_row_on_every_village_line(books):
    lab = LABELS["id"]
    book = books["id"]
    for key, _, _ in SHEETS:
        for row in table(book[sheet_name(key)]):
            if row.get(lab["keterangan"]) == lab["kept_not_found"]:
                assert row[lab["source_file"]] is None and row[lab["person_id"]]
                continue
            assert row[lab["source_file"]] and isinstance(row[lab["source_row"]], int), key
            assert row[lab["source_sheet"]] is not None or row[lab["source_file"]].endswith(".csv"), key


def test_rejected_rows_say_why(books):
    rows = table(books["id"][sheet_name("rejected")])
    assert rows and all(r[LABELS["id"]["masalah"]] for r in rows)
    assert any("ditolak" in r[LABELS["id"]["masalah"]] for r in rows)


def _id_cells(book):
    """NIK and No KK cells of the category sheets (the changes sheet shows "old → new" texts)."""
    for ws in book.worksheets[1:-1]:
        titles = [c.value for c in ws[2]]
        for col, title in enumerate(titles, start=1):
            if title in ("NIK", "No KK"):
                for (cell,) in ws.iter_rows(min_row=3, min_col=col, max_col=col):
                    if cell.value is not None:
                        yield ws.title, cell


def test_identifiers_are_masked_text_cells(books):
    cells = list(_id_cells(books["id"]))
    assert len(cells) > 50
    for sheet, cell in cells:
        assert cell.data_type == "s" and cell.number_format == "@", (sheet, cell.coordinate)
        assert MASKED.match(cell.value), (sheet, cell.coordinate, cell.value)


def full_ids(result) -> set[str]:
    """Every full NIK and No KK of the village rows (the register's are masked by the run)."""
    ids = result.rows.select(pl.concat([pl.col("nik"), pl.col("no_kk")]).drop_nulls()).to_series()
    return {v for v in ids.to_list() if len(v) >= 12}


def test_no_full_identifier_anywhere_by_default(result, books):
    ids = full_ids(result)
    assert len(ids) > 100
    for ws in books["id"].worksheets:
        for row in ws.iter_rows(values_only=True):
            for v in row:
                assert not (isinstance(v, str) and any(i in v for i in ids if len(v) >= len(i))), (ws.title, v)
                assert not (isinstance(v, (int, float)) and v > 10**11), (ws.title, v)


def test_full_ids_on_request(result, books):
    lab = LABELS["id"]
    full = {
        (f, s, r): nik
        for f, s, r, nik in result.rows.select("source_file", "source_sheet", "source_row", "nik").iter_rows()
        if nik
    }
    rows = table(books["full"][sheet_name("new_household")])
    checked = 0
    for row in rows:
        key = (row[lab["source_file"]], row[lab["source_sheet"]], row[lab["source_row"]])
        if row[lab["nik"]]:
            assert row[lab["nik"]] == full[key] and "*" not in row[lab["nik"]]
            checked += 1
    assert checked > 5
    cells = list(_id_cells(books["full"]))
    assert all(cell.data_type == "s" for _, cell in cells)


def test_birth_dates_are_date_cells(result, books):
    lab = LABELS["id"]
    births = {
        (f, s, r): d
        for f, s, r, d in result.rows.select("source_file", "source_sheet", "source_row", "tanggal_lahir").iter_rows()
    }
    ws = books["id"][sheet_name("new_household")]
    col = [c.value for c in ws[2]].index(lab["tanggal_lahir"]) + 1
    seen = 0
    for row in ws.iter_rows(min_row=3):
        cell = row[col - 1]
        key = (row[2].value, row[3].value, row[4].value)
        if cell.value is None:
            assert births[key] is None
            continue
        assert cell.is_date and cell.number_format == excel.DATE_FORMAT
        assert cell.value.date() == births[key]
        seen += 1
    assert seen > 10


def test_changes_sheet_one_row_per_person(result, books):
    changes = result.reconciliation.changes
    ws = books["id"][sheet_name("changes")]
    rows = table(ws)
    assert len(rows) == changes.select("source_file", "source_sheet", "source_row").n_unique()
    names = [r["Nama"] for r in rows if r.get("Nama")]
    assert names and all(" → " in n for n in names)
    assert all("*" in r["NIK"] for r in rows if r.get("NIK"))
    # a changed NIK shows as reconcile masked it (a pair: the digits that differ): never masked again
    shown = {r["NIK"].split(" (")[0].split(" · ")[0] for r in rows if r.get("NIK")}
    nik = changes.filter(pl.col("field") == "nik")
    assert nik.height and shown == {f"{a} → {b}" for a, b in zip(nik["nilai_dtks"], nik["nilai_desa"])}


def test_changes_sheet_becomes_counts_when_large(result, tmp_path, monkeypatch):
    monkeypatch.setattr(excel, "CHANGES_MAX_PERSONS", 5)
    path = tmp_path / "laporan.xlsx"
    write_workbook(path, result, run_date=RUN_DATE)
    ws = openpyxl.load_workbook(path)[sheet_name("changes")]
    rows = table(ws)
    assert "changes.csv" in ws["A1"].value
    persons = result.reconciliation.changes.select("source_file", "source_sheet", "source_row").n_unique()
    assert sum(r["Orang"] for r in rows) == persons
    assert sum(r["Nama"] for r in rows) == result.reconciliation.changes.filter(pl.col("field") == "nama").height


def test_english_workbook(result, books):
    book = books["en"]
    lab = LABELS["en"]
    _desa, total = summary_rows(book[sheet_name("summary", "en")], "en")
    assert total[lab["rows"]] == result.reconciliation.reconciliation.height
    ws = book[sheet_name("rejected", "en")]
    assert [c.value for c in ws[2]][:3] == ["Kecamatan", "Desa/Kelurahan", "File"]
    assert any("rejected" in (r[lab["masalah"]] or "") for r in table(ws))
    assert book[sheet_name("summary", "en")]["B2"].value == "October 2025"


def test_without_validation_and_without_rows(result, tmp_path):
    """``match_rows`` gives no validation report; an empty month still gives a readable workbook."""
    import dataclasses

    rec = result.reconciliation
    no_validation = dataclasses.replace(result, validation=None)
    write_workbook(tmp_path / "a.xlsx", no_validation, run_date=RUN_DATE)
    book = openpyxl.load_workbook(tmp_path / "a.xlsx")
    assert len(table(book[sheet_name("rejected")])) == rec.counts()["rejected"]
    empty = dataclasses.replace(
        result,
        rows=result.rows.clear(),
        reconciliation=dataclasses.replace(
            rec, reconciliation=rec.reconciliation.clear(), not_found=rec.not_found.clear(), changes=rec.changes.clear()
        ),
    )
    write_workbook(tmp_path / "b.xlsx", empty, run_date=RUN_DATE)
    book = openpyxl.load_workbook(tmp_path / "b.xlsx")
    assert book.sheetnames == [sheet_name(k) for k in SHEET_ORDER]
    _, total = summary_rows(book[sheet_name("summary")])
    assert total[LABELS["id"]["rows"]] == 0
    assert all(book[n].max_row <= 2 for n in book.sheetnames[1:])


def test_period_and_full_ids_follow_the_run(result, tmp_path):
    import dataclasses

    path = tmp_path / "laporan.xlsx"
    write_workbook(path, dataclasses.replace(result, period="2025-09", full_ids=True), run_date=RUN_DATE)
    book = openpyxl.load_workbook(path)
    assert book[sheet_name("summary")]["B2"].value == "September 2025"
    # village rows come unmasked from result.rows (the register persons not found keep the run's masking)
    niks = [r["NIK"] for r in table(book[sheet_name("new_household")]) if r["NIK"]]
    assert niks and not any("*" in v for v in niks)


def test_period_label():
    assert excel.period_label(RUN_DATE, "id") == "Oktober 2025"
    assert excel.period_label(RUN_DATE, "en", "2026-02") == "February 2026"
    assert excel.period_label(RUN_DATE, "id", "Triwulan III") == "Triwulan III"


def test_register_persons_not_found_have_birth_dates(result, books):
    assert result.register is not None  # runs keep the normalised register for the reports
    lab = LABELS["id"]
    ws = books["id"][sheet_name("not_found")]
    titles = [c.value for c in ws[2]]
    col, note = titles.index(lab["tanggal_lahir"]), titles.index(lab["keterangan"])
    gone = [row for row in ws.iter_rows(min_row=3) if row[note].value == lab["kept_not_found"]]
    assert gone and sum(row[col].is_date for row in gone) >= len(gone) * 0.8


def test_a_long_not_found_list_is_cut_in_the_workbook_and_whole_in_csv(result, tmp_path, monkeypatch):
    """--coverage desa can list a whole desa's prelist: the workbook shows the first rows and says
    where the whole list is (not_found.csv/.parquet); every other row stays."""
    nf = result.reconciliation.not_found.height
    assert nf > 3
    monkeypatch.setattr(excel, "MAX_NOT_FOUND_ROWS", 3)
    path = tmp_path / "laporan.xlsx"
    write_workbook(path, result, run_date=RUN_DATE)
    ws = openpyxl.load_workbook(path)[sheet_name("not_found")]
    lab = LABELS["id"]
    rows = table(ws)
    gone = [r for r in rows if r[lab["keterangan"]] == lab["kept_not_found"]]
    absent = [r for r in rows if r[lab["keterangan"]] != lab["kept_not_found"]]
    assert len(gone) == 3
    assert "not_found.csv" in ws["A1"].value and f"dari {nf} orang" in ws["A1"].value
    monkeypatch.setattr(excel, "MAX_NOT_FOUND_ROWS", nf)  # not cut: the same village rows, every person
    write_workbook(path, result, run_date=RUN_DATE)
    whole = table(openpyxl.load_workbook(path)[sheet_name("not_found")])
    assert [r for r in whole if r[lab["keterangan"]] != lab["kept_not_found"]] == absent
    assert len(whole) == len(absent) + nf
