from __future__ import annotations

from datetime import timedelta

from pytestqt.qtbot import QtBot

from core.domain.events import EventKind, SessionEvent
from core.domain.model import SessionState
from gui.actions import SessionActions
from gui.notify import SIGN_IN_AGAIN, Notifier
from tests.doubles.front_end import RecordingBackend
from tests.doubles.session_service import RecordingSessionService


def make(actions: SessionActions) -> tuple[Notifier, RecordingBackend]:
    backend = RecordingBackend()
    return Notifier(actions, backend), backend


def test_each_notification_is_shown_once(service: RecordingSessionService, actions: SessionActions) -> None:
    session = service.fill(1)[0]
    notifier, backend = make(actions)
    warn30 = SessionEvent(EventKind.EXPIRING_SOON, session, lead=timedelta(minutes=30))
    warn5 = SessionEvent(EventKind.EXPIRING_SOON, session, lead=timedelta(minutes=5))
    for event in (warn30, warn30, warn5, warn30, warn5):
        notifier.on_event(event)
    assert len(backend.shown) == 2
    assert all(note.action == (SIGN_IN_AGAIN, "Sign in again") for note, _ in backend.shown)
    assert session.profile_name in backend.shown[0][0].body


def test_kinds_that_notify(service: RecordingSessionService, actions: SessionActions) -> None:
    session = service.fill(1)[0]
    notifier, backend = make(actions)
    for kind in EventKind:
        notifier.on_event(SessionEvent(kind, session, detail="AWS said no."))
    kinds = [note.key[1] for note, _ in backend.shown]
    assert kinds == ["added", "retrying", "expiring_soon", "needs_sign_in", "ended"]
    needs = next(note for note, _ in backend.shown if note.key[1] == "needs_sign_in")
    assert needs.critical
    assert "AWS said no." in needs.body


def test_retrying_notifies_again_only_after_a_success(
    service: RecordingSessionService, actions: SessionActions
) -> None:
    session = service.fill(1)[0]
    notifier, backend = make(actions)
    retry = SessionEvent(EventKind.RETRYING, session.evolve(state=SessionState.RETRYING), detail="HTTP 500")
    notifier.on_event(retry)
    notifier.on_event(retry)
    assert len(backend.shown) == 1
    notifier.on_event(SessionEvent(EventKind.REFRESHED, session))
    notifier.on_event(retry)
    assert len(backend.shown) == 2


def test_a_new_sign_in_of_the_same_session_can_warn_again(
    service: RecordingSessionService, actions: SessionActions
) -> None:
    session = service.fill(1)[0]
    notifier, backend = make(actions)
    notifier.on_event(SessionEvent(EventKind.ENDED, session))
    later = session.evolve(signed_in_at=session.signed_in_at + timedelta(hours=13))
    notifier.on_event(SessionEvent(EventKind.ENDED, later))
    notifier.on_event(SessionEvent(EventKind.ENDED, later))
    assert len(backend.shown) == 2


def test_sign_in_again_action_signs_that_session_in_again(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(2)
    notifier, backend = make(actions)
    target = sessions[1]
    notifier.on_event(SessionEvent(EventKind.NEEDS_SIGN_IN, target.evolve(state=SessionState.NEEDS_SIGN_IN)))
    note, callback = backend.shown[0]
    callback(note, SIGN_IN_AGAIN)
    qtbot.waitUntil(lambda: "sign_in_again" in service.names())
    assert ("sign_in_again", (target.id, False)) in service.calls


def test_a_burst_after_sleep_becomes_one_summary(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    first, second, third = service.fill(3)
    backend = RecordingBackend()
    notifier = Notifier(actions, backend, burst_ms=50)
    notifier.on_event(SessionEvent(EventKind.ENDED, first))
    notifier.on_event(SessionEvent(EventKind.NEEDS_SIGN_IN, second, detail="TOKEN_EXPIRED"))
    notifier.on_event(SessionEvent(EventKind.EXPIRING_SOON, third, lead=timedelta(minutes=5)))
    notifier.on_event(SessionEvent(EventKind.ENDED, first))  # a repeat stays out of the summary
    assert backend.shown == []
    qtbot.waitUntil(lambda: len(backend.shown) == 1)
    summary = backend.shown[0][0]
    assert summary.title == "3 AWS session updates"
    assert summary.critical
    for session in (first, second, third):
        assert session.profile_name in summary.body

    notifier.on_event(SessionEvent(EventKind.ENDED, third))
    qtbot.waitUntil(lambda: len(backend.shown) == 2)
    assert backend.shown[1][0].title == f"AWS session ended: {third.profile_name}"
