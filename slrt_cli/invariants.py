"""What must hold of a month's results before they are published.

:func:`check_reconciliation` is called on every run after matching and before the
outputs are written (so before the staging folder is swapped in): a broken
invariant is a bug in slrt, never a property of the data, and publishing the
results anyway would corrupt the month silently. It raises
:class:`InvariantError` (exit 4) and nothing is published.

The invariants:

1. exactly one reconciliation line per data row (none lost, none doubled, none invented);
2. no register person linked (``matched``) to two rows;
3. no register person both ``not_found`` and linked to a row (matched, duplicate or review),
   and none listed twice as not found.
"""

from __future__ import annotations

import polars as pl

from slrt_cli.errors import EXIT_INTERNAL, SlrtError

KEYS = ["source_file", "source_sheet", "source_row"]
#: outcomes that tie a row to a register person (such a person is never "not found")
SEEN = ("matched", "duplicate", "review")


class InvariantError(SlrtError):
    """A result that must never happen (a bug): nothing is published."""

    exit_code = EXIT_INTERNAL

    def __init__(self, detail: str) -> None:
        super().__init__("error_invariant", detail=detail)


def check_reconciliation(rows: pl.DataFrame, reconciliation: pl.DataFrame, not_found: pl.DataFrame) -> None:
    """Raise :class:`InvariantError` when the reconciliation breaks one of the invariants.

    Args:
        rows: the batch's data rows (``rows.parquet``): ``source_file``, ``source_sheet``, ``source_row``.
        reconciliation: one line per row: the keys, ``outcome``, ``person_id``.
        not_found: register persons expected but in no row: ``person_id``.

    Example:
        >>> check_reconciliation(rows, rec.reconciliation, rec.not_found)   # doctest: +SKIP
    """
    problems = one_line_per_row(rows, reconciliation) + linked_once(reconciliation) + \
        not_found_apart(reconciliation, not_found)
    if problems:
        raise InvariantError("; ".join(problems))


def one_line_per_row(rows: pl.DataFrame, reconciliation: pl.DataFrame) -> list[str]:
    """Every data row has exactly one reconciliation line, and every line a data row."""
    lines = _keys(reconciliation)
    data = _keys(rows)
    out = []
    doubled = lines.filter(lines.is_duplicated()).unique().height
    if doubled:
        out.append(f"{doubled} data rows have more than one reconciliation line")
    lost = data.join(lines, on=KEYS, how="anti", nulls_equal=True).height
    if lost:
        out.append(f"{lost} data rows have no reconciliation line")
    invented = lines.join(data, on=KEYS, how="anti", nulls_equal=True).unique().height
    if invented:
        out.append(f"{invented} reconciliation lines belong to no data row")
    if not out and lines.height != data.height:
        out.append(f"{lines.height} reconciliation lines for {data.height} data rows")
    return out


def linked_once(reconciliation: pl.DataFrame) -> list[str]:
    """A register person is matched to one row at most (a second row for them is a ``duplicate``)."""
    matched = reconciliation.filter((pl.col("outcome") == "matched") & pl.col("person_id").is_not_null())
    twice = matched.filter(pl.col("person_id").is_duplicated())["person_id"].n_unique()
    return [f"{twice} register persons are matched to more than one row"] if twice else []


def not_found_apart(reconciliation: pl.DataFrame, not_found: pl.DataFrame) -> list[str]:
    """A register person tied to a row is never "not found"; nobody is "not found" twice."""
    seen = reconciliation.filter(pl.col("outcome").is_in(SEEN) & pl.col("person_id").is_not_null())
    both = not_found.join(seen.select("person_id").unique(), on="person_id", how="semi")["person_id"].n_unique()
    out = [f"{both} register persons are both linked to a row and not found"] if both else []
    twice = not_found.filter(pl.col("person_id").is_duplicated())["person_id"].n_unique()
    if twice:
        out.append(f"{twice} register persons are listed twice as not found")
    return out


def _keys(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("source_file").cast(pl.Utf8), pl.col("source_sheet").cast(pl.Utf8).fill_null(""),
        pl.col("source_row").cast(pl.Int64),
    )
