"""Cross-district duplicates: one person proposed or verified by villages of two kabupaten in the
same month (``cross_district_duplicates.csv`` of ``slrt nasional``).

A pair of village rows of two kabupaten is listed when

- both rows are linked to the same register person (``matched``, or ``duplicate`` of it: the
  one-to-one assignment links one row and marks the other), with the lower of the two scores; or
- the rows themselves are probably one person (:func:`slrt_cli.match.dedup.find_duplicates` run
  on the villages' rows: equal NIK with agreeing name and birth date, or, when the NIKs differ or
  are missing, the same name, birth date and sex with one more tie); this finds the persons the
  register does not hold yet, such as a newborn proposed by two districts.

Rows of one kabupaten are never paired here (within a district the matcher's ``duplicate`` does
that). Deterministic: the pairs do not depend on the order of the rows.
"""

from __future__ import annotations

import polars as pl

from slrt_cli.i18n import catalog
from slrt_cli.match.dedup import find_duplicates
from slrt_cli.match.settings import MatchSettings

KEYS = ["source_file", "source_sheet", "source_row"]
COLUMNS = [
    "source_file_a", "source_sheet_a", "source_row_a", "kode_kab_a",
    "source_file_b", "source_sheet_b", "source_row_b", "kode_kab_b",
    "person_id", "score", "alasan",
]
_SEP = "\x1f"


def row_kabupaten(rows: pl.DataFrame) -> pl.Expr:
    """A village row's kabupaten: its ``kode_kab``, else the first four digits of its ``kode_desa``."""
    kab = pl.col("kode_kab").cast(pl.Utf8) if "kode_kab" in rows.columns else pl.lit(None, pl.Utf8)
    desa = pl.col("kode_desa").cast(pl.Utf8).str.slice(0, 4) if "kode_desa" in rows.columns else pl.lit(None, pl.Utf8)
    return pl.coalesce(kab, desa)


def _key() -> pl.Expr:
    return pl.concat_str([pl.col("source_file"), pl.col("source_sheet").fill_null(""),
                          pl.col("source_row").cast(pl.Utf8).str.zfill(9)], separator=_SEP)


def _ordered(pairs: pl.DataFrame) -> pl.DataFrame:
    """Each pair once, side a the row with the smaller key."""
    swap = pl.col("key_a") > pl.col("key_b")
    return pairs.with_columns(
        pl.when(swap).then(pl.col("key_b")).otherwise(pl.col("key_a")).alias("key_a"),
        pl.when(swap).then(pl.col("key_a")).otherwise(pl.col("key_b")).alias("key_b"),
    )


def cross_district_duplicates(
    rows: pl.DataFrame, links: pl.DataFrame, settings: MatchSettings | None = None, lang: str = "id"
) -> pl.DataFrame:
    """Pairs of village rows of two kabupaten that are probably one person (:data:`COLUMNS`)."""
    texts = catalog(lang)
    base = rows.filter(pl.col("status") != "rejected") if "status" in rows.columns else rows
    base = base.with_columns(row_kabupaten(base).alias("_kab"), _key().alias("_key")).filter(pl.col("_kab").is_not_null())
    keyed = base.select("_key", "_kab", *KEYS)

    linked = (links.filter(pl.col("outcome").is_in(["matched", "duplicate"]) & pl.col("person_id").is_not_null())
              .select(*KEYS, "person_id", "score").join(keyed, on=KEYS))
    same = linked.join(linked, on="person_id", suffix="_o").filter(
        (pl.col("_kab") != pl.col("_kab_o")) & (pl.col("_key") < pl.col("_key_o")))
    by_link = same.select(
        pl.col("_key").alias("key_a"), pl.col("_key_o").alias("key_b"), "person_id",
        pl.min_horizontal("score", "score_o").alias("score"),
        pl.lit(texts.get("cross_same_person", "")).alias("alasan"), pl.lit(0).alias("_src"),
    )

    pseudo = base.drop("person_id", strict=False).with_columns(pl.col("_key").alias("person_id"))
    found = find_duplicates(pseudo, settings, lang=lang).filter(pl.col("kind") == "same_person")
    kab_of = keyed.select(pl.col("_key"), "_kab")
    found = (found.join(kab_of.rename({"_key": "person_id_a", "_kab": "kab_a"}), on="person_id_a")
             .join(kab_of.rename({"_key": "person_id_b", "_kab": "kab_b"}), on="person_id_b")
             .filter(pl.col("kab_a") != pl.col("kab_b")))
    by_rows = _ordered(found.select(
        pl.col("person_id_a").alias("key_a"), pl.col("person_id_b").alias("key_b"),
        pl.lit(None, pl.Utf8).alias("person_id"), "score", "alasan", pl.lit(1).alias("_src"),
    ))
    pairs = (pl.concat([by_link, by_rows], how="vertical_relaxed").sort("key_a", "key_b", "_src")
             .unique(["key_a", "key_b"], keep="first", maintain_order=True))
    side = keyed.select("_key", "_kab", *KEYS)
    out = (pairs.join(side.rename(lambda c: f"{c.lstrip('_')}_a" if c != "_key" else "key_a"), on="key_a")
           .join(side.rename(lambda c: f"{c.lstrip('_')}_b" if c != "_key" else "key_b"), on="key_b"))
    out = out.rename({"kab_a": "kode_kab_a", "kab_b": "kode_kab_b"})
    return out.with_columns(pl.col("score").round(4)).sort("key_a", "key_b").select(COLUMNS)
