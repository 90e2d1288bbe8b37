"""slrt: import, validate, match and reconcile SLRT/Puskesos verivali files.

The public API is small; analysts get pandas DataFrames from it::

    import slrt_cli
    report = slrt_cli.validate(["sample_data/desa"], out="hasil", overwrite=True)
    report.rows            # pandas DataFrame, one row per data row read
    report.issues          # pandas DataFrame, one row per problem
    report.status_counts() # {'accepted': ..., 'flagged': ..., 'rejected': ...}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

__all__ = ["validate", "run", "match_rows", "ValidationReport", "RunReport", "SlrtError", "__version__"]

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time the names load on first use
    from slrt_cli.errors import SlrtError
    from slrt_cli.model import ValidationReport
    from slrt_cli.pipeline import match_rows, run, validate
    from slrt_cli.runs import RunReport

#: public name -> the module that defines it. No sub-module of slrt_cli may share one of these
#: names: importing it would set the package attribute and hide the function (tests/test_public_api.py).
_LAZY = {
    "validate": "slrt_cli.pipeline",
    "run": "slrt_cli.pipeline",
    "match_rows": "slrt_cli.pipeline",
    "RunReport": "slrt_cli.runs",
    "ValidationReport": "slrt_cli.model",
    "SlrtError": "slrt_cli.errors",
}


def __getattr__(name: str) -> Any:
    # Imported lazily so that `slrt --help` and `import slrt_cli` stay fast.
    if name not in _LAZY:
        raise AttributeError(f"module 'slrt_cli' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value  # later look-ups skip __getattr__
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
