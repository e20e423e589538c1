"""Removing and moving sessions' secrets for the manager: never half done, never silently left behind.

* A sign-out whose store refuses the deletion (a locked keyring) still
  completes; the secrets are listed in ``pending-deletions.json``
  (:mod:`core.storage.pending`) and removed at a later start, and the caller
  says what stayed behind.
* Switching between the OS keyring and plaintext files is a transaction
  (:func:`core.sessions.safeguards.move_secrets`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from core.domain.errors import ConfigFileError, SecretStoreUnavailable
from core.domain.model import CredentialMode, Credentials, Session, SessionSecrets
from core.sessions import safeguards
from core.sessions.engine import RefreshEngine
from core.sessions.tokensafe import TokenNotStored
from core.storage.locks import held_session_lock
from core.storage.paths import AppPaths
from core.storage.pending import PendingDeletions
from core.storage.secrets import SecretStore
from core.storage.settings import Settings, save_settings
from core.storage.store import SessionStore, SessionTable, StoreState

if TYPE_CHECKING:
    from core.sessions.profiles import ProfileWriter
    from core.sessions.roles import RoleProfiles


class SecretsHost(Protocol):
    """What :class:`SecretHousekeeping` uses of the session manager."""

    paths: AppPaths
    store: SessionStore
    table: SessionTable
    engine: RefreshEngine
    profiles: ProfileWriter
    role_profiles: RoleProfiles

    def settings(self) -> Settings: ...

    def secret_store_for(self, session: Session) -> SecretStore: ...

    def store_for_settings(self, settings: Settings) -> SecretStore: ...


def store_name(settings: Settings) -> str:
    """How ``pending-deletions.json`` names the store these settings choose."""
    return "files" if settings.use_plaintext_secrets else "keyring"


class SecretHousekeeping:
    """Deletes and moves secrets on behalf of the manager."""

    def __init__(self, host: SecretsHost) -> None:
        self._host = host
        self.pending = PendingDeletions(host.paths)

    def _lock(self, session_id: str) -> contextlib.AbstractContextManager[None]:
        return held_session_lock(self._host.paths, self._host.engine.lock_timeout, session_id)

    async def forget(self, session: Session, *, leftovers: bool = True, keep_sign_in: bool = False) -> str | None:
        """Delete a session's credentials and secrets; returns why secrets stayed behind (listed for later).

        With ``keep_sign_in`` the secrets stay: an ``aws login`` sign-in the app did not make.
        """
        host = self._host
        host.engine.forget(session.id)

        def drop() -> str | None:
            with self._lock(session.id):
                host.store.delete_credentials(session.id)
                if keep_sign_in:
                    return None
                try:
                    host.secret_store_for(session).delete(session)
                except SecretStoreUnavailable as exc:
                    if leftovers:
                        safeguards.record_leftovers(self.pending, store_name(host.settings()), [session])
                    return exc.user_message
            return None

        return await asyncio.to_thread(drop)

    async def store_first_token(
        self, session: Session, store: SecretStore, secrets: SessionSecrets, credentials: Credentials
    ) -> TokenNotStored | None:
        """Store a new sign-in's token and credentials; a token the store refuses goes to a rescue file.

        Returns the error to report once the sign-in is complete (the token is safe on disk).

        Raises:
            TokenNotStored: not even a rescue file could take it (nothing was written).
        """
        host = self._host

        def write() -> TokenNotStored | None:
            with self._lock(session.id):
                try:  # (no sign-in marker: replace whatever the store holds)
                    host.engine.keeper.keep(session.evolve(sign_in_marker=None), store, secrets, credentials)
                    problem = None
                except TokenNotStored as exc:
                    if not exc.rescued:
                        raise
                    problem = exc
                host.store.write_credentials(session.id, credentials)
                return problem

        return await asyncio.to_thread(write)

    async def undo_install(self, session: Session, before: StoreState) -> None:
        """Take back a sign-in whose profile could not be written: its secrets, credentials and metadata."""
        await self.forget(session, leftovers=False)

        def restore(state: StoreState) -> StoreState:
            return replace(state.without(session.id), active_session_id=before.active_session_id)

        self._host.table.mutate(restore)

    async def remove_leftovers(self) -> int:
        """Retry deleting secrets earlier sign-outs left behind; returns how many remain."""
        host = self._host

        def store_named(name: str) -> SecretStore | None:
            return host.store_for_settings(replace(host.settings(), use_plaintext_secrets=name == "files"))

        return await asyncio.to_thread(self.pending.retry, store_named, lambda sid: host.table.get(sid) is not None)

    async def change_settings(self, old: Settings, settings: Settings, stores_follow: bool) -> None:
        """Save new settings, all or nothing: the active profile's config edit first, secrets moved in a transaction.

        Raises:
            ProfileConflict: the new active profile name is a session's profile (nothing changed).
            ConfigFileError, SecretStoreUnavailable: a step failed; what was done is undone.
        """
        host = self._host
        renamed = settings.active_profile_name != old.active_profile_name
        if renamed:
            host.table.sync()
            safeguards.check_active_profile_name(settings.active_profile_name, host.table.sessions())
        active = host.table.get(host.table.active_session_id or "") if renamed else None
        if active is not None:  # the config first: a refused edit leaves the setting unchanged
            spec = host.role_profiles.active_spec(active, settings.active_profile_name)
            await host.profiles.apply([spec], [old.active_profile_name])

        def save() -> None:
            try:
                save_settings(host.paths.settings_file, settings)
            except OSError as exc:
                raise ConfigFileError(f"Cannot save settings {host.paths.settings_file}: {exc.strerror}.") from exc

        try:
            if settings.use_plaintext_secrets != old.use_plaintext_secrets and stores_follow:
                await self.move(old, settings, save)
            else:
                await asyncio.to_thread(save)
        except BaseException:
            if active is not None:
                await host.profiles.apply([host.role_profiles.active_spec(active, old.active_profile_name)], [])
            raise

    async def move(self, old: Settings, new: Settings, save: Callable[[], None]) -> None:
        """Carry every keyring/plaintext session's secrets to the newly chosen store, all or nothing."""
        host = self._host
        host.table.sync()
        sessions = [s for s in host.table.sessions() if s.credential_mode is not CredentialMode.LOGIN_SESSION]
        source, target = host.store_for_settings(old), host.store_for_settings(new)
        left = await asyncio.to_thread(safeguards.move_secrets, sessions, source, target, self._lock, save)
        safeguards.record_leftovers(self.pending, store_name(old), left)
