"""A rotated refresh token is never dropped; retryable refusals stay retryable; only grants prove a session's end."""

from __future__ import annotations

import asyncio
import io
import stat
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest

from cli.context import Cli
from cli.main import main
from core.domain.errors import InvalidRequestError, SecretStoreUnavailable, TransientServiceError
from core.domain.events import EventKind, SessionEvent
from core.domain.model import Credentials, Session, SessionSecrets, SessionState
from core.sessions.service import SessionService
from core.sessions.tokensafe import TokenNotStored
from credproc.exitcodes import ExitCode
from tests.doubles.manager_rig import Rig, make_rig
from tests.doubles.secret_store import MemorySecretStore

LOCKED = SecretStoreUnavailable("The OS keyring is locked.")


class SaveRefusingStore(MemorySecretStore):
    """Reads work, saves fail while ``refuse_saves`` is set (a keyring locked during the refresh)."""

    refuse_saves = False

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
        if self.refuse_saves:
            raise LOCKED
        super().save(session, secrets, credentials)


def rig_with_refusing_store() -> tuple[Rig, SaveRefusingStore]:
    first = make_rig()
    store = SaveRefusingStore(first.service.events)
    rig = make_rig(clock=first.clock, service=first.service, secrets=store)
    return rig, store


def restarted(rig: Rig) -> Rig:
    """Another process on the same files, store and service (a CLI after the tray, the next start)."""
    return make_rig(clock=rig.clock, service=rig.service, secrets=rig.secrets)


async def signed_in(rig: Rig) -> str:
    session = await rig.manager.sign_in("us-east-1", "p1")
    return session.id


def test_a_token_the_store_refuses_is_rescued_and_the_refresh_fails() -> None:
    """Case 1: no "Refreshed", no credentials without a durable token; the next start adopts the rescue file."""

    async def scenario() -> None:
        rig, store = rig_with_refusing_store()
        sid = await signed_in(rig)
        rig.clock.advance(400)
        store.refuse_saves = True
        with pytest.raises(TokenNotStored) as info:
            await rig.manager.refresh(sid)
        rescue = rig.paths.rescue_file(sid)
        assert info.value.rescued
        assert str(rescue) in info.value.user_message
        assert "locked" in info.value.user_message
        assert stat.S_IMODE(rescue.stat().st_mode) == 0o600
        issued = rig.service.events[-1].split(":", 1)[1]
        assert issued in rescue.read_text()
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.RETRYING

        store.refuse_saves = False
        later = restarted(rig)
        rig.clock.advance(5)
        refreshed = await later.manager.refresh(sid)
        assert refreshed.state is SessionState.FRESH
        assert rig.service.calls[-1][0] == issued  # the rescued token was the live one
        assert rig.service.refused == []
        assert not rescue.exists()

    asyncio.run(scenario())


def test_a_token_that_cannot_be_saved_anywhere_hands_out_no_credentials() -> None:
    async def scenario() -> None:
        rig, store = rig_with_refusing_store()
        sid = await signed_in(rig)
        rig.clock.advance(400)
        before = rig.manager.store.read_credentials(sid)
        rig.paths.rescue_dir.parent.mkdir(parents=True, exist_ok=True)
        rig.paths.rescue_dir.write_text("a file where the rescue directory goes")
        store.refuse_saves = True
        with pytest.raises(TokenNotStored) as info:
            await rig.manager.refresh(sid)
        assert not info.value.rescued
        assert "only this process holds it" in info.value.user_message
        assert rig.manager.store.read_credentials(sid) == before

    asyncio.run(scenario())


def test_an_unwritable_credentials_directory_stops_the_refresh_before_aws_is_called() -> None:
    async def scenario() -> None:
        rig = make_rig()
        sid = await signed_in(rig)
        rig.clock.advance(400)
        calls = len(rig.service.calls)
        credentials_dir = rig.paths.credentials_dir
        for child in credentials_dir.iterdir():
            child.unlink()
        credentials_dir.rmdir()
        credentials_dir.write_text("not a directory")
        with pytest.raises(SecretStoreUnavailable):
            await rig.manager.refresh(sid)
        assert len(rig.service.calls) == calls

    asyncio.run(scenario())


def test_the_refresh_command_fails_with_the_secret_store_code() -> None:
    """Case 1 at the terminal: exit 5 and what to do, never "Refreshed p1: credentials valid for ..."."""

    async def prepare() -> tuple[Rig, SaveRefusingStore]:
        rig, store = rig_with_refusing_store()
        await signed_in(rig)
        rig.clock.advance(400)
        store.refuse_saves = True
        return rig, store

    rig, _ = asyncio.run(prepare())

    @asynccontextmanager
    async def service(_: Cli) -> AsyncIterator[SessionService]:
        yield rig.manager

    out, err = io.StringIO(), io.StringIO()
    code = main(["refresh", "p1"], cli=Cli(stdout=out, stderr=err, paths=rig.paths, service_factory=service))
    assert code == ExitCode.SECRET_STORE
    assert "Refreshed" not in out.getvalue()
    assert "locked" in err.getvalue()
    assert str(rig.paths.rescue_file(rig.manager.sessions()[0].id)) in err.getvalue()


def test_a_long_running_engine_retries_the_save_within_seconds_and_on_shutdown() -> None:
    """Case 2: the held token reaches the store seconds after it works again, with no token call."""

    async def scenario() -> None:
        rig, store = rig_with_refusing_store()
        sid = await signed_in(rig)
        events: list[SessionEvent] = []
        rig.manager.events.subscribe(events.append)
        rig.clock.advance(400)
        store.refuse_saves = True
        task = asyncio.create_task(rig.manager.run_engine())
        await _spin_until(lambda: rig.paths.rescue_file(sid).exists())
        calls = len(rig.service.calls)
        issued = rig.service.events[-1].split(":", 1)[1]
        store.refuse_saves = False
        started = rig.clock.now()
        await _spin_until(lambda: not rig.paths.rescue_file(sid).exists())
        assert rig.clock.now() - started < timedelta(seconds=30)
        assert len(rig.service.calls) == calls
        assert store.data[sid].refresh_token == issued

        await rig.manager.stop()
        await task

        # No rescue file possible: only memory holds the token; shutdown tries the store again and says so.
        rig.paths.rescue_dir.rmdir()
        rig.paths.rescue_dir.write_text("blocked")
        rig.clock.advance(400)
        with pytest.raises(TokenNotStored):
            await rig.manager.refresh(sid)
        held = rig.service.events[-1].split(":", 1)[1]
        await rig.manager.stop()
        assert any(e.kind is EventKind.RETRYING and "lost" in (e.detail or "") for e in events)
        store.refuse_saves = False
        await rig.manager.stop()
        assert store.data[sid].refresh_token == held


async def _spin_until(condition: object) -> None:
    for _ in range(200_000):
        if condition():  # type: ignore[operator]
            return
        await asyncio.sleep(0)
    raise AssertionError("condition never held")


def test_a_refusal_a_wrong_clock_explains_is_retried_never_needs_sign_in() -> None:
    """Case 5: an INVALID_REQUEST refresh (a DPoP ``iat`` out of the window) keeps the session."""

    async def scenario() -> None:
        rig = make_rig()
        sid = await signed_in(rig)
        rig.clock.advance(400)
        rig.service.faults.append(InvalidRequestError("AWS Sign-In rejected the request as invalid."))
        with pytest.raises(TransientServiceError) as info:
            await rig.manager.refresh(sid)
        assert "clock" in info.value.user_message
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.RETRYING
        assert session.history[-1].outcome == "ValidationException"
        refreshed = await rig.manager.refresh(sid)
        assert refreshed.state is SessionState.FRESH
        assert rig.service.refused == []

    asyncio.run(scenario())


def test_a_short_lifetime_guessed_from_timestamps_never_moves_the_session_end() -> None:
    """Case 6: with 600-second credentials, an adoption of another refresher's result and two refreshes
    in fresh processes keep the 12-hour end; a shorter grant after a usual one still proves an earlier end."""

    async def scenario() -> None:
        rig = make_rig(ttl=600)
        sid = await signed_in(rig)
        session = rig.manager.table.get(sid)
        assert session is not None
        planned_end = session.session_ends_at
        rig.clock.advance(200)
        # botocore (or another process) refreshed: newer credentials appear on disk.
        assert session.credentials_expire_at is not None
        newer = Credentials(
            "ASIAOTHER", "s", "t", session.credentials_expire_at + timedelta(seconds=200), "111122223333"
        )
        rig.manager.store.write_credentials(sid, newer)
        await restarted(rig).manager.refresh(sid)
        for _ in range(2):
            rig.clock.advance(100)
            again = await restarted(rig).manager.refresh(sid)
            assert again.session_ends_at == planned_end

        long_lived = restarted(rig)
        await long_lived.manager.refresh(sid)
        arn = rig.manager.table.get(sid).identity.arn  # type: ignore[union-attr]
        rig.service.ends_at[arn] = rig.clock.now() + timedelta(seconds=300)  # the server's real end is sooner
        rig.clock.advance(100)
        shortened = await long_lived.manager.refresh(sid)
        assert shortened.session_ends_at < planned_end
        assert shortened.session_ends_at == rig.service.ends_at[arn].replace(microsecond=0)

    asyncio.run(scenario())


def test_a_sign_in_whose_token_the_store_refuses_keeps_it_in_a_rescue_file() -> None:
    """Case 1 for the first token: the sign-in completes, says where the token waits, and the next refresh uses it."""

    async def scenario() -> None:
        rig, store = rig_with_refusing_store()
        store.refuse_saves = True
        with pytest.raises(TokenNotStored) as info:
            await rig.manager.sign_in("us-east-1", "p1")
        assert info.value.rescued
        [session] = rig.manager.sessions()
        assert session.profile_name == "p1"
        assert str(rig.paths.rescue_file(session.id)) in info.value.user_message
        assert store.data == {}

        store.refuse_saves = False
        rig.clock.advance(400)
        refreshed = await restarted(rig).manager.refresh(session.id)
        assert refreshed.state is SessionState.FRESH
        assert rig.service.refused == []
        assert not rig.paths.rescue_file(session.id).exists()

    asyncio.run(scenario())
