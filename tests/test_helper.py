"""Work shared with helper processes (slrt_cli.helper) gives exactly what doing it here gives."""

from __future__ import annotations

import datetime as dt
import shutil
import sys
import time
import subprocess
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from slrt_cli import helper, pipeline
from slrt_cli.background import BackgroundError
from slrt_cli.schemas import load_schema

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
TODAY = dt.date(2025, 11, 1)


def _inputs(tmp_path: Path) -> list[Path]:
    """The sample villages' files plus an unreadable one and an empty one."""
    (tmp_path / "rusak.xlsx").write_bytes(b"PK\x03\x04 not really a workbook")
    (tmp_path / "kosong.csv").write_bytes(b"")
    return [SAMPLE / "desa", tmp_path / "rusak.xlsx", tmp_path / "kosong.csv"]


def _read(inputs, **kwargs):
    return pipeline.read_inputs(inputs, load_schema(), TODAY, **kwargs)


def _same(a, b) -> None:
    files_a, issues_a, batch_a, _ = a
    files_b, issues_b, batch_b, _ = b
    assert [f.file for f in files_a] == [f.file for f in files_b]
    for x, y in zip(files_a, files_b, strict=True):
        assert (x.sha256, x.readable, x.format, [i.code for i in x.issues]) == (
            y.sha256, y.readable, y.format, [i.code for i in y.issues])
        assert [s.sheet for s in x.sheets] == [s.sheet for s in y.sheets]
        for s, t in zip(x.sheets, y.sheets, strict=True):
            assert [c.key for c in s.columns] == [c.key for c in t.columns]
            assert_frame_equal(s.data, t.data)
    assert issues_a == issues_b
    assert_frame_equal(batch_a, batch_b)


def _spy_popen(monkeypatch) -> list[subprocess.Popen]:
    started: list[subprocess.Popen] = []
    real = subprocess.Popen
    monkeypatch.setattr(helper.subprocess, "Popen", lambda *a, **k: started.append(real(*a, **k)) or started[-1])
    return started


def test_helper_reads_exactly_what_reading_alone_reads(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path)
    monkeypatch.setenv("SLRT_HELPER", "0")
    alone = _read(inputs)
    monkeypatch.setenv("SLRT_HELPER", "1")
    started = _spy_popen(monkeypatch)
    seen: list[int] = []
    shared = _read(inputs, progress=lambda name, done, total: seen.append(done), meanwhile=lambda: "register")
    assert started, "no helper was started"
    assert shared[3] == "register"
    _same(alone, shared)
    assert seen == sorted(seen) and seen[-1] == len(alone[0])  # progress counts up to every file
    assert any(not f.readable for f in shared[0])  # the broken file is reported, as alone


def _alone_then_patch_the_helper(tmp_path, monkeypatch, sitecustomize: str):
    """The inputs read without a helper; then ``sitecustomize`` set up for the helper's interpreter only."""
    inputs = _inputs(tmp_path)
    monkeypatch.setenv("SLRT_HELPER", "0")
    alone = _read(inputs)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(sitecustomize)
    monkeypatch.setenv("PYTHONPATH", str(site))
    return inputs, alone


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
    inputs, alone = _alone_then_patch_the_helper(tmp_path, monkeypatch, HELPER_DIES)
    monkeypatch.setenv("SLRT_TEST_DIE_ON", alone[0][1].file)
    monkeypatch.setenv("SLRT_HELPER", "1")
    started = _spy_popen(monkeypatch)
    shared = _read(inputs, meanwhile=lambda: started[0].wait(timeout=60))
    assert started[0].returncode == 3  # it read the first file, took the second and died
    _same(alone, shared)


def test_an_error_meanwhile_stops_the_helper(tmp_path, monkeypatch):
    monkeypatch.setenv("SLRT_HELPER", "1")
    started = _spy_popen(monkeypatch)

    def broken_register():
        raise RuntimeError("register unusable")

    with pytest.raises(RuntimeError, match="register unusable"):
        _read(_inputs(tmp_path), meanwhile=broken_register)
    assert started and started[0].poll() is not None  # no helper left behind


def test_small_batches_are_read_without_a_helper(tmp_path, monkeypatch):
    monkeypatch.delenv("SLRT_HELPER", raising=False)
    files = [(p, p.name) for p in sorted((SAMPLE / "desa").rglob("*.*"))]
    assert not helper.worth_a_helper(files[:3])
    assert not helper.worth_a_helper(files)  # the sample is only some 120 KB
    big = [(tmp_path / f"f{i}.csv", f"f{i}.csv") for i in range(10)]
    for path, _ in big:
        path.write_bytes(b"x" * 200_000)
    assert helper.worth_a_helper(big)


# jobs apart must be importable by a fresh interpreter: the standard library's shutil.copyfile serves


def test_apart_runs_the_job_in_another_process(tmp_path, monkeypatch):
    monkeypatch.delenv("SLRT_HELPER", raising=False)
    started = _spy_popen(monkeypatch)
    (tmp_path / "a.txt").write_text("done")
    with helper.apart(shutil.copyfile, tmp_path / "a.txt", tmp_path / "b.txt", nice=5):
        pass
    assert (tmp_path / "b.txt").read_text() == "done" and started


def test_a_failed_job_apart_raises_without_its_message(tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("SLRT_HELPER", raising=False)
    missing = tmp_path / "3201010101010001.xlsx"  # the error message would quote it
    with pytest.raises(BackgroundError):
        with helper.apart(shutil.copyfile, missing, tmp_path / "c.txt"):
            pass
    err = capfd.readouterr().err
    assert "FileNotFoundError" in err and "3201010101010001" not in err  # the type, never the message


def test_an_error_in_the_block_stops_the_job_apart(tmp_path, monkeypatch):
    monkeypatch.delenv("SLRT_HELPER", raising=False)
    started = _spy_popen(monkeypatch)
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(KeyError):
        with helper.apart(shutil.copyfile, tmp_path / "a.txt", tmp_path / "d.txt"):
            raise KeyError("boom")
    assert started[0].poll() is not None


def test_apart_without_helpers_runs_here_after_the_block(tmp_path, monkeypatch):
    monkeypatch.setenv("SLRT_HELPER", "0")
    (tmp_path / "a.txt").write_text("here")
    seen = []
    with helper.apart(shutil.copyfile, tmp_path / "a.txt", tmp_path / "e.txt"):
        seen.append((tmp_path / "e.txt").exists())
    assert seen == [False] and (tmp_path / "e.txt").read_text() == "here"


def test_run_outputs_do_not_depend_on_the_helpers(tmp_path, monkeypatch):
    outs = {}
    for forced in ("0", "1"):
        monkeypatch.setenv("SLRT_HELPER", forced)
        out = tmp_path / f"out{forced}"
        pipeline.run([SAMPLE / "desa"], [SAMPLE / "register" / "dtks_siksng.csv"], out, period="2025-10")
        outs[forced] = out
    names = sorted(str(p.relative_to(outs["0"])) for p in outs["0"].rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(outs["1"])) for p in outs["1"].rglob("*") if p.is_file())
    assert any(n.startswith("perbaikan/") for n in names)
    for name in names:
        if name.endswith(".parquet"):
            assert pl.read_parquet(outs["0"] / name).equals(pl.read_parquet(outs["1"] / name)), name
        else:
            assert (outs["0"] / name).read_bytes() == (outs["1"] / name).read_bytes(), name


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="Linux only: PR_SET_PDEATHSIG")
def test_a_job_apart_dies_with_a_killed_slrt(tmp_path):
    """kill -9 of slrt must not leave a helper writing on into an abandoned output folder."""
    script = "import time\nfrom slrt_cli import helper\nwith helper.apart(time.sleep, 60):\n    time.sleep(60)\n"
    parent = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT)
    children: list[int] = []
    for _ in range(100):  # wait until the helper is started
        path = Path(f"/proc/{parent.pid}/task/{parent.pid}/children")
        children = [int(p) for p in path.read_text().split()] if path.exists() else []
        if children:
            break
        time.sleep(0.05)
    assert children, "no helper was started"
    parent.kill()
    parent.wait()
    for _ in range(100):
        if not Path(f"/proc/{children[0]}").exists() or "Z" in _state(children[0]):
            break
        time.sleep(0.05)
    assert not Path(f"/proc/{children[0]}").exists() or "Z" in _state(children[0])


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (OSError, IndexError):
        return "Z"


HELPER_PRINTS = """
import os
if os.environ.get("SLRT_TEST_PRINT"):
    from slrt_cli.io import readers
    real = readers.read_file
    def read_file(*args, **kwargs):
        print("a library talking on stdout")  # must not break the helper's results
        return real(*args, **kwargs)
    readers.read_file = read_file
"""


def test_a_helper_that_prints_still_returns_every_file(tmp_path, monkeypatch):
    inputs, alone = _alone_then_patch_the_helper(tmp_path, monkeypatch, HELPER_PRINTS)
    monkeypatch.setenv("SLRT_TEST_PRINT", "1")
    monkeypatch.setenv("SLRT_HELPER", "1")
    started = _spy_popen(monkeypatch)
    warned: list[str] = []
    monkeypatch.setattr(helper.log, "warning", lambda msg, *a: warned.append(msg))
    shared = _read(inputs, meanwhile=lambda: started[0].wait(timeout=60))  # the helper reads them all
    _same(alone, shared)
    assert not warned  # nothing had to be read again here


def test_a_prestarted_helper_is_taken_and_gives_the_same_results(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path)
    monkeypatch.setenv("SLRT_HELPER", "0")
    alone = _read(inputs)
    monkeypatch.setenv("SLRT_HELPER", "1")
    helper.prestart({"share": ("slrt_cli.ingest",), "apart": ()})
    spare = helper._spares["share"][1]
    shared = _read(inputs, meanwhile=lambda: "register")
    assert "share" not in helper._spares and spare.poll() is not None  # taken, used, finished
    _same(alone, shared)
    (tmp_path / "a.txt").write_text("x")
    apart_spare = helper._spares["apart"][1]
    with helper.apart(shutil.copyfile, tmp_path / "a.txt", tmp_path / "b.txt"):
        pass
    assert apart_spare.returncode == 0 and (tmp_path / "b.txt").read_text() == "x"


def test_spares_nobody_takes_leave(monkeypatch):
    monkeypatch.delenv("SLRT_HELPER", raising=False)
    helper.prestart({"share": (), "apart": ()})
    procs = [spare[1] for spare in helper._spares.values()]
    helper.release_spares()
    assert procs and all(p.returncode is not None for p in procs) and not helper._spares


def test_the_command_leaves_no_spare_behind(tmp_path):
    """`slrt validate` on a small batch starts a reading helper it then does not need."""
    proc = subprocess.Popen([str(Path(sys.executable).with_name("slrt")), "validate", str(SAMPLE / "desa"), "--out",
                             str(tmp_path / "o"), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 1), err
    time.sleep(0.5)
    ps = subprocess.run(["ps", "-eo", "stat=,args="], capture_output=True, text=True).stdout.splitlines()
    spares = [line for line in ps if f"slrt_cli.helper share {proc.pid} " in line + " " and not line.startswith("Z")]
    assert not spares
