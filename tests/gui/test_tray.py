from __future__ import annotations

from datetime import timedelta

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, QPoint
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon
from pytestqt.qtbot import QtBot

from core.domain.events import EventKind
from core.domain.model import SessionState
from gui.actions import SessionActions
from gui.dialogs import RegionChoice
from gui.icons import IconSet, TrayStatus
from gui.tray import TrayController
from tests.doubles.clock import ManualClock
from tests.doubles.session_service import RecordingSessionService
from tests.doubles.widgets import make_tray


def submenu(action: QAction) -> QMenu:
    menu = action.menu()
    assert isinstance(menu, QMenu)
    return menu


def status(tray: TrayController) -> TrayStatus:
    return tray.status


def texts(tray: TrayController) -> list[str]:
    return [a.text() for a in tray.menu.actions() if not a.isSeparator()]


def test_menu_lists_sessions_with_a_mark_on_the_active_one(
    service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(3, active=1)
    tray = make_tray(actions)
    items = texts(tray)
    for session in sessions:
        assert any(t.startswith(session.profile_name + "\t") and session.account_id in t for t in items)
    assert tray.active_id == sessions[1].id
    bold = [sid for sid, action in tray.session_actions.items() if action.font().bold()]
    assert bold == [sessions[1].id]
    assert not tray.session_actions[sessions[1].id].icon().isNull()
    assert sessions[0].identity.display_name in tray.session_actions[sessions[0].id].text()
    assert sessions[0].region in tray.session_actions[sessions[0].id].text()
    assert [t.replace("&", "") for t in items[-8:]] == [
        "Sign in…",
        "Sign in on another device…",
        "Open switcher…",
        "Settings…",
        "Undo last change to ~/.aws/config…",
        "Show log…",
        "About AWS Login Tray",
        "Quit",
    ]


def test_menu_rows_line_up_profile_left_details_right(
    service: RecordingSessionService, actions: SessionActions
) -> None:
    service.fill(5)
    tray = make_tray(actions)
    for action in tray.session_actions.values():
        profile, details = action.text().split("\t")
        assert " · " not in profile
        assert details.count(" · ") >= 3


def test_choosing_a_session_makes_it_active(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(3, active=0)
    tray = make_tray(actions)
    service.events.subscribe(tray.on_event)
    tray.session_actions[sessions[2].id].trigger()
    qtbot.waitUntil(lambda: service.active_session_id() == sessions[2].id)
    assert ("set_active", (sessions[2].id,)) in service.calls
    assert tray.active_id == sessions[2].id
    assert tray.session_actions[sessions[2].id].font().bold()
    assert not tray.session_actions[sessions[0].id].font().bold()


def plain(menu: QMenu) -> list[str]:
    return [a.text().replace("&", "") for a in menu.actions() if not a.isSeparator()]


def test_manage_submenu_holds_every_action_on_a_session(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(5, active=0)
    actions.confirm = lambda *_: True
    tray = make_tray(actions)
    service.events.subscribe(tray.on_event)
    submenus = [submenu(a) for a in tray.manage_menu.actions()]
    assert len(submenus) == 5
    assert [a.text() for a in tray.manage_menu.actions()] == [s.profile_name for s in sessions]
    needs = next(i for i, s in enumerate(sessions) if s.state is SessionState.NEEDS_SIGN_IN)
    fresh = next(i for i, s in enumerate(sessions) if i and s.state is SessionState.FRESH)
    copies = ["Copy profile name", "Copy account id", "Copy ARN", "Copy export lines"]
    assert plain(submenus[fresh]) == ["Make active", "Refresh now", "Add role…", *copies, "Sign out…"]
    assert plain(submenus[needs]) == ["Make active", "Sign in again…", *copies, "Sign out…"]
    assert not submenus[0].actions()[0].isEnabled()  # already the active one
    submenus[fresh].actions()[1].trigger()
    qtbot.waitUntil(lambda: "refresh" in service.names())
    assert ("refresh", (sessions[fresh].id,)) in service.calls
    submenus[fresh].actions()[-1].trigger()
    qtbot.waitUntil(lambda: sessions[fresh].id not in tray.session_actions)
    assert ("sign_out", (sessions[fresh].id,)) in service.calls


def test_countdown_ticks_while_the_menu_is_open(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    sessions = service.fill(1)
    tray = make_tray(actions)
    action: QAction = tray.session_actions[sessions[0].id]
    assert not tray.countdown_running()
    tray.menu.popup(QPoint(0, 0))
    qtbot.waitUntil(tray.menu.isVisible)
    assert tray.countdown_running()
    before = action.text()
    clock.advance(61)
    tray.tick()
    assert action.text() != before
    assert action.text().endswith("left")
    tray.menu.hide()
    qtbot.waitUntil(lambda: not tray.countdown_running())


def test_sign_in_is_disabled_with_five_sessions(service: RecordingSessionService, actions: SessionActions) -> None:
    service.fill(5)
    tray = make_tray(actions)
    assert not tray.sign_in_action.isEnabled()
    assert "5 of 5" in tray.sign_in_action.text()
    assert "five" in tray.sign_in_action.toolTip() or "5" in tray.sign_in_action.toolTip()
    assert not tray.remote_action.isEnabled()


def test_sign_in_enabled_below_five_and_starts_sign_in(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    service.fill(4)
    tray = make_tray(actions)
    service.events.subscribe(tray.on_event)
    assert tray.sign_in_action.isEnabled()
    actions.ask_region = lambda _parent, _current: RegionChoice("eu-west-2")
    tray.sign_in_action.trigger()
    qtbot.waitUntil(lambda: len(service.sessions()) == 5)
    assert service.calls[0] == ("sign_in", ("eu-west-2", None, False, None))
    assert not tray.sign_in_action.isEnabled()
    assert service.settings().default_region == "eu-west-2"


def test_icon_and_tooltip_follow_the_worst_state(
    service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    tray = make_tray(actions)
    assert status(tray) is TrayStatus.EMPTY
    assert "no sessions" in tray.tray.toolTip()
    sessions = service.fill(1, active=0)
    tray.rebuild()
    assert status(tray) is TrayStatus.FRESH
    assert sessions[0].profile_name in tray.tray.toolTip()
    assert "left" in tray.tray.toolTip()
    clock.advance((sessions[0].session_remaining(clock.now()).total_seconds()) - 10 * 60)
    tray.tick()
    assert status(tray) is TrayStatus.EXPIRING
    service.publish(EventKind.NEEDS_SIGN_IN, sessions[0].evolve(state=SessionState.NEEDS_SIGN_IN))
    tray.rebuild()
    assert status(tray) is TrayStatus.ATTENTION
    assert "needs sign-in" in tray.tray.toolTip()
    assert not tray.tray.icon().isNull()


def test_menu_commands(service: RecordingSessionService, actions: SessionActions) -> None:
    calls: list[str] = []
    tray = make_tray(actions, calls)
    tray.switcher_action.trigger()
    tray.settings_action.trigger()
    tray.quit_action.trigger()
    assert calls == ["switcher", "settings", "quit"]
    assert texts(tray)[0].startswith("No sessions yet")


def test_nothing_ticks_while_the_menu_is_closed_and_nothing_can_change(
    service: RecordingSessionService, actions: SessionActions
) -> None:
    tray = make_tray(actions)
    assert tray.icon_update_interval_ms() is None
    assert tray.countdown_interval_ms() is None
    sessions = service.fill(1, active=0)
    service.seed([sessions[0].evolve(state=SessionState.NEEDS_SIGN_IN)], sessions[0].id)
    tray.rebuild()
    assert tray.icon_update_interval_ms() is None


def test_closed_menu_redraws_the_icon_once_a_minute_at_most_and_when_its_status_changes(
    service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    sessions = service.fill(1, active=0)  # 9 h 47 min left
    tray = make_tray(actions)
    assert tray.icon_update_interval_ms() == 60_001
    lead = max(service.settings().expiry_lead_minutes)
    left = sessions[0].session_remaining(clock.now()).total_seconds()
    clock.advance(left - lead * 60 - 20)  # 20 s before the warning lead time
    tray.rebuild()
    assert tray.icon_update_interval_ms() == 20_001
    assert status(tray) is TrayStatus.FRESH
    clock.advance(20)
    tray.refresh_icon()
    assert status(tray) is TrayStatus.EXPIRING


def test_open_menu_ticks_at_the_resolution_it_shows(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, clock: ManualClock
) -> None:
    sessions = service.fill(1)  # hours left: minutes shown
    tray = make_tray(actions)
    clock.advance(1.5)
    tray.menu.popup(QPoint(0, 0))
    qtbot.waitUntil(tray.menu.isVisible)
    assert tray.countdown_interval_ms() == 58_501
    clock.advance(sessions[0].session_remaining(clock.now()).total_seconds() - 600.25)  # 10 min left: seconds shown
    tray.menu.hide()
    qtbot.waitUntil(lambda: not tray.countdown_running())
    tray.menu.popup(QPoint(0, 0))
    qtbot.waitUntil(tray.menu.isVisible)
    assert tray.countdown_interval_ms() == 251
    tray.menu.hide()


def test_undo_config_change_asks_first_and_then_restores(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    tray = make_tray(actions)
    assert tray.undo_config_action in tray.menu.actions()
    asked: list[str] = []

    def decline(_parent: object, title: str, _text: str, _accept: str) -> bool:
        asked.append(title)
        return False

    actions.confirm = decline
    tray.undo_config_action.trigger()
    assert asked == ["Undo the last change to ~/.aws/config?"]
    assert "undo_config_change" not in service.names()

    actions.confirm = lambda *_: True
    tray.undo_config_action.trigger()
    qtbot.waitUntil(lambda: service.config_undone == 1)
    assert service.names() == ["undo_config_change"]


@pytest.fixture
def rebuilds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per tray-menu rebuild from now on."""
    counted: list[int] = []
    original = TrayController.rebuild

    def counting(self: TrayController) -> None:
        counted.append(1)
        original(self)

    monkeypatch.setattr(TrayController, "rebuild", counting)
    return counted


def test_events_that_arrive_together_rebuild_the_closed_menu_once(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, rebuilds: list[int]
) -> None:
    """Five refreshes landing in one round: one rebuild on the next turn of the loop, not five."""
    sessions = service.fill(5, active=0)
    tray = make_tray(actions)
    service.events.subscribe(tray.on_event)
    rebuilds.clear()
    for session in sessions:
        service.publish(EventKind.REFRESHED, session)
    assert rebuilds == []
    qtbot.waitUntil(lambda: rebuilds == [1])
    qtbot.wait(50)
    assert rebuilds == [1]


def test_an_open_menu_is_rebuilt_at_once(
    service: RecordingSessionService, actions: SessionActions, rebuilds: list[int]
) -> None:
    sessions = service.fill(2, active=0)
    tray = make_tray(actions)
    service.events.subscribe(tray.on_event)
    tray.menu.aboutToShow.emit()
    rebuilds.clear()
    service.publish(EventKind.REFRESHED, sessions[1])
    assert rebuilds == [1]
    tray.menu.aboutToHide.emit()


def test_an_icon_shown_at_start_is_taken_over_with_the_real_menu(
    service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(2, active=0)
    loading = QMenu()
    loading.addAction("Loading…").setEnabled(False)
    shown = QSystemTrayIcon(IconSet().status_icon(TrayStatus.EMPTY))
    shown.setContextMenu(loading)
    shown.show()
    tray = TrayController(
        actions,
        IconSet(),
        open_switcher=lambda: None,
        open_settings=lambda: None,
        quit_app=lambda: None,
        tray_icon=shown,
    )
    assert tray.tray is shown
    assert shown.parent() is tray
    assert shown.contextMenu() is tray.menu
    assert set(tray.session_actions) == {s.id for s in sessions}
    assert status(tray) is TrayStatus.EXPIRING, "redrawn from core, not left as shown"
    shown.hide()


def test_rebuilding_the_menu_leaves_no_menus_or_actions_behind(
    service: RecordingSessionService, actions: SessionActions
) -> None:
    """A tray rebuilds its menu after every refresh round, all day: what a rebuild replaces must go."""
    sessions = service.fill(5, active=0)
    tray = make_tray(actions)

    def left_alive() -> tuple[int, int]:
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)  # what deleteLater() asked for
        owners: list[QObject] = [tray, tray.menu, tray.manage_menu]
        return (
            sum(len(owner.findChildren(QMenu)) for owner in owners),
            sum(len(owner.findChildren(QAction)) for owner in owners),
        )

    before = left_alive()
    for minute in range(1, 6):  # five refresh rounds: every session's snapshot changes each time
        later = service.now() + timedelta(minutes=minute)
        service.seed([s.evolve(last_refresh_at=later) for s in sessions], sessions[0].id)
        tray.rebuild()
    assert left_alive() == before
    kept = [submenu(a) for a in tray.manage_menu.actions()][1:]
    service.seed(sessions[1:], sessions[1].id)  # one signed out: its submenu goes, the others stay as they are
    tray.rebuild()
    assert [submenu(a) for a in tray.manage_menu.actions()] == kept
    assert left_alive()[0] == before[0] - 1
