"""The session table announces other processes' changes, never its own writes.

A look at ``sessions.json`` (the ``aws login`` follower's, every second; a
locked change of another session) may come while a write of this process is
under way or has just landed. Taking that write for another process's change
announced one refresh two or three times, once with the session as it was
before it (the twelve-hour run counted 122 REFRESHED events for 118 token calls).
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import Session, SessionState
from core.storage.paths import AppPaths
from core.storage.store import SessionStore, SessionTable, StoreState
from tests.doubles.sessions import ARNS, START, build_session

WAIT = 10.0
"""Seconds a test waits for the other thread before it fails instead of hanging."""


@dataclass
class Rig:
    store: SessionStore
    table: SessionTable
    sessions: list[Session]
    events: list[SessionEvent] = field(default_factory=list)

    def refreshed(self, session: Session) -> Session:
        return session.evolve(state=SessionState.FRESH, last_refresh_at=START + timedelta(minutes=6))


@pytest.fixture
def rig() -> Rig:
    store = SessionStore(AppPaths.from_environment())
    bus = EventBus()
    table = SessionTable(store, bus)
    sessions = [build_session(arn, profile_name=f"p{n}", last_refresh_at=START) for n, arn in enumerate(ARNS[:2])]
    table.mutate(lambda _s: StoreState(None, tuple(sessions)))
    rig = Rig(store, table, sessions)
    bus.subscribe(rig.events.append)
    return rig


class Pause:
    """Holds a worker thread at one point until the loop's side has done its part."""

    def __init__(self) -> None:
        self.reached = threading.Event()
        self.go = threading.Event()

    def here(self) -> None:
        self.reached.set()
        assert self.go.wait(WAIT), "the loop never let the write go on"

    async def until_reached(self) -> None:
        for _ in range(int(WAIT / 0.005)):
            if self.reached.is_set():
                return
            await asyncio.sleep(0.005)
        raise AssertionError("the write never got there")


def pause_after(target: object, name: str, monkeypatch: pytest.MonkeyPatch) -> Pause:
    """Make ``target.name`` pause in its worker thread after doing its work."""
    pause = Pause()
    original: Callable[..., object] = getattr(target, name)

    def paused(*args: object) -> object:
        result = original(*args)
        pause.here()
        return result

    monkeypatch.setattr(target, name, paused)
    return pause


async def write_while(rig: Rig, pause: Pause, meanwhile: Callable[[], object]) -> Session | None:
    """Refresh the first session off the loop; run ``meanwhile`` on the loop while the write is paused."""
    first = rig.sessions[0]
    writing = asyncio.create_task(rig.table.update_session_off_loop(first.id, rig.refreshed))
    await pause.until_reached()
    meanwhile()
    pause.go.set()
    return await writing


def test_a_look_while_our_write_is_under_way_announces_nothing_of_ours(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = pause_after(rig.store, "save", monkeypatch)  # the file is written, the lock still held
    updated = asyncio.run(write_while(rig, pause, rig.table.sync))
    assert updated is not None
    assert rig.events == [], "the caller announces its own change; the table adds nothing"
    assert rig.table.state == rig.store.load()
    assert rig.table.get(updated.id) == updated


def test_a_change_right_after_our_write_lands_announces_nothing_of_ours(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = pause_after(rig.table, "_write_batch", monkeypatch)  # written and unlocked, not yet in the view
    second = rig.sessions[1]

    def rename_second() -> None:
        rig.table.update_session(second.id, lambda s: s.evolve(profile_name="renamed"))

    asyncio.run(write_while(rig, pause, rename_second))
    assert rig.events == []
    on_disk = rig.store.load()
    assert rig.table.state == on_disk
    assert [s.profile_name for s in on_disk.sessions] == ["p0", "renamed"]
    assert on_disk.sessions[0].last_refresh_at == START + timedelta(minutes=6)


def test_another_process_changing_a_session_during_our_write_is_announced_once(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    pause = pause_after(rig.table, "_write_batch", monkeypatch)
    other = SessionTable(SessionStore(rig.store.paths), EventBus())
    second = rig.sessions[1]

    def another_process_then_a_look() -> None:
        other.update_session(second.id, lambda s: s.evolve(state=SessionState.NEEDS_SIGN_IN))
        rig.table.sync()

    asyncio.run(write_while(rig, pause, another_process_then_a_look))
    assert [(e.kind, e.session.id if e.session else None) for e in rig.events] == [(EventKind.NEEDS_SIGN_IN, second.id)]
    assert rig.table.state == rig.store.load()
    assert not rig.table.sync()
