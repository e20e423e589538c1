"""Unmodified AWS clients asked who they are: boto3 and AWS CLI v1, through a profile."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest

from core.domain.model import CredentialMode, Session
from core.domain.ports import SystemClock
from core.sessions.manager import SessionManager
from core.storage.paths import AppPaths
from tests.doubles.browser import ApprovingBrowser
from tests.support.emulator import EmulatorHandle

USER_TEXT = (  # a user's own config: comments, odd spacing, a foreign profile
    "# my own notes: keep these\n"
    "[profile mine]   ; trailing comment\n"
    "region=eu-west-3\n"
    "aws_access_key_id = AKIAFOREIGNEXAMPLE\n"
    "aws_secret_access_key = foreign/secret\n"
    "\n"
)


def caller_arn(profile: str) -> str:
    import boto3

    client = boto3.Session(profile_name=profile).client("sts")
    return str(client.get_caller_identity()["Arn"])


def aws_v1_arn(profile: str) -> str:
    aws = Path(sys.executable).with_name("aws")
    done = subprocess.run(
        [str(aws), "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["Arn"])


def sign_in_alpha_and_beta(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> tuple[AppPaths, Session, Session]:
    """Point the SDKs at the emulator, keep :data:`USER_TEXT` in the config and sign in twice.

    ``alpha`` is the emulator's first session in ``credential_process`` mode,
    ``beta`` its second in ``login_session`` mode.
    """
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    paths = AppPaths.from_environment()
    paths.aws_config_file.write_text(USER_TEXT, encoding="utf-8")
    browser = ApprovingBrowser(emulator)

    async def sign_in_both() -> tuple[Session, Session]:
        manager = SessionManager(paths, clock=SystemClock(), open_browser=browser)
        browser.session = 1
        first = await manager.sign_in("us-east-1", "alpha", credential_mode=CredentialMode.CREDENTIAL_PROCESS)
        browser.session = 2
        second = await manager.sign_in("us-east-1", "beta", credential_mode=CredentialMode.LOGIN_SESSION)
        return first, second

    alpha, beta = asyncio.run(sign_in_both())
    assert not browser.errors
    return paths, alpha, beta
