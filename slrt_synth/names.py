"""Indonesian name parts for synthetic people, and the name generator.

Every list is ordered from the most to the least common spelling: the
generator weights entries with a Zipf law, so SITI, MUHAMMAD, NUR, AHMAD,
ASEP ... come up often, as they do in real registers. The lists are written
for this project; no real person's record was used.

Groups (``ethnic``): SUNDA, JAWA, BALI, BATAK, MINANG, UMUM (Betawi / general
Muslim names). Eras: ``old`` (born before 1965: many one-word names, old
spellings), ``mid`` (1965-1994), ``young`` (1995 on).
"""

from __future__ import annotations

import itertools
import random
from bisect import bisect

SUNDA, JAWA, BALI, BATAK, MINANG, UMUM = "SUNDA", "JAWA", "BALI", "BATAK", "MINANG", "UMUM"
ETHNICS = (SUNDA, JAWA, BALI, BATAK, MINANG, UMUM)

# Ethnic mix of residents by province (Kemendagri province code); "*" otherwise.
ETHNIC_MIX: dict[str, tuple[tuple[str, float], ...]] = {
    "32": ((SUNDA, 0.68), (UMUM, 0.14), (JAWA, 0.12), (MINANG, 0.03), (BATAK, 0.02), (BALI, 0.01)),
    "36": ((SUNDA, 0.45), (UMUM, 0.30), (JAWA, 0.18), (MINANG, 0.03), (BATAK, 0.03), (BALI, 0.01)),
    "31": ((UMUM, 0.45), (JAWA, 0.25), (SUNDA, 0.15), (MINANG, 0.06), (BATAK, 0.07), (BALI, 0.02)),
    "33": ((JAWA, 0.86), (UMUM, 0.07), (SUNDA, 0.03), (MINANG, 0.02), (BATAK, 0.01), (BALI, 0.01)),
    "34": ((JAWA, 0.88), (UMUM, 0.06), (SUNDA, 0.02), (MINANG, 0.02), (BATAK, 0.01), (BALI, 0.01)),
    "35": ((JAWA, 0.86), (UMUM, 0.09), (SUNDA, 0.01), (MINANG, 0.02), (BATAK, 0.01), (BALI, 0.01)),
    "51": ((BALI, 0.86), (JAWA, 0.08), (UMUM, 0.04), (SUNDA, 0.01), (BATAK, 0.005), (MINANG, 0.005)),
    "12": ((BATAK, 0.58), (UMUM, 0.20), (JAWA, 0.15), (MINANG, 0.06), (SUNDA, 0.005), (BALI, 0.005)),
    "13": ((MINANG, 0.86), (UMUM, 0.05), (JAWA, 0.05), (BATAK, 0.03), (SUNDA, 0.005), (BALI, 0.005)),
    "*": ((UMUM, 0.50), (JAWA, 0.25), (MINANG, 0.08), (BATAK, 0.07), (SUNDA, 0.05), (BALI, 0.05)),
}

# Where people of a group come from when they were born outside the district.
HOME_PROVINCES = {
    SUNDA: ("32", "36"),
    JAWA: ("33", "34", "35"),
    BALI: ("51",),
    BATAK: ("12",),
    MINANG: ("13",),
    UMUM: ("31", "32", "36", "16", "64"),
}


def _w(text: str) -> tuple[str, ...]:
    return tuple(text.split())


# ---- given names by group, sex (1 male, 2 female) and era -------------------
FIRST: dict[tuple[str, int, str], tuple[str, ...]] = {
    (SUNDA, 1, "old"): _w(
        "UJANG ENDANG OMAN UDIN DADANG KARTA SUTISNA MAMAN JAJANG ENCEP WARSA ADE ENTIS IDING "
        "OHAN AJAT SARIP ENDI ACENG OCIM EMAN ENGKOS ATANG KOSIM UNDANG ARIS UCUP OTONG AMAS "
        "DJADJANG TJETJEP OEDIN"
    ),
    (SUNDA, 2, "old"): _w(
        "ENTIN ICIH EUIS IMAS ENOK OOM IYAH ENIH EDAH ONAH ANIH UCU KOKOM ENCOH ENOH OYOH "
        "IPAH NENGSIH EPON ENUNG ITING EMEH EUTIK ADEH OCAH"
    ),
    (SUNDA, 1, "mid"): _w(
        "ASEP DEDE AGUS UJANG DENI CECEP YAYAN IWAN DADAN AEP ENDANG NANA JAJANG DEDI ADE "
        "HERI YUDI ENCEP ENGKUS DADANG ROHMAT DEDEN WAWAN HENDRA RUDI AHMAD MUHAMMAD OMAN "
        "AGUS IDAN ACEP UDIN YANA DIDIN KOMAR"
    ),
    (SUNDA, 2, "mid"): _w(
        "SITI EUIS NENG ENENG IMAS LILIS YAYAH ELIS TITIN NINING NUR SRI ROSITA DEDEH AI "
        "ANI IIS ENTIN YANTI NENI EVI NURHAYATI ROHAETI DEWI YULI LIA RINA TATI"
    ),
    (SUNDA, 1, "young"): _w(
        "MUHAMMAD RIZKI AHMAD FAJAR DIMAS ILHAM GILANG RAFFI FIKRI NAUFAL RAKA ARYA DAFFA "
        "ALIF FAHRI RIDWAN RENDI SANDI YOGA ZIDAN AZKA ARKAN"
    ),
    (SUNDA, 2, "young"): _w(
        "SITI NUR NENG AULIA NAYLA SALSABILA ZAHRA ALYA KEISHA NABILA AISYAH ANISA PUTRI "
        "INDAH FITRI RISMA SALMA NAURA KHANZA AZZAHRA SYIFA"
    ),
    (JAWA, 1, "old"): _w(
        "SLAMET SUKARDI SUPARMAN SUGIYONO PAIMIN KASMAN TUKIMAN SUWARNO WAGIMAN MARDI KARSO "
        "SUKIRNO PARJO SUMARNO RADIMAN SARDI TARMO KUSNO DARMO SOEPARMAN DJOKO SOEKARDI"
    ),
    (JAWA, 2, "old"): _w(
        "SUKIRAH PAINEM SUMINAH TUMINAH SARINAH WAGIYEM SUPARTI MARSINAH KASIYEM SUGIYEM "
        "PARMI SAMINEM TARMINAH WARSIH JUMINAH SOEPARTI SOEMINAH"
    ),
    (JAWA, 1, "mid"): _w(
        "AGUS EKO BUDI JOKO TRI HERU DWI ARIF BAMBANG SUGENG SLAMET WAHYU TEGUH HARI ANDI "
        "MUHAMMAD AHMAD PURWANTO SUYANTO DIDIK RUDI ADI"
    ),
    (JAWA, 2, "mid"): _w(
        "SRI SITI TRI DWI ENDANG NUR RATNA WIWIK YULI SUSI ENI RINA NINGSIH WAHYUNI SUMARNI "
        "SUPRIHATIN DEWI SULASTRI TUTIK ANI"
    ),
    (JAWA, 1, "young"): _w(
        "MUHAMMAD AHMAD RIZKY DIMAS BAYU ADITYA ARYA DANU GALIH FAJAR YOGA ILHAM RAFI "
        "ANDIKA SATRIA FARHAN NAUFAL"
    ),
    (JAWA, 2, "young"): _w(
        "SITI NUR PUTRI AYU DWI INDAH DEWI NOVITA AULIA NAYLA SALSABILA ANISA FITRI "
        "RATNA ZAHRA KIRANA LARASATI"
    ),
    (UMUM, 1, "old"): _w(
        "MUHAMMAD AHMAD ABDULLAH SANUSI ROJALI MAMAT ROHIM JAINUDIN SAIPUL MUHIDIN HASAN "
        "HUSEN ISMAIL SALEH ABDUL MADSANI SARMILI NAIPIN"
    ),
    (UMUM, 2, "old"): _w(
        "SITI FATIMAH ZAENAB MAESAROH ROHAYATI KHODIJAH AMINAH MARYAM HALIMAH NAPISAH "
        "JUBAEDAH MUNAROH SAODAH ROMLAH"
    ),
    (UMUM, 1, "mid"): _w(
        "MUHAMMAD AHMAD ABDUL NUR SAIPUL ROHMAN HASANUDIN SYAMSUL JAMALUDIN ZAINAL FAHMI "
        "HENDRA RIZAL RUSLAN IRWAN YUSUF ARIFIN"
    ),
    (UMUM, 2, "mid"): _w(
        "SITI NUR NURUL FATIMAH AISYAH MAESAROH RAHMAWATI NURHAYATI MUSLIMAH KHOIRUNNISA "
        "ROHMAH HALIMAH SAADAH NI'MAH"
    ),
    (UMUM, 1, "young"): _w(
        "MUHAMMAD AHMAD MUHAMAD RIZKY FADLI HAIKAL FARHAN ALVARO ABIZAR YUSUF HAFIZ RAFA "
        "ZAKI ALFARIZI"
    ),
    (UMUM, 2, "young"): _w(
        "SITI NUR AISYAH NAYLA ZAHRA KHANZA AZZAHRA SALSABILA HANIFAH NAJWA QUR'ANI "
        "ALIKA ZASKIA"
    ),
    (MINANG, 1, "old"): _w("RUSDI SYAFRUDDIN ZULKIFLI DASRIL BAHARUDDIN SJAMSUDDIN ARMEN NASRUL JAMAIN"),
    (MINANG, 2, "old"): _w("YUSNIMAR ROSNIDAR SYAMSIDAR ZURAIDA NURBAITI ROSMANIAR DJAMILAH ASNIDAR"),
    (MINANG, 1, "mid"): _w("AFRIZAL YUSRIZAL ERIZAL ANDI HENDRI FERDIANSYAH SYAFRIZAL ZULFAHMI DEDI JONI"),
    (MINANG, 2, "mid"): _w("ERNAWATI NURHAYATI YENNI ELMIWATI DESMAWATI YUSNIATI FITRIANI RAHMI SUSANTI"),
    (MINANG, 1, "young"): _w("MUHAMMAD FAUZAN RAHMAT ILHAM HAFIZ FIKRI ARIF RIZKI"),
    (MINANG, 2, "young"): _w("NUR ANNISA RAHMA SYAFIRA AULIA FADHILA HAFIZAH NADIA"),
    (BATAK, 1, "old"): _w("MARULAM TORANG PARLINDUNGAN SAHAT BONAR MANGASI JAHOLONGAN BISMAR"),
    (BATAK, 2, "old"): _w("TIURMA LASMARIA ROSLINA DELIMA NURMALA MASTIUR RUMIDA SONTI"),
    (BATAK, 1, "mid"): _w("JONI ROBERT HENDRA DAVID SAMUEL JOSUA BENNY RICARDO MARTUA DANIEL"),
    (BATAK, 2, "mid"): _w("MARIA ROSMAWATI RUTH SRI LINDA YANTI ELFRIDA ROSDIANA MELATI"),
    (BATAK, 1, "young"): _w("JOSUA DANIEL KEVIN GABRIEL YOHANES ANDREAS JONATHAN"),
    (BATAK, 2, "young"): _w("GRACE MARIA NATALIA CHRISTINA ANGELINA JESSICA YOHANA"),
}

# second (and later) words
SECOND: dict[tuple[str, int], tuple[str, ...]] = {
    (SUNDA, 1): _w(
        "SAEPUDIN SUPRIATNA SUHERMAN RAMDANI HIDAYAT SOPYAN SETIAWAN SUTARMAN RAMDAN SAEPULLOH "
        "KOSASIH MULYADI NURJAMAN GUNAWAN KURNIAWAN HERMAWAN SUNARYA RUSTANDI SAPUTRA SUHENDAR "
        "SOLEHUDIN ROHMAN FIRMANSYAH SUPRIADI RUHIYAT HERDIANA SUNANDAR MAULANA"
    ),
    (SUNDA, 2): _w(
        "NURJANAH NURHAYATI MASITOH YULIANTI SURYANI ROKAYAH SUMARNI KURNIASIH SUMIATI ROHAENI "
        "KARTINI ISMAYANTI HASANAH AMINAH MARYAM ROHMAH NURHASANAH SITI JUBAEDAH KOMALASARI "
        "WULANDARI FAUZIAH NURLAELA MARLINA"
    ),
    (JAWA, 1): _w(
        "SETIAWAN PRASETYO SANTOSO SUSILO WAHYUDI PURNOMO CAHYONO HARTONO NUGROHO SUSANTO "
        "WIBOWO PRIYANTO HIDAYAT SUPRIYADI KURNIAWAN SAPUTRO SUHARTO WIDODO RAHARJO"
    ),
    (JAWA, 2): _w(
        "WAHYUNI MULYANI SUSILOWATI HARTATI ASTUTI LESTARI RAHAYU WULANDARI HANDAYANI PURWANTI "
        "SULASTRI WIJAYANTI NINGSIH SUSANTI MUNAROH HIDAYAH"
    ),
    (UMUM, 1): _w(
        "HIDAYAT ROHMAN HASAN SOLEH KADIR RAHMAN HAKIM MALIK AZIZ FAUZI ARIFIN MAULANA SYAPUTRA "
        "NUR RAMADHAN FIRDAUS ABIDIN MA'RUF JUM'AT"
    ),
    (UMUM, 2): _w(
        "AMINAH MAEMUNAH NURJANAH KHODIJAH ROHMAH AISYAH FITRIANI HASANAH RAHMAWATI ZAHRA "
        "NURAINI SA'ADAH MUTMAINAH KHASANAH"
    ),
    (MINANG, 1): _w("SYAHPUTRA EFENDI SUTAN MARAJO PUTRA CHANIAGO TANJUNG KOTO PILIANG ANWAR"),
    (MINANG, 2): _w("WATI YANTI ROSA DEWI NOVIA SARI ANGGRAINI YULIA"),
    (BALI, 1): _w(
        "SUDARMA SUWENDRA ARTAWAN SUARDANA SUDIARTA MERTA ADNYANA WIRAWAN SUPARTA SUARJANA "
        "GUNAWAN PUTRA DARMAWAN ASTAWA"
    ),
    (BALI, 2): _w(
        "SUARTINI SRI ASIH SUCIANI MARIANI SUARNI ARIANI WIDIASTUTI PURNAMI SUKERTI DEWI "
        "SUDIARTINI ARSINI"
    ),
}
SECOND[(SUNDA, 1)] += SECOND[(UMUM, 1)][:6]
SECOND[(BATAK, 1)] = SECOND[(UMUM, 1)][:0]  # Batak men: given name(s) + marga

MARGA = _w(
    "SIREGAR NASUTION SIMANJUNTAK HUTAGALUNG SIAHAAN PANJAITAN SITUMORANG SINAGA LUBIS "
    "HARAHAP MANURUNG SIMATUPANG PASARIBU TAMBUNAN SILALAHI SIHOMBING MARPAUNG"
)

# Javanese birth-order first words (1st..5th child) and Balinese (cycle of four).
JAWA_ORDER = ("EKO", "DWI", "TRI", "CATUR", "PANCA")
BALI_ORDER = (("WAYAN", "PUTU", "GEDE"), ("MADE", "KADEK", "NENGAH"), ("NYOMAN", "KOMANG"), ("KETUT",))

# Prefix words that make common names common.
PREFIX = {
    (1, "old"): (("MUHAMMAD", 0.05), ("AHMAD", 0.03), ("ABDUL", 0.02)),
    (1, "mid"): (("MUHAMMAD", 0.08), ("AHMAD", 0.05), ("ABDUL", 0.02), ("NUR", 0.01)),
    (1, "young"): (("MUHAMMAD", 0.22), ("AHMAD", 0.05), ("M.", 0.01)),
    (2, "old"): (("SITI", 0.14), ("NUR", 0.03)),
    (2, "mid"): (("SITI", 0.14), ("NUR", 0.06), ("SRI", 0.03)),
    (2, "young"): (("SITI", 0.07), ("NUR", 0.06), ("PUTRI", 0.02)),
}

PREFIX_WORDS = frozenset(("MUHAMMAD", "MUHAMAD", "AHMAD", "ABDUL", "NUR", "SITI", "SRI", "M.", "PUTRI", "NENG", "ENENG"))

ABDUL_TAIL = _w("ROHMAN KADIR MALIK AZIZ ROJAK GOFUR MANAN WAHAB HAMID LATIF")

# twin pairs (same sex / boy-girl)
TWINS_SAME = {
    1: (("HASAN", "HUSEIN"), ("RAFI", "RAFA"), ("FAJAR", "FAJRI"), ("DAFFA", "DAFFI"), ("RIZKI", "RIZKA")),
    2: (("NAURA", "NAYRA"), ("ANISA", "ANISYA"), ("SALWA", "SALMA"), ("AULIA", "AMELIA"), ("DEA", "DEVI")),
}
TWINS_MIXED = (("RIZKI", "RIZKA"), ("PUTRA", "PUTRI"), ("ADAM", "HAWA"), ("FAREL", "FARAH"), ("ARYA", "ARYANI"))

OCCUPATION = {
    "child": ("BELUM/TIDAK BEKERJA",),
    "pupil": ("PELAJAR/MAHASISWA",),
    1: (
        "BURUH HARIAN LEPAS", "WIRASWASTA", "PETANI/PEKEBUN", "KARYAWAN SWASTA", "PEDAGANG",
        "BURUH TANI/PERKEBUNAN", "SOPIR", "TUKANG BATU", "TUKANG OJEK", "BELUM/TIDAK BEKERJA",
        "PETERNAK", "TUKANG KAYU", "NELAYAN/PERIKANAN", "GURU",
    ),
    2: (
        "MENGURUS RUMAH TANGGA", "PEDAGANG", "BURUH HARIAN LEPAS", "WIRASWASTA", "KARYAWAN SWASTA",
        "BURUH TANI/PERKEBUNAN", "BELUM/TIDAK BEKERJA", "PETANI/PEKEBUN", "ASISTEN RUMAH TANGGA", "GURU",
    ),
    "elder": ("BELUM/TIDAK BEKERJA", "PETANI/PEKEBUN", "PENSIUNAN", "MENGURUS RUMAH TANGGA"),
}

KAMPUNG = _w(
    "CIBEUREUM CIKARET CIPAYUNG CILEBUT SUKAMAJU SUKARESMI BABAKAN PASIRJAMBU SINDANGSARI "
    "CIJERUK PABUARAN TEGALWARU LEUWILIANG CIHERANG GUNUNGSARI NANGGERANG CIKEAS SIRNAGALIH "
    "KEBONPEDES MUARA RAWAKALONG PANCORAN SAWAH LEBAK JATI KRAMAT"
)
JALAN = _w("RAYA MERDEKA PEMUDA PAHLAWAN MASJID SEKOLAH MELATI MAWAR KENANGA ANGGREK PASAR BARU")
GANG = ("H. MA'RUF", "H. SA'IH", "JUM'AT", "AL-IKHLAS", "SAWO", "NANGKA", "BUNTU", "MUSHOLA")
DUSUN = ("DUSUN I", "DUSUN II", "DUSUN III", "DUSUN IV", "DUSUN 01", "DUSUN 02", "DUSUN KRAJAN")


def zipf_cum(items: tuple[str, ...], s: float = 0.9) -> list[float]:
    """Cumulative Zipf weights for a list ordered from most to least common."""
    return list(itertools.accumulate(1.0 / (i + 1) ** s for i in range(len(items))))


class NameMaker:
    """Build names for one group/sex/era with a seeded :class:`random.Random`.

    Example:
        >>> NameMaker(random.Random(1)).name(SUNDA, 1, 1980)  # doctest: +SKIP
        'ASEP SAEPUDIN'
    """

    def __init__(self, rng: random.Random):
        self.rng = rng
        self._cum = {key: zipf_cum(v) for key, v in FIRST.items()}
        self._cum2 = {key: zipf_cum(v) for key, v in SECOND.items()}
        self._marga = zipf_cum(MARGA, 0.5)

    @staticmethod
    def era(year: int) -> str:
        return "old" if year < 1965 else ("mid" if year < 1995 else "young")

    def _pick(self, key: tuple[str, int, str]) -> str:
        cum = self._cum[key]
        return FIRST[key][bisect(cum, self.rng.random() * cum[-1])]

    def _second(self, ethnic: str, sex: int) -> str:
        key = (ethnic, sex) if SECOND.get((ethnic, sex)) else (UMUM, sex)
        cum = self._cum2[key]
        return SECOND[key][bisect(cum, self.rng.random() * cum[-1])]

    def marga(self) -> str:
        return MARGA[bisect(self._marga, self.rng.random() * self._marga[-1])]

    def name(self, ethnic: str, sex: int, year: int, order: int = 0, marga: str = "") -> str:
        """A full name for a person of ``ethnic`` group, ``sex`` (1/2) born in ``year``.

        ``order`` (1-based birth order, 0 unknown) drives Javanese/Balinese
        birth-order names; ``marga`` is a Batak family name to append.
        """
        rng = self.rng
        era = self.era(year)
        r = rng.random()
        if ethnic == BALI:
            idx = (order - 1) % 4 if order else int(rng.random() * 4)
            words = ["I" if sex == 1 else "NI", rng.choice(BALI_ORDER[idx]), self._second(BALI, sex)]
            if rng.random() < 0.2:
                words.append(self._second(BALI, sex))
            return " ".join(words)
        words: list[str] = []
        p = 0.0
        prefixes = PREFIX[(sex, era)] if ethnic != BATAK else ()
        for word, prob in prefixes:
            p += prob
            if r < p:
                words.append(word)
                if word == "ABDUL":
                    words.append(rng.choice(ABDUL_TAIL))
                break
        if ethnic == JAWA and 1 <= order <= 5 and era != "old" and rng.random() < 0.35 and not words:
            words.append(JAWA_ORDER[order - 1])
        first = self._pick((ethnic, sex, era))
        if words and first in PREFIX_WORDS:
            first = self._pick((ethnic, sex, era))
            if first in PREFIX_WORDS:
                first = self._second(ethnic, sex)
        if not words or words[-1] != first:
            words.append(first)
        if ethnic == BATAK:
            if rng.random() < 0.3:
                words.append(self._pick((ethnic, sex, era)))
            words.append(marga or self.marga())
            return " ".join(dict.fromkeys(words))
        p_second = {"old": 0.3, "mid": 0.75, "young": 0.9}[era]
        if len(words) == 1 and rng.random() < p_second or len(words) > 1 and rng.random() < p_second / 2:
            words.append(self._second(ethnic, sex))
            if era == "young" and rng.random() < 0.2:
                words.append(self._second(ethnic if rng.random() < 0.5 else UMUM, sex))
        out = " ".join(dict.fromkeys(words))  # no word twice
        return out[:60]

    def twin_names(self, sexes: tuple[int, int], base: str) -> tuple[str, str]:
        """Names for twins: a shared first word, rhyming second words."""
        rng = self.rng
        if sexes[0] == sexes[1]:
            a, b = rng.choice(TWINS_SAME[sexes[0]])
        else:
            a, b = rng.choice(TWINS_MIXED)
            if sexes[0] == 2:
                a, b = b, a
        head = base.split()[0]
        if head in (a, b):
            head = "MUHAMMAD" if sexes[0] == 1 else "NUR"
        return f"{head} {a}", f"{head} {b}"
