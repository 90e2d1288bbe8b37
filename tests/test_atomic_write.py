"""The one helper every single-file write goes through (slrt_cli.atomic.atomic_write)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from slrt_cli.atomic import atomic_write, replace_folder, write_bytes_atomic

REPO = Path(__file__).resolve().parent.parent


def test_writes_the_whole_file_owner_only_and_returns_what_the_writer_returned(tmp_path):
    target = tmp_path / "laporan.xlsx"
    seen = []

    def writer(tmp: Path) -> str:
        seen.append(tmp)
        tmp.write_bytes(b"isi")
        return "done"

    assert atomic_write(target, writer) == "done"
    assert target.read_bytes() == b"isi"
    assert seen[0].parent == tmp_path and seen[0].name.startswith(".") and seen[0].suffix == ".xlsx"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["laporan.xlsx"]
    if os.name == "posix":
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        write_bytes_atomic(target, b"baru", mode=0o644)
        assert stat.S_IMODE(target.stat().st_mode) == 0o644
        assert target.read_bytes() == b"baru"


def test_a_failing_writer_leaves_the_previous_file_and_no_temporary_file(tmp_path):
    target = tmp_path / "processed.csv"
    target.write_text("lama")

    def half(tmp: Path) -> None:
        tmp.write_text("setengah")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        atomic_write(target, half)
    assert target.read_text() == "lama"
    assert [p.name for p in tmp_path.iterdir()] == ["processed.csv"]


def test_replace_folder_swaps_a_complete_folder_in(tmp_path):
    (tmp_path / "kirim").mkdir()
    (tmp_path / "kirim" / "old.csv").write_text("lama")
    stage = tmp_path / ".kirim-tmp-x"
    stage.mkdir()
    (stage / "manifest.json").write_text("{}")
    replace_folder(stage, tmp_path / "kirim")
    assert [p.name for p in (tmp_path / "kirim").iterdir()] == ["manifest.json"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["kirim"]


def test_no_other_module_renames_files_into_place():
    """One implementation: file writes go through atomic_write, folders through atomic.py."""
    for path in (REPO / "slrt_cli").rglob("*.py"):
        if path.name == "atomic.py":
            continue
        text = path.read_text(encoding="utf-8")
        for needle in ("os.replace(", "os.rename(", "mkstemp(", "NamedTemporaryFile("):
            assert needle not in text, f"{path.relative_to(REPO)}: {needle} (use slrt_cli.atomic)"
