"""The tray icon and its menu.

The icon shows core's verdict on all sessions (needs sign-in, retrying,
expiring, fresh), the tooltip the active profile and every session that
needs attention. The menu lists every session: a round mark for trouble
(or a check on the active one), the profile on the left and who, where and
how long on the right. Choosing a live session makes it active; choosing a
dead one signs it in again (one step). "Manage sessions" holds each
session's full set of actions. While the menu is open its countdowns are
re-rendered from core's clock when their text changes (once a minute while
hours are shown, once a second in the last hour or while a retry is
counted down); the timer decides nothing. While it is closed nothing
ticks: the icon and tooltip are redrawn on core's events, when the icon's
status next changes (a warning lead time is crossed), and for the
tooltip's countdown at most once a minute.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta

from PySide6.QtCore import QObject, QTimer
from PySide6.QtGui import QAction, QFont
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from core.domain.events import SessionEvent
from core.domain.model import MAX_SESSIONS, Session, holding_places
from core.domain.timefmt import next_countdown_change
from core.sessions.attention import attention_of, needs_sign_in, next_attempt_in
from gui.actions import SESSION_LIMIT_TEXT, SessionActions
from gui.format import menu_label, tooltip_text
from gui.icons import IconSet, TrayStatus, mark_icon, next_status_change, overall_status, session_mark
from gui.roles import TrayRoles
from gui.session_menu import fill_session_menu

MIN_TICK_MS = 50
"""Never re-arm sooner: a change due now is rendered on the next pass."""
TOOLTIP_REFRESH = timedelta(minutes=1)
"""The tooltip's countdown is unseen most of the time: rewritten at most this often."""


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
        list_roles: bool = True,
        tray_icon: QSystemTrayIcon | None = None,
        parent: QObject | None = None,
    ) -> None:
        """``list_roles=False`` leaves role rows out until :meth:`show_roles` (listing them reads the AWS config).

        ``tray_icon``: an icon already in the tray (shown at start), taken over instead of a new one.
        """
        super().__init__(parent)
        self._actions = actions
        self._service = actions.service
        self._icons = icons
        self._open_switcher = open_switcher
        self.menu = QMenu()
        self.menu.setToolTipsVisible(True)
        self.menu.setMinimumWidth(460)
        self.tray = (
            self._adopt(tray_icon)
            if tray_icon is not None
            else QSystemTrayIcon(icons.status_icon(TrayStatus.EMPTY, self._theme()), self)
        )
        self.tray.setContextMenu(self.menu)
        self.tray.activated.connect(self._activated)
        self.session_actions: dict[str, QAction] = {}
        self.active_id: str | None = None
        self.roles = TrayRoles(actions, self)
        self._shown: tuple[object, ...] | None = None
        self._list_roles = list_roles
        self.status = TrayStatus.EMPTY
        self._icon_key: tuple[TrayStatus, str] | None = None
        self.tray.setToolTip("AWS Login Tray")

        self.manage_menu = QMenu("&Manage sessions")
        self._session_menus: dict[str, QMenu] = {}
        """Each session's submenu of the manage menu, kept across rebuilds (an open one stays open)."""
        self.sign_in_action = QAction("S&ign in…", self)
        self.sign_in_action.triggered.connect(self._sign_in_clicked)
        self.remote_action = QAction("Sign in on another &device…", self)
        self.remote_action.triggered.connect(lambda: self._actions.sign_in(remote=True))
        self.switcher_action = QAction("Open s&witcher…", self)
        self.switcher_action.triggered.connect(open_switcher)
        self.settings_action = QAction("Se&ttings…", self)
        self.settings_action.triggered.connect(open_settings)
        self.undo_config_action = QAction("&Undo last change to ~/.aws/config…", self)
        self.undo_config_action.triggered.connect(lambda _checked=False: self._actions.undo_config_change())
        self.log_action = QAction("Show &log…", self)
        self.log_action.triggered.connect(show_log or (lambda: None))
        self.log_action.setVisible(show_log is not None)
        self.about_action = QAction("A&bout AWS Login Tray", self)
        self.about_action.triggered.connect(show_about or (lambda: None))
        self.about_action.setVisible(show_about is not None)
        self.quit_action = QAction("&Quit", self)
        self.quit_action.triggered.connect(quit_app)

        self._menu_open = False
        self._menu_timer = _single_shot(self, self._menu_tick)
        self._idle_timer = _single_shot(self, self.refresh_icon)
        self._rebuild_timer = _single_shot(self, self.rebuild)
        self._rebuild_timer.setInterval(0)
        self.menu.aboutToShow.connect(self._menu_shown)
        self.menu.aboutToHide.connect(self._menu_hidden)
        actions.sign_in_running_changed.connect(lambda _running: self.rebuild())
        self.rebuild()

    def _adopt(self, tray_icon: QSystemTrayIcon) -> QSystemTrayIcon:
        tray_icon.setParent(self)
        return tray_icon

    # -- events ------------------------------------------------------------------
    def on_event(self, _event: SessionEvent) -> None:
        """Re-render after any change in core: at once while the menu is open, else on the next turn of the loop.

        Events that arrive together (five refreshes landing in one round) then cost one rebuild, not one each.
        """
        if self._menu_open:
            self.rebuild()
        elif not self._rebuild_timer.isActive():
            self._rebuild_timer.start()

    def show_roles(self) -> None:
        """Add the role rows under their sessions from now on."""
        self._list_roles = True
        self.rebuild()

    def show(self) -> None:
        """Put the icon in the tray."""
        self.tray.show()

    def hide(self) -> None:
        """Take the icon out of the tray."""
        self.tray.hide()

    def countdown_running(self) -> bool:
        """True while the open menu waits to re-render a countdown."""
        return self._menu_timer.isActive()

    def countdown_interval_ms(self) -> int | None:
        """How long the open menu waits before it re-renders a countdown (None: it does not)."""
        return self._menu_timer.interval() if self._menu_timer.isActive() else None

    def icon_update_interval_ms(self) -> int | None:
        """How long until the icon and tooltip are redrawn with no event from core (None: never)."""
        return self._idle_timer.interval() if self._idle_timer.isActive() else None

    def _theme(self) -> str:
        return self._service.settings().icon_theme

    def _menu_shown(self) -> None:
        self._menu_open = True
        self._menu_tick()

    def _menu_hidden(self) -> None:
        self._menu_open = False
        self._menu_timer.stop()

    def _menu_tick(self) -> None:
        self.tick()
        now = self._service.now()
        changes = [next_countdown_change(left) for s in self._service.sessions() for left in _countdowns(s, now)]
        _arm(self._menu_timer, min((c for c in changes if c is not None), default=None) if self._menu_open else None)

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
        """Rebuild the menu from core's current snapshots (only re-render it when none of them changed)."""
        sessions = self._service.sessions()
        self.active_id = self._service.active_session_id()
        roles = self._service.role_profiles.list_roles() if sessions and self._list_roles else []
        active_role = self.roles.active_role()
        shown = (tuple(sessions), self.active_id, tuple(roles), active_role, self._actions.sign_in_running,
                 self._service.can_add_session(), self._service.settings())  # fmt: skip
        if shown == self._shown:  # e.g. "refreshing" events, which change no snapshot
            self.tick()
            return
        self._shown = shown
        self.menu.clear()
        self.manage_menu.clear()  # (takes the submenus' entries out; the submenus are reused or deleted below)
        for action in self.session_actions.values():
            action.deleteLater()
        self.session_actions = {}
        self.roles.clear()
        submenus: dict[str, QMenu] = {}

        if not sessions:
            empty = self.menu.addAction("No sessions yet: choose “Sign in…”")
            empty.setEnabled(False)
        for session in sessions:
            action = QAction(self)
            action.triggered.connect(lambda _checked=False, sid=session.id: self._choose(sid))
            self.menu.addAction(action)
            self.session_actions[session.id] = action
            self.roles.add_under(self.menu, session, roles, active_role)
            self._add_session_menu(session, submenus)
        for gone in self._session_menus.values():
            gone.deleteLater()
        self._session_menus = submenus
        self._render_rows(sessions)

        self.menu.addSeparator()
        self.manage_menu.setEnabled(bool(sessions))
        self.menu.addMenu(self.manage_menu)
        self.menu.addSeparator()
        self._render_sign_in(len(holding_places(sessions)))
        self.menu.addAction(self.sign_in_action)
        self.menu.addAction(self.remote_action)
        self.menu.addSeparator()
        for action in (
            self.switcher_action,
            self.settings_action,
            self.undo_config_action,
            self.log_action,
            self.about_action,
        ):
            self.menu.addAction(action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.refresh_icon()

    def _add_session_menu(self, session: Session, submenus: dict[str, QMenu]) -> None:
        """``session``'s submenu in the manage menu: its menu from the last rebuild refilled, or a new one."""
        sub = self._session_menus.pop(session.id, None)
        if sub is None:
            sub = QMenu(self.manage_menu)
        sub.clear()  # deletes the actions it owned: a rebuild leaves nothing behind, all day
        sub.setTitle(session.profile_name)
        self.manage_menu.addMenu(sub)
        fill_session_menu(sub, self._actions, session, active=session.id == self.active_id)
        submenus[session.id] = sub

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
        self._schedule_icon_update(sessions, active, now)

    def _schedule_icon_update(self, sessions: list[Session], active: Session | None, now: datetime) -> None:
        """Wake again only when the icon's status or the tooltip's text changes."""
        leads = self._service.settings().expiry_lead_minutes
        waits = [next_status_change(sessions, now, leads)]
        shown = [left for s in sessions if s is active or attention_of(s, now, leads) for left in _countdowns(s, now)]
        tooltip = min((c for c in map(next_countdown_change, shown) if c is not None), default=None)
        waits.append(None if tooltip is None else max(tooltip, TOOLTIP_REFRESH))
        _arm(self._idle_timer, min((w for w in waits if w is not None), default=None))


def _countdowns(session: Session, now: datetime) -> list[timedelta]:
    """The countdowns a row or tooltip line shows for ``session``: time left, and the next retry."""
    if not session.state.live:
        return []
    retry = next_attempt_in(session, now)
    return [session.session_remaining(now)] + ([retry] if retry is not None else [])


def _single_shot(parent: QObject, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.timeout.connect(slot)
    return timer


def _arm(timer: QTimer, wait: timedelta | None) -> None:
    """Fire ``timer`` once, just after ``wait`` (None: not at all)."""
    if wait is None:
        timer.stop()
    else:
        timer.start(max(MIN_TICK_MS, math.ceil(wait.total_seconds() * 1000) + 1))
