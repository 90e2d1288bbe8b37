"""`slrt layanan`: the SLRT desk's service logs read, linked to the register and followed up.

Wires the existing steps (readers and validation of :mod:`slrt_cli.pipeline`, the matcher of
:mod:`slrt_cli.match`) to the desk's own logic (:mod:`slrt_cli.layanan`) and writes the outputs
(:mod:`slrt_cli.report.desk`, :mod:`slrt_cli.uploads`) as a whole under the output lock. The
referrals are remembered in the state folder (``layanan_rujukan.parquet``) once the outputs are
in place.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import polars as pl

from slrt_cli import layanan as desk
from slrt_cli.atomic import check_target, staged_dir
from slrt_cli.errors import InputError
from slrt_cli.i18n import t
from slrt_cli.io.readers import ReadLimits
from slrt_cli.lock import output_lock
from slrt_cli.model import ValidationReport
from slrt_cli.pipeline import (
    _validated,
    batch_rows,
    exclusions,
    reading_pool,
)
from slrt_cli.registers import load_register_checked
from slrt_cli.privacy import mask_id_expr
from slrt_cli.schemas import Schema, load_schema
from slrt_cli.state import State, default_state_dir

log = logging.getLogger("slrt.layanan")

STATE_FILE = "layanan_rujukan.parquet"
#: the columns of layanan.csv, in order
COLUMNS = ["source_file", "source_sheet", "source_row", "person_id", "household_id", "situasi", "kategori", "program",
           "rujukan_ke", "alasan", "tindakan", "kategori_sumber", "status_rujukan", "tanggal_kunjungan", "nik", "nama",
           "nama_desa", "desil", "jumlah_art", "status", "issue_codes", "visit_key"]


@dataclass
class DeskReport:
    """What `slrt layanan` found: one line per visit read (``table``), the referrals followed up."""

    table: pl.DataFrame
    referrals: pl.DataFrame
    members: pl.DataFrame
    validation: ValidationReport
    summary: dict
    as_of: dt.date
    outputs: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return dict(self.summary["situasi"])

    def to_dict(self) -> dict[str, Any]:
        return {"summary": self.summary, "as_of": self.as_of.isoformat(), "outputs": self.outputs}


def layanan(
    inputs: Sequence[str | Path],
    register: Sequence[str | Path],
    out: str | Path | None = None,
    *,
    lang: str = "id",
    overwrite: bool = False,
    today: dt.date | None = None,
    as_of: dt.date | None = None,
    limit_days: int | None = None,
    state: str | Path | None = None,
    period: str = "",
    schema: Schema | None = None,
    settings: Any = None,
    workers: int = 1,
) -> DeskReport:
    """Read the desk's service logs, link every visitor to the register, follow the referrals up.

    Args:
        inputs: service logs (Excel/CSV) and/or folders.
        register: the register extract (as :func:`slrt_cli.pipeline.run`).
        out: output folder, written as a whole; None writes nothing (and remembers nothing).
        as_of: the date referrals are counted to (default: the latest date the logs hold, so that
            re-running a month gives the same files; else ``today``).
        limit_days: days without an answer after which a referral is overdue (default: ``layanan.toml``).
        state: state folder (default ``<out>.state``).
        period: the month of the logs (written in ``kirim/manifest.json``).

    Returns:
        A :class:`DeskReport`; ``report.table`` has exactly one line per visit row read.

    Raises:
        UsageError: a path does not exist, or ``out`` exists without ``overwrite``.
        InputError: no log could be read, or the register is unusable.

    Example:
        >>> r = layanan(["sample_data/layanan"], ["sample_data/register/dtks.parquet"], "hasil_layanan")  # doctest: +SKIP
        >>> r.counts()["bukan_dtks"]                                                                     # doctest: +SKIP
    """
    base = schema or load_schema()
    schema = desk.desk_schema(base)
    codes = desk.load_codes()
    today = today or dt.date.today()
    limit = int(limit_days if limit_days is not None else codes.settings.get("batas_hari", 14))
    if out is not None:
        check_target(Path(out), overwrite)
        with output_lock(Path(out)):
            return _layanan(inputs, register, Path(out), lang, overwrite, today, as_of, limit, state, period, schema,
                            codes, settings, workers)
    return _layanan(inputs, register, None, lang, overwrite, today, as_of, limit, state, period, schema, codes,
                    settings, workers)


def _layanan(inputs, register, out, lang, overwrite, today, as_of, limit, state, period, schema, codes, settings,
             workers) -> DeskReport:
    with reading_pool() as pool:
        report, (reg, _read) = _validated(inputs, schema, today, None, lambda: load_register_checked(register, schema, today),
                                          exclude=exclusions(out, state, register), limits=ReadLimits(), pool=pool)
    if not any(f.readable for f in report.files):
        err = InputError("error_no_input", paths=", ".join(str(p) for p in inputs))
        err.report = report
        raise err
    rows = batch_rows(report, schema)
    from slrt_cli.match import match

    links = match(rows, reg, settings, workers=workers)
    visits = desk.situation_office(desk.situations(desk.resolve_needs(rows, codes), links, reg, codes, lang))
    visits = _keys(visits)
    members = _members(visits, reg)
    visits = visits.join(members.group_by("household_id").len("jumlah_art"), on="household_id", how="left")
    visits = visits.with_columns(
        pl.Series("tindakan", [t(f"layanan_tindakan_{s}", lang=lang) for s in visits["situasi"]], dtype=pl.Utf8))
    as_of = as_of or _latest(visits) or today
    store = State(Path(state) if state else default_state_dir(out)) if out is not None or state else None
    known = _known(store)
    closed = codes.closed_statuses
    referable = visits.filter((pl.col("situasi") != "ditolak") & pl.col("rujukan_ke").is_not_null())
    referrals = desk.follow_up(known, referable, closed)
    view = desk.referral_view(referrals, as_of, limit, closed)
    summary = desk.summary(visits, view, closed) | {"as_of": as_of.isoformat(), "batas_hari": limit}
    result = DeskReport(table=visits, referrals=view, members=members, validation=report, summary=summary, as_of=as_of)
    log.info("layanan visits=%d %s referrals=%d overdue=%d", visits.height, json.dumps(summary["situasi"]),
             view.height, summary["overdue"])
    if out is not None:
        with staged_dir(out, overwrite) as stage:
            result.outputs = _write(result, stage, schema, codes, lang, period)
    if store is not None:  # remembered only once the outputs are in place
        store._write(STATE_FILE, lambda p: referrals.write_parquet(p))
    return result


def _keys(visits: pl.DataFrame) -> pl.DataFrame:
    visits = visits.with_columns(desk.person_keys(visits))
    visits = visits.with_columns(desk.visit_keys(visits))
    return visits.with_columns(
        pl.coalesce("tanggal_rujukan", "tanggal_kunjungan").alias("dibuka"),
        pl.col("tanggal_selesai").alias("ditutup"),
        mask_id_expr(pl.col("nik")).alias("nik_masked"),
    )


def _latest(visits: pl.DataFrame) -> dt.date | None:
    dates = pl.concat([visits[c].drop_nulls() for c in ("tanggal_kunjungan", "tanggal_rujukan", "tanggal_selesai")])
    return dates.max() if dates.len() else None


def _known(store: State | None) -> pl.DataFrame:
    if store is None or not (store.folder / STATE_FILE).is_file():
        return pl.DataFrame(schema=desk.REFERRAL_SCHEMA)
    return pl.read_parquet(store.folder / STATE_FILE)


def _members(visits: pl.DataFrame, reg: pl.DataFrame) -> pl.DataFrame:
    """Register members of the visitors' households (masked NIK; programme flags, desil)."""
    hh = visits.select("household_id").drop_nulls().unique()
    keep = [c for c in ("household_id", "person_id", "nik", "nama", "hub_krt", "hub_kk", "pkh", "bpnt", "pbi", "pip",
                        "desil") if c in reg.columns]
    out = reg.select(keep).join(hh, on="household_id", how="semi").sort(["household_id", "person_id"])
    return out.with_columns(mask_id_expr(pl.col("nik")).alias("nik")) if "nik" in out.columns else out


def output_table(visits: pl.DataFrame) -> pl.DataFrame:
    """layanan.csv as written: the fixed columns, NIK masked, issue codes joined."""
    frame = visits.with_columns(mask_id_expr(pl.col("nik")).alias("nik"),
                                pl.col("issue_codes").list.join(";").alias("issue_codes"),
                                pl.col("desil").cast(pl.Utf8), pl.col("jumlah_art").cast(pl.Int64))
    frame = frame.with_columns(pl.lit(None, pl.Utf8).alias(c) for c in COLUMNS if c not in frame.columns)
    return frame.select(COLUMNS).sort(KEYS_ORDER)


KEYS_ORDER = ["source_file", "source_sheet", "source_row"]


def _write(result: DeskReport, stage: Path, schema: Schema, codes, lang: str, period: str) -> list[str]:
    from slrt_cli.export import write_csv
    from slrt_cli.report import desk as desk_report

    table = output_table(result.table)
    write_csv(table, stage / "layanan.csv")
    table.write_parquet(stage / "layanan.parquet")
    view = result.referrals.drop("person_key", "visit_key").with_columns(
        pl.col("terlambat").cast(pl.Utf8))
    write_csv(view, stage / "tindak_lanjut.csv")
    sheets = _sheets(result, codes, lang)
    desk_report.write_workbook(stage / "rujukan.xlsx", sheets)
    (stage / "layanan.html").write_text(desk_report.render_html(sheets, result.summary, lang), encoding="utf-8")
    kirim = _write_kirim(result, stage, schema, period)
    body = result.to_dict() | {"outputs": ["layanan.csv", "layanan.parquet", "tindak_lanjut.csv", "rujukan.xlsx",
                                           "layanan.html", *kirim, "summary.json"]}
    (stage / "summary.json").write_text(json.dumps(body, indent=2, sort_keys=True, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
    return body["outputs"]


def _sheets(result: DeskReport, codes, lang: str) -> list[tuple[str, pl.DataFrame]]:
    """The workbook's sheets (title, frame): summary, one per office, overdue, household members."""
    v = result.table.with_columns(mask_id_expr(pl.col("nik")).alias("nik"))
    label = {n: (lambda c, n=n: codes.label(n, c, lang)) for n in ("kategori", "program", "rujukan")}
    v = v.with_columns(
        pl.col("kategori").map_elements(label["kategori"], return_dtype=pl.Utf8).alias("kategori_label"),
        pl.col("program").map_elements(label["program"], return_dtype=pl.Utf8).alias("program_label"),
    )
    h = lambda key: t(f"layanan_col_{key}", lang=lang)  # noqa: E731
    cols = {"tanggal_kunjungan": h("tanggal"), "nama": h("nama"), "nik": "NIK", "nama_desa": h("desa"),
            "kategori_label": h("kategori"), "program_label": h("program"), "situasi": h("situasi"),
            "alasan": h("alasan"), "tindakan": h("tindakan"), "status_rujukan": h("status"), "dibuka": h("sejak"),
            "source_file": h("berkas"), "source_row": h("baris")}
    sheets = [(t("layanan_sheet_ringkasan", lang=lang), _summary_frame(result, codes, lang))]
    for office in sorted(v["rujukan_ke"].drop_nulls().unique().to_list()):
        part = v.filter(pl.col("rujukan_ke") == office).sort(["dibuka", "source_file", "source_row"], nulls_last=True)
        sheets.append((codes.label("rujukan", office, lang)[:31], part.select(list(cols)).rename(cols)))
    late = result.referrals.filter(pl.col("terlambat")).select(
        pl.col("nik_masked").alias("NIK"), pl.col("nama_desa").alias(h("desa")),
        pl.col("kategori").map_elements(label["kategori"], return_dtype=pl.Utf8).alias(h("kategori")),
        pl.col("rujukan_ke").map_elements(label["rujukan"], return_dtype=pl.Utf8).alias(h("rujukan_ke")),
        pl.col("dibuka").alias(h("sejak")), pl.col("hari").alias(h("hari")), pl.col("status").alias(h("status")),
        pl.col("source_file").alias(h("berkas")), pl.col("source_row").alias(h("baris")))
    sheets.append((t("layanan_sheet_terlambat", lang=lang), late))
    sheets.append((t("layanan_sheet_anggota", lang=lang), result.members))
    return sheets


def desk_section(folder: str | Path, lang: str = "id") -> pl.DataFrame:
    """The desk's month as the section of the month's report (``slrt report RUN --layanan DESK``):
    the figures of rujukan.xlsx's summary, from a ``slrt layanan`` output folder.

    Raises:
        InputError: the folder is not one that ``slrt layanan`` wrote.
    """
    folder = Path(folder)
    summary, visits = folder / "summary.json", folder / "layanan.parquet"
    if not (summary.is_file() and visits.is_file()):
        raise InputError("error_layanan_folder", path=str(folder))
    body = json.loads(summary.read_text(encoding="utf-8"))
    done = SimpleNamespace(summary=body["summary"], table=pl.read_parquet(visits))
    return _summary_frame(done, desk.load_codes(), lang)


def _summary_frame(result: DeskReport, codes, lang: str) -> pl.DataFrame:
    from slrt_cli.report.labels import format_date, format_number

    s = result.summary

    def n(value: float, decimals: int = 0) -> str:  # 3.000 and 57,8 in Bahasa; 3,000 and 57.8 in English
        return format_number(value, lang, decimals)

    lines = [(t("layanan_sum_visits", lang=lang), n(s["visits"]))]
    lines += [(t(f"layanan_situasi_{k}", lang=lang), n(c)) for k, c in s["situasi"].items()]
    lines += [(t("layanan_sum_in_register", lang=lang), n(s["in_register_share"] * 100, 1) + "%"),
              (t("layanan_sum_referrals", lang=lang), n(s["referrals"])),
              (t("layanan_sum_answered", lang=lang), n(s["answered"])),
              (t("layanan_sum_overdue", lang=lang, days=s["batas_hari"]), n(s["overdue"])),
              (t("layanan_sum_response", lang=lang), "-" if s["response_days_median"] is None
               else f"{n(s['response_days_median'], 1)} / {n(s['response_days_mean'], 1)}"),
              (t("layanan_sum_as_of", lang=lang), format_date(dt.date.fromisoformat(s["as_of"]), lang))]
    head = pl.DataFrame(lines, schema=[t("layanan_col_hal", lang=lang), t("layanan_col_jumlah", lang=lang)], orient="row")
    by = result.table.group_by(pl.col("nama_desa").fill_null("-"), "kategori").agg(
        pl.len().alias("n"), pl.col("person_id").is_not_null().sum().alias("dtks")).sort(["nama_desa", "kategori"])
    rows = [(f"{d} / {codes.label('kategori', k, lang)}", f"{n} ({dtks})") for d, k, n, dtks in by.iter_rows()]
    tail = pl.DataFrame(rows, schema=head.columns, orient="row") if rows else head.clear()
    return pl.concat([head, pl.DataFrame([(t("layanan_sum_by_desa", lang=lang), "")], schema=head.columns, orient="row"), tail])


def _write_kirim(result: DeskReport, stage: Path, schema: Schema, period: str) -> list[str]:
    """Proposals (``bukan_dtks``) in the ministry's usulan_baru layout, as `slrt run` writes them."""
    from slrt_cli.uploads import write_uploads

    rows = result.validation.table
    new = result.table.filter(pl.col("situasi") == "bukan_dtks").select(
        *KEYS_ORDER, pl.lit("new").alias("outcome"), pl.lit(None, pl.Utf8).alias("person_id"),
        pl.lit(None, pl.Utf8).alias("household_id"), pl.lit("USULAN_BARU").alias("status_verivali"),
        pl.col("kode_desa"))
    empty_changes = pl.DataFrame(schema={"source_file": pl.Utf8, "source_sheet": pl.Utf8, "source_row": pl.Int64,
                                         "person_id": pl.Utf8, "field": pl.Utf8, "nilai_dtks": pl.Utf8,
                                         "nilai_desa": pl.Utf8, "jenis": pl.Utf8})
    rec = SimpleNamespace(reconciliation=new, not_found=pl.DataFrame(schema={"person_id": pl.Utf8}), changes=empty_changes)
    keep = [c for c in rows.columns if c in schema.fields or c in KEYS_ORDER]
    fake = SimpleNamespace(rows=rows.select(keep).with_columns(pl.lit("USULAN_BARU").alias("status_verivali"),
                                                               ("SLRT: " + pl.col("keluhan")).alias("alasan")),
                           reconciliation=rec, register=None)
    return write_uploads(stage / "kirim", fake, period=period, settings={"source": "layanan"}, schema=schema)


#: the columns of the desk's entry template (`slrt template --layanan`)
TEMPLATE_FIELDS = ["tanggal_kunjungan", "nik", "no_kk", "nama", "tanggal_lahir", "jenis_kelamin", "alamat", "rt", "rw",
                   "nama_desa", "kode_desa", "keluhan", "kategori", "program", "rujukan_ke", "status_rujukan",
                   "tanggal_rujukan", "tanggal_selesai"]


#: the desk template's own sheet name, title and steps (the rest as in the verivali template)
DESK_TEXTS = {
    "id": {
        "data_sheet": "Buku Layanan",
        "title": "Petunjuk pengisian Buku Layanan SLRT/Puskesos (slrt)",
        "steps": [
            "Isi satu baris per kunjungan di lembar '{data}', mulai baris 2. Jangan mengubah judul kolom di baris 1 "
            "dan jangan menambah baris judul atau baris jumlah.",
            "Orang yang datang lagi ditulis lagi pada baris baru dengan tanggal kunjungannya; jawaban rujukan "
            "(selesai/ditolak) boleh ditulis pada baris baru untuk orang, kategori dan tujuan rujukan yang sama.",
            "NIK dan Nomor KK: 16 digit, diketik sebagai teks. Jangan menempel dari kolom angka: Excel mengubah "
            "digit terakhir menjadi 0. Bila tidak punya NIK, kosongkan: slrt merujuknya ke Disdukcapil.",
            "Tanggal (kunjungan, lahir, rujukan): tanggal sungguhan (dd/mm/yyyy), bukan teks.",
            "Kolom berpilihan (panah di sel): pilih dari daftar, jangan mengetik sendiri. Keluhan/kebutuhan "
            "boleh ditulis bebas.",
            "Wajib diisi: tanggal kunjungan, Nama Lengkap, dan NIK atau Tanggal Lahir.",
            "Berkas ini berisi data pribadi (UU 27/2022 PDP): simpan dan kirim hanya melalui saluran resmi.",
        ],
    },
    "en": {
        "data_sheet": "Service log",
        "title": "How to fill in the SLRT/Puskesos service log (slrt)",
        "steps": [
            "One row per visit on sheet '{data}', from row 2. Do not change the column titles in row 1 and do not "
            "add title or total rows.",
            "A person who comes again gets a new row with the date of that visit; the answer to a referral "
            "(done/refused) may be written on a new row for the same person, category and office.",
            "NIK and family card number: 16 digits, typed as text. Do not paste them from a number column: Excel "
            "turns the last digit into 0. Without a NIK leave it empty: slrt refers the person to Disdukcapil.",
            "Dates (visit, birth, referral): real dates (dd/mm/yyyy), not text.",
            "Columns with a list (arrow in the cell): pick from the list, do not type. The complaint/need is free text.",
            "Required: date of visit, full name, and NIK or date of birth.",
            "This file holds personal data (Law 27/2022): keep it safe and send it through official channels only.",
        ],
    },
}


def build_desk_template(path: str | Path, *, kabupaten: str | None = None, lang: str = "id"):
    """The SLRT desk's service-log template: the desk's columns, dropdowns from ``schemas/layanan/``.

    Example:
        >>> build_desk_template("buku_layanan.xlsx")   # doctest: +SKIP
    """
    from slrt_cli.template import build_template

    codes = desk.load_codes()
    key = "label_en" if lang == "en" else "label_id"
    choices = {"kategori": [r[key] for r in codes.kategori.values()],
               "program": list(codes.program),
               "rujukan_ke": [r[key] for r in codes.rujukan.values()],
               "status_rujukan": [r["label_id"] for r in codes.status.values()]}
    return build_template(Path(path), kabupaten=kabupaten, lang=lang, schema=desk.desk_schema(load_schema()),
                          fields=TEMPLATE_FIELDS, choices=choices, texts=DESK_TEXTS.get(lang, DESK_TEXTS["id"]))
