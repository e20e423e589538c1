"""``env`` and ``exec``: a session's credentials for a shell or one command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import subprocess

from cli.commands.roles import role_credentials, role_for
from cli.context import Cli, find_session
from cli.credential_process import read_session_credentials
from cli.errors import PROG, UsageError
from core.domain.errors import (
    SignInRequired,
)
from core.domain.model import Session
from credproc.exitcodes import ExitCode

log = logging.getLogger(__name__)


def _credential_environment(document: dict[str, object], session: Session) -> dict[str, str]:
    return {
        "AWS_ACCESS_KEY_ID": str(document["AccessKeyId"]),
        "AWS_SECRET_ACCESS_KEY": str(document["SecretAccessKey"]),
        "AWS_SESSION_TOKEN": str(document["SessionToken"]),
        "AWS_CREDENTIAL_EXPIRATION": str(document["Expiration"]),
        "AWS_REGION": session.region,
        "AWS_DEFAULT_REGION": session.region,
    }


def _refuse_dead(session: Session) -> None:
    if not session.state.live:
        raise SignInRequired(
            f"The session of profile {session.profile_name} needs a new sign-in: "
            f"run `{PROG} login --profile {session.profile_name}`.",
            reason=session.state_reason or session.state.value.upper(),
        )


async def _environment_for(cli: Cli, name: str | None) -> tuple[dict[str, str], str]:
    """The credential environment of a session or a role profile, and the profile to suggest instead.

    A role profile's credentials are assumed now with its session's, held in
    memory only: nothing is written or cached on disk.
    """
    async with cli.service() as service:
        role = role_for(service, name)
        if role is not None:
            return await role_credentials(service, role), role.name
        session = find_session(service, name)
    _refuse_dead(session)
    document = await asyncio.to_thread(read_session_credentials, cli, session)
    return _credential_environment(document, session), session.profile_name


async def cmd_env(cli: Cli, args: argparse.Namespace) -> int:
    """Print ``export`` lines with a session's or a role profile's credentials."""
    environment, profile = await _environment_for(cli, args.name)
    for key, value in environment.items():
        cli.say(f"export {key}={shlex.quote(value)}")
    cli.note(
        f"These credentials expire at {environment['AWS_CREDENTIAL_EXPIRATION']} and are not refreshed in that "
        f"shell; prefer `--profile {profile}`, or run `{PROG} env` again."
    )
    return ExitCode.OK


async def cmd_exec(cli: Cli, args: argparse.Namespace) -> int:
    """Run a command with a session's credentials in its environment."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError(f"Name a command to run: `{PROG} exec NAME -- CMD ...`.")
    environment, _profile = await _environment_for(cli, args.name)
    env = {k: v for k, v in cli.environ.items() if k not in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")}
    env.update(environment)
    try:
        completed = await asyncio.to_thread(subprocess.run, command, env=env, check=False)
    except FileNotFoundError:
        raise UsageError(f"Command not found: {command[0]}.") from None
    except PermissionError:
        raise UsageError(f"Command cannot be run: {command[0]}.") from None
    code = completed.returncode
    return 128 - code if code < 0 else code
