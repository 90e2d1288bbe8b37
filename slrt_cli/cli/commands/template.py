"""`slrt template`: the Excel entry template for Puskesos/desa operators."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from slrt_cli.cli import options as o
from slrt_cli.cli.output import Common, handle_errors
from slrt_cli.errors import EXIT_OK, UsageError

HELP = f"""Buat templat Excel isian verivali untuk Puskesos/desa.

Templat dibuat dari berkas skema: judul kolom baku dalam Bahasa Indonesia, daftar pilihan untuk
jenis kelamin, hubungan keluarga, status perkawinan, status verivali dan (dengan --kabupaten)
desa/kelurahan; kolom NIK dan No KK berformat teks dengan pemeriksaan 16 digit, tanggal lahir
dengan pemeriksaan tanggal, pesan penjelasan di setiap kolom, dan lembar Petunjuk. Berkas yang
diisi dengan templat ini terbaca `slrt validate` tanpa peringatan.

Dengan --layanan: templat buku layanan meja SLRT/Puskesos (tanggal kunjungan, keluhan, kategori,
program, dinas tujuan rujukan, status dan tanggal rujukan) untuk `slrt layanan`.

Contoh: slrt template --out templat_verivali.xlsx --kabupaten 3201
Contoh: slrt template --layanan --out buku_layanan.xlsx

{o.EXIT_CODES_HELP}
"""

OutFile = Annotated[
    Path, typer.Option("--out", "-o", help="Berkas templat .xlsx yang ditulis.", dir_okay=False, show_default=False)
]
Kabupaten = Annotated[
    str | None,
    typer.Option("--kabupaten", "-k", help="Kode kabupaten/kota Kemendagri (mis. 3201): daftar pilihan desa/kelurahannya."),
]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Ganti berkas templat yang sudah ada.")]
Layanan = Annotated[bool, typer.Option("--layanan", help="Templat buku layanan meja SLRT/Puskesos (untuk `slrt layanan`).")]

_DONE = {
    "id": "Templat ditulis: {path} ({columns} kolom{desa}).",
    "en": "Template written: {path} ({columns} columns{desa}).",
}
_EXISTS = {
    "id": "nama berkas yang belum ada, atau tambahkan --overwrite untuk mengganti berkas ini",
    "en": "a file that does not exist yet, or add --overwrite to replace this one",
}
_DESA = {"id": "; {n} desa/kelurahan {kab}", "en": "; {n} villages of {kab}"}


@o.common_options
def template_command(
    out: OutFile,
    kabupaten: Kabupaten = None,
    overwrite: Overwrite = False,
    layanan: Layanan = False,
    *,
    flags: o.Flags,
) -> None:
    common = flags.common()
    _template(out=out, kabupaten=kabupaten, overwrite=overwrite, common=common, layanan=layanan)


@handle_errors
def _template(*, out: Path, kabupaten: str | None, overwrite: bool, common: Common, layanan: bool = False) -> None:
    from slrt_cli.schemas import load_schema
    from slrt_cli.template import build_template, resolve_kabupaten

    kab = resolve_kabupaten(kabupaten) if kabupaten else None
    if out.suffix.lower() != ".xlsx":
        raise UsageError("error_bad_option", option="--out", value=str(out), allowed="*.xlsx")
    if out.exists() and not overwrite:
        raise UsageError("error_bad_option", option="--out", value=str(out), allowed=_EXISTS[common.lang])
    if layanan:
        from slrt_cli.desk import build_desk_template

        info = build_desk_template(out, kabupaten=kab, lang=common.lang)
    else:
        info = build_template(out, kabupaten=kab, lang=common.lang)
    if common.json:
        common.emit_json(
            {
                "ok": True,
                "exit_code": EXIT_OK,
                "out": str(out),
                "kabupaten": info.kabupaten,
                "desa": info.desa,
                "fields": info.fields,
                "headers": info.headers,
                "lists": info.lists,
                "schema_version": load_schema().version,
            }
        )
    else:
        desa = _DESA[common.lang].format(n=info.desa, kab=info.kabupaten_name) if info.kabupaten else ""
        common.say(_DONE[common.lang].format(path=out, columns=len(info.fields), desa=desa))
    raise typer.Exit(EXIT_OK)
