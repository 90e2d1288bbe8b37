"""Tests of the normalisation step (scalar rules and the frame function).

Synthetic values only: NIKs are made up from real region prefixes.
"""

from __future__ import annotations

import datetime as dt
import string

import polars as pl
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from slrt_cli.model import SheetTable, SourceColumn
from slrt_cli.normalise import (
    clean_id,
    date_to_excel_serial,
    excel_serial_to_date,
    extract_rt_rw,
    normalise_name,
    normalise_region_code,
    normalise_rtrw,
    normalise_sheet,
    parse_date,
    parse_flag,
    parse_int,
    strip_deceased_marker,
)
from slrt_cli.schemas import load_schema

TODAY = dt.date(2026, 3, 1)
PH = frozenset({"1900-01-01", "1900-01-00", "1899-12-30", "1970-01-01"})


@pytest.fixture(scope="module")
def schema():
    return load_schema()


def make_table(columns: dict[str, list], kinds: dict[str, list] | None = None, codelists=None) -> SheetTable:
    """A SheetTable from ``{key: values}``; keys are field names or ``x:Header`` extras."""
    kinds = kinds or {}
    codelists = codelists or {}
    n = len(next(iter(columns.values())))
    data: dict[str, list] = {"source_row": list(range(5, 5 + n))}
    cols = []
    for i, (key, values) in enumerate(columns.items()):
        data[key] = values
        data[key + "#k"] = kinds.get(key) or [None if v is None else "s" for v in values]
        field = None if key.startswith("x:") else key
        header = key[2:] if key.startswith("x:") else key.upper()
        cols.append(SourceColumn(i, string.ascii_uppercase[i], header, field, key, codelists.get(key)))
    schema = {k: (pl.Int64 if k == "source_row" else pl.Utf8) for k in data}
    return SheetTable("desa.xlsx", None, "Sheet1", (1,), cols, pl.DataFrame(data, schema=schema))


# ---------------------------------------------------------------- identifiers


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("3201014508900001", "s", ("3201014508900001", False)),
        ("3201014508900001", "n", ("3201014508900001", True)),
        ("'3201014508900001", "s", ("3201014508900001", False)),
        ("  '3201014508900001 ", "s", ("3201014508900001", False)),
        ("3201 0145 0890 0001", "s", ("3201014508900001", False)),
        ("3201.0145.0890.0001", "s", ("3201014508900001", False)),
        ("3201-0145-0890-0001", "s", ("3201014508900001", False)),
        ("3201014508900001.0", "s", ("3201014508900001", True)),
        ("3.20414E+15", "s", ("3204140000000000", True)),
        ("3,20414E+15", "s", ("3204140000000000", True)),
        ("3.201014508900001e15", "s", ("3201014508900001", True)),
        ("9401234508900001", "s", ("9401234508900001", False)),  # > 2**53: intact
        ("9401234508900001", "n", ("9401234508900001", True)),
        ("-", "s", ("-", False)),
        ("BELUM ADA", "s", ("BELUM ADA", False)),
        ("0", "s", ("0", False)),
        ("", "s", (None, False)),
        ("   ", "s", (None, False)),
        (None, None, (None, False)),
    ],
)
def test_clean_id(text, kind, expected):
    assert clean_id(text, kind) == expected


def test_clean_id_scientific_is_never_repaired():
    cleaned, numeric = clean_id("9.40123450890000E+15", "s")
    assert numeric and cleaned == "9401234508900000"


@given(
    digits=st.text(alphabet=string.digits, min_size=16, max_size=16),
    seps=st.lists(st.sampled_from(["", "", "", " ", ".", "-", "  "]), min_size=15, max_size=15),
    apostrophe=st.booleans(),
    pad=st.sampled_from(["", " ", "\t"]),
)
def test_clean_id_recovers_digits(digits, seps, apostrophe, pad):
    text = digits[0] + "".join(s + d for s, d in zip(seps, digits[1:], strict=True))
    # "…000.0" is a float's trace, not a separator: excluded by construction
    assume(not (seps[-1] == "." and digits[-1] == "0" and text.count(".") == 1))
    text = pad + ("'" if apostrophe else "") + text + pad
    assert clean_id(text, "s") == (digits, False)


# ---------------------------------------------------------------- dates


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("1990-08-05", "s", dt.date(1990, 8, 5)),
        ("1990-08-05T00:00:00", "d", dt.date(1990, 8, 5)),
        ("1990-08-05 00:00:00", "d", dt.date(1990, 8, 5)),
        ("1990/8/5", "s", dt.date(1990, 8, 5)),
        ("05-08-1990", "s", dt.date(1990, 8, 5)),
        ("05/08/1990", "s", dt.date(1990, 8, 5)),
        ("5/8/1990", "s", dt.date(1990, 8, 5)),
        ("05.08.1990", "s", dt.date(1990, 8, 5)),
        ("05-08-90", "s", dt.date(1990, 8, 5)),
        ("05-08-20", "s", dt.date(2020, 8, 5)),
        ("05-08-26", "s", dt.date(2026, 8, 5)),
        ("05-08-27", "s", dt.date(1927, 8, 5)),
        ("13/05/1990", "s", dt.date(1990, 5, 13)),
        ("05/13/1990", "s", dt.date(1990, 5, 13)),  # only month-first when the second number > 12
        ("17 Agustus 1990", "s", dt.date(1990, 8, 17)),
        ("17 agustus 1990", "s", dt.date(1990, 8, 17)),
        ("17 Agt 1990", "s", dt.date(1990, 8, 17)),
        ("17-Ags-1990", "s", dt.date(1990, 8, 17)),
        ("17 Agust 1990", "s", dt.date(1990, 8, 17)),
        ("17 Agu 90", "s", dt.date(1990, 8, 17)),
        ("03 Mei1990", "s", dt.date(1990, 5, 3)),
        ("03Mei1990", "s", dt.date(1990, 5, 3)),
        ("10 Nopember 1945", "s", dt.date(1945, 11, 10)),
        ("2 Pebruari 1970", "s", dt.date(1970, 2, 2)),
        ("1 Djuni 1950", "s", dt.date(1950, 6, 1)),
        ("1 Djuli 1950", "s", dt.date(1950, 7, 1)),
        ("9 Okt 1999", "s", dt.date(1999, 10, 9)),
        ("25 Des 2001", "s", dt.date(2001, 12, 25)),
        ("25 Nop 2001", "s", dt.date(2001, 11, 25)),
        ("1 Sept 2001", "s", dt.date(2001, 9, 1)),
        ("17 August 1990", "s", dt.date(1990, 8, 17)),
        ("17-Oct-1990", "s", dt.date(1990, 10, 17)),
        ("August 17, 1990", "s", dt.date(1990, 8, 17)),
        ("19900805", "s", dt.date(1990, 8, 5)),
        ("05081990", "s", dt.date(1990, 8, 5)),
        ("5081990", "n", dt.date(1990, 8, 5)),  # 05081990 typed into a number cell
        ("33090", "n", dt.date(1990, 8, 5)),
        ("33090", "s", dt.date(1990, 8, 5)),
        ("33090.0", "s", dt.date(1990, 8, 5)),
        ("33090.75", "n", dt.date(1990, 8, 5)),
        ("59", "n", dt.date(1900, 2, 28)),
        ("61", "n", dt.date(1900, 3, 1)),
        ("1", "n", dt.date(1900, 1, 1)),
    ],
)
def test_parse_date_formats(text, kind, expected):
    assert parse_date(text, kind, frozenset(), today=TODAY) == (expected, "ok")


@pytest.mark.parametrize(
    ("text", "kind", "status"),
    [
        (None, None, "empty"),
        ("", "s", "empty"),
        ("  ", "s", "empty"),
        ("31-02-1990", "s", "invalid"),
        ("1990-02-30", "s", "invalid"),
        ("60", "n", "invalid"),  # the phantom 29-02-1900
        ("30 Februari 1990", "s", "invalid"),
        ("17 Agustusan 1990", "s", "invalid"),
        ("BELUM ADA", "s", "invalid"),
        ("-", "s", "invalid"),
        ("1990", "s", "invalid"),  # a year alone
        ("1990", "n", "invalid"),
        ("13/13/1990", "s", "invalid"),
        ("TRUE", "b", "invalid"),
        ("#VALUE!", "e", "invalid"),
        ("1900-01-01", "s", "placeholder"),
        ("1900-01-01T00:00:00", "d", "placeholder"),
        ("01-01-1900", "s", "placeholder"),
        ("1", "n", "placeholder"),  # serial 1 = 1900-01-01
        ("0", "n", "placeholder"),  # serial 0 = "1900-01-00"
        ("1900-01-00", "s", "placeholder"),
        ("1970-01-01", "d", "placeholder"),
    ],
)
def test_parse_date_status(text, kind, status):
    value, got = parse_date(text, kind, PH, today=TODAY)
    assert (value, got) == (None, status)


def test_parse_date_1904():
    assert parse_date("0", "n", PH, date1904=True) == (dt.date(1904, 1, 1), "ok")
    assert parse_date("31628", "n", frozenset(), date1904=True) == (dt.date(1990, 8, 5), "ok")


def test_excel_serial_to_date():
    assert excel_serial_to_date(1) == dt.date(1900, 1, 1)
    assert excel_serial_to_date(59) == dt.date(1900, 2, 28)
    assert excel_serial_to_date(60) is None
    assert excel_serial_to_date(61) == dt.date(1900, 3, 1)
    assert excel_serial_to_date(0) is None
    assert excel_serial_to_date(-1) is None
    assert excel_serial_to_date(float("nan")) is None
    assert excel_serial_to_date(45000.9) == dt.date(2023, 3, 15)
    assert excel_serial_to_date(0, date1904=True) == dt.date(1904, 1, 1)
    assert excel_serial_to_date(1462 + 31629, date1904=False) == excel_serial_to_date(31629, date1904=True)


@given(st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(9999, 12, 31)), st.booleans())
def test_excel_serial_round_trip(day, date1904):
    assume(not date1904 or day >= dt.date(1904, 1, 1))
    serial = date_to_excel_serial(day, date1904)
    assert serial != 60 or date1904
    assert excel_serial_to_date(serial, date1904) == day


MONTH_SPELLINGS = {
    1: ["Januari", "JANUARI", "Jan", "January"],
    2: ["Februari", "Pebruari", "Feb", "February"],
    3: ["Maret", "Mar", "March"],
    4: ["April", "Apr"],
    5: ["Mei", "MEI", "May"],
    6: ["Juni", "Djuni", "Jun", "June"],
    7: ["Juli", "Djuli", "Jul", "July"],
    8: ["Agustus", "Agu", "Ags", "Agt", "Agust", "Aug", "August"],
    9: ["September", "Sep", "Sept"],
    10: ["Oktober", "Okt", "Oct", "October"],
    11: ["November", "Nopember", "Nov", "Nop"],
    12: ["Desember", "Des", "Dec", "December"],
}

NUMERIC_FORMATS = [
    "{y:04d}-{m:02d}-{d:02d}",
    "{y:04d}-{m:02d}-{d:02d}T00:00:00",
    "{y:04d}-{m:02d}-{d:02d} 00:00:00",
    "{d:02d}-{m:02d}-{y:04d}",
    "{d:02d}/{m:02d}/{y:04d}",
    "{d}/{m}/{y}",
    "{d:02d}.{m:02d}.{y:04d}",
    "{d:02d}-{m:02d}-{yy:02d}",
    "{y:04d}{m:02d}{d:02d}",
    "{d:02d}{m:02d}{y:04d}",
]


@given(
    day=st.dates(min_value=dt.date(TODAY.year - 99, 1, 1), max_value=TODAY),
    fmt=st.sampled_from(NUMERIC_FORMATS),
)
def test_parse_date_numeric_formats_round_trip(day, fmt):
    text = fmt.format(y=day.year, m=day.month, d=day.day, yy=day.year % 100)
    assert parse_date(text, "s", frozenset(), today=TODAY) == (day, "ok")


@given(
    day=st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2099, 12, 31)),
    data=st.data(),
    sep=st.sampled_from([" ", "-", "/", ". ", ""]),
)
def test_parse_date_month_names_round_trip(day, data, sep):
    month = data.draw(st.sampled_from(MONTH_SPELLINGS[day.month]))
    text = f"{day.day:02d}{sep}{month}{sep}{day.year}"
    assert parse_date(text, "s", frozenset(), today=TODAY) == (day, "ok")


@given(st.dates(min_value=dt.date(1927, 5, 18), max_value=dt.date(2173, 10, 13)))  # 5-digit serials (99999 = 2173-10-13)
def test_parse_date_serial_round_trip(day):
    serial = date_to_excel_serial(day)
    assert parse_date(str(serial), "n", frozenset()) == (day, "ok")
    assert parse_date(f"{serial}.0", "s", frozenset()) == (day, "ok")


# ---------------------------------------------------------------- names


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("  budi   santoso ", "BUDI SANTOSO"),
        ("Siti\tAminah", "SITI AMINAH"),
        ("ＢＵＤＩ", "BUDI"),  # full-width letters (NFKC)
        ("budi\u00a0santoso", "BUDI SANTOSO"),
        ("M. Yusuf", "M. YUSUF"),
        ("-", None),
        (".", None),
        ("0", None),
        (" - ", None),
        ("", None),
        (None, None),
    ],
)
def test_normalise_name(text, expected):
    assert normalise_name(text) == expected


@given(st.text())
def test_normalise_name_idempotent(text):
    once = normalise_name(text)
    assert normalise_name(once) == once


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BUDI (ALM)", ("BUDI", True)),
        ("ALM. BUDI", ("BUDI", True)),
        ("ALM.BUDI", ("BUDI", True)),
        ("BUDI ALMH", ("BUDI", True)),
        ("BUDI ALM.", ("BUDI", True)),
        ("BUDI, ALM", ("BUDI", True)),
        ("ALMARHUM BUDI", ("BUDI", True)),
        ("ALMARHUMAH SITI", ("SITI", True)),
        ("BUDI (ALMARHUMAH)", ("BUDI", True)),
        ("SALMAN", ("SALMAN", False)),
        ("ALMA SARI", ("ALMA SARI", False)),
        ("BUDI SALMA", ("BUDI SALMA", False)),
        ("ALM", ("ALM", False)),
        ("(ALM)", ("(ALM)", False)),
        (None, (None, False)),
    ],
)
def test_strip_deceased_marker(name, expected):
    assert strip_deceased_marker(name) == expected


# ---------------------------------------------------------------- RT/RW, regions, numbers, flags


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1", "001"),
        ("01", "001"),
        ("001", "001"),
        ("1.0", "001"),
        ("RT 01", "001"),
        ("RT.001", "001"),
        ("RW 12", "012"),
        ("02/", "002"),
        (" 7 ", "007"),
        ("0", None),
        ("000", None),
        ("-", None),
        ("", None),
        (None, None),
        ("abc", None),
        ("1000", None),
    ],
)
def test_normalise_rtrw(text, expected):
    assert normalise_rtrw(text) == expected


@pytest.mark.parametrize(
    ("address", "expected"),
    [
        ("KP CIBODAS RT 02 RW 01", ("002", "001")),
        ("KP CIBODAS RT.02/RW.01", ("002", "001")),
        ("Jl. Mawar rt 2/1", ("002", "001")),
        ("DUSUN I RT002 RW001", ("002", "001")),
        ("RT/RW 03/04 KP SAWAH", ("003", "004")),
        ("RW 05 RT 06", ("006", "005")),
        ("RT 07", ("007", None)),
        ("JL PERTAMINA NO 5", (None, None)),
        (None, (None, None)),
    ],
)
def test_extract_rt_rw(address, expected):
    assert extract_rt_rw(address) == expected


@pytest.mark.parametrize(
    ("text", "level", "expected"),
    [
        ("32", "prov", "32"),
        ("32.01", "kab", "3201"),
        ("3201", "kab", "3201"),
        ("32.01.01", "kec", "320101"),
        ("32.01.01.2001", "desa", "3201012001"),
        ("3201012001", "desa", "3201012001"),
        ("32.1.1.2001", "desa", "3201012001"),
        ("3201012001.0", "desa", "3201012001"),
        ("01", "kab", None),
        ("2001", "desa", None),
        ("BOGOR", "kab", None),
        (None, "kab", None),
    ],
)
def test_normalise_region_code(text, level, expected):
    assert normalise_region_code(text, level) == expected


@pytest.mark.parametrize(
    ("text", "expected"), [("3", 3), ("3.0", 3), (" 03 ", 3), ("3.5", None), ("x", None), (None, None)]
)
def test_parse_int(text, expected):
    assert parse_int(text) == expected


def test_parse_flag(schema):
    flag = schema.codelists["flag"]
    assert [parse_flag(v, flag) for v in ["1", "Ya", "y", "2", "0", "Tidak", "-", "1.0", "kadang", None]] == [
        True, True, True, False, False, False, False, True, None, None,
    ]


# ---------------------------------------------------------------- the frame


def test_frame_keeps_rows_and_order(schema):
    t = make_table({"nama": ["C", "A", "B", None], "x:CATATAN": ["z", None, "y", "x"]})
    out = normalise_sheet(t, schema, today=TODAY)
    assert out.height == 4
    assert out["source_row"].to_list() == [5, 6, 7, 8]
    assert out["nama"].to_list() == ["C", "A", "B", None]


def test_frame_identifiers(schema):
    t = make_table(
        {"nik": ["'3201014508900001", "3.20414E+15", "3201014508900001", "9401234508900001", None, "BELUM ADA"],
         "no_kk": ["3201 0145 0890 0001", "3201014508900001.0", None, "x", "1", "2"]},
        kinds={"nik": ["s", "s", "n", "s", None, "s"]},
    )
    out = normalise_sheet(t, schema)
    assert out["nik"].to_list() == [
        "3201014508900001", "3204140000000000", "3201014508900001", "9401234508900001", None, "BELUM ADA",
    ]
    assert out["nik__numeric"].to_list() == [False, True, True, False, False, False]
    assert out["nik__raw"].to_list() == t.data["nik"].to_list()
    assert out["no_kk"].to_list() == ["3201014508900001", "3201014508900001", None, "x", "1", "2"]
    assert out["no_kk__numeric"].to_list() == [False, True, False, False, False, False]
    assert out.schema["nik"] == pl.Utf8 and out.schema["nik__numeric"] == pl.Boolean


def test_frame_dates(schema):
    values = ["1990-08-05T00:00:00", "05/08/1990", "17 Agustus 1990", "33090", "31-02-1990", "1900-01-01", None, "60"]
    t = make_table({"tanggal_lahir": values}, kinds={"tanggal_lahir": ["d", "s", "s", "n", "s", "s", None, "n"]})
    out = normalise_sheet(t, schema, today=TODAY)
    d = dt.date(1990, 8, 5)
    assert out["tanggal_lahir"].to_list() == [d, d, dt.date(1990, 8, 17), d, None, None, None, None]
    assert out["tanggal_lahir__status"].to_list() == [
        "ok", "ok", "ok", "ok", "invalid", "placeholder", "empty", "invalid",
    ]
    assert out.schema["tanggal_lahir"] == pl.Date


def test_frame_names(schema):
    t = make_table(
        {"nama": ["  budi  santoso (alm)", "ALMH. SITI", "-", "josé", None, "BUDI,"],
         "nama_ibu_kandung": ["-", "siti  ALMH", "0", ".", None, "ＳＩＴＩ"]}
    )
    out = normalise_sheet(t, schema)
    assert out["nama"].to_list() == ["BUDI SANTOSO", "SITI", None, "JOSÉ", None, "BUDI,"]
    assert out["nama_alm"].to_list() == [True, True, False, False, False, False]
    assert out["nama_ibu_kandung"].to_list() == [None, "SITI ALMH", None, None, None, "SITI"]
    assert "nama_ibu_kandung_alm" not in out.columns


def test_frame_codes_flags_numbers(schema):
    t = make_table(
        {"jenis_kelamin": ["1", "P", "laki-laki", "9"],
         "hub_kk": ["3", "1", "Istri", "11"],
         "status_verivali": ["2", "1", "MENINGGAL", None],
         "pkh": ["Ya", "2", "0", "?"],
         "nuk": ["1", "2.0", " 03 ", "x"],
         "rt": ["1", "RT 02", "0", "abc"],
         "pekerjaan": ["  petani   padi ", "", None, "Buruh"]},
        codelists={"hub_kk": "hubungan_shdk", "status_verivali": "keberadaan_art"},
    )
    out = normalise_sheet(t, schema)
    assert out["jenis_kelamin"].to_list() == ["1", "2", "1", None]
    assert out["hub_kk"].to_list() == ["2", "1", "2", "8"]  # SHDK 3 Istri -> BDT 2
    assert out["status_verivali"].to_list() == ["MENINGGAL", "DITEMUKAN", "MENINGGAL", None]
    assert out["pkh"].to_list() == [True, False, False, None]
    assert out["nuk"].to_list() == [1, 2, 3, None]
    assert out.schema["nuk"] == pl.Int64
    assert out["rt"].to_list() == ["001", "002", None, None]
    assert out["pekerjaan"].to_list() == ["petani padi", None, None, "Buruh"]


def test_frame_extras_pass_through(schema):
    t = make_table({"nik": ["1"], "x:CATATAN": ["  apa adanya "], "x:NO#2": ["5"]})
    out = normalise_sheet(t, schema)
    assert out["x:CATATAN"].to_list() == ["  apa adanya "]
    assert out["x:NO#2"].to_list() == ["5"]
    assert not [c for c in out.columns if c.endswith("#k")]
    assert out.columns[-2:] == ["x:CATATAN", "x:NO#2"]


def test_frame_region_components_kemendagri(schema):
    t = make_table(
        {"kode_prov": ["32", "32", "32"], "kode_kab": ["01", "1", "3201"],
         "kode_kec": ["01", "01", "32.01.01"], "kode_desa": ["2001", "1002", None]},
        kinds={"kode_kab": ["s", "n", "s"]},
    )
    out = normalise_sheet(t, schema)
    assert out["kode_prov"].to_list() == ["32", "32", "32"]
    assert out["kode_kab"].to_list() == ["3201", "3201", "3201"]
    assert out["kode_kec"].to_list() == ["320101", "320101", "320101"]
    assert out["kode_desa"].to_list() == ["3201012001", "3201011002", None]
    assert out["kode_kec_bps"].to_list() == [None, None, None]
    assert out["kode_kab__raw"].to_list() == ["01", "1", "3201"]


def test_frame_region_components_bps(schema):
    t = make_table(
        {"kode_prov": ["32", "32"], "kode_kab": ["01", "01"], "kode_kec": ["010", "10"], "kode_desa": ["001", "2"]}
    )
    out = normalise_sheet(t, schema)
    assert out["kode_kab"].to_list() == ["3201", "3201"]
    assert out["kode_kec"].to_list() == [None, None]
    assert out["kode_desa"].to_list() == [None, None]
    assert out["kode_kec_bps"].to_list() == ["3201010", "3201010"]
    assert out["kode_desa_bps"].to_list() == ["3201010001", "3201010002"]


def test_frame_full_desa_code_fills_parents(schema):
    t = make_table({"kode_desa": ["32.01.01.1002", "3201011002", "99", None]})
    out = normalise_sheet(t, schema)
    assert out["kode_desa"].to_list() == ["3201011002", "3201011002", None, None]
    assert out["kode_kec"].to_list() == ["320101", "320101", None, None]
    assert out["kode_kab"].to_list() == ["3201", "3201", None, None]
    assert out["kode_prov"].to_list() == ["32", "32", None, None]
    assert out["region_unresolved"].to_list() == [None] * 4


def test_frame_region_names_resolved(schema):
    t = make_table(
        {"nama_prov": ["JAWA BARAT", "Jawa Barat", None, "JAWA BARAT", "JAWA BARAT", None],
         "nama_kab": ["KAB. BOGOR", "KOTA BOGOR", "Kabupaten Bogor", "KAB. ANTAH", "KAB. BOGOR", None],
         "nama_kec": ["KEC. CIBINONG", None, "CIBINONG", "X", "CIBINONG", "CIBINONG"],
         "nama_desa": ["KEL. KARADENAN", None, "DESA ANTAH BERANTAH", "Y", "-", None]}
    )
    out = normalise_sheet(t, schema)
    assert out["kode_prov"].to_list() == ["32", "32", "32", "32", "32", None]
    assert out["kode_kab"].to_list() == ["3201", "3271", "3201", None, "3201", None]
    assert out["kode_kec"].to_list() == ["320101", None, "320101", None, "320101", None]
    assert out["kode_desa"].to_list() == ["3201011002", None, None, None, None, None]
    # the first name that could not be resolved (a kecamatan needs its kabupaten)
    assert out["region_unresolved"].to_list() == [None, None, "nama_desa", "nama_kab", None, "nama_kec"]
    assert out["nama_kab"].to_list()[0] == "KAB. BOGOR"


def test_frame_region_code_wins_over_name(schema):
    t = make_table({"kode_kab": ["3201"], "nama_kab": ["KOTA BOGOR"], "nama_kec": ["CIBINONG"]})
    out = normalise_sheet(t, schema)
    assert out.row(0, named=True)["kode_kab"] == "3201"
    assert out.row(0, named=True)["kode_kec"] == "320101"


def test_frame_without_region_columns(schema):
    out = normalise_sheet(make_table({"nama": ["A"]}), schema)
    assert out.columns == ["source_row", "nama", "nama__raw", "nama_alm", "region_unresolved"]


def test_frame_rt_rw_from_address(schema):
    t = make_table(
        {"alamat": ["KP X RT 02 RW 01", "KP Y RT.03/RW.04", "KP Z RT 5/6", "KP W"],
         "rt": [None, "7", None, None]}
    )
    out = normalise_sheet(t, schema)
    assert out["rt"].to_list() == ["002", "007", "005", None]
    assert out["rw"].to_list() == ["001", "004", "006", None]
    assert out["rt__raw"].to_list() == [None, "7", None, None]
    assert "rw__raw" not in out.columns
    assert out["alamat"].to_list()[0] == "KP X RT 02 RW 01"


# ---------------------------------------------------------------- frame agrees with the scalar rules

ODD_TEXT = st.one_of(
    st.text(max_size=12),
    st.text(alphabet="0123456789 .-'/E+,", max_size=22),
    st.sampled_from(["3201014508900001", " 3201014508900001 ", "1990-08-05", "05/08/1990", "05-08-90",
                     "17 Agt 1990", "33090", "budi (alm)", "ALM. BUDI", "-", "0", "RT 02 RW 01", "1.0"]),
)


@settings(max_examples=60)
@given(values=st.lists(st.one_of(st.none(), ODD_TEXT), min_size=1, max_size=8), kind=st.sampled_from(["s", "n", "d"]))
def test_frame_matches_scalar_rules(values, kind):
    schema = load_schema()
    kinds = [None if v is None else kind for v in values]
    cols = {"nik": values, "tanggal_lahir": values, "nama": values, "pekerjaan": values, "alamat": values}
    t = make_table(cols, kinds={k: kinds for k in cols})
    out = normalise_sheet(t, schema, today=TODAY).to_dicts()
    ph = frozenset(schema.settings["placeholder_dates"])
    for v, k, row in zip(values, kinds, out, strict=True):
        assert (row["nik"], row["nik__numeric"]) == clean_id(v, k)
        assert (row["tanggal_lahir"], row["tanggal_lahir__status"]) == parse_date(v, k, ph, today=TODAY)
        assert (row["nama"], row["nama_alm"]) == strip_deceased_marker(normalise_name(v))
        assert row["pekerjaan"] == (" ".join(v.split()) or None if v is not None else None)
        assert (row["rt"], row["rw"]) == extract_rt_rw(v)


def test_frame_zero_rows_and_untyped_columns(schema):
    empty = make_table({"nik": [], "tanggal_lahir": [], "nama": [], "kode_desa": [], "x:NO": []})
    out = normalise_sheet(empty, schema)
    assert out.height == 0
    assert out.schema["tanggal_lahir"] == pl.Date and out.schema["nik__numeric"] == pl.Boolean
    data = pl.DataFrame({"source_row": [1, 2], "nik": [None, None], "nik#k": [None, None]})  # dtype Null
    t = SheetTable("f.csv", None, "", (1,), [SourceColumn(0, "1", "NIK", "nik", "nik")], data)
    out = normalise_sheet(t, schema)
    assert out["nik"].to_list() == [None, None] and out["nik__numeric"].to_list() == [False, False]
    assert out.schema["nik"] == pl.Utf8


from hypothesis import given as _given
from hypothesis import strategies as _st


@_given(_st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefxyz_-/ .'E+", min_size=1, max_size=20))
def test_id_fast_path_agrees_with_clean_id(value):
    """The vectorised fast path of _id_plan and clean_id give the same answer."""
    import polars as _pl

    from slrt_cli.model import SheetTable as _ST
    from slrt_cli.model import SourceColumn as _SC
    from slrt_cli.normalise import clean_id as _clean
    from slrt_cli.normalise import normalise_sheet as _norm
    from slrt_cli.schemas import load_schema as _load

    data = _pl.DataFrame({"source_row": [2], "household_id": [value], "household_id#k": ["s"]})
    table = _ST("f.xlsx", None, "S", (1,), [_SC(0, "A", "IDBDT", "household_id", "household_id")], data)
    out = _norm(table, _load())
    assert (out["household_id"][0], out["household_id__numeric"][0]) == _clean(value, "s")
