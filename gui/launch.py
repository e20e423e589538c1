"""The tray's start: the icon first, from ``sessions.json``; the app behind it on the next turn.

:func:`main` parses the options, starts the demo emulator when asked, creates
the QApplication and makes sure only one instance runs. With a tray host it
then shows the tray icon at once, its status read straight from the stored
sessions (the same verdict the full tray draws, :func:`gui.icons.overall_status`)
under a one-item "Loading…" menu, and logs ``ready``. Only then is the
composition root imported and built (:func:`gui.app.run_gui`: the asyncio
loop, the session manager, the engine, notifications, the full menu), which
adopts that icon. Without a tray host nothing is shown early: the switcher is
the main window, and the app logs ``ready`` once it shows.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from types import FrameType

from PySide6.QtCore import QEventLoop
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

from core.desktop.integration import DESKTOP_ID
from core.domain.errors import ConfigFileError
from core.domain.logs import HeldRecords, add_log_file, configure_logging, hold_records
from core.storage.paths import AppPaths
from core.storage.settings import load_settings
from core.storage.store import SessionStore
from gui.display import display_problem
from gui.icons import IconSet, TrayStatus, overall_status
from gui.single_instance import InstanceLock, InstanceServer, ask_running_instance, socket_path

log = logging.getLogger("gui.app")  # the name tools and tests follow for the ``ready`` line

LOADING_TEXT = "Loading…"


@dataclass
class EarlyStart:
    """What the start did before the app was built, handed to :func:`gui.app.run_gui`."""

    qapp: QApplication
    paths: AppPaths
    instance: InstanceServer
    icons: IconSet
    tray: QSystemTrayIcon | None = None
    """The icon already in the tray (None: no tray host, nothing shown yet)."""
    menu: QMenu | None = None
    status: TrayStatus = TrayStatus.EMPTY
    """What that icon shows: core's verdict on the stored sessions."""
    quit_requested: list[int] = field(default_factory=list)
    """SIGINT/SIGTERM that arrived before the app could quit cleanly (their numbers)."""


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="aws-login-tray", description="Keep aws login sessions fresh from the tray.")
    parser.add_argument("--demo", action="store_true", help="run against a local AWS Sign-In emulator in a temp dir")
    parser.add_argument("--debug", action="store_true", help="log debug messages to stderr")
    return parser.parse_args(argv)


def main(argv: list[str]) -> int:
    """Run the tray app; returns the exit code."""
    args = _parse(argv)
    problem = display_problem()
    if problem is not None:  # Qt would abort (SIGABRT) with a plugin message instead
        sys.stderr.write(f"aws-login-tray: {problem}\n")
        return 2
    configure_logging(debug=args.debug, stream=sys.stderr, default_level=logging.INFO)
    demo = None
    if args.demo:
        from gui.demo import DemoEnvironment

        try:
            demo = DemoEnvironment.start()
        except (OSError, RuntimeError) as exc:
            print(f"aws-login-tray: cannot start the demo: {exc}", file=sys.stderr)
            return 1
        print(demo.describe(), file=sys.stderr)
    try:
        return _start(demo_text=demo.describe() if demo else None)
    finally:
        if demo is not None:
            demo.stop()


def _start(*, demo_text: str | None) -> int:
    held = hold_records()  # the log file is opened once the icon shows
    paths = AppPaths.from_environment()
    qapp = _application()
    lock = InstanceLock(paths.locks_dir / "tray.lock")
    if not lock.acquire():
        asked = ask_running_instance(socket_path(paths))
        print(
            f"aws-login-tray is already running{'; asked it to show its switcher' if asked else ''}.", file=sys.stderr
        )
        return 0
    try:
        return _run_as_the_tray(qapp, paths, held, demo_text=demo_text)
    finally:
        lock.release()


def _run_as_the_tray(qapp: QApplication, paths: AppPaths, held: HeldRecords, *, demo_text: str | None) -> int:
    instance = InstanceServer(socket_path(paths))
    instance.listen()
    icons = IconSet()
    early = EarlyStart(qapp, paths, instance, icons)
    if QSystemTrayIcon.isSystemTrayAvailable():
        _remember_quit_signals(early)
        _show_icon(early)
    if not add_log_file(paths.log_file, held):
        print(f"aws-login-tray: cannot write the log file {paths.log_file}", file=sys.stderr)
    from gui.app import run_gui  # the heavy part: asyncio, the session manager, every widget

    return run_gui(early, demo_text=demo_text)


def _application() -> QApplication:
    existing = QApplication.instance()
    qapp = (
        existing
        if isinstance(existing, QApplication)
        else QApplication([sys.argv[0] if sys.argv else "aws-login-tray"])
    )
    qapp.setApplicationName("aws-login-tray")
    qapp.setApplicationDisplayName("AWS Login Tray")
    qapp.setDesktopFileName(DESKTOP_ID)
    qapp.setQuitOnLastWindowClosed(False)
    return qapp


def _show_icon(early: EarlyStart) -> None:
    """Put the icon for the stored sessions in the tray, let the host embed it, and log ``ready``.

    A damaged sessions or settings file shows the empty icon here; the app
    built next reports it as it always does.
    """
    try:
        settings = load_settings(early.paths.settings_file)
        sessions = list(SessionStore(early.paths).load().sessions)
    except ConfigFileError:
        sessions, settings = [], None
    leads = settings.expiry_lead_minutes if settings is not None else ()
    theme = settings.icon_theme if settings is not None else "auto"
    early.status = overall_status(sessions, datetime.now(UTC), leads)
    early.menu = QMenu()
    early.menu.addAction(LOADING_TEXT).setEnabled(False)
    early.tray = QSystemTrayIcon(early.icons.status_icon(early.status, theme))
    early.tray.setToolTip("AWS Login Tray")
    early.tray.setContextMenu(early.menu)
    early.tray.show()
    early.qapp.processEvents(QEventLoop.ProcessEventsFlag.AllEvents)  # one turn: the tray host embeds the icon
    log.info("ready: %d session(s), tray shown", len(sessions))


def _remember_quit_signals(early: EarlyStart) -> None:
    """Until the app can quit cleanly, SIGINT/SIGTERM are noted and acted on once it can."""

    def note(signum: int, _frame: FrameType | None) -> None:
        early.quit_requested.append(signum)

    signal.signal(signal.SIGINT, note)
    signal.signal(signal.SIGTERM, note)
