"""``settings``: show or change one setting."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace
from typing import Any

from cli.context import Cli
from cli.errors import UsageError
from core.domain.model import CredentialMode
from core.domain.regions import is_region_name
from core.storage.settings import load_settings
from credproc.exitcodes import ExitCode

log = logging.getLogger(__name__)


_SETTING_KEYS = (
    "active_profile_name",
    "credential_mode",
    "default_region",
    "expiry_lead_minutes",
    "on_sign_out_of_active",
    "use_plaintext_secrets",
)


def _parse_setting(key: str, value: str) -> object:
    if key == "credential_mode":
        try:
            return CredentialMode(value)
        except ValueError:
            raise UsageError(f"credential_mode is one of: {', '.join(m.value for m in CredentialMode)}.") from None
    if key == "expiry_lead_minutes":
        try:
            minutes = tuple(sorted((int(part) for part in value.split(",") if part.strip()), reverse=True))
        except ValueError:
            raise UsageError("expiry_lead_minutes is a comma-separated list of minutes, e.g. 30,5.") from None
        if any(m <= 0 for m in minutes):
            raise UsageError("expiry_lead_minutes must be positive.")
        return minutes
    if key == "use_plaintext_secrets":
        if value.lower() not in ("true", "false"):
            raise UsageError("use_plaintext_secrets is `true` or `false`.")
        return value.lower() == "true"
    if key == "on_sign_out_of_active":
        if value not in ("clear", "next"):
            raise UsageError("on_sign_out_of_active is `clear` or `next`.")
        return value
    if key == "default_region":
        if value in ("", "none"):
            return None
        if not is_region_name(value):
            raise UsageError(f"{value!r} is not an AWS Region name (for example us-east-1).")
        return value
    if not value or any(ch.isspace() or ch in "[]" for ch in value):
        raise UsageError(f"{value!r} is not a valid profile name.")
    return value


def _format_setting(value: object) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


async def cmd_settings(cli: Cli, args: argparse.Namespace) -> int:
    """Show the settings, or change one."""
    if args.key is None:
        settings = load_settings(cli.paths.settings_file)
        for key in _SETTING_KEYS:
            cli.say(f"{key} = {_format_setting(getattr(settings, key))}")
        return ExitCode.OK
    if args.key not in _SETTING_KEYS:
        raise UsageError(f"Unknown setting {args.key!r}; one of: {', '.join(_SETTING_KEYS)}.")
    if args.value is None:
        settings = load_settings(cli.paths.settings_file)
        cli.say(_format_setting(getattr(settings, args.key)))
        return ExitCode.OK
    value = _parse_setting(args.key, args.value)
    async with cli.service() as service:
        changes: dict[str, Any] = {args.key: value}
        await service.update_settings(replace(service.settings(), **changes))
    cli.say(f"{args.key} = {_format_setting(value)}")
    return ExitCode.OK
