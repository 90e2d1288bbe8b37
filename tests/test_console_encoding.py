"""A console that cannot encode every character (Windows cp1252) never fails a command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from conftest import NIK_HEAD

SLRT = str(Path(sys.executable).with_name("slrt"))
NAME = "desa_ğüş_漢.csv"  # ğ ş 漢 are not in cp1252; ü is


def _village(tmp_path: Path) -> Path:
    folder = tmp_path / "masuk"
    folder.mkdir()
    (folder / NAME).write_text(f"NIK;NAMA;TANGGAL LAHIR;JENIS KELAMIN\n{NIK_HEAD};WARGA ĞÜŞ 漢;05-08-1990;P\n",
                               encoding="utf-8")
    return folder


def _slrt(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONIOENCODING": "cp1252", "NO_COLOR": "1"}
    return subprocess.run([SLRT, *args], capture_output=True, env=env, timeout=120)


def test_validate_and_inspect_print_to_a_cp1252_console(tmp_path):
    folder = _village(tmp_path)
    for args in (["validate", str(folder), "--out", str(tmp_path / "hasil")], ["inspect", str(folder)]):
        proc = _slrt(*args)
        err = proc.stderr.decode("cp1252", "replace")
        assert proc.returncode == 0, err
        out = proc.stdout.decode("cp1252")  # every byte is cp1252
        assert "desa_?ü?_?.csv" in out, out
        assert "UnicodeEncodeError" not in err and NIK_HEAD not in out + err


def test_json_to_a_cp1252_console_keeps_every_character(tmp_path):
    folder = _village(tmp_path)
    proc = _slrt("validate", str(folder), "--out", str(tmp_path / "hasil"), "--json")
    assert proc.returncode == 0, proc.stderr.decode("cp1252", "replace")
    doc = json.loads(proc.stdout.decode("cp1252"))
    assert [f["file"] for f in doc["files"]] == [NAME]
