"""The session manager against the AWS Sign-In emulator, with the real sign-in client."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from datetime import timedelta
from pathlib import Path

import boto3
import pytest

from core.domain.errors import SessionLimitReached, SignInRequired, TransientServiceError
from core.domain.model import CredentialMode, SessionState
from core.storage.logincache import cache_file_path, read_login_cache
from core.storage.paths import AppPaths
from tests.doubles.browser import ApprovingBrowser
from tests.doubles.emulator_rig import make_manager, point_sdk_at, refused
from tests.support.emulator import REPO_ROOT, EmulatorHandle

pytestmark = pytest.mark.slow


@pytest.fixture
def browser(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> ApprovingBrowser:
    point_sdk_at(emulator, monkeypatch)
    return ApprovingBrowser(emulator)


def test_five_sessions_across_three_accounts_and_the_sixth_is_refused(
    emulator: EmulatorHandle, browser: ApprovingBrowser
) -> None:
    async def scenario() -> None:
        manager = make_manager(emulator, browser)
        browser.choices = [1, 2, 3, 4, 5]
        for _ in range(5):
            await manager.sign_in("us-east-1")
        assert browser.errors == []
        sessions = manager.sessions()
        assert {s.identity.arn for s in sessions} == {s.arn for s in emulator.sessions}
        assert len({s.account_id for s in sessions}) == 3
        with pytest.raises(SessionLimitReached):
            await manager.sign_in("us-east-1")
        assert len(browser.opened) == 5
        for session in sessions:
            refreshed = await manager.refresh(session.id)
            assert refreshed.state is SessionState.FRESH
            assert [r.event_name for r in refreshed.history] == [
                "AuthorizeOAuth2Access",
                "CreateOAuth2Token",
                "CreateOAuth2Token",
            ]
        assert refused(emulator) == []
        assert sum(t["grant_type"] == "refresh_token" for t in emulator.tokens()["issued"]) == 5

    asyncio.run(scenario())


def test_a_new_manager_continues_a_session_from_disk(emulator: EmulatorHandle, browser: ApprovingBrowser) -> None:
    async def scenario() -> None:
        first = make_manager(emulator, browser)
        session = await first.sign_in("eu-west-1", "work")
        await first.refresh(session.id)
        restarted = make_manager(emulator, browser)
        for _ in range(3):
            again = await restarted.refresh(session.id)
            assert again.state is SessionState.FRESH
        assert refused(emulator) == []
        assert emulator.tokens()["login_sessions"][0]["refreshes"] == 4

    asyncio.run(scenario())


def test_the_profile_works_for_an_sdk_through_credential_process(
    emulator: EmulatorHandle, browser: ApprovingBrowser
) -> None:
    async def scenario() -> str:
        manager = make_manager(emulator, browser)
        session = await manager.sign_in("eu-west-1", "work")
        return session.identity.arn

    arn = asyncio.run(scenario())
    sts = boto3.Session(profile_name="work").client("sts")
    assert sts.get_caller_identity()["Arn"] == arn


def test_login_session_mode_keeps_the_token_only_in_the_aws_login_cache(
    emulator: EmulatorHandle, browser: ApprovingBrowser
) -> None:
    async def scenario() -> None:
        manager = make_manager(emulator, browser)
        session = await manager.sign_in("us-east-1", "cli", credential_mode=CredentialMode.LOGIN_SESSION)
        path = cache_file_path(AppPaths.from_environment().login_cache_dir, session.identity.arn)
        before = read_login_cache(path)
        refreshed = await manager.refresh(session.id)
        after = read_login_cache(path)
        assert after.secrets.refresh_token != before.secrets.refresh_token
        assert after.credentials.expires_at == refreshed.credentials_expire_at.replace(microsecond=0)  # type: ignore[union-attr]
        assert "login_session" in AppPaths.from_environment().aws_config_file.read_text()
        # botocore's own LoginProvider reads the same file and finds valid credentials
        creds = boto3.Session(profile_name="cli").get_credentials()
        assert creds is not None
        assert creds.access_key == after.credentials.access_key_id
        assert refused(emulator) == []

    asyncio.run(scenario())


TWO_PROCESS_SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from core.sessions.manager import SessionManager
    from core.storage.paths import AppPaths
    from core.domain.ports import SystemClock

    async def main(session_id: str, rounds: int) -> None:
        manager = SessionManager(AppPaths.from_environment(), clock=SystemClock(), open_browser=print)
        for _ in range(rounds):
            await manager.refresh(session_id)
            await asyncio.sleep(0)

    asyncio.run(main(sys.argv[1], int(sys.argv[2])))
    """
)


def test_two_processes_refreshing_one_session_never_spend_a_token_twice(
    emulator: EmulatorHandle, browser: ApprovingBrowser, tmp_path: Path
) -> None:
    session = asyncio.run(make_manager(emulator, browser).sign_in("us-east-1"))
    script = tmp_path / "refresher.py"
    script.write_text(TWO_PROCESS_SCRIPT)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    processes = [
        subprocess.Popen([sys.executable, str(script), session.id, "6"], env=env, cwd=REPO_ROOT) for _ in range(2)
    ]
    assert [p.wait(timeout=120) for p in processes] == [0, 0]
    assert refused(emulator) == []
    refreshes = emulator.tokens()["login_sessions"][0]["refreshes"]
    assert 6 <= refreshes <= 12  # some calls were adopted from the other process, none repeated a token
    final = make_manager(emulator, browser)
    assert final.sessions()[0].state is SessionState.FRESH
    assert asyncio.run(final.refresh(session.id)).state is SessionState.FRESH
    assert refused(emulator) == []


@pytest.mark.parametrize("kind", ["500", "429"])
def test_transient_faults_are_retried_with_the_same_token(
    emulator: EmulatorHandle, browser: ApprovingBrowser, kind: str
) -> None:
    async def scenario() -> None:
        manager = make_manager(emulator, browser)
        session = await manager.sign_in("us-east-1")
        emulator.inject_fault(kind, 2)
        for _ in range(2):
            with pytest.raises(TransientServiceError):
                await manager.refresh(session.id)
            assert manager.sessions()[0].state is SessionState.RETRYING
        refreshed = await manager.refresh(session.id)
        assert refreshed.state is SessionState.FRESH
        outcomes = [r.outcome for r in refreshed.history[2:]]
        expected = "TooManyRequestsError" if kind == "429" else "server_error"
        assert outcomes == [expected, expected, "ok"]
        assert refused(emulator) == []

    asyncio.run(scenario())


@pytest.mark.parametrize("kind", ["USER_CREDENTIALS_CHANGED", "INSUFFICIENT_PERMISSIONS"])
def test_sign_in_required_faults_stop_the_session(
    emulator: EmulatorHandle, browser: ApprovingBrowser, kind: str
) -> None:
    async def scenario() -> None:
        manager = make_manager(emulator, browser)
        session = await manager.sign_in("us-east-1")
        emulator.inject_fault(kind, 1)
        with pytest.raises(SignInRequired) as info:
            await manager.refresh(session.id)
        assert info.value.reason == kind
        stopped = manager.sessions()[0]
        assert stopped.state is SessionState.NEEDS_SIGN_IN
        assert stopped.state_reason == info.value.user_message
        requests = emulator.tokens()["requests"]
        await manager.refresh_due()
        assert emulator.tokens()["requests"] == requests  # no more calls for a stopped session

    asyncio.run(scenario())


def test_a_revoked_session_needs_sign_in_and_ends_now(emulator: EmulatorHandle, browser: ApprovingBrowser) -> None:
    async def scenario() -> None:
        manager = make_manager(emulator, browser)
        session = await manager.sign_in("us-east-1")
        emulator.revoke(session.identity.arn)
        with pytest.raises(SignInRequired) as info:
            await manager.refresh(session.id)
        assert info.value.reason == "TOKEN_EXPIRED"
        stopped = manager.sessions()[0]
        assert stopped.state is SessionState.NEEDS_SIGN_IN
        assert stopped.session_ends_at <= manager.now()
        assert stopped.session_ends_at < session.session_ends_at - timedelta(hours=11)

    asyncio.run(scenario())


def test_a_slow_service_still_refreshes(emulator: EmulatorHandle, browser: ApprovingBrowser) -> None:
    async def scenario() -> None:
        latencies: list[float] = []
        manager = make_manager(emulator, browser, latencies=latencies)
        session = await manager.sign_in("us-east-1")
        emulator.control("POST", "/_emulator/delay", {"seconds": 1.0})
        try:
            refreshed = await manager.refresh(session.id)
        finally:
            emulator.control("POST", "/_emulator/delay", {"seconds": 0})
        assert refreshed.state is SessionState.FRESH
        assert latencies[-1] >= 1.0
        assert refused(emulator) == []

    asyncio.run(scenario())
