"""Real, unmodified clients (boto3 in both modes, AWS CLI v1) use what aws-login-tray wrote.

Two sessions are signed in against the emulator through the session manager
(a fake browser approves on the emulator and follows the redirect to the
callback); the CLI switches the active profile between them; each client must
report the right identity through moto's STS, and the user's own lines in
``~/.aws/config`` must stay byte-identical.
"""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cli.main import main as cli_main
from core.domain.model import CredentialMode, Session
from core.domain.ports import SystemClock
from core.sessions.manager import SessionManager
from core.storage.paths import AppPaths
from credproc.command import credential_process_command
from tests.doubles.browser import ApprovingBrowser
from tests.support.emulator import EmulatorHandle
from tests.support.real_clients import USER_TEXT, aws_v1_arn, caller_arn, sign_in_alpha_and_beta

pytestmark = pytest.mark.slow


def test_two_sessions_both_modes_switching_and_real_clients(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths, alpha, beta = sign_in_alpha_and_beta(emulator, monkeypatch)
    assert alpha.identity.arn == emulator.sessions[0].arn
    assert beta.identity.arn == emulator.sessions[1].arn

    text = paths.aws_config_file.read_text(encoding="utf-8")
    assert text.startswith(USER_TEXT)  # the user's comments and foreign profile, byte for byte

    def identity_matches(observed: str, expected: str) -> bool:
        return observed == expected or observed.split(":")[4] == expected.split(":")[4]

    for active in (alpha, beta, alpha):
        assert cli_main(["use", active.profile_name]) == 0
        assert paths.aws_config_file.read_text(encoding="utf-8").startswith(USER_TEXT)
        # unmodified boto3 in both modes, and the active (default) profile
        assert identity_matches(caller_arn("alpha"), alpha.identity.arn)
        assert identity_matches(caller_arn("beta"), beta.identity.arn)
        assert identity_matches(caller_arn("default"), active.identity.arn)
        # AWS CLI v1 through credential_process
        assert identity_matches(aws_v1_arn("alpha"), alpha.identity.arn)

    # botocore's LoginProvider reads the aws login cache we wrote for beta
    import boto3

    frozen = boto3.Session(profile_name="beta").get_credentials().get_frozen_credentials()
    cache = json.loads(next(paths.login_cache_dir.glob("*.json")).read_text(encoding="utf-8"))
    assert frozen.access_key == cache["accessToken"]["accessKeyId"]


def _expire_then_run_helper(
    path: Path, session_id: str, home: Path
) -> tuple[dict[str, str], subprocess.CompletedProcess[str]]:
    """Back-date the credentials file, then run the exact ``credential_process`` line."""
    stale = json.loads(path.read_text(encoding="utf-8"))
    stale["Expiration"] = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(json.dumps(stale), encoding="utf-8")
    done = subprocess.run(
        shlex.split(credential_process_command(session_id, home=str(home))),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=dict(os.environ),
    )
    return stale, done


def test_expired_credentials_are_refreshed_on_the_spot_under_the_lock(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    paths = AppPaths.from_environment()
    browser = ApprovingBrowser(emulator)

    async def sign_in() -> Session:
        manager = SessionManager(paths, clock=SystemClock(), open_browser=browser)
        return await manager.sign_in("us-east-1", "alpha", credential_mode=CredentialMode.CREDENTIAL_PROCESS)

    session = asyncio.run(sign_in())
    path = paths.credentials_file(session.id)
    stale, done = _expire_then_run_helper(path, session.id, paths.home)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert printed["AccessKeyId"] != stale["AccessKeyId"]
    expires = datetime.fromisoformat(printed["Expiration"].replace("Z", "+00:00"))
    assert expires - datetime.now(UTC) > timedelta(minutes=2)
    assert json.loads(path.read_text(encoding="utf-8"))["AccessKeyId"] == printed["AccessKeyId"]

    # revoked: the next on-the-spot refresh fails with a sign-in hint, never stale credentials
    emulator.revoke(session.identity.arn)
    stale, done = _expire_then_run_helper(path, session.id, paths.home)
    assert done.returncode == 3, done.stderr
    assert done.stdout == ""
    assert "aws-login-tray login --profile alpha" in done.stderr
