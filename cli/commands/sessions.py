"""``login``, ``use``, ``refresh``, ``logout``: the sessions themselves."""

from __future__ import annotations

import argparse
import logging
from dataclasses import replace

from cli.context import (
    Cli,
    _iso,
    _principal,
    ask_region,
    configured_region,
    find_session,
    format_remaining,
)
from cli.errors import PROG, UsageError, error_message, exit_code_for
from core.domain.errors import (
    LoginTrayError,
    SecretsLeftBehind,
)
from core.domain.model import CredentialMode
from credproc.exitcodes import ExitCode

log = logging.getLogger(__name__)


async def cmd_login(cli: Cli, args: argparse.Namespace) -> int:
    """Sign in through the browser and add (or replace) a session."""
    async with cli.service() as service:
        settings = service.settings()
        region = args.region or configured_region(cli, settings, args.profile)
        if region is None:
            region = await ask_region(cli)
            await service.update_settings(replace(settings, default_region=region))
        mode = CredentialMode(args.mode) if args.mode else None
        session = await service.sign_in(region, args.profile, remote=args.remote, credential_mode=mode)
        now = service.now()
        cli.say(
            f"Signed in as {_principal(session)} in account {session.account_id}; profile "
            f"{session.profile_name} ({session.credential_mode.value}, {session.region})."
        )
        if session.other_profiles:
            names = ", ".join(session.other_profiles)
            cli.say(f"Profile {names} also points at this session (the same principal signed in before); kept.")
        cli.note(
            f"The session lasts until {_iso(session.session_ends_at)} "
            f"({format_remaining(session.session_remaining(now))}). Its 15-minute credentials are renewed "
            f"before they run low while the tray or `{PROG} agent` runs, otherwise on demand."
        )
    return ExitCode.OK


async def cmd_use(cli: Cli, args: argparse.Namespace) -> int:
    """Point the active profile at a session."""
    async with cli.service() as service:
        profile = service.settings().active_profile_name
        role = next((r for r in service.role_profiles.list_roles() if r.name == args.name), None)
        if role is not None and not any(args.name in (s.id, s.profile_name) for s in service.sessions()):
            await service.role_profiles.make_active(role.name)
            cli.say(f"Profile {profile} now assumes role {role.role_name} in {role.account_id} (profile {role.name}).")
            return ExitCode.OK
        session = find_session(service, args.name)
        await service.set_active(session.id)
        cli.say(f"Profile {profile} now uses {session.profile_name} ({_principal(session)}, {session.account_id}).")
    return ExitCode.OK


async def cmd_refresh(cli: Cli, args: argparse.Namespace) -> int:
    """Refresh one session, or every live one."""
    async with cli.service() as service:
        if args.name:
            targets = [find_session(service, args.name)]
        else:
            targets = [s for s in service.sessions() if s.state.live]
            if not targets:
                cli.note("Nothing to refresh.")
                return ExitCode.OK
        worst = ExitCode.OK
        for target in targets:
            try:
                session = await service.refresh(target.id)
            except LoginTrayError as exc:
                worst = worst or exit_code_for(exc)
                cli.stderr.write(f"{PROG}: {target.profile_name}: {error_message(exc)}\n")
                continue
            left = format_remaining(session.credentials_remaining(service.now()))
            cli.say(f"Refreshed {session.profile_name}: credentials valid for {left}.")
    return worst


async def cmd_logout(cli: Cli, args: argparse.Namespace) -> int:
    """Sign one session (or all) out."""
    async with cli.service() as service:
        if args.all:
            if args.name:
                raise UsageError("Give a NAME or --all, not both.")
            targets = service.sessions()
        else:
            targets = [find_session(service, args.name)]
        worst = ExitCode.OK
        for target in targets:
            notice = None
            try:
                notice = await service.sign_out(target.id)
            except SecretsLeftBehind as exc:  # signed out; the store keeps its secrets until a later start
                worst = exit_code_for(exc)
                cli.stderr.write(f"{PROG}: {error_message(exc)}\n")
            cli.say(f"Signed out {target.profile_name} ({_principal(target)}, {target.account_id}).")
            if notice:
                cli.say(notice)
        if targets:
            cli.note("Credentials already handed out stay valid until they expire (at most 15 minutes).")
        else:
            cli.note("No sessions.")
    return worst
