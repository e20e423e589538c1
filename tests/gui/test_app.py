from __future__ import annotations

import asyncio
import os
import signal

from pytestqt.qtbot import QtBot

from core.domain.events import EventKind
from core.storage.settings import Settings
from gui.app import TrayApp, install_signal_handlers
from gui.errors import ErrorPresenter
from gui.icons import IconSet
from gui.tasks import TaskRunner
from tests.doubles.front_end import RecordingBackend, RecordingSink
from tests.doubles.session_service import RecordingSessionService


def make_app(
    service: RecordingSessionService, runner: TaskRunner, sink: RecordingSink, *, tray: bool = True
) -> TrayApp:
    presenter = ErrorPresenter(sink)
    return TrayApp(service, presenter=presenter, icons=IconSet(), tray_available=tray, runner=runner)


def test_run_starts_core_and_quit_stops_it(
    qtbot: QtBot,
    qasync_loop: asyncio.AbstractEventLoop,
    service: RecordingSessionService,
    runner: TaskRunner,
    sink: RecordingSink,
) -> None:
    app = make_app(service, runner, sink)
    task = qasync_loop.create_task(app.run(use_dbus_notifications=False))
    qtbot.waitUntil(lambda: service.lifecycle == ["start"])
    service.fill(2, active=0)
    service.publish(EventKind.UPDATED, service.sessions()[0])
    qtbot.waitUntil(lambda: len(app.tray.session_actions) == 2)  # rebuilt on the next turn of the loop
    assert app.switcher.model.rowCount() == 2
    app.tray.quit_action.trigger()
    qtbot.waitUntil(task.done)
    assert task.result() == 0
    assert service.lifecycle == ["start", "stop"]
    assert not app.tray.tray.isVisible()


def test_demo_start_opens_the_sign_in_page_only_without_sessions(
    qtbot: QtBot,
    qasync_loop: asyncio.AbstractEventLoop,
    service: RecordingSessionService,
    runner: TaskRunner,
    sink: RecordingSink,
) -> None:
    service._settings = Settings(default_region="us-east-1")
    app = make_app(service, runner, sink)
    task = qasync_loop.create_task(app.run(use_dbus_notifications=False, sign_in_first=True))
    qtbot.waitUntil(lambda: any(name == "sign_in" for name, _ in service.calls))
    assert [args for name, args in service.calls if name == "sign_in"] == [("us-east-1", None, False, None)]
    app.quit()
    qtbot.waitUntil(task.done)

    service.calls.clear()
    service.fill(1)
    again = make_app(service, runner, sink)
    task = qasync_loop.create_task(again.run(use_dbus_notifications=False, sign_in_first=True))
    qtbot.waitUntil(lambda: service.lifecycle[-1] == "start")
    again.quit()
    qtbot.waitUntil(task.done)
    assert not any(name == "sign_in" for name, _ in service.calls)


def test_notifications_follow_events(
    qtbot: QtBot, service: RecordingSessionService, runner: TaskRunner, sink: RecordingSink
) -> None:
    app = make_app(service, runner, sink)
    backend = RecordingBackend()
    app.notifier.backend = backend
    session = service.fill(1)[0]
    service.publish(EventKind.NEEDS_SIGN_IN, session)
    qtbot.waitUntil(lambda: bool(backend.shown))
    assert [note.title for note, _ in backend.shown] == [f"Sign in again: {session.profile_name}"]


def test_without_a_tray_the_switcher_is_the_main_window(
    qtbot: QtBot,
    qasync_loop: asyncio.AbstractEventLoop,
    service: RecordingSessionService,
    runner: TaskRunner,
    sink: RecordingSink,
) -> None:
    app = make_app(service, runner, sink, tray=False)
    task = qasync_loop.create_task(app.run(use_dbus_notifications=False))
    qtbot.waitUntil(app.switcher.isVisible)
    assert any("No system tray" in text for _title, text in sink.messages)
    app.switcher.close()
    qtbot.waitUntil(task.done)
    assert service.lifecycle == ["start", "stop"]


def test_sigterm_quits_cleanly(qtbot: QtBot, qasync_loop: asyncio.AbstractEventLoop) -> None:
    quit_called: list[bool] = []
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    timer = install_signal_handlers(lambda: quit_called.append(True), qasync_loop)
    try:
        os.kill(os.getpid(), signal.SIGTERM)
        qtbot.waitUntil(lambda: bool(quit_called))
    finally:
        timer.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
