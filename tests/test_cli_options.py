"""The options every command takes: defined once (cli/options.py), accepted after each command's name."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from slrt_cli.cli import app

REPO = Path(__file__).resolve().parent.parent
SHARED = ("--lang", "--json", "--quiet", "-q", "--verbose", "-v", "--debug", "--log-file", "--no-color")


def _command_paths() -> list[tuple[str, ...]]:
    """Every command, as typed: `validate`, …, and the sub-commands (`schema show`, `config show`)."""
    paths = [(c.name,) for c in app.registered_commands]
    for group in app.registered_groups:
        paths += [(group.name, c.name) for c in group.typer_instance.registered_commands]
    return paths


def test_every_command_is_covered():
    names = {" ".join(p) for p in _command_paths()}
    assert {"validate", "inspect", "run", "match", "report", "template", "schema show", "config show"} <= names


@pytest.mark.parametrize("path", _command_paths(), ids=" ".join)
def test_every_command_takes_the_shared_options_after_its_name(path):
    res = CliRunner().invoke(app, [*path, "--help"])
    assert res.exit_code == 0, res.output
    for option in SHARED:
        assert f" {option}" in res.stdout, (path, option)


def test_the_shared_options_are_declared_in_one_place():
    for path in (REPO / "slrt_cli" / "cli" / "commands").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        for name in ("o.Lang", "o.Quiet", "o.Verbose", "o.Debug", "o.LogFile", "o.Json", "o.NoColor"):
            assert name not in text, f"{path.name} declares {name}: use @o.common_options"


def test_shared_options_after_the_command_reach_it(tmp_path):
    log = tmp_path / "slrt.log"
    res = CliRunner().invoke(app, ["schema", "show", "--lang", "en", "-v", "--log-file", str(log), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["schema_version"]
    assert log.exists()
    res = CliRunner().invoke(app, ["config", "show", "--json", "--lang", "en", "-q"])
    doc = json.loads(res.stdout)
    assert doc["settings"]["lang"] == "en" and doc["origin"]["lang"] == "flag"
    assert doc["settings"]["quiet"] is True
    res = CliRunner().invoke(app, ["template", "--out", str(tmp_path / "t.txt"), "--lang", "xx"])
    assert res.exit_code == 2
