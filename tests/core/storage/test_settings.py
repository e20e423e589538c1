"""The settings file: round trip, defaults, and clear errors for a broken file."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.domain.errors import ConfigFileError
from core.domain.model import CredentialMode
from core.storage.settings import Settings, load_settings, save_settings


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
