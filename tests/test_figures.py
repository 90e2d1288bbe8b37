"""Figures read right: numbers, dates, words and the period of laporan.xlsx / laporan.html / console."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from slrt_cli.i18n import t
from slrt_cli.period import choose_period, period_from_names
from slrt_cli.pipeline import run
from slrt_cli.report import excel
from slrt_cli.report.excel import DATE_FORMATS, DECIMAL_FORMATS, INT_FORMATS, label, write_workbook
from slrt_cli.report.html import render_html
from slrt_cli.report.labels import format_number

ROOT = Path(__file__).resolve().parents[1]
RUN_DATE = dt.date(2026, 1, 15)  # a month after the files' own month (OKTOBER 2025 in their names)


@pytest.fixture(scope="module")
def result():
    return run([ROOT / "sample_data/desa"], [ROOT / "sample_data/register/dtks.parquet"], today=RUN_DATE)


@pytest.fixture(scope="module")
def books(result, tmp_path_factory):
    out = tmp_path_factory.mktemp("figures")
    paths = {}
    for lang in ("id", "en"):
        paths[lang] = out / f"laporan_{lang}.xlsx"
        write_workbook(paths[lang], result, lang=lang, run_date=RUN_DATE)
    return {k: openpyxl.load_workbook(p) for k, p in paths.items()}


# ---------------------------------------------------------------- numbers and dates


def test_format_int_is_the_readers_way():
    assert format_number(3000, "id") == "3.000"
    assert format_number(1234567, "id") == "1.234.567"
    assert format_number(3000, "en") == "3,000"
    assert format_number(7, "id") == "7"


def test_integer_formats_use_literal_separators():
    # a literal "\." shows 3.000 whatever the locale of Excel/LibreOffice ("#,##0" would show 3,000 in en-US)
    assert INT_FORMATS["id"] == r"[>=1000000]#\.###\.###;[>=1000]#\.###;0"
    assert INT_FORMATS["en"] == r"[>=1000000]#\,###\,###;[>=1000]#\,###;0"
    assert DATE_FORMATS == {"id": "dd/mm/yyyy", "en": "dd mmm yyyy"}


@pytest.mark.parametrize("lang", ["id", "en"])
def test_every_count_cell_has_the_languages_number_format(books, lang):
    book = books[lang]
    summary = book[book.sheetnames[0]]
    counts = [c for row in summary.iter_rows(min_row=9) for c in row[3:] if isinstance(c.value, int)]
    assert counts and {c.number_format for c in counts} == {INT_FORMATS[lang]}
    # the header block: files and register size are numbers too (not the text "3,000")
    info = {summary.cell(r, 1).value: summary.cell(r, 2) for r in range(2, 6)}
    for key in ("files", "register_rows"):
        cell = info[label(key, lang)]
        assert isinstance(cell.value, int), key
        assert cell.number_format == INT_FORMATS[lang]
    run_date = info[label("run_date", lang)]
    assert run_date.is_date and run_date.number_format == DATE_FORMATS[lang]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_dates_and_scores_in_the_data_sheets(books, lang):
    book = books[lang]
    seen_date = seen_score = False
    for ws in book.worksheets[1:-1]:  # the changes sheet shows "DTKS → desa" as text
        titles = [c.value for c in ws[2]]
        for r in ws.iter_rows(min_row=3, max_row=40):
            for title, cell in zip(titles, r, strict=False):
                if title == label("tanggal_lahir", lang) and cell.value is not None:
                    assert cell.is_date and cell.number_format == DATE_FORMATS[lang]
                    seen_date = True
                if title == label("score", lang) and cell.value is not None:
                    assert cell.number_format == DECIMAL_FORMATS[lang]
                    seen_score = True
                if isinstance(cell.value, int) and title not in (label("source_row", lang),):
                    assert cell.number_format == INT_FORMATS[lang], (ws.title, title)
    assert seen_date and seen_score


def test_row_counts_in_sentences_follow_the_language(books, result):
    book = books["id"]
    for ws in book.worksheets[1:]:
        about = ws["A1"].value
        assert "," not in about.rsplit(" ", 2)[-2], about  # "1.234 baris." never "1,234 baris."


# ---------------------------------------------------------------- titles, print set-up


@pytest.mark.parametrize("lang", ["id", "en"])
def test_titles_period_and_no_duplicate_titles(books, lang):
    book = books[lang]
    assert len(set(book.sheetnames)) == len(book.sheetnames)
    summary = book[book.sheetnames[0]]
    assert summary["A1"].value.startswith(label("title", lang))
    period = {"id": "Oktober 2025", "en": "October 2025"}[lang]
    assert summary["B2"].value == period  # the month the files report, not the run month (January 2026)
    assert summary.cell(8, 4).value == label("rows", lang)
    for ws in book.worksheets:
        header_row = 8 if ws is summary else 2
        titles = [c.value for c in ws[header_row] if c.value is not None]
        assert len(titles) == len(set(titles)), (ws.title, titles)


@pytest.mark.parametrize("lang", ["id", "en"])
def test_print_setup(books, lang):
    for ws in books[lang].worksheets:
        assert ws.page_setup.orientation == "landscape", ws.title
        assert ws.page_setup.paperSize in (9, "9")
        assert ws.sheet_properties.pageSetUpPr.fitToPage
        assert ws.page_setup.fitToWidth in (1, "1", None) and ws.page_setup.fitToHeight in (0, "0")
        assert ws.print_title_rows  # the header repeats on every page
        assert "&P" in ws.oddFooter.right.text and "&N" in ws.oddFooter.right.text
        assert {"id": "Oktober 2025", "en": "October 2025"}[lang] in ws.oddHeader.left.text


# ---------------------------------------------------------------- one word per meaning


@pytest.mark.parametrize("lang", ["id", "en"])
def test_one_word_per_meaning(result, lang):
    received = t("summary_rows", lang=lang)
    assert label("rows", lang) == received  # workbook and page say what the console says
    assert received != t("summary_accepted", lang=lang)
    assert t("summary_accepted", lang=lang).lower() not in received.lower()
    page = render_html(result, lang=lang, run_date=RUN_DATE)
    assert received in page


def test_page_numbers_and_period(result):
    page = render_html(result, lang="id", run_date=RUN_DATE)
    assert "Periode Oktober 2025" in page and "3.000" in page
    page_en = render_html(result, lang="en", run_date=RUN_DATE)
    assert "Period October 2025" in page_en and "3,000" in page_en


# ---------------------------------------------------------------- the period


@pytest.mark.parametrize(
    "names, expected",
    [
        (("VERIVALI_PONDOK_RAJEG_OKTOBER_2025.xlsx",), "2025-10"),
        (("PUSPASARI_okt2025.csv",), "2025-10"),
        (("DATA BULAN OKTOBER 2025.xlsx",), "2025-10"),
        (("laporan", "Sheet Nop 2025"), "2025-11"),
        (("verivali february-2026.xlsx",), "2026-02"),
        (("DATA BULAN OKTOBER.csv",), None),  # no year
        (("karadenan.xlsx",), None),
        (("OKTOBER 2025 dan NOVEMBER 2025.xlsx",), None),  # two months
        (("DESEMBER2025",), "2025-12"),
        (("mesjid 2025",), None),  # "des" inside a word is no month
    ],
)
def test_period_from_names(names, expected):
    assert period_from_names(*names) == expected


def test_choose_period():
    today = dt.date(2026, 1, 15)
    assert choose_period("2025-09", [("OKTOBER 2025.xlsx",)], today) == ("2025-09", None, {})
    assert choose_period("", [("a OKTOBER 2025.xlsx",), ("b.xlsx",), ("okt2025.csv",)], today) == ("2025-10", None, {})
    period, why, params = choose_period("", [("a.xlsx",)], today)
    assert (period, why) == ("2026-01", "PERIOD_UNKNOWN")
    period, why, params = choose_period("", [("OKTOBER 2025",), ("NOVEMBER 2025",)], today)
    assert (period, why) == ("2026-01", "PERIOD_DISAGREE") and params["periods"] == "2025-10, 2025-11"


def test_run_takes_the_period_from_the_files(result):
    assert result.period == "2025-10"
    assert not result.validation.issue_table.filter(pl.col("code").str.starts_with("PERIOD_")).height


def test_run_without_a_named_month_warns_and_uses_the_run_month(tmp_path):
    folder = tmp_path / "desa"
    folder.mkdir()
    lines = (ROOT / "sample_data/desa/GUNUNGPUTRI/verivali_bojongkulur.csv").read_bytes().split(b"\n")
    (folder / "karadenan.csv").write_bytes(b"\n".join(lines[2:]))  # without its title rows (OKTOBER 2025)
    r = run([folder], [ROOT / "sample_data/register/dtks.parquet"], today=RUN_DATE)
    assert r.period == "2026-01"
    issues = r.validation.issue_table.filter(pl.col("code") == "PERIOD_UNKNOWN")
    assert issues.height == 1 and issues["severity"][0] == "warning"
    assert "2026-01" in t("PERIOD_UNKNOWN", lang="id", period="2026-01")
    r2 = run([folder], [ROOT / "sample_data/register/dtks.parquet"], today=RUN_DATE, period="2025-10")
    assert r2.period == "2025-10"
    assert not r2.validation.issue_table.filter(pl.col("code") == "PERIOD_UNKNOWN").height


def test_period_label_of_the_run(result):
    assert excel.period_label(RUN_DATE, "id", result.period) == "Oktober 2025"


def test_run_takes_the_period_from_the_title_rows_above_the_header(tmp_path):
    """A village writes the month in its sheet's title ("DESA BOJONGKULUR - OKTOBER 2025"), not
    in the file's name: that month is the batch's period."""
    folder = tmp_path / "desa"
    folder.mkdir()
    (folder / "karadenan.csv").write_bytes((ROOT / "sample_data/desa/GUNUNGPUTRI/verivali_bojongkulur.csv").read_bytes())
    r = run([folder], [ROOT / "sample_data/register/dtks.parquet"], today=RUN_DATE)
    assert r.period == "2025-10"
    assert not r.validation.issue_table.filter(pl.col("code").str.starts_with("PERIOD_")).height
