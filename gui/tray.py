"""The tray icon and its menu.

The icon shows the worst state of all sessions, the tooltip the active
profile and its time left. The menu lists every session (a check mark on
the active one; choosing one makes it active), per-session actions under
"Manage sessions", and the app's commands. While the menu is open a
one-second timer re-renders the countdowns from core's clock; it decides
nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from core.domain.events import SessionEvent
from core.domain.model import MAX_SESSIONS, Session, SessionState
from gui.actions import SESSION_LIMIT_TEXT, SessionActions
from gui.format import menu_label, tooltip_text
from gui.icons import IconSet, TrayStatus, overall_status

TICK_MS = 1000
IDLE_TICK_MS = 30_000


class TrayController(QObject):
    """Owns the :class:`QSystemTrayIcon` and renders core's sessions into it."""

    def __init__(
        self,
        actions: SessionActions,
        icons: IconSet,
        *,
        open_switcher: Callable[[], None],
        open_settings: Callable[[], None],
        quit_app: Callable[[], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._service = actions.service
        self._icons = icons
        self._open_switcher = open_switcher
        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)
        self.menu.setMinimumWidth(460)
        self.tray = QSystemTrayIcon(icons.status_icon(TrayStatus.EMPTY), self)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._activated)
        self.session_actions: dict[str, QAction] = {}
        self.status = TrayStatus.EMPTY
        self.tray.setToolTip("AWS Login Tray")

        self.manage_menu = QMenu("Manage sessions")
        self.sign_in_action = QAction("Sign in…", self)
        self.sign_in_action.triggered.connect(self._sign_in_clicked)
        self.remote_action = QAction("Sign in on another device…", self)
        self.remote_action.triggered.connect(lambda: self._actions.sign_in(remote=True))
        self.switcher_action = QAction("Open switcher…", self)
        self.switcher_action.triggered.connect(open_switcher)
        self.settings_action = QAction("Settings…", self)
        self.settings_action.triggered.connect(open_settings)
        self.quit_action = QAction("Quit", self)
        self.quit_action.triggered.connect(quit_app)

        self._menu_timer = QTimer(self)
        self._menu_timer.setInterval(TICK_MS)
        self._menu_timer.timeout.connect(self.tick)
        self._idle_timer = QTimer(self)
        self._idle_timer.setInterval(IDLE_TICK_MS)
        self._idle_timer.timeout.connect(self.refresh_icon)
        self._idle_timer.start()
        self.menu.aboutToShow.connect(self._menu_shown)
        self.menu.aboutToHide.connect(self._menu_timer.stop)
        actions.sign_in_running_changed.connect(lambda _running: self.rebuild())
        self.rebuild()

    # -- events ------------------------------------------------------------------
    def on_event(self, _event: SessionEvent) -> None:
        """Re-render after any change in core."""
        self.rebuild()

    def show(self) -> None:
        """Put the icon in the tray."""
        self.tray.show()

    def hide(self) -> None:
        """Take the icon out of the tray."""
        self.tray.hide()

    def countdown_running(self) -> bool:
        """True while the open menu re-renders every second."""
        return self._menu_timer.isActive()

    def _menu_shown(self) -> None:
        self.tick()
        self._menu_timer.start()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self._open_switcher()

    def _choose(self, session_id: str) -> None:
        # Keep one check mark until core confirms the switch (its event rebuilds the menu).
        active = self._service.active_session_id()
        for sid, action in self.session_actions.items():
            action.setChecked(sid == active)
        self._actions.make_active(session_id)

    def _sign_in_clicked(self) -> None:
        if self._actions.sign_in_running:
            self._actions.cancel_sign_in()
        else:
            self._actions.sign_in()

    # -- rendering -----------------------------------------------------------------
    def rebuild(self) -> None:
        """Rebuild the menu from core's current snapshots."""
        sessions = self._service.sessions()
        active = self._service.active_session_id()
        now = self._service.now()
        self.menu.clear()
        self.manage_menu.clear()
        for action in self.session_actions.values():
            action.deleteLater()
        self.session_actions = {}

        if not sessions:
            empty = self.menu.addAction("No sessions yet: choose “Sign in…”")
            empty.setEnabled(False)
        for session in sessions:
            action = QAction(menu_label(session, now), self)
            action.setCheckable(True)
            action.setChecked(session.id == active)
            action.setToolTip(session.identity.arn)
            action.triggered.connect(lambda _checked=False, sid=session.id: self._choose(sid))
            self.menu.addAction(action)
            self.session_actions[session.id] = action
            self._add_manage_submenu(session)

        self.menu.addSeparator()
        self.manage_menu.setEnabled(bool(sessions))
        self.menu.addMenu(self.manage_menu)
        self.menu.addSeparator()
        self._render_sign_in(len(sessions))
        self.menu.addAction(self.sign_in_action)
        self.menu.addAction(self.remote_action)
        self.menu.addSeparator()
        self.menu.addAction(self.switcher_action)
        self.menu.addAction(self.settings_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.refresh_icon()

    def _add_manage_submenu(self, session: Session) -> None:
        sub = self.manage_menu.addMenu(f"{session.profile_name} ({session.account_id})")
        if session.state in (SessionState.NEEDS_SIGN_IN, SessionState.ENDED):
            again = sub.addAction("Sign in again…")
            again.triggered.connect(
                lambda _c=False, s=session: self._actions.sign_in(region=s.region, profile_name=s.profile_name)
            )
        else:
            refresh = sub.addAction("Refresh now")
            refresh.triggered.connect(lambda _c=False, sid=session.id: self._actions.refresh(sid))
        sign_out = sub.addAction("Sign out…")
        sign_out.triggered.connect(lambda _c=False, sid=session.id: self._actions.sign_out(sid))

    def _render_sign_in(self, count: int) -> None:
        running = self._actions.sign_in_running
        full = count >= MAX_SESSIONS
        if running:
            self.sign_in_action.setText("Cancel sign-in (waiting for the browser)")
            self.sign_in_action.setToolTip("")
        elif full:
            self.sign_in_action.setText(f"Sign in… ({MAX_SESSIONS} of {MAX_SESSIONS} sessions: sign one out first)")
            self.sign_in_action.setToolTip(SESSION_LIMIT_TEXT)
        else:
            self.sign_in_action.setText("Sign in…")
            self.sign_in_action.setToolTip("Open the AWS sign-in page in your browser")
        self.sign_in_action.setEnabled(running or (not full and self._service.can_add_session()))
        self.remote_action.setEnabled(not running and not full and self._service.can_add_session())
        self.remote_action.setToolTip(SESSION_LIMIT_TEXT if full else "For machines without a browser")

    def tick(self) -> None:
        """Re-render the countdowns (text only) from core's clock."""
        now = self._service.now()
        for session in self._service.sessions():
            action = self.session_actions.get(session.id)
            if action is not None:
                action.setText(menu_label(session, now))
        self.refresh_icon()

    def refresh_icon(self) -> None:
        """Update the icon and tooltip from the current snapshots."""
        sessions = self._service.sessions()
        now = self._service.now()
        active_id = self._service.active_session_id()
        status = overall_status(sessions, now, self._service.settings().expiry_lead_minutes)
        if status != self.status or self.tray.icon().isNull():
            self.tray.setIcon(self._icons.status_icon(status))
        self.status = status
        active = next((s for s in sessions if s.id == active_id), None)
        self.tray.setToolTip(tooltip_text(active, len(sessions), now))
