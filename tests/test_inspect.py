"""`slrt inspect` (how each column is read, samples masked) and the column-mapping file (--kolom)."""

from __future__ import annotations

import json
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import xlsxwriter
from typer.testing import CliRunner

from slrt_cli.cli import app
from slrt_cli.errors import UsageError
from slrt_cli.inspect import inspect_files
from slrt_cli.io.mapping import load_mapping
from slrt_cli.io.readers import ReadLimits, read_file
from slrt_cli.schemas import header_key, load_schema

runner = CliRunner()
SLRT = str(Path(sys.executable).with_name("slrt"))
NIKS = ["3201014508900001", "3201011508850002", "3201015012150003"]
KK = "3201011201150003"
NAMES = ["SITI AMINAH", "BUDI SANTOSO", "RINA WATI"]
DATES = ["05-08-1990", "15-08-1985", "10-12-2015"]
TITLES = ["NIK", "NO KK", "NAMA", "TGL LAHIR", "JK", "KERJAAN ANEH"]


def make_xlsx(path: Path, titles: list[str] = TITLES, *, job: list[str] | None = None) -> Path:
    """A village sheet: a title row, the header on row 3, three synthetic people from row 4."""
    job = job or ["PETANI", "BURUH", "PEDAGANG"]
    wb = xlsxwriter.Workbook(str(path))
    ws = wb.add_worksheet("Data")
    ws.write_row(0, 0, ["DAFTAR VERIVALI DESA CONTOH"])
    ws.write_row(2, 0, titles)
    for i in range(3):
        values = {"NIK": NIKS[i], "NO KK": KK, "NAMA": NAMES[i], "TGL LAHIR": DATES[i], "JK": "LP"[i % 2],
                  "KERJAAN ANEH": job[i], "NO. PESERTA": NIKS[i], "KOLOM ANEH": NIKS[i]}
        ws.write_row(3 + i, 0, [values.get(t, f"x{i}") for t in titles])
    wb.close()
    return path


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def no_personal_data(*texts: str) -> None:
    for text in texts:
        for ident in NIKS + [KK]:
            assert ident not in text, f"full identifier shown: {ident[:6]}…"
        for name in NAMES:
            assert name not in text and name.split()[0] not in text, "a name shown"
        for date in DATES:
            assert date not in text, "a birth date shown"


def columns_of(doc: dict) -> dict[str, dict]:
    return {c["title"]: c for c in doc["sheets"][0]["columns"]}


# ---- slrt inspect ---------------------------------------------------------------------


def test_inspect_json_structure_and_masked_samples(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx")
    res = runner.invoke(app, ["inspect", str(f), "--json"])
    assert res.exit_code == 0, res.stderr
    no_personal_data(res.stdout, res.stderr)
    body = json.loads(res.stdout)
    assert body["ok"] is True and body["exit_code"] == 0
    (doc,) = body["files"]
    assert doc["file"] == "desa_a.xlsx" and doc["readable"] is True and doc["format"] == "xlsx"
    sheet = doc["sheets"][0]
    assert sheet["sheet"] == "Data" and sheet["header_rows"] == [3] and sheet["first_data_row"] == 4
    assert sheet["rows"] == 3
    cols = columns_of(doc)
    assert [c["letter"] for c in sheet["columns"]] == ["A", "B", "C", "D", "E", "F"]
    assert cols["NIK"]["field"] == "nik" and cols["NIK"]["how"] == "alias" and cols["NIK"]["confidence"] == 1.0
    assert cols["NIK"]["samples"] == ["320101******0001", "320101******0002", "320101******0003"]
    assert cols["NO KK"]["samples"] == ["320101******0003"]  # one distinct value
    assert cols["NAMA"]["samples"] == ["S. A.", "B. S.", "R. W."]
    assert cols["TGL LAHIR"]["field"] == "tanggal_lahir" and cols["TGL LAHIR"]["samples"][0] == "99-99-9999"
    assert cols["JK"]["samples"] == ["L", "P"]  # codes are shown as written
    assert cols["KERJAAN ANEH"]["field"] is None and cols["KERJAAN ANEH"]["how"] == ""
    assert cols["KERJAAN ANEH"]["samples"] == ["AAAAAA", "AAAAA", "AAAAAAAA"]  # unknown column: shape only
    assert set(sheet["columns"][0]) == {"letter", "title", "field", "how", "confidence", "samples"}


def test_inspect_human_table_in_bahasa_and_english(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx")
    ind = runner.invoke(app, ["inspect", str(f), "--no-color"], env={"COLUMNS": "200"})
    eng = runner.invoke(app, ["inspect", str(f), "--no-color", "--lang", "en"], env={"COLUMNS": "200"})
    assert ind.exit_code == 0 and eng.exit_code == 0, (ind.stderr, eng.stderr)
    no_personal_data(ind.stdout, ind.stderr, eng.stdout, eng.stderr)
    assert "Judul" in ind.stdout and "tidak dikenali" in ind.stdout and "Baris data pertama: 4" in ind.stdout
    assert "Title" in eng.stdout and "not recognised" in eng.stdout and "First data row: 4" in eng.stdout
    assert "Judul" not in eng.stdout
    assert "320101******0001" in ind.stdout and "tanggal_lahir" in eng.stdout


def test_inspect_subprocess_json(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx")
    proc = subprocess.run([SLRT, "inspect", str(f), "--json", "--lang", "en"], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    no_personal_data(proc.stdout, proc.stderr)
    body = json.loads(proc.stdout)
    assert columns_of(body["files"][0])["NIK"]["field"] == "nik"


def test_inspect_exit_3_when_nothing_can_be_read(tmp_path):
    bad = tmp_path / "rusak.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    res = runner.invoke(app, ["inspect", str(bad), "--json"])
    assert res.exit_code == 3
    body = json.loads(res.stdout)
    assert body["ok"] is False and body["files"][0]["readable"] is False
    assert body["files"][0]["issues"][0]["code"].startswith("FILE_")


def test_inspect_missing_path_is_usage_error(tmp_path):
    res = runner.invoke(app, ["inspect", str(tmp_path / "tidak_ada.xlsx")])
    assert res.exit_code == 2


# ---- column mapping ---------------------------------------------------------------------


def test_mapping_changes_what_validate_reads(tmp_path):
    from slrt_cli.pipeline import validate

    f = make_xlsx(tmp_path / "desa_a.xlsx")
    kolom = write(tmp_path / "kolom.toml", '[kolom]\n"kerjaan aneh" = "pekerjaan"\n')
    before = validate([f])
    after = validate([f], mapping=kolom)
    fields = lambda rep: {c.header: c.field for c in rep.files[0].sheets[0].columns}  # noqa: E731
    assert fields(before)["KERJAAN ANEH"] is None
    assert fields(after)["KERJAAN ANEH"] == "pekerjaan"
    assert sorted(after.table["pekerjaan"].to_list()) == ["BURUH", "PEDAGANG", "PETANI"]
    # through the CLI too: the mapping is accepted and shown by inspect
    res = runner.invoke(app, ["inspect", str(f), "--kolom", str(kolom), "--json"])
    assert res.exit_code == 0, res.stderr
    col = columns_of(json.loads(res.stdout)["files"][0])["KERJAAN ANEH"]
    assert (col["field"], col["how"], col["samples"]) == ("pekerjaan", "alias", ["PETANI", "BURUH", "PEDAGANG"])
    out = tmp_path / "hasil"
    res = runner.invoke(app, ["validate", str(f), "--kolom", str(kolom), "--out", str(out), "--json"])
    assert res.exit_code in (0, 1), res.stderr
    assert (out / "rows.parquet").is_file()


def test_mapping_maps_an_unknown_title_to_an_identifier(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx", ["NO. PESERTA", "NAMA", "TGL LAHIR", "JK"])
    kolom = write(tmp_path / "kolom.toml", '[kolom]\n"NO. PESERTA" = "nik"\n')
    col = columns_of(inspect_files([f], mapping=kolom)[0])["NO. PESERTA"]
    assert (col["field"], col["how"]) == ("nik", "alias")


def test_abaikan_removes_a_columns_field(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx")
    kolom = write(tmp_path / "kolom.toml", '[kolom]\n"NIK" = "abaikan"\n')
    plain = columns_of(inspect_files([f])[0])
    assert plain["NIK"]["field"] == "nik"
    cols = columns_of(inspect_files([f], mapping=kolom)[0])
    assert cols["NIK"]["field"] is None and cols["NIK"]["how"] == "ignored"
    # nor does content make the ignored column (16-digit NIKs) the NIK
    assert "nik" not in {c["field"] for c in cols.values()}
    assert cols["NIK"]["samples"] == ["999999******9999"] * 3  # not a field: only the (scrubbed) shape


def test_unknown_field_is_exit_2_naming_the_key_and_file(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx")
    kolom = write(tmp_path / "peta.toml", '[kolom]\n"NIK" = "nik"\n"KOLOM ANEH" = "nomor_sepatu"\n')
    for cmd in (["inspect", str(f)], ["validate", str(f), "--out", str(tmp_path / "hasil")]):
        res = runner.invoke(app, [*cmd, "--kolom", str(kolom)])
        assert res.exit_code == 2, (cmd, res.stdout, res.stderr)
        assert "KOLOM ANEH" in res.stderr and "nomor_sepatu" in res.stderr and "peta.toml" in res.stderr
        assert "bukan nama field" in res.stderr  # Bahasa by default
    assert not (tmp_path / "hasil").exists()
    with pytest.raises(UsageError) as err:
        load_mapping(kolom)
    assert err.value.exit_code == 2 and err.value.params["key"] == "KOLOM ANEH"


@pytest.mark.parametrize("text, code", [
    ('[kolum]\n"A" = "nik"\n', "error_mapping_key"),
    ('[[berkas]]\nkolom = { "A" = "nik" }\n', "error_mapping_value"),
    ('[[berkas]]\npola = "*a*"\nkolom = { "A" = "nama_hewan" }\n', "error_mapping_field"),
    ('[kolom\n', "error_mapping_syntax"),
])
def test_bad_mapping_files_are_usage_errors(tmp_path, text, code):
    with pytest.raises(UsageError) as err:
        load_mapping(write(tmp_path / "kolom.toml", text))
    assert err.value.code == code


def test_file_patterns_apply_to_matching_files_only_and_schema_is_not_mutated(tmp_path):
    a = make_xlsx(tmp_path / "desa_cilebut.xlsx")
    b = make_xlsx(tmp_path / "desa_lain.xlsx")
    kolom = write(tmp_path / "kolom.toml",
                  '[[berkas]]\npola = "*CILEBUT*"\nkolom = { "KERJAAN ANEH" = "pekerjaan" }\n')
    schema = load_schema()
    aliases = dict(schema.aliases)
    docs = {d["file"]: columns_of(d) for d in inspect_files([a, b], mapping=kolom)}
    assert docs["desa_cilebut.xlsx"]["KERJAAN ANEH"]["field"] == "pekerjaan"
    assert docs["desa_lain.xlsx"]["KERJAAN ANEH"]["field"] is None
    assert load_schema().aliases == aliases and header_key("KERJAAN ANEH") not in load_schema().aliases
    mapping = load_mapping(kolom)
    copy = mapping.schema_for(schema, "x/desa_cilebut.xlsx")
    assert copy is not schema and copy.aliases[header_key("kerjaan aneh")] == ("pekerjaan", None)
    assert mapping.schema_for(schema, "desa_cilebut.xlsx") is copy  # one copy per set of titles


def test_mapping_reaches_a_helper_process_through_read_limits(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx")
    kolom = load_mapping(write(tmp_path / "kolom.toml", '[kolom]\n"KERJAAN ANEH" = "pekerjaan"\n'))
    kolom.schema_for(load_schema(), "desa_a.xlsx")  # a cached copy is not shipped to the helper
    limits = pickle.loads(pickle.dumps(ReadLimits(mapping=kolom)))
    assert limits.mapping == kolom and limits.mapping._copies == {}
    result = read_file(f, "desa_a.xlsx", load_schema(), limits)
    assert {c.header: c.field for c in result.sheets[0].columns}["KERJAAN ANEH"] == "pekerjaan"


def test_config_file_accepts_kolom(tmp_path):
    from slrt_cli.config import load_file

    cfg = write(tmp_path / "slrt.toml", 'kolom = "peta/kolom.toml"\n')
    assert load_file(cfg)["kolom"] == str(tmp_path / "peta" / "kolom.toml")


def test_draft_mapping_loads_back(tmp_path):
    f = make_xlsx(tmp_path / "desa_a.xlsx")
    draft = tmp_path / "draf.toml"
    res = runner.invoke(app, ["inspect", str(f), "--draft-mapping", str(draft), "--json"])
    assert res.exit_code == 0, res.stderr
    text = draft.read_text("utf-8")
    no_personal_data(text)
    assert '# "KERJAAN ANEH" = ""' in text  # unrecognised: a commented line to fill in
    mapping = load_mapping(draft)
    assert dict(mapping.columns) == {"NIK": "nik", "NO KK": "no_kk", "NAMA": "nama", "TGL LAHIR": "tanggal_lahir",
                                     "JK": "jenis_kelamin"}
    # filled in, it is a working mapping
    write(draft, text.replace('# "KERJAAN ANEH" = ""', '"KERJAAN ANEH" = "abaikan"'))
    assert dict(load_mapping(draft).columns)["KERJAAN ANEH"] == "abaikan"
    again = runner.invoke(app, ["inspect", str(f), "--draft-mapping", str(draft)])
    assert again.exit_code == 2 and "draf.toml" in again.stderr  # an existing file is never overwritten
