"""Language and stable names: --lang changes words, never the columns scripts read; --help follows it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
import typer.main
from typer.testing import CliRunner

from slrt_cli.cli import app
from slrt_cli.cli.help import COMMANDS_EN, english_help
from slrt_cli.export import ISSUE_COLUMNS
from slrt_cli.i18n import catalog
from slrt_cli.match.explain import localised, phrases

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "sample_data/desa/CITEUREUP"
REGISTER = ROOT / "sample_data/register/dtks.parquet"


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """`slrt run` on one kecamatan, in Bahasa and in English."""
    out = tmp_path_factory.mktemp("lang")
    runner = CliRunner()
    for lang in ("id", "en"):
        res = runner.invoke(app, ["run", str(SAMPLE), "-r", str(REGISTER), "-o", str(out / lang), "--lang", lang])
        assert res.exit_code == 0, res.output
    return out


def test_csv_and_parquet_columns_do_not_depend_on_the_language(runs):
    for name in ("issues", "reconciliation", "changes", "not_found", "households"):
        id_cols = pl.read_csv(runs / "id" / f"{name}.csv", n_rows=1, infer_schema_length=0).columns
        en_cols = pl.read_csv(runs / "en" / f"{name}.csv", n_rows=1, infer_schema_length=0).columns
        assert id_cols == en_cols, name
        if (runs / "id" / f"{name}.parquet").exists():
            assert pl.read_parquet_schema(runs / "id" / f"{name}.parquet") == pl.read_parquet_schema(
                runs / "en" / f"{name}.parquet"), name
    assert pl.read_csv(runs / "en" / "issues.csv", n_rows=1, infer_schema_length=0).columns == ISSUE_COLUMNS


def test_issue_messages_follow_the_language(runs):
    id_msgs = pl.read_csv(runs / "id" / "issues.csv", infer_schema_length=0)["message"]
    en_msgs = pl.read_csv(runs / "en" / "issues.csv", infer_schema_length=0)["message"]
    assert id_msgs.len() == en_msgs.len() and (id_msgs != en_msgs).any()


def test_alasan_follows_the_language(runs):
    rec_id = pl.read_csv(runs / "id" / "reconciliation.csv", infer_schema_length=0)
    rec_en = pl.read_csv(runs / "en" / "reconciliation.csv", infer_schema_length=0)
    assert rec_id["alasan"].str.contains("nama sama").any()
    assert rec_en["alasan"].str.contains("same name").any()
    assert not rec_en["alasan"].str.contains("nama sama|tanggal lahir|NIK sama").any()
    assert rec_id["outcome"].to_list() == rec_en["outcome"].to_list()


def test_alasan_phrases_in_both_catalogs():
    assert phrases("id").keys() == phrases("en").keys()
    assert phrases("id")["nik_exact"] == "NIK sama" and phrases("en")["nik_exact"] == "same NIK"
    assert phrases("en")["decimal_mark"] == "." and phrases("id")["decimal_mark"] == ","
    # match.toml [alasan] overrides the Bahasa wording only
    assert phrases("id", {"nik_exact": "NIK identik"})["nik_exact"] == "NIK identik"
    assert phrases("en", {"nik_exact": "NIK identik"})["nik_exact"] == "same NIK"
    assert localised(None, "en").phrases["no_candidate"] == phrases("en")["no_candidate"]


# ---------------------------------------------------------------- --help


def _commands():
    root = typer.main.get_command(app)

    def walk(cmd, path):
        yield path, cmd
        for name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{path} {name}".strip())

    return list(walk(root, ""))


def test_every_command_and_option_has_an_english_help():
    for path, cmd in _commands():
        assert path in COMMANDS_EN, path
        for param in cmd.params:
            if getattr(param, "help", None):
                assert english_help(path, param.name), (path, param.name)


@pytest.mark.parametrize("args, env", [
    (["run", "--help"], {"SLRT_LANG": "en"}),
    (["run", "--lang", "en", "--help"], {}),
    (["run", "--lang=en", "--help"], {"SLRT_LANG": "id"}),
])
def test_help_in_english(args, env):
    res = CliRunner().invoke(app, args, env=env)
    assert res.exit_code == 0
    assert "Run a whole month" in res.output and "Exit codes: 0 done" in res.output
    assert "Show errors only." in res.output
    assert "Jalankan sebulan penuh" not in res.output and "Hanya tampilkan kesalahan" not in res.output


def test_help_in_bahasa_by_default_and_back_again():
    res = CliRunner().invoke(app, ["run", "--help"], env={"SLRT_LANG": ""})
    assert "Jalankan sebulan penuh" in res.output and "Hanya tampilkan kesalahan" in res.output
    en = CliRunner().invoke(app, ["--help"], env={"SLRT_LANG": "en"})
    assert "Read, normalise and check" in en.output  # the list of commands too
    again = CliRunner().invoke(app, ["--help"], env={"SLRT_LANG": ""})
    assert "Baca, normalkan dan periksa" in again.output  # the Bahasa texts were put back


def test_catalogs_keep_the_same_keys():
    assert catalog("id").keys() == catalog("en").keys()


def test_the_privacy_rule_is_in_the_help_in_both_languages(monkeypatch):
    from typer.testing import CliRunner

    from slrt_cli.cli import app

    monkeypatch.delenv("SLRT_LANG", raising=False)
    out = CliRunner().invoke(app, ["--help"]).output
    assert "Privasi:" in out and "schemas/privacy.toml" in out and "320101******0001" in out
    monkeypatch.setenv("SLRT_LANG", "en")
    out = CliRunner().invoke(app, ["--help"]).output
    assert "Privacy:" in out and "schemas/privacy.toml" in out
