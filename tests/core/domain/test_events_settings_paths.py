from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.domain.errors import ConfigFileError
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import CredentialMode
from core.storage.paths import AppPaths
from core.storage.settings import Settings, load_settings, save_settings


def test_bus_delivers_in_order_and_isolates_a_failing_subscriber(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: SessionEvent) -> None:
        raise RuntimeError("boom")

    bus.subscribe(lambda e: seen.append("first:" + e.kind))
    bus.subscribe(broken)
    unsubscribe = bus.subscribe(lambda e: seen.append("last:" + e.kind))
    with caplog.at_level(logging.ERROR):
        bus.publish(SessionEvent(EventKind.ADDED, None))
    unsubscribe()
    bus.publish(SessionEvent(EventKind.ENDED, None))
    assert seen == ["first:added", "last:added", "first:ended"]
    assert "subscriber failed" in caplog.text


def test_settings_round_trip_and_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    assert load_settings(path) == Settings()
    chosen = Settings(
        active_profile_name="work",
        credential_mode=CredentialMode.LOGIN_SESSION,
        expiry_lead_minutes=(5, 60),
        default_region="eu-central-1",
    )
    save_settings(path, chosen)
    loaded = load_settings(path)
    assert loaded.active_profile_name == "work"
    assert loaded.credential_mode is CredentialMode.LOGIN_SESSION
    assert loaded.expiry_lead_minutes == (60, 5)
    assert loaded.default_region == "eu-central-1"
    assert path.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("content", ["{not json", '{"version": 99}', '{"version": 1, "credential_mode": "bogus"}'])
def test_broken_settings_are_a_clear_error(tmp_path: Path, content: str) -> None:
    path = tmp_path / "settings.json"
    path.write_text(content)
    with pytest.raises(ConfigFileError, match="settings"):
        load_settings(path)
    assert path.read_text() == content


def test_paths_follow_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LOGIN_TRAY_HOME", str(tmp_path / "app"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "cfg"))
    monkeypatch.setenv("AWS_LOGIN_CACHE_DIRECTORY", str(tmp_path / "cache"))
    paths = AppPaths.from_environment()
    assert paths.credentials_file("abc") == tmp_path / "app" / "credentials" / "abc.json"
    assert paths.aws_config_file == tmp_path / "cfg"
    assert paths.login_cache_dir == tmp_path / "cache"
    monkeypatch.delenv("AWS_CONFIG_FILE")
    monkeypatch.delenv("AWS_LOGIN_CACHE_DIRECTORY")
    defaults = AppPaths.from_environment()
    assert defaults.aws_config_file == Path.home() / ".aws" / "config"
    assert defaults.login_cache_dir == Path.home() / ".aws" / "login" / "cache"
