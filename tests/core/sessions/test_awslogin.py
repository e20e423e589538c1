"""Side by side with `aws login` and `aws logout`, acting on disk exactly as the AWS CLI v2 does.

``AwsCli`` below does what ``aws login`` / ``aws logout`` (AWS CLI 2.36) do to
the files: a code exchange against the Sign-In emulator with a new DPoP key,
then the cache file written in place in botocore's ``JSONFileCache`` format
(named by the SHA-256 of the session ARN, no ``signInRegion``) and
``login_session`` set on the profile; ``aws logout`` deletes that file.
Unmodified botocore (boto3) is the reader throughout.
"""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from core.domain.errors import SignInRequired
from core.domain.events import EventKind, SessionEvent
from core.domain.model import CredentialMode, Session, SessionState
from core.sessions.awslogin import SIGNED_IN_AGAIN, SIGNED_OUT
from core.sessions.manager import SessionManager
from core.storage.logincache import cache_file_path, read_login_cache, sign_in_marker
from core.storage.paths import AppPaths
from core.storage.store import SessionStore
from tests.doubles.browser import ApprovingBrowser
from tests.doubles.emulator_rig import make_manager, point_sdk_at
from tests.support.emulator import EmulatorHandle, SignedIn

pytestmark = pytest.mark.slow

REGION = "us-east-1"


class AwsCli:
    """What ``aws login --profile P`` and ``aws logout --profile P`` leave on disk."""

    def __init__(self, emulator: EmulatorHandle) -> None:
        self.emulator = emulator
        self.paths = AppPaths.from_environment()

    def cache_path(self, arn: str) -> Path:
        return cache_file_path(self.paths.login_cache_dir, arn)

    def login(self, profile: str, n: int = 1) -> SignedIn:
        signed_in = self.emulator.sign_in(n)
        output = signed_in.output
        expires = datetime.now(UTC) + timedelta(seconds=int(output["expiresIn"]))
        token = {
            "accessToken": {
                **{k: output["accessToken"][k] for k in ("accessKeyId", "secretAccessKey", "sessionToken")},
                "accountId": signed_in.account_id,
                "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            },
            "tokenType": output["tokenType"],
            "clientId": signed_in.client_id,
            "refreshToken": output["refreshToken"],
            "idToken": output["idToken"],
            "dpopKey": signed_in.key.sec1_pem(),
        }
        path = self.cache_path(signed_in.session_arn)
        path.parent.mkdir(parents=True, exist_ok=True)
        # JSONFileCache: open without truncating, then truncate and write (not atomic).
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as handle:
            handle.truncate()
            handle.write(json.dumps(token))
        self._set_login_session(profile, signed_in.session_arn)
        return signed_in

    def logout(self, profile: str) -> None:
        parser = configparser.RawConfigParser()
        parser.read(self.paths.aws_config_file)
        arn = parser.get(f"profile {profile}", "login_session")
        self.cache_path(arn).unlink(missing_ok=True)

    def _set_login_session(self, profile: str, arn: str) -> None:
        """ConfigFileWriter.update_config: set the key in the section in place, or append the section."""
        path = self.paths.aws_config_file
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True) if path.exists() else []
        header = f"[profile {profile}]"
        if not any(line.strip() == header for line in lines):
            path.write_text("".join(lines) + f"\n{header}\nlogin_session = {arn}\n", encoding="utf-8")
            return
        start = next(i for i, line in enumerate(lines) if line.strip() == header)
        end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("[")), len(lines))
        for i in range(start + 1, end):
            if lines[i].split("=")[0].strip() == "login_session":
                lines[i] = f"login_session = {arn}\n"
                break
        else:
            lines.insert(start + 1, f"login_session = {arn}\n")
        path.write_text("".join(lines), encoding="utf-8")


def botocore_arn(profile: str) -> str:
    """The identity unmodified botocore gets through the profile (its LoginProvider reads the cache file)."""
    client = boto3.Session(profile_name=profile).client("sts", region_name=REGION)
    return str(client.get_caller_identity()["Arn"])


def app(*argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "aws_login_tray", *argv], capture_output=True, text=True, timeout=120, check=False
    )


def profile_section(profile: str) -> dict[str, str] | None:
    parser = configparser.RawConfigParser()
    parser.read(AppPaths.from_environment().aws_config_file)
    section = f"profile {profile}"
    return dict(parser.items(section)) if parser.has_section(section) else None


def config_text() -> str:
    return AppPaths.from_environment().aws_config_file.read_text(encoding="utf-8")


@pytest.fixture
def rig(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> tuple[SessionManager, AwsCli, list[SessionEvent]]:
    point_sdk_at(emulator, monkeypatch)
    browser = ApprovingBrowser(emulator)
    manager = make_manager(emulator, browser)
    events: list[SessionEvent] = []
    manager.events.subscribe(events.append)
    return manager, AwsCli(emulator), events


async def sign_in_ls(manager: SessionManager, profile: str = "ls") -> Session:
    return await manager.sign_in(REGION, profile, credential_mode=CredentialMode.LOGIN_SESSION)


def test_aws_logout_is_a_sign_out_and_aws_login_a_new_sign_in(
    rig: tuple[SessionManager, AwsCli, list[SessionEvent]], emulator: EmulatorHandle
) -> None:
    manager, cli, events = rig

    async def scenario() -> None:
        session = await sign_in_ls(manager)
        for n in (2, 3, 4, 5):
            manager.open_browser.choices.append(n)  # type: ignore[attr-defined]
            await manager.sign_in(REGION, credential_mode=CredentialMode.LOGIN_SESSION)
        assert not manager.can_add_session()

        cli.logout("ls")
        manager.aws_login.check_all()  # what the tray and agent do every second, and every CLI command once
        after = next(s for s in manager.sessions() if s.id == session.id)
        assert after.state is SessionState.SIGNED_OUT
        assert "aws logout" in (after.state_reason or "")
        assert after.credentials_expire_at is None
        assert manager.store.read_credentials(session.id) is None, "no more credentials handed out after a sign-out"
        assert manager.can_add_session(), "a signed-out session no longer holds one of the five places"
        with pytest.raises(SignInRequired) as refused:
            await manager.refresh(session.id)
        assert refused.value.reason == SIGNED_OUT
        assert not [e for e in events if e.kind is EventKind.NEEDS_SIGN_IN], "a sign-out is not a failure"

        cli.login("ls", n=1)
        refreshed = await manager.refresh(session.id)
        assert refreshed.state is SessionState.FRESH
        assert refreshed.made_elsewhere
        assert ("aws login", SIGNED_IN_AGAIN) in [(r.event_name, r.outcome) for r in refreshed.history]
        assert botocore_arn("ls") == session.identity.arn

        notice = await manager.sign_out(session.id)
        assert notice is not None
        assert "aws logout --profile ls" in notice
        assert cli.cache_path(session.identity.arn).exists(), "our logout deleted an aws login sign-in"
        kept = profile_section("ls")
        assert kept is not None
        assert kept["login_session"] == session.identity.arn
        assert "[profile ls]\n# managed by aws-login-tray" not in config_text(), "the profile is the user's again"
        assert botocore_arn("ls") == session.identity.arn

    asyncio.run(scenario())
    assert refused_tokens(emulator) == []


def refused_tokens(emulator: EmulatorHandle) -> list[object]:
    tokens = emulator.tokens()
    return list(tokens["refused"]) + [t for t in tokens["refresh_tokens"] if t["refused_uses"]]


def test_the_command_line_follows_aws_logout_and_aws_login(
    rig: tuple[SessionManager, AwsCli, list[SessionEvent]],
) -> None:
    manager, cli, _ = rig
    session = asyncio.run(sign_in_ls(manager))

    cli.logout("ls")
    listed = json.loads(app("list", "--json").stdout)["sessions"][0]
    assert listed["state"] == "signed_out"
    refresh = app("refresh", "ls")
    assert refresh.returncode == 3
    assert "aws logout" in refresh.stderr
    assert "refresh token" not in refresh.stderr

    cli.login("ls")
    imported = app("import")
    assert imported.returncode == 0, imported.stderr
    assert "ls: signed in again with `aws login`" in imported.stdout
    refresh = app("refresh", "ls")
    assert refresh.returncode == 0, refresh.stderr
    listed = json.loads(app("list", "--json").stdout)["sessions"][0]
    assert listed["state"] == "fresh"
    assert botocore_arn("ls") == session.identity.arn

    logout = app("logout", "ls")
    assert logout.returncode == 0, logout.stderr
    assert "Left the `aws login` sign-in of profile ls" in logout.stdout
    assert botocore_arn("ls") == session.identity.arn


def test_a_new_sign_in_brings_its_own_session_end(rig: tuple[SessionManager, AwsCli, list[SessionEvent]]) -> None:
    manager, cli, _ = rig

    async def scenario() -> None:
        session = await sign_in_ls(manager)
        now = manager.now()
        # The session the app knows was short: one minute left.
        manager.table.update_session(session.id, lambda s: s.evolve(session_ends_at=now + timedelta(minutes=1)))
        cli.login("ls")
        refreshed = await manager.refresh(session.id)
        assert refreshed.state is SessionState.FRESH
        assert refreshed.session_ends_at > now + timedelta(hours=11), "the old, short end was kept"
        assert refreshed.signed_in_at >= now
        outcomes = [(r.event_name, r.outcome) for r in refreshed.history]
        assert outcomes[-2:] == [("aws login", SIGNED_IN_AGAIN), ("CreateOAuth2Token", "ok")]
        assert botocore_arn("ls") == session.identity.arn

    asyncio.run(scenario())


def test_botocore_refreshing_the_file_is_not_a_new_sign_in(
    rig: tuple[SessionManager, AwsCli, list[SessionEvent]],
) -> None:
    manager, cli, _ = rig
    session = asyncio.run(sign_in_ls(manager))
    path = cli.cache_path(session.identity.arn)
    before = read_login_cache(path)
    data = json.loads(path.read_text(encoding="utf-8"))
    data["accessToken"]["expiresAt"] = (datetime.now(UTC) + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(json.dumps(data), encoding="utf-8")

    assert botocore_arn("ls") == session.identity.arn  # botocore refreshes (< 5 minutes left) and rewrites the file
    after = read_login_cache(path)
    assert after.secrets.refresh_token != before.secrets.refresh_token
    assert sign_in_marker(after.secrets) == sign_in_marker(before.secrets) == session.sign_in_marker
    manager.aws_login.check_all()
    [followed] = manager.sessions()
    assert not followed.made_elsewhere
    assert SIGNED_IN_AGAIN not in [r.outcome for r in followed.history]


def test_aws_logout_and_login_are_seen_within_seconds_while_the_engine_runs(
    rig: tuple[SessionManager, AwsCli, list[SessionEvent]],
) -> None:
    manager, cli, events = rig
    on_disk = SessionStore(AppPaths.from_environment())

    async def wait_for(check: str, state: SessionState) -> float:
        started = time.monotonic()
        while time.monotonic() - started < 10:
            stored = on_disk.load().sessions[0]
            if stored.state is state and (check != "adopted" or stored.made_elsewhere):
                return time.monotonic() - started
            await asyncio.sleep(0.02)
        raise AssertionError(f"not {state} after 10 s")

    async def scenario() -> tuple[float, float]:
        await sign_in_ls(manager)
        await manager.start()
        try:
            await asyncio.sleep(0.2)
            cli.logout("ls")
            out = await wait_for("signed out", SessionState.SIGNED_OUT)
            cli.login("ls")
            back = await wait_for("adopted", SessionState.FRESH)
        finally:
            await manager.stop()
        return out, back

    out, back = asyncio.run(scenario())
    print(f"aws logout seen after {out:.2f} s, aws login after {back:.2f} s")
    assert out < 3
    assert back < 3
    assert not [e for e in events if e.kind is EventKind.NEEDS_SIGN_IN]


def test_our_logout_deletes_only_a_sign_in_it_made(rig: tuple[SessionManager, AwsCli, list[SessionEvent]]) -> None:
    manager, cli, _ = rig

    async def scenario() -> None:
        ours = await sign_in_ls(manager, "ls")
        assert await manager.sign_out(ours.id) is None
        assert not cli.cache_path(ours.identity.arn).exists()
        assert profile_section("ls") is None

        ours = await sign_in_ls(manager, "ls")
        theirs = cli.login("ls")  # `aws login` replaces the sign-in while the app does not look
        notice = await manager.sign_out(ours.id)
        assert notice is not None
        left = read_login_cache(cli.cache_path(ours.identity.arn))
        assert left.secrets.dpop_key_pem == theirs.key.sec1_pem()
        assert profile_section("ls") == {"region": REGION, "sts_regional_endpoints": "regional",
                                         "login_session": ours.identity.arn}  # fmt: skip
        assert manager.sessions() == []
        assert botocore_arn("ls") == ours.identity.arn

    asyncio.run(scenario())


def test_signing_in_as_the_same_principal_under_a_new_name_keeps_the_old_profile(
    rig: tuple[SessionManager, AwsCli, list[SessionEvent]],
) -> None:
    manager, _, _ = rig

    async def scenario() -> None:
        first = await manager.sign_in(REGION, "cp", credential_mode=CredentialMode.CREDENTIAL_PROCESS)
        second = await sign_in_ls(manager, "ls")
        assert second.id == first.id
        assert second.other_profiles == ("cp",)
        assert [s.profile_name for s in manager.sessions()] == ["ls"]
        for profile in ("cp", "ls"):
            assert profile_section(profile) is not None, f"profile {profile} disappeared"
            assert botocore_arn(profile) == first.identity.arn
        await manager.sign_out(second.id)
        assert profile_section("cp") is None
        assert profile_section("ls") is None

    asyncio.run(scenario())
