"""Lifetimes are followed, not assumed: 12-second credentials work everywhere while the engine runs.

The emulator grants 12-second credentials. The session manager signs in and
runs its refresh engine (as the tray or ``agent`` does); meanwhile separate
processes run ``aws-login-tray env``, ``aws-login-tray exec`` and unmodified
boto3 through the profile's ``credential_process`` line, again and again for
longer than one lifetime. Each must succeed with credentials that are still
valid and that STS recognises.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from datetime import UTC, datetime

import pytest

from core.domain.model import CredentialMode
from core.storage.settings import Settings
from credproc.fastpath import parse_expiration
from tests.doubles.browser import ApprovingBrowser
from tests.doubles.emulator_rig import make_manager, point_sdk_at
from tests.support.emulator import EmulatorHandle

pytestmark = pytest.mark.slow

TTL = 12
CALLER_IDENTITY = (
    "import boto3, sys; "
    "print(boto3.Session(profile_name=sys.argv[1] or None).client('sts').get_caller_identity()['Arn'])"
)


async def run(*argv: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=dict(os.environ)
    )
    out, err = await process.communicate()
    return process.returncode or 0, out.decode(), err.decode()


async def app(*argv: str) -> tuple[int, str, str]:
    return await run(sys.executable, "-m", "aws_login_tray", *argv)


@pytest.mark.parametrize("mode", [CredentialMode.CREDENTIAL_PROCESS, CredentialMode.LOGIN_SESSION])
def test_env_exec_and_sdks_work_with_twelve_second_credentials(
    emulator_factory: object, monkeypatch: pytest.MonkeyPatch, mode: CredentialMode
) -> None:
    emulator: EmulatorHandle = emulator_factory(credential_ttl=TTL)  # type: ignore[operator]
    point_sdk_at(emulator, monkeypatch)
    manager = make_manager(emulator, ApprovingBrowser(emulator), settings=Settings(use_plaintext_secrets=True))

    async def scenario() -> None:
        session = await manager.sign_in("us-east-1", "short", credential_mode=mode)
        await manager.start()
        try:
            deadline = time.monotonic() + 2.5 * TTL
            rounds = 0
            while time.monotonic() < deadline:
                code, out, err = await app("env", "short")
                assert code == 0, err
                exported = dict(
                    line.removeprefix("export ").split("=", 1) for line in out.splitlines() if line.startswith("export")
                )
                left = parse_expiration(exported["AWS_CREDENTIAL_EXPIRATION"]) - datetime.now(UTC).timestamp()
                assert left > 0, f"env handed out credentials that expired {-left:.1f} s ago"
                code, out, err = await app("exec", "short", "--", sys.executable, "-c", CALLER_IDENTITY, "")
                assert code == 0, err
                assert out.strip() == session.identity.arn
                if mode is CredentialMode.CREDENTIAL_PROCESS:
                    # (botocore refreshes a login_session file itself below 5 minutes: with 12-second
                    # credentials it would race every refresher, so only credential_process is asked here)
                    code, out, err = await run(sys.executable, "-c", CALLER_IDENTITY, "short")
                    assert code == 0, err
                    assert out.strip() == session.identity.arn
                rounds += 1
                await asyncio.sleep(1.5)
            assert rounds >= 5
            assert manager.engine.token_calls >= 2, "the engine did not keep the 12-second credentials fresh"
            assert not json.loads((await app("list", "--json"))[1])["sessions"][0]["state_reason"]
        finally:
            await manager.stop()

    asyncio.run(scenario())
