"""`slrt report`: (re)write the operator's reports of an existing run folder."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.output import Common, handle_errors
from slrt_cli.i18n import t

HELP = f"""Tulis ulang laporan.xlsx dan laporan.html dari folder hasil `slrt run` yang sudah ada
(mis. dalam bahasa lain), tanpa membaca ulang berkas desa atau DTKS.

Contoh: slrt report hasil --lang en

Contoh: slrt report hasil --layanan hasil_layanan   (dengan bagian meja layanan SLRT)

{o.EXIT_CODES_HELP}
"""


@o.common_options
def report_command(
    folder: o.Annotated[Path, typer.Argument(help="Folder hasil `slrt run`.", show_default=False, file_okay=False)],
    *,
    layanan: o.Annotated[Optional[Path], typer.Option(
        "--layanan", help="Folder hasil `slrt layanan` bulan yang sama: bagian meja layanan SLRT ditambahkan ke laporan.",
        show_default=False, file_okay=False)] = None,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _report(folder=folder, desk=layanan, common=common)


@handle_errors
def _report(*, folder: Path, desk: Path | None, common: Common) -> None:
    from slrt_cli.runs import write_reports

    written = write_reports(folder, lang=common.lang, desk=desk)
    if common.json:
        common.emit_json({"ok": True, "exit_code": 0, "out": str(folder), "outputs": written})
    else:
        common.say(t("summary_outputs_plain", path=str(folder)))
