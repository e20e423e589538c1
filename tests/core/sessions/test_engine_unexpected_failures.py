"""A refresh that fails in a way nothing foresaw is backed off like any other failure, never a tight loop.

An ``agent`` whose lazily imported modules changed under it logged about
4,700 "refreshing" lines in 4 minutes without one token call: the failure
was neither a service error nor a sign-in error, so no retry time was set
and the session stayed due.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

import pytest

from core.domain.events import EventKind
from core.domain.model import SessionState
from core.sessions import engine as engine_module
from tests.doubles.manager_rig import Rig, make_rig

PASS_LIMIT = 400
"""Stops a test of a tight loop after this many passes instead of spinning through the whole minute."""


def break_the_client(rig: Rig) -> Callable[[], None]:
    rig.service.faults = [RuntimeError("boom: the response had no 'accessToken'") for _ in range(PASS_LIMIT)]
    return rig.service.faults.clear


def break_the_store(rig: Rig) -> Callable[[], None]:
    # What a module replaced under a running process raises on its first lazy import.
    rig.secrets.fail = ModuleNotFoundError("No module named 'core.storage.renamed'")

    def repair() -> None:
        rig.secrets.fail = None

    return repair


async def live_until(rig: Rig, seconds: float) -> None:
    """Run the engine loop until the fake clock has advanced ``seconds`` (or it ran :data:`PASS_LIMIT` passes)."""
    deadline = rig.clock.now() + timedelta(seconds=seconds)
    engine = rig.manager.engine
    passes = engine.passes
    task = asyncio.create_task(rig.manager.run_engine())
    while rig.clock.now() < deadline and engine.passes - passes < PASS_LIMIT and not task.done():  # noqa: ASYNC110
        await asyncio.sleep(0)
    await rig.manager.stop()
    await task


@pytest.mark.parametrize(
    ("breakage", "kind", "token_calls"),
    [(break_the_client, "RuntimeError", True), (break_the_store, "ModuleNotFoundError", False)],
    ids=["in-the-client", "before-the-token-call"],
)
def test_an_unexpected_failure_backs_off_with_jitter_and_says_why_once_per_attempt(
    breakage: Callable[[Rig], Callable[[], None]],
    kind: str,
    token_calls: bool,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger=engine_module.__name__)
    rig = make_rig()
    attempts: list[datetime] = []
    rig.manager.events.subscribe(
        lambda event: attempts.append(rig.clock.now()) if event.kind is EventKind.REFRESHING else None
    )

    async def scenario() -> None:
        session = await rig.manager.sign_in("us-east-1")
        rig.clock.advance(400)  # inside the refresh window (540 s of 900 s left)
        repair = breakage(rig)
        await live_until(rig, 60)

        # Backoff 1-2 s, 2-4 s, 4-8 s, 8-16 s, 16-32 s: at most six attempts in a minute, each later than the last.
        assert 4 <= len(attempts) <= 6, f"{len(attempts)} attempts in 60 s"
        gaps = [(b - a).total_seconds() for a, b in itertools.pairwise(attempts)]
        for n, gap in enumerate(gaps[:4]):
            ceiling = 2.0 * 2**n
            assert ceiling / 2 <= gap <= ceiling + 0.1, gaps
        assert len({round(g, 3) for g in gaps}) == len(gaps), "jittered"
        assert bool(rig.service.calls) is token_calls  # (no token is spent on a failure before the call)

        retrying = rig.manager.table.get(session.id)
        assert retrying is not None
        assert retrying.state is SessionState.RETRYING
        assert retrying.state_reason is not None
        assert kind in retrying.state_reason
        assert f"Attempt {len(attempts)} failed." in retrying.state_reason
        assert retrying.next_attempt_at is not None
        assert retrying.next_attempt_at > rig.clock.now()

        said = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == engine_module.__name__]
        assert len(said) == len(attempts), "one line per attempt"
        assert all(kind in r.getMessage() and "unexpectedly" in r.getMessage() for r in said)
        assert [f"Attempt {n}." in r.getMessage() for n, r in enumerate(said, 1)] == [True] * len(said)

        repair()
        await live_until(rig, 60)
        fresh = rig.manager.table.get(session.id)
        assert fresh is not None
        assert fresh.state is SessionState.FRESH
        assert fresh.next_attempt_at is None
        assert rig.service.refused == []

    asyncio.run(scenario())


def test_a_pass_that_keeps_failing_is_backed_off_too(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger=engine_module.__name__)
    rig = make_rig()

    def broken(*_args: object) -> None:
        raise AttributeError("'Settings' object has no attribute 'expiry_lead_minutes'")

    async def scenario() -> None:
        await rig.manager.sign_in("us-east-1")
        rig.clock.advance(400)  # due now: the loop would wake again at once
        monkeypatch.setattr(rig.manager.engine, "_check_leads", broken)
        before = rig.manager.engine.passes
        await live_until(rig, 60)
        passes = rig.manager.engine.passes - before
        assert 4 <= passes <= 12, f"{passes} passes in 60 s"
        assert len([r for r in caplog.records if r.getMessage() == "refresh pass failed"]) == passes

    asyncio.run(scenario())
