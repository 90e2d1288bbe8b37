"""Writers: village files (xlsx, xls, CSV) from :class:`SheetGrid`, register extracts, truth.

Every writer is deterministic: the same grids give the same bytes (xlsx
creation time is fixed, zip entries carry xlsxwriter's fixed timestamp).
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import polars as pl

from slrt_synth.layouts import SHDK_LABEL, FileStyle, SheetGrid, excel_serial
from slrt_synth.population import Geography

FIXED_TIME = dt.datetime(2025, 10, 20, 8, 0, 0)

#: Columns of the truth file.
TRUTH_COLUMNS = ("source_file", "source_sheet", "source_row", "person_id", "household_id", "truth_status", "noise")

#: The 23 columns of a SIKS-NG DTKS export.
SIKSNG_COLUMNS = (
    "ID DTKS", "PROVINSI", "KABUPATEN/KOTA", "KECAMATAN", "DESA/KELUARAHAN", "ALAMAT", "DUSUN", "RT", "RW",
    "NOKK", "NIK", "NAMA", "TANGGAL LAHIR", "TEMPAT LAHIR", "JENIS KELAMIN", "PEKERJAAN", "NAMA IBU KANDUNG",
    "HUB KELUARGA", "KETERANGAN PADAN", "BANSOS BPNT", "BANSOS PKH", "BANSOS BPNT-PPKM", "PBI JKN",
)


def write_village_file(path: Path, style: FileStyle, sheets: list[SheetGrid]) -> None:
    """Write one village file in the style's format."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if style.fmt == "xlsx":
        _write_xlsx(path, style, sheets)
    elif style.fmt == "xls":
        _write_xls(path, style, sheets)
    elif style.fmt == "csv":
        _write_csv(path, style, sheets[0])
    else:
        raise ValueError(f"unknown format {style.fmt!r}")


def _write_xlsx(path: Path, style: FileStyle, sheets: list[SheetGrid]) -> None:
    import xlsxwriter

    vertical = any(r1 != r2 for g in sheets for r1, _, r2, _ in g.merges)
    wb = xlsxwriter.Workbook(str(path), {
        "constant_memory": not vertical, "strings_to_numbers": False, "strings_to_formulas": False,
        "strings_to_urls": False,
    })
    wb.set_properties({"created": FIXED_TIME, "author": "Operator Desa", "title": "Verivali DTKS"})
    date_fmt = wb.add_format({"num_format": style.date_cell_format})
    head_fmt = wb.add_format({"bold": True, "align": "center", "valign": "vcenter", "border": 1, "text_wrap": True})
    title_fmt = wb.add_format({"bold": True, "align": "center"})
    for g in sheets:
        ws = wb.add_worksheet(g.name)
        starts = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in g.merges}
        covered = {(r, c) for r1, c1, r2, c2 in g.merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        header = {r - 1 for r in g.header_rows}
        if g.header_rows:
            ws.set_column(0, len(g.rows[g.header_rows[0] - 1]) - 1, 14)
        for r, row in enumerate(g.rows):
            for c, v in enumerate(row):
                fmt = head_fmt if r in header else (title_fmt if (r, c) in starts else None)
                if (r, c) in starts:
                    r2, c2 = starts[(r, c)]
                    ws.merge_range(r, c, r2, c2, "" if v is None else v, fmt)
                elif v is None or (r, c) in covered:
                    continue
                elif isinstance(v, str):
                    ws.write_string(r, c, v, fmt)
                elif isinstance(v, dt.date):
                    if v < dt.date(1900, 3, 1):  # xlsxwriter writes 1900-01-01 as serial 0
                        ws.write_number(r, c, excel_serial(v), date_fmt)
                    else:
                        ws.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), date_fmt)
                else:
                    ws.write_number(r, c, v, fmt)
    wb.close()


def _write_xls(path: Path, style: FileStyle, sheets: list[SheetGrid]) -> None:
    import xlwt

    wb = xlwt.Workbook(encoding="utf-8")
    date_style = xlwt.easyxf(num_format_str=style.date_cell_format.upper())
    head_style = xlwt.easyxf("font: bold on; align: horiz center, vert center")
    for g in sheets:
        ws = wb.add_sheet(g.name)
        starts = {(r1, c1): (r2, c2) for r1, c1, r2, c2 in g.merges}
        covered = {(r, c) for r1, c1, r2, c2 in g.merges for r in range(r1, r2 + 1) for c in range(c1, c2 + 1)}
        for r, row in enumerate(g.rows):
            for c, v in enumerate(row):
                if (r, c) in starts:
                    r2, c2 = starts[(r, c)]
                    ws.write_merge(r, r2, c, c2, v, head_style)
                elif v is None or (r, c) in covered:
                    continue
                elif isinstance(v, dt.date):
                    ws.write(r, c, excel_serial(v), date_style)
                else:
                    ws.write(r, c, v)
    wb.save(str(path))


def _write_csv(path: Path, style: FileStyle, grid: SheetGrid) -> None:
    with path.open("w", encoding=style.encoding, newline="") as fh:
        w = csv.writer(fh, delimiter=style.delimiter, lineterminator=style.newline)
        for row in grid.rows:
            w.writerow(["" if v is None else str(v) for v in row])


# ---- register extracts ----------------------------------------------------------
def _region_names(df: pl.DataFrame, geo: Geography) -> pl.DataFrame:
    kec = pl.DataFrame({"_kec": list(geo.kecamatan), "KECAMATAN": [n.upper() for n in geo.kecamatan.values()]})
    desa = pl.DataFrame({"kode_desa": list(geo.desa), "DESA/KELUARAHAN": [n.upper() for n in geo.desa.values()]})
    out = df.with_columns(pl.col("kode_desa").str.slice(0, 6).alias("_kec"))
    out = out.join(kec, on="_kec", how="left", maintain_order="left")
    return out.join(desa, on="kode_desa", how="left", maintain_order="left")


def write_siksng_csv(path: Path, df: pl.DataFrame, geo: Geography) -> None:
    """The register as a SIKS-NG DTKS export: 23 columns, ``|``-delimited, names instead of codes.

    It has no person id: ``ID DTKS`` is the household id. Rows are in the order of ``df``.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    shdk = pl.DataFrame({"shdk": list(SHDK_LABEL), "HUB KELUARGA": list(SHDK_LABEL.values())})
    out = _region_names(df, geo).join(shdk, on="shdk", how="left", maintain_order="left")
    out = out.select(
        pl.col("household_id").alias("ID DTKS"),
        pl.lit(geo.prov_name.upper()).alias("PROVINSI"),
        pl.lit(geo.kab_name.upper()).alias("KABUPATEN/KOTA"),
        "KECAMATAN",
        "DESA/KELUARAHAN",
        pl.col("alamat").alias("ALAMAT"),
        pl.col("dusun").alias("DUSUN"),
        pl.col("rt").alias("RT"),
        pl.col("rw").alias("RW"),
        pl.col("no_kk").alias("NOKK"),
        pl.col("nik").alias("NIK"),
        pl.col("nama").alias("NAMA"),
        pl.col("tanggal_lahir").dt.strftime("%Y-%m-%d").alias("TANGGAL LAHIR"),
        pl.col("tempat_lahir").alias("TEMPAT LAHIR"),
        pl.when(pl.col("jenis_kelamin") == 1).then(pl.lit("LAKI-LAKI")).otherwise(pl.lit("PEREMPUAN")).alias("JENIS KELAMIN"),
        pl.col("pekerjaan").alias("PEKERJAAN"),
        pl.col("nama_ibu_kandung").alias("NAMA IBU KANDUNG"),
        "HUB KELUARGA",
        pl.col("padan_dukcapil").alias("KETERANGAN PADAN"),
        pl.col("bpnt").alias("BANSOS BPNT"),
        pl.col("pkh").alias("BANSOS PKH"),
        pl.col("bpnt_ppkm").alias("BANSOS BPNT-PPKM"),
        pl.col("pbi").alias("PBI JKN"),
    )
    out.write_csv(path, separator="|")


def register_canonical(df: pl.DataFrame, geo: Geography) -> pl.DataFrame:
    """The register with canonical column names (``schemas/fields.toml``), identifiers as text."""

    def nullable(name: str) -> pl.Expr:
        return pl.when(pl.col(name) == "").then(None).otherwise(pl.col(name)).alias(name)

    def flag(name: str) -> pl.Expr:
        return pl.when(pl.col(name) == "YA").then(pl.lit("1")).otherwise(pl.lit("2")).alias(name)

    return _region_names(df, geo).select(
        "household_id", "person_id", pl.col("nuk").cast(pl.Int16), "no_kk", nullable("nik"), "nama",
        "tanggal_lahir",
        pl.col("jenis_kelamin").cast(pl.Utf8), "tempat_lahir", pl.col("status_kawin").cast(pl.Utf8), "pekerjaan",
        "nama_ibu_kandung", pl.col("hub_krt").cast(pl.Utf8), pl.col("hub_kk").cast(pl.Utf8),
        "alamat", nullable("dusun"), "rt", "rw",
        pl.col("kode_desa").str.slice(0, 2).alias("kode_prov"), pl.col("kode_desa").str.slice(0, 4).alias("kode_kab"),
        pl.col("kode_desa").str.slice(0, 6).alias("kode_kec"), "kode_desa",
        pl.col("KECAMATAN").alias("nama_kec"), pl.col("DESA/KELUARAHAN").alias("nama_desa"),
        pl.when(pl.col("padan_dukcapil") == "PADAN").then(pl.lit("PADAN"))
        .when(pl.col("padan_dukcapil") == "TIDAK PADAN").then(pl.lit("TIDAK_PADAN"))
        .otherwise(None).alias("padan_dukcapil"),
        flag("pkh"), flag("bpnt"), flag("pbi"),
    )


def write_register_parquet(path: Path, df: pl.DataFrame, geo: Geography) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    register_canonical(df, geo).write_parquet(path, compression="zstd", statistics=True)


# ---- truth --------------------------------------------------------------------------
def write_truth_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0].keys()) if rows else list(TRUTH_COLUMNS), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def write_truth_parquet(path: Path, rows: list[dict], columns: tuple[str, ...]) -> None:
    schema = {c: (pl.Int64 if c == "source_row" else pl.Utf8) for c in columns}
    pl.DataFrame({c: [r[c] for r in rows] for c in columns}, schema=schema).write_parquet(path, compression="zstd")
