"""`slrt dedup`: duplicates inside the register (DTKS/DTSEN), the ministry's cleaning list."""

from __future__ import annotations

from pathlib import Path

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.commands.run import engine_flags
from slrt_cli.cli.output import Common, handle_errors, number
from slrt_cli.errors import EXIT_OK
from slrt_cli.i18n import t

HELP = f"""Cari duplikat di dalam DTKS/DTSEN: daftar pembersihan untuk Kemensos.

Satu baris per pasangan orang DTKS di register_duplicates.csv (juga .parquet): same_person (satu
orang dengan dua ID, NIK sama, berbeda atau kosong) atau nik_conflict (dua orang berbeda dengan
NIK yang sama), dengan skor, band (yakin/periksa) dan alasan. NIK disamarkan, nama utuh. Anak
kembar dan keluarga dalam satu KK tidak dianggap orang yang sama: nama dan tanggal lahir orang
itu sendiri harus cocok.

Contoh: slrt dedup --register sample_data/register/dtks.parquet --out duplikat

{o.EXIT_CODES_HELP}
"""


@o.common_options
def dedup_command(
    register: o.Register,
    out: o.Out = Path("duplikat"),
    overwrite: o.Overwrite = False,
    engine: o.EngineOpt = "local",
    spark_master: o.SparkMaster = "local[*]",
    spark_conf: o.SparkConf = None,
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _dedup(register=register, out=out, overwrite=overwrite, common=common,
           engine=engine_flags(engine, spark_master, spark_conf))


@handle_errors
def _dedup(*, register, out: Path, overwrite: bool, common: Common, engine: dict) -> None:
    from slrt_cli.cli.commands.run import engine_from
    from slrt_cli.dedup import dedup

    report = dedup(register, out, lang=common.lang, overwrite=overwrite, engine=engine_from(engine))
    c = report.counts()
    same = report.pairs.filter(report.pairs["kind"] == "same_person")
    yakin = int((same["band"] == "yakin").sum())
    if common.json:
        common.emit_json({"ok": True, "exit_code": EXIT_OK, "out": str(out), **report.to_dict()})
    elif not common.quiet:
        n = lambda v: number(v, common.lang)  # noqa: E731
        common.say(t("dedup_summary", rows=n(report.register_rows), same_person=n(c["same_person"]), yakin=n(yakin),
                     periksa=n(same.height - yakin), nik_conflict=n(c["nik_conflict"])))
        common.say(t("dedup_outputs", path=str(out)))
    raise typer.Exit(EXIT_OK)
