"""`slrt nasional`: many districts' validated rows against one national register, in one job."""

from __future__ import annotations

from pathlib import Path

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.commands.run import engine_flags
from slrt_cli.cli.output import Common, handle_errors, number
from slrt_cli.errors import EXIT_OK
from slrt_cli.i18n import t

HELP = f"""Padankan kiriman banyak kabupaten sekaligus dengan DTKS/DTSEN nasional (Pusdatin).

--batch: rows.parquet hasil `slrt validate`/`slrt run` tiap kabupaten (berkasnya, folder hasilnya,
atau folder berisi banyak folder hasil). --register: dataset Parquet DTKS/DTSEN yang dipartisi per
provinsi dan kabupaten (folder kode_prov=../kode_kab=..), dibaca sepotong demi sepotong; --engine spark
menjalankan pembacaan itu di Apache Spark (hasil sama).

Hasil: satu folder kab_<kode> per kabupaten (berkas yang sama dengan `slrt match`), movers.csv
(orang yang terdaftar di kabupaten lain: pindah masuk), cross_district_duplicates.csv (orang yang
sama diusulkan/diverifikasi dua kabupaten), ringkasan_provinsi.csv dan ringkasan_nasional.csv.

Contoh: slrt nasional --batch hasil_3201 --batch hasil_3204 --register dtsen/ --out nasional

{o.EXIT_CODES_HELP}
"""


@o.common_options
def nasional_command(
    register: o.Register,
    batch: o.Annotated[
        list[Path],
        typer.Option("--batch", "-b", help="rows.parquet kabupaten, folder hasilnya, atau folder berisi banyak (boleh diulang).",
                     show_default=False),
    ],
    out: o.Out = Path("nasional"),
    overwrite: o.Overwrite = False,
    full_nik: o.FullNik = False,
    coverage: o.Coverage = "household",
    engine: o.EngineOpt = "local",
    spark_master: o.SparkMaster = "local[*]",
    spark_conf: o.SparkConf = None,
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _nasional(batch=batch, register=register, out=out, overwrite=overwrite, full_ids=full_nik, coverage=coverage,
              engine=engine_flags(engine, spark_master, spark_conf), common=common)


@handle_errors
def _nasional(*, batch, register, out: Path, overwrite: bool, full_ids: bool, coverage: str, engine: dict,
              common: Common) -> None:
    from slrt_cli.cli.commands.run import _check_coverage, engine_from
    from slrt_cli.nasional import nasional

    _check_coverage(coverage)
    report = nasional(batch, register, out, engine=engine_from(engine), coverage=coverage, full_ids=full_ids,
                      lang=common.lang, overwrite=overwrite)
    c = report.counts()
    if common.json:
        common.emit_json({"ok": True, "exit_code": EXIT_OK, "out": str(out), **report.to_dict()})
    elif not common.quiet:
        n = lambda v: number(v, common.lang)  # noqa: E731
        common.say(t("nasional_summary", rows=n(report.run.rows.height), kabupaten=n(c["kabupaten"]),
                     register=n(report.run.register_rows), matched=n(c["matched"]), new=n(c["new"]),
                     review=n(c["review"]), movers=n(c["movers"]), cross=n(c["cross_district_pairs"])))
        common.say(t("nasional_outputs", path=str(out)))
    raise typer.Exit(EXIT_OK)
