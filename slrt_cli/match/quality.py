"""Link quality against a ground truth (for tests and benchmarks on synthetic data).

``truth`` has the row key and ``true_person_id`` (null for a person not in the
register). Rejected rows are left out. Definitions:

- **precision**: share of ``matched`` rows linked to their true person;
- **recall**: share of the register people present in the batch that some row
  links (``matched``) to, correctly; a second row of the same person should be
  ``duplicate``, so it is not counted twice;
- **review rate**: share of rows sent to ``review``;
- **new precision / recall**: rows called ``new`` that are new / new rows called ``new``;
- **duplicate precision**: ``duplicate`` rows whose person really is the one named.
"""

from __future__ import annotations

import polars as pl

KEY = ["source_file", "source_sheet", "source_row"]


def link_quality(out: pl.DataFrame, truth: pl.DataFrame) -> dict[str, float]:
    """Quality figures of a :func:`slrt_cli.match.match` result against ``truth``.

    Example:
        >>> q = link_quality(match(batch, register), truth)  # doctest: +SKIP
        >>> q["f1"]  # doctest: +SKIP
    """
    j = out.join(truth.select(*KEY, "true_person_id"), on=KEY, how="left")
    live = j.filter(pl.col("outcome") != "rejected")
    matched = live.filter(pl.col("outcome") == "matched")
    correct = matched.filter(pl.col("person_id") == pl.col("true_person_id"))
    present = live.filter(pl.col("true_person_id").is_not_null())["true_person_id"].n_unique()
    found = correct["true_person_id"].n_unique()
    precision = correct.height / matched.height if matched.height else 1.0
    recall = found / present if present else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    called_new = live.filter(pl.col("outcome") == "new")
    truly_new = live.filter(pl.col("true_person_id").is_null())
    dups = live.filter(pl.col("outcome") == "duplicate")
    return {
        "rows": float(out.height),
        "live_rows": float(live.height),
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "false_links": float(matched.height - correct.height),
        "review_rate": live.filter(pl.col("outcome") == "review").height / max(live.height, 1),
        "new_precision": called_new.filter(pl.col("true_person_id").is_null()).height / max(called_new.height, 1),
        "new_recall": truly_new.filter(pl.col("outcome") == "new").height / max(truly_new.height, 1),
        "duplicate_precision": dups.filter(pl.col("person_id") == pl.col("true_person_id")).height
        / max(dups.height, 1),
    }
