"""Validation step: normalised batch -> per-row status and issues (pandera, polars backend)."""

from slrt_cli.validate.checks import SOURCE_COLUMNS, ensure_columns
from slrt_cli.validate.columns import missing_columns
from slrt_cli.validate.engine import BatchValidation, validate_batch

__all__ = ["SOURCE_COLUMNS", "BatchValidation", "ensure_columns", "missing_columns", "validate_batch"]
