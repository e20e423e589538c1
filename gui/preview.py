"""An in-memory :class:`core.sessions.service.SessionService` for previews.

Used to render the documentation screenshots and by the GUI tests (which
extend it). It keeps sessions in a dict and publishes the same events
core does; it never touches the network, the AWS files or the keyring.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

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
from core.storage.settings import Settings
from gui.preview_roles import InMemoryRoles

SAMPLE_ARNS = (
    ("arn:aws:sts::111122223333:assumed-role/Admin/alice", "eu-west-1", "work-admin"),
    ("arn:aws:sts::111122223333:assumed-role/ReadOnly/alice", "eu-west-1", "work-readonly"),
    ("arn:aws:sts::444455556666:assumed-role/Developer/alice", "us-east-2", "sandbox-dev"),
    ("arn:aws:iam::777788889999:user/alice", "eu-central-1", "personal"),
    ("arn:aws:sts::222233334444:assumed-role/BillingViewer/alice", "us-east-1", "billing"),
)


def make_session(
    arn: str,
    region: str,
    profile: str,
    now: datetime,
    *,
    age: timedelta = timedelta(hours=1),
    duration: timedelta = timedelta(hours=12),
    state: SessionState = SessionState.FRESH,
) -> Session:
    """A plausible session snapshot signed in ``age`` ago."""
    signed_in = now - age
    # The engine renews 15-minute credentials when 60% of them is left: every 6 minutes.
    last = now - timedelta(minutes=(age.total_seconds() // 60) % 6)
    history = [
        RefreshRecord(signed_in, "AuthorizeOAuth2Access", "ok"),
        RefreshRecord(signed_in, "CreateOAuth2Token", "ok"),
    ]
    moment = signed_in + timedelta(minutes=6)
    while moment <= now:
        history.append(RefreshRecord(moment, "CreateOAuth2Token", "ok"))
        moment += timedelta(minutes=6)
    if state is SessionState.NEEDS_SIGN_IN:
        history.append(RefreshRecord(now, "CreateOAuth2Token", "TOKEN_EXPIRED"))
    return Session(
        id=session_id_for(arn),
        identity=Identity.from_arn(arn),
        region=region,
        profile_name=profile,
        credential_mode=CredentialMode.CREDENTIAL_PROCESS,
        signed_in_at=signed_in,
        session_ends_at=signed_in + duration,
        state=state,
        credentials_expire_at=last + timedelta(minutes=15) if state is SessionState.FRESH else None,
        last_refresh_at=last,
        history=tuple(history),
    )


def sample_sessions(now: datetime, count: int = MAX_SESSIONS) -> list[Session]:
    """``count`` varied sessions: fresh, one ending soon, one that needs a sign-in."""
    ages = (
        timedelta(hours=2, minutes=13),
        timedelta(hours=11, minutes=38),
        timedelta(minutes=41),
        timedelta(hours=6, minutes=2),
        timedelta(hours=12, minutes=30),
    )
    states = (
        SessionState.FRESH,
        SessionState.FRESH,
        SessionState.FRESH,
        SessionState.FRESH,
        SessionState.NEEDS_SIGN_IN,
    )
    return [
        make_session(arn, region, profile, now, age=ages[i], state=states[i])
        for i, (arn, region, profile) in enumerate(SAMPLE_ARNS[:count])
    ]


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
        self._next_sample = 0
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
    ) -> Session:
        if not self.can_add_session():
            raise SessionLimitReached("Five sessions are signed in already; sign one out first.")
        if self.sign_in_delay:
            await asyncio.sleep(self.sign_in_delay)
        now = self.now()
        arn, _region, default_profile = next(
            (a for a in SAMPLE_ARNS if session_id_for(a[0]) not in self._sessions), SAMPLE_ARNS[0]
        )
        session = make_session(arn, region, profile_name or default_profile, now, age=timedelta(0))
        if credential_mode is not None:
            session = session.evolve(credential_mode=credential_mode)
        self.publish(EventKind.ADDED, session)
        if self._active is None:
            await self.set_active(session.id)
        return session

    async def refresh(self, session_id: str) -> Session:
        session = self._get(session_id)
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
