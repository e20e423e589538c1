"""The one interface the GUI and the CLI use to drive core.

:class:`SessionService` is what a front end may call; everything it needs
to *show* arrives as :class:`core.domain.events.SessionEvent` through ``events``.
The implementation is :class:`core.sessions.manager.SessionManager`; GUI tests may
use a fake that satisfies this Protocol.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from core.domain.events import EventBus
from core.domain.model import CredentialMode, Credentials, Session
from core.domain.roles import MAX_CHAINED_DURATION, RoleProfile
from core.sessions.identity import MismatchHandler
from core.storage.settings import Settings


class RoleService(Protocol):
    """Role profiles under each session (the console's "Switch role", as SDK profiles)."""

    def list_roles(self) -> list[RoleProfile]:
        """Every role profile that chains from a session's profile: ours and the user's own."""
        ...

    def active(self) -> str | None:
        """The role profile the active profile assumes (None: the active session's own credentials)."""
        ...

    async def add(
        self,
        session_id: str,
        role_arn: str,
        *,
        profile_name: str | None = None,
        region: str | None = None,
        session_name: str | None = None,
        duration_seconds: int = MAX_CHAINED_DURATION,
        external_id: str | None = None,
    ) -> RoleProfile:
        """Assume the role once to prove it works, then write its profile.

        Raises:
            RoleRefused: AWS refused, in words that say what to check; nothing written.
            RoleError, SignInRequired, ProfileConflict, TransientServiceError.
        """
        ...

    async def remove(self, name: str) -> None:
        """Delete one of our role profiles (never the user's own)."""
        ...

    async def make_active(self, name: str) -> None:
        """Point the active profile at this role, assumed with its session's credentials."""
        ...

    async def credentials(self, name: str) -> tuple[RoleProfile, Credentials]:
        """The role's credentials, assumed now (in memory only)."""
        ...


class SessionService(Protocol):
    """Intents a front end sends to core, and the state it may read."""

    @property
    def events(self) -> EventBus:
        """Subscribe here to every change."""
        ...

    def sessions(self) -> list[Session]:
        """Snapshots of every session, oldest sign-in first."""
        ...

    @property
    def role_profiles(self) -> RoleService:
        """The role profiles under the sessions."""
        ...

    def active_session_id(self) -> str | None:
        """The session the active profile points at, if any."""
        ...

    def settings(self) -> Settings:
        """The current settings."""
        ...

    def now(self) -> datetime:
        """Core's clock (so countdowns agree with core's decisions)."""
        ...

    def can_add_session(self) -> bool:
        """False when five sessions exist and a sign-in would be refused."""
        ...

    async def start(self) -> None:
        """Load persisted sessions and start the refresh engine."""
        ...

    async def stop(self) -> None:
        """Let in-flight refreshes and writes finish, then stop."""
        ...

    async def sign_in(
        self,
        region: str,
        profile_name: str | None = None,
        *,
        remote: bool = False,
        credential_mode: CredentialMode | None = None,
        on_mismatch: MismatchHandler | None = None,
    ) -> Session:
        """Run the browser sign-in and add a session (or renew the one of the same principal).

        A ``profile_name`` bound to a principal (see :mod:`core.sessions.identity`)
        is never given to another one: if the browser signs in as someone else,
        ``on_mismatch`` decides between adding a new session and cancelling.

        Raises:
            SessionLimitReached: before any browser opens, with five sessions.
            PrincipalMismatch: another principal signed in and there is no ``on_mismatch``.
            SignInCancelled, SignInRequired, TransientServiceError, ProfileConflict.
        """
        ...

    async def sign_in_again(
        self, session_id: str, *, remote: bool = False, on_mismatch: MismatchHandler | None = None
    ) -> Session:
        """Renew this session with a browser sign-in; allowed with five sessions (it keeps its place)."""
        ...

    async def refresh(self, session_id: str) -> Session:
        """Refresh one session now (shares a refresh already in flight)."""
        ...

    async def sign_out(self, session_id: str) -> str | None:
        """Forget a session: secrets, credentials, its profiles.

        Returns a notice (None: nothing to say) when an ``aws login`` sign-in
        the app did not make was left in place with its profile.
        """
        ...

    async def set_active(self, session_id: str) -> None:
        """Point the active profile at this session."""
        ...

    async def rename_profile(self, session_id: str, profile_name: str) -> Session:
        """Give the session's own profile another name."""
        ...

    async def set_region(self, session_id: str, region: str) -> Session:
        """Change the region written to the session's profile."""
        ...

    async def update_settings(self, settings: Settings) -> None:
        """Persist new settings and apply them."""
        ...

    async def undo_config_change(self) -> None:
        """Put ``~/.aws/config`` back as it was before the app's last change to it (one step).

        Raises:
            ConfigFileError: there is nothing to undo, or the file cannot be written.
        """
        ...
