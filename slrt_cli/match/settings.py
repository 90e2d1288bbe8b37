"""Settings of the record-linkage engine, read from ``schemas/match.toml``.

:class:`MatchSettings` holds thresholds, weight clamps, the blocking rules, the
comparison levels of each field (with default m/u), the name rules and the
Bahasa phrases of the reasons. Every default lives in ``schemas/match.toml``
so that a non-programmer can read and change it; ``MatchSettings.default()``
loads it once. ``replace()`` (``dataclasses.replace``) overrides single values.

Example:
    >>> s = MatchSettings.default()
    >>> s.match_threshold, s.review_threshold
    (0.95, 0.5)
    >>> s2 = s.replace(match_threshold=0.9)
"""

from __future__ import annotations

import dataclasses
import tomllib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from slrt_cli.schemas import schemas_dir

#: The fields compared for every candidate pair, in the order reasons are shown.
FIELDS = (
    "nik",
    "name",
    "dob",
    "sex",
    "person_id",
    "kk",
    "household_id",
    "mother",
    "address",
    "rtrw",
    "desa",
    "hub",
)

#: Keys a blocking rule may use (see schemas/match.toml).
BLOCK_KEYS = frozenset(
    (
        "nik15",
        "nik12",
        "kk",
        "person_id",
        "household_id",
        "name_token",
        "rare_token",
        "name_key",
        "dob_key",
        "md_key",
        "birth_year",
        "missing_dob",
        "kode_desa",
        "kode_kec",
    )
)


@dataclass(frozen=True)
class FieldLevels:
    """Comparison levels of one field, best first (``null`` is implicit and weighs 0)."""

    name: str
    label: str
    levels: tuple[str, ...]
    groups: tuple[str, ...]
    m: tuple[float, ...]
    u: tuple[float, ...]
    params: dict[str, Any] = field(default_factory=dict)

    def index(self, level: str) -> int:
        """Position of ``level`` (1-based code used in frames; 0 means null)."""
        return self.levels.index(level) + 1


@dataclass(frozen=True)
class BlockingRule:
    """Candidate pairs share every key of the rule."""

    name: str
    keys: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class NameRules:
    """Rules that turn a name into its matching key (see ``[names]`` in match.toml)."""

    spelling: tuple[tuple[str, str], ...]
    titles: frozenset[str]
    degrees: frozenset[str]
    degrees_need_dot: frozenset[str]
    patronymic: frozenset[str]
    first_initial: tuple[tuple[str, str], ...]
    aliases: dict[str, str]  # variant (raw or spelled) -> canonical
    common: frozenset[str]


@dataclass(frozen=True)
class MatchSettings:
    """All knobs of the matcher. Build with :meth:`default` or :meth:`from_toml`.

    Attributes:
        match_threshold: score from which a row is linked (``matched``).
        review_threshold: score from which the best candidate is shown (``review``).
        duplicate_name_level: name level a loser of one-to-one needs to be ``duplicate``.
        match_share: expected share of batch rows in the register, or None (estimated).
        max_bits / min_bits: clamp of each level's weight.
        household_cap_bits / household_floor_bits: clamp of the household group's sum.
        gate_name_level / gate_dob_levels / gate_name_alone_levels: the person
            fields a probabilistic link needs.
        contradict_name_level / doubt_name_level / contradict_dob_levels: when an
            equal NIK is a different person (stage 1).
        fields: comparison levels by field name.
        blocking: the OR-ed blocking rules.
        names: name normalisation rules.
        phrases: Bahasa wording of the reasons.
    """

    match_threshold: float
    review_threshold: float
    duplicate_name_level: str
    match_share: float | None
    match_share_min: float
    match_share_max: float
    match_share_default: float
    max_bits: float
    min_bits: float
    household_cap_bits: float
    household_floor_bits: float
    household_majority: float
    household_min_linked: int
    tf_min_bits: float
    tf_max_bits: float
    gate_name_level: str
    gate_dob_levels: tuple[str, ...]
    gate_name_alone_levels: tuple[str, ...]
    contradict_name_level: str
    doubt_name_level: str
    stage1_name_level: str
    stage1_dob_levels: tuple[str, ...]
    contradict_dob_levels: tuple[str, ...]
    u_pairs: int
    m_pairs: int
    m_prior_weight: float
    u_prior_weight: float
    common_token_share: float
    frequent_token_share: float
    fields: dict[str, FieldLevels]
    blocking: tuple[BlockingRule, ...]
    names: NameRules
    phrases: dict[str, str]

    @classmethod
    def default(cls) -> MatchSettings:
        """Settings from the shipped ``schemas/match.toml``."""
        return _default()

    @classmethod
    def from_toml(cls, path: str | Path) -> MatchSettings:
        """Settings from a match.toml file (same layout as the shipped one).

        Raises:
            ValueError: an unknown field, level, blocking key or threshold order.
        """
        with open(path, "rb") as fh:
            return cls.from_dict(tomllib.load(fh))

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MatchSettings:
        """Build settings from the parsed TOML document."""
        th, pr, wt = data["thresholds"], data["prior"], data["weights"]
        gate, st1, est = data["gate"], data["stage1"], data["estimation"]
        share = pr.get("match_share", "auto")
        settings = cls(
            match_threshold=float(th["match"]),
            review_threshold=float(th["review"]),
            duplicate_name_level=th["duplicate_name_level"],
            match_share=None if share == "auto" else float(share),
            match_share_min=float(pr["match_share_min"]),
            match_share_max=float(pr["match_share_max"]),
            match_share_default=float(pr["match_share_default"]),
            max_bits=float(wt["max_bits"]),
            min_bits=float(wt["min_bits"]),
            household_cap_bits=float(wt["household_cap_bits"]),
            household_floor_bits=float(wt["household_floor_bits"]),
            household_majority=float(wt["household_majority"]),
            household_min_linked=int(wt["household_min_linked"]),
            tf_min_bits=float(wt["tf_min_bits"]),
            tf_max_bits=float(wt["tf_max_bits"]),
            gate_name_level=gate["name_min_level"],
            gate_dob_levels=tuple(gate["dob_levels"]),
            gate_name_alone_levels=tuple(gate.get("name_alone_levels", ())),
            contradict_name_level=st1["contradict_name_level"],
            doubt_name_level=st1.get("doubt_name_level", st1["contradict_name_level"]),
            stage1_name_level=st1.get("link_name_level", "similar"),
            stage1_dob_levels=tuple(st1.get("link_dob_levels", ["exact", "swap"])),
            contradict_dob_levels=tuple(st1["contradict_dob_levels"]),
            u_pairs=int(est["u_pairs"]),
            m_pairs=int(est.get("m_pairs", 30_000)),
            m_prior_weight=float(est["m_prior_weight"]),
            u_prior_weight=float(est["u_prior_weight"]),
            common_token_share=float(est["common_token_share"]),
            frequent_token_share=float(est.get("frequent_token_share", 0.02)),
            fields={name: _field(name, spec) for name, spec in data["fields"].items()},
            blocking=tuple(BlockingRule(b["name"], tuple(b["keys"])) for b in data["blocking"]),
            names=_name_rules(data["names"]),
            phrases=dict(data["alasan"]),
        )
        settings.check()
        return settings

    def replace(self, **changes: Any) -> MatchSettings:
        """A copy with some values changed (checked)."""
        new = dataclasses.replace(self, **changes)
        new.check()
        return new

    def check(self) -> None:
        """Raise ValueError when the settings are inconsistent."""
        if not 0.0 < self.review_threshold <= self.match_threshold < 1.0:
            raise ValueError("match.toml: need 0 < review <= match < 1 in [thresholds]")
        missing = [f for f in FIELDS if f not in self.fields]
        if missing:
            raise ValueError(f"match.toml: fields without levels: {', '.join(missing)}")
        name_levels = self.fields["name"].levels
        for lvl in (
            self.duplicate_name_level,
            self.gate_name_level,
            self.contradict_name_level,
            self.doubt_name_level,
            *self.gate_name_alone_levels,
        ):
            if lvl not in name_levels:
                raise ValueError(f"match.toml: unknown name level {lvl!r}")
        for lvl in (*self.gate_dob_levels, *self.contradict_dob_levels, *self.stage1_dob_levels):
            if lvl not in self.fields["dob"].levels:
                raise ValueError(f"match.toml: unknown birth-date level {lvl!r}")
        for rule in self.blocking:
            bad = [k for k in rule.keys if k not in BLOCK_KEYS]
            if bad or not rule.keys:
                raise ValueError(f"match.toml: blocking rule {rule.name!r} has unknown keys {bad}")

    def to_dict(self) -> dict[str, Any]:
        """Plain values (for ``slrt config show`` and run records)."""
        out = dataclasses.asdict(self)
        out["names"] = {"aliases": len(self.names.aliases), "common": sorted(self.names.common)}
        return out


def _field(name: str, spec: dict[str, Any]) -> FieldLevels:
    levels = tuple(spec["levels"])
    groups = tuple(spec.get("groups", ["person"] * len(levels)))
    m, u = tuple(float(x) for x in spec["m"]), tuple(float(x) for x in spec["u"])
    if not (len(levels) == len(groups) == len(m) == len(u)):
        raise ValueError(f"match.toml: field {name!r}: levels, groups, m and u differ in length")
    if any(g not in ("person", "household") for g in groups):
        raise ValueError(f"match.toml: field {name!r}: group must be person or household")
    reserved = {"label", "levels", "groups", "m", "u"}
    params = {k: v for k, v in spec.items() if k not in reserved}
    return FieldLevels(name, spec.get("label", name), levels, groups, m, u, params)


def spell(word: str, spelling: tuple[tuple[str, str], ...]) -> str:
    """Apply the old-spelling rules to one word, in order."""
    for old, new in spelling:
        if old in word:
            word = word.replace(old, new)
    return word


def squeeze(word: str) -> str:
    """A word with doubled letters written once (MUHAMMAAD -> MUHAMAD)."""
    out: list[str] = []
    for c in word:
        if not out or out[-1] != c:
            out.append(c)
    return "".join(out)


def _name_rules(spec: dict[str, Any]) -> NameRules:
    spelling = tuple((a.upper(), b.upper()) for a, b in spec["spelling"])
    aliases: dict[str, str] = {}
    for canonical, variants in spec["aliases"].items():
        canon = spell(canonical.upper(), spelling)
        for v in (canonical, *variants):
            for form in (v.upper(), spell(v.upper(), spelling)):
                aliases[form] = canon
                aliases.setdefault("=" + squeeze(form), canon)  # "=": looked up by squeezed form

    def up(xs: list[str]) -> frozenset[str]:
        return frozenset(x.upper().replace(".", "") for x in xs)

    return NameRules(
        spelling=spelling,
        titles=up(spec["titles"]),
        degrees=up(spec["degrees"]),
        degrees_need_dot=up(spec["degrees_need_dot"]),
        patronymic=up(spec["patronymic"]),
        first_initial=tuple((a.upper(), b.upper()) for a, b in spec["first_initial"]),
        aliases=aliases,
        common=frozenset(spell(w.upper(), spelling) for w in spec["common"]["words"]),
    )


@lru_cache(maxsize=1)
def _default() -> MatchSettings:
    return MatchSettings.from_toml(schemas_dir() / "match.toml")
