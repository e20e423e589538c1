"""User settings, owned and persisted by core (the GUI only edits them)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from core.domain.errors import ConfigFileError
from core.domain.model import CredentialMode

SETTINGS_VERSION = 1


@dataclass(frozen=True)
class Settings:
    """What the user can choose."""

    active_profile_name: str = "default"
    credential_mode: CredentialMode = CredentialMode.CREDENTIAL_PROCESS
    expiry_lead_minutes: tuple[int, ...] = (30, 5)
    """Warn this many minutes before a session's limit (largest first)."""
    start_at_login: bool = False
    default_region: str | None = None
    use_plaintext_secrets: bool = False
    """Keep secrets in 0600 files instead of the OS keyring: only on explicit request."""
    on_sign_out_of_active: str = "clear"
    """``clear`` the active profile, or ``next``: make another session active."""
    extra: dict[str, str] = field(default_factory=dict)


def load_settings(path: Path) -> Settings:
    """Read settings; a missing file gives defaults.

    Raises:
        ConfigFileError: the file exists but is not valid settings JSON.
    """
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError) as exc:
        raise ConfigFileError(f"Cannot read settings {path}: {exc}. Fix or delete the file.") from exc
    if not isinstance(raw, dict) or raw.get("version") != SETTINGS_VERSION:
        raise ConfigFileError(f"Settings file {path} has an unknown format. Fix or delete the file.")
    try:
        return Settings(
            active_profile_name=str(raw.get("active_profile_name", "default")),
            credential_mode=CredentialMode(raw.get("credential_mode", CredentialMode.CREDENTIAL_PROCESS)),
            expiry_lead_minutes=tuple(sorted((int(m) for m in raw.get("expiry_lead_minutes", (30, 5))), reverse=True)),
            start_at_login=bool(raw.get("start_at_login", False)),
            default_region=raw.get("default_region"),
            use_plaintext_secrets=bool(raw.get("use_plaintext_secrets", False)),
            on_sign_out_of_active=str(raw.get("on_sign_out_of_active", "clear")),
            extra={str(k): str(v) for k, v in dict(raw.get("extra", {})).items()},
        )
    except (TypeError, ValueError) as exc:
        raise ConfigFileError(f"Settings file {path} holds an invalid value: {exc}.") from exc


def save_settings(path: Path, settings: Settings) -> None:
    """Write settings atomically (temp file, fsync, rename), mode 0600."""
    payload = asdict(settings)
    payload["version"] = SETTINGS_VERSION
    payload["expiry_lead_minutes"] = list(settings.expiry_lead_minutes)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=".settings-", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(payload, handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
