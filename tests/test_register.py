"""Reading register extracts in the layouts that exist (built in the tests, synthetic people)."""

from __future__ import annotations

import datetime as dt

import polars as pl
import pytest

from slrt_cli.errors import InputError
from slrt_cli.io.register import read_register
from slrt_cli.normalise import normalise_sheet
from slrt_cli.schemas import load_schema

SCHEMA = load_schema()
SIKS_HEADER = (
    "ID DTKS|PROVINSI|KABUPATEN/KOTA|KECAMATAN|DESA/KELUARAHAN|ALAMAT|DUSUN|RT|RW|NOKK|NIK|NAMA|"
    "TANGGAL LAHIR|TEMPAT LAHIR|JENIS KELAMIN|PEKERJAAN|NAMA IBU KANDUNG|HUB KELUARGA|KETERANGAN PADAN|"
    "BANSOS BPNT|BANSOS PKH|BANSOS BPNT-PPKM|PBI JKN"
)


def normalised(table):
    return normalise_sheet(table, SCHEMA, today=dt.date(2026, 11, 22))


def test_siks_ng_pipe_export(tmp_path):
    rows = [
        "SYN0001|JAWA BARAT|KAB. BOGOR|CIBINONG|PONDOK RAJEG|KP CONTOH|DUSUN 1|1|2|3201011201150003|3201014508900001|"
        "WARGA CONTOH SATU|1990-08-05|BOGOR|PEREMPUAN|PETANI|IBU CONTOH|KEPALA KELUARGA|PADAN|YA|TIDAK|TIDAK|YA",
        "SYN0001|JAWA BARAT|KAB. BOGOR|CIBINONG|PONDOK RAJEG|KP CONTOH|DUSUN 1|1|2|3201011201150003|3201015012150003|"
        "ANAK CONTOH|2015-12-10|BOGOR|PEREMPUAN|BELUM BEKERJA|WARGA CONTOH SATU|ANAK|PADAN|YA|TIDAK|TIDAK|YA",
    ]
    path = tmp_path / "dtks.csv"
    path.write_text(SIKS_HEADER + "\n" + "\n".join(rows) + "\n", encoding="utf-8")
    table = read_register([path], SCHEMA)
    df = normalised(table)
    assert df.height == 2
    assert df["household_id"].to_list() == ["SYN0001", "SYN0001"]
    assert df["kode_desa"].to_list() == ["3201011001", "3201011001"]  # region names resolved to codes
    assert df["jenis_kelamin"].to_list() == ["2", "2"] and df["hub_kk"].to_list() == ["1", "3"]
    assert df["nik"][0] == "3201014508900001" and df["rt"][0] == "001"
    # no person id in this layout: a stable derived one, the same on every read
    ids = df["person_id"].to_list()
    assert len(set(ids)) == 2 and all(i.startswith("P") for i in ids)
    assert normalised(read_register([path], SCHEMA))["person_id"].to_list() == ids
    assert table.data["source_row"].to_list() == [2, 3]


def test_dtsen_families_and_members_are_joined(tmp_path):
    fam = tmp_path / "keluarga.csv"
    fam.write_text(
        "id_keluarga,no_kk,nik,nama,alamat,desil_nasional,id_desa\n"
        "K1,3201011201150003,3201014508900001,WARGA CONTOH SATU,KP CONTOH,2,3201011001\n"
    )
    mem = tmp_path / "anggota.csv"
    mem.write_text(
        "idsemesta,id_keluarga,nik,nama,hub_kepala_keluarga,tanggal_lahir,pekerjaan_utama\n"
        "S1,K1,3201014508900001,WARGA CONTOH SATU,KEPALA KELUARGA,1990-08-05,PETANI\n"
        "S2,K1,3201015012150003,ANAK CONTOH,ANAK,2015-12-10,\n"
    )
    df = normalised(read_register([tmp_path], SCHEMA))
    assert df["person_id"].to_list() == ["S1", "S2"]
    assert df["no_kk"].to_list() == ["3201011201150003"] * 2  # from the family row
    assert df["desil"].to_list() == [2, 2] and df["kode_desa"].to_list() == ["3201011001"] * 2
    assert df["household_id"].to_list() == ["K1", "K1"]


def test_bdt_style_parquet_with_typed_columns(tmp_path):
    path = tmp_path / "bdt.parquet"
    pl.DataFrame(
        {
            "IDBDT": ["SYN1", "SYN1"],
            "IDARTBDT": ["SYN1-1", "SYN1-2"],
            "NIK": [3201014508900001, 3201015012150003],  # int64 keeps all 16 digits
            "Nama": ["WARGA CONTOH SATU", "ANAK CONTOH"],
            "TglLahir": [dt.date(1990, 8, 5), dt.date(2015, 12, 10)],
            "JnsKel": [2, 2],
            "Hub_KRT": [1, 3],
            "KDDESA": ["3201011001", "3201011001"],
        }
    ).write_parquet(path)
    df = normalised(read_register([path], SCHEMA))
    assert df["nik"].to_list() == ["3201014508900001", "3201015012150003"]
    assert not df["nik__numeric"].any()
    assert df["tanggal_lahir"].to_list() == [dt.date(1990, 8, 5), dt.date(2015, 12, 10)]
    assert df["hub_krt"].to_list() == ["1", "3"] and df["person_id"].to_list() == ["SYN1-1", "SYN1-2"]


def test_missing_required_column_names_file_and_column(tmp_path):
    path = tmp_path / "rusak.csv"
    path.write_text("ID DTKS;NIK;ALAMAT\nSYN1;3201014508900001;KP\n")
    with pytest.raises(InputError) as info:
        read_register([path], SCHEMA)
    assert info.value.code == "error_register_column"
    assert info.value.params["column"] == "NAMA" and "rusak.csv" in info.value.params["file"]
    assert info.value.exit_code == 3


def test_missing_register_file(tmp_path):
    with pytest.raises(InputError) as info:
        read_register([tmp_path / "tidak-ada.parquet"], SCHEMA)
    assert info.value.code == "error_register_missing"


def test_corrupt_parquet_is_unreadable_not_a_crash(tmp_path):
    path = tmp_path / "rusak.parquet"
    path.write_bytes(b"PAR1 not really")
    with pytest.raises(InputError) as info:
        read_register([path], SCHEMA)
    assert info.value.code == "error_register_unreadable"


def test_register_without_region_columns_still_runs(tmp_path):
    from slrt_cli.registers import load_register

    path = tmp_path / "minimal.csv"
    path.write_text("ID DTKS|NIK|NAMA|TANGGAL LAHIR\nSYN1|3201014508900001|WARGA SATU|1990-08-05\n")
    frame = load_register([path], SCHEMA, dt.date(2026, 11, 22))
    assert {"kode_desa", "no_kk", "hub_kk", "alamat"} <= set(frame.columns)
    assert frame["kode_desa"].to_list() == [None]


def test_a_register_without_a_household_id_never_shows_the_no_kk_as_one(tmp_path):
    """Without ID DTKS/IDBDT the household is known by its No KK: slrt gives it an opaque id
    (household_id goes into reconciliation.csv, not_found.csv and households.csv, where a No KK is
    masked by the privacy rule), the same for every member, different between KKs."""
    from slrt_cli.registers import load_register

    path = tmp_path / "tanpa_id.csv"
    path.write_text("NOKK|NIK|NAMA|TANGGAL LAHIR\n"
                    "3201010101900001|3201014508900001|WARGA SATU|1990-08-05\n"
                    "3201010101900001|3201015508920002|WARGA DUA|1992-08-15\n"
                    "3201010101900009|3201016508940003|WARGA TIGA|1994-08-25\n")
    frame = load_register([path], SCHEMA, dt.date(2026, 11, 22))
    ids = frame["household_id"].to_list()
    assert ids[0] == ids[1] != ids[2]
    assert not any(kk in str(i) for i in ids for kk in ("3201010101900001", "3201010101900009"))
    assert frame["no_kk"].to_list()[0] == "3201010101900001"  # the No KK itself is kept, as a No KK
