"""A month run where the POSIX-only facilities do not exist (as on Windows): no ``fcntl`` (filelock
falls back to its soft lock), no ``os.fork``/``os.pread``/``os.pwrite``, no ``renameat2`` (the
output folder is replaced by two renames). The outputs must equal the normal run's, file for file."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data"
SLRT = str(Path(sys.executable).with_name("slrt"))

PRELUDE = """
import os, sys
sys.modules["fcntl"] = None
for name in ("fork", "forkpty", "pread", "pwrite", "register_at_fork"):
    if hasattr(os, name):
        delattr(os, name)
import slrt_cli.atomic as atomic
atomic.renameat2 = lambda: None
import slrt_cli.lock as lock
assert lock.FileLock is not lock.UnixFileLock, "fcntl was still used"
from slrt_cli.launch import main
sys.argv = ["slrt", *sys.argv[1:]]
main()
"""


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _run(cmd: list[str], *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "NO_COLOR": "1", "SLRT_HELPER": "1"}  # the worker processes too
    return subprocess.run([*cmd, *args], capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)


@pytest.mark.parametrize("command", ["run", "validate"])
def test_a_month_without_posix_facilities_gives_the_same_files(tmp_path, command):
    args = [str(SAMPLE / "desa"), "-q"]
    if command == "run":
        args = ["-r", str(SAMPLE / "register" / "dtks_siksng.csv"), *args]
    normal, portable = tmp_path / "biasa", tmp_path / "portabel"
    first = _run([SLRT, command], *args, "--out", str(normal))
    assert first.returncode in (0, 1), first.stderr
    for _ in range(2):  # the second run replaces the first's folder: by two renames here
        res = _run([sys.executable, "-c", PRELUDE, command], *args, "--out", str(portable), "--overwrite")
        assert res.returncode == first.returncode, res.stderr
        assert res.stderr == "", res.stderr  # no warning, no traceback
    assert _tree(portable) == _tree(normal)
    assert len(_tree(normal)) > 5
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".slrt-")]
