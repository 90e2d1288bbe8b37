"""laporan.html read back: self-contained (no URL at all), charts, embedded data, escaping, languages."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re
from pathlib import Path

import polars as pl
import pytest

from slrt_cli.pipeline import run
from slrt_cli.report import html as report_html
from slrt_cli.report.html import render_html, write_html

ROOT = Path(__file__).resolve().parents[1]
RUN_DATE = dt.date(2025, 10, 20)
EVIL = '</script><img src=x onerror="alert(1)">&amp;'


@pytest.fixture(scope="module")
def result():
    return run([ROOT / "sample_data/desa"], [ROOT / "sample_data/register/dtks.parquet"], today=RUN_DATE)


@pytest.fixture(scope="module")
def page(result, tmp_path_factory):
    path = tmp_path_factory.mktemp("html") / "laporan.html"
    write_html(path, result, run_date=RUN_DATE)
    return path.read_text("utf-8")


@pytest.fixture(scope="module")
def page_en(result):
    return render_html(result, lang="en", run_date=RUN_DATE)


def embedded(text: str) -> dict:
    m = re.search(r'<script type="application/json" id="slrt-data">(.*?)</script>', text, re.DOTALL)
    assert m, "no embedded data"
    return json.loads(m.group(1))


def decoded_rows(data: dict) -> list[dict]:
    coded = {"category", "kecamatan", "desa", "source_file", "source_sheet", "alasan"}
    out = []
    for row in data["rows"]:
        rec = dict(zip(data["columns"], row, strict=True))
        out.append({k: data["strings"][v] if k in coded and v is not None else v for k, v in rec.items()})
    return out


@pytest.mark.parametrize("which", ["page", "page_en"])
def test_no_external_resource_at_all(which, request):
    text = request.getfixturevalue(which)
    assert not re.search(r"https?://", text, re.IGNORECASE)
    assert not re.search(r"""(src|href|action)\s*=\s*["']?//""", text, re.IGNORECASE)
    assert not re.search(r"url\s*\(|@import|@font-face|<link\b|<iframe\b", text, re.IGNORECASE)
    assert "<script src" not in text
    assert text.count("<script") == 2  # the JSON data and the inline script


def test_one_document_with_inline_style_and_script(page):
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert '<html lang="id">' in page
    assert "<style>" in page and "addEventListener" in page
    assert "{{" not in page  # every placeholder filled


def test_charts_are_inline_svg_with_the_desa(result, page):
    svgs = re.findall(r"<svg\b.*?</svg>", page, re.DOTALL)
    assert len(svgs) == 2
    desa_chart = next(s for s in svgs if "desa-chart" in s)
    for name in ("Karadenan", "Pondok Rajeg", "Cilebut Timur", "Gunung Geulis", "Cibinong", "Sukaraja"):
        assert f">{name}<" in desa_chart
    assert desa_chart.count("<rect") >= 8
    score_chart = next(s for s in svgs if "score-chart" in s)
    assert score_chart.count("<rect") >= 3 and "skor" in score_chart


def test_headline_counts(result, page):
    counts = result.reconciliation.counts()
    n = result.reconciliation.reconciliation.height
    assert f'<div class="n">{n}' in page
    assert f'<div class="n">{counts["review"]}<' in page
    assert f'<div class="n">{counts["not_found"]}</div><div class="k">Tidak ada di berkas desa' in page


def test_top_problems_with_bahasa_labels(result, page):
    issues = result.validation.issue_table.filter(pl.col("severity").is_in(["error", "warning"]))
    top_code, top_n = issues.group_by("code").len().sort(["len", "code"], descending=[True, False]).row(0)
    section = page[page.index('<table class="issues">'):]
    section = section[: section.index("</table>")]
    assert top_code in section and report_html.ISSUE_LABELS["id"][top_code] in section
    assert f'<td class="n">{top_n}</td>' in section
    assert section.count("<tr>") <= 11


def test_embedded_rows_are_the_action_rows_masked(result, page):
    data = embedded(page)
    rows = decoded_rows(data)
    rec = result.reconciliation
    village = rec.reconciliation.filter(
        ~((pl.col("outcome") == "matched") & (pl.col("status_verivali") == "DITEMUKAN"))
    )
    assert len(rows) == village.height + rec.not_found.height
    cats = {r["category"] for r in rows}
    assert {"review", "rejected", "new_household", "not_found"} <= cats and "found" not in cats
    assert sum(r["category"] == "review" for r in rows) == rec.counts()["review"]
    ids = [r[c] for r in rows for c in ("nik", "no_kk") if r[c]]
    assert ids and all(re.fullmatch(r"\d{6}\*+\d{4}|\d{4}\*+\d{2}|\d\*+|\*+", v) for v in ids)
    full = result.rows.select(pl.concat([pl.col("nik"), pl.col("no_kk")]).drop_nulls()).to_series().to_list()
    assert not any(v in page for v in full if len(v) >= 12)
    rejected = [r for r in rows if r["category"] == "rejected"]
    assert all("ditolak" in r["alasan"] for r in rejected)  # the validation errors, not a generic phrase


def test_text_is_escaped(result):
    rec = result.reconciliation
    evil = rec.reconciliation.with_columns(
        pl.when(pl.col("outcome") == "review").then(pl.lit(EVIL)).otherwise(pl.col("nama")).alias("nama")
    )
    changed = dataclasses.replace(result, reconciliation=dataclasses.replace(rec, reconciliation=evil))
    text = render_html(changed, run_date=RUN_DATE)
    assert EVIL not in text and "<img" not in text
    assert text.count("</script>") == 2
    assert EVIL in {r["nama"] for r in decoded_rows(embedded(text))}


def test_desa_names_are_escaped_in_the_chart(result, monkeypatch):
    from slrt_cli.report import month

    monkeypatch.setattr(month, "_region_names", lambda codes: {c: ("Kec <b>", "Desa & <i>") for c in codes.drop_nulls()})
    text = render_html(result, run_date=RUN_DATE)
    assert "Desa &amp; &lt;i&gt;" in text and "<i>" not in text.replace('<i style="', "")


def test_table_is_capped_with_a_note(result, monkeypatch):
    monkeypatch.setattr(report_html, "MAX_TABLE_ROWS", 10)
    text = render_html(result, run_date=RUN_DATE)
    data = embedded(text)
    assert len(data["rows"]) == 10
    assert 'class="note cut"' in text and "laporan.xlsx" in text
    assert {r["category"] for r in decoded_rows(data)} <= {"review", "rejected", "new_household"}  # most urgent first


def test_english_page(result, page_en):
    assert '<html lang="en">' in page_en
    assert "Outcomes per desa" in page_en and "Rows that need action" in page_en
    assert "Top data problems" in page_en and report_html.ISSUE_LABELS["en"]["NIK_MISSING"] in page_en
    data = embedded(page_en)
    assert data["categories"]["review"]["label"] == "To review"
    assert any("rejected" in r["alasan"] for r in decoded_rows(data) if r["category"] == "rejected")



def test_without_validation_and_without_rows(result):
    rec = result.reconciliation
    text = render_html(dataclasses.replace(result, validation=None), run_date=RUN_DATE)
    assert "Tidak ada masalah data." in text and len(embedded(text)["rows"]) > 0
    empty = dataclasses.replace(
        result,
        rows=result.rows.clear(),
        reconciliation=dataclasses.replace(
            rec, reconciliation=rec.reconciliation.clear(), not_found=rec.not_found.clear(), changes=rec.changes.clear()
        ),
    )
    text = render_html(empty, run_date=RUN_DATE)
    assert embedded(text)["rows"] == [] and '<div class="n">0' in text
