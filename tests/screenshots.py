"""Render the documentation screenshots: ``python -m tests.screenshots OUTDIR``.

Run it under an X server with a tray host (``scripts/screenshots.sh`` starts
Xvfb, trayer and, when available, dunst on a private D-Bus). It shows the
real widgets over the in-memory session service of the tests with five sample sessions
and grabs: the tray menu, the switcher (and its empty state), the settings
dialog and a notification.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QGuiApplication, QPixmap
from PySide6.QtWidgets import QApplication, QSystemTrayIcon

from core.domain.events import EventKind, SessionEvent
from core.domain.model import Session, SessionState
from gui.app import TrayApp
from gui.doctor import DoctorPanel, Finding
from gui.errors import ErrorPresenter
from gui.icons import IconSet
from gui.notify import FreedesktopBackend
from gui.settings_dialog import SettingsDialog
from gui.tasks import TaskRunner
from tests.doubles.session_service import InMemorySessionService
from tests.doubles.sessions import sample_sessions


async def _pause(seconds: float = 0.4) -> None:
    await asyncio.sleep(seconds)


def _grab_screen(rect: QRect) -> QPixmap:
    screen = QGuiApplication.primaryScreen()
    return screen.grabWindow(0, rect.x(), rect.y(), rect.width(), rect.height())


def _save(pixmap: QPixmap, path: Path) -> None:
    if not pixmap.save(str(path)):
        raise RuntimeError(f"could not write {path}")
    print(path)


async def _sample_findings() -> list[Finding]:
    return [
        Finding(
            "Profile legacy-tools: sts_regional_endpoints = legacy",
            "Profile 'legacy-tools' asks for the global endpoint explicitly.",
            "Fix",
            "legacy-tools",
        )
    ]


async def _no_fix(_finding: Finding) -> None:
    return None


async def render(out: Path) -> None:
    """Show each scene and save it under ``out``."""
    service = InMemorySessionService()
    sessions = sample_sessions(service.now())
    service.seed(sessions)
    ordered = service.sessions()
    service.seed(ordered, ordered[1].id)
    presenter = ErrorPresenter(lambda title, text: print(f"{title}: {text}", file=sys.stderr))
    runner = TaskRunner(presenter)
    doctor = DoctorPanel(runner, _sample_findings, _no_fix)
    app = TrayApp(
        service,
        presenter=presenter,
        icons=IconSet(),
        tray_available=QSystemTrayIcon.isSystemTrayAvailable(),
        doctor=doctor,
        runner=runner,
    )
    app.tray.show()
    app.tray.rebuild()
    await _pause(1.0)

    screen = QGuiApplication.primaryScreen().geometry()
    await _tray_menu(app, out, screen)
    await _windows(app, service, runner, presenter, out)

    # A notification: the desktop's notification server if one answers, else the tray balloon.
    ending = ordered[3].evolve(session_ends_at=service.now() + timedelta(minutes=29, seconds=40))
    backend = await FreedesktopBackend.connect(str(app.icons.app_icon_path()))
    if backend is not None:
        app.notifier.backend = backend
    app.notifier.on_event(_event(EventKind.EXPIRING_SOON, ending, timedelta(minutes=30)))
    await _pause(1.5)
    balloon = next((w for w in QApplication.topLevelWidgets() if w.metaObject().className() == "QBalloonTip"), None)
    if backend is None and balloon is not None and balloon.isVisible():
        area = balloon.geometry().adjusted(-12, -12, 12, 12)
    else:
        area = QRect(screen.width() - 520, 0, 520, 200)
    _save(_grab_screen(area), out / "notification.png")
    needs = ordered[0].evolve(state=SessionState.NEEDS_SIGN_IN)
    app.notifier.on_event(_event(EventKind.NEEDS_SIGN_IN, needs, None, "The session reached its 12-hour limit."))
    await _pause(1.0)
    if backend is not None:
        _save(_grab_screen(QRect(screen.width() - 520, 0, 520, 300)), out / "notifications.png")
        # After a long sleep: several sessions at once become one summary.
        for stale in ordered[1:3]:
            app.notifier.on_event(_event(EventKind.ENDED, stale.evolve(state=SessionState.ENDED), None))
        soon = ordered[4].evolve(session_ends_at=service.now() + timedelta(minutes=4, seconds=50))
        app.notifier.on_event(_event(EventKind.EXPIRING_SOON, soon, timedelta(minutes=5)))
        await _pause(1.5)
        _save(_grab_screen(QRect(screen.width() - 520, 0, 520, 420)), out / "notification-summary.png")
        await backend.close()
    app.tray.hide()


async def _tray_menu(app: TrayApp, out: Path, screen: QRect) -> None:
    """The tray menu, opened under the tray icon, with the tray bar above it."""
    menu = app.tray.menu
    menu.popup(QPoint(screen.width() - 2, 26))
    await _pause()
    geometry = menu.geometry()
    _save(_grab_screen(QRect(geometry.x() - 16, 0, screen.width() - geometry.x() + 16, geometry.bottom() + 16)),
          out / "tray-menu.png")  # fmt: skip
    menu.hide()


async def _windows(
    app: TrayApp, service: InMemorySessionService, runner: TaskRunner, presenter: ErrorPresenter, out: Path
) -> None:
    """The switcher with five sessions, its empty state, and the settings dialog."""
    switcher = app.switcher
    switcher.resize(1100, 680)
    switcher.move(20, 40)
    switcher.present()
    await _pause(0.8)
    _save(switcher.grab(), out / "switcher.png")
    empty_service = InMemorySessionService()
    empty = TrayApp(empty_service, presenter=presenter, icons=IconSet(), tray_available=False, runner=runner)
    empty.switcher.resize(760, 460)
    empty.switcher.present()
    await _pause()
    _save(empty.switcher.grab(), out / "switcher-empty.png")
    empty.switcher.hide()
    switcher.hide()

    # The settings dialog.
    dialog = SettingsDialog(service, runner, set_autostart=lambda _on: None, autostart_enabled=lambda: False)
    dialog.show()
    await _pause()
    _save(dialog.grab(), out / "settings.png")
    dialog.hide()


def _event(kind: EventKind, session: Session, lead: timedelta | None, detail: str | None = None) -> SessionEvent:
    return SessionEvent(kind, session, detail=detail, lead=lead)


def main(argv: list[str]) -> int:
    """Render into ``argv[0]`` (default ``docs/screenshots``)."""
    import qasync

    out = Path(argv[0] if argv else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    qapp = QApplication(sys.argv[:1])
    qapp.setApplicationDisplayName("AWS Login Tray")
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        loop.run_until_complete(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
