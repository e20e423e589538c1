"""Put the app into the desktop's application menu and autostart, or take it out again.

Everything goes into the user's XDG directories (no root needed): the
desktop entry and the AppStream metainfo shipped in ``resources/desktop``,
the application icon into the hicolor theme, and, on request, an XDG
autostart entry. The entries run the command this very installation was
started with (a pipx or uv tool script, the frozen bundle, or the
interpreter), so a menu click starts the same app the user installed.

Both ``aws-login-tray desktop install`` and the settings dialog's "start at
login" switch go through this module.
"""

from __future__ import annotations

import importlib.resources
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from core.storage.atomic import atomic_write_bytes

DESKTOP_ID = "io.github.awslogintray.AwsLoginTray"
COMMAND_NAME = "aws-login-tray"
PUBLIC_FILE_MODE = 0o644
"""Desktop files hold no secret, and the desktop's menu and icon caches must read them."""

_EXEC_RESERVED = frozenset(" \t\"'\\><~|&;$*?#()`")
_EXEC_ESCAPED_IN_QUOTES = frozenset('"`$\\')


@dataclass(frozen=True)
class DesktopPaths:
    """Where the desktop looks for the files, per the XDG base directory spec."""

    data_home: Path
    config_home: Path

    @classmethod
    def from_environment(cls) -> DesktopPaths:
        """``$XDG_DATA_HOME`` (default ``~/.local/share``) and ``$XDG_CONFIG_HOME`` (default ``~/.config``)."""
        data = os.environ.get("XDG_DATA_HOME", "").strip() or str(Path.home() / ".local" / "share")
        config = os.environ.get("XDG_CONFIG_HOME", "").strip() or str(Path.home() / ".config")
        return cls(Path(data), Path(config))

    @property
    def desktop_entry(self) -> Path:
        """The application-menu entry."""
        return self.data_home / "applications" / f"{DESKTOP_ID}.desktop"

    @property
    def icon(self) -> Path:
        """The application icon in the hicolor theme (scalable)."""
        return self.data_home / "icons" / "hicolor" / "scalable" / "apps" / f"{DESKTOP_ID}.svg"

    @property
    def metainfo(self) -> Path:
        """The AppStream metadata that software centres show."""
        return self.data_home / "metainfo" / f"{DESKTOP_ID}.metainfo.xml"

    @property
    def autostart_entry(self) -> Path:
        """The XDG autostart entry (start at login)."""
        return self.config_home / "autostart" / f"{DESKTOP_ID}.desktop"


def shipped_file(name: str) -> bytes:
    """A file of the installed package's ``resources`` (``desktop/...`` or ``icons/...``)."""
    return importlib.resources.files("resources").joinpath(name).read_bytes()


def launch_command() -> list[str]:
    """How to start this installation again, as argv words.

    The frozen bundle's executable (by its name on ``PATH`` when that is the
    same file, e.g. ``/usr/bin/aws-login-tray``); else the ``aws-login-tray``
    script this process runs as or that sits beside the interpreter (pipx, uv
    tool, a virtualenv); else the interpreter with ``-m aws_login_tray``.
    """
    if getattr(sys, "frozen", False):
        executable = Path(sys.executable)
        on_path = shutil.which(COMMAND_NAME)
        if on_path and Path(on_path).resolve() == executable.resolve():
            return [on_path]
        return [str(executable)]
    script = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if script is not None and script.name == COMMAND_NAME and script.is_file():
        return [str(script.absolute())]
    beside = Path(sys.executable).with_name(COMMAND_NAME)
    if beside.is_file():
        return [str(beside)]
    return [sys.executable, "-m", "aws_login_tray"]


def exec_value(words: list[str]) -> str:
    r"""The ``Exec=`` value for ``words``, quoted by the Desktop Entry spec's rules.

    An argument with a reserved character goes in double quotes with ``"``,
    `````, ``$`` and ``\\`` backslash-escaped; ``%`` is doubled (it starts a
    field code); then the value's own string escaping doubles every backslash.

    Raises:
        ValueError: a word holds a control character, which no Exec line can carry.
    """
    return " ".join(_exec_argument(word) for word in words).replace("\\", "\\\\")


def _exec_argument(word: str) -> str:
    if any(ord(char) < 32 or char == "\x7f" for char in word):
        raise ValueError(f"a command word with a control character cannot go into a desktop entry: {word!r}")
    escaped = word.replace("%", "%%")
    if escaped and not any(char in _EXEC_RESERVED for char in escaped):
        return escaped
    return '"' + "".join("\\" + c if c in _EXEC_ESCAPED_IN_QUOTES else c for c in escaped) + '"'


def desktop_entry_text(command: list[str], *, autostart: bool = False) -> str:
    """The shipped desktop entry with ``Exec`` set to ``command`` (and the autostart key when asked)."""
    lines = shipped_file(f"desktop/{DESKTOP_ID}.desktop").decode("utf-8").splitlines()
    text = "".join(f"Exec={exec_value(command)}\n" if line.startswith("Exec=") else line + "\n" for line in lines)
    if autostart:
        text += "X-GNOME-Autostart-enabled=true\n"
    return text


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, data, mode=PUBLIC_FILE_MODE)


def install(
    paths: DesktopPaths | None = None, *, command: list[str] | None = None, autostart: bool = False
) -> list[Path]:
    """Write the menu entry, the icon, the metainfo (and the autostart entry); returns the files written."""
    paths = paths or DesktopPaths.from_environment()
    command = command or launch_command()
    _write(paths.desktop_entry, desktop_entry_text(command).encode("utf-8"))
    _write(paths.icon, shipped_file(f"icons/{DESKTOP_ID}.svg"))
    _write(paths.metainfo, shipped_file(f"desktop/{DESKTOP_ID}.metainfo.xml"))
    written = [paths.desktop_entry, paths.icon, paths.metainfo]
    if autostart:
        set_autostart(True, paths, command=command)
        written.append(paths.autostart_entry)
    return written


def uninstall(paths: DesktopPaths | None = None) -> list[Path]:
    """Remove every file :func:`install` may have written; returns those that existed."""
    paths = paths or DesktopPaths.from_environment()
    removed = []
    for path in (paths.desktop_entry, paths.icon, paths.metainfo, paths.autostart_entry):
        if path.exists():
            path.unlink()
            removed.append(path)
    return removed


def autostart_enabled(paths: DesktopPaths | None = None) -> bool:
    """True when the autostart entry exists."""
    return (paths or DesktopPaths.from_environment()).autostart_entry.is_file()


def set_autostart(enabled: bool, paths: DesktopPaths | None = None, *, command: list[str] | None = None) -> None:
    """Write (atomically) or remove the autostart entry."""
    path = (paths or DesktopPaths.from_environment()).autostart_entry
    if not enabled:
        path.unlink(missing_ok=True)
        return
    _write(path, desktop_entry_text(command or launch_command(), autostart=True).encode("utf-8"))
