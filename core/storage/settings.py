"""User settings, owned and persisted by core (the GUI only edits them)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from core.domain.errors import ConfigFileError
from core.domain.model import CredentialMode
from core.storage.atomic import atomic_write_json, read_regular_file

SETTINGS_VERSION = 1
MAX_LEAD_MINUTES = 1_000_000
"""Beyond this a lead time means nothing (and date arithmetic would overflow)."""


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
    icon_theme: str = "auto"
    """Tray icon: ``auto`` (reads on any panel), ``light`` (for light panels) or ``dark`` (for dark panels)."""
    browser_command: str = ""
    """Opens the sign-in page: empty for the default browser, else a command run with the URL appended."""
    extra: dict[str, str] = field(default_factory=dict)


ICON_THEMES = ("auto", "light", "dark")


def _icon_theme(value: str) -> str:
    if value not in ICON_THEMES:
        raise _Invalid(f"icon_theme is one of {', '.join(ICON_THEMES)}")
    return value


def load_settings(path: Path) -> Settings:
    """Read settings; a missing file gives defaults.

    Every value must have its type: a hand-edited ``"false"`` (a string) is
    refused, never read as true.

    Raises:
        ConfigFileError: the file exists but is not valid settings JSON
            (the message names the file and the key).
    """
    try:
        raw = json.loads(read_regular_file(path, limit=1 << 20).decode("utf-8"))
    except FileNotFoundError:
        return Settings()
    except OSError as exc:
        raise ConfigFileError(f"Cannot read settings {path}: {exc.strerror}. Fix or delete the file.") from exc
    except json.JSONDecodeError as exc:
        raise ConfigFileError(
            f"Settings file {path} is not JSON (line {exc.lineno}, column {exc.colno}). Fix or delete the file."
        ) from exc
    except (ValueError, RecursionError) as exc:
        raise ConfigFileError(f"Settings file {path} is not UTF-8 JSON. Fix or delete the file.") from exc
    if not isinstance(raw, dict) or raw.get("version") != SETTINGS_VERSION:
        raise ConfigFileError(f"Settings file {path} has an unknown format. Fix or delete the file.")
    try:
        return _settings_from(raw)
    except _Invalid as exc:
        raise ConfigFileError(f"Settings file {path}: {exc}. Fix the value or delete the file.") from exc


class _Invalid(ValueError):
    """A settings value of the wrong type or out of range."""


def _typed(raw: dict[str, Any], key: str, kind: type, default: Any) -> Any:
    value = raw.get(key, default)
    if kind is str and value is not None and not isinstance(value, str):
        raise _Invalid(f"{key} must be text, not {json.dumps(value)[:40]}")
    if kind is bool and not isinstance(value, bool):
        raise _Invalid(f"{key} must be true or false (without quotes), not {json.dumps(value)[:40]}")
    return value


def _lead_minutes(raw: dict[str, Any]) -> tuple[int, ...]:
    value = raw.get("expiry_lead_minutes", [30, 5])
    if not isinstance(value, list) or not all(type(m) is int and 0 < m <= MAX_LEAD_MINUTES for m in value):
        raise _Invalid(f"expiry_lead_minutes must be a list of whole minutes between 1 and {MAX_LEAD_MINUTES}")
    return tuple(sorted(value, reverse=True))


def _settings_from(raw: dict[str, Any]) -> Settings:
    active = _typed(raw, "active_profile_name", str, "default")
    if not active or any(ch.isspace() or ch in "[]" for ch in active):
        raise _Invalid(f"active_profile_name {active[:40]!r} is not a profile name")
    mode = _typed(raw, "credential_mode", str, CredentialMode.CREDENTIAL_PROCESS.value)
    try:
        credential_mode = CredentialMode(mode)
    except ValueError:
        raise _Invalid(f"credential_mode is one of {', '.join(m.value for m in CredentialMode)}") from None
    on_sign_out = _typed(raw, "on_sign_out_of_active", str, "clear")
    if on_sign_out not in ("clear", "next"):
        raise _Invalid("on_sign_out_of_active is clear or next")
    extra = raw.get("extra", {})
    if not isinstance(extra, dict) or not all(isinstance(v, str) for v in extra.values()):
        raise _Invalid("extra must be an object of text values")
    return Settings(
        active_profile_name=active,
        credential_mode=credential_mode,
        expiry_lead_minutes=_lead_minutes(raw),
        start_at_login=_typed(raw, "start_at_login", bool, False),
        default_region=_typed(raw, "default_region", str, None),
        use_plaintext_secrets=_typed(raw, "use_plaintext_secrets", bool, False),
        on_sign_out_of_active=on_sign_out,
        icon_theme=_icon_theme(_typed(raw, "icon_theme", str, "auto")),
        browser_command=_typed(raw, "browser_command", str, ""),
        extra=dict(extra),
    )


def save_settings(path: Path, settings: Settings) -> None:
    """Write settings atomically and privately (:func:`core.storage.atomic.atomic_write_json`)."""
    payload = asdict(settings)
    payload["version"] = SETTINGS_VERSION
    payload["expiry_lead_minutes"] = list(settings.expiry_lead_minutes)
    atomic_write_json(path, payload)
