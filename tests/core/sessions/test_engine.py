"""The refresh engine with a fake clock and a fake sign-in service."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from core.domain.errors import SecretStoreUnavailable, SignInRequired, TransientServiceError
from core.domain.events import EventKind, SessionEvent
from core.domain.model import Credentials, SessionSecrets, SessionState
from core.sessions.policy import backoff_delay, refresh_margin
from core.storage.settings import Settings
from tests.doubles.manager_rig import Rig, make_rig


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def collect(rig: Rig) -> list[SessionEvent]:
    events: list[SessionEvent] = []
    rig.manager.events.subscribe(events.append)
    return events


async def sign_in(rig: Rig, count: int = 1) -> list[str]:
    ids = []
    for _ in range(count):
        session = await rig.manager.sign_in("us-east-1")
        ids.append(session.id)
    return ids


async def spin_until(condition: Callable[[], bool]) -> None:
    """Let the loop run (the fake sleep moves the clock) until ``condition`` holds."""
    while not condition():  # noqa: ASYNC110 - the engine itself is what moves the condition
        await asyncio.sleep(0)


async def live_until(rig: Rig, seconds: float) -> None:
    """Run the engine loop until the fake clock has advanced ``seconds``."""
    deadline = rig.clock.now() + timedelta(seconds=seconds)
    task = asyncio.create_task(rig.manager.run_engine())
    await spin_until(lambda: rig.clock.now() >= deadline or task.done())
    await rig.manager.stop()
    await task


def test_margin_and_backoff_scale_with_the_granted_lifetime() -> None:
    assert refresh_margin(timedelta(seconds=900)) == timedelta(seconds=540)
    assert refresh_margin(timedelta(seconds=10)) == timedelta(seconds=6)
    rng = random.Random(7)
    ttl = timedelta(seconds=900)
    for attempt in range(1, 12):
        ceiling = min(60.0, 2.0 * 2 ** (attempt - 1))
        for _ in range(50):
            delay = backoff_delay(attempt, ttl, rng)
            assert ceiling / 2 <= delay <= ceiling
    # jitter: two sessions failing together do not retry in step
    assert len({round(backoff_delay(3, ttl, rng), 6) for _ in range(20)}) > 10
    assert backoff_delay(1, timedelta(seconds=9), rng) <= 0.02


def test_refreshes_only_inside_the_window() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        await rig.manager.refresh_due()
        assert rig.service.calls == []
        rig.clock.advance(359)  # 541 s left: outside the 540 s window
        await rig.manager.refresh_due()
        assert rig.service.calls == []
        rig.clock.advance(2)
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == 1
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.FRESH
        assert session.credentials_expire_at == rig.clock.now() + timedelta(seconds=900)
        stored = rig.manager.store.read_credentials(sid)
        assert stored is not None
        assert stored.expires_at == session.credentials_expire_at.replace(microsecond=0)
        names = [r.event_name for r in session.history]
        assert names == ["AuthorizeOAuth2Access", "CreateOAuth2Token", "CreateOAuth2Token"]
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == 1
        assert rig.service.refused == []

    run(scenario())


def test_concurrent_refreshes_share_one_call() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        rig.service.gate = asyncio.Event()
        tasks: list[asyncio.Task[Any]] = [asyncio.create_task(rig.manager.refresh(sid)) for _ in range(4)]
        tasks.append(asyncio.create_task(rig.manager.refresh_due()))  # not due: must not add a call
        for _ in range(20):
            await asyncio.sleep(0)
        rig.service.gate.set()
        results = await asyncio.gather(*tasks)
        assert len(rig.service.calls) == 1
        assert len({r.credentials_expire_at for r in results[:4] if r is not None}) == 1
        assert rig.service.refused == []

    run(scenario())


def test_new_refresh_token_is_stored_before_the_credentials_are_written_or_announced() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        log = rig.service.events
        original = rig.manager.store.write_credentials

        def write(session_id: str, credentials: Credentials) -> None:
            log.append("credentials-file")
            original(session_id, credentials)

        rig.manager.store.write_credentials = write  # type: ignore[method-assign]
        rig.manager.events.subscribe(lambda e: log.append(f"event:{e.kind}"))
        log.clear()
        await rig.manager.refresh(sid)
        issued = next(entry for entry in log if entry.startswith("issued:"))
        token = issued.split(":", 1)[1]
        assert log.index(f"stored:{token}") < log.index("credentials-file") < log.index("event:refreshed")

    run(scenario())


def test_transient_errors_retry_with_backoff_and_keep_the_token() -> None:
    async def scenario() -> None:
        rig = make_rig()
        events = collect(rig)
        (sid,) = await sign_in(rig)
        rig.clock.advance(400)
        rig.service.faults = [
            TransientServiceError("AWS Sign-In had an internal error.", 500),
            TransientServiceError("AWS Sign-In is throttling requests.", 429),
            TransientServiceError("Cannot reach AWS Sign-In.", None),
        ]
        await rig.manager.refresh_due()
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.RETRYING
        assert session.state_reason is not None
        assert "internal error" in session.state_reason
        retrying = [e for e in events if e.kind is EventKind.RETRYING]
        assert len(retrying) == 1
        await live_until(rig, 60)
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.FRESH
        assert len(rig.service.calls) == 4
        # the same (unspent) token was offered on every failed attempt
        assert len({token for token, _ in rig.service.calls}) == 1
        assert rig.service.refused == []
        outcomes = [r.outcome for r in session.history if r.event_name == "CreateOAuth2Token"]
        assert outcomes[-4:] == ["server_error", "TooManyRequestsError", "network_error", "ok"]
        gaps = [
            (b - a).total_seconds() for (_, a), (_, b) in zip(rig.service.calls, rig.service.calls[1:], strict=False)
        ]
        assert 1.0 <= gaps[0] <= 2.0 + 0.1
        assert 2.0 <= gaps[1] <= 4.0 + 0.1
        assert 4.0 <= gaps[2] <= 8.0 + 0.1

    run(scenario())


def test_an_outage_longer_than_the_credentials_never_burns_the_token() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        rig.clock.advance(400)
        rig.service.faults = [TransientServiceError("AWS Sign-In is unavailable.", 503) for _ in range(40)]
        await live_until(rig, 900)
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.RETRYING
        assert session.state_reason is not None
        assert session.state_reason.startswith("Credentials have expired.")
        rig.service.faults.clear()
        await live_until(rig, 120)
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.FRESH
        assert rig.service.refused == []
        assert session.credentials_expire_at is not None
        assert session.credentials_expire_at > rig.clock.now()

    run(scenario())


def test_a_wall_clock_jump_causes_one_pass_not_a_burst() -> None:
    async def scenario() -> None:
        rig = make_rig()
        await sign_in(rig, 5)
        jumped = False

        async def sleep(seconds: float) -> None:
            nonlocal jumped
            rig.clock.advance(seconds)
            if not jumped and rig.clock.now() > rig.service.ends_at[next(iter(rig.service.ends_at))] - timedelta(
                hours=11
            ):
                jumped = True
                rig.clock.advance(3 * 3600, wall_only=True)  # the laptop slept for three hours
            await asyncio.sleep(0)

        rig.manager.engine.sleep = sleep
        task = asyncio.create_task(rig.manager.run_engine())
        await spin_until(lambda: jumped)
        calls_before = len(rig.service.calls)
        passes_before = rig.manager.engine.passes
        await spin_until(lambda: rig.manager.engine.passes >= passes_before + 2)
        await rig.manager.stop()
        await task
        assert rig.manager.engine.jumps_detected == 1
        assert len(rig.service.calls) - calls_before == 5  # one refresh per session
        assert rig.service.refused == []
        for session in rig.manager.sessions():
            assert session.credentials_expire_at is not None
            assert session.credentials_expire_at > rig.clock.now()

    run(scenario())


def test_lead_warnings_fire_once_each_and_the_session_ends_at_its_limit() -> None:
    async def scenario() -> None:
        rig = make_rig(settings=Settings(expiry_lead_minutes=(30, 5)))
        events = collect(rig)
        (sid,) = await sign_in(rig)
        signed_in = rig.clock.now()
        await live_until(rig, 12 * 3600 + 60)
        leads = [e for e in events if e.kind is EventKind.EXPIRING_SOON]
        assert [e.lead for e in leads] == [timedelta(minutes=30), timedelta(minutes=5)]
        ended = [e for e in events if e.kind is EventKind.ENDED]
        assert len(ended) == 1
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.ENDED
        # the last grant is cut at the limit, in whole seconds: the end is known to within one
        limit = signed_in + timedelta(hours=12)
        assert limit - timedelta(seconds=1) <= session.session_ends_at <= limit
        assert not rig.paths.credentials_file(sid).exists()
        # 12 h of 900 s credentials renewed with 540 s left: one call every 360 s
        assert 115 <= len(rig.service.calls) <= 121
        assert rig.service.refused == []
        assert all(t < signed_in + timedelta(hours=12) for _, t in rig.service.calls)

    run(scenario())


def test_a_long_sleep_across_several_leads_gives_one_warning() -> None:
    async def scenario() -> None:
        rig = make_rig(settings=Settings(expiry_lead_minutes=(60, 30, 5)))
        events = collect(rig)
        await sign_in(rig)
        rig.clock.advance(11 * 3600 + 57 * 60, wall_only=True)
        await rig.manager.refresh_due()
        await rig.manager.refresh_due()
        leads = [e.lead for e in events if e.kind is EventKind.EXPIRING_SOON]
        assert leads == [timedelta(minutes=5)]

    run(scenario())


def test_token_expired_before_the_expected_end_means_sign_in_again_now() -> None:
    async def scenario() -> None:
        rig = make_rig()
        events = collect(rig)
        (sid,) = await sign_in(rig)
        session = rig.manager.table.get(sid)
        assert session is not None
        rig.clock.advance(3600)
        rig.service.revoke(session.identity.arn)
        await rig.manager.refresh_due()
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.NEEDS_SIGN_IN
        assert session.session_ends_at == rig.clock.now()
        assert session.state_reason == "The session has reached its maximum duration; sign in again."
        assert [e.kind for e in events].count(EventKind.NEEDS_SIGN_IN) == 1
        calls = len(rig.service.calls)
        rig.clock.advance(3600)
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == calls
        with pytest.raises(SignInRequired):
            await rig.manager.refresh(sid)

    run(scenario())


@pytest.mark.parametrize("reason", ["USER_CREDENTIALS_CHANGED", "INSUFFICIENT_PERMISSIONS"])
def test_other_sign_in_required_errors_stop_the_session(reason: str) -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        rig.clock.advance(400)
        rig.service.faults = [SignInRequired(f"message for {reason}", reason)]
        await rig.manager.refresh_due()
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.NEEDS_SIGN_IN
        assert session.state_reason == f"message for {reason}"
        assert session.history[-1].outcome == reason
        rig.clock.advance(400)
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == 1

    run(scenario())


def test_credentials_refreshed_by_another_process_are_adopted_without_a_call() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        session = rig.manager.table.get(sid)
        assert session is not None
        rig.clock.advance(400)
        # another process rotated the token and wrote fresh credentials
        old = rig.secrets.data[sid]
        fresh = await rig.service.refresh(old, None)
        rig.secrets.data[sid] = fresh.secrets
        rig.manager.store.write_credentials(sid, fresh.credentials)
        calls = len(rig.service.calls)
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == calls
        adopted = rig.manager.table.get(sid)
        assert adopted is not None
        assert adopted.credentials_expire_at == fresh.credentials.expires_at.replace(microsecond=0)
        # and the next refresh uses the new token, not the spent one
        rig.clock.advance(400)
        await rig.manager.refresh_due()
        assert rig.service.calls[-1][0] == fresh.secrets.refresh_token
        assert rig.service.refused == []

    run(scenario())


def test_a_shorter_grant_reveals_an_earlier_session_end() -> None:
    async def scenario() -> None:
        rig = make_rig(session_duration=timedelta(hours=12))
        events = collect(rig)
        rig.service.session_duration = timedelta(minutes=61)  # the console session is shorter
        (sid,) = await sign_in(rig)
        signed_in = rig.clock.now()
        await live_until(rig, 2 * 3600)
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.ENDED
        true_end = signed_in + timedelta(minutes=61)
        # AWS counts in whole seconds, so the lifetime it grants shows the end to within one
        assert true_end - timedelta(seconds=1) <= session.session_ends_at <= true_end
        assert [e.kind for e in events].count(EventKind.ENDED) == 1
        assert all(r.outcome == "ok" for r in session.history)  # never asked past the end
        assert rig.service.refused == []

    run(scenario())


def test_a_locked_secret_store_is_retried_not_burned() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        rig.clock.advance(400)
        rig.secrets.fail = SecretStoreUnavailable("The OS keyring is locked.")
        await rig.manager.refresh_due()
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.RETRYING
        assert session.state_reason is not None
        assert "locked" in session.state_reason
        assert rig.service.calls == []
        rig.secrets.fail = None
        await live_until(rig, 30)
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.FRESH
        assert len(rig.service.calls) == 1

    run(scenario())


def test_a_token_that_cannot_be_stored_is_kept_and_stored_later() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        rig.clock.advance(400)
        original_save = rig.secrets.save
        failing = [True]

        def save(session: object, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
            if failing[0]:
                failing[0] = False
                raise SecretStoreUnavailable("The OS keyring is locked.")
            original_save(session, secrets, credentials)  # type: ignore[arg-type]

        rig.secrets.save = save  # type: ignore[method-assign]
        await rig.manager.refresh_due()
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.RETRYING
        issued = rig.service.events[-1].split(":", 1)[1]
        await rig.manager.refresh(sid)
        assert rig.service.calls[-1][0] == issued  # the unsaved token was the one used
        assert rig.service.refused == []

    run(scenario())


def test_a_token_rotated_outside_our_lock_during_our_call_is_adopted_not_fatal() -> None:
    """botocore refreshes a login_session cache without our lock; losing that race is not the session's end."""

    async def scenario() -> None:
        rig = make_rig()
        (sid,) = await sign_in(rig)
        rig.clock.advance(400)  # inside the refresh window
        real_refresh = rig.service.refresh
        outside: list[SessionSecrets] = []

        async def racing_refresh(secrets: SessionSecrets, account_id: str | None) -> Any:
            if not outside:  # another refresher rotates the stored token at this very moment
                result = await real_refresh(secrets, account_id)
                rig.secrets.data[sid] = result.secrets
                rig.manager.store.write_credentials(sid, result.credentials)
                outside.append(result.secrets)
            return await real_refresh(secrets, account_id)

        rig.service.refresh = racing_refresh  # type: ignore[method-assign]
        await rig.manager.refresh_due()
        session = rig.manager.table.get(sid)
        assert session is not None
        assert session.state is SessionState.FRESH
        assert rig.secrets.data[sid] == outside[0]
        rig.clock.advance(400)
        await rig.manager.refresh_due()
        assert rig.service.calls[-1][0] == outside[0].refresh_token
        after = rig.manager.table.get(sid)
        assert after is not None
        assert after.state is SessionState.FRESH

    run(scenario())


def test_a_stop_asked_before_the_loop_starts_is_kept() -> None:
    """Quit right after start (a signal during start-up): the loop must not run on forever."""

    async def scenario() -> None:
        rig = make_rig()
        engine = rig.manager.engine
        await engine.stop()
        await asyncio.wait_for(engine.run(), timeout=5)
        assert rig.service.calls == []

    run(scenario())
