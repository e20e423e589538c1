"""Runs inside a real X server with a tray host (started by test_tray_x11.py).

Prints one JSON line describing what it saw: tray availability, the icon,
a real balloon and its click, and (on a D-Bus session with a notification
server) a real Notify call whose action the test invokes.
"""

from __future__ import annotations

import asyncio
import json
import sys
from asyncio.subprocess import PIPE
from typing import Any

from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from core.domain.events import EventKind
from core.domain.model import SessionState
from gui.app import NOTIFICATION_BURST_MS, TrayApp
from gui.errors import ErrorPresenter
from gui.icons import IconSet
from gui.notify import FreedesktopBackend, TrayBalloonBackend
from gui.tasks import TaskRunner
from tests.doubles.session_service import InMemorySessionService
from tests.doubles.sessions import sample_sessions


async def wait_for(predicate: Any, limit: float = 10.0) -> bool:
    for _ in range(int(limit / 0.05)):
        if predicate():
            return True
        await asyncio.sleep(0.05)
    return bool(predicate())


def state_of(service: InMemorySessionService, session_id: str) -> SessionState | None:
    """The state of one session: "Sign in again" renews that very session."""
    return next((s.state for s in service.sessions() if s.id == session_id), None)


async def scenario(with_dbus: bool) -> dict[str, Any]:
    seen: dict[str, Any] = {"tray_available": QSystemTrayIcon.isSystemTrayAvailable()}
    service = InMemorySessionService()
    service.seed(sample_sessions(service.now(), 2))
    messages: list[str] = []
    presenter = ErrorPresenter(lambda _t, text: messages.append(text))
    app = TrayApp(service, presenter=presenter, icons=IconSet(), tray_available=True, runner=TaskRunner(presenter))
    app.tray.show()
    app.tray.rebuild()
    await wait_for(lambda: app.tray.tray.geometry().width() > 0)
    seen["icon_geometry"] = app.tray.tray.geometry().getRect()
    seen["icon_null"] = app.tray.tray.icon().isNull()
    seen["status"] = app.tray.status.value

    app.notifier.backend = TrayBalloonBackend(app.tray.tray)
    needs = service.sessions()[0].evolve(state=SessionState.NEEDS_SIGN_IN)
    service.publish(EventKind.NEEDS_SIGN_IN, needs)

    def balloon() -> Any:
        return next(
            (
                w
                for w in QApplication.topLevelWidgets()
                if w.metaObject().className() == "QBalloonTip" and w.isVisible()
            ),
            None,
        )

    seen["balloon"] = await wait_for(lambda: balloon() is not None)
    tip = balloon()
    if tip is not None:
        QTest.mouseClick(tip, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, QPoint(20, 20))
    seen["balloon_click_signed_in"] = await wait_for(lambda: state_of(service, needs.id) is SessionState.FRESH)
    await asyncio.sleep(NOTIFICATION_BURST_MS / 1000 + 0.3)  # let the "Signed in" note go out on its own

    if with_dbus:
        backend = await FreedesktopBackend.connect()
        seen["dbus_backend"] = backend is not None
        if backend is not None:
            app.notifier.backend = backend
            ended = service.sessions()[1].evolve(state=SessionState.ENDED)
            service.publish(EventKind.ENDED, ended)
            await wait_for(lambda: bool(backend.sent))
            seen["dbus_notified"] = [note.title for _id, note in backend.sent] == [
                f"AWS session ended: {ended.profile_name}"
            ]
            count = await asyncio.create_subprocess_exec("dunstctl", "count", "displayed", stdout=PIPE)
            seen["dbus_displayed"] = (await count.communicate())[0].decode().strip()
            await (await asyncio.create_subprocess_exec("dunstctl", "action", "0")).wait()
            seen["dbus_action_signed_in"] = await wait_for(lambda: state_of(service, ended.id) is SessionState.FRESH)
            await backend.close()
    seen["messages"] = messages
    app.tray.hide()
    return seen


def main() -> int:
    import qasync

    qapp = QApplication(sys.argv[:1])
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        result = loop.run_until_complete(scenario("--dbus" in sys.argv))
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
