"""Where the app keeps its state, and how the environment moves it."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.storage.paths import AppPaths


def test_paths_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LOGIN_TRAY_HOME", str(tmp_path / "app"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "cfg"))
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(tmp_path / "cache"))
    paths = AppPaths.from_environment()
    assert paths.credentials_file("abc") == tmp_path / "app" / "credentials" / "abc.json"
    assert paths.aws_config_file == tmp_path / "cfg"
    assert paths.login_cache_dir == tmp_path / "cache"
    monkeypatch.delenv("AWS_CONFIG_FILE")
    monkeypatch.delenv("AWS_LOGIN_CACHE_DIRECTORY")
    defaults = AppPaths.from_environment()
    assert defaults.aws_config_file == Path.home() / ".aws" / "config"
    assert defaults.login_cache_dir == Path.home() / ".aws" / "login" / "cache"
