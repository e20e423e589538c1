"""The start shows the tray icon from the stored sessions before the app is built."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from PySide6.QtWidgets import QApplication

from core.storage.paths import AppPaths
from core.storage.store import SessionStore, StoreState
from gui.icons import IconSet, TrayStatus
from gui.launch import LOADING_TEXT, EarlyStart, _show_icon
from gui.single_instance import InstanceServer
from tests.doubles.sessions import sample_sessions


def _early(qapp: QApplication) -> EarlyStart:
    return EarlyStart(qapp, AppPaths.from_environment(), InstanceServer(Path("unused.sock")), IconSet())


def test_the_icon_shows_the_verdict_on_the_stored_sessions(isolated_home: Path, qapp: QApplication) -> None:
    sessions = sample_sessions(datetime.now(UTC), 5)  # the last one needs a new sign-in
    SessionStore(AppPaths.from_environment()).save(StoreState(sessions[0].id, tuple(sessions)))
    early = _early(qapp)
    _show_icon(early)
    assert early.tray is not None
    assert early.menu is not None
    assert early.tray.isVisible()
    assert early.status is TrayStatus.ATTENTION
    assert [(a.text(), a.isEnabled()) for a in early.menu.actions()] == [(LOADING_TEXT, False)]
    early.tray.hide()


def test_fresh_sessions_show_fresh(isolated_home: Path, qapp: QApplication) -> None:
    sessions = sample_sessions(datetime.now(UTC), 1)  # signed in two hours ago
    SessionStore(AppPaths.from_environment()).save(StoreState(sessions[0].id, tuple(sessions)))
    early = _early(qapp)
    _show_icon(early)
    assert early.status is TrayStatus.FRESH
    assert early.tray is not None
    early.tray.hide()


def test_no_sessions_and_a_damaged_file_show_the_empty_icon(isolated_home: Path, qapp: QApplication) -> None:
    early = _early(qapp)
    _show_icon(early)
    assert early.status is TrayStatus.EMPTY
    assert early.tray is not None
    assert early.tray.isVisible()
    early.tray.hide()

    paths = AppPaths.from_environment()
    paths.sessions_file.parent.mkdir(parents=True, exist_ok=True)
    paths.sessions_file.write_text("{not json")
    damaged = _early(qapp)
    _show_icon(damaged)
    assert damaged.status is TrayStatus.EMPTY
    assert damaged.tray is not None
    assert damaged.tray.isVisible()
    assert paths.sessions_file.read_text() == "{not json", "left for the app to report"
    damaged.tray.hide()
