"""The tray and the switcher built for a test: menu callbacks recorded, core events connected."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from gui.actions import SessionActions
from gui.icons import IconSet
from gui.switcher import SwitcherWindow
from gui.tray import TrayController
from tests.doubles.session_service import RecordingSessionService


def make_tray(actions: SessionActions, calls: list[str] | None = None) -> TrayController:
    """A tray whose switcher, settings, quit, log and about entries append their name to ``calls``."""
    record = calls if calls is not None else []
    return TrayController(
        actions,
        IconSet(),
        open_switcher=lambda: record.append("switcher"),
        open_settings=lambda: record.append("settings"),
        quit_app=lambda: record.append("quit"),
        show_log=lambda: record.append("log"),
        show_about=lambda: record.append("about"),
    )


def make_switcher(qtbot: QtBot, service: RecordingSessionService, actions: SessionActions) -> SwitcherWindow:
    """The switcher window, shown and following ``service``'s events."""
    window = SwitcherWindow(actions)
    qtbot.addWidget(window)
    service.events.subscribe(window.on_event)
    window.present()
    return window
