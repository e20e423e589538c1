"""Suite-wide isolation: no test touches the real ~/.aws, app data or keyring."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest

from tests.support.keyrings import TestFileKeyring

pytest_plugins = ["tests.support.emulator"]


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point HOME, the AWS files, the app's data and the keyring at temporary places.

    Subprocesses inherit the same environment, so they are isolated too.
    """
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(home / ".aws" / "login" / "cache"))
    monkeypatch.setenv("AWS_LOGIN_TRAY_HOME", str(tmp_path / "app"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / ".local" / "share"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "tests.support.keyrings.TestFileKeyring")
    monkeypatch.setenv("AWS_LOGIN_TRAY_TEST_KEYRING", str(tmp_path / "keyring.json"))
    for name in (
        "AWS_PROFILE",
        "AWS_DEFAULT_PROFILE",
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_REGION",
        "AWS_DEFAULT_REGION",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_STS",
        "AWS_ENDPOINT_URL_SIGNIN",
        "AWS_STS_REGIONAL_ENDPOINTS",
        "BROWSER",
    ):
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(TestFileKeyring())  # type: ignore[no-untyped-call]
    yield home
    keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def restored_log_level() -> Iterator[None]:
    """Put the root logger's level back: the CLI under test silences logging in this very process."""
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)
