"""The state folder: what slrt remembers between monthly runs.

- ``processed.csv``: every input file processed, by SHA-256, with the period it
  was processed in. A file sent again in a later period is reported, not
  counted twice.
- ``decisions.parquet``: reviewers' decisions on ``review`` pairs. A decision
  is keyed by the *content* of the village row (normalised name, birth date,
  NIK, sex) and the register person, not by file and row number, so that it
  applies again when the same person is sent next month in another file.

Default location: ``<out>.state`` beside the output folder (it must survive
``--overwrite``, which replaces the output folder as a whole). Files are
written atomically (temporary file + rename) and readable by the owner only.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import polars as pl

from slrt_cli.atomic import atomic_write
from slrt_cli.schemas import Schema

PROCESSED = "processed.csv"
DECISIONS = "decisions.parquet"
DECISION_VALUES = ("sama", "beda")

PROCESSED_SCHEMA = {"sha256": pl.Utf8, "period": pl.Utf8, "file": pl.Utf8}
DECISION_SCHEMA = {
    "row_key": pl.Utf8,
    "person_id": pl.Utf8,
    "keputusan": pl.Utf8,
    "period": pl.Utf8,
    "source_file": pl.Utf8,
    "source_sheet": pl.Utf8,
    "source_row": pl.Int64,
}


def default_state_dir(out: Path) -> Path:
    out = Path(out)
    return out.parent / f"{out.name}.state"


def row_key_expr() -> pl.Expr:
    """Content key of a village row: the same person written the same way gives the same key."""
    parts = [
        pl.col("nama").fill_null(""),
        pl.col("tanggal_lahir").cast(pl.Utf8).fill_null(""),
        pl.col("nik").fill_null(""),
        pl.col("jenis_kelamin").fill_null(""),
    ]
    return pl.concat_str(parts, separator="|")


def row_keys(rows: pl.DataFrame) -> pl.Series:
    """Stable (version-independent) hashes of :func:`row_key_expr` for every row."""
    texts = rows.select(row_key_expr()).to_series().to_list()
    return pl.Series("row_key", [hashlib.blake2b(t.encode(), digest_size=12).hexdigest() for t in texts])


class State:
    """Read and update the state folder."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    # ---- processed files

    def processed(self) -> pl.DataFrame:
        path = self.folder / PROCESSED
        if not path.is_file():
            return pl.DataFrame(schema=PROCESSED_SCHEMA)
        return pl.read_csv(path, schema=PROCESSED_SCHEMA)

    def earlier_periods(self, files: list[tuple[str, str]], period: str) -> dict[str, tuple[str, str]]:
        """For each (file, sha256) already processed in *another* period: file -> (period, earlier file)."""
        known = {sha: (p, f) for sha, p, f in self.processed().iter_rows() if p != period}
        return {name: known[sha] for name, sha in files if sha and sha in known}

    def record_processed(self, files: list[tuple[str, str]], period: str) -> None:
        old = self.processed()
        new = pl.DataFrame(
            {"sha256": [s for _, s in files if s], "period": [period] * sum(1 for _, s in files if s),
             "file": [f for f, s in files if s]},
            schema=PROCESSED_SCHEMA,
        )
        merged = pl.concat([old, new]).unique(["sha256", "period"], keep="first").sort(["period", "file", "sha256"])
        self._write(PROCESSED, lambda p: merged.write_csv(p))

    # ---- review decisions

    def decisions(self) -> pl.DataFrame:
        path = self.folder / DECISIONS
        if not path.is_file():
            return pl.DataFrame(schema=DECISION_SCHEMA)
        return pl.read_parquet(path)

    def record_decisions(self, new: pl.DataFrame) -> None:
        """Add decisions; a later decision on the same (row_key, person_id) replaces the earlier one."""
        if not new.height:
            return
        merged = (
            pl.concat([self.decisions(), new.select(list(DECISION_SCHEMA)).cast(DECISION_SCHEMA)])
            .unique(["row_key", "person_id"], keep="last")
            .sort(["row_key", "person_id"])
        )
        self._write(DECISIONS, lambda p: merged.write_parquet(p))

    def _write(self, name: str, writer) -> None:
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        atomic_write(self.folder / name, writer)


# ---- decisions read from review.xlsx, checked against this batch


def resolve_decisions(
    raw: pl.DataFrame, rows: pl.DataFrame, register: pl.DataFrame, period: str, schema: Schema
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Check decisions read from review.xlsx against this batch; return (valid decisions, issues)."""
    keys = ["source_file", "source_sheet", "source_row"]
    current = rows.select(keys).with_columns(row_keys(rows))
    raw = raw.with_columns(pl.col("source_sheet").fill_null(""))
    joined = raw.join(current.with_columns(pl.col("source_sheet").fill_null("")), on=keys, how="left")
    known_person = pl.col("person_id").is_in(register["person_id"].implode())
    detail = (
        pl.when(~pl.col("keputusan").is_in(list(DECISION_VALUES)))
        .then(pl.format("nilai '{}' bukan sama/beda", pl.col("keputusan")))
        .when(pl.col("row_key").is_null())
        .then(pl.lit("baris desa itu tidak ada lagi di kiriman ini"))
        .when(~known_person)
        .then(pl.lit("person_id tidak ada di DTKS/DTSEN"))
    )
    checked = joined.with_columns(detail.alias("_bad"))
    bad = checked.filter(pl.col("_bad").is_not_null()).select(
        pl.lit("DECISION_INVALID").alias("code"), pl.lit(schema.severity("DECISION_INVALID")).alias("severity"),
        pl.lit("review.xlsx").alias("file"), pl.lit("").alias("sheet"), pl.col("review_row").alias("row"),
        pl.lit("keputusan").alias("column"), pl.col("keputusan").alias("value"),
        pl.struct(pl.col("review_row").cast(pl.Utf8).alias("row"), pl.col("_bad").alias("detail"))
        .struct.json_encode().alias("params"),
    )
    good = checked.filter(pl.col("_bad").is_null()).select(
        "row_key", "person_id", "keputusan", pl.lit(period).alias("period"), *keys
    )
    return good.cast(DECISION_SCHEMA), bad


def decisions_for(rows: pl.DataFrame, decisions: pl.DataFrame) -> pl.DataFrame:
    """Decisions (kept or new) that concern rows of this batch: row keys, person_id, keputusan."""
    keys = ["source_file", "source_sheet", "source_row"]
    if not decisions.height:
        return pl.DataFrame(schema={"source_file": pl.Utf8, "source_sheet": pl.Utf8, "source_row": pl.Int64,
                                    "person_id": pl.Utf8, "keputusan": pl.Utf8})
    latest = decisions.unique(["row_key", "person_id"], keep="last")
    current = rows.select(keys).with_columns(row_keys(rows))
    return current.join(latest.select("row_key", "person_id", "keputusan"), on="row_key").select(
        keys + ["person_id", "keputusan"]
    )
