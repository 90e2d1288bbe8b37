"""Recognise a column by its content when its title cannot tell.

Every column is profiled on a sample of its values (never cell by cell over the
whole sheet): the share of values that look like a NIK, a No KK, a date, a sex,
a relationship, a verivali status, a person's name, a place and date of birth in
one cell (``BANTUL, 17-08-85``) or an RT/RW pair (``01/003``).
:func:`resolve` then uses the profiles to

- take a needed field that no title named from the column whose content fits
  (``info``: which column, and the evidence);
- warn when a title and its content disagree (a ``TGL LAHIR`` column full of NIKs),
  and let the content win only when that is unambiguous;
- pick, for a status column, the code list its words belong to.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Sequence
from itertools import islice
from dataclasses import dataclass

from slrt_cli.normalise_values import parse_date
from slrt_cli.schemas import Schema

#: values profiled per column (the first non-empty ones, in sheet order)
SAMPLE = 100
#: share of the sample a content must reach to decide a field alone
DECIDES = 0.8
#: below this share, a title's own content counts as absent (title and content disagree)
ABSENT = 0.2

_ID_CHARS = re.compile(r"[\s'\u00a0.\-]")
_SIXTEEN = re.compile(r"^\d{16}$")
_MASKED = re.compile(r"^\d{4,12}[xX*]{4,12}$")
_NAME = re.compile(r"^[A-Za-z][A-Za-z .,'`\-]{1,59}$")
_NOT_NAME = re.compile(r"^(?:JL|JLN|JALAN|RT|RW|DUSUN|DSN|DESA|KEL|KP|KAMPUNG|GG|GANG|BLOK|PERUM|DS)\b\.?", re.I)
_TTL = re.compile(r"^\s*([A-Za-z][A-Za-z .'\-]{1,40}?)\s*[,/]?\s*(\d.*\S|\d)\s*$")
_RTRW = re.compile(r"^\s*(\d{1,3})\s*/\s*(\d{1,3})\s*$")


class ColumnProfile:
    """Shares of a column's sampled values that fit each kind of content.

    Each share is computed the first time it is asked for: most columns are asked about one or
    two kinds of content, or none, so a sheet costs only what its decisions need.
    """

    def __init__(self, values: list[str], kinds: list[str | None], schema: Schema, today: dt.date):
        self.values, self.kinds, self.schema, self.today = values, kinds, schema, today
        self.n = len(values)
        self._fits: dict[str, float] = {}
        self._ids: tuple[float, float, float] | None = None

    @property
    def unique(self) -> float:
        return len(set(self.values)) / self.n if self.n else 0.0

    @property
    def women_days(self) -> float:
        """Share of 16-digit values whose day block is 41-71 (only NIKs have one)."""
        return self._id_shares()[2]

    def _id_shares(self) -> tuple[float, float, float]:
        if self._ids is None:
            self._ids = _id_fit(self.values) if self.n else (0.0, 0.0, 0.0)
        return self._ids

    def quick_fit(self, kind: str, n: int = 20) -> float:
        """The share on the first ``n`` values only: enough to see that a column holds what its
        title says (the usual case) without profiling the whole sample."""
        if self.n <= n:
            return self.fit(kind)
        head = ColumnProfile(self.values[:n], self.kinds[:n], self.schema, self.today)
        return head.fit(kind)

    def fit(self, kind: str) -> float:
        """Share of the sample that fits ``kind`` (nik, sixteen, date, sex, hub, status_verivali,
        keberadaan_art, name, ttl, rtrw)."""
        if not self.n:
            return 0.0
        if kind not in self._fits:
            self._fits[kind] = self._compute(kind)
        return self._fits[kind]

    def _compute(self, kind: str) -> float:
        v, schema = self.values, self.schema
        if kind == "nik":
            return self._id_shares()[0]
        if kind == "sixteen":
            return self._id_shares()[1]
        if kind == "date":
            return _date_fit(v, self.kinds, self.today)
        if kind == "sex":
            return _words_fit(v, schema, "jenis_kelamin")
        if kind == "hub":
            return max(_words_fit(v, schema, "hubungan"), _words_fit(v, schema, "hubungan_shdk"))
        if kind in ("status_verivali", "keberadaan_art"):
            return _words_fit(v, schema, kind)
        if kind == "name":
            return _name_fit(v, schema)
        if kind == "ttl":
            return _ttl_fit(v, self.today)
        if kind == "rtrw":
            return sum(1 for x in v if _RTRW.match(x)) / self.n
        return 0.0


def _digits(text: str) -> str:
    return _ID_CHARS.sub("", text)


def _id_fit(values: list[str]) -> tuple[float, float, float]:
    """(NIK-like share, 16-digit share, share with a women's day block) of the values."""
    nik = sixteen = women = 0
    for v in values:
        d = _digits(v)
        if _MASKED.match(d) and len(d) == 16:
            nik += 1
            sixteen += 1
            continue
        if not _SIXTEEN.match(d):
            continue
        sixteen += 1
        day, month = int(d[6:8]), int(d[8:10])
        if 11 <= int(d[:2]) <= 96 and 1 <= month <= 12 and (1 <= day <= 31 or 41 <= day <= 71):
            nik += 1
            women += day > 40
    n = len(values) or 1
    return nik / n, sixteen / n, women / n


def _date_fit(values: list[str], kinds: list[str | None], today: dt.date) -> float:
    ok = 0
    for v, k in zip(values, kinds):
        if sum(ch.isdigit() for ch in v) >= 15:
            continue  # an identifier, not a date
        d, status = parse_date(v, k, today=today)
        ok += status == "ok" and d is not None and 1905 <= d.year <= today.year
    return ok / (len(values) or 1)


def _words_fit(values: list[str], schema: Schema, codelist: str) -> float:
    cl = schema.codelists.get(codelist)
    if cl is None:
        return 0.0
    hits = sum(1 for v in values if not v.strip().replace(".", "").isdigit() and cl.lookup(v) is not None)
    return hits / (len(values) or 1)


def _name_fit(values: list[str], schema: Schema) -> float:
    words = [schema.codelists[c] for c in ("jenis_kelamin", "hubungan", "status_verivali", "flag", "status_kawin")
             if c in schema.codelists]
    hits = 0
    for v in values:
        s = " ".join(v.split())
        if not _NAME.match(s) or _NOT_NAME.match(s) or len(s.replace(" ", "")) < 3:
            continue
        if any(cl.lookup(s) is not None for cl in words):
            continue
        hits += 1
    return hits / (len(values) or 1)


def _ttl_fit(values: list[str], today: dt.date) -> float:
    hits = 0
    for v in values:
        m = _TTL.match(v)
        if m and parse_date(m[2], "s", today=today)[1] == "ok":
            hits += 1
    return hits / (len(values) or 1)


def profile_column(texts: Sequence[str | None], kinds: Sequence[str | None], schema: Schema,
                   today: dt.date | None = None) -> ColumnProfile:
    """Profile the first :data:`SAMPLE` non-empty values of a column (``texts`` as the reader gives
    them: None for an empty cell).

    Example:
        >>> from slrt_cli.schemas import load_schema
        >>> p = profile_column(["17-08-1985", "1/2/90", None], ["s", "s", None], load_schema())
        >>> p.fit("date")
        1.0
    """
    today = today or dt.date.today()
    at = list(islice((i for i, t in enumerate(texts) if t is not None), SAMPLE))  # texts are None when blank
    values = [texts[i].replace("\u00a0", " ").strip() for i in at]
    sample_kinds = [kinds[i] for i in at]
    return ColumnProfile(values, sample_kinds, schema, today)


def split_place_date(text: str | None) -> tuple[str | None, str | None]:
    """Split ``"BANTUL, 17-08-85"`` into place and date text; (None, text) when it does not split.

    Example:
        >>> split_place_date("BANTUL, 17-08-85")
        ('BANTUL', '17-08-85')
    """
    if text is None:
        return None, None
    m = _TTL.match(text.replace("\u00a0", " "))
    if not m:
        return None, text
    return m[1].strip(), m[2].strip()


def split_rt_rw(text: str | None) -> tuple[str | None, str | None]:
    """Split ``"01/003"`` into RT and RW; (None, None) when it does not split.

    Example:
        >>> split_rt_rw("01/003")
        ('01', '003')
    """
    m = _RTRW.match(text) if text else None
    return (m[1], m[2]) if m else (None, None)


#: field -> the content kind that identifies it
CONTENT_OF = {
    "nik": "nik",
    "no_kk": "sixteen",
    "tanggal_lahir": "date",
    "nama": "name",
    "jenis_kelamin": "sex",
    "hub_kk": "hub",
    "status_verivali": "status_verivali",
    "tempat_tanggal_lahir": "ttl",
    "rt_rw": "rtrw",
}
#: fields looked for by content when no title names them, in this order
NEEDED = ("nik", "no_kk", "tanggal_lahir", "tempat_tanggal_lahir", "nama", "jenis_kelamin", "hub_kk",
          "status_verivali")
#: title fields whose content is checked against the title
CHECKED = ("nik", "no_kk", "tanggal_lahir", "nama", "jenis_kelamin")


@dataclass
class Decision:
    """One change :func:`resolve` made to a sheet's column mapping."""

    column: int
    field: str | None
    codelist: str | None
    how: str  # content, content-swap, codelist
    evidence: float
    issue: str  # issue code to report
    previous: str | None = None


#: a title sharing words with these fields makes a column the preferred holder of the key field
RELATED = {"nama": {"nama", "nama_krt"}, "tempat_tanggal_lahir": {"tempat_lahir", "tanggal_lahir"}}


def _who_fits(profiles: dict[int, ColumnProfile], candidates: list[int], kind: str,
              near: dict[int, bool]) -> list[tuple[float, int]]:
    """Columns whose content fits, the ones whose title is near the field first, then by share."""
    fits = [(profiles[c].fit(kind), c) for c in candidates if profiles[c].fit(kind) >= DECIDES]
    return sorted(fits, key=lambda x: (not near.get(x[1], False), -x[0], x[1]))


def _status_codelist(prof: ColumnProfile, current: str | None) -> str | None:
    """The status list whose words the column holds, when it is not the one the title chose."""
    best = max(("status_verivali", "keberadaan_art"), key=lambda k: prof.fit(k))
    if prof.fit(best) < DECIDES:
        return None
    if current is None or prof.fit(best) > prof.fit(current):
        return best
    return None


def resolve(mapping: dict[int, tuple[str, str | None]], profiles: dict[int, ColumnProfile],
            not_for: dict[int, set[str]], same_values: Callable[[int, int], float] | None = None,
            near: dict[int, set[str]] | None = None, untitled: set[int] = frozenset()) -> list[Decision]:
    """Decide from content what titles could not; ``mapping`` is updated in place.

    Args:
        mapping: grid column -> (field, code-list override) from the titles.
        profiles: grid column -> its :class:`ColumnProfile` (columns with values).
        not_for: grid column -> fields its title rules out (``tgl_lpj`` is not the birth date).
        near: grid column -> fields its title shares words with (preferred among fitting columns).
        untitled: grid columns without a title of words (blank, or a questionnaire item number).
        same_values: share of rows where two columns hold the same value (a No KK column is
            not one that repeats the NIK).

    Returns:
        The decisions taken, each to be reported as an issue.
    """
    decisions: list[Decision] = []
    decisions += _status_lists(mapping, profiles)
    decisions += _disagreements(mapping, profiles)
    mapped = {m[0] for m in mapping.values()}
    for fld in NEEDED:
        if fld in mapped or (fld == "tempat_tanggal_lahir" and "tanggal_lahir" in mapped):
            continue
        free = [c for c in profiles if c not in mapping and fld not in not_for.get(c, ())]
        related = RELATED.get(fld, {fld})
        is_near = {c: bool(related & (near or {}).get(c, set())) for c in free}
        fits = _who_fits(profiles, free, CONTENT_OF[fld], is_near)
        if fld == "nik":
            fits = [f for f in fits if profiles[f[1]].unique >= 0.9 or profiles[f[1]].women_days > 0]
        if fld == "no_kk":  # a KK repeats over a household, never has a woman's day block, is not the NIK
            nik_col = next((k for k, m in mapping.items() if m[0] == "nik"), None)
            fits = [f for f in fits if profiles[f[1]].unique < 0.9 and profiles[f[1]].women_days == 0
                    and (nik_col is None or same_values is None or same_values(f[1], nik_col) < 0.1)]
        if fld == "nama":  # names differ from row to row (unless the title says it is a name)
            fits = [f for f in fits if is_near[f[1]] or (profiles[f[1]].unique >= 0.5
                                                         and (profiles[f[1]].n >= 3 or profiles[f[1]].unique == 1))]
        if not fits:
            continue
        share, col = fits[0]
        if fld == "nama":  # several name columns (the mother's, the head's): the person's own comes first
            col, share = min(((c, f) for f, c in fits if f >= share - 0.1 and is_near[c] == is_near[col]),
                             key=lambda x: x[0])
        mapping[col] = (fld, None)
        mapped.add(fld)
        decisions.append(Decision(col, fld, None, "content", share, "COLUMN_BY_CONTENT"))
    decisions += _repeated_copies(mapping, {c: p for c, p in profiles.items() if c in untitled}, same_values)
    return decisions


def _repeated_copies(mapping: dict[int, tuple[str, str | None]], profiles: dict[int, ColumnProfile],
                     same_values: Callable[[int, int], float] | None) -> list[Decision]:
    """Untitled columns that repeat the NIK or No KK column (a questionnaire's second column group):
    mapped to the same field, so that they are kept as copies and checked to agree."""
    out = []
    for fld in ("nik", "no_kk"):
        main = next((k for k, m in sorted(mapping.items()) if m[0] == fld), None)
        if main is None or same_values is None:
            continue
        for c in sorted(profiles):
            if c in mapping or profiles[c].fit("sixteen") < DECIDES or same_values(c, main) < 0.5:
                continue
            mapping[c] = (fld, None)
            out.append(Decision(c, fld, None, "content", same_values(c, main), "COLUMN_BY_CONTENT"))
    return out


def _status_lists(mapping: dict[int, tuple[str, str | None]], profiles: dict[int, ColumnProfile]) -> list[Decision]:
    out = []
    has_status = any(m[0] == "status_verivali" for m in mapping.values())
    for c, (fld, codelist) in sorted(mapping.items()):
        if c not in profiles:
            continue
        if fld == "status_verivali":
            better = _status_codelist(profiles[c], codelist)
            if better and better != codelist:
                mapping[c] = (fld, better)
                out.append(Decision(c, fld, better, "codelist", profiles[c].fit(better), "COLUMN_CODES_BY_CONTENT",
                                    previous=codelist or "status_verivali"))
        elif fld == "alasan" and not has_status:  # KET / KETERANGAN holding Ditemukan, Usulan Baru ...
            better = _status_codelist(profiles[c], None)
            if better:
                mapping[c] = ("status_verivali", better)
                has_status = True
                out.append(Decision(c, "status_verivali", better, "content", profiles[c].fit(better),
                                    "COLUMN_CONTENT_MISMATCH", previous=fld))
    return out


def _disagreements(mapping: dict[int, tuple[str, str | None]], profiles: dict[int, ColumnProfile]) -> list[Decision]:
    """Titled key columns whose content is another key field's (columns swapped)."""
    out: list[Decision] = []
    done: set[int] = set()
    for c, (fld, codelist) in sorted(mapping.items()):
        if fld not in CHECKED or c not in profiles or profiles[c].n < 3 or c in done:
            continue
        prof = profiles[c]
        if prof.quick_fit(CONTENT_OF[fld]) >= 0.5:
            continue  # it holds what its title says
        own = prof.fit(CONTENT_OF[fld])
        if own >= ABSENT:
            continue
        others = [f for f in CHECKED if f != fld and prof.fit(CONTENT_OF[f]) >= DECIDES]
        if fld in ("nik", "no_kk"):
            others = [f for f in others if f not in ("nik", "no_kk")]
        elif "nik" in others and "no_kk" in others:  # 16 digits: unique or a woman's day block is a NIK
            others.remove("no_kk" if prof.unique >= 0.9 or prof.women_days > 0 else "nik")
        if not others:
            continue  # odd content, but nothing says it is another field: validation will tell
        target = others[0] if len(others) == 1 else None
        holder = next((k for k, m in mapping.items() if m[0] == target), None) if target else None
        swap_ok = holder is None or (holder in profiles and profiles[holder].fit(CONTENT_OF[fld]) >= DECIDES)
        if target and swap_ok:
            mapping[c] = (target, None)
            done.update((c, holder) if holder is not None else (c,))
            if holder is not None:
                mapping[holder] = (fld, codelist)
                out.append(Decision(holder, fld, codelist, "content-swap", profiles[holder].fit(CONTENT_OF[fld]),
                                    "COLUMN_CONTENT_MISMATCH", previous=target))
            out.append(Decision(c, target, None, "content-swap", prof.fit(CONTENT_OF[target]),
                                "COLUMN_CONTENT_MISMATCH", previous=fld))
        else:
            out.append(Decision(c, fld, codelist, "kept", own, "COLUMN_CONTENT_DOUBT", previous=fld))
    return out
