"""The public API exactly as README's "Library use" shows it, in fresh interpreters.

Import order matters for a package's lazy exports (a sub-module imported by the pipeline
becomes a package attribute and can hide a function of the same name), so every order is
run in its own ``python`` process.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import slrt_cli

REPO = Path(__file__).resolve().parent.parent
DESA = REPO / "sample_data" / "desa"
REGISTER = REPO / "sample_data" / "register" / "dtks.parquet"

# Helpers of the scripts below: each check prints one JSON line the test reads back.
PRELUDE = f"""
import json, sys
import pandas as pd
DESA, REGISTER = {str(DESA)!r}, {str(REGISTER)!r}

def check_report(report):
    assert isinstance(report.rows, pd.DataFrame) and isinstance(report.issues, pd.DataFrame)
    counts = report.status_counts()
    assert sum(counts.values()) == len(report.rows) > 0, counts
    return {{"kind": "validate", "rows": len(report.rows), "issues": len(report.issues), "counts": counts}}

def check_month(month):
    frames = [month.links, month.not_found, month.households, month.changes]
    assert all(isinstance(f, pd.DataFrame) for f in frames), [type(f) for f in frames]
    return {{"kind": "run", "links": len(month.links), "data_rows": month.validation.table.height,
            "not_found": len(month.not_found), "households": len(month.households), "changes": len(month.changes)}}

def say(result):
    print(json.dumps(result), flush=True)
"""

CALLS = {
    "validate": "say(check_report(slrt_cli.validate([DESA])))",
    "run": "say(check_month(slrt_cli.run([DESA], [REGISTER])))",
}


def _python(body: str, cwd: Path) -> list[dict]:
    """Run ``body`` after PRELUDE in a fresh interpreter (in ``cwd``); the JSON lines it printed."""
    proc = subprocess.run([sys.executable, "-c", PRELUDE + textwrap.dedent(body)], cwd=cwd,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


@pytest.mark.parametrize("order", [("validate", "validate", "run", "run"), ("run", "validate", "run", "validate")])
def test_validate_and_run_called_again_in_any_order(order, tmp_path):
    results = _python("import slrt_cli\n" + "\n".join(CALLS[name] for name in order), tmp_path)
    assert [r["kind"] for r in results] == list(order)
    first = {r["kind"]: r for r in reversed(results)}
    assert all(r == first[r["kind"]] for r in results)  # the same answer every time
    month = first["run"]
    assert month["links"] == month["data_rows"] == first["validate"]["rows"]  # one line per data row
    assert month["households"] > 0
    assert list(tmp_path.iterdir()) == []  # no output folder given: nothing written


def test_from_import_after_the_pipeline_was_imported(tmp_path):
    results = _python(
        """
        import slrt_cli.pipeline                 # the pipeline (and every step) first
        from slrt_cli import validate, run, match_rows, ValidationReport, RunReport, SlrtError
        assert callable(validate) and callable(run) and callable(match_rows), (validate, run)
        report = validate([DESA])
        assert isinstance(report, ValidationReport)
        say(check_report(report))
        month = run([DESA], [REGISTER])
        assert isinstance(month, RunReport)
        say(check_month(month))
        import slrt_cli
        assert slrt_cli.validate is validate and slrt_cli.run is run
        assert issubclass(SlrtError, Exception)
        """,
        tmp_path,
    )
    assert [r["kind"] for r in results] == ["validate", "run"]


def test_column_mapping_and_inspect_as_the_readme_shows(tmp_path):
    (tmp_path / "kolom.toml").write_text('[kolom]\n"KOLOM ANEH" = "abaikan"\n', encoding="utf-8")
    results = _python(
        """
        import slrt_cli
        from slrt_cli.inspect import inspect_files
        docs = inspect_files([DESA], mapping="kolom.toml")
        assert docs and all(d["readable"] for d in docs), docs
        say(check_report(slrt_cli.validate([DESA], mapping="kolom.toml")))
        """,
        tmp_path,
    )
    assert results[0]["counts"]["accepted"] > 0


def test_no_sub_module_hides_a_public_name():
    modules = {m.name for m in pkgutil.iter_modules(slrt_cli.__path__)}
    assert not modules & set(slrt_cli.__all__), modules & set(slrt_cli.__all__)
    assert set(slrt_cli.__all__) <= set(dir(slrt_cli))


def test_public_names_are_typed_and_the_package_says_so():
    source = (REPO / "slrt_cli" / "__init__.py").read_text(encoding="utf-8")
    for name in slrt_cli.__all__:
        if name != "__version__":
            assert f" {name}" in source.split("if TYPE_CHECKING:")[1].split("\n\n")[0], name
    assert (REPO / "slrt_cli" / "py.typed").is_file()
    with pytest.raises(AttributeError):
        slrt_cli.no_such_name  # noqa: B018
