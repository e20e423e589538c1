"""Start at login: an XDG autostart ``.desktop`` file, written or removed."""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

DESKTOP_ID = "io.github.awslogintray.AwsLoginTray"


def autostart_file() -> Path:
    """``$XDG_CONFIG_HOME/autostart/<id>.desktop`` (default ``~/.config``)."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "autostart" / f"{DESKTOP_ID}.desktop"


def launch_command() -> str:
    """How to start this app again: the installed script, else this interpreter."""
    script = Path(sys.argv[0]).resolve() if sys.argv and sys.argv[0] else None
    if script is not None and script.name == "aws-login-tray" and script.is_file():
        return shlex.quote(str(script))
    return f"{shlex.quote(sys.executable)} -m aws_login_tray"


def is_enabled() -> bool:
    """True when the autostart file exists."""
    return autostart_file().is_file()


def set_enabled(enabled: bool, command: str | None = None) -> None:
    """Write (atomically) or remove the autostart file."""
    path = autostart_file()
    if not enabled:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    text = (
        "[Desktop Entry]\n"
        "Type=Application\n"
        "Name=AWS Login Tray\n"
        "Comment=Keep aws login sessions fresh from the system tray\n"
        f"Exec={command or launch_command()}\n"
        f"Icon={DESKTOP_ID}\n"
        "Terminal=false\n"
        "X-GNOME-Autostart-enabled=true\n"
    )
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
