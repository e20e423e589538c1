"""sessions.json and the credentials files."""

from __future__ import annotations

import asyncio
import json
import stat
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from core.domain.errors import CacheFileError, ConfigFileError
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import (
    Credentials,
    RefreshRecord,
    Session,
    SessionState,
)
from core.storage.paths import AppPaths
from core.storage.store import MIGRATIONS, STORE_VERSION, SessionStore, SessionTable, StoreState
from tests.doubles.sessions import ARNS, START, build_session

STORED_FIELDS: dict[str, Any] = {
    "state": SessionState.RETRYING,
    "state_reason": "AWS Sign-In is busy.",
    "last_refresh_at": START,
    "history": (RefreshRecord(START, "CreateOAuth2Token", "ok"),),
    "sign_in_region": "us-east-1",
}
"""Every optional field set, so that a round trip shows each one survives."""


def stored_session(arn: str = ARNS[0], **changes: Any) -> Session:
    return build_session(arn, **{**STORED_FIELDS, **changes})


@pytest.fixture
def store() -> SessionStore:
    return SessionStore(AppPaths.from_environment())


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_round_trip_is_versioned_private_and_holds_no_secret(store: SessionStore) -> None:
    session = stored_session()
    store.save(StoreState(session.id, (session,)))
    document = json.loads(store.path.read_text())
    assert document["version"] == STORE_VERSION == 1
    assert document["active_session_id"] == session.id
    assert mode_of(store.path) == 0o600
    assert mode_of(store.path.parent) == 0o700
    assert "refresh" not in store.path.read_text().lower().replace("last_refresh_at", "")
    loaded = store.load()
    assert loaded == StoreState(session.id, (session,))


def test_a_missing_file_is_an_empty_store(store: SessionStore) -> None:
    assert store.load() == StoreState()


@pytest.mark.parametrize(
    "content",
    ["{not json", "[]", '{"version": 1, "sessions": [{"id": "x"}]}', '{"sessions": []}'],
)
def test_a_damaged_file_is_named_and_never_overwritten(store: SessionStore, content: str) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text(content)
    table = SessionTable(store, EventBus())
    with pytest.raises(ConfigFileError) as info:
        table.sync()
    assert str(store.path) in info.value.user_message
    with pytest.raises(ConfigFileError):
        table.mutate(lambda state: state.with_session(stored_session()))
    assert store.path.read_text() == content


def test_a_newer_format_is_refused_untouched(store: SessionStore) -> None:
    store.path.parent.mkdir(parents=True, exist_ok=True)
    store.path.write_text('{"version": 7, "sessions": []}')
    with pytest.raises(ConfigFileError, match="newer"):
        store.load()


def test_old_formats_are_migrated_step_by_step(store: SessionStore, monkeypatch: pytest.MonkeyPatch) -> None:
    session = stored_session()
    monkeypatch.setattr("core.storage.store.STORE_VERSION", 3)
    monkeypatch.setitem(
        MIGRATIONS, 1, lambda d: {**d, "sessions": [{**s, "region": "ap-south-1"} for s in d["sessions"]]}
    )
    monkeypatch.setitem(MIGRATIONS, 2, lambda d: {**d, "active_session_id": d["sessions"][0]["id"]})
    store.save(StoreState(None, (session,)))
    raw = json.loads(store.path.read_text())
    raw["version"] = 1
    store.path.write_text(json.dumps(raw))
    loaded = store.load()
    assert loaded.active_session_id == session.id
    assert loaded.sessions[0].region == "ap-south-1"


def test_credentials_file_is_credential_process_v1_plus_account(store: SessionStore) -> None:
    creds = Credentials("ASIAKEY", "s3cret", "tok", START + timedelta(minutes=15, microseconds=5), "111122223333")
    store.write_credentials("abc123", creds)
    path = store.paths.credentials_file("abc123")
    assert json.loads(path.read_text()) == {
        "Version": 1,
        "AccessKeyId": "ASIAKEY",
        "SecretAccessKey": "s3cret",
        "SessionToken": "tok",
        "Expiration": "2026-03-01T08:15:00Z",
        "AccountId": "111122223333",
    }
    assert mode_of(path) == 0o600
    assert mode_of(path.parent) == 0o700
    read = store.read_credentials("abc123")
    assert read is not None
    assert read.expires_at == START + timedelta(minutes=15)
    path.write_text('{"Version": 1}')
    with pytest.raises(CacheFileError):
        store.read_credentials("abc123")
    store.delete_credentials("abc123")
    assert store.read_credentials("abc123") is None


def test_table_announces_what_another_process_changed(store: SessionStore) -> None:
    events: list[SessionEvent] = []
    bus = EventBus()
    bus.subscribe(events.append)
    mine = SessionTable(store, bus)
    other = SessionTable(SessionStore(store.paths), EventBus())
    mine.sync()
    first, second = stored_session(ARNS[0]), stored_session(ARNS[1], profile_name="ops")
    other.mutate(lambda s: StoreState(first.id, (first, second)))
    assert mine.sync()
    assert [e.kind for e in events] == [EventKind.ADDED, EventKind.ADDED, EventKind.ACTIVE_CHANGED]
    events.clear()
    other.update_session(first.id, lambda s: s.evolve(state=SessionState.NEEDS_SIGN_IN))
    other.mutate(lambda s: s.without(second.id))
    mine.sync()
    assert [e.kind for e in events] == [EventKind.NEEDS_SIGN_IN, EventKind.REMOVED]
    assert not mine.sync()


def test_mutations_apply_to_what_is_on_disk_now(store: SessionStore) -> None:
    a = SessionTable(store, EventBus())
    b = SessionTable(SessionStore(store.paths), EventBus())
    a.sync()
    b.sync()
    first, second = stored_session(ARNS[0]), stored_session(ARNS[1], profile_name="ops")
    a.mutate(lambda s: s.with_session(first))
    b.mutate(lambda s: s.with_session(second))  # b's view was stale: must not drop `first`
    assert {s.id for s in store.load().sessions} == {first.id, second.id}


def test_the_active_role_is_kept_with_its_session_and_goes_with_it(store: SessionStore) -> None:
    session = stored_session()
    store.save(StoreState(session.id, (session,), "deploy"))
    assert json.loads(store.path.read_text())["active_role"] == "deploy"
    loaded = store.load()
    assert loaded.active_role == "deploy"
    assert loaded.without(session.id) == StoreState(None, (), None)

    store.save(StoreState(None, (session,), None))
    assert "active_role" not in json.loads(store.path.read_text())  # files stay readable by older versions

    events: list[SessionEvent] = []
    bus = EventBus()
    bus.subscribe(events.append)
    table = SessionTable(store, bus)
    table.sync()
    table.mutate(lambda st: StoreState(session.id, st.sessions, None))
    other = SessionTable(SessionStore(store.paths), EventBus())
    other.mutate(lambda st: StoreState(session.id, st.sessions, "deploy"))
    events.clear()
    table.sync()
    assert [e.kind for e in events] == [EventKind.ACTIVE_CHANGED]


def test_updates_off_the_loop_share_writes_and_keep_other_processes_changes(
    store: SessionStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[SessionEvent] = []
    bus = EventBus()
    bus.subscribe(events.append)
    mine = SessionTable(store, bus)
    other = SessionTable(SessionStore(store.paths), EventBus())
    sessions = [stored_session(arn, profile_name=f"p{n}") for n, arn in enumerate(ARNS[:5])]
    mine.mutate(lambda s: StoreState(None, tuple(sessions)))
    other.sync()
    other.update_session(sessions[4].id, lambda s: s.evolve(profile_name="renamed-elsewhere"))
    writes: list[int] = []
    save = store.save

    def counted_save(state: StoreState) -> None:
        writes.append(len(state.sessions))
        save(state)

    monkeypatch.setattr(store, "save", counted_save)
    loop_thread: list[bool] = []
    bus.subscribe(lambda _e: loop_thread.append(threading.current_thread() is threading.main_thread()))

    async def five_at_once() -> list[Session | None]:
        return await asyncio.gather(  # one write starts, the other four queue behind it
            *(
                mine.update_session_off_loop(s.id, lambda s: s.evolve(state=SessionState.FRESH, state_reason=None))
                for s in sessions[:4]
            ),
            mine.update_session_off_loop("no-such-session", lambda s: s),
        )

    results = asyncio.run(five_at_once())
    assert [r.state if r else None for r in results] == [SessionState.FRESH] * 4 + [None]
    assert 1 <= len(writes) <= 2, "updates queued behind a write are written together"
    on_disk = store.load()
    assert on_disk == mine.state
    by_id = {s.id: s for s in on_disk.sessions}
    assert [by_id[s.id].state for s in sessions[:4]] == [SessionState.FRESH] * 4
    assert by_id[sessions[4].id].profile_name == "renamed-elsewhere", "the other process's change is kept"
    assert [e.kind for e in events] == [EventKind.UPDATED], "and announced, on the loop's thread"
    assert loop_thread == [True]
    assert not mine.sync()


def test_a_failed_write_off_the_loop_reaches_every_waiter(store: SessionStore) -> None:
    table = SessionTable(store, EventBus())
    session = stored_session()
    table.mutate(lambda s: s.with_session(session))
    store.path.write_text("{not json")

    async def two() -> list[Session | BaseException | None]:
        return list(
            await asyncio.gather(
                table.update_session_off_loop(session.id, lambda s: s),
                table.update_session_off_loop(session.id, lambda s: s),
                return_exceptions=True,
            )
        )

    assert all(isinstance(r, ConfigFileError) for r in asyncio.run(two()))
    assert store.path.read_text() == "{not json"
