"""Comparison levels of candidate pairs (vectorised: polars + rapidfuzz ``cpdist``).

A pair frame has the columns of both sides with suffixes ``_b`` (batch) and
``_r`` (register). Each field gets a level code: 0 = a value missing on either
side (weighs 0), 1.. = the position of the level in ``schemas/match.toml``
(best first). String similarities use rapidfuzz ``process.cpdist`` over whole
arrays of pairs, never a Python loop per pair.

Person fields (name, birth date, sex, NIK, carried person id) are computed for
every candidate pair; household fields (:func:`household_levels`) only for the
pairs that can still reach the review threshold.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import OSA, JaroWinkler

from slrt_cli.match.names import vowel_stem
from slrt_cli.match.settings import FieldLevels, MatchSettings

PERSON_FIELDS = ("nik", "name", "dob", "sex", "person_id")
HOUSEHOLD_FIELDS = ("kk", "household_id", "mother", "address", "rtrw", "desa", "hub")


def jaro_winkler(a: pl.Series, b: pl.Series) -> np.ndarray:
    """Jaro-Winkler similarity of two aligned string columns (0 where either is null)."""
    out = np.zeros(len(a), dtype=np.float32)
    mask = (a.is_not_null() & b.is_not_null()).to_numpy()
    if mask.any():
        idx = np.flatnonzero(mask)
        left = a.gather(idx).to_list()
        right = b.gather(idx).to_list()
        out[idx] = process.cpdist(left, right, scorer=JaroWinkler.normalized_similarity, workers=-1)
    return out


def digit_differences(a: np.ndarray, b: np.ndarray, ndigits: int) -> np.ndarray:
    """Number of decimal digit positions in which two int arrays differ."""
    diff = np.zeros(len(a), dtype=np.int8)
    x, y = a.copy(), b.copy()
    for _ in range(ndigits):
        diff += (x % 10 != y % 10).astype(np.int8)
        x //= 10
        y //= 10
    return diff


def near_digits(a: np.ndarray, b: np.ndarray, ndigits: int) -> np.ndarray:
    """True where two numbers differ in one digit, or by two neighbouring digits swapped."""
    x, y = a.copy(), b.copy()
    da = np.empty((len(a), ndigits), dtype=np.int8)
    db = np.empty((len(b), ndigits), dtype=np.int8)
    for k in range(ndigits):
        da[:, k], db[:, k] = x % 10, y % 10
        x //= 10
        y //= 10
    neq = da != db
    n = neq.sum(axis=1)
    swap = (neq[:, :-1] & neq[:, 1:] & (da[:, :-1] == db[:, 1:]) & (da[:, 1:] == db[:, :-1])).any(axis=1)
    return (n == 1) | ((n == 2) & swap)


def _could_be_near(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Cheap test: ``|a - b|`` without its trailing zeros is at most 81 (one digit off gives
    at most 9, two neighbouring digits swapped 9 x their difference)."""
    v = np.abs(a - b)
    for _ in range(16):
        z = (v % 10 == 0) & (v > 0)
        if not z.any():
            break
        v = np.where(z, v // 10, v)
    return v <= 81


def _near_column(p: pl.DataFrame, name: str) -> pl.Series:
    """:func:`near_digits` of two 16-digit columns, computed only where both differ."""
    a, b = p[f"{name}_b"], p[f"{name}_r"]
    out = np.zeros(p.height, dtype=bool)
    idx = np.flatnonzero((a.is_not_null() & b.is_not_null() & (a != b)).fill_null(False).to_numpy())
    if len(idx):
        av, bv = a.gather(idx).to_numpy(), b.gather(idx).to_numpy()
        maybe = np.flatnonzero(_could_be_near(av, bv))
        if len(maybe):
            out[idx[maybe]] = near_digits(av[maybe], bv[maybe], 16)
    return pl.Series(out)


def _levels(f: FieldLevels, conds: list[tuple[str, pl.Expr]], null: pl.Expr) -> pl.Expr:
    """Level code: 0 when ``null``; else the first level whose condition holds; else the last."""
    expr = pl.when(null).then(pl.lit(0, pl.UInt8))
    for name, cond in conds:
        expr = expr.when(cond).then(pl.lit(f.index(name), pl.UInt8))
    return expr.otherwise(pl.lit(len(f.levels), pl.UInt8))


def _c(name: str, side: str) -> pl.Expr:
    return pl.col(f"{name}_{side}")


def _nik_levels(p: pl.DataFrame, f: FieldLevels) -> pl.Expr:
    a, b = _c("_nik", "b"), _c("_nik", "r")
    dmg = _c("_nik_dmg", "b") | _c("_nik_dmg", "r")
    both = a.is_not_null() & b.is_not_null()
    near = _near_column(p, "_nik")
    return _levels(
        f,
        [
            ("exact", (a == b) & ~dmg),
            ("damaged15", (a // 10 == b // 10) & dmg),
            ("same_date_block", a // 10_000 == b // 10_000),
            ("one_off", pl.lit(near)),
        ],
        ~both,
    )


def _name_levels(p: pl.DataFrame, f: FieldLevels, sim: str) -> pl.Expr:
    core_b, core_r = _c("name_cmp", "b"), _c("name_cmp", "r")
    # a lone initial that fits: M. / MUHAMMAD, A / AHMAD
    initial = ((core_b.str.len_chars() == 1) & core_r.str.starts_with(core_b)) | (
        (core_r.str.len_chars() == 1) & core_b.str.starts_with(core_r)
    )
    length = pl.min_horizontal(core_b.str.len_chars(), core_r.str.len_chars())
    dist = pl.col("name_dist")
    typo = ((dist <= 1) & (length >= 4)) | ((dist <= 2) & (length >= 9))
    pad_b = pl.lit(" ") + core_b + pl.lit(" ")
    pad_r = pl.lit(" ") + core_r + pl.lit(" ")
    subset = pad_b.str.contains(pad_r, literal=True) | pad_r.str.contains(pad_b, literal=True)
    return _levels(
        f,
        [
            ("exact", _c("name_norm", "b") == _c("name_norm", "r")),
            ("reordered", _c("name_hash", "b") == _c("name_hash", "r")),
            ("core_equal", core_b == core_r),
            ("similar", ((pl.col(sim) >= f.params.get("similar", 0.92)) | typo) & ~pl.col("name_clash")),
            ("subset", subset),
            ("weak", (pl.col(sim) >= f.params.get("weak", 0.80)) | initial),
        ],
        _c("name_norm", "b").is_null() | _c("name_norm", "r").is_null(),
    )


def _dob_levels(p: pl.DataFrame, f: FieldLevels) -> pl.Expr:
    yb, mb, db = _c("_y", "b"), _c("_m", "b"), _c("_d", "b")
    yr, mr, dr = _c("_y", "r"), _c("_m", "r"), _c("_d", "r")
    nb = (p["_d_b"].fill_null(0) * 1_000_000 + p["_m_b"].fill_null(0) * 10_000 + p["_y_b"].fill_null(0)).to_numpy()
    nr = (p["_d_r"].fill_null(0) * 1_000_000 + p["_m_r"].fill_null(0) * 10_000 + p["_y_r"].fill_null(0)).to_numpy()
    ndiff = pl.Series(digit_differences(nb.astype(np.int64), nr.astype(np.int64), 8))
    return _levels(
        f,
        [
            ("exact", _c("_dob", "b") == _c("_dob", "r")),
            ("swap", (yb == yr) & (db == mr) & (mb == dr)),
            ("one_digit", pl.lit(ndiff) == 1),
            ("year_near", (yb - yr).abs() <= f.params.get("year_near", 1)),
        ],
        _c("_dob", "b").is_null() | _c("_dob", "r").is_null(),
    )


def _equal_levels(f: FieldLevels, name: str) -> pl.Expr:
    a, b = _c(name, "b"), _c(name, "r")
    return _levels(f, [(f.levels[0], a == b)], a.is_null() | b.is_null())


def person_levels(p: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Add ``name_sim`` and the level codes ``lv_nik``, ``lv_name``, ``lv_dob``, ``lv_sex``, ``lv_person_id``."""
    fl = settings.fields
    # distinctive words are compared; the whole key when one side has none (SITI vs SITI PUTRI)
    fallback = _c("name_core_fb", "b").fill_null(False) | _c("name_core_fb", "r").fill_null(False)
    p = p.with_columns(
        pl.when(fallback).then(_c("name_norm", side)).otherwise(_c("name_core", side)).alias(f"name_cmp_{side}")
        for side in ("b", "r")
    )
    a_all, b_all = p["name_cmp_b"], p["name_cmp_r"]
    sim = np.ones(p.height, dtype=np.float32)
    differ = (a_all != b_all).fill_null(True).to_numpy()
    if differ.any():
        idx = np.flatnonzero(differ)
        sim[idx] = jaro_winkler(a_all.gather(idx), b_all.gather(idx))
    # edit distance (with transpositions) for typos early in the name, where Jaro-Winkler is harsh
    dist = np.full(p.height, 99, dtype=np.int32)
    mid = np.flatnonzero(differ & (sim >= 0.6))
    if len(mid):
        dist[mid] = process.cpdist(
            a_all.gather(mid).to_list(), b_all.gather(mid).to_list(), scorer=OSA.distance, workers=-1
        )
    # RIZKI / RIZKA, PUTRA / PUTRI: a different final vowel is another name (twins!), not a typo
    clash = np.zeros(p.height, dtype=bool)
    near = np.flatnonzero(differ & ((sim >= 0.8) | (dist <= 2)))
    if len(near):
        stems = p[near].select(vowel_stem(pl.col("name_cmp_b")).alias("a"), vowel_stem(pl.col("name_cmp_r")).alias("b"))
        clash[near] = stems.select(pl.col("a") == pl.col("b")).to_series().fill_null(False).to_numpy()
    p = p.with_columns(pl.Series("name_sim", sim), pl.Series("name_dist", dist), pl.Series("name_clash", clash))
    p = p.with_columns(
        _nik_levels(p, fl["nik"]).alias("lv_nik"),
        _name_levels(p, fl["name"], "name_sim").alias("lv_name"),
        _dob_levels(p, fl["dob"]).alias("lv_dob"),
        _equal_levels(fl["sex"], "_sex").alias("lv_sex"),
        _equal_levels(fl["person_id"], "_pid").alias("lv_person_id"),
    )
    # A birth date or sex read from the village NIK is compared like a written one (the NIK's
    # u is counted among people born the same day), except when the two NIKs are close: then
    # a disagreement is the NIK typo itself, already weighed by the NIK level.
    close = [fl["nik"].index(x) for x in ("exact", "damaged15", "one_off", "same_date_block")]
    near = pl.col("lv_nik").is_in(close)
    dob_typo = near & (_c("_dob_nik", "b") | _c("_dob_nik", "r")) & (pl.col("lv_dob") != fl["dob"].index("exact"))
    sex_typo = near & (_c("_sex_nik", "b") | _c("_sex_nik", "r")) & (pl.col("lv_sex") != fl["sex"].index("equal"))
    return p.with_columns(
        pl.when(dob_typo).then(pl.lit(0, pl.UInt8)).otherwise("lv_dob").alias("lv_dob"),
        pl.when(sex_typo).then(pl.lit(0, pl.UInt8)).otherwise("lv_sex").alias("lv_sex"),
    )


def household_levels(p: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Add the level codes of the household fields (``lv_kk`` ... ``lv_hub``)."""
    fl = settings.fields
    mother_sim = jaro_winkler(p["mother_norm_b"], p["mother_norm_r"])
    addr_sim = jaro_winkler(p["_addr_b"], p["_addr_r"])
    kk_near = _near_column(p, "_kk")
    kk_dmg = _c("_kk_dmg", "b") | _c("_kk_dmg", "r")
    kb, kr = _c("_kk", "b"), _c("_kk", "r")
    f_m, f_a = fl["mother"], fl["address"]
    return p.with_columns(
        _levels(
            fl["kk"],
            [("exact", (kb == kr) | (kk_dmg & (kb // 10 == kr // 10))), ("one_off", pl.lit(kk_near))],
            kb.is_null() | kr.is_null(),
        ).alias("lv_kk"),
        _equal_levels(fl["household_id"], "_hid").alias("lv_household_id"),
        _levels(
            f_m,
            [
                ("exact", _c("mother_norm", "b") == _c("mother_norm", "r")),
                ("similar", pl.lit(mother_sim) >= f_m.params.get("similar", 0.9)),
            ],
            _c("mother_norm", "b").is_null() | _c("mother_norm", "r").is_null(),
        ).alias("lv_mother"),
        _levels(
            f_a,
            [("similar", pl.lit(addr_sim) >= f_a.params.get("similar", 0.88))],
            _c("_addr", "b").is_null() | _c("_addr", "r").is_null(),
        ).alias("lv_address"),
        _levels(
            fl["rtrw"],
            [
                ("equal", (_c("_rt", "b") == _c("_rt", "r")) & (_c("_rw", "b") == _c("_rw", "r"))),
                ("rw_only", _c("_rw", "b") == _c("_rw", "r")),
            ],
            _c("_rt", "b").is_null() | _c("_rt", "r").is_null() | _c("_rw", "b").is_null() | _c("_rw", "r").is_null(),
        ).alias("lv_rtrw"),
        _levels(
            fl["desa"],
            [("equal", _c("_desa", "b") == _c("_desa", "r")), ("same_kec", _c("_kec", "b") == _c("_kec", "r"))],
            _c("_desa", "b").is_null() | _c("_desa", "r").is_null(),
        ).alias("lv_desa"),
        _equal_levels(fl["hub"], "_hub").alias("lv_hub"),
    )


#: batch/register columns a pair frame needs
PERSON_COLUMNS = (
    "_nik",
    "_nik_dmg",
    "name_norm",
    "name_hash",
    "name_core",
    "name_core_fb",
    "_dob",
    "_y",
    "_m",
    "_d",
    "_sex",
    "_pid",
    "_dob_nik",
    "_sex_nik",
)
HOUSEHOLD_COLUMNS = ("_kk", "_kk_dmg", "_hid", "mother_norm", "_addr", "_rt", "_rw", "_desa", "_kec", "_hub")


def _gather(frame: pl.DataFrame, idx: str, keys: pl.Series, columns: tuple[str, ...], suffix: str) -> pl.DataFrame:
    """Rows of ``frame`` whose ``idx`` equals ``keys`` (in that order): a gather, not a join."""
    ids = frame[idx].to_numpy()
    if len(keys) == 0 or len(ids) == 0:
        return frame.select(columns).clear().rename({c: f"{c}_{suffix}" for c in columns})
    pos = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    pos[ids] = np.arange(len(ids))
    take = pos[keys.to_numpy()]
    if (take < 0).any():
        raise KeyError(f"pairs refer to {idx} values missing from the frame")
    return frame.select(columns)[take].rename({c: f"{c}_{suffix}" for c in columns})


def pair_frame(
    pairs: pl.DataFrame, batch: pl.DataFrame, register: pl.DataFrame, columns: tuple[str, ...]
) -> pl.DataFrame:
    """Pairs with the given columns of both sides (suffixes ``_b`` and ``_r``)."""
    b = _gather(batch, "_b", pairs["_b"], columns, "b")
    r = _gather(register, "_r", pairs["_r"], columns, "r")
    return pl.concat([pairs, b, r], how="horizontal")
