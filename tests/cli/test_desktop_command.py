"""``aws-login-tray desktop install|uninstall`` through the command line."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.main import main
from core.desktop.integration import DesktopPaths
from core.storage.paths import AppPaths
from core.storage.settings import load_settings


def test_desktop_install_with_autostart_then_uninstall(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    paths = DesktopPaths.from_environment()
    assert main(["desktop", "install", "--autostart"]) == 0
    out = capsys.readouterr().out
    for path in (paths.desktop_entry, paths.icon, paths.metainfo, paths.autostart_entry):
        assert path.is_file()
        assert f"wrote {path}" in out
    settings_file = AppPaths.from_environment().settings_file
    assert load_settings(settings_file).start_at_login  # what the settings dialog shows
    assert main(["desktop", "uninstall"]) == 0
    assert f"removed {paths.autostart_entry}" in capsys.readouterr().out
    assert not load_settings(settings_file).start_at_login
    assert not paths.data_home.joinpath("applications", paths.desktop_entry.name).exists()
    assert main(["desktop", "uninstall"]) == 0
    assert "Nothing to remove" in capsys.readouterr().err


def test_desktop_install_without_autostart_leaves_autostart_alone(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    paths = DesktopPaths.from_environment()
    assert main(["desktop", "install"]) == 0
    assert paths.desktop_entry.is_file()
    assert not paths.autostart_entry.exists()
    assert main(["desktop", "frobnicate"]) == 2
