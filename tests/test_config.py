"""Config file, environment and flags; the output-folder lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slrt_cli.cli import app
from slrt_cli.lock import output_lock

REPO = Path(__file__).resolve().parent.parent
runner = CliRunner()


def show(*args, env=None):
    res = runner.invoke(app, ["config", "show", "--json", *args], env=env)
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_precedence_flag_over_env_over_file(tmp_path):
    cfg = tmp_path / "bulan.toml"
    cfg.write_text('period = "2026-10"\nout = "hasil"\nworkers = 2\ninputs = ["desa"]\n')
    body = show("--config", str(cfg))
    assert body["settings"]["period"] == "2026-10" and body["origin"]["period"] == f"file {cfg}"
    assert body["settings"]["inputs"] == [str(tmp_path / "desa")]  # relative to the file
    assert body["origin"]["lang"] == "default"
    body = show("--config", str(cfg), env={"SLRT_PERIOD": "2026-11", "SLRT_WORKERS": "3"})
    assert body["settings"]["period"] == "2026-11" and body["origin"]["period"] == "env"
    assert body["settings"]["workers"] == 3
    body = show("--config", str(cfg), "--lang", "en", env={"SLRT_LANG": "id"})
    assert body["settings"]["lang"] == "en" and body["origin"]["lang"] == "flag"


@pytest.mark.parametrize(
    "text, needle",
    [
        ("registr = ['x']\n", "registr"),  # unknown key: named
        ("workers = 'dua'\n", "workers"),  # wrong type: named
        ("period = \n", "tidak dapat dibaca"),  # TOML syntax
    ],
)
def test_bad_config_is_a_usage_error(tmp_path, text, needle):
    cfg = tmp_path / "c.toml"
    cfg.write_text(text)
    res = runner.invoke(app, ["config", "show", "--config", str(cfg)])
    assert res.exit_code == 2 and needle in res.stderr


def test_run_from_the_example_config(tmp_path):
    cfg = (REPO / "examples" / "bulan.toml").read_text()
    local = tmp_path / "bulan.toml"
    local.write_text(cfg.replace("../", str(REPO) + "/").replace(f'{REPO}/hasil/2025-10', str(tmp_path / "out")))
    res = runner.invoke(app, ["run", "--config", str(local), "--json"])
    assert res.exit_code == 0, res.output
    body = json.loads(res.stdout)
    assert body["match"]["register_rows"] == 3000
    assert (tmp_path / "out" / "reconciliation.csv").is_file()
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["period"] == "2025-10"


def test_run_without_inputs_says_so(tmp_path):
    res = runner.invoke(app, ["run", "--register", str(REPO / "sample_data/register/dtks.parquet"),
                              "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "berkas desa" in res.stderr


def test_second_run_on_the_same_folder_is_refused(tmp_path):
    out = tmp_path / "hasil"
    with output_lock(out):
        res = runner.invoke(app, ["validate", str(REPO / "sample_data/desa"), "--out", str(out)])
    assert res.exit_code == 2 and "sedang ditulis" in res.stderr
    res = runner.invoke(app, ["validate", str(REPO / "sample_data/desa"), "--out", str(out)])
    assert res.exit_code == 1  # lock released: the run completes


def test_a_lock_left_by_a_killed_process_does_not_block(tmp_path):
    out = tmp_path / "hasil"
    code = f"from slrt_cli.lock import output_lock\nimport time\nwith output_lock({str(out)!r}):\n    print('locked', flush=True)\n    time.sleep(60)\n"
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "locked"
    res = runner.invoke(app, ["validate", str(REPO / "sample_data/desa"), "--out", str(out)])
    assert res.exit_code == 2  # alive: refused
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.1)
    res = runner.invoke(app, ["validate", str(REPO / "sample_data/desa"), "--out", str(out)])
    assert res.exit_code == 1  # the stale lock file does not block
