"""The ten hand-made file styles of the bundled sample, and random styles for benchmarks."""

from __future__ import annotations

import random

from slrt_synth.layouts import EXTRA_HEADERS, HEADERS, Col, FileStyle


def _c(field: str, header: str | None = None, group: str = "", codelist: str = "") -> Col:
    return Col(field, header or HEADERS[field][0], group=group, codelist=codelist)


def _x(extra: str, header: str | None = None) -> Col:
    return Col(None, header or EXTRA_HEADERS[extra][0], extra=extra)


def sample_styles(desa: list[str], kec: list[str], month: str) -> list[tuple[int, int, FileStyle]]:
    """(desa index, number of rows, style) of the ten sample files.

    ``desa``/``kec``: names of the eight visited desa and their kecamatan.
    """
    d = [n.upper() for n in desa]
    return [
        (0, 48, FileStyle(
            name=f"VERIVALI_{d[0].replace(' ', '_')}_OKTOBER_2025.xlsx", fmt="xlsx",
            title=("DAFTAR HASIL VERIVALI DTKS", f"DESA {d[0]} KECAMATAN {kec[0].upper()}", f"BULAN {month}"),
            blank_after_title=True, numbering=True, trailer=True, notes_sheet=True, blank_rows=0.05,
            columns=[_x("no"), _c("nik"), _c("no_kk"), _c("nama"), _c("jenis_kelamin", "L/P"),
                     _c("tempat_lahir"), _c("tanggal_lahir"), _c("hub_kk", "HUBUNGAN KELUARGA"), _c("alamat"),
                     _c("rt"), _c("rw"), _c("status_verivali", "HASIL VERIVALI"), _c("alasan")],
            sheet_name="VERIVALI", date_fmt="cell", sex_fmt="LP", rel_fmt="label", rtrw_fmt="001",
        )),
        (0, 30, FileStyle(
            name=f"SUSULAN_{d[0].replace(' ', '_')}.xlsx", fmt="xlsx",
            title=("DATA SUSULAN VERIVALI DAN USULAN BARU", f"DESA {d[0]}"),
            columns=[_x("no", "No"), _c("nik", "No KTP"), _c("nama", "Nama Lengkap"), _c("tanggal_lahir", "TglLahir"),
                     _c("jenis_kelamin", "JnsKel"), _c("hub_kk", "HUB KELUARGA"), _c("alamat"), _c("rt", "NO RT"),
                     _c("rw", "NO RW"), _c("status_verivali", "STATUS"), _c("alasan", "KET")],
            date_fmt="long", sex_fmt="12", rel_fmt="code", rtrw_fmt="01",
        )),
        (1, 40, FileStyle(
            name=f"{d[1].replace(' ', '_')}.xlsx", fmt="xlsx",
            title=(f"HASIL VERIFIKASI DAN VALIDASI DTKS DESA {d[1]} {month}",),
            id_numeric=True,
            columns=[_x("no"), _c("no_kk", "NOMOR KK"), _c("nik", "NOMOR NIK"), _c("nama", "NAMA_LGKP"),
                     _c("tanggal_lahir", "TANGGAL LAHIR"), _c("jenis_kelamin", "JENIS KELAMIN"),
                     _c("hub_krt", "Hub_KRT"), _c("alamat", "JALAN", group="ALAMAT"), _c("rt", "RT", group="ALAMAT"),
                     _c("rw", "RW", group="ALAMAT"), _c("status_verivali", "KEBERADAAN", codelist="keberadaan")],
            date_fmt="cell", date_cell_format="dd-mmm-yy", sex_fmt="word", rel_fmt="code", rtrw_fmt="1",
            status_fmt="keberadaan", new_households=False,
        )),
        (2, 42, FileStyle(
            name=f"Hasil Verivali Desa {desa[2].title()}.xlsx", fmt="xlsx", by_rw=True, blank_rows=0.06,
            columns=[_c("household_id", "IDBDT"), _c("person_id", "IDARTBDT"), _c("nik", "NIK_KTP"),
                     _c("nama", "NAMA_LGKP"), _c("tanggal_lahir", "TGL_LHR"), _c("jenis_kelamin", "JK"),
                     _c("hub_kk", "SHDK", codelist="shdk"), _c("status_kawin", "STATUS KAWIN"),
                     _c("pekerjaan"), _c("nama_ibu_kandung"), _c("alamat"), _c("rt"), _c("rw"),
                     _c("status_verivali", "STATUS VERIVALI")],
            date_fmt="cell_serial", sex_fmt="LK_PR", rel_fmt="code", rtrw_fmt="001",
        )),
        (3, 40, FileStyle(
            name=f"verivali_{d[3].lower().replace(' ', '_')}.csv", fmt="csv", delimiter=";", encoding="cp1252",
            title=("DATA VERIVALI DTKS", f"DESA {d[3]} - {month}"), decimal=",", sci_nik=0.12,
            columns=[_x("no", "NO."), _c("nik"), _c("no_kk", "NOKK"), _c("nama"), _c("tempat_lahir", "TMP LAHIR"),
                     _c("tanggal_lahir", "TGL LAHIR"), _c("jenis_kelamin", "jenkel"), _c("hub_kk", "HUBUNGAN"),
                     _c("alamat"), _c("rt"), _c("rw"), _c("status_verivali", "HASIL VERIVALI"), _c("alasan")],
            date_fmt="dmy-", sex_fmt="LP", rel_fmt="label", rtrw_fmt="1",
        )),
        (4, 36, FileStyle(
            name=f"{d[4].replace(' ', '_')}_okt2025.csv", fmt="csv", delimiter="|", encoding="utf-8", newline="\n",
            columns=[_c("no_kk", "NKK"), _c("nik", "NIK"), _c("nama", "NAMA ART"), _c("jenis_kelamin", "SEX"),
                     _c("tanggal_lahir", "TANGGAL_LAHIR"), _c("hub_kk", "Hubkel"), _c("alamat", "ALAMAT LENGKAP"),
                     _c("status_verivali", "STATUS"), _c("alasan", "ALASAN")],
            date_fmt="yy", sex_fmt="LK_PR", rel_fmt="label", rtrw_fmt="address",
        )),
        (5, 36, FileStyle(
            name=f"DATA VERIVALI DESA {d[5]} BULAN OKTOBER.csv", fmt="csv", delimiter=",", encoding="utf-8-sig",
            blank_rows=0.05, apostrophe_nik=0.15,
            columns=[_c("nik", "NIK"), _c("nama", "NAMA"), _c("tanggal_lahir", "TglLahir"), _c("jenis_kelamin", "L/P"),
                     _c("hub_krt", "HUBUNGAN DENGAN KRT"), _c("nama_ibu_kandung", "NAMA IBU"), _c("alamat"),
                     _c("dusun"), _c("rt", "RT"), _c("rw", "RW"), _c("status_verivali", "STATUS")],
            date_fmt="mixed", sex_fmt="LP", rel_fmt="label", rtrw_fmt="mixed",
        )),
        (6, 30, FileStyle(
            name=f"usulan_{d[6].lower().replace(' ', '_')}.xls", fmt="xls",
            title=("DAFTAR USULAN DAN PERUBAHAN DATA DTKS", f"DESA {d[6]} KEC. {kec[6].upper()}"),
            columns=[_x("no"), _c("nik"), _c("no_kk"), _c("nama"), _c("tempat_lahir", "TEMPAT", group="TEMPAT/TGL LAHIR"),
                     _c("tanggal_lahir", "TANGGAL", group="TEMPAT/TGL LAHIR"), _c("jenis_kelamin"),
                     _c("hub_kk", "STAT_HBKEL", codelist="shdk"), _c("pekerjaan", "JENIS_PKRJN"),
                     _c("alamat"), _c("rt"), _c("rw"), _c("status_verivali", "STATUS"), _c("alasan")],
            date_fmt="cell", sex_fmt="word_title", rel_fmt="label", rtrw_fmt="001",
        )),
        (7, 44, FileStyle(
            name=f"verivali_{d[7].lower().replace(' ', '_')}.xlsx", fmt="xlsx",
            title=("PEMERINTAH KABUPATEN", f"KECAMATAN {kec[7].upper()}", f"DESA {d[7]}",
                   f"REKAP VERIVALI DTKS {month}"),
            numbering=True, rejects=("NAME_MISSING", "BIRTH_DATE_FUTURE", "IDENTITY_MISSING:blank"),
            columns=[_x("no"), _c("nik", "NO NIK"), _c("no_kk", "No. Kartu Keluarga"), _c("nama", "NAMA ANGGOTA KELUARGA"),
                     _c("jenis_kelamin", "JENIS KELAMIN"), _c("tempat_lahir", "TmpLahir"),
                     _c("tanggal_lahir", "TGL LAHIR"), _c("hub_kk", "HUB KK"), _c("status_kawin", "STAT_KWN"),
                     _c("alamat"), _c("rt"), _c("rw"), _c("status_verivali", "HASIL VERIFIKASI"), _c("alasan")],
            date_fmt="mixed", sex_fmt="word", rel_fmt="label", kawin_fmt="code", rtrw_fmt="01",
        )),
        (1, 28, FileStyle(
            name=f"{d[1].replace(' ', '_')}_tambahan.xlsx", fmt="xlsx",
            title=(f"TAMBAHAN DATA VERIVALI DESA {d[1]}",), trailer=True, rejects=("IDENTITY_MISSING:placeholder",),
            columns=[_x("no"), _c("household_id", "ID DTKS"), _c("nik"), _c("nama"), _c("tanggal_lahir"),
                     _c("jenis_kelamin", "JENIS KELAMIN"), _c("hub_kk", "HUBUNGAN KELUARGA"), _c("alamat"),
                     _c("rt"), _c("rw"), _c("status_verivali", "STATUS"), _x("ket_lain"), _x("paraf")],
            sheet_name="Sheet1", date_fmt="cell_text", sex_fmt="LP", rel_fmt="label", rtrw_fmt="001",
        )),
    ]


_ORDER = ("household_id", "person_id", "no_kk", "nik", "nama", "tempat_lahir", "tanggal_lahir", "jenis_kelamin",
          "hub", "status_kawin", "pekerjaan", "nama_ibu_kandung", "alamat", "dusun", "rt", "rw", "status_verivali",
          "alasan")


def random_style(rng: random.Random, name: str, month: str, desa: str, kec: str) -> FileStyle:
    """A plausible style drawn at random (benchmarks): mostly xlsx, every layout problem now and then."""
    r = rng.random()
    fmt = "xlsx" if r < 0.88 else ("csv" if r < 0.96 else "xls")
    want = {
        "household_id": 0.25, "person_id": 0.1, "no_kk": 0.7, "nik": 1.0, "nama": 1.0, "tempat_lahir": 0.6,
        "tanggal_lahir": 1.0, "jenis_kelamin": 0.9, "hub": 0.8, "status_kawin": 0.3, "pekerjaan": 0.4,
        "nama_ibu_kandung": 0.4, "alamat": 0.85, "dusun": 0.2, "rt": 0.7, "status_verivali": 0.9, "alasan": 0.6,
    }
    chosen = [f for f in _ORDER if f in ("rw",) or rng.random() < want.get(f, 1.0)]
    if "rt" not in chosen:
        chosen.remove("rw")
    if rng.random() < 0.2 and "nik" in chosen and "no_kk" in chosen:  # NIK before No KK
        i, j = chosen.index("no_kk"), chosen.index("nik")
        chosen[i], chosen[j] = chosen[j], chosen[i]
    status_fmt = "keberadaan" if rng.random() < 0.15 else "text"
    shdk = rng.random() < 0.2
    group = rng.random()
    cols: list[Col] = []
    if rng.random() < 0.6:
        cols.append(_x("no", rng.choice(EXTRA_HEADERS["no"])))
    for f in chosen:
        if f == "hub":
            if shdk:
                cols.append(_c("hub_kk", rng.choice(HEADERS["hub_kk_shdk"]), codelist="shdk"))
            elif rng.random() < 0.3:
                cols.append(_c("hub_krt", rng.choice(HEADERS["hub_krt"])))
            else:
                cols.append(_c("hub_kk", rng.choice(HEADERS["hub_kk"])))
        elif f == "status_verivali" and status_fmt == "keberadaan":
            cols.append(_c(f, rng.choice(HEADERS["status_keberadaan"]), codelist="keberadaan"))
        elif f in ("alamat", "rt", "rw") and group < 0.1 and "rt" in chosen and fmt != "csv":
            cols.append(_c(f, {"alamat": "JALAN"}.get(f, f.upper()), group="ALAMAT"))
        elif f in ("tempat_lahir", "tanggal_lahir") and 0.1 <= group < 0.18 and "tempat_lahir" in chosen and fmt != "csv":
            cols.append(_c(f, {"tempat_lahir": "TEMPAT LAHIR", "tanggal_lahir": "TGL LAHIR"}[f], group="TEMPAT/TGL LAHIR"))
        else:
            cols.append(_c(f, rng.choice(HEADERS[f])))
    if rng.random() < 0.15:
        cols.append(_x("ket_lain"))
    n_title = rng.choices((0, 1, 2, 3, 4), (25, 30, 25, 15, 5))[0]
    titles = ("DAFTAR HASIL VERIVALI DTKS", f"DESA {desa.upper()}", f"KECAMATAN {kec.upper()}", f"BULAN {month}")
    csv_kind = rng.choice(((";", "cp1252", "\r\n"), (",", "utf-8-sig", "\r\n"), ("|", "utf-8", "\n"), (";", "utf-8-sig", "\r\n")))
    style = FileStyle(
        name=name, fmt=fmt, columns=cols, title=titles[:n_title], blank_after_title=n_title > 0 and rng.random() < 0.3,
        numbering=rng.random() < 0.25, trailer=fmt != "csv" and rng.random() < 0.4,
        notes_sheet=fmt != "csv" and rng.random() < 0.15, blank_rows=0.01 if rng.random() < 0.3 else 0.0,
        id_numeric=fmt != "csv" and rng.random() < 0.08, by_rw=fmt != "csv" and rng.random() < 0.05,
        sex_fmt=rng.choice(("LP", "12", "word", "word_title", "LK_PR")), rel_fmt=rng.choice(("label", "code")),
        kawin_fmt=rng.choice(("label", "code")),
        rtrw_fmt=rng.choice(("1", "01", "001", "mixed")) if "rt" in chosen else "address",
        status_fmt=status_fmt, new_households=status_fmt == "text",
        date_cell_format=rng.choice(("dd/mm/yyyy", "dd-mm-yyyy", "d mmmm yyyy", "dd-mmm-yy")),
        apostrophe_nik=0.05 if rng.random() < 0.1 else 0.0,
    )
    if fmt == "csv":
        style.delimiter, style.encoding, style.newline = csv_kind
        style.decimal = "," if style.delimiter == ";" else "."
        style.sci_nik = 0.05 if rng.random() < 0.3 else 0.0
        style.date_fmt = rng.choice(("dmy-", "dmy/", "iso", "mixed", "yy", "long", "serial"))
    else:
        style.date_fmt = rng.choices(("cell", "cell_serial", "cell_text", "dmy-", "long", "mixed", "dmy/", "yy"),
                                     (45, 8, 7, 10, 10, 10, 5, 5))[0]
    if "alamat" not in chosen:
        style.rtrw_fmt = "001" if "rt" in chosen else style.rtrw_fmt
    return style
