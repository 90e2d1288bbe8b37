"""`slrt config show`: the effective settings and where each one comes from."""

from __future__ import annotations

import typer
from rich.table import Table

from slrt_cli.cli import options as o
from slrt_cli.cli.help import HelpCommand
from slrt_cli.cli.commands.run import settings_from
from slrt_cli.cli.output import Common

app = typer.Typer(help="Berkas konfigurasi.", no_args_is_help=True)

SHOW_HELP = f"""Tampilkan pengaturan yang berlaku untuk `slrt run` dan asalnya
(default, file, env SLRT_*, flag). Urutan: flag > SLRT_* > berkas konfigurasi > bawaan.

Contoh: slrt config show --config bulan.toml

{o.EXIT_CODES_HELP}
"""


@app.command("show", help=SHOW_HELP, cls=HelpCommand)
@o.common_options
def show(ctx: typer.Context, config: o.Config = None, *, flags: o.Flags) -> None:
    settings, origin = settings_from(ctx, config)
    common = Common(settings["lang"], json=flags.json_out, no_color=flags.no_color)
    if flags.json_out:
        common.emit_json({"settings": settings, "origin": origin})
        return
    table = Table(title="slrt run")
    for col in ("kunci / key", "nilai / value", "asal / source"):
        table.add_column(col)
    for key in settings:
        value = settings[key]
        text = ", ".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        table.add_row(key, text, origin[key])
    common.out.print(table)
