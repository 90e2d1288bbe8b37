"""The SLRT desk (`slrt layanan`): categories, situations, follow-up across months (library level).

Logs are hand-made here from synthetic people of the sample register (and made-up ones not in it).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

import polars as pl
import pytest

from slrt_cli import layanan as desk
from slrt_cli.desk import layanan
from slrt_cli.schemas import load_schema

REPO = Path(__file__).resolve().parent.parent
SAMPLE_REG = REPO / "sample_data" / "register" / "dtks.parquet"
HEADER = ["TGL KUNJUNGAN", "NIK", "NO KK", "NAMA", "TANGGAL LAHIR", "DESA", "KELUHAN", "KATEGORI", "DIRUJUK KE",
          "STATUS RUJUKAN", "TGL SELESAI"]
OUTSIDER = ("3201010101900001", "3201010101900002", "CONTOH SINTETIS WARGA", "01/01/1990")


@pytest.fixture(scope="module")
def register(tmp_path_factory) -> tuple[Path, dict]:
    """A small register (first 300 people of the sample) with desil and PIP columns; the people used."""
    reg = pl.read_parquet(SAMPLE_REG).head(300)
    reg = reg.with_columns(pl.when(pl.col("household_id").str.slice(-1).is_in(["1", "3", "5"])).then(pl.lit("3"))
                           .otherwise(pl.lit("7")).alias("desil"), pl.lit("2").alias("pip"))
    path = tmp_path_factory.mktemp("reg") / "dtks.parquet"
    reg.write_parquet(path)
    ok = reg.filter(pl.col("nik").is_not_null())
    people = {
        "pkh_yes": ok.filter(pl.col("pkh") == "1").row(0, named=True),
        "pkh_no": ok.filter(pl.col("pkh") == "2").row(0, named=True),
        "pbi_yes": ok.filter(pl.col("pbi") == "1").row(1, named=True),
    }
    return path, people


def _row(p: dict | tuple, date: str, keluhan: str = "", kategori: str = "", office: str = "", status: str = "",
         closed: str = "") -> list[str]:
    if isinstance(p, tuple):
        nik, kk, nama, born = p
    else:
        nik, kk, nama, born = p["nik"], p["no_kk"], p["nama"], p["tanggal_lahir"].strftime("%d/%m/%Y")
    desa = "PUSPASARI"
    return [date, nik, kk, nama, born, desa, keluhan, kategori, office, status, closed]


def _log(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        csv.writer(fh).writerows([HEADER, *rows])
    return path


# ---------------------------------------------------------------- categories


@pytest.mark.parametrize(("text", "expected"), [
    ("Anak putus sekolah, tidak ada biaya seragam", "pendidikan"),
    ("ibu sakit stroke perlu berobat ke RSUD", "kesehatan"),
    ("tidak punya KTP dan KK", "adminduk"),
    ("Tidak dapat bantuan PKH padahal miskin", "bantuan_tunai"),
    ("tidak ada beras untuk makan", "pangan"),
    ("butuh kursi roda", "disabilitas"),
    ("atap bocor, rumah hampir roboh", "rumah"),
])
def test_keywords_give_the_category(text, expected):
    assert desk.classify(text) == expected


@pytest.mark.parametrize("text", ["", None, "minta tolong pak", "sakit dan putus sekolah", "rs"[:0]])
def test_unsure_or_nothing_is_lainnya(text):
    assert desk.classify(text) == "lainnya"


def test_keywords_are_whole_words():
    assert desk.classify("saksi") == "lainnya"  # "sakit" is not in "saksi"; "kk" is not in "kakak"
    assert desk.classify("kakak") == "lainnya"


def test_written_category_or_programme_wins_over_the_text():
    rows = pl.DataFrame({"kategori": ["Pendidikan", None, None, "xyz"], "program": [None, "KIS", None, None],
                         "rujukan_ke": [None, None, "DUKCAPIL", None], "status_rujukan": ["Proses", None, "Sudah", None],
                         "keluhan": ["sakit", "anak sekolah", "ktp hilang", "bingung"]})
    out = desk.resolve_needs(rows)
    assert out["kategori"].to_list() == ["pendidikan", "kesehatan", "adminduk", "lainnya"]
    assert out["kategori_sumber"].to_list() == ["kolom", "program", "keluhan", "tidak_jelas"]
    assert out["program"].to_list() == ["PIP", "PBI-JK", None, None]
    assert out["rujukan_ke"].to_list() == ["disdik", "dinkes", "disdukcapil", None]
    assert out["status_rujukan"].to_list() == ["diproses", None, "selesai", None]


def test_desk_fields_do_not_change_the_verivali_schema():
    base = load_schema()
    extended = desk.desk_schema(base)
    assert "tanggal_kunjungan" not in base.fields and "tanggal_kunjungan" in extended.fields
    assert base.match_header("TGL KUNJUNGAN") is None
    assert extended.match_header("TGL KUNJUNGAN") == ("tanggal_kunjungan", None)
    assert extended.match_header("NIK") == base.match_header("NIK")


# ---------------------------------------------------------------- situations


@pytest.fixture(scope="module")
def month(register, tmp_path_factory):
    reg, p = register
    folder = tmp_path_factory.mktemp("m1")
    log = _log(folder / "buku_layanan.csv", [
        _row(p["pkh_yes"], "03/11/2025", "tidak dapat bantuan PKH", office="Dinsos", status="dirujuk"),
        _row(p["pkh_no"], "04/11/2025", "belum dapat bantuan pkh", status="dirujuk"),
        _row(OUTSIDER, "05/11/2025", "anak sakit perlu berobat ke rumah sakit", status="dirujuk"),
        _row(("", "", "TANPA NIK SINTETIS", "02/02/1985"), "06/11/2025", "tidak punya KTP"),
        _row(("", "", "", ""), "07/11/2025", "minta tolong"),
        _row(p["pbi_yes"], "08/11/2025", "minta tolong saja"),
        _row(p["pbi_yes"], "09/11/2025", "", kategori="Kesehatan", status="selesai", closed="10/11/2025"),
    ])
    out = folder / "hasil"
    return layanan([log], [reg], out, today=dt.date(2025, 11, 30)), out


def test_every_visit_has_one_line_with_its_situation(month):
    report, out = month
    table = pl.read_csv(out / "layanan.csv", infer_schema=False)
    assert table["source_row"].to_list() == [str(i) for i in range(2, 9)]
    assert table["situasi"].to_list() == ["sudah_menerima", "belum_menerima", "bukan_dtks", "perlu_adminduk",
                                          "ditolak", "lainnya", "sudah_menerima"]
    assert table.columns[:10] == ["source_file", "source_sheet", "source_row", "person_id", "household_id", "situasi",
                                  "kategori", "program", "rujukan_ke", "alasan"]
    linked = table.filter(pl.col("situasi").is_in(["sudah_menerima", "belum_menerima", "lainnya"]))
    assert linked["person_id"].null_count() == 0 and linked["household_id"].null_count() == 0
    assert table.filter(pl.col("situasi") == "bukan_dtks")["person_id"].null_count() == 1
    assert table.filter(pl.col("situasi") == "perlu_adminduk")["rujukan_ke"].to_list() == ["disdukcapil"]
    assert table.filter(pl.col("situasi") == "bukan_dtks")["rujukan_ke"].to_list() == ["dinkes"]


def test_not_receiving_says_the_desil(month):
    report, _ = month
    line = report.table.filter(pl.col("situasi") == "belum_menerima").row(0, named=True)
    assert line["desil"] in ("3", "7") and f"Desil {line['desil']}" in line["alasan"]
    assert (line["jumlah_art"] or 0) >= 1


def test_household_members_come_along(month):
    report, _ = month
    hh = set(report.table["household_id"].drop_nulls())
    assert set(report.members["household_id"]) == hh
    assert report.members["nik"].str.contains(r"\*").all()


def test_proposals_go_to_kirim_in_full(month):
    _, out = month
    files = list((out / "kirim").rglob("usulan_baru.csv"))
    text = "".join(f.read_text("utf-8-sig") for f in files)
    assert OUTSIDER[0] in text and OUTSIDER[2] in text
    assert "TANPA NIK SINTETIS" not in text  # Disdukcapil first


def test_operator_outputs_mask_identifiers(month, register):
    _, out = month
    _, people = register
    niks = {p["nik"] for p in people.values()} | {OUTSIDER[0]}
    kks = {p["no_kk"] for p in people.values()} | {OUTSIDER[1]}
    import zipfile
    with zipfile.ZipFile(out / "rujukan.xlsx") as z:
        book = "".join(z.read(n).decode() for n in z.namelist() if n.endswith(".xml"))
    for name in ("layanan.csv", "tindak_lanjut.csv", "layanan.html", "summary.json"):
        text = (out / name).read_text("utf-8-sig")
        assert not any(n in text for n in niks | kks), name
    assert not any(n in book for n in niks | kks)
    assert "320101******0001" in (out / "layanan.csv").read_text("utf-8-sig")


def test_workbook_has_a_sheet_per_office(month):
    from openpyxl import load_workbook

    _, out = month
    wb = load_workbook(out / "rujukan.xlsx")
    assert wb.sheetnames[0] == "Ringkasan"
    assert {"Dinas Sosial", "Dinas Kesehatan", "Disdukcapil"} <= set(wb.sheetnames)
    assert {"Rujukan Terlambat", "Anggota Rumah Tangga"} <= set(wb.sheetnames)
    assert wb["Dinas Sosial"].freeze_panes == "A2"
    figures = {r[0]: r[1] for r in wb["Ringkasan"].iter_rows(values_only=True) if r and r[0]}
    share = next(v for k, v in figures.items() if "DTKS/DTSEN" in k and "%" in str(v))
    assert "," in share or share in ("0%", "100%")  # 57,8% the Indonesian way, as in every workbook
    day = next(v for k, v in figures.items() if k.startswith("Dihitung"))
    assert re.fullmatch(r"\d\d/\d\d/\d{4}", day)  # 05/11/2025, not an ISO date


# ---------------------------------------------------------------- follow-up


def test_follow_up_opened_answered_overdue_read_twice(register, tmp_path):
    reg, p = register
    out, state = tmp_path / "hasil", tmp_path / "state"
    nov = _log(tmp_path / "layanan_nov.csv", [
        _row(p["pkh_no"], "03/11/2025", "belum dapat bantuan pkh", office="Dinsos", status="dirujuk"),
        _row(OUTSIDER, "05/11/2025", "anak sakit", office="Dinkes", status="dirujuk"),
    ])
    first = layanan([nov], [reg], out, state=state)
    assert first.summary["referrals"] == 2 and first.summary["answered"] == 0
    assert first.as_of == dt.date(2025, 11, 5) and first.summary["overdue"] == 0
    # the same log read again (another file name): nothing counted twice, same files
    copy = tmp_path / "copy" / "layanan_nov_lagi.csv"
    copy.parent.mkdir()
    copy.write_bytes(nov.read_bytes())
    again = layanan([nov, copy], [reg], out, state=state, overwrite=True)
    assert again.summary["referrals"] == 2
    # December: the health referral is answered, the other one is not (overdue after 14 days)
    dec = _log(tmp_path / "layanan_des.csv", [
        _row(OUTSIDER, "02/12/2025", "anak sakit", office="Dinkes", status="selesai", closed="01/12/2025"),
        _row(OUTSIDER, "03/12/2025", "butuh kursi roda", status="dirujuk"),
    ])
    dec_report = layanan([dec], [reg], out, state=state, overwrite=True)
    view = dec_report.referrals.sort("dibuka")
    assert view.height == 3
    health = view.filter(pl.col("rujukan_ke") == "dinkes").row(0, named=True)
    assert health["status"] == "selesai" and health["hari"] == 26
    pkh = view.filter(pl.col("program") == "PKH").row(0, named=True)
    assert pkh["status"] == "dirujuk" and pkh["terlambat"] and pkh["hari"] == 30
    assert dec_report.summary["overdue"] == 1 and dec_report.summary["answered"] == 1
    assert dec_report.summary["response_days_median"] == 26
    before = {f: (out / f).read_bytes() for f in ("layanan.csv", "tindak_lanjut.csv")}
    # re-running December gives the same files
    layanan([dec], [reg], out, state=state, overwrite=True)
    assert {f: (out / f).read_bytes() for f in before} == before
    # a longer limit: nothing overdue
    assert layanan([dec], [reg], None, state=state, limit_days=40).summary["overdue"] == 0


def test_follow_up_pure_keeps_known_visits_once():
    day = dt.date(2025, 11, 1)
    base = {"person_key": "p", "person_id": None, "nik_masked": "", "nama_desa": "X", "kategori": "kesehatan",
            "program": "PBI-JK", "rujukan_ke": "dinkes", "source_file": "a", "source_row": 2, "tanggal_kunjungan": day}
    visits = pl.DataFrame([base | {"visit_key": "v1", "dibuka": day, "status_rujukan": "dirujuk", "ditutup": None}])
    closed = ("selesai", "ditolak")
    once = desk.follow_up(pl.DataFrame(schema=desk.REFERRAL_SCHEMA), visits, closed)
    twice = desk.follow_up(once, visits, closed)
    assert once.equals(twice) and once.height == 1
    refuse = pl.DataFrame([base | {"visit_key": "v2", "dibuka": dt.date(2025, 11, 9), "status_rujukan": "ditolak",
                                   "ditutup": None, "tanggal_kunjungan": dt.date(2025, 11, 9)}])
    after = desk.follow_up(twice, refuse, closed)
    assert after.height == 1 and after["status"].to_list() == ["ditolak"]
    assert desk.follow_up(after, refuse, closed).equals(after)  # the closing row read again
    view = desk.referral_view(after, dt.date(2025, 12, 31), 14, closed)
    assert view["hari"].to_list() == [8] and view["terlambat"].to_list() == [False]
