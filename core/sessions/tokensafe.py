"""Never drop a rotated refresh token.

A refresh spends the old token; the new one exists only in this process
until a store holds it. :class:`TokenKeeper` is the engine's one way to put
it somewhere durable:

1. Before calling AWS, :meth:`TokenKeeper.check_ready` makes sure the
   session's store and the credentials directory can be written (a locked
   keyring or a read-only disk is found *before* a token is spent).
2. After the call, :meth:`TokenKeeper.keep` stores the token. When the store
   refuses, the token is written to a rescue file (:mod:`core.storage.rescue`)
   and held in memory; the caller reports a :class:`TokenNotStored` error
   instead of success.
3. :meth:`TokenKeeper.flush` moves a held or rescued token into the store; the
   engine calls it before every refresh, retries it within seconds while a
   token is held, and once more on shutdown.

Every method blocks (keyring, file I/O): call them through ``asyncio.to_thread``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from core.domain.errors import SecretStoreUnavailable
from core.domain.model import Credentials, Session, SessionSecrets
from core.storage.atomic import probe_writable
from core.storage.paths import AppPaths
from core.storage.rescue import RescuedToken, RescueFiles
from core.storage.secrets import SecretStore

log = logging.getLogger(__name__)


class TokenNotStored(SecretStoreUnavailable):
    """A new refresh token could not go into its store; the message says where it is instead.

    Attributes:
        rescued: True when it is safe in a rescue file (credentials were handed on).
    """

    def __init__(self, message: str, *, rescued: bool) -> None:
        super().__init__(message)
        self.rescued = rescued


@dataclass(frozen=True)
class _Held:
    session: Session
    token: RescuedToken
    on_disk: bool
    """Also in a rescue file: once that file is gone, another process moved the token on."""


class TokenKeeper:
    """Holds rotated tokens until their store takes them."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        self.rescue = RescueFiles(paths)
        self._held: dict[str, _Held] = {}

    def holds(self, session_id: str) -> bool:
        """True while a token of this session waits for its store (in memory or a rescue file)."""
        return session_id in self._held or self.rescue.exists(session_id)

    def held_sessions(self) -> list[Session]:
        """The sessions whose token this process holds in memory."""
        return [held.session for held in self._held.values()]

    def check_ready(self, store: SecretStore) -> None:
        """Check that a new token and credentials could be written now.

        Raises:
            SecretStoreUnavailable: the store or the credentials directory cannot take them.
        """
        store.probe()
        try:
            probe_writable(self.paths.credentials_dir)
        except OSError as exc:
            raise SecretStoreUnavailable(
                f"Cannot write in {self.paths.credentials_dir} ({exc.strerror}); free space or fix its permissions."
            ) from None

    def flush(self, session: Session, store: SecretStore) -> bool:
        """Move a held or rescued token into the store; True when one was moved.

        Raises:
            SecretStoreUnavailable: the store still refuses (the token stays held).
        """
        held = self._held.pop(session.id, None)
        usable = held is not None and held.session.signed_in_at == session.signed_in_at
        if held is not None and usable and (not held.on_disk or self.rescue.exists(session.id)):
            self._held[session.id] = held
            token: RescuedToken | None = held.token
        else:
            token = self.rescue.load(session)
        if token is None:
            return False
        store.save(session, token.secrets, token.credentials)
        self._held.pop(session.id, None)
        self.rescue.delete(session.id)
        log.info("%s: the refresh token kept aside is now in its store", session.profile_name)
        return True

    def keep(self, session: Session, store: SecretStore, secrets: SessionSecrets, credentials: Credentials) -> None:
        """Store a freshly rotated token; when the store refuses, rescue it and raise.

        Raises:
            TokenNotStored: the store refused; the message says where the token is and what to do.
        """
        try:
            store.save(session, secrets, credentials)
        except SecretStoreUnavailable as exc:
            problem = exc
        else:
            self._held.pop(session.id, None)
            self.rescue.delete(session.id)
            return
        token = RescuedToken(secrets, credentials)
        self._held[session.id] = _Held(session, token, on_disk=False)
        try:
            where = self.rescue.save(session, secrets, credentials)
            self._held[session.id] = _Held(session, token, on_disk=True)
        except OSError as exc:
            raise TokenNotStored(
                f"{problem.user_message} The new refresh token could not be saved anywhere (not even in "
                f"{self.rescue.path_for(session.id)}: {exc.strerror}); only this process holds it. Fix the store "
                "while it runs, or the session will need a new sign-in.",
                rescued=False,
            ) from None
        raise TokenNotStored(
            f"{problem.user_message} The new refresh token is kept in {where} (readable only by you) "
            "and moves into the store at the next refresh once the store works again.",
            rescued=True,
        )

    def flush_on_exit(self, store_for: Callable[[Session], SecretStore]) -> list[tuple[Session, str]]:
        """Try every held token once more (shutdown); returns each one still refused, with where it stays."""
        refused: list[tuple[Session, str]] = []
        for session in self.held_sessions():
            try:
                self.flush(session, store_for(session))
            except SecretStoreUnavailable as exc:
                where = self.rescue.path_for(session.id)
                kept = f"it is kept in {where}" if where.exists() else "it could not be saved and is lost"
                refused.append(
                    (session, f"Stopping with a refresh token the store refused ({exc.user_message}); {kept}.")
                )
        return refused

    def forget(self, session_id: str) -> None:
        """Drop what is held for a session signed in again or out."""
        self._held.pop(session_id, None)
        self.rescue.delete(session_id)
