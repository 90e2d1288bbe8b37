"""``--help`` in the operator's language: Bahasa Indonesia (the texts in the code), or English.

The help texts in the commands' modules are Bahasa. With ``SLRT_LANG=en``, or ``--lang en``
on the command line (before ``--help``: ``slrt run --lang en --help``), the help is rendered
with the English texts below: the command classes :class:`HelpCommand` and :class:`HelpGroup`
swap the texts in while the help is formatted (Typer builds the help from the click objects).
Messages, workbooks and the page follow ``--lang`` through the message catalogs instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer.core

from slrt_cli.cli.options import PRIVACY_HELP_EN

EXIT_CODES_EN = (
    "Exit codes: 0 done; 1 done but something needs attention (validate: rows/files with errors; "
    "run/match: only when --fail-on asks for it); 2 wrong usage or configuration (also: the output "
    "folder is in use by another process); 3 input unusable (no file could be read, the DTKS could "
    "not be read); 4 internal error."
)

#: English help of each command, keyed by its path after ``slrt`` ("" is ``slrt`` itself).
COMMANDS_EN = {
    "": "slrt: check and match SLRT/Puskesos verification files against the DTKS/DTSEN.\n\n"
        "Example: slrt run --register sample_data/register/dtks_siksng.csv sample_data/desa --out hasil\n\n"
        + PRIVACY_HELP_EN + "\n\n" + EXIT_CODES_EN,
    "validate": "Read, normalise and check the villages' verification files.\n\n"
                "Every data row is recorded in rows.parquet as accepted, flagged or rejected, with the "
                "reasons in issues.csv (one row per problem) and an Excel fix-file per village in "
                "perbaikan/. summary.json holds the counts per file and the inputs' checksums.\n\n"
                "Example: slrt validate sample_data/desa --out hasil\n\n" + EXIT_CODES_EN,
    "inspect": "Show how slrt reads each file: the title rows, the first data row and, per column, its "
               "letter, title, field (or none), how it was recognised (alias, words, content, combined, "
               "ignored) with a confidence, and up to 3 masked sample values. Nothing is normalised or "
               "checked and no file is written (except with --draft-mapping).\n\n"
               "Example: slrt inspect sample_data/desa --kolom kolom.toml\n\n"
               "Example: slrt inspect sample_data/desa --draft-mapping kolom.toml\n\n" + EXIT_CODES_EN,
    "run": "Run a whole month: read and check the village files, match every row against the "
           "DTKS/DTSEN, then reconcile.\n\n"
           "Besides the outputs of `slrt validate`, the output folder holds reconciliation.csv (one row "
           "per data row: matched, to review, new, duplicate, rejected, with the reason), not_found.csv "
           "(DTKS persons in no file), households.csv and changes.csv, each also as .parquet; review.xlsx "
           "(pairs to review: fill in the decision column same/different, then run again with "
           "--decisions); laporan.xlsx and laporan.html (the month's report) and kirim/ (files for "
           "Kemensos/Pusdatin with manifest.json).\n\n"
           "Example: slrt run --register sample_data/register/dtks_siksng.csv sample_data/desa --out hasil\n\n"
           + EXIT_CODES_EN,
    "match": "Match only: read the rows.parquet of `slrt validate` and match it against the DTKS/DTSEN.\n\n"
             "Example: slrt match hasil/rows.parquet --register sample_data/register/dtks.parquet --out padan\n\n"
             + EXIT_CODES_EN,
    "report": "Write laporan.xlsx and laporan.html again from an existing `slrt run` output folder "
              "(e.g. in another language), without reading the village files or the DTKS again.\n\n"
              "Example: slrt report hasil --lang en\n\n"
              "Example: slrt report hasil --layanan hasil_layanan   (with the SLRT desk's section from `slrt layanan`)\n\n"
              + EXIT_CODES_EN,
    "layanan": "The SLRT desk: read the Puskesos service logs, link every visitor to the DTKS/DTSEN and "
               "follow the referrals up.\n\n"
               "Service logs (Excel/CSV) are read like village files. Every visit gets one line in layanan.csv "
               "(also .parquet) with its situation: bukan_dtks (propose), sudah_menerima, belum_menerima, "
               "perlu_adminduk (NIK first, Disdukcapil), lainnya, ditolak. rujukan.xlsx: summary, one sheet per "
               "office referred to, overdue referrals, household members (NIK masked); layanan.html; "
               "tindak_lanjut.csv (every referral followed, across months); kirim/ (new proposals for the "
               "ministry). Referrals are remembered in the state folder.\n\n"
               "Example: slrt layanan sample_data/layanan --register sample_data/register/dtks.parquet "
               "--out hasil_layanan\n\n" + EXIT_CODES_EN,
    "dedup": "Find duplicates inside the DTKS/DTSEN: the ministry's cleaning list.\n\n"
             "One line per pair of register persons in register_duplicates.csv (also .parquet): same_person "
             "(one person under two ids, whether the NIKs are equal, differ or are missing) or nik_conflict "
             "(two different persons carrying the same NIK), with score, band (yakin = sure, periksa = to "
             "check) and reasons. NIK masked, names shown. Twins and relatives in one KK are not the same "
             "person: the person's own name and birth date must agree.\n\n"
             "Example: slrt dedup --register sample_data/register/dtks.parquet --out duplikat\n\n"
             + EXIT_CODES_EN,
    "nasional": "Match many kabupaten's months at once against the national DTKS/DTSEN (Pusdatin).\n\n"
                "--batch: each kabupaten's rows.parquet from `slrt validate`/`slrt run` (the file, its output "
                "folder, or a folder of many). --register: the DTKS/DTSEN as a Parquet dataset partitioned by "
                "province and kabupaten (kode_prov=../kode_kab=.. folders), read piece by piece; --engine spark "
                "runs that reading on Apache Spark (same results).\n\n"
                "Writes one kab_<code> folder per kabupaten (the files of `slrt match`), movers.csv (persons "
                "registered in another kabupaten: moved in), cross_district_duplicates.csv (one person proposed "
                "or verified by two kabupaten), ringkasan_provinsi.csv and ringkasan_nasional.csv.\n\n"
                "Example: slrt nasional --batch hasil_3201 --batch hasil_3204 --register dtsen/ --out nasional\n\n"
                + EXIT_CODES_EN,
    "template": "Make the Excel verification template for Puskesos/villages: standard column titles in "
                "Bahasa Indonesia, dropdowns, NIK/No KK as text checked for 16 digits, checked birth "
                "dates, a hint on every column and a Petunjuk sheet.\n\n"
                "Example: slrt template --out templat_verivali.xlsx --kabupaten 3201\n\n" + EXIT_CODES_EN,
    "schema": "Look at slrt's schema: standard columns, recognised column titles and code lists.\n\n"
              "Example: slrt schema show\n\n" + EXIT_CODES_EN,
    "schema show": "Show the standard columns, the other column titles recognised (aliases) and the code "
                   "lists, read from schemas/. With --json: one JSON document for scripts.\n\n"
                   "Example: slrt schema show --lang en\n\n" + EXIT_CODES_EN,
    "config": "Configuration file: slrt config show.\n\nExample: slrt config show --config bulan.toml\n\n"
              + EXIT_CODES_EN,
    "config show": "Show the settings in effect for `slrt run` and where each comes from (default, file, "
                   "env SLRT_*, flag). Order: flag > SLRT_* > configuration file > default.\n\n"
                   "Example: slrt config show --config bulan.toml\n\n" + EXIT_CODES_EN,
}

#: English help of the options and arguments, by parameter name; "<command> <name>" when it differs.
PARAMS_EN = {
    "version": "Show the version.",
    "lang": "Language of messages and reports: id (Bahasa Indonesia) or en (English).",
    "quiet": "Show errors only.",
    "verbose": "Show the steps (repeat for more detail).",
    "debug": "Show the traceback on an error (NIK stays masked).",
    "log_file": "Write a structured log to this file.",
    "json_out": "Print one JSON summary on stdout (for scripts/cron).",
    "no_color": "No colours (also when NO_COLOR is set).",
    "out": "Output folder (written whole; see --overwrite).",
    "run out": "Output folder (default: hasil).",
    "template out": "The .xlsx template file to write.",
    "overwrite": "Replace an existing output folder (whole).",
    "template overwrite": "Replace an existing template file.",
    "inputs": "Files or folders (searched recursively): .xlsx .xlsm .xls .xlsb .ods .csv .txt .tsv",
    "run inputs": "Village files or folders (may come from the configuration file: inputs).",
    "register": "DTKS/DTSEN extract: Parquet/CSV/Excel files or a folder (may be repeated, e.g. DTSEN "
                "families + members).",
    "full_nik": "Write full NIK/No KK in the output tables (default: masked).",
    "workers": "Number of processes for matching.",
    "engine": "Engine that reads a large DTKS/DTSEN dataset: local (default) or spark (Apache Spark; needs "
              "pip install \"slrt-cli[spark]\" and Java 17). The results are the same.",
    "spark_master": "Spark master: local[*] (default), spark://host:port, or sc://host (Spark Connect).",
    "spark_conf": "Spark setting key=value (may be repeated), e.g. spark.executor.memory=8g.",
    "coverage": "Who counts as 'not found': household (members of the households visited) or desa (the "
                "whole DTKS of the villages that sent files).",
    "fail_on": "Exit with code 1 when there are rows with these outcomes (comma-separated): rejected, "
               "review, new, duplicate, not_found, error.",
    "config": "TOML configuration file (keys = option names; default: ./slrt.toml if present).",
    "period": "The month the files report, e.g. 2026-11 (default: the month named in the files' names, "
              "else the run month with a warning).",
    "state": "State folder (review decisions, files already processed); default: next to the output folder.",
    "decisions": "review.xlsx holding the reviewer's decisions (decision column: same/different).",
    "split_desa": "Split the ministry's upload files per desa (default: per kabupaten).",
    "baca_lembar_tersembunyi": "Also read hidden (hidden/very hidden) sheets; default: skipped with a "
                               "SHEET_HIDDEN note.",
    "kolom": "Column-mapping file (TOML): column title -> field, or \"abaikan\"; fixes the reading "
             "without changing schemas/ (see README).",
    "rows": "rows.parquet of `slrt validate` (or its folder).",
    "folder": "Output folder of `slrt run`.",
    "draft_mapping": "Write a draft column-mapping file (TOML) with every column title found.",
    "batas_hari": "A referral with no answer after this many days is overdue (default 14; config key batas_hari).",
    "per_tanggal": "Count referrals up to this date (YYYY-MM-DD; default: the latest date in the service logs).",
    "layanan fail_on": "Exit with code 1 when any of these occur (comma-separated): terlambat, ditolak, bukan_dtks.",
    "layanan inputs": "Service logs (Excel/CSV) or folders (searched recursively).",
    "layanan out": "Output folder (default: hasil_layanan).",
    "dedup out": "Output folder, written as a whole (default: duplikat).",
    "nasional out": "Output folder, written as a whole (default: nasional).",
    "batch": "A kabupaten's rows.parquet, its output folder, or a folder of many (may be repeated).",
    "layanan": "Also write the SLRT desk's service-log template (with --layanan).",
    "kabupaten": "Kemendagri kabupaten/kota code (e.g. 3201): its desa/kelurahan as a dropdown.",
}


def help_language(ctx: typer.core.click.Context | None = None) -> str:
    """The language of ``--help``: ``--lang`` seen on the command line, else ``SLRT_LANG``, else id."""
    lang = (ctx.meta.get("slrt_help_lang") if ctx is not None else None) or os.environ.get("SLRT_LANG", "")
    return "en" if lang.strip().lower() == "en" else "id"


def _lang_in(args: list[str]) -> str | None:
    """The value of ``--lang`` in ``args`` (``--lang en`` or ``--lang=en``), if any."""
    for i, arg in enumerate(args):
        if arg == "--lang" and i + 1 < len(args):
            return args[i + 1]
        if arg.startswith("--lang="):
            return arg.split("=", 1)[1]
    return None


def _path(ctx) -> str:
    return " ".join(ctx.command_path.split()[1:])


def english_help(path: str, name: str) -> str | None:
    """The English help of parameter ``name`` of the command at ``path``."""
    return PARAMS_EN.get(f"{path} {name}") or PARAMS_EN.get(name)


@contextmanager
def _in_english(command, ctx) -> Iterator[None]:
    """The command's, its parameters' and (for a group) its subcommands' help in English, for a while."""
    path = _path(ctx)
    saved = []

    def swap(obj, text: str | None) -> None:
        if text is not None:
            saved.append((obj, obj.help))
            obj.help = text

    swap(command, COMMANDS_EN.get(path))
    for param in command.params:
        swap(param, english_help(path, param.name))
    for name, sub in getattr(command, "commands", {}).items():
        swap(sub, COMMANDS_EN.get(f"{path} {name}".strip()))
    try:
        yield
    finally:
        for obj, text in reversed(saved):
            obj.help = text


class _Localised:
    def parse_args(self, ctx, args):
        lang = _lang_in(args)
        if lang:
            ctx.meta["slrt_help_lang"] = lang  # before --help (eager) prints during the parsing
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter) -> None:
        if help_language(ctx) != "en":
            return super().format_help(ctx, formatter)
        with _in_english(self, ctx):
            return super().format_help(ctx, formatter)


class HelpCommand(_Localised, typer.core.TyperCommand):
    """A command whose ``--help`` follows ``--lang``/``SLRT_LANG``."""


class HelpGroup(_Localised, typer.core.TyperGroup):
    """A group whose ``--help`` (and its list of commands) follows ``--lang``/``SLRT_LANG``."""
