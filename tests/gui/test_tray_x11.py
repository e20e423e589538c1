"""The tray under a real X server with a real tray host (Xvfb + trayer), and real notifications."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.xvfb, pytest.mark.slow]


@pytest.fixture
def x_display(tmp_path: Path) -> Iterator[str]:
    """A private Xvfb display with trayer as the tray host; both stopped by PID."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        [
            shutil.which("Xvfb") or "Xvfb",
            "-displayfd",
            str(write_fd),
            "-screen",
            "0",
            "1024x768x24",
            "-nolisten",
            "tcp",
        ],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        number = pipe.readline().strip()
    display = f":{number}"
    env = {**os.environ, "DISPLAY": display}
    trayer = subprocess.Popen(
        [shutil.which("trayer") or "trayer", "--edge", "top", "--align", "right", "--widthtype", "request",
         "--height", "24", "--SetDockType", "true"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    time.sleep(1.0)
    try:
        yield display
    finally:
        for process in (trayer, xvfb):
            process.terminate()
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)


def run_child(display: str, *, dbus: bool) -> dict[str, object]:
    env = {**os.environ, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "tests.gui.x11_child"]
    if dbus:
        script = 'dunst >/dev/null 2>&1 & d=$!; sleep 1; "$@" --dbus; s=$?; kill $d; exit $s'
        command = ["dbus-run-session", "--", "sh", "-c", script, "sh", *command]
    result = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_tray_icon_and_balloon_in_a_real_tray(x_display: str) -> None:
    seen = run_child(x_display, dbus=False)
    assert seen["tray_available"] is True
    assert seen["icon_null"] is False
    geometry = seen["icon_geometry"]
    assert isinstance(geometry, list)
    assert geometry[2] > 0
    assert seen["status"] == "expiring"
    assert seen["balloon"] is True
    assert seen["balloon_click_signed_in"] is True
    assert seen["messages"] == []


def test_freedesktop_notification_with_sign_in_again_action(x_display: str) -> None:
    seen = run_child(x_display, dbus=True)
    assert seen["dbus_backend"] is True
    assert seen["dbus_notified"] is True
    assert seen["dbus_displayed"] == "1"
    assert seen["dbus_action_signed_in"] is True
