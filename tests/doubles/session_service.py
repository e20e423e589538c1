"""In-memory stand-ins for :class:`core.sessions.service.SessionService`.

:class:`InMemorySessionService` keeps sessions in a dict and publishes the
same events core does; it never touches the network, the AWS files or the
keyring. It backs the GUI tests and the documentation screenshots.
:class:`RecordingSessionService` adds a log of every call and scripted failures.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from core.domain.errors import SessionLimitReached, SessionNotFound
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import (
    MAX_SESSIONS,
    CredentialMode,
    Identity,
    RefreshRecord,
    Session,
    SessionState,
    session_id_for,
)
from core.domain.ports import Clock, SystemClock
from core.sessions.identity import MismatchHandler
from core.storage.settings import Settings
from tests.doubles.roles import InMemoryRoles
from tests.doubles.sessions import SAMPLE_ARNS, sample_session, sample_sessions


class InMemorySessionService:
    """A working stand-in for core's session manager, without I/O."""

    def __init__(self, clock: Clock | None = None, settings: Settings | None = None) -> None:
        self._clock = clock or SystemClock()
        self._settings = settings or Settings()
        self._sessions: dict[str, Session] = {}
        self._active: str | None = None
        self._events = EventBus()
        self.lifecycle: list[str] = []
        """``start`` and ``stop``, in the order they were awaited."""
        self.sign_in_delay = 0.0
        self.sign_in_as: str | None = None
        self.config_undone = 0
        """How often the AWS config was put back (:meth:`undo_config_change`)."""
        """The ARN every sign-in returns (None: the first sample identity not signed in yet)."""
        self.roles = InMemoryRoles(self.sessions, self._events, lambda: self._active, self._make_active_quietly)

    # -- seeding ---------------------------------------------------------------
    def seed(self, sessions: list[Session], active_id: str | None = None) -> None:
        """Replace every session without publishing (for building a scene)."""
        self._sessions = {s.id: s for s in sessions}
        self._active = active_id

    def publish(self, kind: EventKind, session: Session | None, **extra: object) -> None:
        """Store ``session`` (if given) and announce ``kind``."""
        if session is not None and kind is not EventKind.REMOVED:
            self._sessions[session.id] = session
        self._events.publish(SessionEvent(kind, session, **extra))  # type: ignore[arg-type]

    def _make_active_quietly(self, session_id: str) -> None:
        self._active = session_id

    # -- SessionService --------------------------------------------------------
    @property
    def events(self) -> EventBus:
        return self._events

    @property
    def role_profiles(self) -> InMemoryRoles:
        return self.roles

    def sessions(self) -> list[Session]:
        return sorted(self._sessions.values(), key=lambda s: s.signed_in_at)

    def active_session_id(self) -> str | None:
        return self._active

    def settings(self) -> Settings:
        return self._settings

    def now(self) -> datetime:
        return self._clock.now()

    def can_add_session(self) -> bool:
        return len(self._sessions) < MAX_SESSIONS

    async def start(self) -> None:
        self.lifecycle.append("start")

    async def stop(self) -> None:
        await asyncio.sleep(0)
        self.lifecycle.append("stop")

    def _get(self, session_id: str) -> Session:
        try:
            return self._sessions[session_id]
        except KeyError:
            raise SessionNotFound(f"No session {session_id}.") from None

    async def sign_in(
        self,
        region: str,
        profile_name: str | None = None,
        *,
        remote: bool = False,
        credential_mode: CredentialMode | None = None,
        on_mismatch: MismatchHandler | None = None,
    ) -> Session:
        if not self.can_add_session():
            raise SessionLimitReached("Five sessions are signed in already; sign one out first.")
        if self.sign_in_delay:
            await asyncio.sleep(self.sign_in_delay)
        now = self.now()
        if self.sign_in_as is not None:
            arn, default_profile = self.sign_in_as, Identity.from_arn(self.sign_in_as).default_profile_name
        else:
            arn, _region, default_profile = next(
                (a for a in SAMPLE_ARNS if session_id_for(a[0]) not in self._sessions), SAMPLE_ARNS[0]
            )
        session = sample_session(arn, region, profile_name or default_profile, now, age=timedelta(0))
        if credential_mode is not None:
            session = session.evolve(credential_mode=credential_mode)
        self.publish(EventKind.ADDED, session)
        if self._active is None:
            await self.set_active(session.id)
        return session

    async def sign_in_again(
        self, session_id: str, *, remote: bool = False, on_mismatch: MismatchHandler | None = None
    ) -> Session:
        session = self._get(session_id)
        if self.sign_in_delay:
            await asyncio.sleep(self.sign_in_delay)
        now = self.now()
        renewed = session.evolve(
            state=SessionState.FRESH,
            state_reason=None,
            signed_in_at=now,
            session_ends_at=now + timedelta(hours=12),
            credentials_expire_at=now + timedelta(minutes=15),
            last_refresh_at=now,
        )
        self.publish(EventKind.UPDATED, renewed)
        return renewed

    async def refresh(self, session_id: str) -> Session:
        session = self._get(session_id)
        if not session.state.live:
            return session  # only a new sign-in brings it back
        now = self.now()
        session = session.evolve(
            state=SessionState.FRESH,
            credentials_expire_at=now + timedelta(minutes=15),
            last_refresh_at=now,
            history=(*session.history, RefreshRecord(now, "CreateOAuth2Token", "ok")),
        )
        self.publish(EventKind.REFRESHED, session)
        return session

    async def sign_out(self, session_id: str) -> None:
        session = self._get(session_id)
        del self._sessions[session_id]
        self.publish(EventKind.REMOVED, session)
        if self._active == session_id:
            self._active = None
            self.publish(EventKind.ACTIVE_CHANGED, None)

    async def set_active(self, session_id: str) -> None:
        session = self._get(session_id)
        self._active = session_id
        self.roles.clear_active()
        self.publish(EventKind.ACTIVE_CHANGED, session)

    async def rename_profile(self, session_id: str, profile_name: str) -> Session:
        session = self._get(session_id).evolve(profile_name=profile_name)
        self.publish(EventKind.UPDATED, session)
        return session

    async def set_region(self, session_id: str, region: str) -> Session:
        session = self._get(session_id).evolve(region=region)
        self.publish(EventKind.UPDATED, session)
        return session

    async def update_settings(self, settings: Settings) -> None:
        self._settings = settings

    async def undo_config_change(self) -> None:
        self.config_undone += 1


class RecordingSessionService(InMemorySessionService):
    """The in-memory service, recording every call a front end makes; ``fail_with`` makes each call raise."""

    def __init__(self, clock: Clock, settings: Settings | None = None) -> None:
        super().__init__(clock, settings)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fail_with: BaseException | None = None
        """Raised by every recorded call."""
        self.fail: dict[str, BaseException] = {}
        """Raised by the named call only."""
        self.started = asyncio.Event()
        """Set once :meth:`start` ran."""

    def fill(self, count: int = 5, active: int | None = 0) -> list[Session]:
        self.seed(sample_sessions(self.now(), count))
        ordered = self.sessions()
        self.seed(ordered, ordered[active].id if active is not None and ordered else None)
        return ordered

    async def _maybe_fail(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        failure = self.fail.get(name, self.fail_with)
        if failure is not None:
            raise failure

    async def start(self) -> None:
        await super().start()
        self.started.set()

    async def sign_in(
        self,
        region: str,
        profile_name: str | None = None,
        *,
        remote: bool = False,
        credential_mode: CredentialMode | None = None,
        on_mismatch: MismatchHandler | None = None,
    ) -> Session:
        await self._maybe_fail("sign_in", region, profile_name, remote, credential_mode)
        return await super().sign_in(region, profile_name, remote=remote, credential_mode=credential_mode)

    async def sign_in_again(
        self, session_id: str, *, remote: bool = False, on_mismatch: MismatchHandler | None = None
    ) -> Session:
        await self._maybe_fail("sign_in_again", session_id, remote)
        return await super().sign_in_again(session_id, remote=remote, on_mismatch=on_mismatch)

    async def refresh(self, session_id: str) -> Session:
        await self._maybe_fail("refresh", session_id)
        return await super().refresh(session_id)

    async def sign_out(self, session_id: str) -> None:
        await self._maybe_fail("sign_out", session_id)
        await super().sign_out(session_id)

    async def set_active(self, session_id: str) -> None:
        await self._maybe_fail("set_active", session_id)
        await super().set_active(session_id)

    async def rename_profile(self, session_id: str, profile_name: str) -> Session:
        await self._maybe_fail("rename_profile", session_id, profile_name)
        return await super().rename_profile(session_id, profile_name)

    async def set_region(self, session_id: str, region: str) -> Session:
        await self._maybe_fail("set_region", session_id, region)
        return await super().set_region(session_id, region)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    async def undo_config_change(self) -> None:
        await self._maybe_fail("undo_config_change")
        await super().undo_config_change()
