"""The session manager with fakes: the five-session limit, profiles, multi-process views."""

from __future__ import annotations

import asyncio
import configparser
import shlex
from datetime import timedelta

import pytest

from core.domain.errors import ConfigFileError, ProfileConflict, SessionLimitReached, SessionNotFound
from core.domain.events import EventKind, SessionEvent
from core.domain.model import CredentialMode, Identity, SessionState
from core.sessions.manager import SessionManager
from core.sessions.profiles import credential_process_command
from core.storage.paths import AppPaths
from core.storage.settings import Settings
from tests.doubles.clock import fake_sleep
from tests.doubles.manager_rig import Rig, make_rig, read_config
from tests.doubles.sessions import ARNS


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def config(rig: Rig) -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read_string(read_config(rig.paths))
    return parser


def test_five_sessions_then_the_sixth_is_refused_before_the_browser_opens() -> None:
    async def scenario() -> None:
        rig = make_rig()
        for _ in range(5):
            await rig.manager.sign_in("us-east-1")
        assert len(rig.opened) == 5
        assert not rig.manager.can_add_session()
        with pytest.raises(SessionLimitReached) as info:
            await rig.manager.sign_in("us-east-1")
        assert len(rig.opened) == 5
        message = info.value.user_message
        for session in rig.manager.sessions():
            assert session.profile_name in message
        assert "aws-login-tray logout NAME" in message
        assert "Sign out" in message
        assert len({s.account_id for s in rig.manager.sessions()}) == 3

    run(scenario())


def test_profiles_are_written_with_credential_process_and_the_first_session_is_active() -> None:
    async def scenario() -> None:
        rig = make_rig()
        events: list[SessionEvent] = []
        rig.manager.events.subscribe(events.append)
        first = await rig.manager.sign_in("eu-west-1")
        second = await rig.manager.sign_in("us-east-1", "ops")
        parsed = config(rig)
        assert first.profile_name == "111122223333-Admin"
        section = parsed["profile 111122223333-Admin"]
        assert section["region"] == "eu-west-1"
        assert section["sts_regional_endpoints"] == "regional"
        command = shlex.split(section["credential_process"])
        assert command[-4:] == ["--session", first.id, "--home", str(rig.paths.home)]
        assert section["credential_process"] == credential_process_command(first.id, rig.paths)
        assert parsed["default"]["credential_process"] == section["credential_process"]
        assert parsed["profile ops"]["region"] == "us-east-1"
        assert rig.manager.active_session_id() == first.id
        assert [e.kind for e in events] == [EventKind.ADDED, EventKind.ACTIVE_CHANGED, EventKind.ADDED]

        await rig.manager.set_active(second.id)
        assert config(rig)["default"]["credential_process"] == config(rig)["profile ops"]["credential_process"]
        renamed = await rig.manager.rename_profile(second.id, "operations")
        assert renamed.profile_name == "operations"
        assert "profile ops" not in config(rig)
        moved = await rig.manager.set_region(second.id, "ap-southeast-2")
        assert moved.refresh_region == "us-east-1"
        assert config(rig)["profile operations"]["region"] == "ap-southeast-2"
        assert config(rig)["default"]["region"] == "ap-southeast-2"
        with pytest.raises(ProfileConflict):
            await rig.manager.rename_profile(second.id, "111122223333-Admin")
        with pytest.raises(ProfileConflict):
            await rig.manager.rename_profile(second.id, "default")

    run(scenario())


def test_signing_in_as_the_same_arn_replaces_the_session_and_keeps_its_profile() -> None:
    async def scenario() -> None:
        rig = make_rig()
        rig.service.next_arns = [ARNS[0], ARNS[0]]
        first = await rig.manager.sign_in("us-east-1", "work")
        rig.clock.advance(3600)
        again = await rig.manager.sign_in("us-east-1")
        assert again.id == first.id
        assert again.profile_name == "work"
        assert len(rig.manager.sessions()) == 1
        assert again.session_ends_at == rig.clock.now() + timedelta(hours=12)

    run(scenario())


def test_a_profile_of_someone_else_is_refused_before_the_browser_opens() -> None:
    async def scenario() -> None:
        rig = make_rig()
        rig.paths.aws_config_file.write_text("[profile keys]\naws_access_key_id = AKIA\naws_secret_access_key = x\n")
        with pytest.raises(ProfileConflict) as info:
            await rig.manager.sign_in("us-east-1", "keys")
        assert rig.opened == []
        assert info.value.suggestion

    run(scenario())


def test_sign_out_removes_secrets_credentials_and_profiles() -> None:
    async def scenario() -> None:
        rig = make_rig(settings=Settings(on_sign_out_of_active="next"))
        first = await rig.manager.sign_in("us-east-1", "one")
        second = await rig.manager.sign_in("us-east-1", "two")
        events: list[SessionEvent] = []
        rig.manager.events.subscribe(events.append)
        await rig.manager.sign_out(first.id)
        assert first.id not in rig.secrets.data
        assert not rig.paths.credentials_file(first.id).exists()
        parsed = config(rig)
        assert "profile one" not in parsed
        assert parsed["default"]["credential_process"] == parsed["profile two"]["credential_process"]
        assert rig.manager.active_session_id() == second.id
        assert [e.kind for e in events] == [EventKind.REMOVED, EventKind.ACTIVE_CHANGED]
        rig.manager._settings = Settings(on_sign_out_of_active="clear")
        await rig.manager.sign_out(second.id)
        assert "default" not in config(rig)
        assert rig.manager.active_session_id() is None
        with pytest.raises(SessionNotFound):
            await rig.manager.sign_out(second.id)

    run(scenario())


def test_a_second_manager_sees_the_first_ones_changes_and_continues_after_restart() -> None:
    async def scenario() -> None:
        rig = make_rig()
        other = make_rig(clock=rig.clock, service=rig.service, secrets=rig.secrets)
        seen: list[SessionEvent] = []
        other.manager.events.subscribe(seen.append)
        assert other.manager.sessions() == []
        session = await rig.manager.sign_in("us-east-1")
        assert [s.id for s in other.manager.sessions()] == [session.id]
        assert [e.kind for e in seen] == [EventKind.ADDED, EventKind.ACTIVE_CHANGED]
        # the first manager goes away; the second keeps the session fresh from disk
        del rig
        for _ in range(10):
            other.clock.advance(400)
            await other.manager.refresh_due()
            current = other.manager.sessions()[0]
            assert current.credentials_expire_at is not None
            assert current.credentials_expire_at > other.clock.now()
        assert other.service.refused == []
        assert len(other.service.calls) == 10

    run(scenario())


def test_two_managers_refreshing_at_once_spend_each_token_once() -> None:
    async def scenario() -> None:
        rig = make_rig()
        other = make_rig(clock=rig.clock, service=rig.service, secrets=rig.secrets)
        session = await rig.manager.sign_in("us-east-1")
        for _ in range(5):
            rig.clock.advance(400)
            await asyncio.gather(rig.manager.refresh_due(), other.manager.refresh_due())
        assert rig.service.refused == []
        assert len(rig.service.calls) == 5
        assert other.manager.sessions()[0].id == session.id

    run(scenario())


def test_a_damaged_sessions_file_stops_sign_in_before_the_browser() -> None:
    async def scenario() -> None:
        rig = make_rig()
        rig.paths.sessions_file.parent.mkdir(parents=True, exist_ok=True)
        rig.paths.sessions_file.write_text("{oops")
        with pytest.raises(ConfigFileError) as info:
            await rig.manager.sign_in("us-east-1")
        assert str(rig.paths.sessions_file) in info.value.user_message
        assert rig.opened == []
        assert rig.paths.sessions_file.read_text() == "{oops"

    run(scenario())


def test_adopt_session_takes_over_a_session_signed_in_elsewhere() -> None:
    async def scenario() -> None:
        rig = make_rig()
        signed = rig.service.sign_in()
        identity = Identity.from_arn(ARNS[0])
        session = await rig.manager.adopt_session(
            identity,
            "us-west-2",
            "imported",
            CredentialMode.CREDENTIAL_PROCESS,
            signed.secrets,
            signed.credentials,
            rig.clock.now() - timedelta(hours=1),
            rig.clock.now() + timedelta(hours=11),
        )
        assert session.state is SessionState.FRESH
        assert rig.secrets.data[session.id] == signed.secrets
        assert "profile imported" in config(rig)
        rig.clock.advance(400)
        await rig.manager.refresh_due()
        assert rig.service.calls[-1][0] == signed.secrets.refresh_token

    run(scenario())


def test_start_and_stop_run_the_engine_in_the_background() -> None:
    async def scenario() -> None:
        rig = make_rig()
        await rig.manager.sign_in("us-east-1")
        manager = SessionManager(
            AppPaths.from_environment(),
            clock=rig.clock,
            open_browser=rig.opened.append,
            signin_factory=rig.manager._signin_factory,
            secret_store=rig.secrets,
            settings=Settings(),
            sleep=fake_sleep(rig.clock),
        )
        await manager.start()
        start = rig.clock.now()
        while rig.clock.now() < start + timedelta(hours=1):  # noqa: ASYNC110 - the fake sleep moves the clock
            await asyncio.sleep(0)
        await manager.stop()
        assert 9 <= len(rig.service.calls) <= 11
        assert rig.service.refused == []

    run(scenario())


def test_undo_config_change_restores_the_config_from_before_the_last_write() -> None:
    async def scenario() -> None:
        rig = make_rig()
        first = await rig.manager.sign_in("eu-west-1")
        before = read_config(rig.paths)
        await rig.manager.set_region(first.id, "us-west-2")
        assert "us-west-2" in read_config(rig.paths)
        await rig.manager.undo_config_change()
        assert read_config(rig.paths) == before
        with pytest.raises(ConfigFileError, match="no earlier version"):
            await rig.manager.undo_config_change()

    asyncio.run(scenario())
