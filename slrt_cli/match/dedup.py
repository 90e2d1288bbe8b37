"""Duplicates inside the register (DTKS/DTSEN): the ministry's cleaning list.

:func:`find_duplicates` compares the register with itself and returns one row per pair of
register persons that are probably one person under two ids (``same_person``) or two persons
carrying one NIK (``nik_conflict``).

How (vectorised, deterministic):

1. The register is sorted by ``person_id`` (then by its other columns), so that the row
   position ``_r`` and every tie follow the ids, never the input order; rows without a
   ``person_id`` cannot be listed and are left out.
2. Blocking within the register (:data:`BLOCKS`): equal NIK; equal name key (the normalised
   words, any order: :func:`slrt_cli.match.names.name_features`) + birth date; desa + birth
   date. A block of more than :data:`MAX_BLOCK` rows (a placeholder NIK, a date typed for
   everyone) is left out: it holds no usable pairs.
3. Each pair is compared with the matcher's own levels (:func:`slrt_cli.match.compare.person_levels`,
   :func:`~slrt_cli.match.compare.household_levels`) and scored Fellegi-Sunter with the default
   m/u of ``schemas/match.toml`` (household fields capped as in matching), from
   :data:`PRIOR_BITS` (about one blocked pair in a thousand is a duplicate).
4. Explicit gates decide the kind, so that relatives are never merged: the person's own fields
   must agree (name and birth date); a household (No KK, address, surname) is never enough.

   - equal NIK, name and birth date agree (or the date is missing) -> ``same_person``;
   - equal NIK, the persons differ -> ``nik_conflict`` (``yakin`` when name *and* birth date
     differ, else ``periksa``);
   - NIK different or missing: the same normalised name (exact or reordered), the same birth
     date, the same sex (or missing), and one more tie (same desa, same mother's name, same
     No KK, or a NIK one digit off) -> ``same_person``; with two valid, unrelated NIKs at most
     ``periksa``, and so with a common name (:data:`COMMON_SHARE`). A NIK one digit off is
     no tie by itself: among people born the same day it is common (next serial, neighbouring
     kecamatan).

   Twins (one KK, one birth date, other first names) fail the name gate; a parent and a child
   of one name fail the birth-date gate.
"""

from __future__ import annotations

import math

import polars as pl

from slrt_cli.i18n import t
from slrt_cli.match import compare, features
from slrt_cli.match.names import name_features, normalise_names
from slrt_cli.match.settings import MatchSettings
from slrt_cli.privacy import mask_id, mask_pair

#: output columns of :func:`find_duplicates`, in order
COLUMNS = [
    "person_id_a",
    "person_id_b",
    "kind",
    "score",
    "band",
    "alasan",
    "nik_a",
    "nik_b",
    "nama_a",
    "nama_b",
    "tanggal_lahir_a",
    "tanggal_lahir_b",
    "kode_desa_a",
    "kode_desa_b",
]
KINDS = ("same_person", "nik_conflict")
BANDS = ("yakin", "periksa")
#: blocking rules inside the register (keys of the prepared frame)
BLOCKS: dict[str, tuple[str, ...]] = {
    "nik": ("_nik",),
    "name_dob": ("name_hash", "_dob"),
    "desa_dob": ("_desa", "_dob"),
}
#: a block larger than this is left out (placeholder values)
MAX_BLOCK = 50
#: prior log-odds (bits) that a blocked pair is one person
PRIOR_BITS = -10.0
#: a name (any word order) held by more than max(COMMON_MIN, COMMON_SHARE x register rows) persons
#: is common: a pair without an equal NIK is then at most ``periksa``
COMMON_MIN = 5
COMMON_SHARE = 1e-5
#: fields scored (the register person id differs by construction: not a field here)
SCORED = ("nik", "name", "dob", "sex", "kk", "household_id", "mother", "address", "rtrw", "desa", "hub")
_COLUMNS = (*compare.PERSON_COLUMNS, *compare.HOUSEHOLD_COLUMNS)


def _order(register: pl.DataFrame) -> pl.DataFrame:
    """Rows with a person id, sorted by it (then by every other column): independent of input order."""
    reg = register.filter(pl.col("person_id").cast(pl.Utf8).str.strip_chars().fill_null("") != "")
    cols = [c for c in features.INPUT_COLUMNS if c in reg.columns]
    keys = [pl.col(c).cast(pl.Utf8).str.strip_chars() if c == "person_id" else pl.col(c).cast(pl.Utf8) for c in cols]
    return reg.sort(keys, nulls_last=True, maintain_order=True)


def _prepared(register: pl.DataFrame, s: MatchSettings) -> pl.DataFrame:
    reg = _order(register)
    r = features.prepare_register(reg, s.names)
    names = name_features(r.select(features.col(r, "nama").alias("n"))["n"], s.names)
    mother = normalise_names(r.select(features.col(r, "nama_ibu_kandung").alias("m"))["m"], s.names)
    return pl.concat([r, names], how="horizontal").with_columns(
        mother.alias("mother_norm"), features.address_key(r).alias("_addr")
    )


def candidate_pairs(r: pl.DataFrame) -> pl.DataFrame:
    """Distinct pairs (``_a`` < ``_b``) of register rows sharing every key of one of :data:`BLOCKS`."""
    parts = []
    for keys in BLOCKS.values():
        k = r.select("_r", *keys).drop_nulls()
        k = k.filter(pl.len().over(list(keys)) <= MAX_BLOCK)
        p = k.join(k, on=list(keys), how="inner", suffix="_o").filter(pl.col("_r") < pl.col("_r_o"))
        parts.append(p.select(pl.col("_r").alias("_a"), pl.col("_r_o").alias("_b")))
    return pl.concat(parts).unique().sort("_a", "_b")


def _bits(s: MatchSettings, field: str, code: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """(person bits, household bits) of one field's level code, from the default m/u."""
    f = s.fields[field]
    person, house = pl.lit(0.0), pl.lit(0.0)
    for i, (m, u, g) in enumerate(zip(f.m, f.u, f.groups), start=1):
        b = min(max(math.log2(m / u), s.min_bits), s.max_bits)
        if g == "household":
            house = pl.when(code == i).then(pl.lit(b)).otherwise(house)
        else:
            person = pl.when(code == i).then(pl.lit(b)).otherwise(person)
    return person, house


def _score(s: MatchSettings) -> pl.Expr:
    person, house = pl.lit(0.0), pl.lit(0.0)
    for field in SCORED:
        p, h = _bits(s, field, pl.col(f"lv_{field}"))
        person, house = person + p, house + h
    total = person + house.clip(s.household_floor_bits, s.household_cap_bits) + PRIOR_BITS
    return 1.0 / (1.0 + pl.lit(2.0).pow(-total))


def _kind_band(s: MatchSettings) -> tuple[pl.Expr, pl.Expr]:
    fl = s.fields
    lv = {f: pl.col(f"lv_{f}") for f in ("nik", "name", "dob", "sex", "kk", "mother", "desa")}
    nik_equal = lv["nik"] == fl["nik"].index("exact")
    nik_unrelated = lv["nik"] == fl["nik"].index("differ")
    name_same = lv["name"].is_in([fl["name"].index(x) for x in ("exact", "reordered")])
    name_close = lv["name"].is_in([fl["name"].index(x) for x in ("exact", "reordered", "core_equal", "similar")])
    name_part = lv["name"].is_in([fl["name"].index(x) for x in ("exact", "reordered", "core_equal", "similar", "subset")])
    name_apart = lv["name"].is_in([fl["name"].index(x) for x in ("weak", "differ")])
    dob_same = lv["dob"].is_in([fl["dob"].index(x) for x in ("exact", "swap")])
    dob_exact = lv["dob"] == fl["dob"].index("exact")
    dob_close = lv["dob"].is_in([fl["dob"].index(x) for x in ("exact", "swap", "one_digit", "year_near")])
    dob_none = lv["dob"] == 0
    dob_apart = lv["dob"] == fl["dob"].index("differ")
    sex_ok = lv["sex"] != fl["sex"].index("differ")
    tie = (
        (lv["desa"] == fl["desa"].index("equal"))
        | lv["mother"].is_in([fl["mother"].index("exact"), fl["mother"].index("similar")])
        | (lv["kk"] == fl["kk"].index("exact"))
    )
    score = pl.col("score")
    nik_same_person = nik_equal & name_close & (dob_same | dob_none)
    nik_same_loose = nik_equal & name_part & dob_close
    other_same = ~nik_equal & name_same & dob_same & sex_ok & tie & (score >= s.review_threshold)
    kind = (
        pl.when(nik_same_person | nik_same_loose | other_same)
        .then(pl.lit("same_person"))
        .when(nik_equal)
        .then(pl.lit("nik_conflict"))
        .otherwise(None)
    )
    sure_same = nik_same_person & name_same & dob_same & sex_ok & (score >= s.match_threshold)
    sure_other = other_same & dob_exact & ~nik_unrelated & ~pl.col("name_common") & (score >= s.match_threshold)
    sure_conflict = nik_equal & name_apart & dob_apart
    yakin = pl.when(kind == "same_person").then(sure_same | sure_other).otherwise(sure_conflict)
    return kind, pl.when(yakin).then(pl.lit("yakin")).otherwise(pl.lit("periksa"))


def _alasan(s: MatchSettings, lang: str | None) -> pl.Expr:
    """The reasons, in the catalog's language: NIK; name; birth date; what else ties them."""
    fl = s.fields

    def m(key: str) -> pl.Expr:
        return pl.lit(t(key, lang=lang))

    lv = lambda f: pl.col(f"lv_{f}")  # noqa: E731
    nik = (
        pl.when(lv("nik") == 0).then(m("dedup_nik_missing"))
        .when(lv("nik") == fl["nik"].index("exact")).then(m("dedup_nik_same"))
        .when(lv("nik").is_in([fl["nik"].index("damaged15"), fl["nik"].index("one_off")]) | pl.col("nik_near"))
        .then(m("dedup_nik_one_off"))
        .otherwise(m("dedup_nik_differ"))
    )
    name = (
        pl.when(lv("name").is_in([fl["name"].index("exact"), fl["name"].index("reordered")])).then(m("dedup_name_same"))
        .when(lv("name") == 0).then(m("dedup_name_missing"))
        .when(lv("name").is_in([fl["name"].index(x) for x in ("core_equal", "similar", "subset")]))
        .then(m("dedup_name_similar"))
        .otherwise(m("dedup_name_differ"))
    )
    dob = (
        pl.when(lv("dob") == 0).then(m("dedup_dob_missing"))
        .when(lv("dob") == fl["dob"].index("exact")).then(m("dedup_dob_same"))
        .when(lv("dob").is_in([fl["dob"].index(x) for x in ("swap", "one_digit", "year_near")])).then(m("dedup_dob_near"))
        .otherwise(m("dedup_dob_differ"))
    )
    ties = [
        pl.when(lv("desa") == fl["desa"].index("equal")).then(m("dedup_desa_same")),
        pl.when(lv("mother").is_in([fl["mother"].index("exact"), fl["mother"].index("similar")]))
        .then(m("dedup_mother_same")),
        pl.when(lv("kk") == fl["kk"].index("exact")).then(m("dedup_kk_same")),
    ]
    return pl.concat_str([nik, name, dob, *ties], separator="; ", ignore_nulls=True)


#: seed of the block keys' hashes (:func:`block_keys`)
KEY_SEED = 20261206


def block_keys(piece: pl.DataFrame, settings: MatchSettings | None = None) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """What one piece of a register too large for memory tells about its duplicates, to be added
    up over the pieces: (``person_id``, ``k``) for each block a row is in (``k`` a hash of the
    block's keys), (``name_hash``, ``n``) the count of each name, and the rows that have an id.

    Only persons whose block holds someone else (a ``k`` seen twice over the whole register) can
    be in a pair: :func:`find_duplicates` on them alone, given the whole register's name counts
    and rows, gives the pairs of the whole register (tests compare the two).
    """
    s = settings if settings is not None else MatchSettings.default()
    r = _prepared(piece, s)
    parts = []
    for i, keys in enumerate(BLOCKS.values()):
        k = r.select("_pid", *keys).drop_nulls()
        parts.append(k.select(pl.col("_pid").alias("person_id"),
                              pl.struct(pl.lit(i).alias("block"), *keys).hash(KEY_SEED).alias("k")))
    names = r.filter(pl.col("name_hash").is_not_null()).group_by("name_hash").agg(pl.len().cast(pl.UInt64).alias("n"))
    return pl.concat(parts), names, r.height


def shared_blocks(keys: pl.DataFrame) -> pl.Series:
    """``person_id`` of the persons in a block with someone else (``keys``: every piece's :func:`block_keys`)."""
    twice = keys.group_by("k").agg(pl.len().alias("n")).filter(pl.col("n") > 1).select("k")
    return keys.join(twice, on="k", how="semi")["person_id"].unique().sort()


def find_duplicates(
    register: pl.DataFrame, settings: MatchSettings | None = None, *, lang: str | None = None,
    name_counts: pl.DataFrame | None = None, n_rows: int | None = None,
) -> pl.DataFrame:
    """Pairs of register persons that are one person twice, or two persons with one NIK.

    Args:
        register: the register extract (canonical columns: ``person_id``, ``nik``, ``no_kk``,
            ``nama``, ``tanggal_lahir``, ``jenis_kelamin``, ``nama_ibu_kandung``, ``alamat``,
            ``kode_desa`` ...; any may be missing but ``person_id``).
        settings: the matcher's settings (levels, m/u, thresholds); default when None.
        lang: language of ``alasan`` (``id``/``en``; None: the current one).
        name_counts, n_rows: when ``register`` holds only the persons of a larger register that
            share a block with someone (:func:`block_keys`), that register's name counts
            (``name_hash``, ``n``) and rows: a name is then common as it is in the whole.

    Returns:
        One row per pair (:data:`COLUMNS`), ``person_id_a`` < ``person_id_b``, sorted by them;
        NIKs masked (:func:`slrt_cli.privacy.mask_pair`). The same for any row order of ``register``.

    Example:
        >>> find_duplicates(register).group_by("kind").len()  # doctest: +SKIP
    """
    s = settings if settings is not None else MatchSettings.default()
    if "person_id" not in register.columns:
        raise ValueError("register lacks person_id")
    r = _prepared(register, s)
    pairs = candidate_pairs(r)
    # a name held by many (AGUS, SITI, UJANG) is no evidence on its own: such pairs are only for review
    held = pl.len().over("name_hash")
    if name_counts is not None:
        r = r.join(name_counts.select("name_hash", pl.col("n").alias("_name_n")), on="name_hash", how="left",
                   maintain_order="left")
        held = pl.col("_name_n").fill_null(0)
    rows = r.height if n_rows is None else n_rows
    common = (held > max(COMMON_MIN, COMMON_SHARE * rows)) & pl.col("name_hash").is_not_null()
    r = r.with_columns(common.alias("_name_common"))
    frame = r.select("_r", *_COLUMNS)
    p = compare.pair_frame(
        pairs.rename({"_a": "_b", "_b": "_r"}),
        frame.with_columns(pl.col("_r").alias("_b")),
        frame,
        tuple(c for c in _COLUMNS if c != "_r"),
    ).rename({"_b": "_a_idx", "_r": "_b_idx"})
    p = p.filter(pl.col("_pid_b") != pl.col("_pid_r"))  # one id twice in the extract is not a pair
    p = compare.household_levels(compare.person_levels(p, s), s)
    # one digit off (or two swapped): the matcher's level says "same date block" first
    p = p.with_columns(compare._near_column(p, "_nik").alias("nik_near"))
    flag = r["_name_common"].gather(p["_a_idx"].cast(pl.Int64))
    p = p.with_columns(_score(s).alias("score"), flag.alias("name_common"))
    kind, band = _kind_band(s)
    p = p.with_columns(kind.alias("kind")).filter(pl.col("kind").is_not_null())
    p = p.with_columns(band.alias("band"), _alasan(s, lang).alias("alasan"))
    return _render(p.select("_a_idx", "_b_idx", "kind", "score", "band", "alasan"), r)


def _render(p: pl.DataFrame, r: pl.DataFrame) -> pl.DataFrame:
    shown = r.select(
        "_r",
        pl.col("_pid").alias("person_id"),
        features.col(r, "nik").alias("nik"),
        features.col(r, "nama").alias("nama"),
        features.col(r, "tanggal_lahir", pl.Date).alias("tanggal_lahir"),
        pl.col("_desa").alias("kode_desa"),
    )
    out = p.join(shown.rename(lambda c: f"{c}_a" if c != "_r" else "_a_idx"), on="_a_idx", how="left").join(
        shown.rename(lambda c: f"{c}_b" if c != "_r" else "_b_idx"), on="_b_idx", how="left"
    )
    masked = [mask_pair(a, b) if a and b else (mask_id(a) if a else "", mask_id(b) if b else "")
              for a, b in zip(out["nik_a"].to_list(), out["nik_b"].to_list())]
    out = out.with_columns(
        pl.Series("nik_a", [x for x, _ in masked], dtype=pl.Utf8),
        pl.Series("nik_b", [y for _, y in masked], dtype=pl.Utf8),
        pl.col("score").round(4),
    )
    return out.sort("person_id_a", "person_id_b").select(COLUMNS)
