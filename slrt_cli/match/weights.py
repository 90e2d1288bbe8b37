"""Fellegi-Sunter weights estimated from the data, and the scoring of pairs.

- **u** (how often a level occurs between two *different* people) comes from
  random pairs. "Random" is a hash of the row keys, never a random generator or
  the row order: the same inputs give the same weights.
- **m** (how often a level occurs between two records of the *same* person)
  comes from confirmed pairs, each field from pairs confirmed *without* it:
  names from equal-NIK pairs whose birth date agrees, birth dates from equal-NIK
  pairs whose name agrees, the NIK from pairs with the same name and birth date,
  the other fields from equal-NIK pairs whose name and birth date agree.
- Both are pulled towards the defaults of ``schemas/match.toml`` by a
  pseudo-count, so a small batch still gets sensible weights.
- **Term frequencies**: a name made of common words (SITI AMINAH, MUHAMMAD
  RIZKI) weighs less than a rare one, a common birth date (1 January, 31
  December) less than another: ``log2(u_level / u_value)``, clamped, where
  ``u_value`` is the share of register people with that birth date, or with all
  those name words (the whole name for exact agreement, its distinctive words for
  partial agreement; the rarer side of the pair counts).
- The **prior** is the share of batch rows expected in the register (estimated
  from the rows whose NIK is found) divided by the register size.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from slrt_cli.match import compare
from slrt_cli.match.blocking import Blocker
from slrt_cli.match.features import RegisterFeatures, explode_words, word_hash
from slrt_cli.match.names import phonetic
from slrt_cli.match.settings import FIELDS, BlockingRule, MatchSettings

_HASH_SEED = 20261101
TF_NAME_LEVELS = ("exact", "reordered", "core_equal", "similar", "subset")
TF_DOB_LEVELS = ("exact", "swap")


@dataclass
class Weights:
    """Estimated model: m, u and weights (bits) per field level, prior, term frequencies.

    ``bits[field][i]`` is the weight of level ``i + 1`` (level 0, a missing
    value, weighs 0). ``word_bits`` maps a phonetic name word (as
    :func:`slrt_cli.match.features.word_hash`) to
    ``-log2(share of register people whose name has it)``; ``dob_bits`` the same
    for birth dates (days since 1970).
    """

    m: dict[str, tuple[float, ...]]
    u: dict[str, tuple[float, ...]]
    bits: dict[str, tuple[float, ...]]
    prior_bits: float
    match_share: float
    n_register: int
    word_bits: dict[int, float]
    dob_bits: dict[int, float]
    common: frozenset[int]
    frequent: frozenset[int] = frozenset()
    diagnostics: dict[str, Any] = field(default_factory=dict)
    #: (``_hid``, ``hh_n``): register household sizes, when the register matched is a slice of a
    #: larger one (:mod:`slrt_cli.match.slice`); None: counted on the register matched
    household_sizes: pl.DataFrame | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain values for a run record (no personal data: words are phonetic keys only)."""
        return {
            "m": self.m,
            "u": self.u,
            "bits": self.bits,
            "prior_bits": self.prior_bits,
            "match_share": self.match_share,
            "n_register": self.n_register,
            "n_common_words": len(self.common),
            "diagnostics": self.diagnostics,
        }


@dataclass
class TermTables:
    """Term frequencies of the register: bits of each name word and birth date, common words."""

    n_register: int
    word_bits: dict[int, float]
    dob_bits: dict[int, float]
    common: frozenset[int]
    frequent: frozenset[int]
    household_sizes: pl.DataFrame | None = None  # (``_hid``, ``hh_n``) of the whole register, for a slice


def term_tables(reg: pl.DataFrame, settings: MatchSettings, words: pl.DataFrame | None = None) -> TermTables:
    """Term frequencies from the register (``words``: its :func:`explode_words` rows, when computed)."""
    words = words if words is not None else explode_words(reg, "_r", settings.names)
    counts = words.group_by("w").agg(pl.len().cast(pl.UInt64).alias("n"))
    dobs = reg.group_by("_dob").agg(pl.len().cast(pl.UInt64).alias("n"))
    return tables_from_counts(counts, dobs, reg.height, settings)


def tables_from_counts(
    words: pl.DataFrame, dobs: pl.DataFrame, n_register: int, settings: MatchSettings
) -> TermTables:
    """Term tables from integer counts: (``w``, ``n``) per name word, (``_dob``, ``n``) per birth date.

    Counts of pieces of a register add up to the counts of the whole (:mod:`slrt_cli.match.slice`).
    """
    n_reg = max(n_register, 1)
    table = words.select("w", (pl.col("n") / n_reg).alias("p"))
    common_share = table.filter(pl.col("p") > settings.common_token_share)["w"].to_list()
    listed = word_hash(pl.Series([phonetic(w) for w in sorted(settings.names.common)], dtype=pl.Utf8)).to_list()
    common = frozenset(common_share) | frozenset(listed)
    frequent = frozenset(table.filter(pl.col("p") > settings.frequent_token_share)["w"].to_list())
    floor = 0.5 / n_reg
    word_bits = dict(zip(table["w"].to_list(), (-np.log2(np.maximum(table["p"].to_numpy(), floor))).tolist()))
    dobs = dobs.select("_dob", (pl.col("n") / n_reg).alias("p")).drop_nulls()
    dob_bits = dict(zip(dobs["_dob"].to_list(), (-np.log2(np.maximum(dobs["p"].to_numpy(), floor))).tolist()))
    return TermTables(n_reg, word_bits, dob_bits, common, frequent)


def _sample_size(n_register: int, n_pairs: int) -> int:
    return min(n_register, max(2000, int(math.sqrt(n_pairs) * 20)))


def _u_sample(reg: pl.DataFrame, size: int) -> pl.DataFrame:
    """(``_r``, ``h``): the ``size`` register rows with the smallest hash of their values."""
    key_r = pl.struct("_pid", "_hid", "_nik", "nama")
    return reg.select("_r", key_r.hash(_HASH_SEED).alias("h")).bottom_k(size, by=["h", "_r"])


def _dob_rows(reg: pl.DataFrame) -> pl.DataFrame:
    r = reg.select("_r", "_dob", pl.col("_nik").alias("_nik_r"), pl.col("_pid").alias("_pid_r"))
    return r.filter(pl.col("_nik_r").is_not_null() & pl.col("_dob").is_not_null())


def _dob_sample(reg: pl.DataFrame, n_pairs: int) -> pl.DataFrame:
    return _hash_pick(_dob_rows(reg), ["_nik_r", "_pid_r"], max(20_000, n_pairs), _HASH_SEED + 6)


def sample_candidates(piece: pl.DataFrame, n_register: int, settings: MatchSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The rows of a piece of the register (``_r`` global) that may be in the hash samples
    :func:`estimate_prepared` draws from the whole register, with what orders them: (``_r``, ``h``)
    and (``_r``, ``_nik_r``, ``_pid_r``). The smallest hashes of each piece include those of the
    whole that fall in it; :func:`merge_samples` picks the whole register's."""
    a = _u_sample(piece, _sample_size(n_register, settings.u_pairs))
    b = _dob_sample(piece, settings.u_pairs).select("_r", "_nik_r", "_pid_r")
    return a, b


def merge_samples(a: list[pl.DataFrame], b: list[pl.DataFrame], n_register: int, settings: MatchSettings) -> pl.Series:
    """``_r`` of the rows the whole register's samples hold, from every piece's :func:`sample_candidates`."""
    size = _sample_size(n_register, settings.u_pairs)
    ra = pl.concat(a).bottom_k(size, by=["h", "_r"])["_r"] if a else pl.Series("_r", [], pl.UInt32)
    bb = pl.concat(b, how="vertical_relaxed") if b else None
    rb = (_hash_pick(bb, ["_nik_r", "_pid_r"], max(20_000, settings.u_pairs), _HASH_SEED + 6)["_r"]
          if bb is not None else pl.Series("_r", [], pl.UInt32))
    return pl.concat([ra.cast(pl.UInt32), rb.cast(pl.UInt32)]).unique().sort()


def _hash_sample(batch: pl.DataFrame, reg: pl.DataFrame, n_pairs: int, n_register: int) -> pl.DataFrame:
    """Pseudo-random pairs chosen by hashes of the row keys (order-independent)."""
    if batch.height == 0 or reg.height == 0:
        return pl.DataFrame(schema={"_b": pl.UInt32, "_r": pl.UInt32})
    size = _sample_size(n_register, n_pairs)
    sample = _u_sample(reg, size).sort("h", "_r")
    sample = sample.with_row_index("j")
    k = max(1, min(size, -(-n_pairs // batch.height)))
    key_b = pl.struct("source_file", "source_sheet", "source_row")
    hb = batch.select("_b", key_b.hash(_HASH_SEED + 1).alias("h"))
    step = max(1, size // k)
    pairs = (
        hb.with_columns(pl.int_ranges(0, k).alias("t"))
        .explode("t")
        .select("_b", ((pl.col("h") % size + pl.col("t") * step) % size).cast(pl.UInt32).alias("j"))
    )
    return pairs.join(sample.select("j", "_r"), on="j").select("_b", "_r")


def _hash_pick(df: pl.DataFrame, keys: list[str], n: int, seed: int) -> pl.DataFrame:
    """The ``n`` rows with the smallest hash of the ``keys`` columns (then the keys
    themselves break ties): a sample that depends on the values, never on row order.
    ``keys`` must not include a register position (``_r``)."""
    if df.height <= n:
        return df
    return df.with_columns(pl.struct(keys).hash(seed).alias("_h")).bottom_k(n, by=["_h", *keys]).drop("_h")


def _with_pid(pairs: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """Pairs with the register person id (a value to hash, unlike the position ``_r``)."""
    return pl.concat([pairs, compare._gather(reg, "_r", pairs["_r"], ("_pid",), "r")], how="horizontal")


def _same_dob_sample(batch: pl.DataFrame, reg: pl.DataFrame, n_pairs: int) -> pl.DataFrame:
    """Pairs with the same birth date, chosen by a hash (for the u of the NIK, which encodes the date)."""
    b = batch.filter(pl.col("_nik").is_not_null() & pl.col("_dob").is_not_null()).select("_b", "_dob", "_nik")
    b = _hash_pick(b, ["_nik", "_b"], max(2000, n_pairs // 10), _HASH_SEED + 4)
    r = _dob_sample(reg, n_pairs)
    pairs = b.join(r, on="_dob").filter(pl.col("_nik") != pl.col("_nik_r"))
    return _hash_pick(pairs, ["_nik", "_nik_r", "_b", "_pid_r"], n_pairs, _HASH_SEED + 3).select("_b", "_r")


def _nik_only(pairs: pl.DataFrame, batch: pl.DataFrame, reg: pl.DataFrame, settings: MatchSettings) -> pl.Series:
    cols = ("_nik", "_nik_dmg")
    p = compare.pair_frame(pairs, batch, reg, cols)
    return p.select(compare._nik_levels(p, settings.fields["nik"]).alias("lv_nik"))["lv_nik"]


def _compare_all(
    pairs: pl.DataFrame, batch: pl.DataFrame, cache: RegisterFeatures, settings: MatchSettings
) -> pl.DataFrame:
    if pairs.height == 0:
        return pl.DataFrame(
            {"_b": pl.Series([], dtype=pl.UInt32), "_r": pl.Series([], dtype=pl.UInt32)}
            | {f"lv_{f}": pl.Series([], dtype=pl.UInt8) for f in FIELDS}
        )
    regf = cache.get(pairs["_r"])
    p = compare.pair_frame(pairs, batch, regf, compare.PERSON_COLUMNS + compare.HOUSEHOLD_COLUMNS)
    p = compare.person_levels(p, settings)
    return compare.household_levels(p, settings)


def _proportions(levels: pl.Series, n_levels: int) -> tuple[np.ndarray, int]:
    counts = np.bincount(levels.to_numpy().astype(np.int64), minlength=n_levels + 1)[1:]
    return counts.astype(float), int(counts.sum())


def _smooth(counts: np.ndarray, n: int, default: tuple[float, ...], alpha: float) -> tuple[float, ...]:
    d = np.asarray(default, dtype=float)
    d = d / d.sum()
    return tuple(float(x) for x in (counts + alpha * d) / (n + alpha))


def _level_ids(settings: MatchSettings, fname: str, names: tuple[str, ...]) -> list[int]:
    f = settings.fields[fname]
    return [f.index(x) for x in names if x in f.levels]


def _m_sources(levels: pl.DataFrame, settings: MatchSettings) -> dict[str, pl.DataFrame]:
    """Confirmed pairs for the m of each field (never confirmed by that field itself)."""
    name_ok = pl.col("lv_name").is_in(_level_ids(settings, "name", ("exact", "reordered", "core_equal", "similar")))
    dob_ok = pl.col("lv_dob").is_in(_level_ids(settings, "dob", ("exact", "swap", "one_digit")))
    nik_eq = levels.filter(pl.col("_src") == "nik")
    both = nik_eq.filter(name_ok & dob_ok)
    out = {f: both for f in FIELDS}
    out["name"] = nik_eq.filter(pl.col("lv_dob").is_in(_level_ids(settings, "dob", ("exact", "swap"))))
    out["dob"] = nik_eq.filter(name_ok)
    exact_name = pl.col("lv_name").is_in(_level_ids(settings, "name", ("exact", "reordered")))
    out["nik"] = levels.filter(
        (pl.col("_src") == "name_dob") & exact_name & (pl.col("lv_dob") == settings.fields["dob"].index("exact"))
    )
    return out


def _prior_share(nik_pairs: pl.DataFrame, batch: pl.DataFrame, settings: MatchSettings) -> float:
    if settings.match_share is not None:
        return settings.match_share
    with_nik = batch.filter(pl.col("_nik").is_not_null() & ~pl.col("_nik_dmg") & (pl.col("_status") != "rejected"))
    if with_nik.height < 30:
        return settings.match_share_default
    weak = settings.fields["name"].index(settings.doubt_name_level)
    found = nik_pairs.filter(pl.col("lv_name") < weak)["_b"].n_unique()
    share = found / with_nik.height
    return min(max(share, settings.match_share_min), settings.match_share_max)


def estimate_prepared(
    batch: pl.DataFrame,
    reg: pl.DataFrame,
    settings: MatchSettings,
    cache: RegisterFeatures | None = None,
    tables: TermTables | None = None,
    name_dob_pairs: pl.DataFrame | None = None,
) -> Weights:
    """:func:`slrt_cli.match.estimate` on frames already prepared by :mod:`features`.

    ``cache`` keeps the register features computed here for the matching that
    follows; ``tables`` and ``name_dob_pairs`` (the pairs of the name + birth-date
    blocking rule) save work when the caller already has them.
    """
    cache = cache if cache is not None else RegisterFeatures(reg, settings.names)
    tables = tables if tables is not None else term_tables(reg, settings)
    n_reg, word_bits, dob_bits, common = tables.n_register, tables.word_bits, tables.dob_bits, tables.common

    live = batch.filter(pl.col("_status") != "rejected")
    nik_pairs = (
        live.filter(pl.col("_nik").is_not_null() & ~pl.col("_nik_dmg"))
        .select("_b", "_nik")
        .join(reg.select("_r", "_nik"), on="_nik")
        .select("_b", "_r")
    )
    n_nik_pairs = nik_pairs.height
    nik_pairs = _hash_pick(_with_pid(nik_pairs, reg), ["_b", "_pid_r"], settings.m_pairs, _HASH_SEED + 5).select(
        "_b", "_r"
    )
    nik_pairs = nik_pairs.with_columns(pl.lit("nik").alias("_src"))
    if name_dob_pairs is None:
        rule = next(
            (x for x in settings.blocking if x.name == "name_dob"), BlockingRule("name_dob", ("name_token", "dob_key"))
        )
        name_dob_pairs = Blocker(live, reg, settings.names, common, tables.frequent).rule_pairs(rule).unique()
    nd_pairs = name_dob_pairs.join(live.select("_b"), on="_b", how="semi")
    nd_pairs = _hash_pick(_with_pid(nd_pairs, reg), ["_b", "_pid_r"], settings.m_pairs, _HASH_SEED + 2).select(
        "_b", "_r"
    )
    nd_pairs = nd_pairs.with_columns(pl.lit("name_dob").alias("_src"))
    conf = pl.concat([nik_pairs, nd_pairs])
    conf_lv = pl.concat(
        [
            conf.select("_src"),
            _compare_all(conf.select("_b", "_r"), batch, cache, settings).select(*[f"lv_{f}" for f in FIELDS], "_b"),
        ],
        how="horizontal",
    )
    rand = _hash_sample(live, reg, settings.u_pairs, n_reg)
    rand_lv = _compare_all(rand, batch, cache, settings)
    # the NIK holds the birth date: its u is counted among people born the same day
    same_dob = _same_dob_sample(live, reg, settings.u_pairs)
    if same_dob.height >= 100:
        rand_lv = rand_lv.drop("lv_nik").with_columns(pl.lit(None, pl.UInt8).alias("lv_nik"))
        nik_u = _nik_only(same_dob, batch, reg, settings)
    else:
        nik_u = rand_lv["lv_nik"]

    sources = _m_sources(conf_lv, settings)
    m, u, bits = {}, {}, {}
    diag: dict[str, Any] = {
        "u_pairs": rand.height,
        "u_pairs_nik_same_dob": same_dob.height,
        "nik_confirmed_pairs": n_nik_pairs,
    }
    for fname in FIELDS:
        f = settings.fields[fname]
        cm, nm = _proportions(sources[fname][f"lv_{fname}"], len(f.levels))
        cu, nu = _proportions(nik_u if fname == "nik" else rand_lv[f"lv_{fname}"], len(f.levels))
        m[fname] = _smooth(cm, nm, f.m, settings.m_prior_weight)
        u[fname] = _smooth(cu, nu, f.u, settings.u_prior_weight)
        raw = [min(max(math.log2(mi / ui), settings.min_bits), settings.max_bits) for mi, ui in zip(m[fname], u[fname])]
        # partial agreement never weighs more than full agreement (rare levels are estimated poorly)
        bits[fname] = tuple(float(min(b, raw[0])) if i else float(b) for i, b in enumerate(raw))
        diag[f"m_pairs_{fname}"] = nm
    share = _prior_share(conf_lv.filter(pl.col("_src") == "nik"), batch, settings)
    p = share / n_reg
    prior_bits = math.log2(p / (1 - p)) if p < 1 else 0.0
    return Weights(m, u, bits, prior_bits, share, n_reg, word_bits, dob_bits, common, tables.frequent, diagnostics=diag,
                   household_sizes=tables.household_sizes)


# ------------------------------------------------------------------ scoring


def _bits_expr(w: Weights, fname: str) -> pl.Expr:
    table = {0: 0.0, **{i + 1: b for i, b in enumerate(w.bits[fname])}}
    return pl.col(f"lv_{fname}").replace_strict(table, return_dtype=pl.Float64)


def name_info(core: pl.Series, w: Weights) -> pl.Series:
    """-log2 of the chance that a register person has all these (core) name words."""
    cap = math.log2(max(w.n_register, 2)) + 1
    uniq = pl.DataFrame({"core": core.unique().drop_nulls()}, schema={"core": pl.Utf8})
    words = uniq.select("core", pl.col("core").str.split(" ").alias("w")).explode("w").drop_nulls()
    if words.height == 0:
        return pl.Series([0.0] * len(core), dtype=pl.Float64)
    distinct = words["w"].unique().to_list()
    keys = word_hash(pl.Series([phonetic(x) for x in distinct], dtype=pl.Utf8)).to_list()
    table = pl.DataFrame(
        {"w": distinct, "b": [min(w.word_bits.get(k, cap), cap) for k in keys]}, schema={"w": pl.Utf8, "b": pl.Float64}
    )
    agg = words.join(table, on="w", how="left").group_by("core").agg(pl.col("b").sum())
    out = pl.DataFrame({"core": core}).join(agg, on="core", how="left", maintain_order="left")
    return out["b"].fill_null(0.0)


def person_bits(p: pl.DataFrame, w: Weights, settings: MatchSettings) -> pl.DataFrame:
    """Add ``w_<field>`` for the person fields, with term-frequency adjustments."""
    f_name = settings.fields["name"]
    lo, hi = settings.tf_min_bits, settings.tf_max_bits
    cap = math.log2(max(w.n_register, 2)) + 1

    # Splink-style: log2(u_level / u_value), u_value = 2^-info (the whole name for exact
    # agreement, its distinctive words for partial agreement)
    def log_u(fname: str, levels: tuple[str, ...]) -> pl.Expr:
        f = settings.fields[fname]
        table = {f.index(x): math.log2(w.u[fname][f.index(x) - 1]) for x in levels if x in f.levels}
        return pl.col(f"lv_{fname}").replace_strict(table, default=None, return_dtype=pl.Float64)

    whole = pl.col("lv_name").is_in([f_name.index(x) for x in ("exact", "reordered") if x in f_name.levels])
    info = pl.when(whole).then(pl.col("name_info_full")).otherwise(pl.col("name_info_core"))
    tf_name = (log_u("name", TF_NAME_LEVELS) + info).clip(lo, hi).fill_null(0.0)
    dob_info = pl.col("_dob_b").replace_strict(w.dob_bits, default=cap, return_dtype=pl.Float64)
    tf_dob = (log_u("dob", TF_DOB_LEVELS) + dob_info).clip(lo, hi).fill_null(0.0)
    return p.with_columns(
        *[_bits_expr(w, f).alias(f"w_{f}") for f in compare.PERSON_FIELDS],
        tf_name.alias("tf_name"),
        tf_dob.alias("tf_dob"),
    ).with_columns(
        (pl.col("w_name") + pl.col("tf_name")).alias("w_name"),
        (pl.col("w_dob") + pl.col("tf_dob")).alias("w_dob"),
    )


def local_prior_bits(w: Weights, size: pl.Expr | int) -> pl.Expr:
    """Prior log2 odds of a row matching one given member of a household of ``size`` people
    it is known to belong to (instead of one person of the whole register)."""
    s = w.match_share
    if isinstance(size, int):
        size = pl.lit(size)
    return (pl.lit(s) / pl.max_horizontal(size.cast(pl.Float64) - s, pl.lit(0.5))).log(2)


def household_bits(p: pl.DataFrame, w: Weights) -> pl.DataFrame:
    """Add ``w_<field>`` for the household fields (uncapped; the cap is applied in the score)."""
    return p.with_columns(*[_bits_expr(w, f).alias(f"w_{f}") for f in compare.HOUSEHOLD_FIELDS])


def group_masks(settings: MatchSettings) -> dict[str, dict[int, bool]]:
    """For each field: level code -> True when that level counts in the household group."""
    return {f: {i + 1: g == "household" for i, g in enumerate(settings.fields[f].groups)} | {0: False} for f in FIELDS}


def totals(p: pl.DataFrame, w: Weights, settings: MatchSettings) -> pl.DataFrame:
    """Add ``bits_person``, ``bits_household`` (capped), ``bits`` and ``score`` (posterior)."""
    masks = group_masks(settings)
    person, house = [], []
    for f in FIELDS:
        is_h = pl.col(f"lv_{f}").replace_strict(masks[f], return_dtype=pl.Boolean)
        wcol = pl.col(f"w_{f}")
        person.append(pl.when(is_h).then(0.0).otherwise(wcol))
        house.append(pl.when(is_h).then(wcol).otherwise(0.0))
    return (
        p.with_columns(
            pl.sum_horizontal(person).alias("bits_person"),
            pl.sum_horizontal(house).alias("bits_household_raw"),
        )
        .with_columns(
            pl.col("bits_household_raw")
            .clip(settings.household_floor_bits, settings.household_cap_bits)
            .alias("bits_household"),
        )
        .with_columns(
            (pl.lit(w.prior_bits) + pl.col("bits_person") + pl.col("bits_household")).alias("bits"),
        )
        .with_columns(posterior(pl.col("bits")).alias("score"))
    )


def posterior(bits: pl.Expr) -> pl.Expr:
    """Match probability from log2 odds."""
    return 1.0 / (1.0 + (2.0 ** (-bits.clip(-60, 60))))
