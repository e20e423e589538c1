"""Review findings about the AWS login cache as a secret store."""

from __future__ import annotations

import errno
from datetime import timedelta
from pathlib import Path

import pytest

import core.storage.logincache
from core.domain.errors import SecretStoreUnavailable
from core.domain.model import CredentialMode, Credentials, SessionSecrets
from core.storage.logincache import read_login_cache
from core.storage.paths import AppPaths
from core.storage.secrets import LoginCacheSecretStore
from tests.doubles.logincache import fresh_pem
from tests.doubles.sessions import START, build_session


def test_login_cache_records_the_region_that_issued_the_token_not_the_profile_region() -> None:
    # botocore refreshes in signInRegion when the file names one: after the profile's
    # region moved, the token must still go back to the Sign-In Region that issued it.
    session = build_session(
        credential_mode=CredentialMode.LOGIN_SESSION, region="eu-west-1", sign_in_region="us-east-1"
    )
    store = LoginCacheSecretStore(AppPaths.from_environment().login_cache_dir)
    creds = Credentials("ASIA1", "secret", "token", START + timedelta(minutes=15), session.account_id)
    store.save(session, SessionSecrets("ASOR-1", fresh_pem(), "client", None), creds)
    assert read_login_cache(store.path_for(session)).sign_in_region == "us-east-1"


def test_a_login_cache_that_cannot_be_written_is_reported_as_an_unavailable_store(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The engine keeps a just-rotated token it could not store only when the store says
    # SecretStoreUnavailable; any other error would drop the one live refresh token.
    def full_disk(path: Path, data: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(core.storage.logincache, "atomic_write_bytes", full_disk)
    session = build_session(credential_mode=CredentialMode.LOGIN_SESSION)
    store = LoginCacheSecretStore(AppPaths.from_environment().login_cache_dir)
    creds = Credentials("ASIA1", "secret", "token", START + timedelta(minutes=15), session.account_id)
    with pytest.raises(SecretStoreUnavailable) as caught:
        store.save(session, SessionSecrets("ASOR-secret-refresh", fresh_pem(), "client", None), creds)
    assert "ASOR-secret-refresh" not in str(caught.value)
