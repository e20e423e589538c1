"""One REFRESHED event per refresh, wherever it was made: what the tray, its notifications and the agent's log count."""

from __future__ import annotations

import asyncio
import time

from core.domain.events import EventKind, SessionEvent
from core.domain.model import SessionState
from tests.doubles.manager_rig import Rig, make_rig


def refreshed(events: list[SessionEvent], session_id: str) -> list[SessionEvent]:
    return [e for e in events if e.kind is EventKind.REFRESHED and e.session is not None and e.session.id == session_id]


async def until(condition: object, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


def test_a_refresh_another_process_made_while_we_waited_for_its_lock_is_announced_once() -> None:
    """The tray finds the session due, waits for the agent's lock, then adopts the agent's result."""
    agent = make_rig()
    tray = make_rig(clock=agent.clock, service=agent.service, secrets=agent.secrets)
    seen: list[SessionEvent] = []

    async def scenario() -> None:
        session = await agent.manager.sign_in("us-east-1")
        assert [s.id for s in tray.manager.sessions()] == [session.id]
        tray.manager.events.subscribe(seen.append)
        agent.clock.advance(400.25)  # inside the refresh window, for both (and off whole seconds, as AWS times are)
        agent.service.gate = asyncio.Event()
        agent_refresh = asyncio.create_task(agent.manager.refresh(session.id))
        await until(lambda: len(agent.service.calls) == 1)  # the agent holds the lock, its call in flight
        tray_pass = asyncio.create_task(tray.manager.refresh_due())
        await until(lambda: any(e.kind is EventKind.REFRESHING for e in seen))  # the tray waits for the lock
        agent.service.gate.set()
        await agent_refresh
        await tray_pass

        assert len(agent.service.calls) == 1, "the tray adopted the agent's result without a call"
        current = tray.manager.table.get(session.id)
        assert current is not None
        assert current.state is SessionState.FRESH
        assert len(refreshed(seen, session.id)) == 1, [(e.kind, e.detail) for e in seen]

    asyncio.run(scenario())


def test_credentials_refreshed_outside_the_app_are_announced_once_when_adopted() -> None:
    """botocore refreshed a login_session cache file: the sessions file knows nothing, the adoption says so once."""
    rig: Rig = make_rig()
    seen: list[SessionEvent] = []

    async def scenario() -> None:
        session = await rig.manager.sign_in("us-east-1")
        rig.manager.events.subscribe(seen.append)
        rig.clock.advance(400)
        fresh = await rig.service.refresh(rig.secrets.data[session.id], None)
        rig.secrets.data[session.id] = fresh.secrets
        rig.manager.store.write_credentials(session.id, fresh.credentials)
        calls = len(rig.service.calls)
        await rig.manager.refresh_due()
        assert len(rig.service.calls) == calls
        assert [e.detail for e in refreshed(seen, session.id)] == ["adopted credentials refreshed by another process"]

    asyncio.run(scenario())
