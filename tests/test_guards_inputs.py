"""Issue 14, "never corrupt a month silently": what slrt reads as inputs and as the register, and
the invariants checked before anything is published (synthetic people only)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import threading
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from conftest import NIK_HEAD, build_messy_folder
from slrt_cli import atomic, pipeline, registers
from slrt_cli.cli import app
from slrt_cli.errors import EXIT_INTERNAL, InputError
from slrt_cli.invariants import InvariantError, check_reconciliation
from slrt_cli.io.discover import Exclusion, collect_inputs, displayable_name
from slrt_cli.io.register import read_register_checked
from slrt_cli.report.fixfiles import MAX_NAME_BYTES, fix_file_name, fix_file_targets
from slrt_cli.schemas import load_schema

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
SIKS = SAMPLE / "register" / "dtks_siksng.csv"
SCHEMA = load_schema()
TODAY = dt.date(2026, 11, 22)
runner = CliRunner()

SIKS_HEADER = (
    "ID DTKS|PROVINSI|KABUPATEN/KOTA|KECAMATAN|DESA/KELUARAHAN|ALAMAT|DUSUN|RT|RW|NOKK|NIK|NAMA|"
    "TANGGAL LAHIR|TEMPAT LAHIR|JENIS KELAMIN|PEKERJAAN|NAMA IBU KANDUNG|HUB KELUARGA|KETERANGAN PADAN|"
    "BANSOS BPNT|BANSOS PKH|BANSOS BPNT-PPKM|PBI JKN"
)
SIKS_ROW = (
    "SYN0001|JAWA BARAT|KAB. BOGOR|CIBINONG|PONDOK RAJEG|KP CONTOH|DUSUN 1|1|2|3201011201150003|{nik}|"
    "{nama}|1990-08-05|BOGOR|PEREMPUAN|PETANI|IBU CONTOH|KEPALA KELUARGA|PADAN|YA|TIDAK|TIDAK|YA"
)
BDT_HEADER = "IDBDT,IDARTBDT,NIK,NAMA,TGL_LAHIR,NOKK"


@pytest.fixture(autouse=True)
def one_process(monkeypatch):
    monkeypatch.setenv("SLRT_HELPER", "0")  # in-process: monkeypatches reach every step


def village_folder(root: Path) -> Path:
    """Four synthetic village workbooks of the bundled month (Cibinong)."""
    shutil.copytree(SAMPLE / "desa" / "CIBINONG", root)
    return root


def siks_register(path: Path, people: list[tuple[str, str]]) -> Path:
    path.write_text(SIKS_HEADER + "\n" + "\n".join(SIKS_ROW.format(nik=n, nama=m) for n, m in people) + "\n",
                    encoding="utf-8")
    return path


def invoke(*args: str):
    return runner.invoke(app, [*args], catch_exceptions=False)


def codes(out: Path) -> list[str]:
    return pl.read_parquet(out / "issues.parquet")["code"].to_list()


# ---------------------------------------------------------------- 1. slrt's own files are never inputs


def workbook_tables(path: Path) -> dict[str, list[tuple]]:
    wb = openpyxl.load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def test_output_folder_inside_the_input_folder_twice_gives_identical_outputs(tmp_path):
    inbox = village_folder(tmp_path / "masuk")
    shutil.copy(SIKS, inbox / "dtks.csv")  # the register in the input folder too
    out = inbox / "hasil"
    args = ["run", "--register", str(inbox / "dtks.csv"), str(inbox), "--out", str(out), "--overwrite", "-q"]
    first = invoke(*args)
    assert first.exit_code == 0, first.output
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["totals"]["files"] == 4  # the four workbooks: neither the register nor anything of slrt
    assert (inbox / "hasil.state" / "processed.csv").is_file()

    second = invoke(*args)
    assert second.exit_code == 0, second.output
    after = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert sorted(after) == sorted(before)
    assert any(str(p).startswith("perbaikan/") for p in after) and any(str(p).startswith("kirim/") for p in after)
    for name, data in before.items():
        if name.suffix == ".xlsx":
            assert workbook_tables(out / name) == workbook_tables_from(data, tmp_path), name
        else:
            assert after[name] == data, name  # CSV, parquet, json, html: byte-identical
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    assert summary["totals"]["files"] == 4
    issues = pl.read_parquet(out / "issues.parquet")
    excluded = issues.filter(pl.col("code").str.starts_with("INPUT_")).select("code", "file", "severity").rows()
    assert sorted(excluded) == [("INPUT_OUTPUT_EXCLUDED", "hasil", "info"),
                                ("INPUT_REGISTER_EXCLUDED", "dtks.csv", "info"),
                                ("INPUT_STATE_EXCLUDED", "hasil.state", "info")]


def workbook_tables_from(data: bytes, tmp_path: Path) -> dict[str, list[tuple]]:
    copy = tmp_path / "earlier.xlsx"
    copy.write_bytes(data)
    return workbook_tables(copy)


def test_an_earlier_output_folder_and_slrt_tables_among_the_inputs_are_not_read(tmp_path):
    inbox = build_messy_folder(tmp_path / "masuk")
    earlier = tmp_path / "bulan_lalu"
    assert invoke("validate", str(inbox), "--out", str(earlier), "-q").exit_code == 1  # the messy files have errors
    shutil.copytree(earlier, inbox / "hasil_oktober")
    (inbox / "lepas").mkdir()
    shutil.copy(earlier / "issues.csv", inbox / "lepas" / "masalah.csv")  # one table, away from its folder
    files, issues = collect_inputs([inbox])
    assert sorted(name for _, name in files) == ["desa2.csv", "desa_contoh.xlsx", "fake.xls"]
    assert sorted((i.code, i.file) for i in issues) == [("INPUT_SLRT_OUTPUT", "hasil_oktober"),
                                                        ("INPUT_SLRT_OUTPUT", "lepas/masalah.csv")]


def test_excluded_paths_are_announced_even_before_they_exist(tmp_path):
    inbox = build_messy_folder(tmp_path / "masuk")
    exclude = pipeline.exclusions(inbox / "hasil", None, [inbox / "desa2.csv"])
    files, issues = collect_inputs([inbox], exclude)
    assert [name for _, name in files] == ["desa_contoh.xlsx", "fake.xls"]
    assert sorted((i.code, i.file, i.severity) for i in issues) == [
        ("INPUT_OUTPUT_EXCLUDED", "hasil", "info"), ("INPUT_REGISTER_EXCLUDED", "desa2.csv", "info"),
        ("INPUT_STATE_EXCLUDED", "hasil.state", "info")]
    # the staging and parked folders slrt makes beside the output (named as atomic names them),
    # named as inputs or met in the folder, are never read either
    for made in (atomic._new_stage(inbox / "hasil"), inbox / f"{atomic.STAGING_PREFIXES[1]}0a1b2c3d-hasil"):
        made.mkdir(exist_ok=True)
        shutil.copy(inbox / "desa2.csv", made / "x.csv")
        files, _ = collect_inputs([made], exclude)
        assert files == []
    files, _ = collect_inputs([inbox], exclude)
    assert [name for _, name in files] == ["desa_contoh.xlsx", "fake.xls"]


def test_a_hidden_or_unreadable_exclusion_is_not_announced(tmp_path):
    inbox = build_messy_folder(tmp_path / "masuk")
    exclude = [Exclusion(inbox / ".tersembunyi" / "hasil", "INPUT_OUTPUT_EXCLUDED"),
               Exclusion(tmp_path / "lain" / "dtks.csv", "INPUT_REGISTER_EXCLUDED")]
    files, issues = collect_inputs([inbox], exclude)
    assert len(files) == 3 and issues == []


# ---------------------------------------------------------------- 2. the register, checked first


def test_header_only_register_is_exit_3_with_one_line(tmp_path):
    inbox = build_messy_folder(tmp_path / "masuk")
    register = tmp_path / "dtks.csv"
    register.write_text(SIKS_HEADER + "\n", encoding="utf-8")
    res = invoke("run", "--register", str(register), str(inbox), "--out", str(tmp_path / "hasil"), "-q")
    assert res.exit_code == 3
    lines = [line for line in res.output.splitlines() if line.strip()]
    assert len(lines) == 1 and "dtks.csv" in lines[0] and "tidak berisi satu baris data" in lines[0]
    assert not (tmp_path / "hasil").exists()


def test_empty_register_file_is_refused(tmp_path):
    (tmp_path / "kosong.csv").write_bytes(b"")
    with pytest.raises(InputError) as info:
        read_register_checked([tmp_path / "kosong.csv"], SCHEMA)
    assert info.value.code == "error_register_empty" and info.value.params["files"] == "kosong.csv"


def test_a_file_given_twice_or_copied_in_the_folder_is_read_once(tmp_path):
    folder = tmp_path / "dtks"
    folder.mkdir()
    siks_register(folder / "kab_3201.csv", [(NIK_HEAD, "WARGA SATU"), ("3201015012150003", "ANAK SATU")])
    shutil.copy(folder / "kab_3201.csv", folder / "kab_3201 (1).csv")
    read = read_register_checked([folder, folder / "kab_3201.csv"], SCHEMA)
    assert read.table.data.height == 2
    assert [(f.file, f.rows) for f in read.files] == [("kab_3201 (1).csv", 2)]
    assert [(i.code, i.file, i.params["other"]) for i in read.issues] == [
        ("REGISTER_FILE_DUPLICATE", "kab_3201.csv", "kab_3201 (1).csv"),
        ("REGISTER_FILE_DUPLICATE", "kab_3201.csv", "kab_3201 (1).csv"),
    ]
    assert len(read.files[0].sha256) == 64


def test_identical_rows_are_read_once_and_reported(tmp_path):
    path = tmp_path / "dtks.csv"
    path.write_text(BDT_HEADER + "\nB1,A1,3201014508900001,WARGA SATU,1990-08-05,3201011201150003\n"
                    "B1,A2,3201015012150003,ANAK SATU,2015-12-10,3201011201150003\n"
                    "B1,A1,3201014508900001,WARGA SATU,1990-08-05,3201011201150003\n")
    read = read_register_checked([path], SCHEMA)
    assert read.table.data.height == 2 and read.duplicate_rows == 1
    assert [(i.code, i.file, i.params) for i in read.issues] == [
        ("REGISTER_ROWS_DUPLICATE", "dtks.csv", {"count": 1, "rows": "4"})]


def test_conflicting_person_ids_are_refused_and_masked(tmp_path):
    path = tmp_path / "dtks.csv"
    path.write_text(BDT_HEADER + "\nB1,3201014508900001,3201014508900001,WARGA SATU,1990-08-05,3201011201150003\n"
                    "B2,3201014508900001,3201015012150003,ORANG LAIN,2015-12-10,3201011201150004\n")
    with pytest.raises(InputError) as info:
        read_register_checked([path], SCHEMA)
    err = info.value
    assert err.code == "error_register_conflict" and err.params["count"] == 1
    assert err.params["ids"] == "320101******0001 (dtks.csv:2; dtks.csv:3)"
    assert "3201014508900001" not in str(err)


def test_a_village_workbook_in_the_register_folder_is_left_out(tmp_path):
    folder = tmp_path / "dtks"
    folder.mkdir()
    shutil.copy(SIKS, folder / "dtks_siksng.csv")
    shutil.copy(SAMPLE / "desa" / "CIBINONG" / "KARADENAN.xlsx", folder / "KARADENAN.xlsx")
    read = read_register_checked([folder], SCHEMA)
    assert [f.file for f in read.files] == ["dtks_siksng.csv"]
    assert read.table.data.height == 3000
    assert [(i.code, i.file) for i in read.issues] == [("REGISTER_FILE_OTHER_LAYOUT", "KARADENAN.xlsx")]
    assert "NOMOR NIK" in read.issues[0].params["columns"]
    with pytest.raises(InputError) as info:  # named explicitly: refused
        read_register_checked([folder / "dtks_siksng.csv", folder / "KARADENAN.xlsx"], SCHEMA)
    assert info.value.code == "error_register_layout" and info.value.params["file"] == "KARADENAN.xlsx"


def test_register_with_every_row_twice_is_resolved_and_recorded(tmp_path):
    inbox = village_folder(tmp_path / "masuk")
    doubled = tmp_path / "dtks_dobel.parquet"
    reg = pl.read_parquet(SAMPLE / "register" / "dtks.parquet")
    pl.concat([reg, reg]).write_parquet(doubled)
    out = tmp_path / "hasil"
    res = invoke("run", "--register", str(doubled), str(inbox), "--out", str(out), "-q")
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    rec = pl.read_parquet(out / "reconciliation.parquet")
    assert rec.height == summary["totals"]["rows"] == pl.read_parquet(out / "rows.parquet").height
    assert summary["match"]["register_rows"] == reg.height
    [entry] = summary["register"]["files"]
    assert entry["file"] == "dtks_dobel.parquet" and entry["rows"] == 2 * reg.height and len(entry["sha256"]) == 64
    assert codes(out).count("REGISTER_ROWS_DUPLICATE") == 1


def test_register_with_conflicting_duplicate_ids_publishes_nothing(tmp_path):
    inbox = village_folder(tmp_path / "masuk")
    reg = pl.read_parquet(SAMPLE / "register" / "dtks.parquet")
    changed = reg.head(3).with_columns(pl.col("nama") + " LAIN")
    pl.concat([reg, changed]).write_parquet(tmp_path / "dtks.parquet")
    res = invoke("run", "--register", str(tmp_path / "dtks.parquet"), str(inbox), "--out", str(tmp_path / "hasil"))
    assert res.exit_code == 3
    assert "3 ID orang DTKS/DTSEN" in res.output
    assert not (tmp_path / "hasil").exists()


def test_register_files_are_logged_at_verbose(tmp_path, caplog):
    register = siks_register(tmp_path / "dtks.csv", [(NIK_HEAD, "WARGA SATU")])
    with caplog.at_level("INFO", logger="slrt.pipeline"):
        frame, read = registers.load_register_checked([register], SCHEMA, TODAY)
    assert frame.height == 1
    assert f"register file=dtks.csv rows=1 sha256={read.files[0].sha256}" in caplog.text


# ---------------------------------------------------------------- 3. invariants before publishing


def good_frames() -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rows = pl.DataFrame({"source_file": ["a.xlsx"] * 3, "source_sheet": ["S"] * 3, "source_row": [2, 3, 4]})
    rec = rows.with_columns(outcome=pl.Series(["matched", "duplicate", "new"]), person_id=pl.Series(["P1", "P1", None]))
    not_found = pl.DataFrame({"person_id": ["P2", "P3"]})
    return rows, rec, not_found


def test_the_invariants_hold_for_a_sound_result():
    check_reconciliation(*good_frames())


@pytest.mark.parametrize(
    ("breakage", "detail"),
    [
        ("doubled", "1 data rows have more than one reconciliation line"),
        ("lost", "1 data rows have no reconciliation line"),
        ("invented", "1 reconciliation lines belong to no data row"),
        ("matched_twice", "1 register persons are matched to more than one row"),
        ("not_found_linked", "1 register persons are both linked to a row and not found"),
        ("not_found_twice", "1 register persons are listed twice as not found"),
    ],
)
def test_each_broken_invariant_is_an_internal_error(breakage, detail):
    rows, rec, not_found = good_frames()
    if breakage == "doubled":
        rec = pl.concat([rec, rec.tail(1)])
    elif breakage == "lost":
        rec = rec.head(2)
    elif breakage == "invented":
        rec = pl.concat([rec, rec.tail(1).with_columns(pl.lit(99).cast(pl.Int64).alias("source_row"))])
    elif breakage == "matched_twice":
        rec = rec.with_columns(pl.lit("matched").alias("outcome"))
    elif breakage == "not_found_linked":
        not_found = pl.DataFrame({"person_id": ["P1", "P3"]})
    else:
        not_found = pl.DataFrame({"person_id": ["P2", "P2"]})
    with pytest.raises(InvariantError) as info:
        check_reconciliation(rows, rec, not_found)
    assert info.value.exit_code == EXIT_INTERNAL == 4
    assert info.value.params["detail"] == detail


def test_a_broken_reconciliation_publishes_nothing(tmp_path, monkeypatch):
    from slrt_cli import reconcile as reconcile_module

    inbox = village_folder(tmp_path / "masuk")
    out = tmp_path / "hasil"
    assert invoke("run", "--register", str(SIKS), str(inbox), "--out", str(out), "-q").exit_code == 0
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    real = reconcile_module.reconcile

    def doubled(*args, **kwargs):
        rec = real(*args, **kwargs)
        rec.reconciliation = pl.concat([rec.reconciliation, rec.reconciliation.head(2)])
        return rec

    monkeypatch.setattr(reconcile_module, "reconcile", doubled)
    res = invoke("run", "--register", str(SIKS), str(inbox), "--out", str(out), "--overwrite", "-q")
    assert res.exit_code == 4
    assert "2 data rows have more than one reconciliation line" in res.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before  # previous outputs untouched
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".slrt-")] == []


# ---------------------------------------------------------------- 4. any file name


def test_names_that_are_not_utf8_or_too_long_are_read_and_get_fix_files(tmp_path):
    inbox = build_messy_folder(tmp_path / "masuk")
    (inbox / "fake.xls").unlink()
    csv = (inbox / "desa2.csv").read_bytes()
    raw = os.fsencode(inbox)
    for name in (b"desa_\xe9.csv", b"desa_\xe8.csv"):  # Windows-1252 names from a zip: alike once shown
        Path(os.fsdecode(raw + b"/" + name)).write_bytes(csv)
    long_name = "desa_" + "panjang_" * 30 + ".csv"  # 250 bytes: its fix-file name would not fit
    (inbox / long_name).write_bytes(csv)
    out = tmp_path / "hasil"
    res = invoke("run", "--register", str(SIKS), str(inbox), "--out", str(out), "-q")
    assert res.exit_code == 0, res.output
    summary = json.loads((out / "summary.json").read_text("utf-8"))
    names = [f["file"] for f in summary["files"]]
    assert len(names) == 5 and all(f["readable"] for f in summary["files"])
    odd = sorted(n for n in names if n.startswith("desa_\ufffd"))
    assert len(odd) == 2 and odd[0] != odd[1]  # two names that show alike are told apart
    assert all(n.encode("utf-8") for n in names)
    assert codes(out).count("FILE_NAME_UNDISPLAYABLE") == 2 and codes(out).count("FILE_NAME_SHORTENED") == 1
    fixes = sorted(p for p in (out / "perbaikan").iterdir())
    assert len(fixes) == 5  # every file has flagged rows (the CSV's bad NIK, date and sex)
    assert all(len(os.fsencode(p.name)) <= MAX_NAME_BYTES for p in fixes)
    assert fix_file_name(long_name) == fix_file_name(long_name)  # the hash suffix is stable
    assert (out / fix_file_name(long_name)).is_file() and "~" in fix_file_name(long_name)
    rec = pl.read_parquet(out / "reconciliation.parquet")
    assert rec.height == summary["totals"]["rows"]


def test_displayable_name():
    assert displayable_name(os.fsdecode(b"kec/desa_\xe9.csv")) == "kec/desa_\ufffd.csv"
    assert displayable_name("desa\x1b[2J.csv") == "desa\ufffd[2J.csv"
    assert displayable_name("Désa Sukamaju.xlsx") == "Désa Sukamaju.xlsx"


def test_fix_files_never_share_a_name():
    targets = fix_file_targets(["kec/desa.csv", "kec/desa.xlsx", "kec/lain.xlsx"])
    assert targets == {"kec/desa.csv": "perbaikan/kec/desa_csv_perbaikan.xlsx",
                       "kec/desa.xlsx": "perbaikan/kec/desa_xlsx_perbaikan.xlsx",
                       "kec/lain.xlsx": "perbaikan/kec/lain_perbaikan.xlsx"}
    alike = fix_file_targets(["Desa.CSV", "desa.csv"])
    assert len({v.casefold() for v in alike.values()}) == 2


# ---------------------------------------------------------------- 5. discovery: folders and special files


def test_an_unreadable_sub_folder_is_reported(tmp_path, monkeypatch):
    inbox = build_messy_folder(tmp_path / "masuk")
    locked = inbox / "kec_terkunci"
    locked.mkdir()
    shutil.copy(inbox / "desa2.csv", locked / "desa3.csv")
    real_scandir = os.scandir

    def scandir(path):  # as for a folder without read permission (tests may run as root)
        if Path(path) == locked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    files, issues = collect_inputs([inbox])
    assert len(files) == 3
    assert [(i.code, i.file, i.severity, i.params) for i in issues] == [
        ("FOLDER_UNREADABLE", "kec_terkunci", "error", {"detail": "Permission denied"})]


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_fifo_is_reported_and_never_opened(tmp_path):
    inbox = build_messy_folder(tmp_path / "masuk")
    os.mkfifo(inbox / "pipa.csv")
    result: dict = {}

    def work():  # opening the FIFO would block forever: run it where a hang can be seen
        result["folder"] = collect_inputs([inbox])
        result["named"] = collect_inputs([inbox / "pipa.csv"])
        result["report"] = pipeline.validate([inbox], tmp_path / "hasil")

    worker = threading.Thread(target=work, daemon=True)
    worker.start()
    worker.join(timeout=120)
    assert not worker.is_alive(), "a FIFO was opened"
    files, issues = result["folder"]
    assert "pipa.csv" not in [n for _, n in files]
    assert [(i.code, i.file, i.params) for i in issues] == [("FILE_NOT_REGULAR", "pipa.csv", {"kind": "fifo"})]
    assert result["named"] == ([], [issues[0]])
    report = result["report"]
    assert len(report.files) == 3
    found = report.issue_table.filter(pl.col("code") == "FILE_NOT_REGULAR")
    assert found.select("file", "severity").rows() == [("pipa.csv", "error")]


def test_a_workbook_whose_name_is_not_utf8_is_read(tmp_path):
    inbox = tmp_path / "masuk"
    inbox.mkdir()
    source = SAMPLE / "desa" / "CIBINONG" / "KARADENAN.xlsx"
    Path(os.fsdecode(os.fsencode(inbox) + b"/karadenan_\xe9.xlsx")).write_bytes(source.read_bytes())
    report = pipeline.validate([inbox])
    [only] = report.files
    assert only.file == "karadenan_\ufffd.xlsx" and only.readable and report.table.height > 0
