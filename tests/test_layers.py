"""The dependency direction of STYLE.md ("Module layout and dependency direction"), checked on
every module's imports (read with ast: function-level and TYPE_CHECKING imports count too).

A module imports only from its own layer or lower ones; an L2 step imports no other L2 step
(modules of one sub-package, e.g. ``match/``, may import each other). Where the code rightly
differs from STYLE.md it is written down here, with the reason (README, Development).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGE = REPO / "slrt_cli"

#: unit (a top-level module or sub-package of slrt_cli) -> layer
LAYERS: dict[str, int] = {
    # L0: plain types, messages, masking, the garbage collector paused (collector)
    "errors": 0, "model": 0, "i18n": 0, "privacy": 0, "collector": 0,
    # L1: settings, schemas and reference data, and the file-system primitives every writer uses.
    # Not in STYLE.md's list: lock and atomic (the output lock, atomic files and folders: state.py,
    # template.py, uploads.py write through them); normalise_values (pure scalar rules, no I/O:
    # reading recognises a date column with the very parser normalisation uses).
    "config": 1, "schemas": 1, "reference": 1, "state": 1, "lock": 1, "atomic": 1, "normalise_values": 1,
    "upload_layouts": 1, "period": 1,
    # L2: the steps; none imports another (see ALLOWED)
    "io": 2, "normalise": 2, "checks": 2, "match": 2, "reconcile": 2, "report": 2, "export": 2,
    "uploads": 2, "template": 2, "schema_doc": 2, "invariants": 2, "layanan": 2,
    # L3: the steps wired together; the public API (slrt_cli/__init__.py re-exports pipeline's functions)
    "pipeline": 3, "registers": 3, "outputs": 3, "runs": 3, "inspect": 3, "executor": 3, "ingest": 3, "desk": 3, "dedup": 3, "engines": 3, "nasional": 3, "": 3,
    # L4: the command line
    "cli": 4, "launch": 4, "__main__": 4,
}

#: L2 step -> L2 step imports that are right, with the reason
ALLOWED: dict[tuple[str, str], str] = {
    ("uploads", "export"): "escape_formula: one CSV-injection rule for every CSV slrt writes",
}

#: names imported from the package root that are constants, not the public API (any layer may)
ROOT_CONSTANTS = {"__version__"}


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def unit(module: str) -> str:
    """``slrt_cli.io.readers`` -> ``io``; ``slrt_cli`` (the package root) -> ``""``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports (absolute names; ``from slrt_cli import x``: slrt_cli.x when a module)."""
    module = module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(anchor + ([node.module] if node.module else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                if (REPO / Path(*sub.split("."))).is_dir() or (REPO / Path(*sub.split("."))).with_suffix(".py").is_file():
                    found.add(sub)
                elif not (base == "slrt_cli" and alias.name in ROOT_CONSTANTS):
                    found.add(base)
    return found


def violations(module: str, imported: set[str]) -> list[str]:
    """What is wrong with ``module`` importing ``imported`` (empty when nothing is)."""
    out = []
    here = unit(module)
    for name in sorted(imported):
        top = name.split(".")[0]
        if top in ("slrt_synth", "tests", "benchmarks", "tools"):
            out.append(f"{module} imports {name}: development code is not shipped")
            continue
        if top != "slrt_cli":
            continue
        there = unit(name)
        if there == here:
            continue
        if there not in LAYERS:
            out.append(f"{name} has no layer in tests/test_layers.py LAYERS")
        elif LAYERS[there] > LAYERS[here]:
            out.append(f"{module} (L{LAYERS[here]}) imports {name} (L{LAYERS[there]}): a higher layer")
        elif LAYERS[there] == LAYERS[here] == 2 and (here, there) not in ALLOWED:
            out.append(f"{module} imports {name}: L2 steps do not import each other (pipeline wires them)")
    return out


MODULES = sorted(PACKAGE.rglob("*.py"))


def test_every_module_has_a_layer():
    missing = sorted({unit(module_name(p)) for p in MODULES} - set(LAYERS))
    assert not missing, f"add to LAYERS in tests/test_layers.py (and README, Development): {missing}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: module_name(p))
def test_imports_follow_the_layers(path):
    assert violations(module_name(path), imports(path)) == []


def test_the_check_catches_what_it_should():
    assert violations("slrt_cli.match.engine", {"slrt_cli.reconcile"})  # L2 -> L2
    assert violations("slrt_cli.model", {"slrt_cli.schemas"})  # L0 -> L1
    assert violations("slrt_cli.pipeline", {"slrt_cli.cli.output"})  # L3 -> L4
    assert violations("slrt_cli.match.names", {"slrt_synth.population"})  # the generator is not shipped
    assert violations("slrt_cli.io.readers", {"slrt_cli.nowhere"})  # an unknown unit
    assert not violations("slrt_cli.match.engine", {"slrt_cli.match.settings", "slrt_cli.schemas", "polars"})
    assert not violations("slrt_cli.uploads", {"slrt_cli.export"})  # ALLOWED, with its reason


def test_imports_are_read_right(tmp_path):
    found = imports(PACKAGE / "export.py")
    assert "slrt_cli.schemas" in found and "slrt_cli" not in found  # `from slrt_cli import __version__`
    assert "slrt_cli.checks" in imports(PACKAGE / "pipeline.py")
    assert "slrt_cli.match.settings" in imports(PACKAGE / "match" / "blocking.py")
