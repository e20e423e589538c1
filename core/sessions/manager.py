"""The session manager: the one implementation of :class:`core.sessions.service.SessionService`.

It ties the pieces together: the browser sign-in (:mod:`core.signin.client`), the
secret stores (:mod:`core.storage.secrets`), the sessions file and credentials files
(:mod:`core.storage.store`), the AWS config file (:mod:`core.awsconfig.writer`) and the
refresh engine (:mod:`core.sessions.engine`).

State lives on disk under inter-process locks. Before every operation the
manager takes a cheap look (one ``stat``) at ``sessions.json`` and reloads it
when another process (the CLI, the agent, another tray) changed it, so every
front end sees the same sessions with or without the tray running.

A sign-in checks its inputs and stores before the browser opens, writes secrets,
credentials, metadata, then the profiles, and undoes itself if a step fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from core.domain.errors import (
    ConfigFileError,
    InvalidRequestError,
    ProfileConflict,
    SecretsLeftBehind,
    SessionLimitReached,
    SessionNotFound,
)
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.idtoken import auth_time
from core.domain.model import (
    MAX_SESSIONS,
    CredentialMode,
    Credentials,
    Identity,
    RefreshRecord,
    Session,
    SessionSecrets,
    holding_places,
    session_id_for,
)
from core.domain.ports import BrowserOpener, Clock, CodePrompt
from core.sessions import safeguards
from core.sessions.awslogin import AwsLoginFollower
from core.sessions.engine import RefreshEngine, SleepFn
from core.sessions.housekeeping import SecretHousekeeping
from core.sessions.identity import (
    MismatchHandler,
    ProfileBinding,
    ask_to_add,
    binding_for,
    free_default_name,
    mismatch_error,
)
from core.sessions.install import InstallRequest
from core.sessions.policy import MAX_IDLE_SLEEP
from core.sessions.ports import SigninPort
from core.sessions.profiles import ProfileWriter
from core.sessions.roles import RoleProfiles
from core.storage.paths import AppPaths
from core.storage.secrets import KeyringSecretStore, LoginCacheSecretStore, PlaintextFileSecretStore, SecretStore
from core.storage.settings import Settings, load_settings
from core.storage.store import SessionStore, SessionTable, StoreState
from core.storage.storeformat import HISTORY_LIMIT

if TYPE_CHECKING:
    from core.awsconfig.writer import AwsConfigWriter

log = logging.getLogger(__name__)

DEFAULT_SESSION_DURATION = timedelta(hours=12)
"""The longest console session AWS allows; the service may end one earlier (see the engine)."""


class SessionManager:
    """Sessions, their secrets and profiles, and the engine that keeps them fresh.

    Args:
        paths: Where the app's state, the AWS config and the login cache live.
        clock: "Now" for expiry decisions.
        open_browser: Opens the sign-in page for a same-device sign-in.
        code_prompt: Asks for the verification code of a remote sign-in.
        signin_factory: Builds the sign-in client for a Region (default:
            :class:`core.signin.client.SigninClient`).
        config_writer: Writes the profiles (default: the user's AWS config).
        secret_store: Keeps refresh tokens (default: chosen by the settings).
        settings: Default: read from the settings file.
        sleep: The engine's sleep.
        session_duration: How long a console session lasts.
        max_idle_sleep: The engine's longest nap.
    """

    def __init__(
        self,
        paths: AppPaths,
        *,
        clock: Clock,
        open_browser: BrowserOpener,
        code_prompt: CodePrompt | None = None,
        signin_factory: Callable[[str], SigninPort] | None = None,
        config_writer: AwsConfigWriter | None = None,
        secret_store: SecretStore | None = None,
        settings: Settings | None = None,
        sleep: SleepFn = asyncio.sleep,
        session_duration: timedelta = DEFAULT_SESSION_DURATION,
        max_idle_sleep: float = MAX_IDLE_SLEEP,
    ) -> None:
        self.paths = paths
        self.clock = clock
        self.open_browser = open_browser
        self.code_prompt = code_prompt
        self.session_duration = session_duration
        self._events = EventBus()
        self.store = SessionStore(paths)
        self.table = SessionTable(self.store, self._events)
        self.profiles = ProfileWriter(paths, config_writer)
        self.role_profiles = RoleProfiles(self)
        self._secret_store_override = secret_store
        self._login_cache_store = LoginCacheSecretStore(paths.login_cache_dir)
        self._settings = settings if settings is not None else load_settings(paths.settings_file)
        self._signin_factory = signin_factory
        self._clients: dict[str, SigninPort] = {}
        self.engine = RefreshEngine(
            self.table,
            self.store,
            secret_store_for=self.secret_store_for,
            client_for=self._client,
            clock=clock,
            events=self._events,
            settings=lambda: self._settings,
            sleep=sleep,
            max_idle_sleep=max_idle_sleep,
        )
        self._engine_task: asyncio.Task[None] | None = None
        self.housekeeping = SecretHousekeeping(self)
        self.aws_login = AwsLoginFollower(self.engine, self._login_cache_store, session_duration=session_duration)

    # -- wiring ----------------------------------------------------------------

    def _client(self, region: str) -> SigninPort:
        client = self._clients.get(region)
        if client is None:
            if self._signin_factory is not None:
                client = self._signin_factory(region)
            else:
                from core.signin.client import SigninClient  # deferred: loads botocore

                client = SigninClient(region, clock=self.clock)
            self._clients[region] = client
        return client

    def secret_store_for(self, session: Session) -> SecretStore:
        """Where this session's refresh token lives."""
        if session.credential_mode is CredentialMode.LOGIN_SESSION:
            return self._login_cache_store
        return self._secret_store_for_settings(self._settings)

    def store_for_settings(self, settings: Settings) -> SecretStore:
        """The secret store these settings choose (keyring or plaintext files)."""
        return self._secret_store_for_settings(settings)

    def _secret_store_for_settings(self, settings: Settings) -> SecretStore:
        if self._secret_store_override is not None:
            return self._secret_store_override
        if settings.use_plaintext_secrets:
            return PlaintextFileSecretStore(self.paths.plaintext_secrets_dir)
        return KeyringSecretStore()

    def _sync(self) -> None:
        self.table.sync()

    def _sync_quietly(self) -> None:
        try:
            self.table.sync()
        except ConfigFileError as exc:
            log.error("%s", exc.user_message)

    def _get(self, session_id: str) -> Session:
        self._sync()
        session = self.table.get(session_id)
        if session is None:
            raise SessionNotFound(f"No session with id {session_id}; it may have been signed out elsewhere.")
        return session

    def _publish(self, kind: EventKind, session: Session | None, detail: str | None = None) -> None:
        self._events.publish(SessionEvent(kind, session, detail))

    # -- SessionService: reading -------------------------------------------------

    @property
    def events(self) -> EventBus:
        return self._events

    def sessions(self) -> list[Session]:
        self._sync_quietly()
        return self.table.sessions()

    def active_session_id(self) -> str | None:
        self._sync_quietly()
        return self.table.active_session_id

    def settings(self) -> Settings:
        return self._settings

    def now(self) -> datetime:
        return self.clock.now()

    def can_add_session(self) -> bool:
        return len(holding_places(self.sessions())) < MAX_SESSIONS

    def _limit_message(self, sessions: list[Session]) -> str:
        names = ", ".join(f"{s.profile_name} ({s.identity.display_name} in {s.account_id})" for s in sessions)
        return (
            f"Five sessions are signed in already, the most the AWS console allows: {names}. "
            "End one first with `aws-login-tray logout NAME` or Sign out in the tray menu, then sign in again."
        )

    # -- lifecycle -------------------------------------------------------------------

    async def start(self) -> None:
        """Load the sessions and start the refresh engine in the background."""
        self.table.sync(announce=False)
        with contextlib.suppress(Exception):  # housekeeping; never stops the start
            await self.remove_leftover_secrets()
        if self._engine_task is None or self._engine_task.done():
            self._engine_task = asyncio.create_task(self.run_engine())

    async def run_engine(self) -> None:
        """Run the refresh loop, and follow `aws login` / `aws logout` every second, until :meth:`stop`."""
        self._sync_quietly()
        await self.aws_login.watching(self.engine.run())

    async def refresh_due(self) -> None:
        """One engine pass: refresh whatever is inside its window, end what ran out."""
        await self.engine.run_pass()

    async def stop(self) -> None:
        await self.engine.stop()
        task, self._engine_task = self._engine_task, None
        if task is not None:
            await task

    # -- sign-in ------------------------------------------------------------------------

    async def sign_in(
        self,
        region: str,
        profile_name: str | None = None,
        *,
        remote: bool = False,
        credential_mode: CredentialMode | None = None,
        on_mismatch: MismatchHandler | None = None,
    ) -> Session:
        self._sync()
        mode = credential_mode or self._settings.credential_mode
        existing = self.table.sessions()
        binding = binding_for(profile_name, existing)
        slot_owner = next((s for s in existing if s.profile_name == profile_name), None) if profile_name else None
        if len(holding := holding_places(existing)) >= MAX_SESSIONS and slot_owner is None:
            raise SessionLimitReached(self._limit_message(holding))
        safeguards.check_region(region)
        if profile_name is not None:
            self._check_not_active_name(profile_name)
            if slot_owner is None:
                await asyncio.to_thread(self.profiles.writer.check_available, profile_name)
        await asyncio.to_thread(safeguards.check_config_writable, self.profiles.writer)
        cache = mode is CredentialMode.LOGIN_SESSION  # a store that cannot take the token wastes the sign-in
        store = self._login_cache_store if cache else self.store_for_settings(self._settings)
        await asyncio.to_thread(self.engine.keeper.check_ready, store)
        client = self._client(region)
        if remote:
            if self.code_prompt is None:
                raise InvalidRequestError("A remote sign-in needs a way to ask for the verification code.")
            result = await client.sign_in_remote(self.code_prompt)
        else:
            result = await client.sign_in_same_device(self.open_browser)
        if result.identity is None:
            raise InvalidRequestError("AWS Sign-In did not say which session signed in (no id token).")
        if binding is not None and not binding.accepts(result.identity):
            await self._confirm_new_session(binding, result.identity, on_mismatch)
            profile_name, slot_owner = None, None
        now = self.clock.now()
        began = auth_time(result.secrets.id_token)
        if began is None or began > now:
            began = now
        history = (RefreshRecord(now, "AuthorizeOAuth2Access", "ok"), RefreshRecord(now, "CreateOAuth2Token", "ok"))
        return await self._install(
            InstallRequest(
                result.identity,
                region=region,
                profile_name=profile_name,
                mode=mode,
                secrets=result.secrets,
                credentials=result.credentials,
                signed_in_at=now,
                session_ends_at=began + self.session_duration,
                expires_in=result.expires_in,
                history=history,
            )
        )

    async def sign_in_again(
        self, session_id: str, *, remote: bool = False, on_mismatch: MismatchHandler | None = None
    ) -> Session:
        """Renew a session with a browser sign-in (it keeps its place among the five)."""
        session = self._get(session_id)
        return await self.sign_in(
            session.region,
            session.profile_name,
            remote=remote,
            credential_mode=session.credential_mode,
            on_mismatch=on_mismatch,
        )

    async def _confirm_new_session(
        self, binding: ProfileBinding, identity: Identity, on_mismatch: MismatchHandler | None
    ) -> None:
        """Another principal signed in: ask whether to add it as a new session; raises unless yes."""
        self._sync()
        previous = self.table.get(session_id_for(identity.arn))
        if on_mismatch is not None and previous is None and len(self.table.sessions()) >= MAX_SESSIONS:
            limit = self._limit_message(self.table.sessions())
            raise SessionLimitReached(f"{mismatch_error(binding, identity).user_message} {limit}")
        name = previous.profile_name if previous else await asyncio.to_thread(self._free_default_name, identity, "")
        await ask_to_add(binding, identity, on_mismatch, new_profile_name=name, renews_existing=previous is not None)

    def _check_not_active_name(self, name: str) -> None:
        if name == self._settings.active_profile_name:
            raise ProfileConflict(
                f"{name!r} is the active profile that follows whichever session is active; "
                "give the session its own name.",
                name,
            )

    async def adopt_session(  # noqa: PLR0917 - the call shape importers use
        self,
        identity: Identity,
        region: str,
        profile_name: str | None,
        mode: CredentialMode,
        secrets: SessionSecrets,
        credentials: Credentials,
        signed_in_at: datetime,
        session_ends_at: datetime,
        *,
        sign_in_region: str | None = None,
    ) -> Session:
        """Take over a session signed in elsewhere (``aws login``'s cache, an import).

        ``sign_in_region`` names the Region whose AWS Sign-In issued the token
        (the cache's ``signInRegion``) when it differs from ``region``.

        Raises:
            SessionLimitReached: it would be a sixth session.
            ProfileConflict, SecretStoreUnavailable, ConfigFileError.
        """
        self._sync()
        sid = session_id_for(identity.arn)
        existing = holding_places(self.table.sessions())
        if self.table.get(sid) is None and len(existing) >= MAX_SESSIONS:
            raise SessionLimitReached(self._limit_message(existing))
        if profile_name is not None:
            self._check_not_active_name(profile_name)
            # An import takes over the profile `aws login` wrote for this very ARN;
            # check before anything is stored, so a refusal leaves no half-installed session.
            await asyncio.to_thread(
                self.profiles.writer.check_available, profile_name, login_session=identity.arn, adopt=True
            )
        expires_in = max(int((credentials.expires_at - self.clock.now()).total_seconds()), 0)
        return await self._install(
            InstallRequest(
                identity,
                region=region,
                profile_name=profile_name,
                mode=mode,
                secrets=secrets,
                credentials=credentials,
                signed_in_at=signed_in_at,
                session_ends_at=session_ends_at,
                expires_in=expires_in or None,
                adopt_profile=True,
                sign_in_region=sign_in_region if sign_in_region != region else None,
            )
        )

    def _free_default_name(self, identity: Identity, sid: str) -> str:
        taken = {s.profile_name for s in self.table.sessions() if s.id != sid} | {self._settings.active_profile_name}
        return free_default_name(identity, taken, self.profiles.writer.check_available)

    async def _install(self, request: InstallRequest) -> Session:
        self._sync()
        sid = request.session_id
        previous = self.table.get(sid)
        if previous is None and len(holding := holding_places(self.table.sessions())) >= MAX_SESSIONS:
            raise SessionLimitReached(self._limit_message(holding))
        profile_name = await self._choose_profile_name(request.identity, sid, request.profile_name, previous)
        session = request.session(profile_name, previous, HISTORY_LIMIT)
        secrets, credentials, mode = request.secrets, request.credentials, request.mode
        if previous is not None and previous.credential_mode is not mode:
            await asyncio.to_thread(self.secret_store_for(previous).delete, previous)
        store = self.secret_store_for(session)

        self.engine.forget(sid)
        kept_aside = await self.housekeeping.store_first_token(session, store, secrets, credentials)
        if request.expires_in:
            self.engine.note_credentials(sid, request.expires_in, granted=not request.adopt_profile)

        def put(state: StoreState) -> StoreState:
            state = state.with_session(session)
            if state.active_session_id is None:
                state = replace(state, active_session_id=sid)
            return state

        before = self.table.state
        try:
            active = self.table.mutate(put).active_session_id == sid
            adopt = (profile_name,) if request.adopt_profile else ()
            active, detail = await self._write_profiles(session, active, [], before.active_session_id, adopt)
        except BaseException:
            if previous is None:  # all or nothing: a new session that got no profile is not kept
                await self.housekeeping.undo_install(session, before)
            raise
        self._publish(EventKind.UPDATED if previous is not None else EventKind.ADDED, session, detail)
        if active and before.active_session_id != sid:
            self._publish(EventKind.ACTIVE_CHANGED, session)
        self.engine.wake()
        if kept_aside is not None:
            raise kept_aside  # signed in, but the store refused the token: it waits in a rescue file
        return session

    async def _choose_profile_name(
        self, identity: Identity, sid: str, wanted: str | None, previous: Session | None
    ) -> str:
        if wanted is None:
            if previous is not None:
                return previous.profile_name
            return await asyncio.to_thread(self._free_default_name, identity, sid)
        if any(s.profile_name == wanted and s.id != sid for s in self.table.sessions()):
            raise ProfileConflict(f"Profile {wanted!r} belongs to another session.", wanted)
        return wanted

    async def _write_profiles(
        self,
        session: Session,
        active: bool,
        removals: list[str],
        before_active: str | None,
        adopt: tuple[str, ...] = (),
    ) -> tuple[bool, str | None]:
        """Write the session's profile (and the active one); returns (still active, warning)."""
        upserts = [self.profiles.spec(session, name) for name in (session.profile_name, *session.other_profiles)]
        if active:
            upserts.append(self.role_profiles.active_spec(session))
        try:
            await self.profiles.apply(upserts, removals, adopt)
        except ProfileConflict as exc:
            if not active or exc.profile != self._settings.active_profile_name:
                raise
            # The user's own active-profile section holds other credentials: keep the
            # session, leave that profile alone, and say so.
            await self.profiles.apply(upserts[:-1], removals, adopt)
            self.table.mutate(lambda st: replace(st, active_session_id=before_active))
            return False, exc.user_message
        return active, None

    async def _forget_secrets(
        self, session: Session, *, leftovers: bool = True, keep_sign_in: bool = False
    ) -> str | None:
        return await self.housekeeping.forget(session, leftovers=leftovers, keep_sign_in=keep_sign_in)

    async def remove_leftover_secrets(self) -> int:
        """Retry deleting secrets earlier sign-outs left behind; returns how many remain."""
        return await self.housekeeping.remove_leftovers()

    # -- other intents -------------------------------------------------------------------

    async def refresh(self, session_id: str) -> Session:
        self.aws_login.check(self._get(session_id))  # adopt a new `aws login` sign-in before refreshing
        return await self.engine.refresh(session_id, force=True)

    async def sign_out(self, session_id: str) -> str | None:
        session = self._get(session_id)
        await self.engine.wait_idle(session_id)
        was_active = self.table.active_session_id == session_id
        successor = None
        if was_active and self._settings.on_sign_out_of_active == "next":
            live = [s for s in self.table.sessions() if s.id != session_id and s.state.live]
            successor = live[-1] if live else None
        upserts = [self.profiles.spec(successor, self._settings.active_profile_name)] if successor else []
        notice = self.aws_login.leave_in_place(session)
        names = [session.profile_name, *session.other_profiles]
        removals = [*([] if notice else names), *self.role_profiles.owned_names(session_id)]
        if was_active and successor is None:
            removals.append(self._settings.active_profile_name)
        await self.profiles.apply(upserts, removals, release=names if notice else ())
        problem = await self._forget_secrets(session, keep_sign_in=bool(notice))

        def drop(state: StoreState) -> StoreState:
            state = state.without(session_id)
            if was_active:
                state = replace(state, active_session_id=successor.id if successor else None)
            return state

        self.table.mutate(drop)
        self._publish(EventKind.REMOVED, session, notice)
        if was_active:
            self._publish(EventKind.ACTIVE_CHANGED, successor)
        if problem is not None:
            raise SecretsLeftBehind(
                f"Signed out {session.profile_name}, but its refresh token and key could not be removed from "
                f"the secret store yet: {problem} They are removed the next time aws-login-tray starts with "
                "the store usable."
            )
        return notice

    async def set_active(self, session_id: str) -> None:
        session = self._get(session_id)
        await self.profiles.apply([self.profiles.spec(session, self._settings.active_profile_name)])
        before = (self.table.state.active_session_id, self.table.state.active_role)
        self.table.mutate(lambda st: replace(st, active_session_id=session_id, active_role=None))
        if before != (session_id, None):
            self._publish(EventKind.ACTIVE_CHANGED, session)

    async def rename_profile(self, session_id: str, profile_name: str) -> Session:
        session = self._get(session_id)
        if profile_name == session.profile_name:
            return session
        self._check_not_active_name(profile_name)
        if any(s.profile_name == profile_name for s in self.table.sessions()):
            raise ProfileConflict(f"Profile {profile_name!r} belongs to another session.", profile_name)
        await asyncio.to_thread(self.profiles.writer.check_available, profile_name)
        renamed = session.evolve(profile_name=profile_name)
        await self.profiles.apply(
            [self.profiles.spec(renamed), *self.role_profiles.follow_rename(renamed)], [session.profile_name]
        )
        updated = self.table.update_session(session_id, lambda s: s.evolve(profile_name=profile_name)) or renamed
        self._publish(EventKind.UPDATED, updated)
        return updated

    async def set_region(self, session_id: str, region: str) -> Session:
        session = self._get(session_id)
        if region == session.region:
            return session

        def change(s: Session) -> Session:
            return s.evolve(region=region, sign_in_region=s.sign_in_region or s.region)

        moved = change(session)
        upserts = [self.profiles.spec(moved, name) for name in (moved.profile_name, *moved.other_profiles)]
        if self.table.active_session_id == session_id:
            upserts.append(self.role_profiles.active_spec(moved))
        await self.profiles.apply(upserts)
        updated = self.table.update_session(session_id, change) or moved
        self._publish(EventKind.UPDATED, updated)
        return updated

    async def update_settings(self, settings: Settings) -> None:
        await self.housekeeping.change_settings(self._settings, settings, self._secret_store_override is None)
        self._settings = settings
        self.engine.wake()

    async def undo_config_change(self) -> None:
        await asyncio.to_thread(self.profiles.writer.undo)
