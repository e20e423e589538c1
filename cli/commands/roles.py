"""``role add``, ``role list``, ``role remove``: roles assumed from a session, as SDK profiles."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from cli.context import Cli, find_session
from cli.errors import PROG, UsageError
from core.domain.model import Credentials, Session
from core.domain.roles import MAX_CHAINED_DURATION, MIN_ROLE_DURATION, RoleProfile
from core.domain.timefmt import utc_stamp
from credproc.exitcodes import ExitCode

if TYPE_CHECKING:
    from core.sessions.service import SessionService


def add_role_commands(add: Callable[[str, str], argparse.ArgumentParser]) -> None:
    """The ``role`` command group (``add`` makes a top-level command, as in :func:`cli.main.build_parser`)."""
    group = add("role", "Roles in other accounts, assumed with a session's credentials (role add|list|remove).")
    actions = group.add_subparsers(dest="role_command", metavar="ACTION", required=True)

    p = actions.add_parser(
        "add",
        help="assume ROLE_ARN once with SESSION, then write a profile for it",
        description="Assume ROLE_ARN once with SESSION's credentials to prove it works, then write a role profile "
        "(role_arn, source_profile = the session's profile, sts_regional_endpoints = regional).",
    )
    p.add_argument("session", metavar="SESSION", help="the session's profile name or id")
    p.add_argument("role_arn", metavar="ROLE_ARN", help="e.g. arn:aws:iam::123456789012:role/Deploy")
    p.add_argument("--profile", help="the profile to write (default: <account>-<role name>)")
    p.add_argument("--region", help="the profile's Region (default: the session's)")
    p.add_argument("--session-name", help="the role session name (default: the principal's name)")
    p.add_argument(
        "--duration",
        type=int,
        default=MAX_CHAINED_DURATION,
        help=f"seconds, {MIN_ROLE_DURATION}..{MAX_CHAINED_DURATION} (AWS's limit for chained roles; default "
        f"{MAX_CHAINED_DURATION})",
    )
    p.add_argument("--external-id", help="the external ID the role's owner gave you, if any")
    p.set_defaults(handler=cmd_role_add)

    p = actions.add_parser("list", help="every role profile under every session (ours and your own)")
    p.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    p.set_defaults(handler=cmd_role_list)

    p = actions.add_parser("remove", help="delete a role profile aws-login-tray wrote")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_role_remove)


def _session_of(service: SessionService, role: RoleProfile) -> Session | None:
    return next((s for s in service.sessions() if s.id == role.session_id), None)


def role_for(service: SessionService, name: str | None) -> RoleProfile | None:
    """The role profile ``name`` names; for the active profile (or no name), the role it assumes, if any."""
    roles = service.role_profiles
    if name is None or name == service.settings().active_profile_name:
        name = roles.active()
        if name is None:
            return None
    return next((r for r in roles.list_roles() if r.name == name), None)


def role_environment(credentials: Credentials, region: str) -> dict[str, str]:
    """The environment of a process that acts as the role."""
    return {
        "AWS_ACCESS_KEY_ID": credentials.access_key_id,
        "AWS_SECRET_ACCESS_KEY": credentials.secret_access_key,
        "AWS_SESSION_TOKEN": credentials.session_token,
        "AWS_CREDENTIAL_EXPIRATION": utc_stamp(credentials.expires_at),
        "AWS_REGION": region,
        "AWS_DEFAULT_REGION": region,
    }


async def role_credentials(service: SessionService, role: RoleProfile) -> dict[str, str]:
    """The role's credentials, assumed now with its session's (never written anywhere), as environment variables."""
    role, credentials = await service.role_profiles.credentials(role.name)
    session = _session_of(service, role)
    region = role.region or (session.region if session else "us-east-1")
    return role_environment(credentials, region)


async def cmd_role_add(cli: Cli, args: argparse.Namespace) -> int:
    """Assume a role once with a session's credentials, then write its profile."""
    async with cli.service() as service:
        session = find_session(service, args.session)
        role = await service.role_profiles.add(
            session.id,
            args.role_arn,
            profile_name=args.profile,
            region=args.region,
            session_name=args.session_name,
            duration_seconds=args.duration,
            external_id=args.external_id,
        )
    cli.say(
        f"Added profile {role.name}: role {role.role_name} in account {role.account_id}, {role.region}, "
        f"assumed with {session.profile_name} ({session.identity.display_name})."
    )
    cli.note(f"Use it with `--profile {role.name}`, or make it the active profile: `{PROG} use {role.name}`.")
    return ExitCode.OK


def _summary(role: RoleProfile, session: Session | None, active: str | None) -> dict[str, Any]:
    return {
        "profile": role.name,
        "active": role.name == active,
        "session_profile": session.profile_name if session else None,
        "session_id": role.session_id,
        "role_arn": role.settings.role_arn,
        "account_id": role.account_id,
        "role": role.role_name,
        "region": role.region,
        "role_session_name": role.settings.role_session_name,
        "duration_seconds": role.settings.duration_seconds,
        "managed": role.managed,
        "sts_regional_endpoints": "regional" if role.regional_sts else None,
        "session_state": session.state.value if session else None,
    }


async def cmd_role_list(cli: Cli, args: argparse.Namespace) -> int:
    """Show every role profile under its session."""
    async with cli.service() as service:
        roles = service.role_profiles.list_roles()
        active = service.role_profiles.active()
        sessions = {s.id: s for s in service.sessions()}
    if args.json:
        cli.say(json.dumps({"roles": [_summary(r, sessions.get(r.session_id), active) for r in roles]}, indent=2))
        return ExitCode.OK
    if not roles:
        cli.note(f"No role profiles. Add one with `{PROG} role add SESSION ROLE_ARN`.")
        return ExitCode.OK
    header = ("", "PROFILE", "SESSION", "ACCOUNT", "ROLE", "REGION", "WRITTEN BY", "STATE")
    rows = [header]
    for role in roles:
        session = sessions.get(role.session_id)
        dead = session is not None and not session.state.live
        rows.append(
            (
                "*" if role.name == active else "",
                role.name,
                session.profile_name if session else "?",
                role.account_id,
                role.role_name,
                role.region or "-",
                "aws-login-tray" if role.managed else "you" + ("" if role.regional_sts else " (global STS)"),
                "needs sign-in" if dead else "ok",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cli.say("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return ExitCode.OK


async def cmd_role_remove(cli: Cli, args: argparse.Namespace) -> int:
    """Delete a role profile we wrote."""
    if not args.name:
        raise UsageError(f"Name the role profile to remove (see `{PROG} role list`).")
    async with cli.service() as service:
        await service.role_profiles.remove(args.name)
    cli.say(f"Removed profile {args.name}.")
    return ExitCode.OK
