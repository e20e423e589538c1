"""What needs the user's eye, and a "next attempt" time that the engine keeps."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from core.domain.errors import SignInRequired, TransientServiceError
from core.domain.model import SessionState
from core.sessions.attention import Attention, attention_of, next_attempt_in, overall_attention
from core.storage.storeformat import session_from_json, session_to_json
from tests.doubles.manager_rig import make_rig


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def test_a_failing_background_refresh_says_when_it_really_tries_again() -> None:
    async def scenario() -> None:
        rig = make_rig()
        session = await rig.manager.sign_in("us-east-1")
        rig.service.faults = [TransientServiceError("AWS Sign-In had a temporary problem.", 503)]
        rig.clock.advance(400)  # inside the refresh window (540 s of 900 s left)
        await rig.manager.refresh_due()
        retrying = rig.manager.table.get(session.id)
        assert retrying is not None
        assert retrying.state is SessionState.RETRYING
        assert retrying.state_reason is not None
        assert "Retrying in" not in retrying.state_reason
        assert "Attempt 1 failed." in retrying.state_reason
        wait = next_attempt_in(retrying, rig.clock.now())
        assert wait is not None
        assert timedelta(0) < wait <= timedelta(seconds=2)
        assert attention_of(retrying, rig.clock.now(), (30, 5)) is Attention.RETRYING
        calls = len(rig.service.calls)
        rig.clock.advance(wait.total_seconds() / 2)
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == calls  # not before the time it announced
        rig.clock.advance(wait.total_seconds())
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == calls + 1
        fresh = rig.manager.table.get(session.id)
        assert fresh is not None
        assert fresh.state is SessionState.FRESH
        assert fresh.next_attempt_at is None
        assert next_attempt_in(fresh, rig.clock.now()) is None

    run(scenario())


def test_a_failed_refresh_now_announces_the_refresh_window_not_a_one_second_retry() -> None:
    async def scenario() -> None:
        rig = make_rig()
        session = await rig.manager.sign_in("us-east-1")
        rig.service.faults = [TransientServiceError("AWS Sign-In had a temporary problem.", 503)]
        with pytest.raises(TransientServiceError):
            await rig.manager.refresh(session.id)
        retrying = rig.manager.table.get(session.id)
        assert retrying is not None
        assert retrying.next_attempt_at == rig.manager.engine.due_at(session)
        assert next_attempt_in(retrying, rig.clock.now()) == timedelta(seconds=360)
        stored = session_from_json(session_to_json(retrying))
        assert stored.next_attempt_at == retrying.next_attempt_at

    run(scenario())


def test_the_worst_session_decides_and_dead_sessions_need_a_sign_in() -> None:
    async def scenario() -> None:
        rig = make_rig(settings=None)
        first = await rig.manager.sign_in("us-east-1")
        second = await rig.manager.sign_in("us-east-1")
        now = rig.clock.now()
        assert overall_attention([], now, (30, 5)) is Attention.NONE
        assert overall_attention([first, second], now, (30, 5)) is Attention.NONE
        assert attention_of(first, first.session_ends_at - timedelta(minutes=20), (30, 5)) is Attention.EXPIRING
        rig.service.faults = [SignInRequired("revoked", "TOKEN_EXPIRED")]
        with pytest.raises(SignInRequired):
            await rig.manager.refresh(second.id)
        dead = rig.manager.table.get(second.id)
        assert dead is not None
        assert not dead.state.live
        assert overall_attention(rig.manager.sessions(), now, (30, 5)) is Attention.SIGN_IN

    run(scenario())
