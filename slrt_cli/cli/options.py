"""Options shared by every command, defined once (accepted after the command's name)."""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer

if TYPE_CHECKING:
    from slrt_cli.cli.output import Common

Lang = Annotated[
    str,
    typer.Option("--lang", help="Bahasa pesan dan laporan: id (Bahasa Indonesia) atau en (English).", envvar="SLRT_LANG"),
]
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Hanya tampilkan kesalahan.")]
Verbose = Annotated[int, typer.Option("--verbose", "-v", count=True, help="Tampilkan langkah-langkah (ulangi untuk lebih rinci).")]
Debug = Annotated[bool, typer.Option("--debug", help="Tampilkan traceback bila terjadi kesalahan (NIK tetap disamarkan).")]
LogFile = Annotated[Optional[Path], typer.Option("--log-file", help="Tulis log terstruktur ke berkas ini.", dir_okay=False)]
Json = Annotated[bool, typer.Option("--json", help="Cetak satu ringkasan JSON ke stdout (untuk skrip/cron).")]
NoColor = Annotated[bool, typer.Option("--no-color", help="Tanpa warna (juga bila NO_COLOR diset).", envvar="NO_COLOR")]
Out = Annotated[Path, typer.Option("--out", "-o", help="Folder hasil (ditulis utuh; lihat --overwrite).", file_okay=False)]
Overwrite = Annotated[bool, typer.Option("--overwrite", help="Ganti folder hasil yang sudah ada (secara utuh).")]
Inputs = Annotated[
    list[Path],
    typer.Argument(help="Berkas atau folder (dicari rekursif): .xlsx .xlsm .xls .xlsb .ods .csv .txt .tsv", show_default=False),
]

EXIT_CODES_HELP = (
    "Kode keluar / exit codes: 0 selesai; 1 selesai tetapi ada yang perlu perhatian (validate: baris/berkas "
    "dengan kesalahan; run/match: hanya bila --fail-on memintanya); 2 salah pemakaian atau konfigurasi "
    "(juga: folder hasil sedang dipakai proses lain); 3 masukan tidak dapat dipakai (tidak ada berkas yang "
    "terbaca, DTKS tidak terbaca); 4 kesalahan internal."
)
PRIVACY_HELP = (
    "Privasi: NIK/No KK disamarkan di layar, log dan laporan (320101******0001); utuh hanya di berkas "
    "kirim/ (Kemensos) dan di berkas perbaikan (kembali ke desa penulisnya), dan di tabel Dinas dengan "
    "--full-nik. Aturan lengkap: schemas/privacy.toml."
)
PRIVACY_HELP_EN = (
    "Privacy: NIK/No KK are masked on screen, in logs and reports (320101******0001); full only in "
    "kirim/ (the ministry) and the fix-files (back to the village that wrote them), and in the Dinas's "
    "tables with --full-nik. The whole rule: schemas/privacy.toml."
)
Register = Annotated[
    list[Path],
    typer.Option(
        "--register", "--dtks", "-r",
        help="Ekstrak DTKS/DTSEN: berkas Parquet/CSV/Excel atau folder (boleh diulang, mis. keluarga + anggota DTSEN).",
        show_default=False,
    ),
]
FullNik = Annotated[bool, typer.Option("--full-nik", help="Tulis NIK/No KK lengkap di tabel hasil (bawaan: disamarkan).")]
Workers = Annotated[int, typer.Option("--workers", min=1, help="Jumlah proses untuk pemadanan.")]
EngineOpt = Annotated[
    str,
    typer.Option("--engine", help="Mesin yang membaca dataset DTKS/DTSEN besar: local (bawaan) atau spark (Apache Spark, "
                 "perlu pip install \"slrt-cli[spark]\" dan Java 17). Hasilnya sama."),
]
SparkMaster = Annotated[
    str,
    typer.Option("--spark-master", help="Spark master: local[*] (bawaan), spark://host:port, atau sc://host (Spark Connect)."),
]
SparkConf = Annotated[
    Optional[list[str]],
    typer.Option("--spark-conf", help="Pengaturan Spark kunci=nilai (boleh diulang), mis. spark.executor.memory=8g.",
                 show_default=False),
]
Coverage = Annotated[
    str,
    typer.Option(
        "--coverage",
        help="Siapa yang dianggap 'tidak ditemukan': household (anggota ruta yang dikunjungi) atau desa (seluruh DTKS desa yang mengirim berkas).",
    ),
]
FailOn = Annotated[
    str,
    typer.Option(
        "--fail-on",
        help="Keluar dengan kode 1 bila ada baris dengan hasil ini (dipisah koma): rejected, review, new, duplicate, not_found, error.",
    ),
]
RegisterOpt = Annotated[
    Optional[list[Path]],
    typer.Option(
        "--register", "--dtks", "-r",
        help="Ekstrak DTKS/DTSEN: berkas Parquet/CSV/Excel atau folder (boleh diulang).",
        show_default=False,
    ),
]
Config = Annotated[
    Optional[Path],
    typer.Option("--config", "-c", help="Berkas konfigurasi TOML (kunci = nama opsi; bawaan: ./slrt.toml bila ada).", dir_okay=False),
]
Period = Annotated[str, typer.Option("--period", help="Periode kiriman, mis. 2026-11 (bawaan: bulan yang disebut nama berkas, atau bulan proses dengan peringatan).")]
State = Annotated[
    Optional[Path],
    typer.Option("--state", help="Folder status (keputusan review, berkas yang sudah diproses); bawaan: di samping folder hasil.", file_okay=False),
]
Decisions = Annotated[
    Optional[Path],
    typer.Option("--decisions", help="review.xlsx berisi keputusan pemeriksa (kolom keputusan: sama/beda).", dir_okay=False),
]
SplitDesa = Annotated[bool, typer.Option("--split-desa", help="Berkas kiriman kementerian dipecah per desa (bawaan: per kabupaten).")]
ReadHidden = Annotated[
    bool,
    typer.Option("--baca-lembar-tersembunyi", "--read-hidden-sheets",
                 help="Baca juga lembar kerja yang disembunyikan (hidden/very hidden); bawaan: dilewati dengan catatan SHEET_HIDDEN."),
]
Kolom = Annotated[
    Optional[Path],
    typer.Option("--kolom", "--column-mapping",
                 help="Berkas peta kolom (TOML): judul kolom -> field, atau \"abaikan\"; membetulkan pembacaan tanpa mengubah schemas/ (lihat README).",
                 dir_okay=False),
]


# ---------------------------------------------------------------- the options every command takes


@dataclass(frozen=True)
class Flags:
    """The options every command takes, as given (``slrt run`` merges them with its config file)."""

    lang: str = "id"
    quiet: bool = False
    verbose: int = 0
    debug: bool = False
    log_file: Path | None = None
    json_out: bool = False
    no_color: bool = False

    def common(self) -> Common:
        """The console, language and logging these flags ask for."""
        from slrt_cli.cli.output import Common

        return Common(self.lang, self.quiet, self.verbose, self.debug, self.log_file, self.json_out, self.no_color)


_SHARED = [
    inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=default, annotation=annotation)
    for name, annotation, default in (
        ("lang", Lang, "id"),
        ("quiet", Quiet, False),
        ("verbose", Verbose, 0),
        ("debug", Debug, False),
        ("log_file", LogFile, None),
        ("json_out", Json, False),
        ("no_color", NoColor, False),
    )
]


def common_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``command`` the options every command takes, after its own; it receives them as ``flags``.

    Typer reads a command's options from its signature, so the shared ones are added to the
    signature (they follow the command's name on the command line, like its own options):

        @common_options
        def validate_command(inputs: Inputs, out: Out = Path("hasil"), *, flags: Flags) -> None:
            common = flags.common()
    """
    signature = inspect.signature(command, eval_str=True)
    own = [p for name, p in signature.parameters.items() if name != "flags"]

    @functools.wraps(command)
    def with_flags(*args: Any, **kwargs: Any) -> Any:
        flags = Flags(**{p.name: kwargs.pop(p.name, p.default) for p in _SHARED})
        return command(*args, flags=flags, **kwargs)

    parameters = own + _SHARED
    with_flags.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
    with_flags.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_flags
