"""Validation step, run by :func:`slrt_cli.validate`: normalised batch -> row statuses and issues (pandera)."""

from slrt_cli.checks.rules import SOURCE_COLUMNS, ensure_columns
from slrt_cli.checks.columns import missing_columns
from slrt_cli.checks.engine import BatchValidation, validate_batch

__all__ = ["SOURCE_COLUMNS", "BatchValidation", "ensure_columns", "missing_columns", "validate_batch"]
