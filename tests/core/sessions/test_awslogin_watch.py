"""The aws login watcher wakes the process only while some session is in login_session mode."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from core.domain.events import EventKind, SessionEvent
from core.domain.model import CredentialMode
from core.domain.ports import SystemClock
from core.sessions.manager import SessionManager
from core.storage.paths import AppPaths
from core.storage.settings import Settings
from core.storage.store import StoreState
from tests.doubles.sessions import ARNS, build_session


def test_no_look_at_the_cache_without_a_login_session_session(monkeypatch: pytest.MonkeyPatch) -> None:
    manager = SessionManager(AppPaths.from_environment(), clock=SystemClock(), open_browser=lambda _u: None,
                             settings=Settings())  # fmt: skip
    follower = manager.aws_login
    follower.interval = 0.01
    looks: list[int] = []

    def look() -> list[object]:
        looks.append(1)
        return []

    monkeypatch.setattr(follower, "check_all", look)
    now = datetime.now(UTC)
    process = build_session(ARNS[0], now=now, profile="p1")
    login = build_session(ARNS[1], now=now, profile="p2", credential_mode=CredentialMode.LOGIN_SESSION)

    async def scenario() -> None:
        manager.table.mutate(lambda _s: StoreState(None, (process,)))
        watcher = asyncio.create_task(follower.watch())
        await asyncio.sleep(0.2)
        assert looks == [], "a credential_process session alone needs no look, so nothing wakes"
        manager.table.mutate(lambda s: s.with_session(login))
        manager.events.publish(SessionEvent(EventKind.ADDED, login))
        await asyncio.sleep(0.2)
        assert len(looks) >= 5, "with a login_session session it looks every interval"
        manager.table.mutate(lambda s: s.without(login.id))
        manager.events.publish(SessionEvent(EventKind.REMOVED, login))
        await asyncio.sleep(0.05)
        settled = len(looks)
        await asyncio.sleep(0.2)
        assert len(looks) == settled, "and stops again once none is left"
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)

    asyncio.run(scenario())
