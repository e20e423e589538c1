"""The aws login cache: our files are the CLI's files, byte for byte where it matters."""

from __future__ import annotations

import json
import socketserver
import stat
import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import botocore.session
import pytest
from botocore.credentials import LoginCredentialFetcher
from botocore.exceptions import LoginTokenLoadError
from botocore.utils import generate_login_cache_key

from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from core.domain.errors import DAMAGED_KEY, CacheFileError, SignInRequired
from core.storage.logincache import (
    LoginCacheEntry,
    cache_file_path,
    read_login_cache,
    write_login_cache,
)
from core.storage.paths import AppPaths
from tests.doubles.logincache import REFRESH, SECRET, damaged_pem, make_entry

ARN = "arn:aws:sts::111122223333:assumed-role/Admin/alice"


def test_file_name_is_botocore_cache_key(tmp_path: Path) -> None:
    path = cache_file_path(tmp_path, ARN)
    assert path == tmp_path / f"{generate_login_cache_key(ARN)}.json"


def test_round_trip_and_exact_cli_format(tmp_path: Path) -> None:
    path = cache_file_path(tmp_path / "login" / "cache", ARN)
    entry = make_entry()
    write_login_cache(path, entry)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    data = json.loads(path.read_text())
    assert data["tokenType"] == "aws_sigv4"
    assert data["accessToken"]["expiresAt"] == entry.credentials.expires_at.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert data["accessToken"]["accountId"] == "111122223333"
    assert data["dpopKey"].startswith("-----BEGIN EC PRIVATE KEY-----")
    assert data["signInRegion"] == "eu-central-1"
    assert read_login_cache(path) == entry
    assert list(path.parent.iterdir()) == [path]  # no temporary files left


def test_unknown_fields_and_missing_id_token_are_kept(tmp_path: Path) -> None:
    path = cache_file_path(tmp_path, ARN)
    write_login_cache(path, make_entry())
    data = json.loads(path.read_text())
    data["futureField"] = {"x": 1}
    data["accessToken"]["futureInner"] = "y"
    path.write_text(json.dumps(data))
    refreshed = make_entry(timedelta(minutes=15), id_token=None)
    write_login_cache(path, refreshed)
    after = json.loads(path.read_text())
    assert after["futureField"] == {"x": 1}
    assert after["accessToken"]["futureInner"] == "y"
    assert after["idToken"] == "eyJ.id.token"
    assert after["refreshToken"] == REFRESH
    assert after["dpopKey"] == refreshed.secrets.dpop_key_pem


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        (lambda d: d.pop("refreshToken"), "refreshToken"),
        (lambda d: d.pop("dpopKey"), "dpopKey"),
        (lambda d: d["accessToken"].pop("secretAccessKey"), "accessToken.secretAccessKey"),
        (lambda d: d["accessToken"].pop("expiresAt"), "accessToken.expiresAt"),
        (lambda d: d["accessToken"].__setitem__("expiresAt", "tomorrow"), "expiresAt"),
        (lambda d: d.__setitem__("clientId", 7), "clientId"),
        (lambda d: d.__setitem__("accessToken", "flat"), "accessToken"),
    ],
)
def test_broken_fields_name_the_file_and_field_without_secrets(tmp_path: Path, mutate: object, named: str) -> None:
    path = cache_file_path(tmp_path, ARN)
    write_login_cache(path, make_entry())
    data = json.loads(path.read_text())
    mutate(data)  # type: ignore[operator]
    path.write_text(json.dumps(data))
    with pytest.raises(CacheFileError) as caught:
        read_login_cache(path)
    message = str(caught.value)
    assert str(path) in message
    assert named in message
    assert SECRET not in message
    assert REFRESH not in message


def test_bad_json_names_file_not_content(tmp_path: Path) -> None:
    path = cache_file_path(tmp_path, ARN)
    path.write_text('{"refreshToken": "' + REFRESH + '", ')
    with pytest.raises(CacheFileError) as caught:
        read_login_cache(path)
    assert str(path) in str(caught.value)
    assert REFRESH not in str(caught.value)


def test_missing_file_is_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        read_login_cache(cache_file_path(tmp_path, ARN))


def test_damaged_key_means_sign_in_again_and_botocore_agrees(tmp_path: Path) -> None:
    path = cache_file_path(tmp_path, ARN)
    entry = make_entry()
    write_login_cache(path, entry)
    data = json.loads(path.read_text())
    data["dpopKey"] = damaged_pem()
    path.write_text(json.dumps(data))
    with pytest.raises(SignInRequired) as caught:
        read_login_cache(path)
    assert caught.value.reason == DAMAGED_KEY
    assert "sign in again" in caught.value.user_message
    # botocore's own loader cannot use the key either (awscrt raises; botocore passes it on).
    with pytest.raises((RuntimeError, LoginTokenLoadError)):
        LoginCredentialFetcher._load_private_key(data)
    # ... while the intact key of the same file format loads in botocore.
    LoginCredentialFetcher._load_private_key({"dpopKey": entry.secrets.dpop_key_pem})


class _Recorder(socketserver.BaseRequestHandler):
    """Counts each connection and hangs up at once (no answer, no waiting)."""

    def handle(self) -> None:
        self.server.connections += 1  # type: ignore[attr-defined]


@pytest.fixture
def signin_listener(monkeypatch: pytest.MonkeyPatch) -> Iterator[socketserver.TCPServer]:
    """A loopback port posing as the sign-in endpoint that records any connection."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Recorder)
    server.connections = 0  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", f"http://127.0.0.1:{server.server_address[1]}")
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _connections(server: socketserver.TCPServer) -> int:
    return int(server.connections)  # type: ignore[attr-defined]


def _write_profile_and_cache(entry: LoginCacheEntry) -> None:
    paths = AppPaths.from_environment()
    AwsConfigWriter(paths.aws_config_file).apply([ProfileSpec("dev", "eu-central-1", login_session=ARN)])
    write_login_cache(cache_file_path(paths.login_cache_dir, ARN), entry)


def test_botocore_login_provider_uses_our_file_without_network(signin_listener: socketserver.TCPServer) -> None:
    # 10 minutes left: inside botocore's 15-minute advisory window, so it does
    # call its refresher, which must find more than 5 minutes and not call AWS.
    entry = make_entry(timedelta(minutes=10))
    _write_profile_and_cache(entry)
    session = botocore.session.Session(profile="dev")
    credentials = session.get_credentials()
    assert credentials is not None
    assert credentials.method == "login"
    frozen = credentials.get_frozen_credentials()
    assert frozen.access_key == entry.credentials.access_key_id
    assert frozen.secret_key == entry.credentials.secret_access_key
    assert frozen.token == entry.credentials.session_token
    assert _connections(signin_listener) == 0
    assert session.get_scoped_config()["sts_regional_endpoints"] == "regional"


def test_listener_does_see_a_refresh_attempt(signin_listener: socketserver.TCPServer) -> None:
    # The control for the test above: under 5 minutes left, botocore must call the endpoint.
    _write_profile_and_cache(make_entry(timedelta(minutes=2)))
    credentials = botocore.session.Session(profile="dev").get_credentials()
    assert credentials is not None
    with pytest.raises(Exception):  # noqa: B017, PT011 - the fake endpoint closes the connection
        credentials.get_frozen_credentials()
    assert _connections(signin_listener) >= 1
