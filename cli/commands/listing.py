"""``list``: every session, read without opening the session manager when nothing asks for it."""

from __future__ import annotations

import argparse
import json
from collections.abc import Coroutine
from typing import Any

from cli.context import Cli, _principal, format_remaining, session_summary
from cli.errors import PROG
from core.sessions.listing import Listing, read_listing
from credproc.exitcodes import ExitCode


def cmd_list(cli: Cli, args: argparse.Namespace) -> int | Coroutine[Any, Any, int]:
    """Show every session: from the files when they are all core needs, else through the manager."""
    if cli.service_factory is None:
        from core.domain.ports import SystemClock

        listing = read_listing(cli.paths, SystemClock())
        if listing is not None:
            return _show(cli, args, listing)
    return _list_through_manager(cli, args)


async def _list_through_manager(cli: Cli, args: argparse.Namespace) -> int:
    """Opening the manager follows `aws login` / `aws logout` and removes leftover secrets first."""
    async with cli.service() as service:
        listing = Listing(
            now=service.now(),
            sessions=tuple(service.sessions()),
            active_session_id=service.active_session_id(),
            active_role=service.role_profiles.active(),
            settings=service.settings(),
        )
    return _show(cli, args, listing)


def _show(cli: Cli, args: argparse.Namespace, listing: Listing) -> int:
    now, active, sessions = listing.now, listing.active_session_id, listing.sessions
    if args.json:
        payload = {
            "active_session_id": active,
            "active_profile": listing.settings.active_profile_name,
            "active_role": listing.active_role,
            "sessions": [session_summary(s, now, active) for s in sessions],
        }
        cli.say(json.dumps(payload, indent=2))
        return ExitCode.OK
    if not sessions:
        cli.note(f"No sessions. Sign in with `{PROG} login`.")
        return ExitCode.OK
    header = ("", "PROFILE", "ACCOUNT", "PRINCIPAL", "REGION", "MODE", "STATE", "CREDS LEFT", "SESSION LEFT")
    rows = [header]
    for s in sessions:
        rows.append(
            (
                "*" if s.id == active else "",
                s.profile_name,
                s.account_id,
                _principal(s),
                s.region,
                s.credential_mode.value,
                s.state.value,
                format_remaining(s.credentials_remaining(now)),
                format_remaining(s.session_remaining(now)),
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cli.say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return ExitCode.OK
