"""The tray app's composition root: one qasync loop, one object graph.

:mod:`gui.launch` starts the process (options, demo, QApplication, the
single-instance check) and shows the tray icon from the stored sessions;
:func:`run_gui`, imported only after that, builds the session manager and
the widgets (:class:`TrayApp`, which adopts that icon), and runs until Quit,
SIGINT or SIGTERM. On the way out it awaits ``SessionService.stop()`` so
refreshes and config writes in flight finish first.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QSocketNotifier
from PySide6.QtWidgets import QApplication, QMessageBox, QSystemTrayIcon, QWidget

from core.domain.ports import BrowserOpener, CodePrompt
from core.sessions.service import SessionService
from core.storage.paths import AppPaths
from gui.actions import SessionActions
from gui.bridge import EventBridge
from gui.dialogs import DialogCodePrompt
from gui.errors import ErrorPresenter, message_box_sink
from gui.icons import IconSet
from gui.notify import FreedesktopBackend, Notifier, TrayBalloonBackend
from gui.tasks import TaskRunner
from gui.tray import TrayController

if TYPE_CHECKING:  # built on first use, so the tray icon never waits for them
    import qasync

    from gui.about import LogDialog
    from gui.doctor import DoctorPanel
    from gui.launch import EarlyStart
    from gui.settings_dialog import SettingsDialog
    from gui.switcher import SwitcherWindow

log = logging.getLogger(__name__)

NOTIFICATION_BURST_MS = 400
"""Notes arriving this close together (one engine pass after a wake-up) become one summary."""

STOP_TIMEOUT = 30.0
NO_TRAY_TEXT = (
    "No system tray was found on this desktop, so AWS Login Tray runs as a normal window. "
    "Closing the window quits the app (sessions then stop refreshing)."
)


class TrayApp:
    """Every widget and helper, wired to one :class:`core.sessions.service.SessionService`."""

    def __init__(
        self,
        service: SessionService,
        *,
        presenter: ErrorPresenter,
        icons: IconSet,
        tray_available: bool,
        doctor: DoctorPanel | Callable[[], DoctorPanel] | None = None,
        runner: TaskRunner | None = None,
        log_file: Path | None = None,
        tray_icon: QSystemTrayIcon | None = None,
    ) -> None:
        """``doctor`` is the switcher's doctor panel, or a function that builds it with the switcher.

        ``log_file`` is where the tray logs (offered by "Show log"); None hides that item.
        ``tray_icon`` is an icon already shown (the start's), which the tray takes over.
        """
        self.service = service
        self.log_file = log_file
        self.presenter = presenter
        self.runner = runner or TaskRunner(presenter)
        self.icons = icons
        self.tray_available = tray_available
        self.actions = SessionActions(service, self.runner)
        self.bridge = EventBridge(service)
        if isinstance(doctor, QWidget):
            doctor.setParent(None)
        self._doctor = doctor
        self._switcher: SwitcherWindow | None = None
        self.actions.parent_widget = lambda: (
            self._switcher if self._switcher is not None and self._switcher.isVisible() else None
        )
        self.tray = TrayController(
            self.actions,
            icons,
            open_switcher=self.show_switcher,
            open_settings=self.show_settings,
            quit_app=self.quit,
            list_roles=False,  # after the icon shows: listing them parses the AWS config
            show_log=self.show_log if log_file is not None else None,
            show_about=self.show_about,
            tray_icon=tray_icon,
        )
        self.notifier = Notifier(self.actions, TrayBalloonBackend(self.tray.tray), burst_ms=NOTIFICATION_BURST_MS)
        self._dbus: FreedesktopBackend | None = None
        self.bridge.core_event.connect(self.tray.on_event)
        self.bridge.core_event.connect(self.notifier.on_event)
        self.settings_dialog: SettingsDialog | None = None
        self.log_dialog: LogDialog | None = None
        self._quit = asyncio.Event()
        self.exit_code = 0

    @property
    def switcher(self) -> SwitcherWindow:
        """The switcher window, built when first opened (about 10 MiB and 50 ms the tray alone never needs).

        It reads core's current state when built, and follows core's events from then on.
        """
        if self._switcher is None:
            from gui.switcher import SwitcherWindow

            doctor = self._doctor if self._doctor is None or isinstance(self._doctor, QWidget) else self._doctor()
            switcher = SwitcherWindow(self.actions, doctor, on_close=None if self.tray_available else self.quit)
            switcher.setWindowIcon(self.icons.app_icon())
            self.bridge.core_event.connect(switcher.on_event)
            self._switcher = switcher
        return self._switcher

    def show_switcher(self) -> None:
        """Bring the switcher window forward."""
        self.switcher.present()

    def show_settings(self) -> None:
        """Open the settings dialog (one at a time, non-modal)."""
        if self.settings_dialog is not None and self.settings_dialog.isVisible():
            self.settings_dialog.raise_()
            self.settings_dialog.activateWindow()
            return
        from gui.settings_dialog import SettingsDialog

        dialog = SettingsDialog(self.service, self.runner)
        dialog.setWindowIcon(self.icons.app_icon())
        self.settings_dialog = dialog
        dialog.open()

    def show_log(self) -> None:
        """Open the log viewer on the tray's log file."""
        if self.log_file is None:
            return
        from gui.about import LogDialog

        if self.log_dialog is not None and self.log_dialog.isVisible():
            self.log_dialog.reload()
            self.log_dialog.raise_()
            return
        dialog = LogDialog(self.log_file)  # kept on self: without a parent nothing else holds it
        dialog.setWindowIcon(self.icons.app_icon())
        self.log_dialog = dialog
        dialog.open()

    def show_about(self) -> None:
        """The About box, with the version."""
        from gui.about import show_about

        show_about(self._switcher if self._switcher is not None and self._switcher.isVisible() else None)

    def quit(self) -> None:
        """Ask the app to stop (the run loop then shuts down cleanly)."""
        self._quit.set()

    async def run(
        self, *, use_dbus_notifications: bool = True, sign_in_first: bool = False, announce_ready: bool = True
    ) -> int:
        """Start core, show the UI, wait for Quit, then stop core cleanly.

        Args:
            use_dbus_notifications: try freedesktop notifications before tray balloons.
            sign_in_first: with no session yet, open the sign-in page right away (demo mode).
            announce_ready: log ``ready`` once the UI shows (False: the start already did, for its icon).
        """
        if not self.presenter.has_sink:
            self.presenter.set_sink(message_box_sink(None))
        try:
            await self.service.start()
        except Exception as exc:
            self.presenter.present(exc, "Start")
        self.tray.rebuild()
        if self.tray_available:
            self.tray.show()
        else:
            self.presenter.show("AWS Login Tray", NO_TRAY_TEXT)
            self.show_switcher()
        await asyncio.sleep(0)  # one turn of the event loop: the tray host embeds the icon
        if announce_ready:
            log.info(
                "ready: %d session(s), tray %s",
                len(self.service.sessions()),
                "shown" if self.tray_available else "absent",
            )
        self.tray.show_roles()
        if use_dbus_notifications:
            self._dbus = await FreedesktopBackend.connect(str(self.icons.app_icon_path()))
            if self._dbus is not None:
                self.notifier.backend = self._dbus
        if sign_in_first and not self.service.sessions():
            self.actions.sign_in()
        await self._quit.wait()
        await self.shutdown()
        return self.exit_code

    async def shutdown(self) -> None:
        """Stop core (awaiting in-flight work), then tear the UI down."""
        self.actions.cancel_sign_in()
        try:
            await asyncio.wait_for(self.service.stop(), STOP_TIMEOUT)
        except Exception:
            log.exception("stopping the session service failed")
            self.exit_code = 1
        await self.runner.drain(grace=5)
        if self._dbus is not None:
            await self._dbus.close()
        self.bridge.close()
        self.tray.hide()
        if self._switcher is not None:
            self._switcher.close()


class SignalWatcher:
    """SIGINT and SIGTERM call ``on_signal`` on the loop, with no periodic wake-up while nothing happens.

    Python runs a signal handler only when the interpreter gets control; while
    Qt waits in C it would not. The C-level handler writes the signal's number
    to a socket (:func:`signal.set_wakeup_fd`) that Qt watches, and reading it
    gives Python that control.
    """

    def __init__(self, on_signal: Callable[[], None], loop: asyncio.AbstractEventLoop) -> None:
        self._reader, self._writer = socket.socketpair()
        for end in (self._reader, self._writer):
            end.setblocking(False)
        self._previous_fd = signal.set_wakeup_fd(self._writer.fileno(), warn_on_full_buffer=False)

        def handler(_signum: int, _frame: object) -> None:
            loop.call_soon_threadsafe(on_signal)

        signal.signal(signal.SIGINT, handler)
        signal.signal(signal.SIGTERM, handler)
        self._notifier = QSocketNotifier(self._reader.fileno(), QSocketNotifier.Type.Read)
        self._notifier.activated.connect(self._drain)

    def _drain(self) -> None:
        with contextlib.suppress(BlockingIOError):
            self._reader.recv(256)

    def stop(self) -> None:
        """Stop watching (the handlers stay; signals then wait for the interpreter)."""
        self._notifier.setEnabled(False)
        signal.set_wakeup_fd(self._previous_fd)
        self._reader.close()
        self._writer.close()


def install_signal_handlers(on_signal: Callable[[], None], loop: asyncio.AbstractEventLoop) -> SignalWatcher:
    """SIGINT/SIGTERM quit cleanly; call ``stop()`` on the result when the loop ends."""
    return SignalWatcher(on_signal, loop)


WORKER_THREADS = 8
"""Blocking core calls at once: five sessions refreshing together, with room for a lock wait or a scan."""


def make_event_loop(qapp: QApplication) -> qasync.QEventLoop:
    """The qasync loop over ``qapp``, whose worker threads start when work needs them.

    qasync's own default pool starts ten threads on first use and keeps them;
    an idle tray needs one or none, and each thread holds a stack and a malloc
    arena (about 3 MiB resident for the ten).
    """
    from concurrent.futures import ThreadPoolExecutor

    import qasync

    loop = qasync.QEventLoop(qapp)
    loop.set_default_executor(ThreadPoolExecutor(max_workers=WORKER_THREADS, thread_name_prefix="core-worker"))
    return loop


def run_gui(early: EarlyStart, *, demo_text: str | None) -> int:
    """Build the app behind the icon :mod:`gui.launch` showed (if any) and run it until it quits."""
    paths = early.paths
    early.qapp.setWindowIcon(early.icons.app_icon())  # for windows and dialogs; the tray icon did not need it
    presenter = ErrorPresenter()
    code_prompt = DialogCodePrompt()
    from core.signin.browser import WebBrowserOpener

    services: list[SessionService] = []
    apps: list[TrayApp] = []
    opener = WebBrowserOpener(on_failure=None, command=lambda: services[0].settings().browser_command)

    def open_browser(url: str) -> None:
        if apps:
            apps[0].actions.note_sign_in_url(url)
        opener(url)

    try:
        service = make_session_manager(paths, open_browser=open_browser, code_prompt=code_prompt)
        services.append(service)
    except ImportError:
        QMessageBox.critical(None, "AWS Login Tray", "The session manager is not installed; cannot start.")
        return 1

    loop = make_event_loop(early.qapp)
    asyncio.set_event_loop(loop)
    with loop:
        runner = TaskRunner(presenter, loop)
        tray_available = early.tray is not None or QSystemTrayIcon.isSystemTrayAvailable()
        app = TrayApp(
            service,
            presenter=presenter,
            icons=early.icons,
            tray_available=tray_available,
            doctor=lambda: _doctor_panel(runner, paths),
            runner=runner,
            log_file=paths.log_file,
            tray_icon=early.tray,
        )
        apps.append(app)
        early.instance.show_requested.connect(app.show_switcher)
        signals = install_signal_handlers(app.quit, loop)
        if early.quit_requested:  # asked to quit while the app was being built
            app.quit()
        if demo_text:
            presenter.show("AWS Login Tray demo", demo_text)
        run = app.run(sign_in_first=demo_text is not None, announce_ready=early.tray is None)
        code: int = loop.run_until_complete(run)
        signals.stop()
    early.instance.close()
    return code


def _doctor_panel(runner: TaskRunner, paths: AppPaths) -> DoctorPanel:
    """The switcher's doctor panel (imported with it: core.awsconfig.doctor loads the config parser)."""
    from gui.doctor import DoctorPanel, core_doctor

    return DoctorPanel(runner, *core_doctor(paths))


def make_session_manager(paths: AppPaths, *, open_browser: BrowserOpener, code_prompt: CodePrompt) -> SessionService:
    """Build core's :class:`SessionManager` (imported late: it pulls in boto3)."""
    from core.domain.ports import SystemClock
    from core.sessions.manager import SessionManager

    manager: SessionService = SessionManager(
        paths, clock=SystemClock(), open_browser=open_browser, code_prompt=code_prompt
    )
    return manager
