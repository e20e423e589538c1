"""Trouble where the eye is, one step back for a dead session, a keyboard-complete switcher, the filter."""

from __future__ import annotations

from datetime import timedelta

import shiboken6
from PySide6.QtCore import QCoreApplication, QEvent, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from core.domain.errors import TransientServiceError
from core.domain.events import EventKind, SessionEvent
from core.domain.model import Session, SessionState
from gui.actions import SessionActions
from gui.icons import TrayStatus
from gui.notify import Notifier
from gui.switcher import SwitcherWindow
from tests.doubles.clock import ManualClock
from tests.doubles.front_end import RecordingBackend, RecordingSink
from tests.doubles.session_service import RecordingSessionService
from tests.doubles.widgets import make_switcher, make_tray


def retrying(session: Session, clock: ManualClock, seconds: int = 42) -> Session:
    return session.evolve(
        state=SessionState.RETRYING,
        state_reason="AWS Sign-In had a temporary problem; retrying later. Attempt 3 failed.",
        next_attempt_at=clock.now() + timedelta(seconds=seconds),
    )


def dead_of(sessions: list[Session]) -> Session:
    return next(s for s in sessions if s.state is SessionState.NEEDS_SIGN_IN)


def select(window: SwitcherWindow, session: Session) -> None:
    row = window.proxy.mapFromSource(window.model.index(window.model.row_of(session.id), 0)).row()
    window.table.setFocus()
    window.table.selectRow(row)
    assert window.selected_id() == session.id


# -- attention -------------------------------------------------------------------------


def test_a_retrying_session_turns_the_icon_menu_and_tooltip(
    service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    sessions = service.fill(3, active=0)
    tray = make_tray(actions)
    before: TrayStatus = tray.status
    assert before is TrayStatus.EXPIRING  # the samples hold one session near its end
    trouble = retrying(sessions[1], clock)
    service.publish(EventKind.RETRYING, trouble)
    tray.rebuild()
    assert tray.status is TrayStatus.RETRYING
    row = tray.session_actions[trouble.id]
    assert "retrying, next attempt in 42 s" in row.text()
    calm = tray.session_actions[sessions[2].id]
    assert row.icon().cacheKey() != calm.icon().cacheKey()
    tooltip = tray.tray.toolTip()
    assert "2 sessions need attention" in tooltip  # the retrying one and the one near its end
    assert f"{trouble.profile_name}: retrying, next attempt in 42 s" in tooltip
    clock.advance(30)
    tray.tick()
    assert "next attempt in 12 s" in tray.session_actions[trouble.id].text()


def test_a_dead_session_outranks_retrying(
    service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    sessions = service.fill(5, active=0)
    live = next(s for s in sessions if s.state is SessionState.FRESH)
    service.publish(EventKind.RETRYING, retrying(live, clock))
    tray = make_tray(actions)
    assert tray.status is TrayStatus.ATTENTION
    tooltip = tray.tray.toolTip()
    assert "2 sessions need attention" in tooltip or "3 sessions need attention" in tooltip
    assert tooltip.index("needs sign-in") < tooltip.index("retrying")


def test_switcher_shows_a_truthful_retry_countdown_without_doubled_punctuation(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    sessions = service.fill(2, active=0)
    trouble = retrying(sessions[1], clock, seconds=57)
    service.publish(EventKind.RETRYING, trouble)
    window = make_switcher(qtbot, service, actions)
    select(window, trouble)
    text = window.reason_label.text()
    assert "Next attempt in 57 s." in text
    assert ".)." not in text
    assert ".." not in text
    state_cell = window.model.index(window.model.row_of(trouble.id), 6)
    assert state_cell.data() == "Retrying · 57 s"
    clock.advance(20)
    window.tick()
    assert "Next attempt in 37 s." in window.reason_label.text()
    assert state_cell.data() == "Retrying · 37 s"


def test_a_failed_refresh_now_is_told_once_inline_never_in_a_box_or_notification(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, sink: RecordingSink, clock: ManualClock
) -> None:
    sessions = service.fill(2, active=0)
    backend = RecordingBackend()
    notifier = Notifier(actions, backend)
    service.events.subscribe(notifier.on_event)
    window = make_switcher(qtbot, service, actions)
    select(window, sessions[1])

    async def failing_refresh(session_id: str) -> Session:
        service.publish(EventKind.RETRYING, retrying(sessions[1], clock), detail="AWS Sign-In had a temporary problem.")
        raise TransientServiceError("AWS Sign-In had a temporary problem; retrying later.", 503)

    service.refresh = failing_refresh  # type: ignore[method-assign]
    QTest.keyClick(window.table, Qt.Key.Key_F5)
    qtbot.waitUntil(window.message.isVisible)
    assert "temporary problem" in window.message.text()
    assert sink.messages == []
    assert backend.shown == []


def test_a_failed_refresh_from_the_menu_is_left_to_the_session_state(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, sink: RecordingSink
) -> None:
    sessions = service.fill(2, active=0)
    service.fail["refresh"] = TransientServiceError("AWS Sign-In had a temporary problem; retrying later.", 503)
    actions.refresh(sessions[1].id)
    qtbot.waitUntil(lambda: "refresh" in service.names())
    qtbot.wait(50)
    assert sink.messages == []


# -- one-step recovery -----------------------------------------------------------------------


def test_a_dead_row_offers_sign_in_again_with_five_sessions(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(5, active=0)
    window = make_switcher(qtbot, service, actions)
    dead = dead_of(sessions)
    select(window, dead)
    assert not window.sign_in_button.isEnabled()  # five sessions: no sixth
    assert window.refresh_button.text().replace("&", "") == "Sign in again…"
    assert window.refresh_button.isEnabled()
    window.refresh_button.click()
    qtbot.waitUntil(lambda: "sign_in_again" in service.names())
    assert ("sign_in_again", (dead.id, False)) in service.calls
    qtbot.waitUntil(lambda: not actions.sign_in_running)
    assert window.refresh_button.text().replace("&", "") == "Refresh now"


def test_enter_on_a_dead_row_signs_it_in_again_instead_of_making_it_active(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(5, active=0)
    window = make_switcher(qtbot, service, actions)
    dead = dead_of(sessions)
    select(window, dead)
    QTest.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "sign_in_again" in service.names())
    assert "set_active" not in service.names()


def test_making_a_dead_session_active_asks_first(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(5, active=0)
    asked: list[str] = []
    answers = iter([False, True])

    def confirm(_parent: QWidget | None, title: str, text: str, accept: str = "") -> bool:
        asked.append(accept)
        return next(answers)

    actions.confirm = confirm
    dead = dead_of(sessions)
    assert not actions.make_active(dead.id)
    assert asked == ["Make active anyway"]
    assert actions.make_active(dead.id)
    qtbot.waitUntil(lambda: service.active_session_id() == dead.id)
    assert actions.make_active(sessions[1].id)
    assert len(asked) == 2  # a live session switches without a question


def test_choosing_a_dead_row_in_the_tray_menu_signs_it_in_again(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(5, active=0)
    tray = make_tray(actions)
    dead = dead_of(sessions)
    assert "needs sign-in: choose to sign in again" in tray.session_actions[dead.id].text()
    tray.session_actions[dead.id].trigger()
    qtbot.waitUntil(lambda: "sign_in_again" in service.names())
    assert "set_active" not in service.names()


def test_right_click_menu_offers_every_action(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(5, active=0)
    window = make_switcher(qtbot, service, actions)
    dead = dead_of(sessions)
    menu = window.context_menu_for(dead)
    assert menu is not None
    labels = [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]
    assert "Sign in again…" in labels
    assert "Refresh now" not in labels
    for label in ("Make active", "Copy profile name", "Copy account id", "Copy ARN", "Copy export lines", "Sign out…"):
        assert label in labels
    copy_arn = next(a for a in menu.actions() if a.text().replace("&", "") == "Copy ARN")
    copy_arn.trigger()
    clipboard = QApplication.clipboard()
    assert clipboard is not None
    assert clipboard.text() == dead.identity.arn
    assert window.message.isVisible()
    assert window.message.text() == "Copied ARN"
    export = next(a for a in menu.actions() if a.text().replace("&", "") == "Copy export lines")
    export.trigger()
    assert clipboard.text() == f"export AWS_PROFILE={dead.profile_name}\nexport AWS_REGION={dead.region}\n"


# -- keyboard and filter ---------------------------------------------------------------------------


def focus_chain(window: SwitcherWindow, steps: int) -> list[QWidget]:
    window.filter.setFocus()
    seen: list[QWidget] = []
    widget: QWidget | None = window.filter
    for _ in range(steps):
        assert widget is not None
        widget = widget.nextInFocusChain()
        while widget is not None and not (
            widget.isVisible() and widget.isEnabled() and widget.focusPolicy() & Qt.FocusPolicy.TabFocus
        ):
            widget = widget.nextInFocusChain()
        assert widget is not None
        seen.append(widget)
    return seen


def test_tab_goes_filter_table_buttons_and_leaves_the_selection_alone(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(3, active=0)
    window = make_switcher(qtbot, service, actions)
    chain = focus_chain(window, 6)
    assert chain[0] is window.table
    assert chain[1:6] == window.row_buttons
    assert not window.table.tabKeyNavigation()
    select(window, sessions[1])
    QTest.keyClick(window.table, Qt.Key.Key_Tab)
    assert window.selected_id() == sessions[1].id


def test_buttons_have_mnemonics_and_f5_refreshes(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(3, active=0)
    window = make_switcher(qtbot, service, actions)
    letters = [b.text()[b.text().index("&") + 1].lower() for b in window.row_buttons]
    assert len(set(letters)) == len(letters)
    live = next(s for s in sessions if s.state is SessionState.FRESH)
    select(window, live)
    QTest.keyClick(window.table, Qt.Key.Key_F5)
    qtbot.waitUntil(lambda: "refresh" in service.names())
    assert ("refresh", (live.id,)) in service.calls


def test_filter_clears_on_opening_and_says_when_nothing_matches(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    service.fill(5)
    window = make_switcher(qtbot, service, actions)
    QTest.keyClicks(window.filter, "dev")
    assert window.proxy.rowCount() == 1
    window.hide()
    window.present()
    assert window.filter.text() == ""
    assert window.proxy.rowCount() == 5
    assert window.filter.hasFocus() or QApplication.focusWidget() in (window.filter, None)
    QTest.keyClicks(window.filter, "nothing-like-this")
    assert window.proxy.rowCount() == 0
    assert window.no_match.isVisibleTo(window)
    assert "No session matches “nothing-like-this”" in window.no_match.text()


def test_escape_clears_the_filter_then_closes(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    service.fill(3)
    window = make_switcher(qtbot, service, actions)
    QTest.keyClicks(window.filter, "dev")
    window.escape()
    assert window.isVisible()
    assert window.filter.text() == ""
    assert not window.no_match.isVisibleTo(window)
    window.escape()
    assert not window.isVisible()


def test_the_retrying_notification_gives_the_real_next_attempt(
    service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    sessions = service.fill(2)
    backend = RecordingBackend()
    notifier = Notifier(actions, backend)
    trouble = retrying(sessions[1], clock, seconds=42)
    notifier.on_event(SessionEvent(EventKind.RETRYING, trouble, trouble.state_reason))
    (note, _callback) = backend.shown[0]
    assert "Attempt 3 failed. Next attempt in 42 s;" in note.body
    assert ".." not in note.body


def test_a_right_click_menu_is_deleted_once_it_hides(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    """Choosing an item hides a popup menu without closing it: it must still go, or every right-click stays."""
    sessions = service.fill(2, active=0)
    window = make_switcher(qtbot, service, actions)
    menu = window.context_menu_for(sessions[1])
    assert menu is not None
    menu.popup(window.mapToGlobal(window.rect().center()))
    qtbot.waitUntil(menu.isVisible)
    menu.hide()
    QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    assert not shiboken6.isValid(menu)
