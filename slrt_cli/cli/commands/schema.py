"""`slrt schema show`: the canonical fields, their aliases and code lists."""

from __future__ import annotations

import typer
from rich.table import Table

from slrt_cli.cli import options as o
from slrt_cli.cli.help import HelpCommand
from slrt_cli.cli.output import Common, handle_errors
from slrt_cli.errors import EXIT_OK

HELP = f"""Lihat skema slrt: kolom baku, judul kolom yang dikenali dan daftar kode.

Contoh: slrt schema show

{o.EXIT_CODES_HELP}
"""

SHOW_HELP = f"""Tampilkan kolom baku, judul kolom lain yang dikenali (alias) dan daftar kode.

Isinya dibaca dari folder schemas/ (fields.toml, aliases.csv, codes/*.csv): judul kolom
di berkas desa dicocokkan dengan daftar ini tanpa memperhatikan huruf besar/kecil, spasi
dan tanda _ . / -. Dengan --json: satu dokumen JSON (kolom, jenis, label, alias, kode
dan labelnya, versi skema) untuk skrip.

Contoh: slrt schema show --lang en

{o.EXIT_CODES_HELP}
"""

app = typer.Typer(
    name="schema",
    help=HELP,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    pretty_exceptions_enable=False,
    add_completion=False,
    context_settings={"help_option_names": ["-h", "--help"]},
    rich_markup_mode=None,
)


@o.common_options
def show_command(
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _show(common=common)


app.command("show", help=SHOW_HELP, cls=HelpCommand)(show_command)


@handle_errors
def _show(*, common: Common) -> None:
    from slrt_cli import schema_doc as sd

    doc = sd.describe()
    if common.json:
        common.emit_json(doc)
        raise typer.Exit(EXIT_OK)
    if common.quiet:
        raise typer.Exit(EXIT_OK)
    lang, h = common.lang, sd.HEADINGS[common.lang]
    common.out.print(_table(h["fields_title"].format(version=doc["schema_version"]), sd.field_headings(lang),
                            sd.field_rows(doc, lang)))
    common.out.print(_table(h["aliases_title"], sd.alias_headings(lang), sd.alias_rows(doc)))
    for cl in doc["codelists"]:
        title = h["codes_title"].format(name=cl["name"])
        if cl["used_by"]:
            title += " (" + h["used_by"].format(fields=", ".join(cl["used_by"])) + ")"
        common.out.print(_table(title, sd.code_headings(cl, lang), sd.code_rows(cl, lang)))
    common.say(h["note"])
    raise typer.Exit(EXIT_OK)


def _table(title: str, headings: list[str], rows: list[list[str]]) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False)
    for heading in headings:
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*row)
    return table
