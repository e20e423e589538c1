"""Role profiles under each session: list them, add and remove ours, make one the active profile.

The AWS config file is the record: a role profile belongs to the session
whose profile its ``source_profile`` names (see :mod:`core.awsconfig.roles`).
Ours are managed sections; the user's own chained profiles are listed and
can be made active, but are never edited or removed. Which role the active
profile assumes is kept in ``sessions.json`` (``active_role``) next to the
active session.

The SDKs do the role assumption themselves from the profile; the app calls
``sts:AssumeRole`` only once, to prove a new role works before writing it
(:mod:`core.signin.assume_role`), and for ``exec``/``env``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from core.domain.errors import ConfigFileError, ProfileConflict, RoleError, SessionNotFound, SignInRequired
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import Credentials, Identity, Session
from core.domain.regions import is_region_name
from core.domain.roles import (
    MAX_CHAINED_DURATION,
    RoleArn,
    RoleProfile,
    RoleSettings,
    check_duration,
    check_external_id,
    check_role_session_name,
    default_role_profile_name,
    default_role_session_name,
)
from core.sessions.profiles import ProfileWriter
from core.storage.atomic import read_regular_file
from core.storage.paths import AppPaths
from core.storage.settings import Settings
from core.storage.store import SessionStore, SessionTable

if TYPE_CHECKING:
    from core.awsconfig.writer import ProfileSpec

log = logging.getLogger(__name__)

AssumeFn = Callable[[Credentials, RoleSettings, str, Identity], Credentials]
"""``(session credentials, role settings, region, identity) -> role credentials`` (blocking)."""

_FRESH_ENOUGH = timedelta(minutes=2)


class RoleHost(Protocol):
    """What :class:`RoleProfiles` uses of the session manager."""

    paths: AppPaths
    store: SessionStore
    table: SessionTable
    profiles: ProfileWriter

    @property
    def events(self) -> EventBus: ...

    def sessions(self) -> list[Session]: ...

    def settings(self) -> Settings: ...

    def now(self) -> datetime: ...

    async def refresh(self, session_id: str) -> Session: ...


def _default_assume(credentials: Credentials, settings: RoleSettings, region: str, identity: Identity) -> Credentials:
    from core.signin.assume_role import assume_role  # deferred: loads botocore

    return assume_role(credentials, settings, region, identity)


def is_dead(session: Session) -> bool:
    """Whether a session needs a new sign-in before its roles can be used."""
    return not session.state.live


def _refuse_dead(session: Session) -> None:
    if is_dead(session):
        raise SignInRequired(
            f"The session of profile {session.profile_name} needs a new sign-in; its roles work again after it.",
            reason=session.state_reason or session.state.value.upper(),
        )


class RoleProfiles:
    """The role profiles of every session (the implementation of :class:`core.sessions.service.RoleService`)."""

    def __init__(self, host: RoleHost, *, assume: AssumeFn | None = None) -> None:
        self._host = host
        self._assume = assume or _default_assume
        self._cache_key: object = None
        self._cache: list[RoleProfile] = []

    # -- reading -----------------------------------------------------------------

    def list_roles(self) -> list[RoleProfile]:
        """Every role profile of every session, in file order (empty when the config cannot be read)."""
        try:
            return self._read()
        except ConfigFileError as exc:
            log.warning("cannot list role profiles: %s", exc.user_message)
            return []

    def _read(self) -> list[RoleProfile]:
        sessions = self._host.sessions()
        path = self._host.paths.aws_config_file
        try:
            stat = path.stat()
            signature: object = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
        except OSError:
            signature = None
        active_name = self._host.settings().active_profile_name
        key = (signature, active_name, tuple((s.id, s.profile_name) for s in sessions))
        if key != self._cache_key and (signature is None or not _may_hold_roles(path)):
            self._cache, self._cache_key = [], key
        elif key != self._cache_key:
            from core.awsconfig.roles import read_role_profiles  # deferred: the parser is not needed to start

            sources = {s.profile_name: s.id for s in sessions}
            self._cache = read_role_profiles(path, sources, skip=(active_name,))
            self._cache_key = key
        return list(self._cache)

    def active(self) -> str | None:
        """The role profile the active profile assumes, if any."""
        self._host.sessions()  # catches up with other processes
        return self._host.table.state.active_role

    def _get(self, name: str) -> RoleProfile:
        role = next((r for r in self._read() if r.name == name), None)
        if role is None:
            raise RoleError(f"No role profile {name!r} chains from a signed-in session (see `role list`).")
        return role

    def _session(self, session_id: str) -> Session:
        session = next((s for s in self._host.sessions() if s.id == session_id), None)
        if session is None:
            raise SessionNotFound(f"No session with id {session_id}; it may have been signed out elsewhere.")
        return session

    # -- what the session manager writes for them -------------------------------------

    def _active_role_spec(self, session: Session, role: RoleProfile, name: str) -> ProfileSpec:
        from core.awsconfig.writer import ProfileSpec

        settings = replace(role.settings, source_profile=session.profile_name)
        return ProfileSpec(name, role.region or session.region, role=settings)

    def active_spec(self, session: Session, name: str | None = None) -> ProfileSpec:
        """The active profile for ``session``: the active role when it is this session's, else the session."""
        name = name or self._host.settings().active_profile_name
        state = self._host.table.state
        if state.active_session_id == session.id and state.active_role:
            role = next(
                (r for r in self.list_roles() if r.name == state.active_role and r.session_id == session.id), None
            )
            if role is not None:
                return self._active_role_spec(session, role, name)
        return self._host.profiles.spec(session, name)

    def owned_names(self, session_id: str) -> list[str]:
        """Our role profiles of a session (removed with it at sign-out)."""
        return [r.name for r in self.list_roles() if r.session_id == session_id and r.managed]

    def follow_rename(self, renamed: Session) -> list[ProfileSpec]:
        """Our role profiles (and the active one) rewritten to chain from the session's new profile name."""
        from core.awsconfig.writer import ProfileSpec

        specs = [
            ProfileSpec(
                r.name, r.region or renamed.region, role=replace(r.settings, source_profile=renamed.profile_name)
            )
            for r in self.list_roles()
            if r.session_id == renamed.id and r.managed
        ]
        state = self._host.table.state
        if state.active_session_id == renamed.id and state.active_role:
            specs.append(self.active_spec(renamed))
        return specs

    # -- intents ----------------------------------------------------------------------

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
        """Try ``sts:AssumeRole`` once with the session's credentials; when AWS agrees, write the profile.

        Raises:
            RoleError: bad input, or a name that is taken.
            RoleRefused: AWS refused the role (words say what to check); nothing is written.
            SignInRequired: the session needs a new sign-in.
            ProfileConflict, ConfigFileError, TransientServiceError.
        """
        session = self._session(session_id)
        _refuse_dead(session)
        region = (region or session.region).strip()
        try:
            role = RoleArn.parse(role_arn)
            settings = RoleSettings(
                role_arn=role.arn,
                source_profile=session.profile_name,
                role_session_name=check_role_session_name(
                    (session_name or "").strip() or default_role_session_name(session.identity)
                ),
                duration_seconds=check_duration(duration_seconds),
                external_id=check_external_id(external_id.strip()) if external_id and external_id.strip() else None,
            )
            if not is_region_name(region):
                raise ValueError(f"{region!r} is not an AWS Region name (for example eu-west-1).")
        except ValueError as exc:
            raise RoleError(str(exc)) from None
        name = await self._free_name(profile_name.strip() if profile_name else None, role)
        credentials = await self._source_credentials(session)
        await asyncio.to_thread(self._assume, credentials, settings, region, session.identity)
        from core.awsconfig.writer import ProfileSpec

        await self._host.profiles.apply([ProfileSpec(name, region, role=settings)])
        self._publish(EventKind.UPDATED, session, f"Added role profile {name}.")
        return RoleProfile(name, session.id, settings, region, managed=True, regional_sts=True)

    async def _free_name(self, wanted: str | None, role: RoleArn) -> str:
        taken = {s.profile_name for s in self._host.sessions()} | {r.name for r in self._read()}
        taken.add(self._host.settings().active_profile_name)
        writer = self._host.profiles.writer
        if wanted is not None:
            if wanted in taken:
                raise RoleError(f"Profile {wanted!r} is already in use; choose another name.")
            await asyncio.to_thread(writer.check_available, wanted)
            return wanted
        base = default_role_profile_name(role)
        candidate, counter = base, 2
        while True:
            if candidate not in taken:
                try:
                    await asyncio.to_thread(writer.check_available, candidate)
                except ProfileConflict:
                    pass
                else:
                    return candidate
            candidate, counter = f"{base}-{counter}", counter + 1

    async def _source_credentials(self, session: Session) -> Credentials:
        """The session's current credentials, refreshed first when they are about to run out."""
        store = self._host.store
        credentials = await asyncio.to_thread(store.read_credentials, session.id)
        if credentials is None or credentials.remaining(self._host.now()) < _FRESH_ENOUGH:
            await self._host.refresh(session.id)
            credentials = await asyncio.to_thread(store.read_credentials, session.id)
        if credentials is None:
            raise SignInRequired(
                f"The session of profile {session.profile_name} has no credentials; sign in again.",
                reason="NO_CREDENTIALS",
            )
        return credentials

    async def credentials(self, name: str) -> tuple[RoleProfile, Credentials]:
        """The role's own credentials, assumed now with its session's (kept in memory only)."""
        role = self._get(name)
        session = self._session(role.session_id)
        _refuse_dead(session)
        source = await self._source_credentials(session)
        region = role.region or session.region
        assumed = await asyncio.to_thread(self._assume, source, role.settings, region, session.identity)
        return role, assumed

    async def remove(self, name: str) -> None:
        """Delete one of our role profiles; the active profile falls back to its session's own credentials.

        Raises:
            RoleError: no such role profile, or it is the user's own.
        """
        role = self._get(name)
        if not role.managed:
            raise RoleError(
                f"Profile {name!r} is your own; aws-login-tray never edits it. Remove it from "
                f"{self._host.paths.aws_config_file} yourself."
            )
        session = self._session(role.session_id)
        was_active = self.active() == name
        upserts = [self._host.profiles.spec(session, self._host.settings().active_profile_name)] if was_active else []
        await self._host.profiles.apply(upserts, [name])
        if was_active:
            self._host.table.mutate(lambda st: replace(st, active_role=None))
            self._publish(EventKind.ACTIVE_CHANGED, session)
        self._publish(EventKind.UPDATED, session, f"Removed role profile {name}.")

    async def make_active(self, name: str) -> None:
        """Point the active profile at a role profile (ours or the user's), assumed with its session.

        Raises:
            RoleError: no such role profile.
            SignInRequired: its session needs a new sign-in first.
        """
        role = self._get(name)
        session = self._session(role.session_id)
        _refuse_dead(session)
        spec = self._active_role_spec(session, role, self._host.settings().active_profile_name)
        await self._host.profiles.apply([spec])
        before = self._host.table.state
        self._host.table.mutate(lambda st: replace(st, active_session_id=session.id, active_role=name))
        if (before.active_session_id, before.active_role) != (session.id, name):
            self._publish(EventKind.ACTIVE_CHANGED, session)

    def _publish(self, kind: EventKind, session: Session | None, detail: str | None = None) -> None:
        self._host.events.publish(SessionEvent(kind, session, detail))


def _may_hold_roles(path: Path) -> bool:
    """A plain look before the parser (about 80 ms of imports): no ``role_arn`` anywhere, no role profile."""
    try:
        return b"role_arn" in read_regular_file(path, limit=1 << 30).lower()
    except OSError:
        return True  # the reader reports it
