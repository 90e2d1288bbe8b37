"""Synthetic register population (a DTKS-like extract) for one kabupaten.

Households are built one by one with a seeded :class:`random.Random`: a head,
usually a spouse, children born when the mother was 17-42 (1 % twins), sometimes
a parent of the head or spouse, a married child with an in-law and grandchildren
(often on a second KK: households with two KKs), or another relative. Then,
vectorised with polars, every person gets a structurally valid NIK (real
kecamatan code, DDMMYY with +40 for women, serial from 0001 unique per
kecamatan and birth date) unless they are among the ~7 % without one, and every
KK a No KK (kecamatan + recording date DDMMYY + serial).

Register keys are obviously fake: ``household_id`` is ``SYN`` + kab + 7 digits,
``person_id`` is the household id + a 2-digit member number.

Large registers are built in shards (groups of desa), in parallel when asked;
the result depends only on the seed and the size, never on the number of
worker processes.
"""

from __future__ import annotations

import datetime as dt
import random
from bisect import bisect
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from multiprocessing import get_context

import numpy as np
import polars as pl

from slrt_cli import reference
from slrt_synth import names as nm

EPOCH_ORD = dt.date(1970, 1, 1).toordinal()

#: Columns of :attr:`Population.df`, in output order.
PERSON_COLUMNS = (
    "household_id", "person_id", "nuk", "no_kk", "nik", "nama", "jenis_kelamin", "tanggal_lahir",
    "tempat_lahir", "status_kawin", "pekerjaan", "nama_ibu_kandung", "hub_krt", "hub_kk", "shdk",
    "kode_desa", "alamat", "dusun", "rt", "rw", "padan_dukcapil", "pkh", "bpnt", "bpnt_ppkm", "pbi",
    "ethnic",
)
# built by the shard loop; ids, NIK and KK are derived from them afterwards
_RAW_COLUMNS = (
    "hh", "mno", "nuk", "kk_unit", "kk_kec", "kk_date", "nik_kec", "twin2", "sib_of",
    "nama", "jenis_kelamin", "tanggal_lahir", "tempat_lahir", "status_kawin", "pekerjaan",
    "nama_ibu_kandung", "hub_krt", "hub_kk", "shdk", "kode_desa", "alamat", "dusun", "rt", "rw",
    "padan_dukcapil", "pkh", "bpnt", "bpnt_ppkm", "pbi", "ethnic",
)

# head age bands (years) and their cumulative weights
_HEAD_AGE = ((20, 29), (30, 39), (40, 49), (50, 59), (60, 69), (70, 88))
_HEAD_AGE_CUM = (0.10, 0.31, 0.56, 0.78, 0.92, 1.0)
_N_CHILD_CUM = (0.08, 0.26, 0.56, 0.80, 0.92, 0.98)  # P(children <= k), k = 0..5
SHARD_SIZE = 250_000
#: Dates that validators treat as "not filled in" (schemas/rules.toml): no one is born on them.
PLACEHOLDER_ORDINALS = frozenset(dt.date(y, m, d).toordinal() for y, m, d in ((1970, 1, 1), (1900, 1, 1), (1899, 12, 31)))


class SerialAllocator:
    """Hand out 4-digit serials, unique per key (kecamatan + DDMMYY), after those already used.

    Used for people created after the register (new babies, new households).
    """

    def __init__(self, used_max: dict[str, int] | None = None):
        self.next = {k: v + 1 for k, v in (used_max or {}).items()}

    def take(self, key: str) -> int:
        s = self.next.get(key, 1)
        self.next[key] = s + 1
        return min(s, 9999)


def date_of(ordinal: int) -> dt.date:
    return dt.date.fromordinal(ordinal)


def nik_for(kec: str, birth: dt.date, sex: int, serial: int) -> str:
    """Build a NIK: ``PPKKCC`` + ``DDMMYY`` (+40 on the day for women) + serial.

    Example:
        >>> nik_for("320101", dt.date(1990, 8, 5), 2, 1)
        '3201014508900001'
    """
    day = birth.day + (40 if sex == 2 else 0)
    return f"{kec}{day:02d}{birth.month:02d}{birth.year % 100:02d}{serial:04d}"


def ddmmyy(d: dt.date) -> str:
    return f"{d.day:02d}{d.month:02d}{d.year % 100:02d}"


def place_name(region_name: str) -> str:
    """Birthplace as written in registers: ``Kabupaten Bogor`` -> ``BOGOR``."""
    s = region_name.upper()
    for prefix in ("KOTA ADMINISTRASI ", "KABUPATEN ADMINISTRASI ", "KABUPATEN ", "KOTA "):
        if s.startswith(prefix):
            return s[len(prefix):]
    return s


@dataclass
class Geography:
    """Regions used by the generator: the kabupaten's kecamatan and desa, and other kabupaten."""

    kab: str
    kab_name: str
    prov_name: str
    kecamatan: dict[str, str]  # code -> name
    desa: dict[str, str]  # code -> name
    other_kab: list[str]  # codes of every other kabupaten/kota
    kab_names: dict[str, str]  # code -> birthplace-style name
    kec_of_kab: dict[str, list[str]] = field(default_factory=dict)  # filled for migrants' origins

    @classmethod
    def load(cls, kab: str) -> Geography:
        regions = reference.regions_in_kabupaten(kab)
        if not regions:
            raise ValueError(f"unknown kabupaten code {kab!r}")
        kabs = reference.kabupaten()
        geo = cls(
            kab=kab,
            kab_name=kabs[kab].name,
            prov_name=reference.provinces()[kab[:2]].name,
            kecamatan={c: r.name for c, r in regions.items() if r.level == "kec"},
            desa={c: r.name for c, r in regions.items() if r.level == "desa"},
            other_kab=sorted(c for c in kabs if c != kab),
            kab_names={c: place_name(r.name) for c, r in kabs.items()},
        )
        return geo

    def kecamatan_of_kab(self, kab: str) -> list[str]:
        if kab == self.kab:
            return sorted(self.kecamatan)
        kecs = self.kec_of_kab.get(kab)
        if kecs is None:
            kecs = self.kec_of_kab[kab] = [r.code for r in reference.children(kab)] or [kab + "01"]
        return kecs

    def preload_origins(self) -> None:
        """Load the kecamatan of every kabupaten people may come from (before forking workers)."""
        for prov in {p for ps in nm.HOME_PROVINCES.values() for p in ps}:
            for kab in self.other_kab:
                if kab[:2] == prov:
                    self.kecamatan_of_kab(kab)


@dataclass
class Population:
    """The register: one row per person in :attr:`df` (columns :data:`PERSON_COLUMNS`
    plus ``hh``, the 0-based household number), households contiguous, head first.

    ``tanggal_lahir`` is a polars Date; codes (sex, relations, marital status) are
    small integers; identifiers are strings (``nik`` empty when the person has none).
    """

    geo: Geography
    snapshot: dt.date
    df: pl.DataFrame
    _allocs: tuple[SerialAllocator, SerialAllocator] | None = None

    def __len__(self) -> int:
        return self.df.height

    @property
    def n_households(self) -> int:
        return int(self.df["hh"].max()) + 1 if self.df.height else 0

    def allocators(self) -> tuple[SerialAllocator, SerialAllocator]:
        """Serial allocators for new NIKs and No KKs that never collide with the register."""
        if self._allocs is None:
            self._allocs = (SerialAllocator(_used_max(self.df["nik"], nik=True)),
                            SerialAllocator(_used_max(self.df["no_kk"], nik=False)))
        return self._allocs


def _used_max(ids: pl.Series, nik: bool) -> dict[str, int]:
    s = ids.filter(ids.str.len_chars() == 16)
    day = s.str.slice(6, 2).cast(pl.Int32)
    if nik:
        day = pl.Series(np.where(day.to_numpy() > 40, day.to_numpy() - 40, day.to_numpy()))
    df = pl.DataFrame({
        "key": s.str.slice(0, 6) + day.cast(pl.Utf8).str.zfill(2) + s.str.slice(8, 4),
        "serial": s.str.slice(12, 4).cast(pl.Int32),
    })
    agg = df.group_by("key").agg(pl.col("serial").max()).sort("key")
    return dict(zip(agg["key"].to_list(), agg["serial"].to_list()))


class ShardBuilder:
    """Build the households of one shard (a list of desa) with one seeded RNG.

    Args:
        geo: regions of the kabupaten.
        seed: random seed of this shard.
        snapshot: date of the register extract (ages are counted from it).
    """

    def __init__(self, geo: Geography, seed: int, snapshot: dt.date):
        self.geo = geo
        self.rng = random.Random(seed)
        self.names = nm.NameMaker(self.rng)
        self.snap_ord = snapshot.toordinal()
        mix = nm.ETHNIC_MIX.get(geo.kab[:2], nm.ETHNIC_MIX["*"])
        self._ethnics = [e for e, _ in mix]
        self._ethnic_cum = [sum(w for _, w in mix[: i + 1]) for i in range(len(mix))]
        self._kecs = sorted(geo.kecamatan)
        by_prov: dict[str, list[str]] = {}
        for code in geo.other_kab:
            by_prov.setdefault(code[:2], []).append(code)
        self._kab_by_prov = by_prov
        self._desa_streets: dict[str, tuple] = {}
        self.cols: dict[str, list] = {c: [] for c in _RAW_COLUMNS}
        self._hh = 0
        self._kk = 0

    # ---- small helpers -------------------------------------------------------
    def _ethnic(self) -> str:
        i = bisect(self._ethnic_cum, self.rng.random() * self._ethnic_cum[-1])
        return self._ethnics[min(i, len(self._ethnics) - 1)]

    def _randint(self, lo: int, hi: int) -> int:
        return lo + int(self.rng.random() * (hi - lo + 1))

    def _birth(self, age: float) -> int:
        ordinal = self.snap_ord - int(age * 365.25) - int(self.rng.random() * 365)
        if age > 55 and self.rng.random() < 0.12:  # day unknown: registered on 1 Jan, 1 Jul or 31 Dec
            year = date_of(ordinal).year
            ordinal = dt.date(year, *self.rng.choice(((1, 1), (1, 1), (7, 1), (12, 31)))).toordinal()
        return ordinal + 1 if ordinal in PLACEHOLDER_ORDINALS else ordinal

    def _origin(self, ethnic: str, home_kec: str, adult: bool) -> tuple[str, str]:
        """(kecamatan code of first NIK issue, birthplace) for one person."""
        rng = self.rng
        r = rng.random()
        geo = self.geo
        local = geo.kab_names[geo.kab]
        if adult:
            if r < (0.7 if geo.kab[:2] not in nm.HOME_PROVINCES[ethnic] else 0.15):  # born elsewhere
                provs = [p for p in nm.HOME_PROVINCES[ethnic] if p in self._kab_by_prov]
                kab = rng.choice(self._kab_by_prov[rng.choice(provs)]) if provs else rng.choice(geo.other_kab)
                return rng.choice(geo.kecamatan_of_kab(kab)), geo.kab_names[kab]
            if r < 0.35:
                return rng.choice(self._kecs), local
            return home_kec, local
        if r < 0.12:
            return rng.choice(self._kecs), local
        return home_kec, local if r < 0.87 else geo.kecamatan[home_kec].upper()

    def _address(self, desa: str) -> tuple[str, str, str, str]:
        rng = self.rng
        streets = self._desa_streets.get(desa)
        if streets is None:
            n_rw = rng.randint(3, 12)
            kampung = rng.sample(nm.KAMPUNG, min(n_rw, len(nm.KAMPUNG)))
            streets = self._desa_streets[desa] = (n_rw, kampung, rng.randint(3, 8))
        n_rw, kampung, n_rt = streets
        rw = self._randint(1, n_rw)
        rt = self._randint(1, n_rt)
        r = rng.random()
        if r < 0.58:
            alamat = f"KP. {kampung[(rw - 1) % len(kampung)]}"
        elif r < 0.80:
            alamat = f"JL. {rng.choice(nm.JALAN)} NO. {self._randint(1, 120)}"
        elif r < 0.90:
            alamat = f"GG. {rng.choice(nm.GANG)}"
        else:
            alamat = f"DUSUN {kampung[(rw - 1) % len(kampung)]}"
        dusun = rng.choice(nm.DUSUN) if desa[6] == "2" and rng.random() < 0.6 else ""
        return alamat, dusun, f"{rt:03d}", f"{rw:03d}"

    def _occupation(self, sex: int, age: float) -> str:
        rng = self.rng
        if age < 6:
            return nm.OCCUPATION["child"][0]
        if age < 19:
            return nm.OCCUPATION["pupil"][0] if rng.random() < 0.9 else nm.OCCUPATION["child"][0]
        if age >= 65:
            return rng.choice(nm.OCCUPATION["elder"])
        occ = nm.OCCUPATION[sex]
        return occ[min(int(rng.expovariate(0.45)), len(occ) - 1)]

    # ---- households ----------------------------------------------------------
    def build(self, desa_weights: list[tuple[str, float]], n_persons: int) -> dict[str, list]:
        """Add households in the given desa (weighted) until ``n_persons`` people exist."""
        rng = self.rng
        codes = [d for d, _ in desa_weights]
        cum: list[float] = []
        total = 0.0
        for _, w in desa_weights:
            total += w
            cum.append(total)
        hh_col = self.cols["hh"]
        while len(hh_col) < n_persons:
            desa = codes[min(bisect(cum, rng.random() * total), len(codes) - 1)]
            members = self.household_members(desa)[: n_persons - len(hh_col)]
            self._append(desa, members)
        return self.cols

    def household_members(self, desa: str) -> list[dict]:
        """Members of one household living in ``desa``: dicts with relation codes, sex,
        ``birth`` (ordinal), ``nama``, ``ibu``, ``kec`` (NIK kecamatan, "" for no NIK), ..."""
        ethnic = self._ethnic()
        members = self._plan_members(ethnic)
        self._finish_members(members, ethnic, desa[:6])
        return members

    def _plan_members(self, ethnic: str) -> list[dict]:
        """Relations, sexes and birth dates of one household (names come later)."""
        rng = self.rng
        r = rng.random()
        band = next(i for i, c in enumerate(_HEAD_AGE_CUM) if r < c)
        lo, hi = _HEAD_AGE[band]
        head_age = rng.uniform(lo, hi + 1)
        head_sex = 1 if rng.random() < (0.86 if head_age < 60 else 0.7) else 2
        head = dict(sex=head_sex, age=head_age, hub=1, kk_hub=1, shdk=1, nuk=1, kawin=2, mother=None)
        members = [head]
        mother = None
        if head_sex == 1:
            p_spouse = 0.93 if head_age < 65 else 0.6
            if head_age < 25:
                p_spouse = 0.75
            if rng.random() < p_spouse:
                sp_age = max(17.0, head_age - rng.gauss(4, 4))
                mother = dict(sex=2, age=sp_age, hub=2, kk_hub=2, shdk=3, nuk=1, kawin=2, mother=None)
                members.append(mother)
            else:
                head["kawin"] = 1 if head_age < 30 else (4 if rng.random() < 0.7 else 3)
        else:
            head["kawin"] = 4 if rng.random() < 0.7 else (3 if rng.random() < 0.8 else 2)
            mother = head
        mother_age = mother["age"] if mother else head_age - 4
        children = self._children(mother_age, mother)
        in_laws = []
        if head_age >= 45 and rng.random() < 0.16:
            in_laws = self._married_child(children, mother, mother_age)
        members.extend(children)
        members.extend(in_laws)
        if rng.random() < 0.07 and head_age < 70:
            elder = self._elder(head, mother)
            if elder["nuk"] == 2 and any(m["nuk"] == 2 for m in members):
                elder["nuk"] = 3  # the married child's family already holds KK 2
            members.append(elder)
        if rng.random() < 0.03:
            age = rng.uniform(8, 60)
            members.append(dict(sex=rng.randint(1, 2), age=age, hub=8, kk_hub=8, shdk=9, nuk=1,
                                kawin=1 if age < 25 else 2, mother=None))
        return members

    def _children(self, mother_age: float, mother: dict | None) -> list[dict]:
        rng = self.rng
        out: list[dict] = []
        age_at = rng.uniform(17, 28)
        order = 0
        wanted = bisect(_N_CHILD_CUM, rng.random())
        while order < wanted:
            child_age = mother_age - age_at
            if child_age < 0 or age_at > 42:
                break
            keep = child_age < 21 or rng.random() < (0.45 if child_age < 30 else 0.1)
            twins = rng.random() < 0.012
            first = None
            for _ in range(2 if twins else 1):
                order += 1
                c = dict(sex=1 if rng.random() < 0.51 else 2, age=child_age, hub=3, kk_hub=3, shdk=4, nuk=1,
                         kawin=1, mother=mother, order=order)
                if first is None:
                    first = c
                else:
                    c["twin_of"] = first
                if keep:
                    out.append(c)
            age_at += rng.uniform(1.5, 6)
        return out

    def _married_child(self, children: list[dict], mother: dict | None, mother_age: float) -> list[dict]:
        rng = self.rng
        adults = [c for c in children if 20 <= c["age"] <= 40]
        if adults:
            child = adults[0]
        else:
            child = dict(sex=rng.randint(1, 2), age=rng.uniform(20, min(40, mother_age - 17)), hub=3, kk_hub=3,
                         shdk=4, nuk=1, kawin=1, mother=mother, order=1)
            children.insert(0, child)
        child["kawin"] = 2
        own_kk = rng.random() < 0.5
        sp_sex = 3 - child["sex"]
        sp_age = max(17.0, child["age"] + (rng.gauss(-3, 3) if sp_sex == 2 else rng.gauss(3, 3)))
        spouse = dict(sex=sp_sex, age=sp_age, hub=4, kk_hub=2 if own_kk else 4,
                      shdk=(2 if sp_sex == 1 else 3) if own_kk else 5, nuk=2 if own_kk else 1, kawin=2, mother=None)
        out = [spouse]
        if own_kk:
            child.update(kk_hub=1, shdk=1, nuk=2)
        mom = child if child["sex"] == 2 else spouse
        age_at = rng.uniform(18, 27)
        for order in range(1, rng.choices((1, 2, 3, 4), (30, 40, 22, 8))[0] + 1):
            g_age = mom["age"] - age_at
            if g_age < 0:
                break
            out.append(dict(sex=rng.randint(1, 2), age=g_age, hub=5, kk_hub=3 if own_kk else 5,
                            shdk=4 if own_kk else 6, nuk=2 if own_kk else 1, kawin=1, mother=mom, order=order,
                            father=child if child["sex"] == 1 else spouse))
            age_at += rng.uniform(2, 5)
        return out

    def _elder(self, head: dict, spouse: dict | None) -> dict:
        rng = self.rng
        of_head = spouse is None or spouse is head or rng.random() < 0.6
        base = head if of_head else spouse
        age = min(base["age"] + rng.uniform(19, 34), 98.0)
        sex = 2 if rng.random() < 0.72 else 1
        own_kk = rng.random() < 0.15
        elder = dict(sex=sex, age=age, hub=6, kk_hub=1 if own_kk else 6,
                     shdk=1 if own_kk else (7 if of_head else 8), nuk=2 if own_kk else 1,
                     kawin=4 if rng.random() < 0.85 else 2, mother=None, elder_of=base)
        return elder

    def _finish_members(self, members: list[dict], ethnic: str, kec: str) -> None:
        """Birth dates, names, mothers' names, NIK origins, occupations."""
        rng = self.rng
        names = self.names
        marga = names.marga() if ethnic == nm.BATAK else ""
        for m in members:
            twin_of = m.get("twin_of")
            m["birth"] = twin_of["birth"] if twin_of is not None else self._birth(m["age"])
            m["year"] = date_of(m["birth"]).year
            m["ethnic"] = ethnic
        for m in members:
            if "nama" in m:  # a twin named with its sibling
                continue
            own_marga = marga if m["hub"] in (1, 3, 5) else ""
            m["nama"] = names.name(ethnic, m["sex"], m["year"], m.get("order", 0), own_marga)
            twin = next((t for t in members if t.get("twin_of") is m), None)
            if twin is not None:
                m["nama"], twin["nama"] = names.twin_names((m["sex"], twin["sex"]), m["nama"])
                if marga:
                    m["nama"] += " " + marga
                    twin["nama"] += " " + marga
        for m in members:  # mothers' maiden names
            mom = m.get("mother")
            if mom is not None and "nama" in mom:
                m["ibu"] = mom["nama"]
            elder = m.get("elder_of")
            if elder is not None and m["sex"] == 2:
                elder["ibu"] = m["nama"]
        for m in members:
            if "ibu" not in m:
                m["ibu"] = "-" if rng.random() < 0.03 else names.name(ethnic, 2, m["year"] - self._randint(20, 35))
            age = m["age"]
            m["kec"], m["tempat"] = self._origin(ethnic, kec, age >= 17)
            m["pekerjaan"] = self._occupation(m["sex"], age)
            if rng.random() < (0.11 if age < 5 else (0.09 if age > 70 else 0.06)):
                m["kec"] = ""  # no NIK in the register
            twin_of = m.get("twin_of")
            if twin_of is not None and m["kec"] and twin_of["kec"]:
                m["kec"] = twin_of["kec"]
        kids = [m for m in members if m["hub"] == 3 and m["kec"]]
        if len(kids) >= 2 and rng.random() < 0.25 and kids[-1]["birth"] != kids[-2]["birth"]:
            kids[-1]["sib_of"] = kids[-2]  # youngest's NIK serial: one above this sibling's
            kids[-1]["kec"] = kids[-2]["kec"]

    def _append(self, desa: str, members: list[dict]) -> None:
        rng = self.rng
        rnd = rng.random
        cols = self.cols
        kec = desa[:6]
        hh = self._hh
        self._hh += 1
        alamat, dusun, rt, rw = self._address(desa)
        units: dict[int, tuple[int, int]] = {}  # nuk -> (kk unit, recording date)
        for m in sorted(members, key=lambda m: (m["nuk"], m["kk_hub"])):
            if m["nuk"] not in units:
                lo = max(m["birth"] + 6209, 731216)  # 17th birthday, 2003-01-01
                hi = self.snap_ord - 1
                units[m["nuk"]] = (self._kk, self._randint(min(lo, hi), hi))
                self._kk += 1
        has_kids = any(m["age"] < 18 for m in members)
        pkh = "YA" if has_kids and rnd() < 0.22 else "TIDAK"
        bpnt = "YA" if rnd() < 0.35 else "TIDAK"
        ppkm = "YA" if rnd() < 0.05 else "TIDAK"
        pbi_hh = rnd() < 0.75
        base = len(cols["hh"])
        index = {id(m): base + i for i, m in enumerate(members)}
        for i, m in enumerate(members, 1):
            unit, rec = units[m["nuk"]]
            sib = m.get("sib_of")
            cols["hh"].append(hh)
            cols["mno"].append(i)
            cols["nuk"].append(m["nuk"])
            cols["kk_unit"].append(unit)
            cols["kk_kec"].append(kec)
            cols["kk_date"].append(rec)
            cols["nik_kec"].append(m["kec"])
            cols["twin2"].append(m.get("twin_of") is not None)
            cols["sib_of"].append(index.get(id(sib), -1) if sib is not None else -1)
            cols["nama"].append(m["nama"])
            cols["jenis_kelamin"].append(m["sex"])
            cols["tanggal_lahir"].append(m["birth"] - EPOCH_ORD)
            cols["tempat_lahir"].append(m["tempat"])
            cols["status_kawin"].append(m["kawin"])
            cols["pekerjaan"].append(m["pekerjaan"])
            cols["nama_ibu_kandung"].append(m["ibu"])
            cols["hub_krt"].append(m["hub"])
            cols["hub_kk"].append(m["kk_hub"])
            cols["shdk"].append(m["shdk"])
            cols["kode_desa"].append(desa)
            cols["alamat"].append(alamat)
            cols["dusun"].append(dusun)
            cols["rt"].append(rt)
            cols["rw"].append(rw)
            cols["padan_dukcapil"].append(("PADAN" if rnd() < 0.93 else "TIDAK PADAN") if m["kec"] else "")
            cols["pkh"].append(pkh)
            cols["bpnt"].append(bpnt)
            cols["bpnt_ppkm"].append(ppkm)
            cols["pbi"].append("YA" if pbi_hh or rnd() < 0.1 else "TIDAK")
            cols["ethnic"].append(m["ethnic"])


def _build_shard(args: tuple) -> pl.DataFrame:
    geo, seed, snapshot, weights, n = args
    cols = ShardBuilder(geo, seed, snapshot).build(weights, n)
    return pl.DataFrame(cols, schema_overrides={"tanggal_lahir": pl.Int32})


def _assign_ids(raw: pl.DataFrame, kab: str, seed: int) -> pl.DataFrame:
    """Household/person ids, NIK and No KK serials, vectorised over the whole register."""
    n = raw.height
    gen = np.random.default_rng(seed)
    gap = np.where(gen.random(n) < 0.3, gen.integers(1, 11, n), 0)
    gap[raw["twin2"].to_numpy()] = 0
    birth = pl.col("tanggal_lahir").cast(pl.Date)
    df = raw.with_columns(
        pl.int_range(n, dtype=pl.Int64).alias("_i"),
        pl.Series("_gap", gap + 1),
        (pl.col("nik_kec") + birth.dt.strftime("%d%m%y")).alias("_key"),
    )
    df = df.with_columns(pl.col("_gap").cum_sum().over("_key").alias("_serial"))
    # the youngest sibling's serial one above an older sibling's, where still free
    sib = df.filter(pl.col("sib_of") >= 0).select("_i", "_key", "sib_of")
    sib = sib.join(df.select(pl.col("_i").alias("sib_of"), pl.col("_serial").alias("_want")), on="sib_of")
    sib = sib.with_columns(pl.col("_want") + 1)
    taken = df.filter(pl.col("nik_kec") != "").select("_key", pl.col("_serial").alias("_want"))
    sib = sib.join(taken, on=["_key", "_want"], how="anti").unique("_key", keep="first", maintain_order=True)
    df = df.join(sib.select("_i", "_want"), on="_i", how="left", maintain_order="left")
    df = df.with_columns(pl.coalesce("_want", "_serial").clip(1, 9999).alias("_serial"))
    day = birth.dt.day() + pl.when(pl.col("jenis_kelamin") == 2).then(40).otherwise(0)
    nik = pl.concat_str(
        pl.col("nik_kec"), day.cast(pl.Utf8).str.zfill(2), birth.dt.strftime("%m%y"),
        pl.col("_serial").cast(pl.Utf8).str.zfill(4),
    )
    # No KK: one serial per KK unit, unique per (kecamatan, recording date)
    units = df.select("kk_unit", "kk_kec", "kk_date").unique("kk_unit", keep="first", maintain_order=True)
    units = units.with_columns(
        (pl.col("kk_kec") + pl.col("kk_date").cast(pl.Int32).sub(EPOCH_ORD).cast(pl.Date).dt.strftime("%d%m%y")).alias("_k")
    )
    kgap = np.where(gen.random(units.height) < 0.3, gen.integers(1, 6, units.height), 0) + 1
    units = units.with_columns(pl.Series("_g", kgap))
    units = units.with_columns(pl.col("_g").cum_sum().over("_k").clip(1, 9999).alias("_s"))
    units = units.select("kk_unit", (pl.col("_k") + pl.col("_s").cast(pl.Utf8).str.zfill(4)).alias("no_kk"))
    df = df.join(units, on="kk_unit", how="left", maintain_order="left")
    hid = pl.lit(f"SYN{kab}") + (pl.col("hh") + 1).cast(pl.Utf8).str.zfill(7)
    df = df.with_columns(
        hid.alias("household_id"),
        (hid + pl.col("mno").cast(pl.Utf8).str.zfill(2)).alias("person_id"),
        pl.when(pl.col("nik_kec") != "").then(nik).otherwise(pl.lit("")).alias("nik"),
        birth.alias("tanggal_lahir"),
    )
    return df.select("hh", *PERSON_COLUMNS)


def build_population(
    kab: str,
    n_persons: int,
    seed: int,
    snapshot: dt.date,
    desa: list[str] | None = None,
    jobs: int = 1,
) -> Population:
    """Generate a register of exactly ``n_persons`` people in kabupaten ``kab``.

    Args:
        kab: 4-digit Kemendagri code, e.g. ``"3201"`` (Kabupaten Bogor).
        n_persons: number of people (the last household of a shard may be cut short).
        seed: random seed.
        snapshot: date of the extract; ages are counted from it.
        desa: restrict households to these desa codes (default: every desa of ``kab``,
            with uneven sizes).
        jobs: worker processes (the result does not depend on it).

    Example:
        >>> pop = build_population("3201", 200, 1, dt.date(2025, 6, 30))  # doctest: +SKIP
    """
    geo = Geography.load(kab)
    codes = sorted(desa) if desa else sorted(geo.desa)
    wr = random.Random(seed + 3)
    weights = [(c, wr.uniform(0.4, 1.6)) for c in codes]
    n_shards = max(1, min(len(codes), -(-n_persons // SHARD_SIZE)))
    shards: list[list[tuple[str, float]]] = [weights[i::n_shards] for i in range(n_shards)]
    total_w = sum(w for _, w in weights)
    sizes = [int(n_persons * sum(w for _, w in s) / total_w) for s in shards]
    sizes[-1] += n_persons - sum(sizes)
    tasks = [(geo, seed * 1000 + i, snapshot, s, sizes[i]) for i, s in enumerate(shards)]
    if jobs > 1 and n_shards > 1:
        geo.preload_origins()
        with ProcessPoolExecutor(min(jobs, n_shards), mp_context=get_context("spawn")) as ex:
            parts = list(ex.map(_build_shard, tasks))
    else:
        parts = [_build_shard(t) for t in tasks]
    offset_hh = offset_kk = offset_p = 0
    fixed = []
    for part in parts:
        fixed.append(part.with_columns(
            pl.col("hh") + offset_hh, pl.col("kk_unit") + offset_kk,
            pl.when(pl.col("sib_of") >= 0).then(pl.col("sib_of") + offset_p).otherwise(-1).alias("sib_of"),
        ))
        if part.height:
            offset_hh += int(part["hh"].max()) + 1
            offset_kk += int(part["kk_unit"].max()) + 1
        offset_p += part.height
    raw = pl.concat(fixed, how="vertical_relaxed") if fixed else pl.DataFrame()
    df = _assign_ids(raw, kab, seed)
    return Population(geo=geo, snapshot=snapshot, df=df)
