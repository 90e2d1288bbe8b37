"""Reproducible installs: bounded dependencies, the versions the suite passes with, what the wheel ships."""

from __future__ import annotations

import tomllib
from importlib.metadata import version
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

REPO = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
#: used only through other libraries (polars' and pandas' Arrow conversions): no upper bound of ours
UNBOUNDED = {"pyarrow"}


def _requirements(extra: str | None = None) -> list[Requirement]:
    project = PYPROJECT["project"]
    lines = project["dependencies"] if extra is None else project["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


def _constraints() -> dict[str, str]:
    pins = {}
    for line in (REPO / "constraints.txt").read_text(encoding="utf-8").splitlines():
        line = line.split("#")[0].strip()
        if line:
            name, _, pinned = line.partition("==")
            assert pinned, f"constraints.txt pins exact versions: {line}"
            pins[canonicalize_name(name)] = pinned
    return pins


def test_every_runtime_dependency_has_an_upper_bound():
    for req in _requirements():
        if req.name in UNBOUNDED:
            continue
        assert any(spec.operator in ("<", "<=", "~=", "==") for spec in req.specifier), req


def test_constraints_pin_every_dependency_within_its_bounds():
    pins = _constraints()
    assert "slrt-cli" not in pins  # the project itself is installed from the checkout
    for req in _requirements() + _requirements("test"):
        name = canonicalize_name(req.name)
        assert name in pins, f"constraints.txt lacks {req.name}"
        assert req.specifier.contains(pins[name], prereleases=True), (req, pins[name])


def test_installed_versions_are_within_the_bounds():
    for req in _requirements():
        assert req.specifier.contains(version(req.name), prereleases=True), (req, version(req.name))


def test_install_commands_use_the_constraints():
    assert "-c constraints.txt" in (REPO / "tools" / "test.sh").read_text(encoding="utf-8")
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    installs = [line for line in quick_start.splitlines() if "pip install" in line]
    assert installs and all("-c constraints.txt" in line for line in installs), installs


def test_the_wheel_ships_the_package_typed_and_not_the_generator():
    wheel = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["packages"] == ["slrt_cli"]
    assert (REPO / "slrt_cli" / "py.typed").is_file()
    assert (REPO / "slrt_synth" / "__init__.py").is_file() and not (REPO / "slrt_cli" / "synth").exists()
