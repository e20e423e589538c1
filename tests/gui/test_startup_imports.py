"""The tray's start-up path loads only what showing the icon needs.

A fresh interpreter runs the real entry point (``aws-login-tray`` with no
command) in a home with five sessions, records ``sys.modules`` when the app
logs ``ready: ... tray shown`` and quits by SIGTERM. The icon is shown from
the stored sessions before the app behind it is built, so at that moment
neither asyncio nor qasync, the session manager, its engine, nor the full
tray and its widgets are loaded; everything heavy is imported afterwards or
on first use: the AWS SDK, the keyring, cryptography, the config parser and
writer, the doctor, the switcher, the settings dialog, the lock library. The
SIGTERM that arrives while the app is being built still quits it cleanly.
An import check, not a timing: the timings are in ``benchmarks/``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from core.storage.paths import AppPaths
from core.storage.store import SessionStore, StoreState
from tests.doubles.sessions import sample_sessions

CHILD = """
import json, logging, os, signal, sys
from PySide6.QtWidgets import QSystemTrayIcon

# Offscreen has no tray; the start-up with one is the path a user takes.
QSystemTrayIcon.isSystemTrayAvailable = staticmethod(lambda: True)
seen = []

class AtReady(logging.Handler):
    def emit(self, record):
        if record.getMessage().startswith("ready:") and not seen:
            seen.append({"message": record.getMessage(), "modules": sorted(sys.modules)})
            os.kill(os.getpid(), signal.SIGTERM)

logging.getLogger("gui.app").addHandler(AtReady())
from aws_login_tray.entry import main
code = main([])
print(json.dumps({"code": code, **seen[0]}))
"""

HEAVY = (
    "boto3",
    "botocore",
    "awscrt",
    "keyring",
    "cryptography",
    "authlib",
    "configupdater",
    "configparser",
    "filelock",
    "jeepney",
    "platformdirs",
    "core.awsconfig.writer",
    "core.awsconfig.doctor",
    "core.signin.client",
    "core.sessions.importer",
    "gui.switcher",
    "gui.models",
    "gui.doctor",
    "gui.settings_dialog",
    "gui.demo",
    "emulator",
    "asyncio",
    "qasync",
    "ssl",
    "concurrent.futures",
    "core.sessions.manager",
    "core.sessions.engine",
    "core.sessions.awslogin",
    "core.storage.secrets",
    "core.signin",
    "gui.app",
    "gui.tray",
    "gui.actions",
    "gui.dialogs",
    "gui.notify",
    "gui.errors",
    "PySide6.QtNetwork",
    "hashlib",
    "logging.handlers",
)


@pytest.fixture
def five_sessions(isolated_home: object) -> dict[str, str]:
    paths = AppPaths.from_environment()
    sessions = sample_sessions(datetime.now(UTC), 5)
    SessionStore(paths).save(StoreState(sessions[0].id, tuple(sessions)))
    sections = "".join(f"[profile {s.profile_name}]\nregion = {s.region}\n\n" for s in sessions)
    paths.aws_config_file.write_text(sections + "[profile deploy]\nrole_arn = arn:aws:iam::111122223333:role/Deploy\n")
    return dict(os.environ, QT_QPA_PLATFORM="offscreen", PYTHONPATH=str(Path(__file__).resolve().parents[2]))


def test_the_icon_shows_before_anything_heavy_is_imported(five_sessions: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-c", CHILD], env=five_sessions, capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert report["message"] == "ready: 5 session(s), tray shown"
    modules = set(report["modules"])
    loaded = sorted(name for name in modules if any(name == h or name.startswith(f"{h}.") for h in HEAVY))
    assert loaded == []
    assert {"gui.launch", "gui.icons", "core.storage.store", "PySide6.QtWidgets"} <= modules, "it saw the start-up path"
