"""The secret stores: keyring entries, the explicit plaintext opt-in, the AWS login cache."""

from __future__ import annotations

import asyncio
import json
import stat
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import keyring
import keyring.backends.fail
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked

from core.domain.errors import SecretStoreUnavailable, SignInRequired
from core.domain.model import CredentialMode, Credentials, SessionSecrets
from core.sessions.manager import SessionManager
from core.storage.logincache import cache_file_path, read_login_cache
from core.storage.paths import AppPaths
from core.storage.secrets import (
    KEYRING_SERVICE,
    KeyringSecretStore,
    LoginCacheSecretStore,
    PlaintextFileSecretStore,
    keyring_username,
)
from core.storage.settings import Settings
from tests.doubles.clock import ManualClock, fake_sleep
from tests.doubles.logincache import fresh_pem
from tests.doubles.sessions import ARNS, START, build_session
from tests.doubles.signin_service import FakeSignIn, FakeSigninClient
from tests.support import keyrings as test_keyrings

SECRETS = SessionSecrets("ASOR-refresh-token-value", "-----BEGIN EC PRIVATE KEY-----x", "client", "id.tok.en")


class LockedKeyring(KeyringBackend):
    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("locked")


def test_keyring_entry_is_named_on_purpose_and_holds_one_json_value() -> None:
    session = build_session()
    store = KeyringSecretStore()
    store.save(session, SECRETS)
    entries = test_keyrings.TestFileKeyring().entries()  # type: ignore[no-untyped-call]
    assert list(entries) == [(KEYRING_SERVICE, f"login-session:v1:{session.id}")]
    assert keyring_username(session.id) == f"login-session:v1:{session.id}"
    value = json.loads(entries[(KEYRING_SERVICE, f"login-session:v1:{session.id}")])
    assert value == {
        "v": 1,
        "refresh_token": SECRETS.refresh_token,
        "dpop_key_pem": SECRETS.dpop_key_pem,
        "client_id": "client",
        "id_token": "id.tok.en",
    }
    assert store.load(session) == SECRETS
    store.delete(session)
    store.delete(session)  # already gone: no error
    assert store.load(session) is None


def test_concurrent_saves_of_different_sessions_lose_nothing() -> None:
    # The engine stores five sessions' new tokens from worker threads at once.
    store = KeyringSecretStore()
    sessions = [build_session(arn) for arn in ARNS[:5]]

    def save_many(index: int) -> None:
        for round_ in range(15):
            store.save(sessions[index], SessionSecrets(f"ASOR-{index}-{round_}", "pem", "client"))

    with ThreadPoolExecutor(5) as pool:
        list(pool.map(save_many, range(5)))
    for index, session in enumerate(sessions):
        loaded = store.load(session)
        assert loaded is not None
        assert loaded.refresh_token == f"ASOR-{index}-14"


def test_a_damaged_keyring_value_means_sign_in_again() -> None:
    session = build_session()
    keyring.set_password(KEYRING_SERVICE, keyring_username(session.id), "not json")
    with pytest.raises(SignInRequired) as info:
        KeyringSecretStore().load(session)
    assert info.value.reason == "DAMAGED_SECRETS"
    assert "not json" not in info.value.user_message


def test_no_keyring_is_an_actionable_error_not_a_fallback() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    store = KeyringSecretStore()
    with pytest.raises(SecretStoreUnavailable) as info:
        store.save(build_session(), SECRETS)
    message = info.value.user_message
    assert "gnome-keyring" in message
    assert "KWallet" in message
    assert "settings use_plaintext_secrets true" in message
    assert SECRETS.refresh_token not in message
    with pytest.raises(SecretStoreUnavailable):
        store.probe()
    assert not AppPaths.from_environment().plaintext_secrets_dir.exists()


def test_a_locked_keyring_says_unlock_it() -> None:
    keyring.set_keyring(LockedKeyring())  # type: ignore[no-untyped-call]
    with pytest.raises(SecretStoreUnavailable, match=r"locked\. Unlock it"):
        KeyringSecretStore().load(build_session())


def test_plaintext_files_are_private() -> None:
    paths = AppPaths.from_environment()
    store = PlaintextFileSecretStore(paths.plaintext_secrets_dir)
    session = build_session()
    store.save(session, SECRETS)
    path = store.path_for(session)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.load(session) == SECRETS
    store.delete(session)
    assert store.load(session) is None


def _manager(settings: Settings) -> tuple[SessionManager, list[str]]:
    clock = ManualClock()
    service = FakeSignIn(clock, next_arns=["arn:aws:sts::111122223333:assumed-role/Admin/alice"])
    opened: list[str] = []
    manager = SessionManager(
        AppPaths.from_environment(),
        clock=clock,
        open_browser=opened.append,
        signin_factory=lambda region: FakeSigninClient(service, region),
        settings=settings,
        sleep=fake_sleep(clock),
    )
    return manager, opened


def test_plaintext_only_when_the_user_opted_in() -> None:
    keyring.set_keyring(keyring.backends.fail.Keyring())  # type: ignore[no-untyped-call]
    paths = AppPaths.from_environment()
    manager, opened = _manager(Settings())
    with pytest.raises(SecretStoreUnavailable):
        asyncio.run(manager.sign_in("us-east-1"))
    assert opened == []  # refused before the browser opened
    assert not paths.plaintext_secrets_dir.exists()

    manager, opened = _manager(Settings(use_plaintext_secrets=True))
    session = asyncio.run(manager.sign_in("us-east-1"))
    assert len(opened) == 1
    saved = PlaintextFileSecretStore(paths.plaintext_secrets_dir).load(session)
    assert saved is not None
    assert saved.refresh_token.startswith("ASOR")


def test_login_cache_is_the_single_home_of_a_login_session_token() -> None:
    paths = AppPaths.from_environment()
    session = build_session(credential_mode=CredentialMode.LOGIN_SESSION)
    store = LoginCacheSecretStore(paths.login_cache_dir)
    assert store.load(session) is None
    secrets = SessionSecrets("ASOR-1", fresh_pem(), "arn:aws:signin:::devtools/same-device", None)
    creds = Credentials("ASIA1", "secret", "token", START + timedelta(minutes=15), session.account_id)
    store.save(session, secrets, creds)
    path = cache_file_path(paths.login_cache_dir, session.identity.arn)
    assert store.path_for(session) == path
    entry = read_login_cache(path)
    assert entry.secrets.refresh_token == "ASOR-1"
    assert entry.sign_in_region == session.refresh_region
    assert store.load_credentials(session) == creds
    # a later save without credentials keeps the cached ones
    store.save(session, SessionSecrets("ASOR-2", secrets.dpop_key_pem, secrets.client_id, None))
    loaded = store.load(session)
    assert loaded is not None
    assert loaded.refresh_token == "ASOR-2"
    assert store.load_credentials(session) == creds
    assert not KeyringSecretStore().load(session)  # no second copy in the keyring
    store.delete(session)
    assert not path.exists()
