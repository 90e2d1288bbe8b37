"""Shared fixtures: small messy village files built in the test (synthetic people only)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import pytest
from hypothesis import settings

# Property tests are deterministic (the same examples on every run and machine) and never fail on
# time on a shared CI machine; a new example set comes with a hypothesis upgrade, not at random.
settings.register_profile("slrt", derandomize=True, deadline=None, database=None)
settings.load_profile("slrt")

# Synthetic identifiers used across tests; none belongs to a real person.
NIK_HEAD = "3201014508900001"
NIK_SPOUSE = "3201011508850002"
NIK_CHILD = "3201015012150003"
KK = "3201011201150003"
ALL_IDS = [NIK_HEAD, NIK_SPOUSE, NIK_CHILD, KK]


def build_messy_folder(root: Path) -> Path:
    """A folder with an xlsx (title rows, numeric NIK, notes below the data, a notes sheet,
    a rejected row), a cp1252 `;` CSV (scientific-notation NIK, bad date, bad sex) and an
    HTML page renamed .xls. 8 data rows in total: 6 in the workbook, 2 in the CSV."""
    root.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    ws.append(["DAFTAR HASIL VERIVALI DESA CONTOH"])
    ws.append(["BULAN NOVEMBER 2026"])
    ws.append([])
    ws.append(["NO", "NIK", "NO KK", "NAMA", "TGL LAHIR", "JK", "HUB KELUARGA", "ALAMAT", "KETERANGAN LAIN"])
    ws.append([1, NIK_HEAD, KK, "warga  contoh satu", "05-08-1990", "P", "KEPALA", "KP CONTOH RT 02 RW 01", "=1+1"])
    ws.append([2, int(NIK_SPOUSE), KK, "WARGA CONTOH DUA", dt.datetime(1985, 8, 15), "L", "SUAMI", "KP CONTOH RT 02 RW 01", ""])
    ws.append([3, "'" + NIK_CHILD, KK, "ANAK CONTOH", "10 Desember 2015", "P", "3", "", ""])
    ws.append([4, "", "", "", "", "", "", "", ""])
    ws.append([5, "", "", "", "01-01-1900", "L", "3", "", "tanpa nama"])
    ws.append([6, NIK_SPOUSE, "", "WARGA DOBEL", "15-08-1985", "L", "1", "", ""])
    ws.append([])
    ws.append(["JUMLAH", "5"])
    ws.append(["Mengetahui, Kepala Desa"])
    wb.create_sheet("Catatan").append(["Catatan: data per November"])
    wb.save(root / "desa_contoh.xlsx")
    (root / "desa2.csv").write_bytes(
        "NIK;NAMA;TANGGAL LAHIR;JENIS KELAMIN;ALAMAT\n"
        "3.20101E+15;ORANG CSV;1 Agustus 1990;L;JL. CONTOH 5° \n"
        "3201010108900002;ORANG KEDUA;31-02-1990;X;JL. CONTOH\n".encode("cp1252")
    )
    (root / "fake.xls").write_text("<html><body><table><tr><td>x</td></tr></table></body></html>")
    return root


@pytest.fixture
def messy_folder(tmp_path: Path) -> Path:
    return build_messy_folder(tmp_path / "masuk")


@pytest.fixture(scope="session")
def spark():
    """One Spark session (``local[2]``, UI off, few shuffle partitions) for the whole test run.

    Without PySpark the Spark tests are skipped, except where ``SLRT_REQUIRE_SPARK=1`` (``tools/test.sh``,
    hence CI): there a missing PySpark fails them.
    """
    import os

    try:
        import pyspark  # noqa: F401
    except ImportError:
        if os.environ.get("SLRT_REQUIRE_SPARK") == "1":
            raise
        pytest.skip("PySpark is not installed (pip install -e '.[spark]')")
    from slrt_cli.engines.spark import session

    s = session("local[2]", {"spark.sql.shuffle.partitions": "3", "spark.default.parallelism": "2"})
    s.sparkContext.setLogLevel("ERROR")
    yield s
    s.stop()
