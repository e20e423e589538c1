"""Screenshots of daily use: ``python -m tests.screenshots_daily OUTDIR [--only-2x]``.

Run under an X server with a tray host (``scripts/screenshots.sh`` starts
them). Real widgets over the in-memory session service: a session that is
retrying, one that needs a new sign-in with its one-step recovery, the
question after a sign-in as another principal, the tray icon on light and
dark panels, fifteen doctor findings, the other-device QR code; with
``--only-2x`` (and ``QT_SCALE_FACTOR=2``) the switcher at twice the scale.
"""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon

from core.domain.events import EventKind
from core.domain.model import Identity, Session, SessionState
from core.sessions.identity import MismatchQuestion
from gui.app import TrayApp
from gui.dialogs import CodeDialog
from gui.doctor import DoctorPanel, Finding
from gui.errors import ErrorPresenter
from gui.icons import THEMES, IconSet, TrayStatus
from gui.prompts import ask_add_as_new
from gui.switcher import SwitcherWindow
from gui.tasks import TaskRunner
from tests.doubles.session_service import InMemorySessionService
from tests.doubles.sessions import sample_sessions
from tests.screenshots import _grab_screen, _pause, _save

OTHER_DEVICE_URL = (
    "https://us-east-1.signin.aws.amazon.com/v1/authorize?response_type=code&client_id=arn%3Aaws%3Asignin%3A%3A%3A"
    "devtools%2Fcross-device&state=7d1e0c5a-9a3f-4c55-b8a2-2f0c7b1e9d44&code_challenge_method=SHA-256&"
    "code_challenge=Qm2cR0l9fK3xY7sV1bN8hJ4tW6pZ0aE5uD2gL9oC3iM&scope=openid&redirect_uri=https%3A%2F%2F"
    "us-east-1.signin.aws.amazon.com%2Fv1%2Fsessions%2Fconfirmation"
)


async def _fifteen_findings() -> list[Finding]:
    names = ["old-cli-user", *(f"team-sandbox-{n}" for n in range(1, 15))]
    return [
        Finding(
            f"Profile {name}: sts_regional_endpoints = legacy",
            f"Profile '{name}' asks for the global STS endpoint.",
            "Fix",
            name,
        )
        for name in names
    ]


async def _no_fix(_finding: Finding) -> None:
    return None


def _scene(service: InMemorySessionService) -> tuple[Session, Session]:
    """Five sessions: one retrying (next attempt in 42 s), one that needs a new sign-in; returns both."""
    service.seed(sample_sessions(service.now()))
    ordered = service.sessions()
    service.seed(ordered, ordered[1].id)
    dead = next(s for s in ordered if s.state is SessionState.NEEDS_SIGN_IN)
    dead = dead.evolve(state_reason="This sign-in session has ended: it was revoked. Sign in again to continue.")
    service.publish(EventKind.NEEDS_SIGN_IN, dead)
    live = next(s for s in ordered if s.state is SessionState.FRESH and s.id != ordered[1].id)
    retrying = live.evolve(
        state=SessionState.RETRYING,
        state_reason="AWS Sign-In had a temporary problem; retrying later. Attempt 3 failed.",
        next_attempt_at=service.now() + timedelta(seconds=42),
        credentials_expire_at=service.now() + timedelta(minutes=9, seconds=40),
    )
    service.publish(EventKind.RETRYING, retrying)
    return retrying, dead


def _select(window: SwitcherWindow, session: Session) -> int:
    row = window.proxy.mapFromSource(window.model.index(window.model.row_of(session.id), 0)).row()
    window.table.selectRow(row)
    return row


async def render(out: Path) -> None:
    """Show each scene and save it under ``out``."""
    service = InMemorySessionService()
    retrying, dead = _scene(service)
    presenter = ErrorPresenter(lambda title, text: print(f"{title}: {text}", file=sys.stderr))
    runner = TaskRunner(presenter)
    app = TrayApp(
        service,
        presenter=presenter,
        icons=IconSet(),
        tray_available=QSystemTrayIcon.isSystemTrayAvailable(),
        doctor=DoctorPanel(runner, _fifteen_findings, _no_fix),
        runner=runner,
    )
    app.tray.show()
    app.tray.rebuild()
    await _pause(1.0)
    screen = QGuiApplication.primaryScreen().geometry()

    menu = app.tray.menu
    menu.popup(QPoint(screen.width() - 2, 26))
    await _pause()
    geometry = menu.geometry()
    _save(
        _grab_screen(QRect(geometry.x() - 16, 0, screen.width() - geometry.x() + 16, geometry.bottom() + 16)),
        out / "tray-menu-trouble.png",
    )
    menu.hide()

    switcher = app.switcher
    switcher.resize(1100, 700)
    switcher.move(20, 40)
    switcher.present()
    await _pause(0.8)
    _select(switcher, retrying)
    await _pause(0.3)
    _save(switcher.grab(), out / "switcher-retrying.png")

    row = _select(switcher, dead)
    await _pause(0.3)
    rect = switcher.table.visualRect(switcher.proxy.index(row, 2))
    popup = switcher.context_menu_for(dead)
    assert popup is not None
    popup.popup(switcher.table.viewport().mapToGlobal(rect.center()))
    await _pause(0.5)
    frame = switcher.frameGeometry()
    _save(_grab_screen(frame), out / "switcher-dead-recovery.png")
    popup.hide()

    await _mismatch_question(switcher, out)
    switcher.hide()

    dialog = CodeDialog(OTHER_DEVICE_URL)
    dialog.show()
    await _pause(0.5)
    dialog.copy_button.click()
    await _pause(0.2)
    _save(dialog.grab(), out / "sign-in-other-device.png")
    dialog.hide()
    app.tray.hide()


async def _mismatch_question(switcher: SwitcherWindow, out: Path) -> None:
    """The question after the browser came back as another principal."""
    question = MismatchQuestion(
        dead.profile_name if (dead := switcher.selected_session()) else "777788889999-root",
        dead.identity.arn if dead else "arn:aws:iam::777788889999:root",
        Identity.from_arn("arn:aws:sts::111122223333:assumed-role/Admin/alice"),
        "111122223333-Admin",
        True,
    )
    task = asyncio.ensure_future(ask_add_as_new(switcher, question))
    await _pause(0.6)
    box = next(w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible())
    _save(box.grab(), out / "wrong-principal-question.png")
    box.reject()
    await task


def icon_sheet(out: Path) -> None:
    """Every tray status in every theme at 22 px and at 2x, on a light and on a dark panel."""
    icons = IconSet(use_theme_names=False)
    statuses = [TrayStatus.FRESH, TrayStatus.EXPIRING, TrayStatus.RETRYING, TrayStatus.ATTENTION, TrayStatus.EMPTY]
    panels = [("light panel", "#e8e8e7", "#1f2933"), ("dark panel", "#1e2127", "#f5f7fa")]
    row_h, col_w, label_w = 56, 84, 230
    image = QImage(label_w + col_w * len(statuses), 30 + row_h * len(THEMES) * len(panels), QImage.Format.Format_RGB32)
    image.fill(QColor("#ffffff"))
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    font = QFont()
    font.setPixelSize(13)
    painter.setFont(font)
    painter.setPen(QColor("#1f2933"))
    for i, status in enumerate(statuses):
        painter.drawText(QRect(label_w + i * col_w, 6, col_w, 20), Qt.AlignmentFlag.AlignCenter, status.value)
    y = 30
    for panel, background, ink in panels:
        for theme in THEMES:
            painter.fillRect(0, y, image.width(), row_h - 4, QColor(background))
            painter.setPen(QColor(ink))
            painter.drawText(QRect(10, y, label_w, row_h - 4), Qt.AlignmentFlag.AlignVCenter, f"{panel}, theme {theme}")
            for i, status in enumerate(statuses):
                icon = icons.status_icon(status, theme)
                x = label_w + i * col_w + 8
                painter.drawPixmap(x, y + 13, icon.pixmap(22, 22))
                big = icon.pixmap(44, 44)
                big.setDevicePixelRatio(1.0)
                painter.drawPixmap(x + 30, y + 2, big)
            y += row_h
    painter.end()
    _save(QPixmap.fromImage(image), out / "icons-light-dark.png")


async def render_2x(out: Path) -> None:
    """The switcher with a retrying and a dead session at twice the scale (run with QT_SCALE_FACTOR=2)."""
    service = InMemorySessionService()
    retrying, _dead = _scene(service)
    presenter = ErrorPresenter(lambda title, text: print(f"{title}: {text}", file=sys.stderr))
    runner = TaskRunner(presenter)
    app = TrayApp(service, presenter=presenter, icons=IconSet(), tray_available=False, runner=runner)
    switcher = app.switcher
    switcher.resize(1000, 720)
    switcher.present()
    await _pause(0.8)
    _select(switcher, retrying)
    await _pause(0.3)
    _save(switcher.grab(), out / "switcher-2x.png")
    switcher.hide()


async def render_tray(out: Path, name: str) -> None:
    """The tray bar's right end with the icon (a session retrying, one dead), magnified 4x: ``NAME.png``."""
    service = InMemorySessionService()
    _scene(service)
    presenter = ErrorPresenter(lambda title, text: print(f"{title}: {text}", file=sys.stderr))
    app = TrayApp(service, presenter=presenter, icons=IconSet(), tray_available=True, runner=TaskRunner(presenter))
    app.tray.show()
    app.tray.rebuild()
    await _pause(1.5)
    screen = QGuiApplication.primaryScreen().geometry()
    strip = _grab_screen(QRect(screen.width() - 120, 0, 120, 24))
    big = strip.scaled(strip.width() * 4, strip.height() * 4, mode=Qt.TransformationMode.FastTransformation)
    _save(big, out / f"{name}.png")
    app.tray.hide()


def main(argv: list[str]) -> int:
    """Render into ``argv[0]`` (default ``docs/screenshots``).

    ``--only-2x`` renders the 2x switcher only; ``--tray-only=NAME`` the tray bar with the icon only.
    """
    import qasync

    only_2x = "--only-2x" in argv
    tray_name = next((a.split("=", 1)[1] for a in argv if a.startswith("--tray-only=")), None)
    paths = [a for a in argv if not a.startswith("--")]
    out = Path(paths[0] if paths else "docs/screenshots")
    out.mkdir(parents=True, exist_ok=True)
    qapp = QApplication(sys.argv[:1])
    qapp.setApplicationDisplayName("AWS Login Tray")
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    with loop:
        if tray_name:
            loop.run_until_complete(render_tray(out, tray_name))
        elif only_2x:
            loop.run_until_complete(render_2x(out))
        else:
            icon_sheet(out)
            loop.run_until_complete(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
