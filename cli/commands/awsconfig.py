"""``doctor``, ``import`` and ``undo-config``: the AWS config and what ``aws login`` left behind."""

from __future__ import annotations

import argparse
import asyncio
import logging

from cli.context import Cli, _principal, configured_region
from cli.errors import PROG, error_message, exit_code_for
from core.domain.errors import (
    LoginTrayError,
)
from core.domain.model import CredentialMode, Identity, SessionState
from credproc.exitcodes import ExitCode

log = logging.getLogger(__name__)


async def cmd_doctor(cli: Cli, args: argparse.Namespace) -> int:
    """Check (and with --fix repair) the STS endpoint settings of the AWS config."""
    from core.awsconfig import doctor

    fix = args.fix is not None
    result = await asyncio.to_thread(doctor.run_cli, cli.paths, fix=fix, profiles=list(args.fix or []), out=cli.stdout)
    return ExitCode.OK if result == 0 else ExitCode.FAILURE


async def cmd_undo_config(cli: Cli, args: argparse.Namespace) -> int:
    """Put the AWS config back as it was before aws-login-tray's last change to it (one step)."""
    from core.awsconfig.writer import AwsConfigWriter

    writer = AwsConfigWriter(cli.paths.aws_config_file, cli.paths.locks_dir / "aws-config.lock")
    await asyncio.to_thread(writer.undo)
    cli.say(f"Restored {cli.paths.aws_config_file} as it was before aws-login-tray's last change to it.")
    cli.note(f"Profiles of sessions that are still signed in are written again by the next `{PROG} use` or sign-in.")
    return ExitCode.OK


async def _follow_aws_login(cli: Cli) -> bool:
    """Managed profiles signed in again (or out) with the AWS CLI: followed now, as the tray would."""
    async with cli.service() as service:
        follower = getattr(service, "aws_login", None)
        changed = [] if follower is None else [*follower.followed, *follower.check_all()]
    for session in changed:
        if session.state is SessionState.SIGNED_OUT:
            cli.say(f"{session.profile_name}: signed out with `aws logout`; `{PROG} logout` removes it.")
        else:
            cli.say(f"{session.profile_name}: signed in again with `aws login`; following the new sign-in.")
    return bool(changed)


async def cmd_import(cli: Cli, args: argparse.Namespace) -> int:
    """Adopt the sessions ``aws login`` left in its cache."""
    from core.domain.idtoken import issued_at
    from core.sessions import importer

    candidates = await asyncio.to_thread(importer.discover, cli.paths)
    followed = await _follow_aws_login(cli)
    if not candidates:
        if not followed:
            cli.note("No `aws login` sessions found to import.")
        return ExitCode.OK
    worst = ExitCode.OK
    async with cli.service() as service:
        adopt = getattr(service, "adopt_session", None)
        for candidate in candidates:
            label = candidate.profile_name
            problem = candidate.problem
            if problem is not None:
                worst = worst or exit_code_for(problem)
                cli.stderr.write(f"{PROG}: {label}: {error_message(problem)}\n")
                continue
            entry = candidate.entry
            region = (
                candidate.region
                or (entry.sign_in_region if entry else None)
                or configured_region(cli, service.settings(), candidate.profile)
            )
            if adopt is None:
                raise LoginTrayError("This build cannot import sessions.")
            if entry is None or region is None:
                worst = worst or ExitCode.USAGE
                cli.stderr.write(f"{PROG}: {label}: no Region is known; set `region` in the profile first.\n")
                continue
            signed_in_at = issued_at(entry.secrets.id_token) or service.now()
            try:
                session = await adopt(
                    Identity.from_arn(candidate.arn),
                    region,
                    candidate.profile,
                    CredentialMode.LOGIN_SESSION,  # the profile keeps the style `aws login` gave it
                    entry.secrets,
                    entry.credentials,
                    signed_in_at,
                    signed_in_at + importer.SESSION_LIMIT,
                    sign_in_region=entry.sign_in_region,
                )
            except (LoginTrayError, ValueError) as exc:
                worst = worst or exit_code_for(exc)
                cli.stderr.write(f"{PROG}: {label}: {error_message(exc)}\n")
                continue
            cli.say(f"Imported {session.profile_name} ({_principal(session)}, {session.account_id}).")
    return worst
