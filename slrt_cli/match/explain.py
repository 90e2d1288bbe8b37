"""Reasons of each decision: field-level evidence (``reasons``) and its Bahasa rendering (``alasan``).

``reasons`` is a List of Struct ``{field, level, weight, village, register}``
for every field compared (missing values left out). Identifiers (NIK, No KK)
are masked by :func:`slrt_cli.privacy.mask_id_expr`; mother's name and address
are never copied into the reasons (only their level).

``alasan`` renders the same evidence in the run's language with the phrases
``alasan_*`` of the message catalogs (``messages/id.toml``, ``en.toml``; phrases
set in ``[alasan]`` of ``schemas/match.toml`` replace the Bahasa ones), e.g.
``NIK sama; nama sama setelah dibakukan (MOCH. → MUHAMMAD); tanggal lahir sama; No KK beda``
or, with ``--lang en``, ``same NIK; same name once standardised (MOCH. → MUHAMMAD); ...``.
"""

from __future__ import annotations

import polars as pl

from slrt_cli.i18n import catalog
from slrt_cli.match.settings import FIELDS, MatchSettings
from slrt_cli.privacy import mask_id_expr

REASON_DTYPE = pl.List(
    pl.Struct({"field": pl.Utf8, "level": pl.Utf8, "weight": pl.Float64, "village": pl.Utf8, "register": pl.Utf8})
)

# fields whose phrase is left out of ``alasan`` when they agree (they still are in ``reasons``)
_QUIET_WHEN_AGREE = {"sex", "household_id", "address", "rtrw", "desa", "hub"}

_NO_VALUES = {"mother", "address"}


def phrases(lang: str = "id", overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The phrases of ``alasan`` in ``lang`` (keys without ``alasan_``); ``overrides`` (the
    ``[alasan]`` table of match.toml, in Bahasa) replace the Bahasa ones.

    Example:
        >>> phrases("en")["nik_exact"]
        'same NIK'
    """
    out = {k[len("alasan_"):]: v for k, v in catalog(lang).items() if k.startswith("alasan_")}
    if lang == "id" and overrides:
        out.update(overrides)
    return out


def localised(settings: MatchSettings | None, lang: str) -> MatchSettings:
    """``settings`` (default: :meth:`MatchSettings.default`) whose reasons are worded in ``lang``.

    Example:
        >>> localised(None, "en").phrases["no_candidate"]
        'not found in the DTKS/DTSEN'
    """
    settings = settings or MatchSettings.default()
    return settings.replace(phrases=phrases(lang, settings.phrases))


def _phrases_of(settings: MatchSettings) -> dict[str, str]:
    """The settings' phrases, completed with the Bahasa catalog (settings made by hand may name a few)."""
    return {**phrases("id"), **settings.phrases}


def _values(field: str, side: str) -> pl.Expr:
    def v(c: str) -> pl.Expr:
        return pl.col(f"{c}_{side}")

    if field == "nik":
        return mask_id_expr(v("nik").cast(pl.Utf8))
    if field == "kk":
        return mask_id_expr(v("no_kk").cast(pl.Utf8))
    if field == "name":
        return v("nama").cast(pl.Utf8)
    if field == "dob":
        return v("tanggal_lahir").cast(pl.Date).dt.strftime("%d-%m-%Y")
    if field == "sex":
        return v("_sex")
    if field == "person_id":
        return v("_pid")
    if field == "household_id":
        return v("_hid")
    if field == "rtrw":
        return pl.concat_str([v("_rt").cast(pl.Utf8).str.zfill(3), v("_rw").cast(pl.Utf8).str.zfill(3)], separator="/")
    if field == "desa":
        return v("_desa")
    if field == "hub":
        return v("_hub")
    return pl.lit(None, pl.Utf8)


def _level_name(field: str, settings: MatchSettings) -> pl.Expr:
    levels = settings.fields[field].levels
    table = {0: "null", **{i + 1: name for i, name in enumerate(levels)}}
    return pl.col(f"lv_{field}").replace_strict(table, return_dtype=pl.Utf8)


def reasons_frame(chosen: pl.DataFrame, settings: MatchSettings) -> pl.DataFrame:
    """``_b`` and ``reasons`` (List of evidence structs, null fields left out) of the chosen pairs."""
    parts = []
    for f in FIELDS:
        values = (
            [pl.lit(None, pl.Utf8), pl.lit(None, pl.Utf8)] if f in _NO_VALUES else [_values(f, "b"), _values(f, "r")]
        )
        parts.append(
            chosen.filter(pl.col(f"lv_{f}") > 0).select(
                "_b",
                pl.lit(f).alias("field"),
                _level_name(f, settings).alias("level"),
                pl.col(f"w_{f}").round(2).alias("weight"),
                values[0].alias("village"),
                values[1].alias("register"),
            )
        )
    long = pl.concat(parts)
    return (
        long.group_by("_b", maintain_order=True)
        .agg(pl.struct("field", "level", "weight", "village", "register").alias("reasons"))
        .with_columns(pl.col("reasons").cast(REASON_DTYPE))
    )


def _fill(template: str, sim: pl.Expr, diff: pl.Expr) -> pl.Expr:
    """A phrase with ``{sim}`` and ``{diff}`` filled in; ``( )`` dropped when ``diff`` is empty."""
    if "{diff}" in template:
        before, after = template.split("{diff}", 1)
        bare = before.rstrip(" (") + after.lstrip(")")
        with_diff = _fill(before, sim, diff) + diff + pl.lit(after)
        return pl.when(diff == "").then(_fill(bare, sim, diff)).otherwise(with_diff)
    if "{sim}" in template:
        before, after = template.split("{sim}", 1)
        return pl.lit(before) + sim + pl.lit(after)
    return pl.lit(template)


def _name_diff() -> pl.Expr:
    words_b = pl.col("nama_b").cast(pl.Utf8).str.split(" ")
    words_r = pl.col("nama_r").cast(pl.Utf8).str.split(" ")
    only_b = words_b.list.set_difference(words_r).list.join(" ")
    only_r = words_r.list.set_difference(words_b).list.join(" ")
    return (
        pl.when((only_b == "") & (only_r == ""))
        .then(pl.lit(""))
        .otherwise(pl.concat_str([only_b, pl.lit(" → "), only_r]).str.strip_chars())
        .fill_null("")
    )


def _field_phrase(field: str, settings: MatchSettings, ph: dict[str, str]) -> pl.Expr:
    levels = settings.fields[field].levels
    lv = pl.col(f"lv_{field}")
    sim = pl.col("_sim_text").str.replace(",", ph.get("decimal_mark", ","), literal=True)
    diff = pl.col("_diff_text")
    expr = pl.when(lv == 0).then(None)
    for i, level in enumerate(levels, start=1):
        if field in _QUIET_WHEN_AGREE and i == 1:
            expr = expr.when(lv == i).then(None)
            continue
        template = ph.get(f"{field}_{level}")
        if template is None:
            continue
        phrase = _fill(template, sim, diff)
        if field == "name" and level == "exact":
            variant = _fill(ph.get("name_exact_variant", template), sim, diff)
            phrase = pl.when(diff == "").then(phrase).otherwise(variant)
        expr = expr.when(lv == i).then(phrase)
    return expr.otherwise(None)


def helper_columns() -> list[pl.Expr]:
    """Columns :func:`alasan_expr` needs (name similarity as text, differing words)."""
    return [
        pl.col("name_sim").round(2).cast(pl.Utf8).str.replace(".", ",", literal=True).alias("_sim_text"),
        _name_diff().alias("_diff_text"),
    ]


def alasan_expr(settings: MatchSettings) -> pl.Expr:
    """The sentence of the decision of each row (after :func:`helper_columns`), in the language
    of ``settings.phrases`` (see :func:`localised`; Bahasa by default)."""
    ph = _phrases_of(settings)
    sep = ph.get("separator", "; ")
    lead = (
        pl.when(pl.col("outcome") == "rejected")
        .then(pl.lit(ph["rejected"]))
        .when(pl.col("decided").fill_null(False))
        .then(pl.lit(ph["decided"]))
        .when(pl.col("outcome") == "duplicate")
        .then(pl.lit(ph["duplicate_of"]))
        .when((pl.col("outcome") == "review") & pl.col("nik_conflict").fill_null(False))
        .then(pl.lit(ph["nik_contradiction"]))
        .when((pl.col("outcome") == "review") & ~pl.col("gate").fill_null(True))
        .then(pl.lit(ph["gate_failed"]))
        .when((pl.col("outcome") == "new") & (pl.col("score") > 0))
        .then(pl.lit(ph["no_candidate_above"]))
        .when(pl.col("outcome") == "new")
        .then(pl.lit(ph["no_candidate"]))
    )
    bonus = pl.when(pl.col("hh_bonus").fill_null(False)).then(pl.lit(ph["household_bonus"]))
    has_pair = pl.col("_r").is_not_null()
    parts = [pl.when(has_pair).then(_field_phrase(f, settings, ph)) for f in FIELDS]
    return pl.concat_str([lead, *parts, bonus], separator=sep, ignore_nulls=True)


def reasons_as_json(out: pl.DataFrame) -> pl.DataFrame:
    """``out`` with ``reasons`` as a JSON text column (for CSV files, which hold no nested data).

    Example:
        >>> reasons_as_json(match(batch, register)).write_csv("reconciliation.csv")  # doctest: +SKIP
    """
    as_text = pl.col("reasons").list.eval(pl.element().struct.json_encode()).list.join(",")
    return out.with_columns(
        pl.when(pl.col("reasons").is_null()).then(None).otherwise(pl.lit("[") + as_text + pl.lit("]")).alias("reasons")
    )
