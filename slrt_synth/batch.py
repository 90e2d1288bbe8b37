"""A month of village files, as records with ground truth, from a :class:`Population`.

For each file: households of the desa taken from the register (the prelist),
each member DITEMUKAN, MENINGGAL, PINDAH, ... or left out (not found); new
babies and new spouses (ANGGOTA_BARU), new households (USULAN_BARU); some
people listed twice. Then noise (:mod:`slrt_synth.noise`) turns clean
values into what an operator typed, keeping one promise: a row is unusable
(rejected) only when it was made so on purpose (tag ``reject:<ISSUE CODE>``):

* ``reject:NAME_MISSING``       the name cell is empty;
* ``reject:IDENTITY_MISSING``   no NIK and no birth date (blank or 01-01-1900);
* ``reject:BIRTH_DATE_FUTURE``  a birth date in the future (a year typo).

Every other row keeps either a clean 16-digit NIK or a real birth date.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field

import polars as pl

from slrt_synth import noise as nz
from slrt_synth.layouts import FileStyle
from slrt_synth.population import Population, ShardBuilder, date_of, ddmmyy, nik_for

NEW = ""  # person_id / household_id of people not in the register

#: Noise rates per record at level 1.0 (the benchmark); the sample uses a higher level.
RATES = {
    "new_household": 0.05, "baby": 0.08, "new_spouse": 0.02, "hh_pindah": 0.015, "hh_tidak_ditemukan": 0.015,
    "hh_mampu": 0.02, "meninggal": 0.07, "pindah": 0.06, "omitted": 0.03, "duplicate": 0.012,
    "name_old": 0.03, "name_muhammad": 0.35, "name_siti": 0.2, "name_title": 0.02, "name_bin": 0.01,
    "name_space": 0.03, "name_case": 0.02, "name_typo": 0.03, "name_drop": 0.015, "name_alm": 0.4,
    "nik_missing": 0.03, "nik_digit": 0.02, "nik_swap": 0.007, "nik_kk": 0.005, "nik_head": 0.005, "nik_short": 0.005,
    "date_missing": 0.015, "date_swap": 0.02, "date_invalid": 0.004, "date_placeholder": 0.004, "date_year": 0.006,
    "sex_invalid": 0.005, "sex_flip": 0.004, "kk_missing": 0.04, "kk_digit": 0.01, "rtrw_missing": 0.02,
    "place_variant": 0.05, "mother_dash": 0.02, "reject_name": 0.0005, "reject_identity": 0.001,
    "reject_future": 0.0005,
}
_LEVEL_FIXED = {"new_household", "hh_pindah", "hh_tidak_ditemukan", "hh_mampu",
                "omitted", "name_muhammad", "name_siti", "name_alm"}

KET = {
    "DITEMUKAN": (None, None, None, "LAYAK", "SESUAI"),
    "MENINGGAL": ("MENINGGAL TAHUN {y}", "SUDAH MENINGGAL", "WAFAT"),
    "PINDAH": ("PINDAH KE {place}", "PINDAH DOMISILI", "IKUT SUAMI"),
    "TIDAK_DITEMUKAN": ("TIDAK DIKENAL KETUA RT", "ALAMAT TIDAK DITEMUKAN"),
    "MAMPU": ("SUDAH MAMPU", "MEMILIKI USAHA", "RUMAH PERMANEN"),
    "USULAN_BARU": ("KELUARGA MISKIN BELUM TERDATA", "USULAN MUSDES", None),
    "ANGGOTA_BARU": ("LAHIR {y}", "BAYI BARU LAHIR", "MENIKAH"),
}
KET_LAIN = ("RUMAH SEWA", "NUMPANG DI RUMAH ORANG TUA", "LANSIA TINGGAL SENDIRI", "BELUM PUNYA KTP-EL")


@dataclass
class Record:
    """One data row: the person's clean values, the truth and what was written."""

    person: dict
    status: str
    noise: list[str] = field(default_factory=list)
    obs: dict = field(default_factory=dict)

    @property
    def person_id(self) -> str:
        return self.person.get("person_id") or NEW

    @property
    def household_id(self) -> str:
        return self.person.get("household_id") or NEW


@dataclass
class FilePlan:
    """One village file to write: where, how it looks, its records."""

    rel_path: str  # relative to the batch folder (desa/)
    desa: str
    style: FileStyle
    records: list[Record] = field(default_factory=list)


class BatchBuilder:
    """Draw households and people for village files, and add noise.

    Args:
        pop: the register.
        seed: random seed.
        batch_date: the month's reference date (babies are born before it).
        level: multiplier of the noise rates (1.0 realistic, ~2.5 for the sample).
    """

    def __init__(self, pop: Population, seed: int, batch_date: dt.date, level: float = 1.0,
                 random_rejects: bool = True):
        self.pop = pop
        self.geo = pop.geo
        self.rng = random.Random(seed)
        self.batch_date = batch_date
        self.rates = {k: (v if k in _LEVEL_FIXED else v * level) for k, v in RATES.items()}
        if not random_rejects:  # rejections only where a style asks for them
            self.rates.update(reject_name=0.0, reject_future=0.0, reject_identity=0.0)
        self.nik_alloc, self.kk_alloc = pop.allocators()
        self.shard = ShardBuilder(pop.geo, seed + 11, pop.snapshot)
        df = pop.df.with_row_index("_row")
        bounds = df.group_by("hh", maintain_order=True).agg(
            pl.col("_row").first().alias("start"), pl.len().alias("n"), pl.col("kode_desa").first().alias("desa"))
        self.hh_start = dict(zip(bounds["hh"].to_list(), bounds["start"].to_list()))
        self.hh_size = dict(zip(bounds["hh"].to_list(), bounds["n"].to_list()))
        self.hh_by_desa: dict[str, list[int]] = {}
        for hh, desa in zip(bounds["hh"].to_list(), bounds["desa"].to_list()):
            self.hh_by_desa.setdefault(desa, []).append(hh)
        self.used_hh: list[int] = []
        self._used = set()

    # ---- people -------------------------------------------------------------------
    def members(self, hh: int) -> list[dict]:
        rows = self.pop.df.slice(self.hh_start[hh], self.hh_size[hh]).to_dicts()
        snap = self.pop.snapshot
        head = rows[0]
        for p in rows:
            p["age"] = (snap - p["tanggal_lahir"]).days / 365.25
            p["head_nik"] = head["nik"]
            p["father"] = head["nama"] if p["hub_krt"] == 3 and head["jenis_kelamin"] == 1 else None
        return rows

    def _baby(self, mother: dict, members: list[dict]) -> dict:
        rng = self.rng
        lo, hi = self.pop.snapshot.toordinal() + 1, self.batch_date.toordinal() - 7
        birth = date_of(rng.randint(lo, hi))
        sex = rng.randint(1, 2)
        kec = mother["kode_desa"][:6]
        nik = nik_for(kec, birth, sex, self.nik_alloc.take(kec + ddmmyy(birth))) if rng.random() < 0.55 else ""
        grandchild = mother["hub_krt"] not in (1, 2)
        return dict(
            person_id=NEW, household_id=mother["household_id"], nik=nik, no_kk=mother["no_kk"],
            nama=self.shard.names.name(mother["ethnic"], sex, birth.year), jenis_kelamin=sex, tanggal_lahir=birth,
            tempat_lahir=self.geo.kab_names[self.geo.kab], status_kawin=1, pekerjaan="BELUM/TIDAK BEKERJA",
            nama_ibu_kandung=mother["nama"], hub_krt=5 if grandchild else 3, hub_kk=3, shdk=4,
            kode_desa=mother["kode_desa"], alamat=mother["alamat"], dusun=mother["dusun"], rt=mother["rt"],
            rw=mother["rw"], age=0.0, head_nik=members[0]["nik"], ethnic=mother["ethnic"], father=None,
        )

    def _spouse(self, child: dict, members: list[dict]) -> dict:
        rng = self.rng
        sex = 3 - child["jenis_kelamin"]
        age = max(18.0, child["age"] + rng.uniform(-4, 4))
        birth = date_of(self.pop.snapshot.toordinal() - int(age * 365.25) - rng.randrange(365))
        if birth == dt.date(1970, 1, 1):
            birth = dt.date(1970, 1, 2)
        ethnic = self.shard._ethnic()
        kec, place = self.shard._origin(ethnic, child["kode_desa"][:6], True)
        nik = nik_for(kec, birth, sex, self.nik_alloc.take(kec + ddmmyy(birth)))
        return dict(
            person_id=NEW, household_id=child["household_id"], nik=nik, no_kk=child["no_kk"],
            nama=self.shard.names.name(ethnic, sex, birth.year), jenis_kelamin=sex, tanggal_lahir=birth,
            tempat_lahir=place, status_kawin=2, pekerjaan=self.shard._occupation(sex, age),
            nama_ibu_kandung=self.shard.names.name(ethnic, 2, birth.year - 25), hub_krt=4, hub_kk=4, shdk=5,
            kode_desa=child["kode_desa"], alamat=child["alamat"], dusun=child["dusun"], rt=child["rt"],
            rw=child["rw"], age=age, head_nik=members[0]["nik"], ethnic=ethnic, father=None,
        )

    def new_household(self, desa: str) -> list[Record]:
        """A household proposed as new (USULAN_BARU): everyone new, new KK."""
        sh = self.shard
        members = sh.household_members(desa)
        alamat, dusun, rt, rw = sh._address(desa)
        kec = desa[:6]
        rec_date = date_of(self.rng.randint(self.pop.snapshot.toordinal() - 700, self.batch_date.toordinal() - 10))
        kk_by_nuk = {}
        out = []
        head_nik = ""
        for m in members:
            if m["nuk"] not in kk_by_nuk:
                key = kec + ddmmyy(rec_date)
                kk_by_nuk[m["nuk"]] = f"{key}{self.kk_alloc.take(key):04d}"
            birth = date_of(m["birth"])
            nik = nik_for(m["kec"], birth, m["sex"], self.nik_alloc.take(m["kec"] + ddmmyy(birth))) if m["kec"] else ""
            head_nik = head_nik or nik
            p = dict(
                person_id=NEW, household_id=NEW, nik=nik, no_kk=kk_by_nuk[m["nuk"]], nama=m["nama"],
                jenis_kelamin=m["sex"], tanggal_lahir=birth, tempat_lahir=m["tempat"], status_kawin=m["kawin"],
                pekerjaan=m["pekerjaan"], nama_ibu_kandung=m["ibu"], hub_krt=m["hub"], hub_kk=m["kk_hub"],
                shdk=m["shdk"], kode_desa=desa, alamat=alamat, dusun=dusun, rt=rt, rw=rw, age=m["age"],
                head_nik=head_nik, ethnic=m["ethnic"], father=None,
            )
            out.append(Record(p, "USULAN_BARU"))
        return out

    def existing_household(self, hh: int, style: FileStyle, missing: list[dict]) -> list[Record]:
        """Rows for one registered household; members left out go to ``missing``."""
        rng = self.rng
        r = self.rates
        members = self.members(hh)
        x = rng.random()
        hh_status = None
        if x < r["hh_pindah"]:
            hh_status = "PINDAH"
        elif x < r["hh_pindah"] + r["hh_tidak_ditemukan"]:
            hh_status = "TIDAK_DITEMUKAN"
        elif x < r["hh_pindah"] + r["hh_tidak_ditemukan"] + r["hh_mampu"] and style.status_fmt == "text":
            hh_status = "MAMPU"
        out = []
        for p in members:
            if hh_status:
                out.append(Record(p, hh_status))
                continue
            if p["age"] >= 55 and rng.random() < r["meninggal"] * (3 if p["age"] >= 75 else 1):
                status = "MENINGGAL"
            elif 18 <= p["age"] <= 35 and p["hub_krt"] in (3, 4, 5, 8) and rng.random() < r["pindah"] * 2:
                status = "PINDAH"
            elif p["hub_krt"] != 1 and rng.random() < r["omitted"]:
                missing.append(p)
                continue
            else:
                status = "DITEMUKAN"
            out.append(Record(p, status))
        if hh_status:
            return out
        alive = {id(rec.person) for rec in out if rec.status == "DITEMUKAN"}
        mothers = [p for p in members if id(p) in alive and p["jenis_kelamin"] == 2 and 18 <= p["age"] <= 42
                   and p["status_kawin"] == 2]
        if mothers and rng.random() < r["baby"] * 2:
            out.append(Record(self._baby(rng.choice(mothers), members), "ANGGOTA_BARU"))
        singles = [p for p in members if id(p) in alive and p["hub_krt"] == 3 and 20 <= p["age"] <= 35
                   and p["status_kawin"] == 1]
        if singles and rng.random() < r["new_spouse"] * 3:
            out.append(Record(self._spouse(rng.choice(singles), members), "ANGGOTA_BARU"))
        return out

    # ---- files ----------------------------------------------------------------------
    def fill(self, plan: FilePlan, n_rows: int, missing: list[dict], copies_from: list[Record] = ()) -> None:
        """Give ``plan`` exactly ``n_rows`` records (duplicates included), noise applied."""
        rng = self.rng
        r = self.rates
        n_dup = round(n_rows * r["duplicate"] * (2 if copies_from else 1))
        n_dup = min(n_dup, max(0, n_rows - 1))
        base: list[Record] = []
        pool = [hh for hh in self.hh_by_desa.get(plan.desa, []) if hh not in self._used]
        rng.shuffle(pool)
        while len(base) < n_rows - n_dup:
            if (plan.style.new_households and rng.random() < r["new_household"]) or not pool:
                base.extend(self.new_household(plan.desa))
                continue
            hh = pool.pop()
            self._used.add(hh)
            self.used_hh.append(hh)
            base.extend(self.existing_household(hh, plan.style, missing))
        for rec in base[n_rows - n_dup:]:  # cut off: not in the file
            if rec.person_id:
                missing.append(rec.person)
        base = base[: n_rows - n_dup]
        for rec in base:
            self.apply_noise(rec, plan.style)
        sources = [rec for rec in (list(copies_from) or base) if not any(t.startswith("reject:") for t in rec.noise)]
        sources = [rec for rec in sources if rec.status in ("DITEMUKAN", "ANGGOTA_BARU", "USULAN_BARU")]
        for _ in range(n_dup):
            if not sources:
                break
            src = rng.choice(sources)
            dup = Record(src.person, src.status, ["duplicate"])
            self.apply_noise(dup, plan.style)
            pos = rng.randint(0, len(base)) if copies_from else rng.randint(base.index(src) + 1, len(base))
            base.insert(pos, dup)
        while len(base) < n_rows:  # no source for duplicates: one more new household, cut
            extra = self.new_household(plan.desa)
            for rec in extra:
                self.apply_noise(rec, plan.style)
            base.extend(extra[: n_rows - len(base)])
        plan.records = base
        for code in plan.style.rejects:
            self.force_reject(plan, code)

    def force_reject(self, plan: FilePlan, code: str) -> None:
        """Make one clean record of ``plan`` unusable on purpose (see module docstring)."""
        candidates = [rec for rec in plan.records if rec.noise == [] and rec.person["nik"] and rec.status == "DITEMUKAN"]
        rec = self.rng.choice(candidates)
        code, _, variant = code.partition(":")
        self._reject(rec, code, plan.style, variant)

    def _reject(self, rec: Record, code: str, style: FileStyle, variant: str = "") -> None:
        obs = rec.obs
        if code == "NAME_MISSING":
            obs["nama"] = None
        elif code == "BIRTH_DATE_FUTURE":
            obs["tanggal_lahir"] = nz.future(rec.person["tanggal_lahir"])
        elif code == "IDENTITY_MISSING":
            obs["nik"] = None
            if variant == "placeholder" or (not variant and self.rng.random() < 0.5):
                obs["tanggal_lahir"] = dt.date(1900, 1, 1)
                rec.noise.append("date:placeholder")
            else:
                obs["tanggal_lahir"] = None
                rec.noise.append("date:missing")
            rec.noise.append("nik:missing")
        rec.noise.append(f"reject:{code}")

    # ---- noise -----------------------------------------------------------------------
    def apply_noise(self, rec: Record, style: FileStyle) -> None:
        """Fill ``rec.obs`` (the values as written) and ``rec.noise`` (tags)."""
        rng = self.rng
        r = self.rates
        p = rec.person
        tags = rec.noise
        obs = rec.obs
        obs.update(
            nik=p["nik"] or None, no_kk=p["no_kk"] or None, nama=p["nama"], jenis_kelamin=p["jenis_kelamin"],
            tanggal_lahir=p["tanggal_lahir"], tempat_lahir=p["tempat_lahir"], status_kawin=p["status_kawin"],
            pekerjaan=p["pekerjaan"], nama_ibu_kandung=p["nama_ibu_kandung"], hub_krt=p["hub_krt"],
            hub_kk=p["hub_kk"], shdk=p["shdk"], alamat=p["alamat"], dusun=p["dusun"] or None, rt=p["rt"],
            rw=p["rw"], household_id=p["household_id"] or None, person_id=p["person_id"] or None,
            status_verivali=rec.status, nama_desa=self.geo.desa[p["kode_desa"]].upper(),
            _sex=p["jenis_kelamin"], _parent_of_head=p["shdk"] != 8,
        )
        ket = rng.choice(KET[rec.status])
        if ket:
            ket = ket.format(y=self.batch_date.year - rng.randint(0, 1) if rec.status == "MENINGGAL"
                             else p["tanggal_lahir"].year, place=rng.choice(("JAKARTA", "BEKASI", "DEPOK", "TANGERANG")))
        obs["alasan"] = ket
        obs["_ket_lain"] = rng.choice(KET_LAIN) if rng.random() < 0.1 else None
        self._noise_name(rec)
        nik_clean = self._noise_nik(rec, style)
        self._noise_date(rec, nik_clean)
        self._noise_other(rec, style)
        if not any(t.startswith("reject:") for t in tags) and "duplicate" not in tags:
            x = rng.random()
            if x < r["reject_name"]:
                self._reject(rec, "NAME_MISSING", style)
            elif x < r["reject_name"] + r["reject_future"] and nik_clean and "date:missing" not in tags:
                self._reject(rec, "BIRTH_DATE_FUTURE", style)
            elif x < r["reject_name"] + r["reject_future"] + r["reject_identity"]:
                obs["tanggal_lahir"] = p["tanggal_lahir"]
                tags[:] = [t for t in tags if not t.startswith(("nik:", "date:"))]
                self._reject(rec, "IDENTITY_MISSING", style)

    def _noise_name(self, rec: Record) -> None:
        rng = self.rng
        r = self.rates
        p = rec.person
        name = p["nama"]
        applied = 0
        steps = (
            ("name_muhammad", lambda n: nz.muhammad_variant(n, rng), "name:muhammad"),
            ("name_siti", lambda n: nz.siti_nur_variant(n, rng), "name:siti_nur_abdul"),
            ("name_old", lambda n: nz.old_spelling(n, rng), "name:old_spelling"),
            ("name_title", lambda n: nz.title(n, p["jenis_kelamin"], p["age"], rng), "name:title"),
            ("name_bin", lambda n: nz.bin_binti(n, p["jenis_kelamin"], p.get("father")), "name:bin_binti"),
            ("name_drop", lambda n: nz.drop_word(n, rng), "name:drop_word"),
            ("name_typo", lambda n: nz.typo(n, rng), "name:typo"),
        )
        for key, fn, tag in steps:
            if applied < 2 and rng.random() < r[key]:
                out = fn(name)
                if out and out != name:
                    name = out
                    applied += 1
                    rec.noise.append(tag)
        if rec.status == "MENINGGAL" and rng.random() < r["name_alm"]:
            name = nz.deceased(name, p["jenis_kelamin"], rng)
            rec.noise.append("name:alm")
        if rng.random() < r["name_space"]:
            name = nz.spacing(name, rng)
            rec.noise.append("name:spacing")
        if rng.random() < r["name_case"]:
            name = nz.case(name, rng)
            rec.noise.append("name:case")
        rec.obs["nama"] = name

    def _noise_nik(self, rec: Record, style: FileStyle) -> bool:
        """Returns True when the written NIK is the person's clean 16-digit NIK."""
        rng = self.rng
        r = self.rates
        p = rec.person
        obs = rec.obs
        tags = rec.noise
        nik = p["nik"]
        if not nik:
            tags.append("nik:none" if not p["person_id"] else "nik:none_in_register")
            return False
        x = rng.random()
        cuts = [("nik_missing", "missing"), ("nik_digit", "digit_off"), ("nik_swap", "transposed"),
                ("nik_kk", "kk_in_nik"), ("nik_head", "head_nik"), ("nik_short", "15_digits")]
        kind = None
        acc = 0.0
        for key, name in cuts:
            acc += r[key]
            if x < acc:
                kind = name
                break
        if kind == "missing":
            obs["nik"] = None if rng.random() < 0.8 else "-"
        elif kind == "digit_off":
            obs["nik"] = nz.digit_off(nik, rng)
        elif kind == "transposed":
            obs["nik"] = nz.transposed(nik, rng) or nz.digit_off(nik, rng)
        elif kind == "kk_in_nik":
            obs["nik"] = p["no_kk"]
        elif kind == "head_nik" and p["head_nik"] and p["head_nik"] != nik:
            obs["nik"] = p["head_nik"]
        elif kind == "15_digits":
            obs["nik"] = nik[:-1]
        else:
            kind = None
        if kind:
            tags.append(f"nik:{kind}")
        if style.id_numeric and obs["nik"] and obs["nik"] != "-":
            tags.append("nik:excel_number")
            return False
        if kind is None and style.fmt == "csv" and style.sci_nik and rng.random() < style.sci_nik:
            obs["nik"] = nz.excel_scientific(nik, style.decimal)
            tags.append("nik:scientific")
            return False
        if kind is None and style.apostrophe_nik and rng.random() < style.apostrophe_nik:
            obs["nik"] = "'" + nik
            tags.append("nik:apostrophe")
            return False
        return kind is None

    def _noise_date(self, rec: Record, nik_clean: bool) -> None:
        rng = self.rng
        r = self.rates
        d = rec.person["tanggal_lahir"]
        obs = rec.obs
        x = rng.random()
        if nik_clean:
            if x < r["date_missing"]:
                obs["tanggal_lahir"] = None
                rec.noise.append("date:missing")
                return
            x -= r["date_missing"]
            if x < r["date_invalid"]:
                obs["tanggal_lahir"] = nz.impossible_date(d, rng)
                rec.noise.append("date:invalid")
                return
            x -= r["date_invalid"]
            if x < r["date_placeholder"]:
                obs["tanggal_lahir"] = dt.date(1900, 1, 1)
                rec.noise.append("date:placeholder")
                return
            x -= r["date_placeholder"]
        if x < r["date_swap"]:
            s = nz.swapped(d)
            if s:
                obs["tanggal_lahir"] = s
                rec.noise.append("date:day_month_swapped")
            return
        x -= r["date_swap"]
        if x < r["date_year"]:
            y = nz.year_off(d, rng, self.batch_date)
            if y:
                obs["tanggal_lahir"] = y
                rec.noise.append("date:year_off")

    def _noise_other(self, rec: Record, style: FileStyle) -> None:
        rng = self.rng
        r = self.rates
        obs = rec.obs
        tags = rec.noise
        x = rng.random()
        if x < r["sex_invalid"]:
            obs["jenis_kelamin"] = rng.choice(("X", "-", "0"))
            tags.append("sex:invalid")
        elif x < r["sex_invalid"] + r["sex_flip"]:
            obs["jenis_kelamin"] = 3 - obs["jenis_kelamin"]
            tags.append("sex:flipped")
        if obs["no_kk"]:
            x = rng.random()
            if x < r["kk_missing"]:
                obs["no_kk"] = None
                tags.append("kk:missing")
            elif x < r["kk_missing"] + r["kk_digit"]:
                obs["no_kk"] = nz.digit_off(obs["no_kk"], rng)
                tags.append("kk:digit_off")
            if obs["no_kk"] and style.id_numeric:
                tags.append("kk:excel_number")
        if rng.random() < r["rtrw_missing"]:
            obs["rt"] = obs["rw"] = None
            tags.append("rtrw:missing")
        if rng.random() < r["place_variant"]:
            place = obs["tempat_lahir"]
            obs["tempat_lahir"] = rng.choice((f"KAB. {place}", place.title(), f"{place} "))
            tags.append("place:variant")
        if rng.random() < r["mother_dash"]:
            obs["nama_ibu_kandung"] = rng.choice(("-", "", "TIDAK TAHU"))
            tags.append("mother:unknown")
        if style.fmt == "csv" and style.encoding == "cp1252":  # Excel's autocorrect: ' -> \u2019
            if "'" in (obs["nama"] or ""):
                obs["nama"] = obs["nama"].replace("'", "\u2019")
                tags.append("name:typographic_apostrophe")
            if "'" in obs["alamat"]:
                obs["alamat"] = obs["alamat"].replace("'", "\u2019")
                tags.append("address:typographic_apostrophe")


def missing_rows(missing: list[dict], listed: set[str]) -> list[dict]:
    """Register people of visited households with no row in any file (deduplicated)."""
    seen = set()
    out = []
    for p in missing:
        pid = p["person_id"]
        if pid and pid not in listed and pid not in seen:
            seen.add(pid)
            out.append({"person_id": pid, "household_id": p["household_id"], "kode_desa": p["kode_desa"]})
    return out

