"""The store reuses what it parsed and wrote, and still reads exactly what the file holds."""

from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest

from core.domain.model import RefreshRecord, SessionState
from core.storage.paths import AppPaths
from core.storage.store import SessionStore, StoreState
from core.storage.storeformat import HISTORY_LIMIT
from tests.doubles.sessions import ARNS, START, build_session


@pytest.fixture
def paths() -> AppPaths:
    return AppPaths.from_environment()


def fresh_read(paths: AppPaths) -> StoreState:
    """What a process that never saw the file before reads from it."""
    return SessionStore(paths).load()


def records(count: int, outcome: str = "ok") -> tuple[RefreshRecord, ...]:
    return tuple(RefreshRecord(START + timedelta(seconds=i), "CreateOAuth2Token", outcome) for i in range(count))


def test_after_a_write_the_store_reads_what_any_reader_reads(paths: AppPaths) -> None:
    store = SessionStore(paths)
    # Values the file cannot hold as they are: each is what a fresh reader sees, not what was saved.
    plus_two = timezone(timedelta(hours=2))
    odd = [
        build_session(ARNS[0], state=SessionState.REFRESHING, history=records(HISTORY_LIMIT + 5)),
        build_session(ARNS[1], now=START.astimezone(plus_two), profile="later"),
        build_session(ARNS[2], age=timedelta(hours=1), profile="earlier"),
    ]
    store.save(StoreState("0" * 64, tuple(odd), "role-without-its-session"))
    loaded = store.load()
    assert loaded == fresh_read(paths)
    refreshing = loaded.get(odd[0].id)
    assert refreshing is not None
    assert refreshing.state is SessionState.FRESH
    assert len(refreshing.history) == HISTORY_LIMIT
    assert [s.profile_name for s in loaded.sessions] == ["earlier", "dev", "later"]
    assert loaded.active_session_id is None


def test_a_run_of_changes_reads_back_as_a_fresh_reader_does(paths: AppPaths) -> None:
    store = SessionStore(paths)
    sessions = [build_session(arn, profile=f"p{i}") for i, arn in enumerate(ARNS[:3])]
    store.save(StoreState(sessions[0].id, tuple(sessions)))
    for step in range(12):
        state = store.load()
        changed = state.sessions[step % 3]
        record = RefreshRecord(START + timedelta(minutes=step), "CreateOAuth2Token", "ok")
        store.save(state.with_session(changed.evolve(history=(*changed.history, record), state_reason=f"r{step}")))
        assert store.load() == fresh_read(paths)
        assert store.load().get(changed.id).state_reason == f"r{step}"  # type: ignore[union-attr]


def test_a_write_by_another_process_is_read(paths: AppPaths) -> None:
    ours, theirs = SessionStore(paths), SessionStore(paths)
    session = build_session(ARNS[0])
    ours.save(StoreState(session.id, (session,)))
    assert ours.load().sessions == (session,)
    theirs.save(StoreState(session.id, (session.evolve(state_reason="changed elsewhere"),)))
    assert ours.load().sessions[0].state_reason == "changed elsewhere"
    theirs.save(StoreState())
    assert ours.load() == StoreState()


def test_a_hand_edit_that_only_looks_equal_is_read_as_written(paths: AppPaths) -> None:
    store = SessionStore(paths)
    session = build_session(ARNS[0], history=records(2), made_elsewhere=True)
    store.save(StoreState(session.id, (session,)))
    document = json.loads(store.path.read_text())
    entry = document["sessions"][0]
    entry["made_elsewhere"] = 1  # equal to True, and read as True
    entry["history"][0]["outcome"] = 1  # not equal to "ok": read as "1"
    store.path.write_text(json.dumps(document, indent=2))
    loaded = store.load()
    assert loaded == fresh_read(paths)
    assert loaded.sessions[0].made_elsewhere is True
    assert loaded.sessions[0].history[0].outcome == "1"
