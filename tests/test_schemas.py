import pytest

from slrt_cli.schemas import header_key, load_schema


@pytest.fixture(scope="module")
def schema():
    return load_schema()


@pytest.mark.parametrize(
    "header, field",
    [
        ("NIK", "nik"),
        ("nomor_induk_kependudukan", "nik"),
        ("No. KTP", "nik"),
        ("NOMOR KK", "no_kk"),
        ("Nama_Lengkap", "nama"),
        ("TGL-LAHIR", "tanggal_lahir"),
        ("DESA/KELUARAHAN", "nama_desa"),
        ("Hubungan dengan Kepala Keluarga", "hub_kk"),
        ("KDDESA", "kode_desa"),
    ],
)
def test_aliases_ignore_case_spaces_and_separators(schema, header, field):
    assert schema.match_header(header)[0] == field


def test_alias_can_name_a_code_list(schema):
    assert schema.match_header("STAT_HBKEL") == ("hub_kk", "hubungan_shdk")


def test_unknown_header(schema):
    assert schema.match_header("KETERANGAN LAIN-LAIN XYZ") is None


def test_code_lists_map_codes_labels_and_aliases(schema):
    sex = schema.codelists["jenis_kelamin"]
    assert [sex.lookup(v) for v in ("1", "L", "laki-laki", " p ", "2.0", "X")] == ["1", "1", "1", "2", "2", None]
    # Dukcapil SHDK codes map onto BDT relation codes
    assert schema.codelists["hubungan_shdk"].lookup("3") == "2"
    assert schema.codelists["keberadaan_art"].lookup("2") == "MENINGGAL"


def test_every_rule_has_a_known_severity(schema):
    assert {r["severity"] for r in schema.rules.values()} <= {"error", "warning", "info"}


def test_header_key():
    assert header_key(" Tgl. Lahir ") == header_key("TGL_LAHIR") == "tgllahir"
