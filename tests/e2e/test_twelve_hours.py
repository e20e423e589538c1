"""Done when: five sessions live through twelve hours of refreshes and faults.

The emulator runs with AWS's real lifetimes (900-second credentials, 12-hour
sessions). Time is simulated: the engine's sleep moves a clock that stays in
lock-step with the emulator's (``POST /_emulator/clock``), so twelve hours
pass in well under a minute while every token call is a real HTTP request
with a real DPoP proof, and every credential is checked by the emulator's STS.

Printed figures (run with ``-s``): refresh latency, token calls, the least
validity any session's credentials had at any check, sessions lost.
"""

from __future__ import annotations

import asyncio
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.events import EventKind, SessionEvent
from core.domain.model import SessionState
from core.signin.client import SigninClient
from core.storage.paths import AppPaths
from core.storage.settings import Settings
from core.storage.store import SessionStore
from tests.doubles.browser import ApprovingBrowser
from tests.doubles.clock import OffsetClock
from tests.doubles.emulator_rig import make_manager, point_sdk_at, refused
from tests.support.emulator import EmulatorHandle

pytestmark = pytest.mark.slow

HOUR = 3600.0


@dataclass
class Fault:
    at_hours: float
    action: Callable[[EmulatorHandle], None]
    label: str
    done: bool = False


@dataclass
class Observations:
    checks: int = 0
    least_validity: float = float("inf")
    violations: list[str] = field(default_factory=list)
    sts_checks: int = 0
    ended_at: dict[str, datetime] = field(default_factory=dict)
    events: list[SessionEvent] = field(default_factory=list)


def fault_plan() -> list[Fault]:
    """What goes wrong during the day, by simulated hour."""
    return [
        Fault(1.0, lambda e: e.inject_fault("500", 3), "three 500s"),
        Fault(3.0, lambda e: e.inject_fault("429", 4), "four 429s"),
        Fault(5.0, lambda e: e.control("POST", "/_emulator/delay", {"seconds": 0.3}), "slow answers"),
        Fault(5.5, lambda e: e.control("POST", "/_emulator/delay", {"seconds": 0}), "fast again"),
        Fault(7.0, lambda e: e.inject_fault("500", 25), "an outage of 25 failed calls"),
        Fault(9.0, lambda e: e.inject_fault("429", 12), "twelve 429s"),
    ]


class Day:
    """The simulated day: the engine's sleep moves time, injects faults and checks every session."""

    def __init__(self, emulator: EmulatorHandle) -> None:
        self.emulator = emulator
        self.clock = OffsetClock(followers=[emulator.advance_clock])
        self.seen = Observations()
        self.faults = fault_plan()
        self.store_view = SessionStore(AppPaths.from_environment())
        self.sts = SigninClient("us-east-1", clock=self.clock)
        self.start = self.clock.now()
        self.next_sts_check = self.start

    async def check(self) -> None:
        now = self.clock.now()
        seen = self.seen
        seen.checks += 1
        for session in self.store_view.load().sessions:
            if session.state in (SessionState.ENDED, SessionState.NEEDS_SIGN_IN) or session.session_ends_at <= now:
                continue  # ended, or ending in the pass that follows this very check
            creds = self.store_view.read_credentials(session.id)
            if creds is None:
                seen.violations.append(f"{now}: {session.profile_name} has no credentials")
                continue
            left = (creds.expires_at - now).total_seconds()
            if creds.expires_at < session.session_ends_at - timedelta(seconds=2):
                # (the last credentials of a session run out with it: nothing longer exists)
                seen.least_validity = min(seen.least_validity, left)
            if left <= 0:
                seen.violations.append(f"{now}: {session.profile_name} credentials expired {-left:.0f} s ago")
            if now >= self.next_sts_check:
                arn = await self.sts.caller_identity(creds)
                seen.sts_checks += 1
                if arn != session.identity.arn:
                    seen.violations.append(f"{now}: STS says {arn} for {session.identity.arn}")
        if now >= self.next_sts_check:
            self.next_sts_check = now + timedelta(hours=1)

    async def sleep(self, seconds: float) -> None:
        self.clock.advance(seconds)
        elapsed_hours = (self.clock.now() - self.start).total_seconds() / HOUR
        for fault in self.faults:
            if not fault.done and elapsed_hours >= fault.at_hours:
                fault.action(self.emulator)
                fault.done = True
        await self.check()
        await asyncio.sleep(0)

    def record(self, event: SessionEvent) -> None:
        self.seen.events.append(event)
        if event.kind is EventKind.ENDED and event.session is not None:
            self.seen.ended_at[event.session.id] = self.clock.now()


def test_five_sessions_live_through_twelve_hours_of_refreshes_and_faults(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_sdk_at(emulator, monkeypatch)
    browser = ApprovingBrowser(emulator)
    browser.choices = [1, 2, 3, 4, 5]
    day = Day(emulator)
    latencies: list[float] = []

    async def scenario() -> None:
        manager = make_manager(
            emulator,
            browser,
            clock=day.clock,
            sleep=day.sleep,
            latencies=latencies,
            settings=Settings(expiry_lead_minutes=(30, 5)),
        )
        manager.events.subscribe(day.record)
        for _ in range(5):
            await manager.sign_in("us-east-1")
        assert browser.errors == []
        await day.check()
        task = asyncio.create_task(manager.run_engine())
        limit = day.start + timedelta(hours=12, minutes=10)
        while len(day.seen.ended_at) < 5 and day.clock.now() < limit and not task.done():  # noqa: ASYNC110
            await asyncio.sleep(0.01)
        await manager.stop()
        await task

    real_start = time.perf_counter()
    asyncio.run(scenario())
    real_seconds = time.perf_counter() - real_start
    report_and_verify(day, latencies=latencies, real_seconds=real_seconds)


def report_and_verify(day: Day, *, latencies: list[float], real_seconds: float) -> None:
    """Print the figures, then check every promise of the twelve hours."""
    emulator, store_view, seen, faults = day.emulator, day.store_view, day.seen, day.faults
    tokens = emulator.tokens()
    sessions = {s.id: s for s in store_view.load().sessions}
    lost = [s.profile_name for s in sessions.values() if s.state is SessionState.NEEDS_SIGN_IN]
    normal = sorted(latencies)
    print(  # the figures this test exists to measure
        f"\n12 h simulated in {real_seconds:.1f} s real: {len(latencies)} refresh calls, "
        f"latency median {statistics.median(normal) * 1000:.1f} ms, "
        f"p95 {normal[int(len(normal) * 0.95)] * 1000:.1f} ms, max {normal[-1] * 1000:.1f} ms; "
        f"{seen.checks} checks, least validity at any check {seen.least_validity:.0f} s; "
        f"{seen.sts_checks} STS checks; sessions lost under faults: {len(lost)}"
    )

    assert seen.violations == []
    assert lost == [], [
        (s.state_reason, s.history[-3:], tokens["refused"][-3:])
        for s in sessions.values()
        if s.state is SessionState.NEEDS_SIGN_IN
    ]
    assert refused(emulator) == []
    assert all(f.done for f in faults)
    # botocore's LoginProvider would take over below 5 minutes: we never let it get there
    assert seen.least_validity > 300
    logins = {login["session_arn"]: login for login in tokens["login_sessions"]}
    assert len(logins) == 5
    for session in sessions.values():
        login = logins[session.identity.arn]
        assert session.state is SessionState.ENDED
        # every rotation happened, each token used exactly once
        refreshed = [
            e
            for e in seen.events
            if e.kind is EventKind.REFRESHED and e.session is not None and e.session.id == session.id
        ]
        assert login["refreshes"] == len(refreshed) >= 115
        assert len(session.history) == 100  # capped: the last hundred token calls
        own = [t for t in tokens["refresh_tokens"] if t["session_arn"] == session.identity.arn]
        assert sum(t["state"] == "current" for t in own) == 1
        assert all(t["uses"] == 1 for t in own if t["state"] == "rotated")
        # ended exactly at the limit the service enforces
        true_end = datetime.fromtimestamp(login["ends_at"], UTC)
        assert true_end - timedelta(seconds=2) <= seen.ended_at[session.id] <= true_end + timedelta(seconds=2)
        warnings = [
            e.lead
            for e in seen.events
            if e.kind is EventKind.EXPIRING_SOON and e.session is not None and e.session.id == session.id
        ]
        assert warnings == [timedelta(minutes=30), timedelta(minutes=5)]


def test_real_time_with_short_lifetimes(
    emulator_factory: Callable[..., EmulatorHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same engine on the real clock, with 4-second credentials and 20-second sessions.

    The margins and backoff scale with the granted lifetime, and the session's
    real end is learnt from the shortened last grant (the manager assumes 12 h).
    """
    emulator = emulator_factory(credential_ttl=4, session_duration=20)
    point_sdk_at(emulator, monkeypatch)
    browser = ApprovingBrowser(emulator)
    browser.choices = [1, 3]
    violations: list[str] = []
    ended: dict[str, datetime] = {}

    async def scenario() -> None:
        manager = make_manager(emulator, browser, settings=Settings(expiry_lead_minutes=()), max_idle_sleep=0.5)

        def record(event: SessionEvent) -> None:
            if event.kind is EventKind.ENDED and event.session is not None:
                ended[event.session.id] = datetime.now(UTC)

        manager.events.subscribe(record)
        for _ in range(2):
            await manager.sign_in("us-east-1")
        task = asyncio.create_task(manager.run_engine())
        deadline = time.monotonic() + 40
        while len(ended) < 2 and time.monotonic() < deadline:
            now = datetime.now(UTC)
            for session in manager.sessions():
                if session.state is SessionState.ENDED or session.session_ends_at <= now:
                    continue
                creds = manager.store.read_credentials(session.id)
                if creds is None or creds.expires_at <= now:
                    violations.append(f"{now}: {session.profile_name} without valid credentials")
            await asyncio.sleep(0.2)
        await manager.stop()
        await task

    asyncio.run(scenario())
    assert violations == [], violations
    assert refused(emulator) == []
    logins = {login["session_arn"]: login for login in emulator.tokens()["login_sessions"]}
    sessions = SessionStore(AppPaths.from_environment()).load().sessions
    assert len(sessions) == 2
    for session in sessions:
        login = logins[session.identity.arn]
        assert session.state is SessionState.ENDED
        assert login["refreshes"] >= 6  # 4 s credentials renewed with 2.4 s left, for 20 s
        true_end = datetime.fromtimestamp(login["ends_at"], UTC)
        assert true_end - timedelta(seconds=2) <= ended[session.id] <= true_end + timedelta(seconds=1)
