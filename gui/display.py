"""Is there a display the tray can open? Asked before Qt is, because Qt aborts the process when there is none.

Qt's xcb plugin calls ``abort()`` (SIGABRT, with a plugin message no user can act
on) when ``DISPLAY`` is unset or names a server that is not there. This module
checks the same things first, without Qt, and returns one sentence with the fix.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Mapping
from pathlib import Path

_ADVICE = (
    "Start it inside your desktop session, or use the command line, which needs no display: "
    "`aws-login-tray agent` keeps sessions fresh, `aws-login-tray --help` lists the rest."
)


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """None when a display looks reachable (or Qt was told which platform to use), else what is wrong."""
    env = os.environ if environ is None else environ
    if sys.platform in ("darwin", "win32") or env.get("QT_QPA_PLATFORM"):
        return None
    wayland = env.get("WAYLAND_DISPLAY")
    if wayland and _wayland_socket(wayland, env).exists():
        return None
    display = env.get("DISPLAY")
    if not display:
        return f"No graphical display: DISPLAY and WAYLAND_DISPLAY are not set, so the tray cannot start. {_ADVICE}"
    if _x_server_answers(display):
        return None
    return f"No X server answers at DISPLAY={display}, so the tray cannot start. {_ADVICE}"


def _wayland_socket(name: str, env: Mapping[str, str]) -> Path:
    path = Path(name)
    return path if path.is_absolute() else Path(env.get("XDG_RUNTIME_DIR", "/nonexistent")) / name


def _x_server_answers(display: str) -> bool:
    host, _, rest = display.rpartition(":")
    number = rest.split(".", 1)[0]
    if not number.isdigit():
        return False
    if host in ("", "unix") or host.startswith("/"):
        return Path(f"/tmp/.X11-unix/X{number}").exists() or _abstract_x_socket(number)  # noqa: S108 - X11's path
    try:
        with socket.create_connection((host, 6000 + int(number)), timeout=1.0):
            return True
    except OSError:
        return False


def _abstract_x_socket(number: str) -> bool:
    """Linux X servers also listen on an abstract socket (a container may see only that)."""
    if not sys.platform.startswith("linux"):
        return False
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        probe.settimeout(1.0)
        probe.connect(f"\0/tmp/.X11-unix/X{number}")
    except OSError:
        return False
    finally:
        probe.close()
    return True
