"""``list`` reads the files and prints: it loads neither the session manager nor anything heavy.

A fresh interpreter runs the real entry point (``aws-login-tray list``) in a
home with five sessions and reports ``sys.modules`` when it is done. An import
check, not a timing: the timing is in ``benchmarks/`` (``list`` against a bare
``python``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

from core.storage.paths import AppPaths
from core.storage.store import SessionStore, StoreState
from tests.doubles.sessions import sample_sessions

CHILD = """
import io, json, sys
from contextlib import redirect_stdout
from aws_login_tray.entry import main
out = io.StringIO()
with redirect_stdout(out):
    code = main(["list"])
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""

HEAVY = (
    "asyncio",
    "boto3",
    "botocore",
    "keyring",
    "cryptography",
    "authlib",
    "configupdater",
    "configparser",
    "filelock",
    "platformdirs",
    "ssl",
    "core.sessions.manager",
    "core.sessions.engine",
    "core.sessions.awslogin",
    "core.storage.secrets",
    "core.signin",
    "core.awsconfig",
    "cli.commands.sessions",
    "cli.commands.agent",
    "cli.credential_process",
    "PySide6",
)


def test_list_reads_five_sessions_without_the_manager() -> None:
    paths = AppPaths.from_environment()
    sessions = sample_sessions(datetime.now(UTC), 5)
    SessionStore(paths).save(StoreState(sessions[0].id, tuple(sessions)))
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))

    command = [sys.executable, "-c", CHILD]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["code"] == 0
    assert all(s.profile_name in report["out"] for s in sessions), report["out"]
    modules = set(report["modules"])
    loaded = sorted(name for name in modules if any(name == h or name.startswith(f"{h}.") for h in HEAVY))
    assert loaded == []
    assert {"cli.commands.listing", "core.sessions.listing"} <= modules, "the check saw the listing path"
