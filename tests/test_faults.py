"""Fault injection: runs killed with SIGKILL at several moments, reruns, twin runs, idempotency."""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SLRT = str(Path(sys.executable).with_name("slrt"))
RUN = ["run", "-r", str(REPO / "sample_data/register/dtks_siksng.csv"), str(REPO / "sample_data/desa"), "-q"]
DATA_FILES = ("reconciliation.csv", "reconciliation.parquet", "not_found.csv", "changes.csv", "households.csv",
              "rows.parquet", "issues.csv", "summary.json")


def tree_hashes(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def slrt(*args: str, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([SLRT, *args], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "NO_COLOR": "1"}, **kw)


@pytest.fixture(scope="module")
def previous(tmp_path_factory):
    """A complete earlier run: the outputs that must survive any crash of a later run."""
    out = tmp_path_factory.mktemp("faults") / "hasil"
    proc = slrt(*RUN, "--out", str(out))
    assert proc.returncode == 0, proc.stderr
    return out, tree_hashes(out)


def test_same_inputs_give_byte_identical_files(previous, tmp_path):
    out, hashes = previous
    again = tmp_path / "again"
    assert slrt(*RUN, "--out", str(again)).returncode == 0
    other = tree_hashes(again)
    assert other == hashes  # every file, workbooks included
    for name in DATA_FILES:
        assert name in other


@pytest.mark.parametrize("delay", [0.05, 0.4, 0.9, 1.5, 2.5])
def test_a_killed_run_leaves_the_previous_outputs_intact(previous, delay):
    out, hashes = previous
    proc = subprocess.Popen([SLRT, *RUN, "--out", str(out), "--overwrite"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1"})
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    # whatever moment it died, the folder holds either the old outputs or (if it finished) identical new ones
    assert tree_hashes(out) == hashes
    leftovers = [p.name for p in out.parent.iterdir() if p.name.startswith(".slrt-")]
    # a staging folder may remain; the next run removes it and completes
    rerun = slrt(*RUN, "--out", str(out), "--overwrite")
    assert rerun.returncode == 0, rerun.stderr
    assert tree_hashes(out) == hashes
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".slrt-staging")], leftovers


@pytest.mark.parametrize("delay", [0.3, 1.0])
def test_ctrl_c_stops_every_process_and_changes_nothing(previous, delay):
    """Ctrl-C reaches the whole process group (slrt and its workers), as a terminal sends it."""
    out, hashes = previous
    proc = subprocess.Popen([SLRT, *RUN, "--out", str(out), "--overwrite"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "NO_COLOR": "1", "SLRT_HELPER": "1"},
                            start_new_session=True)
    time.sleep(delay)
    os.killpg(proc.pid, signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 130:
        assert "Ctrl-C" in err and "Traceback" not in err
    else:  # it had finished already
        assert proc.returncode == 0, err
    assert tree_hashes(out) == hashes
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".slrt-staging")]
    time.sleep(0.2)
    assert not _alive_helpers(proc.pid), "helpers left running"


def _alive_helpers(parent: int) -> list[str]:
    """Processes of slrt ``parent``: its process group (its workers are in it); zombies do not count."""
    ps = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True, text=True).stdout
    out = []
    for line in ps.splitlines():
        pid, pgid, stat, args = line.split(None, 3)
        mine = pgid == str(parent)
        if mine and not stat.startswith("Z"):
            out.append(f"{pid} {args[:80]}")
    return out


def test_two_runs_on_one_folder_at_once(tmp_path):
    out = tmp_path / "hasil"
    first = subprocess.Popen([SLRT, *RUN, "--out", str(out)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             text=True, env={**os.environ, "NO_COLOR": "1"})
    deadline = time.time() + 30
    lock = out.parent / f".{out.name}.lock"
    while not lock.exists() and time.time() < deadline:
        time.sleep(0.02)
    second = slrt(*RUN, "--out", str(out))
    first.wait(timeout=300)
    assert first.returncode == 0
    # while the first holds the lock the second is refused at once; had the first already
    # finished, the second would refuse to replace its outputs without --overwrite
    assert second.returncode == 2
    assert "sedang ditulis" in second.stderr or "--overwrite" in second.stderr
