"""The user's intents, shared by the tray menu, the switcher and the notifications.

Each method turns a click into one core call through the
:class:`gui.tasks.TaskRunner`. Questions to the user (confirmations,
names, regions, "add as a new session?") go through small replaceable
callables so tests can answer them without a nested event loop.

One channel per event: a refresh failure that core also publishes as the
session's state (retrying, needs sign-in) is shown by that state (icon, row
mark, notification), or inline in the switcher when the switcher asked;
never again as a message box.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QWidget

from core.domain.model import MAX_SESSIONS, Session
from core.sessions.attention import needs_sign_in, shown_as_state
from core.sessions.identity import MismatchQuestion
from core.sessions.naming import friendly_name, name_problem
from core.sessions.service import SessionService
from gui import dialogs, prompts
from gui.errors import describe
from gui.tasks import TaskRunner

if TYPE_CHECKING:
    from gui.roles import RoleActions

SESSION_LIMIT_TEXT = (
    f"The AWS console keeps at most {MAX_SESSIONS} sessions at once. Sign one out before adding another; "
    "a session that needs a new sign-in can always be signed in again."
)

InlineReport = Callable[[str], None]
"""Shows one sentence inline (the switcher's message line)."""


def export_lines(session: Session) -> str:
    """Shell lines that point a terminal at the session's profile (no secret: the profile stays fresh)."""
    return f"export AWS_PROFILE={shlex.quote(session.profile_name)}\nexport AWS_REGION={shlex.quote(session.region)}\n"


class SessionActions(QObject):
    """What a click can ask of core."""

    sign_in_running_changed = Signal(bool)
    copied = Signal(str)
    """A short confirmation after something was put on the clipboard."""
    told = Signal(str)
    """What core said about something the user just did (e.g. an `aws login` sign-in left in place)."""

    def __init__(self, service: SessionService, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._sign_in: asyncio.Task[Session] | None = None
        self.sign_in_url: str | None = None
        """The page the browser was sent to for the sign-in in progress (for "Copy link")."""
        self.inline_sessions: set[str] = set()
        """Sessions whose failures the switcher is reporting inline right now (no notification)."""
        self.parent_widget: Callable[[], QWidget | None] = lambda: None
        self.confirm: Callable[[QWidget | None, str, str, str], bool] = prompts.ask_confirmation
        self.ask_name: Callable[..., Awaitable[str | None]] = prompts.ask_name
        self.ask_region: Callable[[QWidget | None, str | None], dialogs.RegionChoice | None] = dialogs.ask_region
        self.ask_mismatch: Callable[[QWidget | None, MismatchQuestion], Awaitable[bool]] = prompts.ask_add_as_new
        self._roles: RoleActions | None = None

    @property
    def roles(self) -> RoleActions:
        """What a click can ask about role profiles (built on first use)."""
        if self._roles is None:
            from gui.roles import RoleActions  # gui.roles builds on this module

            self._roles = RoleActions(self, self)
        return self._roles

    def add_role(self, session_id: str) -> None:
        """Open "Add role…" for a session: a role in another account, assumed with its credentials."""
        self.roles.add(session_id)

    @property
    def runner(self) -> TaskRunner:
        """The task runner every intent goes through."""
        return self._runner

    @property
    def service(self) -> SessionService:
        """The core service these actions drive."""
        return self._service

    @property
    def sign_in_running(self) -> bool:
        """True while a browser sign-in waits for the user."""
        return self._sign_in is not None and not self._sign_in.done()

    def session(self, session_id: str) -> Session | None:
        """Core's current snapshot of one session."""
        return next((s for s in self._service.sessions() if s.id == session_id), None)

    def make_active(self, session_id: str) -> bool:
        """Point the active profile at this session; a dead one only after asking. Returns whether it started."""
        session = self.session(session_id)
        if session is None:
            return False
        if needs_sign_in(session) and not self.confirm(
            self.parent_widget(),
            "Make a dead session active?",
            f"{session.profile_name} needs a new sign-in: every program using the active profile would fail "
            "until you sign it in again.",
            "Make active anyway",
        ):
            return False
        self._runner.start(self._service.set_active(session_id), context="Switch profile")
        return True

    def undo_config_change(self) -> bool:
        """After asking, restore ``~/.aws/config`` from before the app's last change. Returns whether it started."""
        if not self.confirm(
            self.parent_widget(),
            "Undo the last change to ~/.aws/config?",
            "AWS Login Tray keeps a copy of your AWS config from before each change it makes. Restore that copy? "
            "Profiles it wrote since then are written again by the next sign-in or switch.",
            "Undo change",
        ):
            return False
        self._runner.start(self._service.undo_config_change(), context="Undo last change to ~/.aws/config")
        return True

    def refresh(self, session_id: str, *, report: InlineReport | None = None) -> None:
        """Refresh one session now; with ``report``, failures are told there (and by no notification)."""
        if report is not None:
            self.inline_sessions.add(session_id)

        def failed(exc: BaseException) -> bool:
            if report is not None:
                report(describe(exc) or "")
                return True
            return shown_as_state(exc)  # the session's state (and its notification) already says it

        self._runner.start(
            self._service.refresh(session_id),
            context="Refresh",
            on_error=failed,
            on_done=lambda: self.inline_sessions.discard(session_id),
        )

    def recover(self, session_id: str, *, report: InlineReport | None = None) -> None:
        """The one-step recovery: sign a dead session in again, refresh a live one."""
        session = self.session(session_id)
        if session is not None and needs_sign_in(session):
            self.sign_in_again(session_id)
        else:
            self.refresh(session_id, report=report)

    def sign_out(self, session_id: str, *, confirm: bool = True) -> bool:
        """Sign a session out after asking; returns whether it was started."""
        session = self.session(session_id)
        if session is None:
            return False
        if confirm and not self.confirm(
            self.parent_widget(),
            "Sign out",
            f"Sign out of {session.profile_name} ({session.account_id}, {session.identity.display_name})?\n\n"
            "Its refresh token, credentials and profile are removed, with the role profiles aws-login-tray "
            "wrote for it. Credentials already handed to "
            "programs stay valid until they expire (at most 15 minutes).",
            "Sign out",
        ):
            return False
        self._runner.start(
            self._service.sign_out(session_id),
            context="Sign out",
            on_success=lambda notice: self.told.emit(notice) if notice else None,
        )
        return True

    def rename(self, session_id: str) -> bool:
        """Ask for a new profile name (checked as it is typed) and apply it. Returns whether it asked."""
        session = self.session(session_id)
        if session is None:
            return False
        self._runner.start(self._rename(session, "Rename profile", session.profile_name), context="Rename profile")
        return True

    def _name_check(self, session: Session) -> Callable[[str], str | None]:
        def check(name: str) -> str | None:
            if name == session.profile_name:
                return None
            active = self._service.settings().active_profile_name
            return name_problem(name, sessions=self._service.sessions(), active_profile_name=active, own=session)

        return check

    async def _rename(self, session: Session, title: str, suggestion: str, *, first: bool = False) -> None:
        if first:
            text = (
                f"Signed in as {session.identity.display_name} in account {session.account_id}. "
                f"Programs reach it with --profile NAME; a short name is easier to type than "
                f"{session.profile_name}."
            )
            accept, keep = "Use this name", f"Keep {session.profile_name}"
        else:
            text, accept, keep = f"New name for profile {session.profile_name}:", "Rename", "Cancel"
        check = self._name_check(session)
        name = await self.ask_name(self.parent_widget(), title, text, suggestion, check=check, accept=accept, keep=keep)
        if name is not None and name != session.profile_name:
            await self._service.rename_profile(session.id, name)

    def offer_friendly_name(self, session: Session) -> None:
        """After a principal's first sign-in under its default name, offer a short one."""
        if session.profile_name != session.identity.default_profile_name:
            return
        taken = [s.profile_name for s in self._service.sessions()] + [self._service.settings().active_profile_name]
        suggestion = friendly_name(session.identity, taken)
        self._runner.start(self._rename(session, "Name this profile", suggestion, first=True), context="Rename profile")

    def change_region(self, session_id: str) -> bool:
        """Ask for a region and write it to the session's profile."""
        session = self.session(session_id)
        if session is None:
            return False
        choice = self.ask_region(self.parent_widget(), session.region)
        if choice is None or choice.region == session.region:
            return False
        self._runner.start(self._service.set_region(session_id, choice.region), context="Change region")
        return True

    def copy(self, text: str, what: str) -> None:
        """Put ``text`` on the clipboard and say so."""
        QGuiApplication.clipboard().setText(text)
        self.copied.emit(f"Copied {what}")

    def copy_field(self, session_id: str, field: str) -> None:
        """Copy the session's ``profile``, ``account``, ``arn`` or ``export`` lines."""
        session = self.session(session_id)
        if session is None:
            return
        text, what = {
            "profile": (session.profile_name, f"profile name {session.profile_name}"),
            "account": (session.account_id, f"account id {session.account_id}"),
            "arn": (session.identity.arn, "ARN"),
            "export": (export_lines(session), "export lines"),
        }[field]
        self.copy(text, what)

    def _ask_mismatch(self, question: MismatchQuestion) -> Awaitable[bool]:
        return self.ask_mismatch(self.parent_widget(), question)

    def note_sign_in_url(self, url: str) -> None:
        """Core sent the browser to ``url`` (the switcher offers to copy it while the sign-in waits)."""
        self.sign_in_url = url
        self.sign_in_running_changed.emit(self.sign_in_running)

    def _start_sign_in(
        self, coro: Coroutine[Any, Any, Session], on_success: Callable[[Session], None] | None = None
    ) -> None:
        self.sign_in_url = None
        task = self._runner.start(
            coro,
            context="Sign in",
            on_success=on_success,
            on_done=lambda: self.sign_in_running_changed.emit(False),
        )
        self._sign_in = task
        self.sign_in_running_changed.emit(True)

    def sign_in_again(self, session_id: str, *, remote: bool = False) -> bool:
        """Renew this session with a browser sign-in (allowed with five sessions). Returns whether it started."""
        if self.sign_in_running or self.session(session_id) is None:
            return False
        self._start_sign_in(self._service.sign_in_again(session_id, remote=remote, on_mismatch=self._ask_mismatch))
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
        known = {s.id for s in self._service.sessions()}

        def signed_in(session: Session) -> None:
            if profile_name is None and session.id not in known:
                self.offer_friendly_name(session)

        self._start_sign_in(
            self._service.sign_in(region, profile_name, remote=remote, on_mismatch=self._ask_mismatch),
            on_success=signed_in,
        )
        return True

    def cancel_sign_in(self) -> None:
        """Abandon the sign-in that is waiting for the browser."""
        if self._sign_in is not None and not self._sign_in.done():
            self._sign_in.cancel()
