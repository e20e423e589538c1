"""Where a session's refresh token and DPoP key live.

Three stores behind one Protocol, chosen per session:

* :class:`KeyringSecretStore` (the default): the OS keyring (Secret Service
  on Linux, Keychain, Windows Credential Locker). One entry per session:
  service ``aws-login-tray``, user name ``login-session:v1:<session id>``,
  value one JSON object ``{"v": 1, "refresh_token", "dpop_key_pem",
  "client_id", "id_token"}``. The ``login-session:`` prefix says what kind of
  entry it is, ``v1`` the value format, and the session id is hex, so names
  never collide with each other or with other kinds of entry.
  A missing, locked or failing keyring is :class:`SecretStoreUnavailable`
  with what to do about it, never a silent fallback to files.
* :class:`PlaintextFileSecretStore`: 0600 files in a 0700 directory, used only
  when the user opted in (``Settings.use_plaintext_secrets``).
* :class:`LoginCacheSecretStore`: for sessions whose profile uses
  ``login_session``. The AWS login cache file is then the single source of
  truth for the refresh token, because botocore reads (and may rotate) it
  too; there is no second copy anywhere.

Every method blocks (keyring over D-Bus, file I/O): call them through
``asyncio.to_thread`` from the event loop.
"""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.domain.errors import CacheFileError, SecretStoreUnavailable, SignInRequired
from core.domain.model import Credentials, Session, SessionSecrets
from core.storage.atomic import atomic_write_json, probe_writable, read_regular_file
from core.storage.paths import is_session_id

if TYPE_CHECKING:
    from core.storage.logincache import LoginCacheEntry

log = logging.getLogger(__name__)

KEYRING_SERVICE = "aws-login-tray"

_KEYRING_CALLS = threading.Lock()
"""One keyring call at a time in this process.

The engine refreshes sessions concurrently, each storing its new token from
a worker thread. Not every keyring backend is safe against that (file-backed
ones read, change and rewrite one file, and the last writer wins, which
would silently lose another session's just-rotated token), so calls are
serialised; they take milliseconds."""
SECRET_FORMAT_VERSION = 1

_OPT_IN_HINT = (
    "or opt in to private 0600 secret files: the tray's Settings,"
    " or `aws-login-tray settings use_plaintext_secrets true`"
)


def keyring_username(session_id: str) -> str:
    """The keyring user name of one session's secrets."""
    return f"login-session:v{SECRET_FORMAT_VERSION}:{session_id}"


class SecretStore(Protocol):
    """Keeps what lets a session refresh. Every method may block."""

    def load(self, session: Session) -> SessionSecrets | None:
        """The session's secrets, or None when none are stored.

        Raises:
            SecretStoreUnavailable: the store cannot be used right now.
            SignInRequired: what is stored can never refresh (damaged).
        """
        ...

    def load_credentials(self, session: Session) -> Credentials | None:
        """Credentials kept next to the secrets (login cache only), else None."""
        ...

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
        """Store new secrets (and, where the store keeps them, credentials)."""
        ...

    def delete(self, session: Session) -> None:
        """Forget the session's secrets; no error when there are none."""
        ...

    def probe(self) -> None:
        """Check the store can be used now (before a browser sign-in is wasted).

        Raises:
            SecretStoreUnavailable: it cannot, with what to do about it.
        """
        ...


def secrets_to_json(secrets: SessionSecrets) -> dict[str, Any]:
    """The stored shape of :class:`SessionSecrets`."""
    return {
        "v": SECRET_FORMAT_VERSION,
        "refresh_token": secrets.refresh_token,
        "dpop_key_pem": secrets.dpop_key_pem,
        "client_id": secrets.client_id,
        "id_token": secrets.id_token,
    }


def secrets_from_json(raw: Any, where: str) -> SessionSecrets:
    """Inverse of :func:`secrets_to_json`.

    Raises:
        SignInRequired: the value is damaged (reason ``DAMAGED_SECRETS``).
    """
    try:
        if not isinstance(raw, dict) or raw.get("v") != SECRET_FORMAT_VERSION:
            raise ValueError("unknown format")
        id_token = raw.get("id_token")
        return SessionSecrets(
            refresh_token=str(raw["refresh_token"]),
            dpop_key_pem=str(raw["dpop_key_pem"]),
            client_id=str(raw["client_id"]),
            id_token=None if id_token is None else str(id_token),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SignInRequired(
            f"The stored secrets of this session ({where}) are damaged; sign in again.", reason="DAMAGED_SECRETS"
        ) from exc


class KeyringSecretStore:
    """Secrets in the OS keyring, one JSON entry per session."""

    def __init__(self, service: str = KEYRING_SERVICE) -> None:
        self.service = service

    def _keyring(self) -> Any:
        try:
            import keyring  # deferred: ~180 ms, and not needed on the credential_process path
            import keyring.errors
        except ImportError as exc:  # pragma: no cover - keyring is a dependency
            raise SecretStoreUnavailable(f"The Python keyring library is missing; reinstall, {_OPT_IN_HINT}.") from exc
        backend = keyring.get_keyring()
        module = type(backend).__module__
        if module.startswith("keyrings.alt"):
            # keyrings.alt quietly becomes the default where no Secret Service runs,
            # and some of its backends are plaintext files: refuse rather than pretend.
            raise SecretStoreUnavailable(
                f"The active keyring backend ({module}.{type(backend).__name__}) is not an OS keyring. "
                f"Start a Secret Service (gnome-keyring or KWallet), {_OPT_IN_HINT}."
            )
        return keyring

    def _unavailable(self, exc: BaseException) -> SecretStoreUnavailable:
        import keyring.errors

        if isinstance(exc, keyring.errors.NoKeyringError):
            text = (
                "No OS keyring is available to keep the session's refresh token. Install and start a "
                f"Secret Service such as gnome-keyring or KWallet, {_OPT_IN_HINT}."
            )
        elif isinstance(exc, keyring.errors.KeyringLocked):
            text = (
                "The OS keyring is locked. Unlock it (log in to the desktop or open your password manager), "
                f"{_OPT_IN_HINT}."
            )
        else:
            # Only the type: a backend's message might echo what was being stored.
            text = (
                f"The OS keyring failed ({type(exc).__name__}). Check that it is running and unlocked, {_OPT_IN_HINT}."
            )
        return SecretStoreUnavailable(text)

    def probe(self) -> None:
        keyring = self._keyring()
        try:
            with _KEYRING_CALLS:
                keyring.get_password(self.service, "probe")
        except Exception as exc:
            raise self._unavailable(exc) from None

    def load(self, session: Session) -> SessionSecrets | None:
        keyring = self._keyring()
        try:
            with _KEYRING_CALLS:
                value = keyring.get_password(self.service, keyring_username(session.id))
        except Exception as exc:
            raise self._unavailable(exc) from None
        if value is None:
            return None
        try:
            raw = json.loads(value)
        except ValueError:
            raw = None
        return secrets_from_json(raw, f"keyring entry {keyring_username(session.id)}")

    def load_credentials(self, session: Session) -> Credentials | None:
        return None

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
        keyring = self._keyring()
        try:
            with _KEYRING_CALLS:
                keyring.set_password(self.service, keyring_username(session.id), json.dumps(secrets_to_json(secrets)))
        except Exception as exc:
            raise self._unavailable(exc) from None

    def delete(self, session: Session) -> None:
        keyring = self._keyring()
        try:
            with _KEYRING_CALLS:
                keyring.delete_password(self.service, keyring_username(session.id))
        except keyring.errors.PasswordDeleteError:
            return
        except Exception as exc:
            raise self._unavailable(exc) from None


class PlaintextFileSecretStore:
    """Secrets in 0600 JSON files: only when the user explicitly chose it."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def path_for(self, session: Session) -> Path:
        """The file holding one session's secrets."""
        if not is_session_id(session.id):
            raise ValueError(f"not a session id: {session.id[:80]!r}")
        return self.directory / f"{session.id}.json"

    def probe(self) -> None:
        try:
            probe_writable(self.directory)
        except OSError as exc:
            raise SecretStoreUnavailable(
                f"Cannot write in the secrets directory {self.directory}: {exc.strerror}."
            ) from None

    def load(self, session: Session) -> SessionSecrets | None:
        path = self.path_for(session)
        try:
            text = read_regular_file(path, limit=1 << 20).decode("utf-8", "replace")
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise SecretStoreUnavailable(f"Cannot read secrets file {path}: {exc.strerror}.") from None
        try:
            raw = json.loads(text)
        except (ValueError, RecursionError):
            raw = None
        return secrets_from_json(raw, str(path))

    def load_credentials(self, session: Session) -> Credentials | None:
        return None

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
        path = self.path_for(session)
        try:
            atomic_write_json(path, secrets_to_json(secrets))
        except OSError as exc:
            raise SecretStoreUnavailable(f"Cannot write secrets file {path}: {exc.strerror}.") from None

    def delete(self, session: Session) -> None:
        path = self.path_for(session)
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise SecretStoreUnavailable(f"Cannot remove secrets file {path}: {exc.strerror}.") from None


class LoginCacheSecretStore:
    """The AWS login cache file as the one home of a ``login_session`` profile's token.

    botocore's LoginProvider reads this file for every call of such a profile
    and rotates the token itself when fewer than five minutes remain, so the
    engine re-reads it under the session lock before each refresh and writes
    the new token and credentials back atomically right after.
    """

    def __init__(self, cache_dir: Path) -> None:
        self.cache_dir = cache_dir

    def probe(self) -> None:
        try:
            probe_writable(self.cache_dir)
        except OSError as exc:
            raise SecretStoreUnavailable(
                f"Cannot write in the AWS login cache {self.cache_dir}: {exc.strerror}."
            ) from None

    def path_for(self, session: Session) -> Path:
        """The cache file ``aws login`` uses for this session's ARN."""
        from core.storage.logincache import cache_file_path

        return cache_file_path(self.cache_dir, session.identity.arn)

    def _read(self, session: Session) -> LoginCacheEntry | None:
        from core.storage.logincache import read_login_cache

        path = self.path_for(session)
        if not path.exists():
            return None
        try:
            return read_login_cache(path)
        except CacheFileError as exc:
            raise SignInRequired(f"{exc.user_message} Sign in again.", reason="DAMAGED_CACHE") from exc

    def load(self, session: Session) -> SessionSecrets | None:
        entry = self._read(session)
        return None if entry is None else entry.secrets

    def load_credentials(self, session: Session) -> Credentials | None:
        entry = self._read(session)
        return None if entry is None else entry.credentials

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
        """Write the token; a refresh never overwrites another sign-in that ``aws login`` put in the file meanwhile.

        The AWS CLI writes without our lock. When the file now holds a sign-in
        other than the session's (``session.sign_in_marker``) and other than
        ``secrets``' own, the new sign-in wins and this token is given up (the
        session adopts the new sign-in, see :mod:`core.sessions.awslogin`).
        A session without a marker (a new sign-in of ours) always writes.
        """
        from core.storage.logincache import LoginCacheEntry, sign_in_marker, write_login_cache

        if session.sign_in_marker is not None:
            try:
                current = self._read(session)
            except SignInRequired:
                current = None
            found = None if current is None else sign_in_marker(current.secrets)
            if found is not None and found not in (session.sign_in_marker, sign_in_marker(secrets)):
                log.info("%s: the aws login cache now holds another sign-in; leaving it", session.profile_name)
                return
        if credentials is None:
            previous = self.load_credentials(session)
            if previous is None:
                raise ValueError("the login cache needs credentials next to the refresh token")
            credentials = previous
        path = self.path_for(session)
        try:
            # signInRegion: botocore refreshes there, so it must name the Region that issued the token.
            write_login_cache(path, LoginCacheEntry(credentials, secrets, session.refresh_region))
        except CacheFileError as exc:
            # write_login_cache reports OSError as CacheFileError; the engine keeps an unstored token
            # only for SecretStoreUnavailable, so anything else would lose the live refresh token.
            raise SecretStoreUnavailable(f"Cannot write the AWS login cache: {exc.user_message}") from None
        except OSError as exc:
            raise SecretStoreUnavailable(f"Cannot write the AWS login cache {path}: {exc.strerror}.") from None

    def delete(self, session: Session) -> None:
        self.path_for(session).unlink(missing_ok=True)
