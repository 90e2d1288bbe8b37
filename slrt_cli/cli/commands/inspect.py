"""`slrt inspect`: how slrt reads each file's columns (like `frictionless describe`); nothing is validated."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from slrt_cli.atomic import atomic_write
from slrt_cli.cli import options as o
from slrt_cli.cli.output import Common, handle_errors
from slrt_cli.errors import EXIT_INPUT, EXIT_OK, UsageError, os_failure
from slrt_cli.i18n import t
from slrt_cli.privacy import scrub

HELP = f"""Tampilkan bagaimana slrt membaca setiap berkas: baris judul, baris data pertama, dan untuk
setiap kolom: hurufnya, judulnya, field hasilnya (atau tidak ada), caranya dikenali (alias, words,
content, combined, ignored) dengan tingkat keyakinan, dan sampai 3 contoh isi yang disamarkan
(NIK/No KK disamarkan, nama jadi inisial, tanggal lahir dan isi lain hanya bentuknya: 99/99/9999).
Tidak ada yang dinormalkan atau diperiksa, dan tidak ada berkas yang ditulis (kecuali --draft-mapping).

Contoh: slrt inspect sample_data/desa --kolom kolom.toml

Contoh: slrt inspect sample_data/desa --draft-mapping kolom.toml

{o.EXIT_CODES_HELP}
"""

DraftMapping = o.Annotated[
    Optional[Path],
    typer.Option("--draft-mapping", help="Tulis draf berkas peta kolom (TOML) berisi semua judul kolom yang ditemukan.",
                 dir_okay=False),
]


@o.common_options
def inspect_command(
    inputs: o.Inputs,
    kolom: o.Kolom = None,
    draft_mapping: DraftMapping = None,
    baca_lembar_tersembunyi: o.ReadHidden = False,
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _inspect(inputs=inputs, mapping=kolom, draft=draft_mapping, read_hidden=baca_lembar_tersembunyi, common=common)


@handle_errors
def _inspect(*, inputs: list[Path], mapping: Path | None, draft: Path | None, read_hidden: bool, common: Common) -> None:
    from slrt_cli.inspect import draft_mapping, inspect_files

    if draft is not None and draft.exists():
        raise UsageError("error_draft_exists", path=str(draft))
    docs = inspect_files(inputs, mapping=mapping, read_hidden_sheets=read_hidden)
    code = EXIT_OK if any(d["readable"] for d in docs) else EXIT_INPUT
    if draft is not None and code == EXIT_OK:
        try:
            text = draft_mapping(docs)  # titles and fields only: shareable (0644)
            atomic_write(draft, lambda tmp: tmp.write_text(text, encoding="utf-8"), mode=0o644)
        except OSError as exc:
            raise (os_failure(exc, draft) or exc) from None
    if common.json:
        common.emit_json({"ok": code == EXIT_OK, "exit_code": code, "files": docs,
                          "draft_mapping": str(draft) if draft is not None and code == EXIT_OK else None})
    elif not common.quiet:
        for doc in docs:
            _print_file(common, doc)
    if draft is not None and code == EXIT_OK and not common.json:
        common.err.print(t("inspect_draft_written", path=str(draft)))
    if code != EXIT_OK:
        common.err.print(f"[bold red]slrt:[/] {scrub(t('error_no_input', paths=', '.join(map(str, inputs))))}")
    raise typer.Exit(code)


def _print_file(common: Common, doc: dict) -> None:
    out = common.out
    if not doc["readable"]:
        out.print(f"[bold]{t('inspect_file')}: {_esc(doc['file'])}[/] [red]({t('inspect_unreadable')})[/]")
    for issue in doc["issues"]:
        _print_issue(common, issue)
    for sheet in doc["sheets"]:
        where = f"{t('inspect_file')}: {doc['file']}" + (f" | {t('inspect_sheet')}: {sheet['sheet']}" if sheet["sheet"] else "")
        caption = (f"{t('inspect_header_rows')}: {', '.join(map(str, sheet['header_rows']))} | "
                   f"{t('inspect_first_row')}: {sheet['first_data_row'] or '-'} | {t('inspect_rows')}: {sheet['rows']}")
        table = Table(title=_esc(where), caption=caption, show_lines=False)
        for key in ("inspect_letter", "inspect_title", "inspect_field", "inspect_how", "inspect_confidence", "inspect_samples"):
            table.add_column(t(key), justify="right" if key == "inspect_confidence" else "left")
        for col in sheet["columns"]:
            how = col["how"] or t("inspect_not_recognised")
            conf = f"{col['confidence']:.2f}" if col["how"] else "-"
            style = None if col["field"] else ("dim" if col["how"] == "ignored" else "yellow")
            table.add_row(col["letter"], _esc(col["title"]), col["field"] or "-", how, conf,
                          _esc(" | ".join(col["samples"])), style=style)
        out.print(table)
        for issue in sheet["issues"]:
            _print_issue(common, issue)


def _print_issue(common: Common, issue: dict) -> None:
    if issue["severity"] == "info" and not common.verbose:
        return
    text = t(issue["code"], **{"column": issue["column"], "value": "", **issue["params"]})
    common.out.print(f"  {issue['code']}: {_esc(scrub(text))}")


def _esc(text: str) -> str:
    from rich.markup import escape

    return escape(str(text))
