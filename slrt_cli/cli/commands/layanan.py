"""`slrt layanan`: the SLRT desk's service logs linked to the register, referrals followed up."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Optional

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.output import Common, handle_errors, number
from slrt_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_OK, InputError, UsageError
from slrt_cli.i18n import t

HELP = f"""Meja layanan SLRT: baca buku layanan Puskesos, padankan setiap pengunjung dengan DTKS/DTSEN
dan pantau rujukannya.

Buku layanan (Excel/CSV) dibaca seperti berkas desa. Setiap kunjungan mendapat satu baris di
layanan.csv (juga .parquet) dengan situasinya: bukan_dtks (usulkan), sudah_menerima,
belum_menerima, perlu_adminduk (NIK dulu, ke Disdukcapil), lainnya, ditolak. rujukan.xlsx:
ringkasan, satu lembar per dinas tujuan, rujukan terlambat, anggota rumah tangga (NIK
disamarkan); layanan.html; tindak_lanjut.csv (semua rujukan yang dipantau, lintas bulan);
kirim/ (usulan baru untuk Kemensos). Rujukan diingat di folder state.

Contoh: slrt layanan sample_data/layanan --register sample_data/register/dtks.parquet --out hasil_layanan

{o.EXIT_CODES_HELP}
"""

BatasHari = o.Annotated[
    Optional[int],
    typer.Option("--batas-hari", min=1, help="Rujukan tanpa jawaban lebih dari sekian hari: terlambat (bawaan 14; kunci batas_hari)."),
]
PerTanggal = o.Annotated[
    Optional[str],
    typer.Option("--per-tanggal", help="Hitung rujukan sampai tanggal ini (TTTT-BB-HH; bawaan: tanggal terakhir di buku layanan)."),
]
FailOn = o.Annotated[
    str, typer.Option("--fail-on", help="Keluar dengan kode 1 bila ada: terlambat, ditolak, bukan_dtks (pisahkan dengan koma).")
]
FAIL_ON = ("terlambat", "ditolak", "bukan_dtks")


@o.common_options
def layanan_command(
    inputs: o.Inputs,
    register: o.Register,
    config: o.Config = None,
    out: o.Out = Path("hasil_layanan"),
    overwrite: o.Overwrite = False,
    batas_hari: BatasHari = None,
    per_tanggal: PerTanggal = None,
    period: o.Period = "",
    state: o.State = None,
    fail_on: FailOn = "",
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _layanan(inputs=inputs, register=register, config=config, out=out, overwrite=overwrite, batas_hari=batas_hari,
             per_tanggal=per_tanggal, period=period, state=state, fail_on=fail_on, common=common)


@handle_errors
def _layanan(*, inputs, register, config, out, overwrite, batas_hari, per_tanggal, period, state, fail_on,
             common: Common) -> None:
    from slrt_cli.config import resolve
    from slrt_cli.desk import layanan

    wanted = {w.strip() for w in fail_on.split(",") if w.strip()}
    if wanted - set(FAIL_ON):
        raise UsageError("error_bad_option", option="--fail-on", value=",".join(sorted(wanted - set(FAIL_ON))),
                         allowed=", ".join(FAIL_ON))
    as_of = None
    if per_tanggal:
        try:
            as_of = dt.date.fromisoformat(per_tanggal)
        except ValueError:
            raise UsageError("error_bad_option", option="--per-tanggal", value=per_tanggal, allowed="YYYY-MM-DD") from None
    if batas_hari is None:
        settings, _ = resolve({}, config)
        batas_hari = settings.get("batas_hari")
    try:
        report = layanan(inputs, register, out, lang=common.lang, overwrite=overwrite, as_of=as_of,
                         limit_days=batas_hari, state=state, period=period)
    except InputError as exc:
        if getattr(exc, "report", None) is None:
            raise
        common.err.print(f"[bold red]slrt:[/] {t(exc.code, **exc.params)}")
        raise typer.Exit(EXIT_INPUT) from None
    s = report.summary
    hit = ("terlambat" in wanted and s["overdue"]) or any(s["situasi"].get(k) for k in wanted & {"ditolak", "bukan_dtks"})
    code = EXIT_DATA if hit else EXIT_OK
    if common.json:
        common.emit_json({"ok": code == EXIT_OK, "exit_code": code, "out": str(out), **report.to_dict()})
    else:
        common.say(t("layanan_summary", visits=number(s["visits"], common.lang), overdue=number(s["overdue"], common.lang),
                     **{k: number(v, common.lang) for k, v in s["situasi"].items()}))
        common.say(t("layanan_outputs", path=str(out)))
    raise typer.Exit(code)
