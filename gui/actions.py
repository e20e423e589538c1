"""The user's intents, shared by the tray menu and the switcher.

Each method turns a click into one core call through the
:class:`gui.tasks.TaskRunner`. Questions to the user (confirmations,
names, regions) go through small replaceable callables so tests can
answer them without a nested event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox, QWidget

from core.domain.model import MAX_SESSIONS, Session
from core.sessions.service import SessionService
from gui import dialogs
from gui.tasks import TaskRunner

SESSION_LIMIT_TEXT = (
    f"The AWS console keeps at most {MAX_SESSIONS} sessions at once. Sign one out before signing in again."
)


def ask_confirmation(parent: QWidget | None, title: str, text: str) -> bool:
    """Ask a yes/no question (modal)."""
    answer = QMessageBox.question(parent, title, text, QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
    return answer == QMessageBox.StandardButton.Yes


def ask_text(parent: QWidget | None, title: str, label: str, current: str) -> str | None:
    """Ask for one line of text (modal); None when cancelled."""
    text, ok = QInputDialog.getText(parent, title, label, QLineEdit.EchoMode.Normal, current)
    return text.strip() if ok and text.strip() else None


class SessionActions(QObject):
    """What a click can ask of core."""

    sign_in_running_changed = Signal(bool)

    def __init__(self, service: SessionService, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._sign_in: asyncio.Task[Session] | None = None
        self.parent_widget: Callable[[], QWidget | None] = lambda: None
        self.confirm: Callable[[QWidget | None, str, str], bool] = ask_confirmation
        self.ask_text: Callable[[QWidget | None, str, str, str], str | None] = ask_text
        self.ask_region: Callable[[QWidget | None, str | None], dialogs.RegionChoice | None] = dialogs.ask_region

    @property
    def service(self) -> SessionService:
        """The core service these actions drive."""
        return self._service

    @property
    def sign_in_running(self) -> bool:
        """True while a browser sign-in waits for the user."""
        return self._sign_in is not None and not self._sign_in.done()

    def _session(self, session_id: str) -> Session | None:
        return next((s for s in self._service.sessions() if s.id == session_id), None)

    def make_active(self, session_id: str) -> None:
        """Point the active profile at this session."""
        self._runner.start(self._service.set_active(session_id), context="Switch profile")

    def refresh(self, session_id: str) -> None:
        """Refresh one session now."""
        self._runner.start(self._service.refresh(session_id), context="Refresh")

    def sign_out(self, session_id: str, *, confirm: bool = True) -> bool:
        """Sign a session out after asking; returns whether it was started."""
        session = self._session(session_id)
        if session is None:
            return False
        if confirm and not self.confirm(
            self.parent_widget(),
            "Sign out",
            f"Sign out of {session.profile_name} ({session.account_id}, {session.identity.display_name})?\n\n"
            "Its refresh token, credentials and profile are removed. Credentials already handed to "
            "programs stay valid until they expire (at most 15 minutes).",
        ):
            return False
        self._runner.start(self._service.sign_out(session_id), context="Sign out")
        return True

    def rename(self, session_id: str) -> bool:
        """Ask for a new profile name and apply it."""
        session = self._session(session_id)
        if session is None:
            return False
        name = self.ask_text(self.parent_widget(), "Rename profile", "Profile name:", session.profile_name)
        if name is None or name == session.profile_name:
            return False
        self._runner.start(self._service.rename_profile(session_id, name), context="Rename profile")
        return True

    def change_region(self, session_id: str) -> bool:
        """Ask for a region and write it to the session's profile."""
        session = self._session(session_id)
        if session is None:
            return False
        choice = self.ask_region(self.parent_widget(), session.region)
        if choice is None or choice.region == session.region:
            return False
        self._runner.start(self._service.set_region(session_id, choice.region), context="Change region")
        return True

    def sign_in(self, *, remote: bool = False, region: str | None = None, profile_name: str | None = None) -> bool:
        """Start a browser sign-in; asks the region the first time. Returns whether it started."""
        if self.sign_in_running:
            return False
        settings = self._service.settings()
        region = region or settings.default_region
        if region is None:
            choice = self.ask_region(self.parent_widget(), None)
            if choice is None:
                return False
            region, remote = choice.region, remote or choice.remote
            if choice.remember:
                self._runner.start(
                    self._service.update_settings(replace(self._service.settings(), default_region=region)),
                    context="Save settings",
                )
        task = self._runner.start(
            self._service.sign_in(region, profile_name, remote=remote),
            context="Sign in",
            on_done=lambda: self.sign_in_running_changed.emit(False),
        )
        self._sign_in = task
        self.sign_in_running_changed.emit(True)
        return True

    def cancel_sign_in(self) -> None:
        """Abandon the sign-in that is waiting for the browser."""
        if self._sign_in is not None and not self._sign_in.done():
            self._sign_in.cancel()
