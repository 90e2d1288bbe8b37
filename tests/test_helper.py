"""Work handed to worker processes (slrt_cli.executor) gives exactly what doing it here gives."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from slrt_cli import executor, pipeline
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


def _processes(pool: executor.Pool) -> list:
    return pool._context.processes if pool._context else []


def _first_worker_ends(pool: executor.Pool) -> None:
    """Wait until the first worker has been started (its items are handed over by a thread) and has ended."""
    deadline = time.monotonic() + 60
    while not (_processes(pool) and _processes(pool)[0].pid) and time.monotonic() < deadline:
        time.sleep(0.01)
    _processes(pool)[0].join(60)


def test_workers_read_exactly_what_reading_alone_reads(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path)
    monkeypatch.setenv("SLRT_HELPER", "0")
    alone = _read(inputs)
    monkeypatch.setenv("SLRT_HELPER", "1")
    seen: list[int] = []
    with pipeline.reading_pool() as pool:
        shared = _read(inputs, progress=lambda name, done, total: seen.append(done), meanwhile=lambda: "register",
                       pool=pool)
        assert pool.parallel and _processes(pool), "no worker was started"
    assert all(p.exitcode is not None for p in _processes(pool))  # leaving the block ends them
    assert shared[3] == "register"
    _same(alone, shared)
    assert seen == sorted(seen) and seen[-1] == len(alone[0])  # progress counts up to every file
    assert any(not f.readable for f in shared[0])  # the broken file is reported, as alone


def test_map_keeps_input_order_whoever_does_the_work():
    items = [(i, str(i)) for i in range(40)]
    with executor.Pool(workers=2) as pool:
        pool.start(True)
        got, extra = pool.map(abs, [(-i, name) for i, name in items], meanwhile=lambda: time.sleep(0.2) or "x")
    assert got == list(range(40)) and extra == "x"


WORKER_DIES = """
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


def test_a_file_whose_worker_died_is_read_here(tmp_path, monkeypatch):
    inputs = _inputs(tmp_path)
    monkeypatch.setenv("SLRT_HELPER", "0")
    alone = _read(inputs)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(WORKER_DIES)  # imported by the workers' interpreters only
    monkeypatch.setenv("PYTHONPATH", str(site))
    monkeypatch.setenv("SLRT_TEST_DIE_ON", alone[0][1].file)
    monkeypatch.setenv("SLRT_HELPER", "1")
    with pipeline.reading_pool() as pool:
        pool.workers = 1
        shared = _read(inputs, meanwhile=lambda: _first_worker_ends(pool), pool=pool)
        assert _processes(pool)[0].exitcode == 3  # it read the first file, took the second and died
    _same(alone, shared)


def test_map_never_cancels_what_it_handed_to_the_workers(tmp_path, monkeypatch):
    """CPython 3.11's pool, when a worker dies, marks every future it still holds as failed: one
    cancelled meanwhile by its caller makes its thread fail half-way, and the interpreter's exit
    then waits for ever on the queue it never closed (the CI run that never ended)."""
    from concurrent.futures import Future

    cancels = []
    real = Future.cancel
    monkeypatch.setattr(Future, "cancel", lambda self: cancels.append(self) or real(self))
    items = [(-i, str(i)) for i in range(40)]
    with executor.Pool(workers=2) as pool:
        pool.start(True)
        got, _ = pool.map(abs, items, meanwhile=lambda: time.sleep(0.3))
    assert got == list(range(40))
    assert cancels == []


EXIT_AFTER_DEATH = """
import datetime as dt, os, sys, time
from pathlib import Path
from slrt_cli import pipeline
from slrt_cli.schemas import load_schema
inputs = [Path(p) for p in sys.argv[2:]]
os.environ["SLRT_TEST_DIE_ON"] = sys.argv[1]  # for the workers alone: this process has started
def first_worker_ends(pool):
    while not (pool._context and pool._context.processes and pool._context.processes[0].pid):
        time.sleep(0.01)
    pool._context.processes[0].join(60)
for _ in range(10):
    with pipeline.reading_pool() as pool:
        pool.workers = 1
        got = pipeline.read_inputs(inputs, load_schema(), dt.date(2025, 11, 1), pool=pool,
                                   meanwhile=lambda: first_worker_ends(pool))
    assert len(got[0]) == len(inputs), [f.file for f in got[0]]
print("done")
"""


def test_slrt_ends_when_a_worker_died(tmp_path):
    """The run goes on with the file done here, and the process then ends (no hang at exit)."""
    inputs = _inputs(tmp_path)
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(WORKER_DIES)
    files = sorted(str(p) for p in (SAMPLE / "desa").rglob("*.*"))[:4] + [str(p) for p in inputs[1:]]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]), "SLRT_HELPER": "1"}
    done = subprocess.run([sys.executable, "-c", EXIT_AFTER_DEATH, Path(files[1]).name, *files], env=env, capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "done"


def test_an_error_meanwhile_stops_the_workers(tmp_path, monkeypatch):
    monkeypatch.setenv("SLRT_HELPER", "1")

    def broken_register():
        raise RuntimeError("register unusable")

    with pytest.raises(RuntimeError, match="register unusable"):
        with pipeline.reading_pool() as pool:
            _read(_inputs(tmp_path), meanwhile=broken_register, pool=pool)
    assert _processes(pool) and all(p.exitcode is not None for p in _processes(pool))  # none left behind


def test_small_batches_are_read_without_workers(tmp_path, monkeypatch):
    monkeypatch.delenv("SLRT_HELPER", raising=False)
    files = [(p, p.name) for p in sorted((SAMPLE / "desa").rglob("*.*"))]
    assert not executor.worth_workers(files[:3])
    assert not executor.worth_workers(files)  # the sample is only some 120 KB
    big = [(tmp_path / f"f{i}.csv", f"f{i}.csv") for i in range(10)]
    for path, _ in big:
        path.write_bytes(b"x" * 200_000)
    assert executor.worth_workers(big)
    assert not executor.worth_workers(big[:7])
    monkeypatch.setenv("SLRT_HELPER", "0")
    assert not executor.worth_workers(big)
    monkeypatch.setenv("SLRT_HELPER", "1")
    assert executor.worth_workers(files[:2]) and not executor.worth_workers(files[:1])


def test_a_job_in_a_worker_writes_its_file_and_tells_its_error(tmp_path):
    """Jobs must be importable by a fresh interpreter: the standard library's shutil.copyfile serves."""
    (tmp_path / "a.txt").write_text("done")
    with executor.Pool(workers=1) as pool:
        pool.start(True)
        pool.submit(shutil.copyfile, tmp_path / "a.txt", tmp_path / "b.txt").result()
        failed = pool.submit(shutil.copyfile, tmp_path / "missing.txt", tmp_path / "c.txt")
        with pytest.raises(FileNotFoundError) as caught:  # the error itself, errno included
            failed.result()
        assert caught.value.errno == 2
    assert (tmp_path / "b.txt").read_text() == "done" and not (tmp_path / "c.txt").exists()


def test_without_workers_a_job_runs_here_and_now(tmp_path):
    (tmp_path / "a.txt").write_text("here")
    with executor.Pool() as pool:
        pool.start(False)
        done = pool.submit(shutil.copyfile, tmp_path / "a.txt", tmp_path / "e.txt")
        assert (tmp_path / "e.txt").read_text() == "here" and done.done()
        failed = pool.submit(shutil.copyfile, tmp_path / "missing.txt", tmp_path / "f.txt")
        with pytest.raises(FileNotFoundError):
            failed.result()
    assert not pool.parallel


def test_an_error_in_the_block_stops_a_running_job(tmp_path, monkeypatch):
    monkeypatch.setattr(executor, "STOP_GRACE", 2.0)  # the job is let finish for so long, then killed
    with pytest.raises(KeyError):
        with executor.Pool(workers=1) as pool:
            pool.start(True)
            with pool.stopping():
                pool.submit(time.sleep, 120)
                raise KeyError("boom")
    assert _processes(pool) and all(p.exitcode is not None for p in _processes(pool))


def _cells(path: Path) -> dict[str, list[tuple]]:
    book = openpyxl.load_workbook(path, read_only=True)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in book.worksheets}


def test_run_outputs_do_not_depend_on_the_workers(tmp_path, monkeypatch):
    outs = {}
    for forced in ("0", "1"):
        monkeypatch.setenv("SLRT_HELPER", forced)
        out = tmp_path / f"out{forced}"
        pipeline.run([SAMPLE / "desa"], [SAMPLE / "register" / "dtks_siksng.csv"], out, period="2025-10")
        outs[forced] = out
    names = sorted(str(p.relative_to(outs["0"])) for p in outs["0"].rglob("*") if p.is_file())
    assert names == sorted(str(p.relative_to(outs["1"])) for p in outs["1"].rglob("*") if p.is_file())
    assert any(n.startswith("perbaikan/") for n in names) and "laporan.xlsx" in names and "review.xlsx" in names
    for name in names:
        a, b = outs["0"] / name, outs["1"] / name
        if name.endswith(".parquet"):
            assert pl.read_parquet(a).equals(pl.read_parquet(b)), name
        elif name.endswith(".xlsx"):
            assert _cells(a) == _cells(b), name
        else:
            assert a.read_bytes() == b.read_bytes(), name


NO_MAIN_GUARD = """
import os, sys
from pathlib import Path
with open(sys.argv[3], "a") as runs:
    runs.write(f"{os.getpid()}\\n")
import slrt_cli
slrt_cli.run([sys.argv[1]], [sys.argv[2]], sys.argv[4], overwrite=True)
"""


def test_a_script_without_a_main_guard_runs_once(tmp_path):
    """Spawned workers would run the caller's main script again: a script without
    ``if __name__ == "__main__"`` would then start slrt_cli.run() inside a worker."""
    script = tmp_path / "bulan.py"
    script.write_text(NO_MAIN_GUARD)
    runs = tmp_path / "runs.txt"
    spied = tmp_path / "site"
    spied.mkdir()  # counts the workers started, in the script's own process
    (spied / "sitecustomize.py").write_text(
        "import os\nif os.environ.get('SLRT_TEST_COUNT'):\n"
        "    import concurrent.futures.process as p\n    real = p.ProcessPoolExecutor._spawn_process\n"
        "    def spawn(self):\n        open(os.environ['SLRT_TEST_COUNT'], 'a').write('worker\\n')\n"
        "        return real(self)\n    p.ProcessPoolExecutor._spawn_process = spawn\n")
    count = tmp_path / "workers.txt"
    env = {**os.environ, "SLRT_HELPER": "1", "PYTHONPATH": str(spied), "SLRT_TEST_COUNT": str(count)}
    proc = subprocess.run([sys.executable, str(script), str(SAMPLE / "desa"), str(SAMPLE / "register/dtks_siksng.csv"),
                           str(runs), str(tmp_path / "hasil")], capture_output=True, text=True, timeout=300, env=env,
                          cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert count.read_text().count("worker") >= 1  # the run did use workers
    assert len(runs.read_text().split()) == 1  # and the script ran once
    assert (tmp_path / "hasil" / "laporan.xlsx").is_file()


KILLED_PARENT = """
import time
from slrt_cli.executor import Pool
with Pool(workers=1) as pool:
    pool.start(True)
    pool.submit(time.sleep, 120)
    print(pool._context.processes[0].pid, flush=True)
    time.sleep(120)
"""


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="Linux: /proc tells whether a process lives")
def test_a_worker_leaves_when_slrt_is_killed(tmp_path):
    """kill -9 of slrt must not leave a worker writing on into an abandoned output folder."""
    parent = subprocess.Popen([sys.executable, "-c", KILLED_PARENT], cwd=tmp_path, stdout=subprocess.PIPE, text=True)
    worker = int(parent.stdout.readline())
    assert _alive(worker)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    for _ in range(600):  # poll: the worker is told by its parent's end of a pipe
        if not _alive(worker):
            break
        time.sleep(0.05)
    assert not _alive(worker)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().split(")")[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"
