"""Reading with a helper process (slrt_cli.io.parallel) gives exactly what reading alone gives."""

from __future__ import annotations

import subprocess
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from slrt_cli import pipeline
from slrt_cli.io import parallel
from slrt_cli.io.readers import collect_inputs
from slrt_cli.schemas import load_schema

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


def _inputs(tmp_path: Path) -> list[tuple[Path, str]]:
    """The sample villages' files plus an unreadable one and an empty one."""
    (tmp_path / "rusak.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (tmp_path / "kosong.csv").write_bytes(b"")
    files, _ = collect_inputs([SAMPLE / "desa", tmp_path / "rusak.xlsx", tmp_path / "kosong.csv"])
    return files


def _same(a, b) -> None:
    assert [f.file for f in a] == [f.file for f in b]
    for x, y in zip(a, b, strict=True):
        assert (x.sha256, x.readable, x.format, [i.code for i in x.issues]) == (
            y.sha256, y.readable, y.format, [i.code for i in y.issues])
        assert [s.sheet for s in x.sheets] == [s.sheet for s in y.sheets]
        for s, t in zip(x.sheets, y.sheets, strict=True):
            assert [c.key for c in s.columns] == [c.key for c in t.columns]
            assert_frame_equal(s.data, t.data)


def test_helper_reads_exactly_what_reading_alone_reads(tmp_path, monkeypatch):
    files, schema = _inputs(tmp_path), load_schema()
    monkeypatch.setenv("SLRT_READ_HELPER", "0")
    alone, _ = parallel.read_many(files, schema)
    monkeypatch.setenv("SLRT_READ_HELPER", "1")
    seen: list[int] = []
    shared, extra = parallel.read_many(files, schema, progress=lambda name, done, total: seen.append(done),
                                       meanwhile=lambda: "register")
    assert extra == "register"
    _same(alone, shared)
    assert seen == sorted(seen) and seen[-1] == len(files)  # progress counts up to every file
    assert any(not f.readable for f in shared)  # the broken file is reported, as alone


HELPER_DIES = """
import os
if os.environ.get("SLRT_TEST_DIE_ON"):
    from slrt_cli.io import readers
    real = readers.read_file
    def read_file(path, name, *args, **kwargs):
        if name == os.environ["SLRT_TEST_DIE_ON"]:
            os._exit(3)  # as if killed while reading this file
        return real(path, name, *args, **kwargs)
    readers.read_file = read_file
"""


def test_a_file_the_helper_took_but_never_returned_is_read_here(tmp_path, monkeypatch):
    files, schema = _inputs(tmp_path), load_schema()
    monkeypatch.setenv("SLRT_READ_HELPER", "0")
    alone, _ = parallel.read_many(files, schema)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(HELPER_DIES)  # loaded by the helper's interpreter only
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("SLRT_TEST_DIE_ON", files[1][1])
    monkeypatch.setenv("SLRT_READ_HELPER", "1")
    started: list[subprocess.Popen] = []
    real = subprocess.Popen
    monkeypatch.setattr(parallel.subprocess, "Popen", lambda *a, **k: started.append(real(*a, **k)) or started[-1])
    shared, _ = parallel.read_many(files, schema, meanwhile=lambda: started[0].wait(timeout=60))
    assert started[0].returncode == 3  # it read the first file, took the second and died
    _same(alone, shared)


def test_an_error_meanwhile_stops_the_helper(tmp_path, monkeypatch):
    files, schema = _inputs(tmp_path), load_schema()
    started: list[subprocess.Popen] = []
    real = subprocess.Popen
    monkeypatch.setattr(parallel.subprocess, "Popen", lambda *a, **k: started.append(real(*a, **k)) or started[-1])
    monkeypatch.setenv("SLRT_READ_HELPER", "1")

    def broken_register():
        raise RuntimeError("register unusable")

    with pytest.raises(RuntimeError, match="register unusable"):
        parallel.read_many(files, schema, meanwhile=broken_register)
    assert started and started[0].poll() is not None  # no helper left behind


def test_small_batches_are_read_without_a_helper(tmp_path, monkeypatch):
    monkeypatch.delenv("SLRT_READ_HELPER", raising=False)
    files = _inputs(tmp_path)
    assert not parallel.worth_a_helper(files[:3])
    assert not parallel.worth_a_helper(files)  # the sample is only some 120 KB
    big = [(tmp_path / f"f{i}.csv", f"f{i}.csv") for i in range(10)]
    for path, _ in big:
        path.write_bytes(b"x" * 200_000)
    assert parallel.worth_a_helper(big)


def test_run_outputs_do_not_depend_on_the_helper(tmp_path, monkeypatch):
    outs = {}
    for forced in ("0", "1"):
        monkeypatch.setenv("SLRT_READ_HELPER", forced)
        out = tmp_path / f"out{forced}"
        pipeline.run([SAMPLE / "desa"], [SAMPLE / "register" / "dtks_siksng.csv"], out, period="2025-10")
        outs[forced] = out
    for name in ("reconciliation.csv", "issues.csv", "not_found.csv", "summary.json", "laporan.xlsx", "review.xlsx"):
        assert (outs["0"] / name).read_bytes() == (outs["1"] / name).read_bytes(), name
    fixes0 = sorted(p.relative_to(outs["0"]) for p in (outs["0"] / "perbaikan").rglob("*.xlsx"))
    fixes1 = sorted(p.relative_to(outs["1"]) for p in (outs["1"] / "perbaikan").rglob("*.xlsx"))
    assert fixes0 == fixes1 and fixes0
    assert pl.read_parquet(outs["0"] / "rows.parquet").equals(pl.read_parquet(outs["1"] / "rows.parquet"))
