"""The tray icon and its menu.

The icon shows core's verdict on all sessions (needs sign-in, retrying,
expiring, fresh), the tooltip the active profile and every session that
needs attention. The menu lists every session: a round mark for trouble
(or a check on the active one), the profile on the left and who, where and
how long on the right. Choosing a live session makes it active; choosing a
dead one signs it in again (one step). "Manage sessions" holds each
session's full set of actions. While the menu is open a one-second timer
re-renders the countdowns from core's clock; it decides nothing.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from core.domain.events import SessionEvent
from core.domain.model import MAX_SESSIONS, Session
from core.sessions.attention import attention_of, needs_sign_in
from gui.actions import SESSION_LIMIT_TEXT, SessionActions
from gui.format import menu_label, tooltip_text
from gui.icons import IconSet, TrayStatus, mark_icon, overall_status, session_mark
from gui.roles import TrayRoles
from gui.session_menu import fill_session_menu

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
        show_log: Callable[[], None] | None = None,
        show_about: Callable[[], None] | None = None,
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
        self.tray = QSystemTrayIcon(icons.status_icon(TrayStatus.EMPTY, self._theme()), self)
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._activated)
        self.session_actions: dict[str, QAction] = {}
        self.active_id: str | None = None
        self.roles = TrayRoles(actions, self)
        self.status = TrayStatus.EMPTY
        self._icon_key: tuple[TrayStatus, str] | None = None
        self.tray.setToolTip("AWS Login Tray")

        self.manage_menu = QMenu("&Manage sessions")
        self.sign_in_action = QAction("S&ign in…", self)
        self.sign_in_action.triggered.connect(self._sign_in_clicked)
        self.remote_action = QAction("Sign in on another &device…", self)
        self.remote_action.triggered.connect(lambda: self._actions.sign_in(remote=True))
        self.switcher_action = QAction("Open s&witcher…", self)
        self.switcher_action.triggered.connect(open_switcher)
        self.settings_action = QAction("Se&ttings…", self)
        self.settings_action.triggered.connect(open_settings)
        self.log_action = QAction("Show &log…", self)
        self.log_action.triggered.connect(show_log or (lambda: None))
        self.log_action.setVisible(show_log is not None)
        self.about_action = QAction("A&bout AWS Login Tray", self)
        self.about_action.triggered.connect(show_about or (lambda: None))
        self.about_action.setVisible(show_about is not None)
        self.quit_action = QAction("&Quit", self)
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

    def _theme(self) -> str:
        return self._service.settings().icon_theme

    def _menu_shown(self) -> None:
        self.tick()
        self._menu_timer.start()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (QSystemTrayIcon.ActivationReason.Trigger, QSystemTrayIcon.ActivationReason.DoubleClick):
            self._open_switcher()

    def _choose(self, session_id: str) -> None:
        session = self._actions.session(session_id)
        if session is not None and needs_sign_in(session):
            self._actions.sign_in_again(session_id)  # the one-step way back
        else:
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
        self.active_id = self._service.active_session_id()
        self.menu.clear()
        self.manage_menu.clear()
        for action in self.session_actions.values():
            action.deleteLater()
        self.session_actions = {}
        self.roles.clear()
        roles = self._service.role_profiles.list_roles() if sessions else []
        active_role = self.roles.active_role()

        if not sessions:
            empty = self.menu.addAction("No sessions yet: choose “Sign in…”")
            empty.setEnabled(False)
        for session in sessions:
            action = QAction(self)
            action.triggered.connect(lambda _checked=False, sid=session.id: self._choose(sid))
            self.menu.addAction(action)
            self.session_actions[session.id] = action
            self.roles.add_under(self.menu, session, roles, active_role)
            sub = self.manage_menu.addMenu(session.profile_name)
            fill_session_menu(sub, self._actions, session, active=session.id == self.active_id)
        self._render_rows(sessions)

        self.menu.addSeparator()
        self.manage_menu.setEnabled(bool(sessions))
        self.menu.addMenu(self.manage_menu)
        self.menu.addSeparator()
        self._render_sign_in(len(sessions))
        self.menu.addAction(self.sign_in_action)
        self.menu.addAction(self.remote_action)
        self.menu.addSeparator()
        for action in (self.switcher_action, self.settings_action, self.log_action, self.about_action):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.refresh_icon()

    def _render_rows(self, sessions: list[Session]) -> None:
        now = self._service.now()
        leads = self._service.settings().expiry_lead_minutes
        for session in sessions:
            action = self.session_actions.get(session.id)
            if action is None:
                continue
            active = session.id == self.active_id
            action.setText(menu_label(session, now))
            action.setIcon(mark_icon(session_mark(attention_of(session, now, leads), active)))
            font = QFont(action.font())
            font.setBold(active)
            action.setFont(font)
            dead = needs_sign_in(session)
            action.setToolTip(
                f"{session.identity.arn}\n"
                + ("Choose to sign in again." if dead else "Choose to make it the active profile.")
            )

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
            self.sign_in_action.setText("S&ign in…")
            self.sign_in_action.setToolTip("Open the AWS sign-in page in your browser")
        self.sign_in_action.setEnabled(running or (not full and self._service.can_add_session()))
        self.remote_action.setEnabled(not running and not full and self._service.can_add_session())
        self.remote_action.setToolTip(SESSION_LIMIT_TEXT if full else "For machines without a browser")

    def tick(self) -> None:
        """Re-render the countdowns and marks (text and icons only) from core's clock."""
        self._render_rows(self._service.sessions())
        self.refresh_icon()

    def refresh_icon(self) -> None:
        """Update the icon and tooltip from the current snapshots."""
        sessions = self._service.sessions()
        now = self._service.now()
        active_id = self._service.active_session_id()
        leads = self._service.settings().expiry_lead_minutes
        status = overall_status(sessions, now, leads)
        key = (status, self._theme())
        if key != self._icon_key or self.tray.icon().isNull():
            self.tray.setIcon(self._icons.status_icon(*key))
            self._icon_key = key
        self.status = status
        active = next((s for s in sessions if s.id == active_id), None)
        self.tray.setToolTip(tooltip_text(active, sessions, now, leads))
