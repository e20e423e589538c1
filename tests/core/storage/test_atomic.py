from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from core.storage.atomic import PRIVATE_DIR_MODE, PRIVATE_FILE_MODE, atomic_write_bytes, atomic_write_json


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_by_default_the_file_is_private_and_so_is_its_directory(tmp_path: Path) -> None:
    directory = tmp_path / "state"
    directory.mkdir()
    os.chmod(directory, 0o755)
    target = directory / "sessions.json"
    atomic_write_json(target, {"a": 1})
    assert json.loads(target.read_text()) == {"a": 1}
    assert _mode(target) == PRIVATE_FILE_MODE
    assert _mode(directory) == PRIVATE_DIR_MODE


def test_an_explicit_mode_replaces_the_old_one(tmp_path: Path) -> None:
    target = tmp_path / "f"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    atomic_write_bytes(target, b"new", mode=0o640)
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o640


def test_keeping_the_mode_and_leaving_the_directory_alone(tmp_path: Path) -> None:
    directory = tmp_path / "dot-aws"
    directory.mkdir()
    os.chmod(directory, 0o755)
    target = directory / "config"
    target.write_bytes(b"old")
    os.chmod(target, 0o644)
    atomic_write_bytes(target, b"new", mode=None, private_dir=False)
    assert target.read_bytes() == b"new"
    assert _mode(target) == 0o644
    assert _mode(directory) == 0o755


def test_keeping_the_mode_of_a_file_that_does_not_exist_yet_makes_it_private(tmp_path: Path) -> None:
    target = tmp_path / "missing" / "config"
    atomic_write_bytes(target, b"new", mode=None, private_dir=False)
    assert target.read_bytes() == b"new"
    assert _mode(target) == PRIVATE_FILE_MODE
    assert target.parent.is_dir()


def test_keeping_the_mode_of_another_file(tmp_path: Path) -> None:
    original = tmp_path / "config"
    original.write_bytes(b"x")
    os.chmod(original, 0o640)
    backup = tmp_path / "config.bak"
    atomic_write_bytes(backup, b"x", mode=None, keep_mode_of=original, private_dir=False)
    assert _mode(backup) == 0o640


def test_a_failed_replace_leaves_the_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    directory = tmp_path / "d"
    directory.mkdir()
    target = directory / "f"
    target.write_bytes(b"old")

    def refuse(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(OSError, match="No space left"):
        atomic_write_bytes(target, b"new", mode=None, private_dir=False)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in directory.iterdir()) == ["f"]
