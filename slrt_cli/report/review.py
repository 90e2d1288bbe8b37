"""review.xlsx: each `review` pair side by side, for a reviewer to decide `sama` or `beda`.

Columns ``source_file``, ``source_sheet``, ``source_row`` (the village row) and
``person_id`` (the register candidate) trace each decision; ``keputusan`` is
empty, with a dropdown (sama = same person, beda = different person).
``slrt run … --decisions review.xlsx`` applies the decisions and keeps them in
the state folder for the months after.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import polars as pl
import xlsxwriter

from slrt_cli.privacy import mask_id_expr

KEYS = ["source_file", "source_sheet", "source_row"]
DECISION_COLUMN = "keputusan"
NOTE_COLUMN = "catatan"
#: fields shown side by side (village | register)
FIELDS = ["nama", "nik", "no_kk", "tanggal_lahir", "jenis_kelamin", "hub_kk", "nama_ibu_kandung", "alamat", "rt", "rw",
          "kode_desa"]
_IDS = ("nik", "no_kk")
LABELS = {
    "id": {"sheet": "Perlu Diperiksa", "village": "desa", "register": "DTKS", "score": "skor", "alasan": "alasan",
           "intro": "Isi kolom keputusan: sama (orang yang sama) atau beda (orang berbeda), lalu jalankan "
                    "slrt run ... --decisions review.xlsx"},
    "en": {"sheet": "To review", "village": "village", "register": "register", "score": "score", "alasan": "reasons",
           "intro": "Fill in the keputusan column: sama (same person) or beda (different person), then run "
                    "slrt run ... --decisions review.xlsx"},
}


def review_pairs(rec: pl.DataFrame, rows: pl.DataFrame, register: pl.DataFrame, *, full_ids: bool = False) -> pl.DataFrame:
    """One row per `review` pair: keys, candidate, score, reasons, then village/register values."""
    pairs = rec.filter(pl.col("outcome") == "review").select(KEYS + ["person_id", "household_id", "score", "alasan"])
    fields = [f for f in FIELDS if f in rows.columns and f in register.columns]
    village = rows.select(KEYS + [pl.col(f).alias(f"{f}__desa") for f in fields])
    reg = register.select(["person_id"] + [pl.col(f).alias(f"{f}__dtks") for f in fields])
    out = pairs.join(village, on=KEYS, how="left").join(reg, on="person_id", how="left")
    if not full_ids:
        out = out.with_columns(
            [mask_id_expr(pl.col(f"{f}__{side}")).alias(f"{f}__{side}") for f in _IDS if f in fields
             for side in ("desa", "dtks")]
        )
    return out.sort(KEYS)


def write_review(path: Path, pairs: pl.DataFrame, *, lang: str = "id") -> None:
    """Write review.xlsx (always written, with a header only when nothing needs review)."""
    build_review(path, pairs, lang=lang).close()


def build_review(path: Path, pairs: pl.DataFrame, *, lang: str = "id") -> xlsxwriter.Workbook:
    """review.xlsx with every cell in place; ``close()`` writes it (pure Python: a forked child may)."""
    lab = LABELS[lang]
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False})
    wb.set_properties({"created": dt.datetime(2000, 1, 1), "author": "slrt"})
    head_fmt = wb.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1, "text_wrap": True, "valign": "top"})
    pick_fmt = wb.add_format({"bg_color": "#FFF2CC", "border": 1})
    date_fmt = wb.add_format({"num_format": "dd/mm/yyyy"})
    wrap = wb.add_format({"text_wrap": True, "valign": "top"})
    ws = wb.add_worksheet(lab["sheet"])
    ws.write_string(0, 0, lab["intro"], wb.add_format({"bold": True}))
    fields = [c[: -len("__desa")] for c in pairs.columns if c.endswith("__desa")]
    header = KEYS + ["person_id", "household_id", lab["score"], lab["alasan"]]
    header += [f"{f} ({lab[side]})" for f in fields for side in ("village", "register")]
    header += [DECISION_COLUMN, NOTE_COLUMN]
    top = 2
    for j, h in enumerate(header):
        ws.write_string(top, j, h, head_fmt)
    columns = KEYS + ["person_id", "household_id", "score", "alasan"]
    columns += [f"{f}__{side}" for f in fields for side in ("desa", "dtks")]
    for i, rec in enumerate(pairs.select(columns).iter_rows(), start=top + 1):
        for j, v in enumerate(rec):
            if v is None:
                continue
            if isinstance(v, dt.date):
                ws.write_datetime(i, j, dt.datetime(v.year, v.month, v.day), date_fmt)
            elif isinstance(v, (int, float)) and not isinstance(v, bool):
                ws.write_number(i, j, v)
            else:
                ws.write_string(i, j, str(v))
        ws.write_blank(i, len(columns), None, pick_fmt)
    last = top + max(pairs.height, 1)
    ws.data_validation(top + 1, len(columns), last, len(columns),
                       {"validate": "list", "source": ["sama", "beda"], "ignore_blank": True})
    ws.freeze_panes(top + 1, 3)
    ws.autofilter(top, 0, last, len(header) - 1)
    ws.set_column(0, 0, 28)
    ws.set_column(1, 5, 12)
    ws.set_column(6, 6, 60, wrap)
    ws.set_column(7, len(header) - 3, 18)
    ws.set_column(len(header) - 2, len(header) - 1, 14)
    return wb
