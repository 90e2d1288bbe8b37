"""Sheet-level checks on which columns a sheet has."""

from __future__ import annotations

from slrt_cli.model import FileResult, Issue
from slrt_cli.schemas import Schema


def missing_columns(files: list[FileResult], schema: Schema) -> list[Issue]:
    """One COLUMN_MISSING issue per sheet and expected field the sheet lacks.

    The issue's ``column`` is the canonical field name; outputs show its label.
    """
    expected = schema.settings.get("expected_columns", [])
    severity = schema.severity("COLUMN_MISSING")
    out = []
    for f in files:
        for sheet in f.sheets:
            have = {c.field for c in sheet.columns if c.field}
            for name in expected:
                if name not in have:
                    out.append(
                        Issue("COLUMN_MISSING", severity, f.file, sheet.sheet, column=name, params={"field": name})
                    )
    return out
