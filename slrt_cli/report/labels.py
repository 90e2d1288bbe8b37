"""Words of the operator's workbook (and the page, which shares them), in Bahasa and English.

One table per language, keyed like the workbook's categories and columns; kept apart from the
report code so that the wording can move to the message catalogs without touching it.
"""

from __future__ import annotations

LABELS: dict[str, dict[str, str]] = {
    "id": {
        # sheet names (<= 31 characters, none of []:*?/\)
        "sheet_summary": "Ringkasan", "sheet_review": "Perlu Diperiksa", "sheet_rejected": "Ditolak",
        "sheet_new_household": "Usulan Baru", "sheet_new_member": "Anggota Baru", "sheet_deceased": "Meninggal",
        "sheet_moved": "Pindah", "sheet_duplicate": "Ganda", "sheet_ineligible": "Mampu - Tidak Layak",
        "sheet_not_found": "Tidak Ditemukan", "sheet_data_error": "Kesalahan Prelist",
        "sheet_changes": "Perubahan Data",
        # categories (summary columns, chart legends)
        "rows": "Baris diterima", "found": "Ditemukan", "new_household": "Usulan baru",
        "new_member": "Anggota baru", "deceased": "Meninggal", "moved": "Pindah", "duplicate": "Ganda",
        "ineligible": "Mampu / tidak layak", "absent": "Tidak ditemukan di lapangan",
        "data_error": "Kesalahan prelist", "review": "Perlu diperiksa", "rejected": "Ditolak",
        "not_found": "Tidak ada di berkas desa",
        # columns
        "kecamatan": "Kecamatan", "desa": "Desa/Kelurahan", "kode_desa": "Kode desa", "source_file": "Berkas",
        "source_sheet": "Lembar", "source_row": "Baris", "nik": "NIK", "no_kk": "No KK", "nama": "Nama",
        "tanggal_lahir": "Tanggal lahir", "alamat": "Alamat", "person_id": "ID orang DTKS",
        "household_id": "ID ruta DTKS", "score": "Skor", "status_desa": "Status dari desa",
        "alasan": "Alasan", "masalah": "Masalah data", "keterangan": "Keterangan",
        "nama_desa_row": "Nama (data desa)",
        # summary sheet
        "title": "Laporan Hasil Verivali DTKS", "period": "Periode", "run_date": "Tanggal proses",
        "files": "Berkas desa", "register_rows": "Data DTKS (orang)",
        "note": "Baris \"Ditemukan\" tidak dirinci di buku kerja ini (terlalu banyak): daftar lengkap semua "
                "baris ada di reconciliation.csv, perubahan data satu baris per kolom di changes.csv.",
        "total": "JUMLAH", "subtotal": "Jumlah Kec. {name}", "unknown_region": "(tidak diketahui)",
        "from_files": "Dari berkas desa", "from_register": "Dari DTKS",
        # per-sheet descriptions (row 1 of each sheet)
        "about_review": "Kecocokan dengan DTKS belum pasti: bandingkan dengan kandidat (ID DTKS, skor, alasan) "
                        "lalu putuskan sama/beda di review.xlsx.",
        "about_rejected": "Baris tidak dapat dipakai: kembalikan ke desa untuk diperbaiki (berkas di folder perbaikan/).",
        "about_new_household": "Orang yang tidak ada di DTKS dan bukan anggota ruta DTKS: usulan ruta baru.",
        "about_new_member": "Orang baru dalam ruta DTKS yang sudah ada (kolom ID ruta DTKS).",
        "about_deceased": "Dilaporkan meninggal oleh desa; ID DTKS dari hasil pencocokan.",
        "about_moved": "Dilaporkan pindah / tidak tinggal lagi di ruta.",
        "about_duplicate": "Orang yang sama tercatat lebih dari sekali, atau dilaporkan ganda oleh desa.",
        "about_ineligible": "Dilaporkan mampu atau tidak layak oleh desa.",
        "about_not_found": "Anggota DTKS yang tidak ditemukan: dilaporkan desa, atau anggota ruta yang "
                           "diverifikasi tetapi tidak ada di berkas desa (tanpa kolom berkas).",
        "about_data_error": "Desa melaporkan kesalahan data prelist.",
        "about_changes": "Orang yang cocok tetapi datanya berbeda: nilai DTKS → nilai desa. "
                         "Satu baris per kolom: changes.csv.",
        "about_changes_counts": "Terlalu banyak perubahan untuk dirinci di sini ({persons} orang, {changes} isian): "
                                "jumlahnya per desa dan kolom. Rinciannya ada di changes.csv.",
        "persons": "Orang", "empty": "(kosong)",
        "rows_count": "{count} baris.",
        "kept_absent": "Dilaporkan desa: tidak ditemukan",
        "kept_not_found": "Tidak ada di berkas desa",
        # changed fields
        "field_nama": "Nama", "field_nik": "NIK", "field_no_kk": "No KK", "field_tanggal_lahir": "Tanggal lahir",
        "field_jenis_kelamin": "Jenis kelamin", "field_tempat_lahir": "Tempat lahir",
        "field_hub_kk": "Hubungan keluarga", "field_hub_krt": "Hubungan dengan KRT",
        "field_status_kawin": "Status kawin", "field_pekerjaan": "Pekerjaan",
        "field_nama_ibu_kandung": "Nama ibu kandung", "field_alamat": "Alamat", "field_dusun": "Dusun",
        "field_rt": "RT", "field_rw": "RW", "field_kode_desa": "Kode desa",
        "months": "Januari Februari Maret April Mei Juni Juli Agustus September Oktober November Desember",
    },
    "en": {
        "sheet_summary": "Summary", "sheet_review": "To Review", "sheet_rejected": "Rejected",
        "sheet_new_household": "New Households", "sheet_new_member": "New Members", "sheet_deceased": "Deceased",
        "sheet_moved": "Moved", "sheet_duplicate": "Duplicates", "sheet_ineligible": "Well-off - Ineligible",
        "sheet_not_found": "Not Found", "sheet_data_error": "Prelist Errors", "sheet_changes": "Data Changes",
        "rows": "Rows received", "found": "Found", "new_household": "New household",
        "new_member": "New member", "deceased": "Deceased", "moved": "Moved", "duplicate": "Duplicate",
        "ineligible": "Well-off / ineligible", "absent": "Not found in the field",
        "data_error": "Prelist error", "review": "To review", "rejected": "Rejected",
        "not_found": "Missing from village files",
        "kecamatan": "Kecamatan", "desa": "Desa/Kelurahan", "kode_desa": "Desa code", "source_file": "File",
        "source_sheet": "Sheet", "source_row": "Row", "nik": "NIK", "no_kk": "No KK", "nama": "Name",
        "tanggal_lahir": "Birth date", "alamat": "Address", "person_id": "Register person id",
        "household_id": "DTKS household ID", "score": "Score", "status_desa": "Village status",
        "alasan": "Reason (Bahasa)", "masalah": "Data problems", "keterangan": "Note",
        "nama_desa_row": "Name (village data)",
        "title": "DTKS Verification Report", "period": "Period", "run_date": "Run date",
        "files": "Village files", "register_rows": "DTKS register (persons)",
        "note": "\"Found\" rows are not listed in this workbook (too many): every row is in reconciliation.csv, "
                "data changes one row per field in changes.csv.",
        "total": "TOTAL", "subtotal": "Total Kec. {name}", "unknown_region": "(unknown)",
        "from_files": "From village files", "from_register": "From DTKS",
        "about_review": "Uncertain match with the DTKS: compare with the candidate (DTKS ID, score, reason) "
                        "and decide same/different in review.xlsx.",
        "about_rejected": "Rows that cannot be used: send back to the village to fix (files in perbaikan/).",
        "about_new_household": "Persons not in the DTKS and not members of a DTKS household: new household proposals.",
        "about_new_member": "New persons in an existing DTKS household (DTKS household ID column).",
        "about_deceased": "Reported deceased by the village; DTKS ID from the match.",
        "about_moved": "Reported moved / no longer living in the household.",
        "about_duplicate": "The same person listed more than once, or reported as a duplicate by the village.",
        "about_ineligible": "Reported well-off or ineligible by the village.",
        "about_not_found": "DTKS members not found: reported by the village, or members of a verified household "
                           "missing from the village files (no file columns).",
        "about_data_error": "The village reports a prelist data error.",
        "about_changes": "Matched persons whose data differ: DTKS value → village value. "
                         "One row per field: changes.csv.",
        "about_changes_counts": "Too many changes to list here ({persons} persons, {changes} values): "
                                "counts per desa and field. The details are in changes.csv.",
        "persons": "Persons", "empty": "(empty)",
        "rows_count": "{count} rows.",
        "kept_absent": "Reported by the village: not found",
        "kept_not_found": "Missing from village files",
        "field_nama": "Name", "field_nik": "NIK", "field_no_kk": "No KK", "field_tanggal_lahir": "Birth date",
        "field_jenis_kelamin": "Sex", "field_tempat_lahir": "Birthplace",
        "field_hub_kk": "Relation to KK head", "field_hub_krt": "Relation to household head",
        "field_status_kawin": "Marital status", "field_pekerjaan": "Occupation",
        "field_nama_ibu_kandung": "Mother's name", "field_alamat": "Address", "field_dusun": "Dusun",
        "field_rt": "RT", "field_rw": "RW", "field_kode_desa": "Desa code",
        "months": "January February March April May June July August September October November December",
    },
}


def label(key: str, lang: str) -> str:
    """The word for ``key`` in ``lang``, falling back to Bahasa, then to the key itself."""
    return LABELS[lang].get(key, LABELS["id"].get(key, key))


#: Dates are ``17/08/1990`` in Bahasa and ``17 Aug 1990`` in English (no day/month confusion).
#: The number formats of every slrt workbook (laporan.xlsx, review.xlsx, the fix-files), one place.
#: Whole numbers: the separators are literal characters (``\.``), not the locale's grouping symbol
#: (``#,##0`` shows ``3,000`` to a reader in Indonesia whose Excel is set to English, who reads three).
#: Decimals: Excel has no literal decimal separator, so the locale is named (``[$-421]`` Indonesian).
#: A village's number as typed (``number``): General, in the reader's language.
NUMBER_FORMATS: dict[str, dict[str, str]] = {
    "id": {"int": r"[>=1000000]#\.###\.###;[>=1000]#\.###;0", "decimal": "[$-421]#,##0.00",
           "score": "[$-421]0.00", "date": "dd/mm/yyyy", "text": "@", "row": "0", "number": "[$-421]General"},
    "en": {"int": r"[>=1000000]#\,###\,###;[>=1000]#\,###;0", "decimal": "[$-409]#,##0.00",
           "score": "[$-409]0.00", "date": "dd mmm yyyy", "text": "@", "row": "0", "number": "General"},
}
_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def num_format(kind: str, lang: str) -> str:
    """The Excel number format of ``kind`` (int, decimal, score, date, text, row) in ``lang``.

    Example:
        >>> num_format("date", "id")
        'dd/mm/yyyy'
    """
    return NUMBER_FORMATS.get(lang, NUMBER_FORMATS["id"])[kind]


def format_number(value: float, lang: str, decimals: int = 0) -> str:
    """A number as text, the Indonesian way (``3.000``, ``0,60``) or the English one (``3,000``).

    Example:
        >>> format_number(3000, "id"), format_number(0.6024, "id", 2), format_number(3000, "en")
        ('3.000', '0,60', '3,000')
    """
    text = f"{value:,.{decimals}f}"
    if lang == "en":
        return text
    return text.translate(str.maketrans({",": ".", ".": ","}))


def format_date(value, lang: str) -> str:
    """A date as text: ``17/08/1990`` in Bahasa, ``17 Aug 1990`` in English (no locale involved).

    Example:
        >>> import datetime as dt
        >>> format_date(dt.date(1990, 8, 17), "id"), format_date(dt.date(1990, 8, 17), "en")
        ('17/08/1990', '17 Aug 1990')
    """
    if lang == "en":
        return f"{value.day:02d} {_MONTHS_EN[value.month - 1]} {value.year}"
    return f"{value.day:02d}/{value.month:02d}/{value.year}"
