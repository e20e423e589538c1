"""The blocking steps of one refresh, grouped so that each group costs one worker-thread hop.

The engine runs on the event loop; the file, keyring and lock work of a
refresh happens in worker threads. Steps that always run back to back are
done in one ``asyncio.to_thread`` call: every hop costs the loop a future,
a wake-up and a thread hand-over, and a tray refreshes all day.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from core.domain.errors import CacheFileError, SecretStoreUnavailable, SignInRequired
from core.domain.model import Credentials, Session, SessionSecrets
from core.sessions.ports import RefreshResult
from core.sessions.tokensafe import TokenKeeper, TokenNotStored
from core.storage.secrets import SecretStore
from core.storage.store import SessionStore


def latest_on_disk(store: SessionStore, session: Session, secret_store: SecretStore) -> Credentials | None:
    """The latest credentials stored for ``session`` (credentials file or login cache), if any is readable."""
    found: list[Credentials] = []
    with contextlib.suppress(CacheFileError):
        creds = store.read_credentials(session.id)
        if creds is not None:
            found.append(creds)
    with contextlib.suppress(CacheFileError, SignInRequired, SecretStoreUnavailable):
        creds = secret_store.load_credentials(session)
        if creds is not None:
            found.append(creds)
    return max(found, key=lambda c: c.expires_at, default=None)


def read_credentials_quietly(store: SessionStore, session_id: str) -> Credentials | None:
    """The session's credentials file, None when it is missing or damaged."""
    try:
        return store.read_credentials(session_id)
    except CacheFileError:
        return None


def prepare_call(
    keeper: TokenKeeper,
    store: SessionStore,
    session: Session,
    secret_store: SecretStore,
    *,
    adopt: Callable[[Credentials], bool],
) -> Credentials | SessionSecrets | None:
    """Everything before a token call, under the session's lock.

    Returns:
        Credentials another process refreshed meanwhile, when ``adopt`` accepts
        them (take them and make no call); else the secrets to refresh with
        (None: none are stored).

    Raises:
        SecretStoreUnavailable: a kept-aside token still cannot be stored, or
            the new one could not be (checked before the old one is spent).
        SignInRequired: what is stored can never refresh.
    """
    # A token kept aside by an earlier refresh is the live one: into the store first.
    keeper.flush(session, secret_store)
    latest = latest_on_disk(store, session, secret_store)
    if latest is not None and adopt(latest):
        return latest
    secrets = secret_store.load(session)
    # Spend the token only if its successor can be stored.
    keeper.check_ready(secret_store)
    return secrets


def keep_result(
    keeper: TokenKeeper, store: SessionStore, session: Session, secret_store: SecretStore, result: RefreshResult
) -> TokenNotStored | None:
    """Store a refresh's new token, then (only when it is safe on disk) its credentials.

    Returns:
        None when both were stored; else why the token is not in its store
        (``rescued``: it is in a rescue file, and the credentials were written).
    """
    try:
        # The old refresh token is spent: the new one is stored before anything else.
        keeper.keep(session, secret_store, result.secrets, result.credentials)
    except TokenNotStored as exc:
        problem: TokenNotStored | None = exc
    else:
        problem = None
    if problem is None or problem.rescued:
        # Only credentials whose refresh token is safe on disk are handed on.
        store.write_credentials(session.id, result.credentials)
    return problem
