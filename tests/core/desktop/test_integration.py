"""Desktop integration: the files land in the XDG directories, validate, and go away again."""

from __future__ import annotations

import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from core.desktop import integration
from core.desktop.integration import DesktopPaths, desktop_entry_text, exec_value

AWKWARD_COMMAND = ["/opt/My Apps/aws-login-tray $HOME", 'say "hi"', "100%", "back\\slash", "plain"]


def validate_desktop_entry(path: Path) -> None:
    tool = shutil.which("desktop-file-validate")
    assert tool, "desktop-file-validate is missing: scripts/bootstrap.sh installs desktop-file-utils"
    done = subprocess.run([tool, str(path)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "error" not in done.stdout, done.stdout


def exec_words(value: str) -> list[str]:
    """Undo the Desktop Entry spec's string escaping, then its Exec quoting (a reading of the spec)."""
    unescaped = value.replace("\\\\", "\\")
    words, current, quoted, index, started = [], "", False, 0, False
    while index < len(unescaped):
        char = unescaped[index]
        if quoted and char == "\\":
            current += unescaped[index + 1]
            index += 2
            continue
        if char == '"':
            quoted, started = not quoted, True
        elif char == " " and not quoted:
            if started:
                words.append(current)
            current, started = "", False
        else:
            current, started = current + char, True
        index += 1
    if started:
        words.append(current)
    return [word.replace("%%", "%") for word in words]


def test_shipped_desktop_entry_and_metainfo_validate(tmp_path: Path) -> None:
    entry = tmp_path / f"{integration.DESKTOP_ID}.desktop"
    entry.write_bytes(integration.shipped_file(f"desktop/{integration.DESKTOP_ID}.desktop"))
    validate_desktop_entry(entry)
    metainfo = tmp_path / f"{integration.DESKTOP_ID}.metainfo.xml"
    metainfo.write_bytes(integration.shipped_file(f"desktop/{integration.DESKTOP_ID}.metainfo.xml"))
    tool = shutil.which("appstreamcli")
    assert tool, "appstreamcli is missing: scripts/bootstrap.sh installs appstream"
    done = subprocess.run([tool, "validate", "--no-net", str(metainfo)], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_exec_quoting_follows_the_spec_and_round_trips() -> None:
    assert exec_value(["/usr/bin/aws-login-tray"]) == "/usr/bin/aws-login-tray"
    assert exec_value(["/a b/x", "-m", "aws_login_tray"]) == '"/a b/x" -m aws_login_tray'
    assert exec_value(["/x$y"]) == '"/x\\\\$y"'
    assert exec_words(exec_value(AWKWARD_COMMAND)) == AWKWARD_COMMAND
    with pytest.raises(ValueError, match="control character"):
        exec_value(["/bin/a\nb"])


def test_install_writes_valid_public_files_and_uninstall_removes_them(isolated_home: Path) -> None:
    paths = DesktopPaths.from_environment()
    assert str(paths.data_home).startswith(str(isolated_home))
    written = integration.install(paths, command=AWKWARD_COMMAND, autostart=True)
    assert written == [paths.desktop_entry, paths.icon, paths.metainfo, paths.autostart_entry]
    for path in written:
        assert stat.S_IMODE(path.stat().st_mode) == 0o644
    validate_desktop_entry(paths.desktop_entry)
    validate_desktop_entry(paths.autostart_entry)
    assert paths.icon.read_bytes().lstrip().startswith(b"<")
    assert b"<component" in paths.metainfo.read_bytes()
    entry = paths.desktop_entry.read_text(encoding="utf-8")
    exec_line = next(line for line in entry.splitlines() if line.startswith("Exec="))
    assert exec_words(exec_line.removeprefix("Exec=")) == AWKWARD_COMMAND
    assert "X-GNOME-Autostart-enabled=true" in paths.autostart_entry.read_text(encoding="utf-8")
    assert "X-GNOME-Autostart-enabled" not in entry

    assert integration.uninstall(paths) == written
    assert not any(path.exists() for path in written)
    assert integration.uninstall(paths) == []


def test_autostart_switch_writes_and_removes_only_the_autostart_entry(isolated_home: Path) -> None:
    paths = DesktopPaths.from_environment()
    assert not integration.autostart_enabled()
    integration.set_autostart(True, command=["/usr/bin/aws-login-tray"])
    assert integration.autostart_enabled()
    assert "Exec=/usr/bin/aws-login-tray\n" in paths.autostart_entry.read_text(encoding="utf-8")
    assert not paths.desktop_entry.exists()
    integration.set_autostart(False)
    assert not paths.autostart_entry.exists()


def test_launch_command_is_the_installed_script_beside_the_interpreter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "argv", ["/somewhere/else/__main__.py"])
    beside = Path(sys.executable).with_name("aws-login-tray")
    expected = [str(beside)] if beside.is_file() else [sys.executable, "-m", "aws_login_tray"]
    assert integration.launch_command() == expected


def test_frozen_launch_command_prefers_the_name_on_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    bundle = tmp_path / "lib" / "aws-login-tray"
    bundle.mkdir(parents=True)
    executable = bundle / "aws-login-tray"
    executable.write_text("#!/bin/sh\n")
    executable.chmod(0o755)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(executable))
    monkeypatch.setenv("PATH", str(bin_dir))
    assert integration.launch_command() == [str(executable)]
    (bin_dir / "aws-login-tray").symlink_to(executable)
    assert integration.launch_command() == [str(bin_dir / "aws-login-tray")]


def test_desktop_entry_text_keeps_the_shipped_keys() -> None:
    text = desktop_entry_text(["/usr/bin/aws-login-tray"])
    assert text.startswith("[Desktop Entry]\n")
    assert f"Icon={integration.DESKTOP_ID}\n" in text
    assert text.count("Exec=") == 1
