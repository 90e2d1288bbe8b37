"""The matcher: score candidate pairs, assign one-to-one, use household evidence, decide outcomes.

Stages, for every batch row that validation did not reject:

1. **NIK** (``match_stage="nik"``): an equal, valid, not Excel-damaged NIK links
   unless the person clearly differs (a different name; or a doubtful name with a
   different birth date or sex); then the pair is only a ``review`` candidate,
   with the reason, and the NIK is not held against the row's other candidates
   (the head's NIK copied to a member).
2. **Probabilistic**: Fellegi-Sunter score of every candidate pair. A link needs
   the *person gate*: the name agrees (at least ``gate.name_min_level``) and the
   birth date agrees (or is missing on one side while the sex agrees). Household
   fields are capped, so a new baby or spouse never links to a relative.
3. **One-to-one**, globally and independent of row order: pairs are taken best
   first (NIK links, then gated pairs, then review-only pairs; by weight; ties
   by the row key, then the register person id). A row that loses a register
   person it clearly is (same name and birth date, score above the match
   threshold) is a ``duplicate``; otherwise it falls back to its next candidate.
4. **Household** (``match_stage="household"``): when most other rows of a village
   family (same No KK) link into one register household, the family's remaining
   rows are scored against that household's members with the household prior
   (1 in its size) instead of the population prior, on their person fields;
   the assignment is then redone.

Reviewers' decisions come first: ``sama`` links the row to that register person
(``match_stage="decision"``), ``beda`` removes that candidate.

Outcomes: ``matched`` (link), ``review`` (best candidate shown), ``new``,
``duplicate``, ``rejected``.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import polars as pl

from slrt_cli.match import compare
from slrt_cli.match import weights as wt
from slrt_cli.match.settings import MatchSettings
from slrt_cli.match.weights import Weights

EDGE_SCHEMA = {"_b": pl.UInt32, "_r": pl.UInt32}


def logit_bits(p: float) -> float:
    """log2 odds of a probability."""
    return math.log2(p / (1.0 - p))


def contradiction(settings: MatchSettings) -> pl.Expr:
    """True when the two records are clearly different people (for an equal NIK)."""
    fn, fd, fs = (settings.fields[x] for x in ("name", "dob", "sex"))
    name, dob, sex = pl.col("lv_name"), pl.col("lv_dob"), pl.col("lv_sex")
    weak = (name == 0) | (name >= fn.index(settings.doubt_name_level))
    return (
        (name >= fn.index(settings.contradict_name_level))
        | (weak & dob.is_in([fd.index(x) for x in settings.contradict_dob_levels]))
        | (weak & (sex == fs.index("differ")))
    )


def _foreign_nik(p: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """A village NIK equal to the NIK of a clearly different register person (the head's
    NIK copied to a member) says nothing about the row's other candidates: not compared."""
    exact = settings.fields["nik"].index("exact")
    is_exact = pl.col("lv_nik") == exact
    foreign = p.filter(is_exact & contradiction(settings)).select("_b").unique()
    if foreign.height == 0:
        return p
    other = pl.col("_b").is_in(foreign["_b"].implode()) & ~is_exact
    zero = pl.lit(0, pl.UInt8)
    return p.with_columns(
        pl.when(other).then(zero).otherwise("lv_nik").alias("lv_nik"),
        pl.when(other & pl.col("_dob_nik_b")).then(zero).otherwise("lv_dob").alias("lv_dob"),
        pl.when(other & pl.col("_sex_nik_b")).then(zero).otherwise("lv_sex").alias("lv_sex"),
    )


def _flags(p: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """Gate, stage-1 link, NIK conflict and duplicate eligibility of each pair."""
    fn, fd, fs, fk = (settings.fields[x] for x in ("name", "dob", "sex", "nik"))
    name, dob, sex = pl.col("lv_name"), pl.col("lv_dob"), pl.col("lv_sex")
    name_ok = (name >= 1) & (name <= fn.index(settings.gate_name_level))
    dob_ok = dob.is_in([fd.index(x) for x in settings.gate_dob_levels])
    alone = name.is_in([fn.index(x) for x in settings.gate_name_alone_levels])
    gate = name_ok & (dob_ok | ((dob == 0) & (sex == fs.index("equal"))) | ((dob == 0) & (sex == 0) & alone))
    contra = contradiction(settings)
    nik_eq = pl.col("lv_nik") == fk.index("exact")
    # stage 1 needs the person to agree too; an equal NIK with a looser agreement is scored
    sure = (dob == fd.index("exact")) | (
        (name >= 1)
        & (name <= fn.index(settings.stage1_name_level))
        & (dob.is_in([fd.index(x) for x in settings.stage1_dob_levels]) | (dob == 0))
    )
    dup_name = (name >= 1) & (name <= fn.index(settings.duplicate_name_level))
    dup_dob = dob.is_in([fd.index("exact"), fd.index("swap"), fd.index("one_digit"), 0])
    return p.with_columns(
        gate.alias("gate"),
        (nik_eq & ~contra & sure).alias("stage1"),
        (nik_eq & contra).alias("nik_conflict"),
        ((nik_eq & ~contra & sure) | (gate & dup_name & dup_dob)).alias("dup_ok"),
    ).with_columns(pl.when("stage1").then(2).when("gate").then(1).otherwise(0).cast(pl.Int8).alias("pri"))


def _max_bits(w: Weights, field: str) -> float:
    return max([0.0, *w.bits[field]])


def _bound(person: pl.Expr, tf: pl.Expr, weights: Weights, settings: MatchSettings) -> pl.Expr:
    """Best score (bits) a pair may still reach: with the full household allowance, or, for
    a pair within the row's own family, with the household prior (and no term frequencies)
    of the household stage. ``tf``: the term-frequency part of ``person``."""
    same_family = ((pl.col("_kk_b") // 10) == (pl.col("_kk_r") // 10)) | (pl.col("_hid_b") == pl.col("_hid_r"))
    local = pl.when(same_family.fill_null(False)).then(wt.local_prior_bits(weights, 2) + person - tf).otherwise(-1e9)
    return pl.max_horizontal(pl.lit(weights.prior_bits + settings.household_cap_bits) + person, local)


def prefilter(
    pairs: pl.DataFrame, batch: pl.DataFrame, register: pl.DataFrame, weights: Weights, settings: MatchSettings
) -> pl.DataFrame:
    """Drop pairs that cannot reach the review threshold whatever their names (cheap: no strings).

    The bound takes the best name level, the largest term-frequency bonus, the
    full household allowance (or the household prior of the household stage); the
    NIK, birth date and sex as they are (or their best case when they may later be
    set aside: a NIK that may belong to someone else, a date or sex read from a NIK).
    """
    fl = settings.fields
    cols = ("_nik", "_nik_dmg", "_dob", "_y", "_m", "_d", "_sex", "_pid", "_dob_nik", "_sex_nik", "_kk", "_hid")
    p = compare.pair_frame(pairs, batch, register, cols)
    p = p.with_columns(
        compare._nik_levels(p, fl["nik"]).alias("lv_nik"),
        compare._dob_levels(p, fl["dob"]).alias("lv_dob"),
        compare._equal_levels(fl["sex"], "_sex").alias("lv_sex"),
        compare._equal_levels(fl["person_id"], "_pid").alias("lv_person_id"),
    )
    exact = pl.col("lv_nik") == fl["nik"].index("exact")
    has_exact = pl.col("_b").is_in(p.filter(exact)["_b"].unique().implode())
    bits = {f: wt._bits_expr(weights, f) for f in ("nik", "dob", "sex", "person_id")}
    derived = pl.col("_dob_nik_b") | pl.col("_sex_nik_b") | pl.col("_dob_nik_r") | pl.col("_sex_nik_r")

    def optimistic(e: pl.Expr) -> pl.Expr:
        return pl.when(has_exact | derived).then(pl.max_horizontal(e, pl.lit(0.0))).otherwise(e)

    person = (
        _max_bits(weights, "name")
        + 2 * settings.tf_max_bits
        + optimistic(bits["nik"])
        + optimistic(bits["dob"])
        + optimistic(bits["sex"])
        + bits["person_id"]
    )
    tf = pl.lit(2 * settings.tf_max_bits)
    keep = (_bound(person, tf, weights, settings) >= logit_bits(settings.review_threshold)) | exact
    return p.filter(keep).select("_b", "_r")


def score_pairs(
    pairs: pl.DataFrame,
    batch: pl.DataFrame,
    register: pl.DataFrame,
    weights: Weights,
    settings: MatchSettings,
    keep_all: bool = False,
) -> pl.DataFrame:
    """Score candidate pairs of prepared frames (pure; the heavy part, run per partition).

    ``register`` must carry the name features of the rows in ``pairs``
    (:func:`slrt_cli.match.features.register_features`). Returns one row per
    pair that can still reach the review threshold (or is an equal-NIK pair; every
    pair with ``keep_all``), with levels, weights, flags, ``bits`` and ``score``.
    """
    p = compare.pair_frame(pairs, batch, register, (*compare.PERSON_COLUMNS, "_kk", "_hid"))
    # rarity of the name: the less informative side counts (SITI AMINAH vs AMINAH: AMINAH)
    p = p.with_columns(
        pl.min_horizontal(wt.name_info(p["name_norm_b"], weights), wt.name_info(p["name_norm_r"], weights)).alias(
            "name_info_full"
        ),
        pl.min_horizontal(wt.name_info(p["name_core_b"], weights), wt.name_info(p["name_core_r"], weights)).alias(
            "name_info_core"
        ),
    )
    p = compare.person_levels(p, settings)
    p = _foreign_nik(p, settings)
    p = wt.person_bits(p, weights, settings)
    masks = wt.group_masks(settings)
    person = [
        pl.when(pl.col(f"lv_{f}").replace_strict(masks[f], return_dtype=pl.Boolean))
        .then(0.0)
        .otherwise(pl.col(f"w_{f}"))
        for f in compare.PERSON_FIELDS
    ]
    bound = _bound(pl.sum_horizontal(person), pl.col("tf_name") + pl.col("tf_dob"), weights, settings)
    keep = (bound >= logit_bits(settings.review_threshold)) | (
        pl.col("lv_nik") == settings.fields["nik"].index("exact")
    )
    p = p.filter(keep | keep_all).drop("_kk_b", "_kk_r", "_hid_b", "_hid_r")
    hh = compare.pair_frame(p.select("_b", "_r"), batch, register, compare.HOUSEHOLD_COLUMNS)
    p = pl.concat([p, hh.drop("_b", "_r")], how="horizontal")
    p = compare.household_levels(p, settings)
    p = wt.household_bits(p, weights)
    p = wt.totals(p, weights, settings)
    keep_cols = [
        "_b",
        "_r",
        "name_sim",
        "tf_name",
        "tf_dob",
        "bits_person",
        "bits_household",
        "bits_household_raw",
        "bits",
    ]
    keep_cols += [c for c in p.columns if c.startswith(("lv_", "w_"))]
    p = _flags(p.select(keep_cols), settings).with_columns(
        pl.lit(False).alias("hh_bonus"), pl.lit(False).alias("decided")
    )
    return p.with_columns(_score(weights).alias("score"))


def _score(weights: Weights) -> pl.Expr:
    """Posterior of a pair. A pair that fails the person gate is scored on the person
    fields alone: household fields may confirm a person, never suggest one (twins)."""
    person_only = wt.posterior(pl.lit(weights.prior_bits) + pl.col("bits_person"))
    return pl.when(pl.col("pri") >= 1).then(wt.posterior(pl.col("bits"))).otherwise(person_only)


def assign(edges: pl.DataFrame, settings: MatchSettings) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Greedy one-to-one assignment, best pair first, independent of row order.

    ``edges`` needs ``_b``, ``_r``, ``pri``, ``bits``, ``score``, ``dup_ok`` and
    ``_pid_r`` (register person id, for ties). Returns (assigned pairs,
    duplicate rows with the register person they duplicate).
    """
    order = edges.sort(
        ["pri", "bits", "_b", "_pid_r", "_r"], descending=[True, True, False, False, False], nulls_last=True
    ).with_row_index("o")
    rem = order.select("o", "_b", "_r", "score", "dup_ok", "pri")
    taken, dups = [], []
    while rem.height:
        rem = rem.with_columns(pl.col("o").min().over("_b").alias("ob"), pl.col("o").min().over("_r").alias("or"))
        acc = rem.filter((pl.col("o") == pl.col("ob")) & (pl.col("o") == pl.col("or")))
        taken.append(acc.select("_b", "_r"))
        tb, tr = acc["_b"], acc["_r"]
        lost = rem.filter(
            pl.col("_r").is_in(tr.implode()) & ~pl.col("_b").is_in(tb.implode()) & (pl.col("o") == pl.col("ob"))
        )
        dup = lost.filter(can_duplicate(settings))
        dups.append(dup.select("_b", "_r"))
        gone_b = pl.concat([tb, dup["_b"]]).implode()
        rem = rem.filter(~pl.col("_b").is_in(gone_b) & ~pl.col("_r").is_in(tr.implode())).drop("ob", "or")
    empty = pl.DataFrame(schema=EDGE_SCHEMA)
    return pl.concat([empty, *taken]), pl.concat([empty, *dups])


def can_duplicate(settings: MatchSettings) -> pl.Expr:
    """A pair whose row, losing its register person to another row, is a ``duplicate`` of it."""
    return pl.col("dup_ok") & (pl.col("pri") >= 1) & (pl.col("score") >= settings.match_threshold)


def eligible(settings: MatchSettings) -> pl.Expr:
    """A pair the assignment considers: a decision, a NIK, or a score worth a review."""
    return pl.col("decided") | pl.col("stage1") | pl.col("nik_conflict") | (pl.col("score") >= settings.review_threshold)


def _eligible(edges: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    return edges.filter(eligible(settings))


def linked(settings: MatchSettings) -> pl.Expr:
    """A pair that makes a link: a reviewer's ``sama``, a stage-1 NIK, or a gated pair above the threshold."""
    return (pl.col("pri") >= 2) | ((pl.col("pri") == 1) & (pl.col("score") >= settings.match_threshold))


def _matched(edges: pl.DataFrame, assigned: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    return assigned.join(edges, on=["_b", "_r"], how="left").filter(linked(settings))


def apply_decisions(edges: pl.DataFrame, decided: pl.DataFrame | None) -> pl.DataFrame:
    """Reviewers' decisions (``_b``, ``_r``, ``keputusan``): ``beda`` removes the pair,
    ``sama`` makes it a link before anything else (``pri`` 3, ``decided``)."""
    if decided is None or decided.height == 0:
        return edges
    beda = decided.filter(pl.col("keputusan") == "beda").select("_b", "_r")
    sama = decided.filter(pl.col("keputusan") == "sama").select("_b", "_r", pl.lit(True).alias("_sama"))
    out = edges.join(beda, on=["_b", "_r"], how="anti").join(sama, on=["_b", "_r"], how="left")
    yes = pl.col("_sama").fill_null(False)
    return out.with_columns(
        yes.alias("decided"),
        pl.when(yes).then(pl.lit(3, pl.Int8)).otherwise(pl.col("pri")).alias("pri"),
        (pl.col("dup_ok") | yes).alias("dup_ok"),
    ).drop("_sama")


def family_key(batch: pl.DataFrame) -> pl.Expr:
    """Village family of a batch row: its No KK (first 15 digits), else the household id it carried."""
    return pl.coalesce((pl.col("_kk") // 10).cast(pl.Utf8), pl.lit("h:") + pl.col("_hid"))


def household_rescore(
    edges: pl.DataFrame,
    batch: pl.DataFrame,
    register: pl.DataFrame,
    matched: pl.DataFrame,
    weights: Weights,
    settings: MatchSettings,
) -> pl.DataFrame:
    """Household stage: rescore candidates inside the register household most of the family links to.

    Once most other rows of a village family (same No KK) are linked into register
    household H, a remaining row of that family is most likely one of H's few
    members: for its candidates in H (that pass the person gate) the population
    prior gives way to the household prior (1 in H's size), and the person fields
    decide. Term frequencies do not matter inside a family; household fields are
    the same for every member and are left out. ``hh_bonus`` marks the pairs the
    household evidence raised.
    """
    fam = families(batch)
    size = fam.group_by("fam").agg(pl.len().alias("n"))
    links = matched.select("_b", pl.col("_hid_r").alias("hh")).join(fam, on="_b")
    counts = links.group_by("fam", "hh").agg(pl.len().alias("c"))
    best = counts.sort(["fam", "c", "hh"], descending=[False, True, False]).group_by("fam", maintain_order=True).first()
    rows = (
        fam.join(best, on="fam")
        .join(size, on="fam")
        .join(links.select("_b", pl.col("hh").alias("own")), on="_b", how="left")
    )
    rows = rows.filter(household_majority(settings)).select("_b", "hh")
    wanted = rows["hh"].unique().implode()
    sizes = weights.household_sizes  # a slice of a larger register holds only some members: its counts
    if sizes is None:
        sizes = register.select("_hid").filter(pl.col("_hid").is_in(wanted)).group_by("_hid").agg(pl.len().alias("hh_n"))
    hh_size = sizes.filter(pl.col("_hid").is_in(wanted))
    out = edges.join(rows, on="_b", how="left").join(hh_size, left_on="_hid_r", right_on="_hid", how="left")
    return rescore_inside(out, weights)


def families(batch: pl.DataFrame) -> pl.DataFrame:
    """(``_b``, ``fam``): the village family (:func:`family_key`) of each batch row not rejected."""
    return batch.filter(pl.col("_status") != "rejected").select("_b", family_key(batch).alias("fam")).drop_nulls()


def household_majority(settings: MatchSettings) -> pl.Expr:
    """On a row with its family's size ``n``, the household ``hh`` most of the family links to
    (``c`` links) and its own link's household ``own``: enough *other* rows of the family are in ``hh``."""
    others = pl.col("c") - (pl.col("own") == pl.col("hh")).fill_null(False).cast(pl.UInt32)
    need = pl.max_horizontal(pl.lit(settings.household_min_linked), (pl.col("n") - 1) * settings.household_majority)
    return (pl.col("n") > 1) & (others >= need)


def rescore_inside(out: pl.DataFrame, weights: Weights) -> pl.DataFrame:
    """The pairs with their family's household ``hh`` and its size ``hh_n`` (null when none): a pair
    inside ``hh`` that passes the person gate takes the household prior when that raises it."""
    inside = ((pl.col("_hid_r") == pl.col("hh")) & (pl.col("pri") >= 1)).fill_null(False)
    local = (
        wt.local_prior_bits(weights, pl.col("hh_n").fill_null(2))
        + pl.col("bits_person")
        - pl.col("tf_name")
        - pl.col("tf_dob")
    )
    raised = inside & (local > pl.col("bits"))
    return (
        out.with_columns(
            raised.alias("hh_bonus"),
            pl.when(raised).then(local).otherwise(pl.col("bits")).alias("bits"),
        )
        .drop("hh", "hh_n")
        .with_columns(_score(weights).alias("score"))
    )


#: ``assigner(edges, batch, register, weights, settings) -> (chosen, best)``: stages 3 and 4 run
#: elsewhere (e.g. as Spark DataFrame operations), giving what :func:`assign_rows` gives
Assigner = Callable[[pl.DataFrame, pl.DataFrame, pl.DataFrame, Weights, MatchSettings],
                    tuple[pl.DataFrame, pl.DataFrame]]

#: the columns of the scored pairs that stages 3 and 4 read
ASSIGN_COLUMNS = ("_b", "_r", "pri", "bits", "score", "dup_ok", "decided", "stage1", "nik_conflict", "_pid_r",
                  "_hid_r", "bits_person", "tf_name", "tf_dob", "hh_bonus")
#: what they give back of a chosen pair (the other columns are the scoring's)
RESCORED = ("bits", "score", "hh_bonus")


def assign_rows(
    edges: pl.DataFrame, batch: pl.DataFrame, register: pl.DataFrame, weights: Weights, settings: MatchSettings
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Stages 3 and 4 on the scored pairs (with ``_pid_r``, ``_hid_r``): one-to-one assignment,
    the household stage, and the assignment again.

    Returns the chosen pairs (``_b``, ``_r``, ``_kind``: ``a`` assigned or ``d`` duplicate, and
    their :data:`RESCORED` columns) and each row's best score after the household stage (``_b``,
    ``_best``)."""
    first, _ = assign(_eligible(edges, settings), settings)
    matched = _matched(edges, first, settings)
    edges = household_rescore(edges, batch, register, matched, weights, settings)
    assigned, dups = assign(_eligible(edges, settings), settings)
    chosen = pl.concat(
        [
            assigned.with_columns(pl.lit("a").alias("_kind")),
            dups.with_columns(pl.lit("d").alias("_kind")),
        ]
    ).join(edges.select("_b", "_r", *RESCORED), on=["_b", "_r"], how="left")
    return chosen, edges.group_by("_b").agg(pl.col("score").max().alias("_best"))


def resolve(
    edges: pl.DataFrame,
    batch: pl.DataFrame,
    register: pl.DataFrame,
    weights: Weights,
    settings: MatchSettings,
    assigner: Assigner | None = None,
) -> pl.DataFrame:
    """Assignment + household stage + outcomes: one row per batch row (``_b``) with the chosen pair.

    Columns: ``_b``, ``outcome``, ``_r`` (link or best candidate), ``match_stage``,
    ``score`` and the chosen pair's levels/weights/flags (null when none). ``assigner`` runs
    stages 3 and 4 elsewhere (:func:`assign_rows` here).
    """
    ids = compare._gather(register, "_r", edges["_r"], ("_pid", "_hid"), "r")
    edges = pl.concat([edges, ids], how="horizontal").with_columns(pl.col("bits").alias("bits_global"))
    chosen, best = (assigner or assign_rows)(edges, batch, register, weights, settings)
    chosen = chosen.select("_b", "_r", *RESCORED, "_kind").join(
        edges.drop(*RESCORED), on=["_b", "_r"], how="left")
    match_bits = logit_bits(settings.match_threshold)
    is_link = linked(settings)
    outcome = (
        pl.when(pl.col("_kind") == "d")
        .then(pl.lit("duplicate"))
        .when(is_link)
        .then(pl.lit("matched"))
        .otherwise(pl.lit("review"))
    )
    stage = (
        pl.when(pl.col("decided"))
        .then(pl.lit("decision"))
        .when((pl.col("pri") == 2) | pl.col("nik_conflict"))
        .then(pl.lit("nik"))
        .when(pl.col("hh_bonus") & (pl.col("bits_global") < match_bits))
        .then(pl.lit("household"))
        .otherwise(pl.lit("probabilistic"))
    )
    chosen = chosen.with_columns(outcome.alias("outcome"), stage.alias("match_stage"))
    out = batch.select("_b", "_status").join(chosen, on="_b", how="left").join(best, on="_b", how="left")
    rejected = pl.col("_status") == "rejected"
    return (
        out.with_columns(
            pl.when(rejected).then(pl.lit("rejected")).otherwise(pl.col("outcome").fill_null("new")).alias("outcome"),
            pl.when(rejected).then(None).otherwise(pl.coalesce("score", "_best", pl.lit(0.0))).alias("score"),
            pl.when(rejected).then(None).otherwise(pl.col("match_stage")).alias("match_stage"),
            pl.when(rejected).then(None).otherwise(pl.col("_r")).alias("_r"),
        )
        .drop("_best", "_kind")
        .sort("_b")
    )
