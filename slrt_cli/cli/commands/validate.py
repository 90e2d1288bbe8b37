"""`slrt validate`: read, normalise and validate village files."""

from __future__ import annotations

from pathlib import Path

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.output import Common, files_table, handle_errors
from slrt_cli.errors import EXIT_DATA, EXIT_INPUT, EXIT_OK, InputError
from slrt_cli.export import summarise
from slrt_cli.i18n import t

HELP = f"""Baca, normalkan dan periksa berkas verivali dari desa/Puskesos.

Setiap baris data yang masuk tercatat di rows.parquet sebagai diterima, ditandai atau ditolak,
dengan alasannya di issues.csv (satu baris per masalah) dan berkas perbaikan Excel per desa
di perbaikan/. summary.json berisi hitungan per berkas dan checksum masukan.

Contoh: slrt validate sample_data/desa --out hasil

{o.EXIT_CODES_HELP}
"""


@o.common_options
def validate_command(
    inputs: o.Inputs,
    out: o.Out = Path("hasil"),
    overwrite: o.Overwrite = False,
    baca_lembar_tersembunyi: o.ReadHidden = False,
    kolom: o.Kolom = None,
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _run(inputs=inputs, out=out, overwrite=overwrite, common=common, read_hidden=baca_lembar_tersembunyi, mapping=kolom)


@handle_errors
def _run(*, inputs: list[Path], out: Path, overwrite: bool, common: Common, read_hidden: bool = False,
         mapping: Path | None = None) -> None:
    from slrt_cli.pipeline import validate

    progress = _progress(common)
    try:
        report = validate(inputs, out, lang=common.lang, overwrite=overwrite, progress=progress.update if progress else None,
                          read_hidden_sheets=read_hidden, mapping=mapping)
        code = EXIT_DATA if report.has_errors else EXIT_OK
    except InputError as exc:
        report = getattr(exc, "report", None)
        if report is None:
            raise
        code = EXIT_INPUT
        common.err.print(f"[bold red]slrt:[/] {t(exc.code, **exc.params)}")
    finally:
        if progress:
            progress.close()
    summary = summarise(report)
    if common.json:
        common.emit_json(
            {
                "ok": code == EXIT_OK,
                "exit_code": code,
                "out": str(out),
                "outputs": report.outputs,
                "totals": summary["totals"],
                "issues_by_code": summary["issues_by_code"],
                "files": [{k: v for k, v in f.items() if k != "sheets"} for f in summary["files"]],
                "schema_version": summary["schema_version"],
            }
        )
    elif not common.quiet:
        common.out.print(files_table(summary, common.lang))
        totals = summary["totals"]["issues"]
        common.say(t("summary_outputs", path=str(out), errors=totals["error"], warnings=totals["warning"]))
    raise typer.Exit(code)


class _Progress:
    def __init__(self, common: Common) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

        self._p = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=common.err, transient=True)
        self._task = None
        self._label = t("progress_reading")
        self._p.start()

    def update(self, name: str, index: int, total: int) -> None:
        if self._task is None:
            self._task = self._p.add_task(self._label, total=total)
        self._p.update(self._task, completed=index)

    def close(self) -> None:
        self._p.stop()


def _progress(common: Common) -> _Progress | None:
    return _Progress(common) if common.interactive else None
