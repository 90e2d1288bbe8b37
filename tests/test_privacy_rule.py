"""Every file `slrt run` writes (and what it prints) holds to the privacy rule of schemas/privacy.toml.

The sample month (synthetic people) is run twice, masked and with ``--full-nik``; each output is
read back (CSV, Parquet, the XML of the workbooks, HTML, JSON) and its text scanned for the
identifiers of the villages' rows and the register: NIK/No KK, names and birth dates.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from slrt_cli.cli import app
from slrt_cli.privacy import RULE_FIELDS, SHOWN, mask_pair, rule, rules

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "sample_data"
REGISTER = SAMPLE / "register" / "dtks_siksng.csv"
KEYS = ["source_file", "source_sheet", "source_row"]
SIXTEEN = re.compile(r"(?<!\d)\d{16}(?!\d)")
runner = CliRunner()


def _run(folder: Path, *extra: str) -> tuple[Path, str]:
    out, log = folder / "hasil", folder / "slrt.log"
    res = runner.invoke(app, ["run", str(SAMPLE / "desa"), "-r", str(REGISTER), "--out", str(out),
                              "--log-file", str(log), *extra])
    assert res.exit_code in (0, 1), res.output
    return out, res.output + res.stderr + log.read_text("utf-8")


@pytest.fixture(scope="module")
def masked(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("masked"))


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    return _run(tmp_path_factory.mktemp("full"), "--full-nik")


@pytest.fixture(scope="module")
def people(masked):
    """The identifiers of the month: village rows and register rows, as written."""
    rows = pl.read_parquet(masked[0] / "rows.parquet")
    reg = pl.read_csv(REGISTER, separator="|", infer_schema=False)
    ids = set(rows["nik"].drop_nulls()) | set(rows["no_kk"].drop_nulls()) | set(reg["NIK"].drop_nulls()) \
        | set(reg["NOKK"].drop_nulls())
    names = set(rows["nama"].drop_nulls()) | set(reg["NAMA"].drop_nulls())
    born = [d for d in reg["TANGGAL LAHIR"].drop_nulls() if d < "2000"]  # no clash with run dates
    return {
        "ids": {i for i in ids if len(i) == 16 and i.isdigit()},
        "names": {n for n in names if len(n) >= 12 and " " in n},  # a long name cannot be a word of a message
        "born": set(born) | {f"{d[8:10]}-{d[5:7]}-{d[:4]}" for d in born},
    }


def text_of(path: Path) -> str:
    """All the text of an output file (every cell of a table or a workbook)."""
    if path.suffix == ".parquet":
        return "\n".join(map(str, pl.read_parquet(path).iter_rows()))
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as z:
            return "\n".join(z.read(n).decode("utf-8") for n in z.namelist() if n.endswith(".xml"))
    return path.read_text("utf-8-sig")


def files_of(out: Path, output: str) -> list[Path]:
    return sorted({p for pattern in rules()[output]["files"] for p in out.glob(pattern) if p.is_file()})


def test_the_rule_covers_every_output_and_identifier():
    for name, spec in rules().items():
        assert spec["reader"] and spec["why"], name
        assert all(rule(name, f) in SHOWN for f in RULE_FIELDS)
    assert {"console", "perbaikan", "kirim", "reconciliation", "changes", "households", "issues", "laporan_xlsx",
            "laporan_html", "review", "summary", "rows"} <= rules().keys()


@pytest.mark.parametrize("run", ["masked", "full"])
def test_every_file_written_is_under_the_rule(run, request):
    out, _ = request.getfixturevalue(run)
    written = {p for p in out.rglob("*") if p.is_file()}
    covered = {p for name in rules() for p in files_of(out, name)}
    assert written and written <= covered, sorted(str(p.relative_to(out)) for p in written - covered)


@pytest.mark.parametrize("run", ["masked", "full"])
def test_every_output_shows_identifiers_as_the_rule_says(run, request, people):
    out, console = request.getfixturevalue(run)
    full_nik = run == "full"
    for name in rules():
        texts = {p.relative_to(out).as_posix(): text_of(p) for p in files_of(out, name)}
        if name == "console":
            texts = {"console": console}
        assert texts, name
        joined = "\n".join(texts.values())
        found = set(SIXTEEN.findall(joined))
        for f in ("nik", "no_kk"):
            how = rule(name, f, full_nik=full_nik)
            if how in ("masked", "absent"):
                assert not found, (name, f, sorted(texts), len(found))  # no NIK-shaped value at all
            elif how == "full":
                assert found & people["ids"], (name, f)  # full where the rule says full
        if rule(name, "nama") == "absent":
            assert not [n for n in people["names"] if n in joined], name
        if rule(name, "tanggal_lahir") == "absent":
            assert not [d for d in people["born"] if d in joined], name


def test_changes_of_identifiers_are_masked_as_pairs(masked, full):
    shown = pl.read_parquet(masked[0] / "changes.parquet")  # the CSV guards values such as "-" against Excel
    whole = pl.read_parquet(full[0] / "changes.parquet")
    assert rule("changes", "nik") == rule("changes", "no_kk") == "pair"
    ids = ["nik", "no_kk"]
    both = shown.filter(pl.col("field").is_in(ids)).join(
        whole.filter(pl.col("field").is_in(ids)), on=KEYS + ["field"], suffix="_full"
    )
    assert both.height == shown.filter(pl.col("field").is_in(ids)).height > 0
    for row in both.iter_rows(named=True):
        expected = mask_pair(row["nilai_dtks_full"], row["nilai_desa_full"])
        assert (row["nilai_dtks"], row["nilai_desa"]) == expected
        assert row["nilai_dtks"] != row["nilai_desa"]  # masking never hides the change it reports
    assert all(SIXTEEN.fullmatch(v) for v in whole.filter(pl.col("field") == "nik")["nilai_dtks"].drop_nulls())


def test_fix_files_carry_only_the_villages_own_identifiers(masked):
    """Full in perbaikan/: each fix-file's full NIKs/No KKs are those of its own village's rows."""
    out, _ = masked
    rows = pl.read_parquet(out / "rows.parquet")
    mine = {*rows["nik"].drop_nulls(), *rows["no_kk"].drop_nulls()}
    by_file = {}
    for path in files_of(out, "perbaikan"):
        by_file[path] = set(SIXTEEN.findall(text_of(path)))
        assert by_file[path] <= mine, path.name
    assert any(by_file.values())


def test_identity_columns_follow_full_nik(masked, full):
    for (out, _), is_full in ((masked, False), (full, True)):
        rec = pl.read_csv(out / "reconciliation.csv", infer_schema=False)
        nf = pl.read_csv(out / "not_found.csv", infer_schema=False)
        values = [*rec["nik"].drop_nulls(), *rec["nik_dtks"].drop_nulls(), *nf["nik"].drop_nulls()]
        values = [v for v in values if len(v) == 16]
        assert values
        assert all(("*" not in v) == is_full for v in values)
        linked = rec.filter(pl.col("outcome").is_in(["matched", "review", "duplicate"]))
        assert linked["nama_dtks"].null_count() == 0 and linked["baris_dtks"].null_count() == 0
        assert set(linked["berkas_dtks"]) == {REGISTER.name} and set(nf["berkas_dtks"]) == {REGISTER.name}


def test_register_lines_point_at_the_person_in_the_extract(masked):
    """``baris_dtks`` is the line of the register person in the SIKS-NG file (header = line 1)."""
    out, _ = masked
    lines = REGISTER.read_text("utf-8").splitlines()
    rec = pl.read_csv(out / "reconciliation.csv", infer_schema=False).filter(pl.col("outcome") == "matched")
    for row in rec.head(50).iter_rows(named=True):
        cells = lines[int(row["baris_dtks"]) - 1].split("|")
        assert cells[0] == row["id_dtks"] == row["household_id"]
        assert cells[11] == row["nama_dtks"]
