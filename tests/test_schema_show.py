"""`slrt schema show`: readable tables for operators, one JSON document for scripts."""

from __future__ import annotations

import json

import typer
from typer.testing import CliRunner

from slrt_cli.cli.commands import schema as schema_cmd
from slrt_cli.schema_doc import HEADINGS, alias_rows, describe, field_rows
from slrt_cli.schemas import load_schema

runner = CliRunner()


def cli() -> typer.Typer:
    app = typer.Typer()
    app.add_typer(schema_cmd.app, name="schema")
    app.command("other")(lambda: None)
    return app


def invoke(*args: str):
    return runner.invoke(cli(), ["schema", "show", *args])


def test_describe_covers_every_field_alias_and_code():
    schema = load_schema()
    doc = describe(schema)
    assert doc["schema_version"] == schema.version
    assert [f["name"] for f in doc["fields"]] == list(schema.fields)
    nik = next(f for f in doc["fields"] if f["name"] == "nik")
    assert {"NOMOR NIK", "DUK_NIK", "No KTP"} <= set(nik["aliases"]) and nik["identity"] and nik["kind"] == "id"
    assert "NIK" not in nik["aliases"]  # the field's own name/label is not repeated
    hub = next(f for f in doc["fields"] if f["name"] == "hub_kk")
    assert hub["codelist"] == "hubungan" and "hubungan_shdk" in hub["alias_codelists"].values()
    lists = {c["name"]: c for c in doc["codelists"]}
    assert set(lists) == set(schema.codelists)
    sex = lists["jenis_kelamin"]
    assert [(c["code"], c["label_id"], c["label_en"]) for c in sex["codes"]] == [
        ("1", "Laki-laki", "Male"), ("2", "Perempuan", "Female")
    ]
    assert "LK" in sex["codes"][0]["aliases"] and sex["used_by"] == ["jenis_kelamin"]
    shdk = lists["hubungan_shdk"]["codes"]
    assert next(c for c in shdk if c["code"] == "3")["maps_to"] == "2"  # Istri -> Istri/suami
    assert "flag" in lists and "pkh" in lists["flag"]["used_by"]


def test_show_prints_readable_tables_in_bahasa():
    res = invoke()
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert HEADINGS["id"]["fields_title"].format(version=load_schema().version) in out
    for text in ("household_id", "IDBDT", "Daftar kode: jenis_kelamin", "Laki-laki", "Perempuan", "hubungan_shdk",
                 "Kepala Keluarga", "Judul kolom dicocokkan"):
        assert text in out, text
    assert res.stderr == ""


def test_show_in_english():
    res = invoke("--lang", "en")
    assert res.exit_code == 0
    assert "Canonical fields" in res.stdout and "Male" in res.stdout and "Code list: status_kawin" in res.stdout
    assert "Laki-laki" not in res.stdout


def test_json_is_one_document_equal_to_the_library_result():
    res = invoke("--json")
    assert res.exit_code == 0
    assert json.loads(res.stdout) == describe()


def test_rows_for_the_tables():
    doc = describe()
    rows = field_rows(doc, "id")
    assert len(rows) == len(doc["fields"]) and all(len(r) == 5 for r in rows)
    assert rows[[r[0] for r in rows].index("nama")][2] == "nama orang; wajib, identitas"
    en = field_rows(doc, "en")
    assert all(len(r) == 5 for r in en)
    assert en[[r[0] for r in en].index("nik")][4].startswith("16 digits")  # explained in English
    aliases = dict(alias_rows(doc))
    assert "IDARTBDT" in aliases["person_id"]


def test_help_has_example_and_exit_codes():
    for args in (["schema", "--help"], ["schema", "show", "--help"]):
        res = runner.invoke(cli(), args)
        assert res.exit_code == 0 and "Contoh" in res.stdout and "Kode keluar" in res.stdout, args
