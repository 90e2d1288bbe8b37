"""slrt: import, validate, match and reconcile SLRT/Puskesos verivali files.

The public API is small; analysts get pandas DataFrames from it::

    import slrt_cli
    report = slrt_cli.validate(["sample_data/desa"], out="hasil", overwrite=True)
    report.rows            # pandas DataFrame, one row per data row read
    report.issues          # pandas DataFrame, one row per problem
    report.status_counts() # {'accepted': ..., 'flagged': ..., 'rejected': ...}
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["validate", "run", "match_rows", "ValidationReport", "RunReport", "SlrtError", "__version__"]


def __getattr__(name: str):
    # Imported lazily so that `slrt --help` and `import slrt_cli` stay fast.
    if name == "validate":
        from slrt_cli.pipeline import validate

        return validate
    if name in ("run", "match_rows", "RunReport"):
        from slrt_cli import pipeline

        return getattr(pipeline, name)
    if name == "ValidationReport":
        from slrt_cli.model import ValidationReport

        return ValidationReport
    if name == "SlrtError":
        from slrt_cli.errors import SlrtError

        return SlrtError
    raise AttributeError(f"module 'slrt_cli' has no attribute {name!r}")
