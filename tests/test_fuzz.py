"""Property tests over the readers: random bytes and random tables."""

from __future__ import annotations

import csv
import io
import tempfile
from pathlib import Path

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from slrt_cli.io.readers import read_file
from slrt_cli.schemas import load_schema

SCHEMA = load_schema()
FILE_CODES = {"FILE_UNREADABLE", "FILE_ENCRYPTED", "FILE_NOT_SPREADSHEET", "FILE_EMPTY", "FILE_TOO_LARGE",
              "FILE_NO_DATA", "FILE_UNSUPPORTED", "FILE_ENCODING_GUESSED", "SHEET_NO_HEADER", "SHEET_EMPTY",
              "SHEET_UNREADABLE"}
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(data=st.binary(max_size=4096), ext=st.sampled_from([".xlsx", ".xls", ".ods", ".csv", ".txt", ".xlsb"]))
def test_random_bytes_never_crash(data, ext):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / f"acak{ext}"
        path.write_bytes(data)
        result = read_file(path, path.name, SCHEMA)  # must not raise
    if not result.readable:
        assert {i.code for i in result.issues} & FILE_CODES


# cells: text without line breaks (a village's cell), digits, empty
cell = st.one_of(
    st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=12),
    st.from_regex(r"\A[0-9]{1,16}\Z"),
    st.just(""),
)


@st.composite
def tables(draw):
    n_rows = draw(st.integers(min_value=0, max_value=15))
    width = draw(st.integers(min_value=0, max_value=4))
    rows = []
    for i in range(n_rows):
        # every data row names a person, so none of them can be taken for a note
        rows.append([f"3201014508{i:06d}", f"WARGA {i}"] + [draw(cell) for _ in range(width)])
    return rows


HEADER = ["NIK", "NAMA"]


@FUZZ
@given(rows=tables(), delimiter=st.sampled_from([",", ";", "|", "\t"]))
def test_random_csv_tables_rows_in_equal_rows_out(rows, delimiter):
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=delimiter, lineterminator="\n")
    width = max((len(r) for r in rows), default=2)
    writer.writerow(HEADER + [f"EXTRA {j}" for j in range(width - 2)])
    writer.writerows(rows)
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "acak.csv"
        path.write_text(buf.getvalue(), encoding="utf-8")
        result = read_file(path, path.name, SCHEMA)
    got = sum(s.data.height for s in result.sheets)
    assert got == len(rows)
    if rows:
        assert result.sheets[0].data["nik"].to_list() == [r[0] for r in rows]


@FUZZ
@given(rows=tables())
def test_random_xlsx_tables_rows_in_equal_rows_out(rows):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(HEADER)
    for r in rows:
        ws.append([v if not v.startswith("=") else "'" + v for v in r])
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "acak.xlsx"
        wb.save(path)
        result = read_file(path, path.name, SCHEMA)
    assert sum(s.data.height for s in result.sheets) == len(rows)
