"""An in-memory :class:`core.sessions.service.RoleService` for tests and the screenshots.

It keeps role profiles in a dict and follows the same rules as core: a
role belongs to the session whose profile it chains from, only ours can be
removed, and a role of a session that needs a sign-in cannot be made active.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from core.domain.errors import RoleError, RoleRefused, SessionNotFound, SignInRequired
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import Credentials, Session
from core.domain.roles import (
    MAX_CHAINED_DURATION,
    RoleArn,
    RoleProfile,
    RoleSettings,
    default_role_profile_name,
    default_role_session_name,
)


class InMemoryRoles:
    """Role profiles without I/O.

    Args:
        sessions: the host's current sessions.
        events: where changes are announced.
        active_session: the host's active session id.
        set_active_session: makes a session the host's active one.
    """

    def __init__(
        self,
        sessions: Callable[[], list[Session]],
        events: EventBus,
        active_session: Callable[[], str | None],
        set_active_session: Callable[[str], None],
    ) -> None:
        self._sessions = sessions
        self._events = events
        self._active_session = active_session
        self._set_active_session = set_active_session
        self._roles: dict[str, RoleProfile] = {}
        self._active: str | None = None
        self.refusal: RoleRefused | None = None
        """When set, :meth:`add` raises it (what AWS's refusal would raise)."""

    def seed(self, roles: list[RoleProfile], active: str | None = None) -> None:
        """Replace every role profile without publishing."""
        self._roles = {role.name: role for role in roles}
        self._active = active

    def clear_active(self) -> None:
        """The active profile went back to a session's own credentials."""
        self._active = None

    def _session(self, session_id: str) -> Session:
        session = next((s for s in self._sessions() if s.id == session_id), None)
        if session is None:
            raise SessionNotFound(f"No session {session_id}.")
        return session

    def _get(self, name: str) -> RoleProfile:
        role = next((r for r in self.list_roles() if r.name == name), None)
        if role is None:
            raise RoleError(f"No role profile {name!r}.")
        return role

    def list_roles(self) -> list[RoleProfile]:
        known = {s.id for s in self._sessions()}
        return [role for role in self._roles.values() if role.session_id in known]

    def active(self) -> str | None:
        role = self._roles.get(self._active or "")
        return role.name if role is not None and role.session_id == self._active_session() else None

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
        session = self._session(session_id)
        try:
            arn = RoleArn.parse(role_arn)
        except ValueError as exc:
            raise RoleError(str(exc)) from None
        if self.refusal is not None:
            raise self.refusal
        settings = RoleSettings(
            arn.arn,
            session.profile_name,
            session_name or default_role_session_name(session.identity),
            duration_seconds,
            external_id or None,
        )
        name = profile_name or default_role_profile_name(arn)
        role = RoleProfile(name, session.id, settings, region or session.region, managed=True, regional_sts=True)
        self._roles[name] = role
        self._events.publish(SessionEvent(EventKind.UPDATED, session, f"Added role profile {name}."))
        return role

    async def remove(self, name: str) -> None:
        role = self._get(name)
        if not role.managed:
            raise RoleError(f"Profile {name!r} is your own; aws-login-tray never edits it.")
        del self._roles[name]
        if self._active == name:
            self._active = None
        self._events.publish(SessionEvent(EventKind.UPDATED, self._session(role.session_id)))

    async def make_active(self, name: str) -> None:
        role = self._get(name)
        session = self._session(role.session_id)
        if not session.state.live:
            raise SignInRequired(f"The session of profile {session.profile_name} needs a new sign-in.", "PREVIEW")
        self._set_active_session(session.id)
        self._active = name
        self._events.publish(SessionEvent(EventKind.ACTIVE_CHANGED, session))

    async def credentials(self, name: str) -> tuple[RoleProfile, Credentials]:
        role = self._get(name)
        session = self._session(role.session_id)
        expires = (session.credentials_expire_at or session.signed_in_at) + timedelta(minutes=45)
        return role, Credentials("ASIAPREVIEWROLE", "preview-secret", "preview-token", expires, role.account_id)


def sample_roles(sessions: list[Session]) -> list[RoleProfile]:
    """Role profiles for the preview's sample sessions: ours, the user's own, and one under a dead session."""

    def role(
        session: Session, name: str, arn: str, region: str, *, managed: bool = True, external: str | None = None
    ) -> RoleProfile:
        settings = RoleSettings(
            arn, session.profile_name, default_role_session_name(session.identity), MAX_CHAINED_DURATION, external
        )
        return RoleProfile(name, session.id, settings, region, managed=managed, regional_sts=managed)

    by_profile = {s.profile_name: s for s in sessions}
    found: list[RoleProfile] = []
    if admin := by_profile.get("work-admin"):
        found.append(role(admin, "prod-deploy", "arn:aws:iam::444455556666:role/Deploy", "eu-west-1"))
        found.append(
            role(admin, "audit", "arn:aws:iam::777788889999:role/Audit", "eu-central-1", external="audit-7777")
        )
        found.append(role(admin, "legacy-ops", "arn:aws:iam::999988887777:role/Ops", "us-east-1", managed=False))
    if billing := by_profile.get("billing"):
        found.append(role(billing, "billing-reports", "arn:aws:iam::222233334444:role/Reports", "us-east-1"))
    return found
