"""``env`` and ``exec``: a session's credentials for a shell or one command."""

from __future__ import annotations

import argparse
import asyncio
import logging
import shlex
import subprocess

from cli.context import Cli, find_session
from cli.credential_process import read_session_credentials
from cli.errors import PROG, UsageError
from core.domain.errors import (
    SignInRequired,
)
from core.domain.model import Session, SessionState
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
    if session.state in (SessionState.ENDED, SessionState.NEEDS_SIGN_IN):
        raise SignInRequired(
            f"The session of profile {session.profile_name} needs a new sign-in: "
            f"run `{PROG} login --profile {session.profile_name}`.",
            reason=session.state_reason or session.state.value.upper(),
        )


async def cmd_env(cli: Cli, args: argparse.Namespace) -> int:
    """Print ``export`` lines with a session's credentials."""
    async with cli.service() as service:
        session = find_session(service, args.name)
    _refuse_dead(session)
    document = await asyncio.to_thread(read_session_credentials, cli, session)
    for key, value in _credential_environment(document, session).items():
        cli.say(f"export {key}={shlex.quote(value)}")
    cli.note(
        f"These credentials expire at {document['Expiration']} and are not refreshed in that shell; "
        f"prefer `--profile {session.profile_name}`, or run `{PROG} env` again."
    )
    return ExitCode.OK


async def cmd_exec(cli: Cli, args: argparse.Namespace) -> int:
    """Run a command with a session's credentials in its environment."""
    command = list(args.command)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise UsageError(f"Name a command to run: `{PROG} exec NAME -- CMD ...`.")
    async with cli.service() as service:
        session = find_session(service, args.name)
    _refuse_dead(session)
    document = await asyncio.to_thread(read_session_credentials, cli, session)
    env = {k: v for k, v in cli.environ.items() if k not in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE")}
    env.update(_credential_environment(document, session))
    try:
        completed = await asyncio.to_thread(subprocess.run, command, env=env, check=False)
    except FileNotFoundError:
        raise UsageError(f"Command not found: {command[0]}.") from None
    except PermissionError:
        raise UsageError(f"Command cannot be run: {command[0]}.") from None
    code = completed.returncode
    return 128 - code if code < 0 else code
