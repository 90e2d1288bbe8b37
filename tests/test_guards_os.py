"""The operating system's refusals and signals (issue 14) and portability of the output swap and lock (issue 10).

Synthetic data only: the bundled sample month and the messy folder of conftest.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slrt_cli import atomic, lock
from slrt_cli.cli import app
from slrt_cli.errors import os_failure

REPO = Path(__file__).resolve().parent.parent
SLRT = str(Path(sys.executable).with_name("slrt"))
DESA = str(REPO / "sample_data/desa")
REGISTER = str(REPO / "sample_data/register/dtks_siksng.csv")
runner = CliRunner()


def tree_hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def leftovers(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith((".slrt-staging-", ".slrt-old-")))


@pytest.fixture
def previous(tmp_path) -> tuple[Path, dict[str, str]]:
    """A complete earlier `slrt validate` output folder (exit 1: the sample month has errors)."""
    out = tmp_path / "hasil"
    res = runner.invoke(app, ["validate", DESA, "--out", str(out), "-q"])
    assert res.exit_code == 1, res.output
    return out, tree_hashes(out)


def validate(out: Path, *extra: str):
    return runner.invoke(app, ["validate", DESA, "--out", str(out), "--overwrite", *extra])


# ---------------------------------------------------------------- A. the OS refuses to write


def test_disk_full_is_named_with_exit_3_and_changes_nothing(previous, monkeypatch):
    out, hashes = previous

    def full(report, schema, path):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr("slrt_cli.export.write_rows", full)
    res = validate(out)
    assert res.exit_code == 3, res.output
    line = res.stderr.strip()
    assert "disk penuh" in line and str(out / "rows.parquet") in line  # the output path, not the staging folder
    assert "internal" not in line and "laporkan" not in line and len(line.splitlines()) == 1
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


def test_disk_full_in_english(previous, monkeypatch):
    out, hashes = previous
    def full(*args):
        raise OSError("failed to write: No space left on device (os error 28)")  # as polars says it

    monkeypatch.setattr("slrt_cli.export.write_rows", full)
    res = validate(out, "--lang", "en")
    assert res.exit_code == 3, res.output
    assert "the disk is full" in res.stderr and str(out) in res.stderr  # polars' text carries only "os error 28"
    assert tree_hashes(out) == hashes


def test_disk_full_in_the_fix_file_writer(previous, monkeypatch):
    """The villages' fix-files (written by workers for a large batch: their errors come back as
    they were raised, tests/test_helper.py): a full disk there is named too."""
    out, hashes = previous

    def full(prepared):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("slrt_cli.outputs.write_prepared", full)
    res = validate(out)
    assert res.exit_code == 3, res.output
    assert "disk penuh" in res.stderr and str(out) in res.stderr
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


def test_read_only_folder_is_named(previous, monkeypatch):
    """A read-only disk refuses the staging folder: simulated (chmod does not bind root)."""
    out, hashes = previous
    real_mkdir = os.mkdir

    def read_only(path, *args, **kw):
        if Path(path).name.startswith(".slrt-staging-"):
            raise OSError(errno.EROFS, "Read-only file system", str(path))
        return real_mkdir(path, *args, **kw)

    monkeypatch.setattr(os, "mkdir", read_only)
    res = validate(out)
    assert res.exit_code == 3, res.output
    assert "hanya-baca" in res.stderr and str(out) in res.stderr
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


def test_read_only_parent_really(tmp_path):
    """The real thing, where chmod binds (not as root)."""
    parent = tmp_path / "ro"
    parent.mkdir()
    parent.chmod(0o500)
    try:
        if os.access(parent, os.W_OK):
            pytest.skip("running as root (or on Windows): chmod does not make the folder read-only")
        res = validate(parent / "hasil")
        assert res.exit_code == 3, res.output
        assert "ditolak" in res.stderr and str(parent) in res.stderr
    finally:
        parent.chmod(0o700)


def test_permission_refused_on_the_lock(previous, monkeypatch):
    out, hashes = previous

    class Refused:
        def __init__(self, path, **kw):
            self.path = path

        def acquire(self):
            raise PermissionError(errno.EACCES, "Permission denied", self.path)

    monkeypatch.setattr(lock, "FileLock", Refused)
    res = validate(out, "--lang", "en")
    assert res.exit_code == 3, res.output
    assert "Access to" in res.stderr and ".hasil.lock" in res.stderr
    assert tree_hashes(out) == hashes


def test_path_too_long_is_named(tmp_path):
    """A real ENAMETOOLONG (a 300-character folder name)."""
    out = tmp_path / ("h" * 300)
    res = validate(out)
    assert res.exit_code == 3, res.output
    assert "terlalu panjang" in res.stderr and "hhhhhhhhhh" in res.stderr
    assert leftovers(tmp_path) == []


def test_a_failing_second_rename_puts_the_old_outputs_back(previous, monkeypatch):
    """Without renameat2, if the stage cannot take the place of ``out``, ``out`` is restored at once."""
    out, hashes = previous
    monkeypatch.setattr(atomic, "renameat2", lambda: None)
    real_replace = os.replace

    def refuse_stage(src, dst):
        if Path(src).name.startswith(".slrt-staging-"):
            raise PermissionError(errno.EACCES, "Access is denied", str(src))  # Windows: a file held open
        return real_replace(src, dst)

    monkeypatch.setattr(os, "replace", refuse_stage)
    res = validate(out)
    assert res.exit_code == 3, res.output
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


def test_os_failure_mapping():
    assert os_failure(OSError(errno.ENOSPC, "x", "/a/b")).params == {"path": "/a/b"}
    assert os_failure(OSError(errno.EPERM, "x"), "/o").code == "error_os_denied"
    assert os_failure(OSError(errno.ENAMETOOLONG, "x"), "/o").code == "error_os_name_too_long"
    assert os_failure(OSError("io error: Read-only file system (os error 30)"), "/o").code == "error_os_read_only"
    assert os_failure(OSError(errno.EIO, "x")) is None  # not something the operator can fix: internal
    assert os_failure(ValueError("x")) is None
    windows = OSError(errno.ENOENT, "x", "C:/a")
    windows.winerror = 206  # ERROR_FILENAME_EXCED_RANGE
    assert os_failure(windows).code == "error_os_name_too_long"


def test_an_unnamed_os_error_is_still_internal(previous, monkeypatch):
    out, hashes = previous
    def broken(*args):
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr("slrt_cli.export.write_rows", broken)
    res = validate(out)
    assert res.exit_code == 4
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


# ---------------------------------------------------------------- B. leftovers of killed runs


def test_leftovers_of_any_output_name_are_cleaned_but_not_a_live_run(previous):
    out, hashes = previous
    parent = out.parent
    dead = parent / ".slrt-staging-0123abcd-lain"  # a run on another output, killed with kill -9
    dead.mkdir()
    (dead / "rows.parquet").write_bytes(b"half")
    live = parent / ".slrt-staging-89abcdef-sibuk"  # a run on "sibuk" that is still writing
    live.mkdir()
    other = lock.try_lock(lock.lock_path(parent / "sibuk"))  # its lock, as another process holds it
    try:
        res = validate(out)
        assert res.exit_code == 1, res.output
        assert leftovers(parent) == [live.name]
    finally:
        other.release()
    res = validate(out)
    assert res.exit_code == 1
    assert leftovers(parent) == []


def test_a_live_run_in_another_process_is_left_alone(tmp_path):
    parent = tmp_path
    live = parent / ".slrt-staging-89abcdef-sibuk"
    live.mkdir()
    code = (f"from slrt_cli.lock import output_lock\nimport time\nwith output_lock({str(parent / 'sibuk')!r}):\n"
            "    print('locked', flush=True)\n    time.sleep(60)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline().strip() == "locked"
        assert validate(parent / "hasil").exit_code == 1
        assert live.is_dir()
    finally:
        proc.kill()
        proc.wait()
    assert validate(parent / "hasil").exit_code == 1
    assert not live.exists()


def test_no_process_is_probed_with_os_kill(previous, monkeypatch):
    """os.kill(pid, 0) would terminate the process on Windows: liveness comes from the lock."""
    out, _ = previous
    (out.parent / ".slrt-staging-0123abcd-lain").mkdir()

    def forbidden(*a):
        raise AssertionError("os.kill called")

    monkeypatch.setattr(os, "kill", forbidden)
    assert validate(out).exit_code == 1
    assert leftovers(out.parent) == []


# ---------------------------------------------------------------- C. the swap without renameat2


def test_two_renames_replace_the_outputs_where_there_is_no_renameat2(previous, monkeypatch, tmp_path):
    out, hashes = previous
    monkeypatch.setattr(atomic, "renameat2", lambda: None)
    messy = tmp_path / "lain"
    shutil.copytree(REPO / "sample_data/desa/CIBINONG", messy)
    res = runner.invoke(app, ["validate", str(messy), "--out", str(out), "--overwrite", "-q"])
    assert res.exit_code in (0, 1), res.output
    assert tree_hashes(out) != hashes
    assert [f["file"] for f in json.loads((out / "summary.json").read_text())["files"]] == sorted(
        p.name for p in messy.iterdir())
    assert leftovers(out.parent) == []


CRASH_BETWEEN_RENAMES = """
import os, sys
from pathlib import Path
from slrt_cli import atomic
from slrt_cli.pipeline import validate
atomic.renameat2 = lambda: None
real = os.replace
def replace(src, dst):
    if Path(src).name.startswith(".slrt-staging-"):
        os._exit(9)  # killed between the two renames
    return real(src, dst)
os.replace = replace
validate([sys.argv[1]], sys.argv[2], overwrite=True)
"""


def test_a_crash_between_the_two_renames_is_healed_by_the_next_run(previous):
    out, hashes = previous
    proc = subprocess.run([sys.executable, "-c", CRASH_BETWEEN_RENAMES, DESA, str(out)],
                          capture_output=True, text=True, timeout=300, env=dict(os.environ))
    assert proc.returncode == 9, proc.stderr
    assert not out.exists()  # the crash window: the previous outputs are parked ...
    parked = [n for n in leftovers(out.parent) if n.startswith(".slrt-old-")]
    assert len(parked) == 1 and tree_hashes(out.parent / parked[0]) == hashes
    # ... and the next run in that folder, even one refused for lack of --overwrite, puts them back
    res = runner.invoke(app, ["validate", DESA, "--out", str(out)])
    assert res.exit_code == 2 and "--overwrite" in res.stderr
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


def test_recovery_of_another_output_name(previous, tmp_path):
    """A run on one output heals a crash left by a run on another output in the same folder."""
    out, hashes = previous
    parked = out.parent / ".slrt-old-0123abcd-hasil"
    os.replace(out, parked)
    (out.parent / ".slrt-staging-89abcdef-hasil").mkdir()
    assert validate(out.parent / "lain", "-q").exit_code == 1
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


def test_lock_and_swap_import_without_fcntl(tmp_path):
    """Windows has no fcntl: slrt's own modules must not need it (filelock picks its backend)."""
    code = ("import sys, warnings\nsys.modules['fcntl'] = None\nwarnings.simplefilter('ignore')\n"
            "from slrt_cli.lock import output_lock\nfrom slrt_cli.atomic import staged_dir\n"
            f"with staged_dir({str(tmp_path / 'hasil')!r}) as s:\n    (s / 'summary.json').write_text('{{}}')\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.stdout.strip() == "ok", proc.stderr
    assert (tmp_path / "hasil" / "summary.json").read_text() == "{}"
    assert leftovers(tmp_path) == []


def test_owner_only_modes_where_the_system_has_them(previous, monkeypatch):
    out, _ = previous
    if os.name != "posix":
        pytest.skip("no POSIX modes")
    assert (out.stat().st_mode & 0o777) == 0o700
    assert (out / "summary.json").stat().st_mode & 0o777 == 0o600
    assert lock.lock_path(out).stat().st_mode & 0o077 == 0
    calls = []
    monkeypatch.setattr(os, "name", "nt")  # Windows: no chmod (its ACLs decide)
    monkeypatch.setattr(os, "chmod", lambda *a, **k: calls.append(a))
    atomic.owner_only(out, 0o700)
    assert calls == []


# ---------------------------------------------------------------- B. signals (real processes)


@pytest.fixture(scope="module")
def big(tmp_path_factory):
    """A batch that takes a few seconds (the sample month three times) and its complete earlier outputs."""
    root = tmp_path_factory.mktemp("signals")
    batch = root / "masuk"
    for i in range(3):
        shutil.copytree(DESA, batch / f"salinan{i}")
    out = root / "hasil"
    proc = subprocess.run([SLRT, "run", "-r", REGISTER, str(batch), "--out", str(out), "-q"],
                          capture_output=True, text=True, timeout=300, env={**os.environ, "NO_COLOR": "1"})
    assert proc.returncode == 0, proc.stderr
    return batch, out, tree_hashes(out)


def _wait_for(condition, proc, limit: float = 60.0) -> bool:
    """Poll until ``condition()`` holds (True) or the process ended (False)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():
            return True
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    return False


def _helpers_of(parent: int) -> list[str]:
    """The live processes of slrt's process group but slrt itself: its workers (started with
    ``start_new_session``, slrt leads its group; a worker stays in it even once orphaned)."""
    ps = subprocess.run(["ps", "-eo", "pid=,pgid=,stat=,args="], capture_output=True, text=True).stdout
    return [line for line in ps.splitlines()
            if line.split(None, 3)[1] == str(parent) and line.split(None, 3)[0] != str(parent)
            if line.split(None, 3)[2][:1] != "Z"]


MOMENTS = ["workers", "reading", "staging", "staging+0.3", "staging+0.8"]


@pytest.mark.skipif(os.name != "posix", reason="signals sent with os.kill")
@pytest.mark.parametrize("moment", MOMENTS)
def test_sigterm_discards_the_run_and_keeps_the_previous_outputs(big, moment):
    batch, out, hashes = big
    lockfile = out.parent / f".{out.name}.lock"
    proc = subprocess.Popen([SLRT, "run", "-r", REGISTER, str(batch), "--out", str(out), "--overwrite", "-q"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True,
                            env={**os.environ, "NO_COLOR": "1", "SLRT_HELPER": "1"})  # workers even for this batch
    if moment == "workers":  # the workers are starting (the villages' files are about to be read)
        reached = _wait_for(lambda: _helpers_of(proc.pid), proc)
    elif moment == "reading":  # the lock is held: the villages' files are being read
        reached = _wait_for(lambda: f"pid {proc.pid} " in _read(lockfile), proc)
    else:  # the outputs are being written
        reached = _wait_for(lambda: any(p.name.startswith(".slrt-staging-") for p in out.parent.iterdir()), proc)
        time.sleep(float(moment.partition("+")[2] or 0))
    assert reached, f"the run ended (exit {proc.wait()}) before the moment came: {proc.communicate()[1][-2000:]}"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    if proc.returncode == 0:  # it had just finished: identical outputs
        assert moment.startswith("staging+")
    else:
        assert proc.returncode == 143, err
        assert "SIGTERM" in err and "Traceback" not in err
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []
    # a worker told to stop may still be tearing down (ps shows it as "[python]") on a loaded machine
    # as slrt exits: gone within seconds; one left running stays
    deadline = time.monotonic() + 10
    while _helpers_of(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _helpers_of(proc.pid), "helpers left running"
    held = lock.try_lock(lockfile)
    assert held is not None  # the lock was released
    held.release()


def test_a_stop_signal_while_slrt_exits_ends_it_without_a_traceback(monkeypatch, capsys):
    # a SIGTERM that came once the command had returned, as slrt flushed and left (the run's outputs
    # already in place), went past every handler: a traceback and exit 1 (seen in CI at staging+0.8)
    from slrt_cli import cli, launch
    from slrt_cli.errors import Terminated

    def stopped(code):
        raise Terminated(signal.SIGTERM, "SIGTERM")

    monkeypatch.setattr(cli, "_leave", stopped)
    monkeypatch.setattr(sys, "argv", ["slrt", "--version"])
    monkeypatch.setattr(launch, "install_stop_signals", lambda: None)  # this process's handlers stay as they are
    monkeypatch.setattr(launch, "ignore_stop_signals", lambda: None)
    with pytest.raises(SystemExit) as ended:
        launch.main()
    assert ended.value.code == 128 + signal.SIGTERM
    err = capsys.readouterr().err
    assert "SIGTERM" in err and "Traceback" not in err


@pytest.mark.skipif(not hasattr(signal, "SIGHUP"), reason="no SIGHUP on Windows")
def test_sighup_is_handled_like_sigterm(big):
    batch, out, hashes = big
    proc = subprocess.Popen([SLRT, "run", "-r", REGISTER, str(batch), "--out", str(out), "--overwrite", "-q",
                             "--lang", "en"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "NO_COLOR": "1"})
    reached = _wait_for(lambda: any(p.name.startswith(".slrt-staging-") for p in out.parent.iterdir()), proc)
    assert reached, f"the run ended (exit {proc.wait()}) before the moment came: {proc.communicate()[1][-2000:]}"
    proc.send_signal(signal.SIGHUP)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 129, err
    assert "Stopped (SIGHUP)" in err and "Traceback" not in err
    assert tree_hashes(out) == hashes
    assert leftovers(out.parent) == []


def _read(path: Path) -> str:
    try:
        return path.read_text("ascii", "replace")
    except OSError:
        return ""


# ---------------------------------------------------------------- D. the small ones


def test_config_with_a_bom_and_a_tilde(tmp_path, monkeypatch):
    home = tmp_path / "rumah"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("USERPROFILE", str(home))  # Windows' expanduser
    cfg = tmp_path / "bulan.toml"
    cfg.write_bytes(b"\xef\xbb\xbf" + b'out = "~/hasil/2026-11"\ninputs = ["~/masuk"]\nperiod = "2026-11"\n')
    res = runner.invoke(app, ["config", "show", "--config", str(cfg), "--json"])
    assert res.exit_code == 0, res.output
    assert str(home / "hasil" / "2026-11") in res.stdout and str(home / "masuk") in res.stdout
    assert "~" not in res.stdout


def test_tilde_in_environment_paths(tmp_path, monkeypatch):
    from slrt_cli.config import from_env

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("USERPROFILE", str(tmp_path))
    got = from_env({"SLRT_OUT": "~/hasil", "SLRT_REGISTER": "~/dtks.csv"})
    assert got["out"] == str(tmp_path / "hasil")
    assert got["register"] == [str(tmp_path / "dtks.csv")]


@pytest.mark.parametrize("args,code", [(["schema", "show"], 0), (["schema", "show", "--json"], 0),
                                       (["validate", DESA, "--json"], 1)])
def test_a_closed_stdout_pipe_ends_quietly_with_the_commands_own_code(args, code, tmp_path):
    """`slrt … | head -1`: the reader is gone before slrt writes (deterministic: its end is closed first)."""
    if args[0] == "validate":
        args = [*args, "--out", str(tmp_path / "hasil")]
    r, w = os.pipe()
    os.close(r)
    try:
        proc = subprocess.run([SLRT, *args], stdout=w, stderr=subprocess.PIPE, text=True, timeout=300,
                              env={**os.environ, "NO_COLOR": "1"})
    finally:
        os.close(w)
    assert proc.returncode == code, proc.stderr
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr and "internal" not in proc.stderr
