"""The ``aws-login-tray`` command line: a thin shell over :class:`core.service.SessionService`.

Every command parses its arguments, opens the session manager (the same one
the tray uses; state lives on disk under locks, so the CLI works with or
without the tray running), does one thing and maps any failure to an exit
code and a sentence in :func:`exit_code_for` / :func:`report_error`, the one
road from an error to the terminal.

``credential-process`` is dispatched before anything else is imported; see
:mod:`core.credproc`.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shlex
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from core import credproc
from core.credproc import (
    EXIT_CANCELLED,
    EXIT_CODES,
    EXIT_FAILURE,
    EXIT_FILE_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_SECRET_STORE,
    EXIT_SERVICE_UNAVAILABLE,
    EXIT_SESSION_LIMIT,
    EXIT_SIGN_IN_REQUIRED,
    EXIT_USAGE,
    CredentialProcessError,
)
from core.errors import (
    CacheFileError,
    ConfigFileError,
    InvalidRequestError,
    LoginTrayError,
    SecretStoreUnavailable,
    SessionLimitReached,
    SessionNotFound,
    SignInCancelled,
    SignInRequired,
    TransientServiceError,
)
from core.model import CredentialMode, Identity, Session, SessionState
from core.paths import AppPaths
from core.service import SessionService
from core.settings import Settings, load_settings
from core.timefmt import COMPACT, format_countdown

log = logging.getLogger(__name__)

PROG = "aws-login-tray"

# -- errors -> exit codes (the one place) -----------------------------------------

_ERROR_CODES: tuple[tuple[type[BaseException], int], ...] = (
    (SignInRequired, EXIT_SIGN_IN_REQUIRED),
    (SessionLimitReached, EXIT_SESSION_LIMIT),
    (SecretStoreUnavailable, EXIT_SECRET_STORE),
    (ConfigFileError, EXIT_FILE_ERROR),  # ProfileConflict too
    (CacheFileError, EXIT_FILE_ERROR),
    (TransientServiceError, EXIT_SERVICE_UNAVAILABLE),
    (InvalidRequestError, EXIT_SERVICE_UNAVAILABLE),
    (SignInCancelled, EXIT_CANCELLED),
    (SessionNotFound, EXIT_USAGE),
    (CredentialProcessError, EXIT_FAILURE),
    (KeyboardInterrupt, EXIT_INTERRUPTED),
)


class UsageError(LoginTrayError):
    """Arguments that make no sense together (exit code 2)."""


def exit_code_for(exc: BaseException) -> int:
    """The documented exit code of a failure."""
    if isinstance(exc, CredentialProcessError):
        return exc.code
    if isinstance(exc, UsageError):
        return EXIT_USAGE
    for kind, code in _ERROR_CODES:
        if isinstance(exc, kind):
            return code
    return EXIT_FAILURE


def error_message(exc: BaseException) -> str:
    """The sentence to show for a failure (never a traceback, never a secret)."""
    if isinstance(exc, LoginTrayError):
        message = exc.user_message
        if isinstance(exc, SignInRequired) and "sign in" not in message.lower():
            message += f" Sign in again: `{PROG} login`."
        return message
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted."
    if isinstance(exc, CredentialProcessError):
        return str(exc)
    return f"Unexpected {type(exc).__name__}: {exc}. Run again with --debug for details."


def report_error(exc: BaseException, stderr: TextIO) -> int:
    """Print the failure on stderr; return its exit code."""
    if not isinstance(exc, LoginTrayError | KeyboardInterrupt):
        log.debug("unexpected failure", exc_info=exc)
    stderr.write(f"{PROG}: {error_message(exc)}\n")
    return exit_code_for(exc)


# -- the composition root -------------------------------------------------------------


ServiceFactory = Callable[["Cli"], contextlib.AbstractAsyncContextManager[SessionService]]


@dataclass
class Cli:
    """Everything a command may touch: streams, paths, and how to open the manager."""

    stdin: TextIO = field(default_factory=lambda: sys.stdin)
    stdout: TextIO = field(default_factory=lambda: sys.stdout)
    stderr: TextIO = field(default_factory=lambda: sys.stderr)
    paths: AppPaths = field(default_factory=AppPaths.from_environment)
    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    service_factory: ServiceFactory | None = None
    remote: bool = False

    def service(self) -> contextlib.AbstractAsyncContextManager[SessionService]:
        """Open the session manager for one command."""
        if self.service_factory is not None:
            return self.service_factory(self)
        return _open_manager(self)

    def say(self, text: str = "") -> None:
        """A line of normal output."""
        self.stdout.write(text + "\n")

    def note(self, text: str) -> None:
        """A line for the person, not for scripts: stderr."""
        self.stderr.write(text + "\n")

    def open_browser(self, url: str) -> None:
        """Show the sign-in URL and open it in a browser without waiting for it."""
        self.note(f"Opening the AWS sign-in page in your browser. If it does not open, visit:\n  {url}")

        def _open() -> None:
            import webbrowser

            try:
                webbrowser.open(url)
            except Exception:  # a missing browser is not fatal: the URL is on screen
                log.debug("could not open a browser", exc_info=True)

        threading.Thread(target=_open, name="open-browser", daemon=True).start()

    async def prompt_code(self, url: str) -> str:
        """Cross-device sign-in: show the URL, read the pasted verification code."""
        self.note(f"Open this URL on a device with a browser, sign in, and paste the verification code here:\n  {url}")
        self.stderr.write("Verification code: ")
        self.stderr.flush()
        line = await asyncio.to_thread(self.stdin.readline)
        code = line.strip()
        if not code:
            raise SignInCancelled("No verification code was entered.")
        return code


@contextlib.asynccontextmanager
async def _open_manager(cli: Cli) -> AsyncIterator[SessionService]:
    from core.manager import SessionManager
    from core.ports import SystemClock

    manager = SessionManager(
        cli.paths,
        clock=SystemClock(),
        open_browser=cli.open_browser,
        code_prompt=cli.prompt_code,
    )
    yield manager


# -- helpers ---------------------------------------------------------------------------


def find_session(service: SessionService, name: str | None) -> Session:
    """A session by profile name or id; no name means the active session.

    Raises:
        SessionNotFound: nothing matches.
    """
    sessions = service.sessions()
    if name is None:
        active = service.active_session_id()
        match = next((s for s in sessions if s.id == active), None)
        if match is None:
            raise SessionNotFound(f"No session is active; name one (see `{PROG} list`).")
        return match
    for session in sessions:
        if name in (session.id, session.profile_name):
            return session
    if name == service.settings().active_profile_name:
        active = service.active_session_id()
        for session in sessions:
            if session.id == active:
                return session
    known = ", ".join(s.profile_name for s in sessions) or "none"
    raise SessionNotFound(f"No session has the profile or id {name!r} (profiles: {known}). See `{PROG} list`.")


def format_remaining(delta: timedelta | None) -> str:
    """``3h 05m``, ``14m 10s``, ``expired`` or ``-``."""
    return format_countdown(delta, COMPACT)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _principal(session: Session) -> str:
    return session.identity.display_name


def session_summary(session: Session, now: datetime, active_id: str | None) -> dict[str, Any]:
    """The ``list --json`` shape of one session (no secrets)."""
    creds_left = session.credentials_remaining(now)
    return {
        "id": session.id,
        "profile": session.profile_name,
        "active": session.id == active_id,
        "account_id": session.account_id,
        "arn": session.identity.arn,
        "principal": session.identity.principal_name,
        "role": session.identity.role_name,
        "principal_type": session.identity.principal_type.value,
        "region": session.region,
        "credential_mode": session.credential_mode.value,
        "state": session.state.value,
        "state_reason": session.state_reason,
        "credentials_expire_at": _iso(session.credentials_expire_at),
        "credentials_seconds_left": None if creds_left is None else int(creds_left.total_seconds()),
        "session_ends_at": _iso(session.session_ends_at),
        "session_seconds_left": int(session.session_remaining(now).total_seconds()),
    }


def _region_from_config(config_file: Path, profile: str | None) -> str | None:
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read(config_file, encoding="utf-8")
    except (configparser.Error, OSError, UnicodeDecodeError):
        return None
    sections = [f"profile {profile}" if profile and profile != "default" else "default"]
    if "default" not in sections:
        sections.append("default")
    for section in sections:
        if parser.has_option(section, "region"):
            value = parser.get(section, "region").strip()
            if value:
                return value
    return None


def configured_region(cli: Cli, settings: Settings, profile: str | None) -> str | None:
    """The region to sign in to without asking: settings, environment, then the config file."""
    return (
        settings.default_region
        or cli.environ.get("AWS_REGION")
        or cli.environ.get("AWS_DEFAULT_REGION")
        or _region_from_config(cli.paths.aws_config_file, profile)
    )


def _looks_like_region(text: str) -> bool:
    parts = text.split("-")
    return len(parts) >= 3 and all(p.isalnum() and p.isascii() for p in parts) and text == text.lower()


async def ask_region(cli: Cli) -> str:
    """Ask for a region the first time, like ``aws login`` does."""
    cli.note(
        "No AWS Region is configured. The Region is where your AWS resources live (for example "
        "us-east-1, eu-central-1); it is remembered for next time."
    )
    cli.stderr.write("AWS Region [us-east-1]: ")
    cli.stderr.flush()
    line = await asyncio.to_thread(cli.stdin.readline)
    if not line:
        raise UsageError("No Region given; pass --region (for example --region us-east-1).")
    region = line.strip() or "us-east-1"
    if not _looks_like_region(region):
        raise UsageError(f"{region!r} is not an AWS Region name (for example us-east-1).")
    return region


def read_session_credentials(cli: Cli, session: Session) -> dict[str, object]:
    """The session's current credentials, refreshed on the spot when about to run out."""
    home = str(cli.paths.home)
    document = credproc.read_credentials_file(credproc.credentials_file_path(home, session.id))
    if document is None or not credproc.fresh_enough(document):
        document = refresh_for_credential_process(home, session.id, paths=cli.paths)
    return document


# -- the credential_process slow path ------------------------------------------------


def refresh_for_credential_process(home: str, session_id: str, *, paths: AppPaths | None = None) -> dict[str, object]:
    """Refresh one session on the spot under its lock; return the new credentials document.

    Called by :mod:`core.credproc` when the file is missing or about to run
    out. After the lock is held the file is read again: another process (the
    tray, the agent, a parallel ``credential-process``) may have refreshed it
    while this one waited.

    Raises:
        CredentialProcessError: the session needs a sign-in, is unknown, or
            the refresh failed (message and exit code for stderr).
    """
    resolved = paths or replace(AppPaths.from_environment(), home=Path(home))
    try:
        return asyncio.run(_refresh_on_the_spot(resolved, session_id))
    except CredentialProcessError:
        raise
    except (LoginTrayError, OSError) as exc:
        raise CredentialProcessError(error_message(exc), exit_code_for(exc)) from None


def _sign_in_hint(session: Session | None) -> str:
    if session is None:
        return f"run `{PROG} login --profile <profile>` to sign in"
    return f"run `{PROG} login --profile {session.profile_name}` to sign in again"


async def _refresh_on_the_spot(paths: AppPaths, session_id: str) -> dict[str, object]:
    from core.manager import SessionManager
    from core.ports import SystemClock

    def refuse_browser(url: str) -> None:
        raise SignInRequired("credential-process cannot open a browser.", reason="NO_BROWSER")

    manager = SessionManager(paths, clock=SystemClock(), open_browser=refuse_browser)
    session = next((s for s in manager.sessions() if s.id == session_id), None)
    if session is None:
        raise CredentialProcessError(
            f"there is no session {session_id} (signed out?); {_sign_in_hint(None)}.", EXIT_SIGN_IN_REQUIRED
        )
    now = manager.now()
    if session.state is SessionState.ENDED or session.session_ends_at <= now:
        raise CredentialProcessError(
            f"the session of profile {session.profile_name} ended at {_iso(session.session_ends_at)}; "
            f"{_sign_in_hint(session)}.",
            EXIT_SIGN_IN_REQUIRED,
        )
    if session.state is SessionState.NEEDS_SIGN_IN:
        reason = f" ({session.state_reason})" if session.state_reason else ""
        raise CredentialProcessError(
            f"the session of profile {session.profile_name} needs a new sign-in{reason}; {_sign_in_hint(session)}.",
            EXIT_SIGN_IN_REQUIRED,
        )
    credentials_file = credproc.credentials_file_path(str(paths.home), session_id)
    # The engine takes the session's inter-process lock, reads the stores again (another
    # process may have refreshed while this one waited) and only then calls AWS Sign-In.
    try:
        await manager.refresh(session_id)
    except SignInRequired as exc:
        raise CredentialProcessError(
            f"{exc.user_message} For profile {session.profile_name}: {_sign_in_hint(session)}.",
            EXIT_SIGN_IN_REQUIRED,
        ) from None
    document = credproc.read_credentials_file(credentials_file)
    if document is None or not credproc.fresh_enough(document):
        raise CredentialProcessError(
            f"the session of profile {session.profile_name} could not be refreshed; {_sign_in_hint(session)}.",
            EXIT_SIGN_IN_REQUIRED,
        )
    return document


# -- commands ----------------------------------------------------------------------------


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
        cli.note(
            f"The session lasts until {_iso(session.session_ends_at)} "
            f"({format_remaining(session.session_remaining(now))}). Its 15-minute credentials are renewed "
            f"before they run low while the tray or `{PROG} agent` runs, otherwise on demand."
        )
    return EXIT_OK


async def cmd_list(cli: Cli, args: argparse.Namespace) -> int:
    """Show every session."""
    async with cli.service() as service:
        now = service.now()
        active = service.active_session_id()
        sessions = service.sessions()
        if args.json:
            payload = {
                "active_session_id": active,
                "active_profile": service.settings().active_profile_name,
                "sessions": [session_summary(s, now, active) for s in sessions],
            }
            cli.say(json.dumps(payload, indent=2))
            return EXIT_OK
        if not sessions:
            cli.note(f"No sessions. Sign in with `{PROG} login`.")
            return EXIT_OK
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
    return EXIT_OK


async def cmd_use(cli: Cli, args: argparse.Namespace) -> int:
    """Point the active profile at a session."""
    async with cli.service() as service:
        session = find_session(service, args.name)
        await service.set_active(session.id)
        profile = service.settings().active_profile_name
        cli.say(f"Profile {profile} now uses {session.profile_name} ({_principal(session)}, {session.account_id}).")
    return EXIT_OK


async def cmd_refresh(cli: Cli, args: argparse.Namespace) -> int:
    """Refresh one session, or every live one."""
    async with cli.service() as service:
        if args.name:
            targets = [find_session(service, args.name)]
        else:
            targets = [s for s in service.sessions() if s.state not in (SessionState.ENDED, SessionState.NEEDS_SIGN_IN)]
            if not targets:
                cli.note("Nothing to refresh.")
                return EXIT_OK
        worst = EXIT_OK
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
        for target in targets:
            await service.sign_out(target.id)
            cli.say(f"Signed out {target.profile_name} ({_principal(target)}, {target.account_id}).")
        if targets:
            cli.note("Credentials already handed out stay valid until they expire (at most 15 minutes).")
        else:
            cli.note("No sessions.")
    return EXIT_OK


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
    return EXIT_OK


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


async def cmd_doctor(cli: Cli, args: argparse.Namespace) -> int:
    """Check (and with --fix repair) the STS endpoint settings of the AWS config."""
    from core import doctor

    fix = args.fix is not None
    result = await asyncio.to_thread(doctor.run_cli, cli.paths, fix=fix, profiles=list(args.fix or []), out=cli.stdout)
    return EXIT_OK if result == 0 else EXIT_FAILURE


async def cmd_import(cli: Cli, args: argparse.Namespace) -> int:
    """Adopt the sessions ``aws login`` left in its cache."""
    from core import importer

    candidates = await asyncio.to_thread(importer.discover, cli.paths)
    if not candidates:
        cli.note("No `aws login` sessions found to import.")
        return EXIT_OK
    worst = EXIT_OK
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
                worst = worst or EXIT_USAGE
                cli.stderr.write(f"{PROG}: {label}: no Region is known; set `region` in the profile first.\n")
                continue
            signed_in_at = importer._issued_at(entry.secrets.id_token) or service.now()
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
        if not _looks_like_region(value):
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
        return EXIT_OK
    if args.key not in _SETTING_KEYS:
        raise UsageError(f"Unknown setting {args.key!r}; one of: {', '.join(_SETTING_KEYS)}.")
    if args.value is None:
        settings = load_settings(cli.paths.settings_file)
        cli.say(_format_setting(getattr(settings, args.key)))
        return EXIT_OK
    value = _parse_setting(args.key, args.value)
    async with cli.service() as service:
        changes: dict[str, Any] = {args.key: value}
        await service.update_settings(replace(service.settings(), **changes))
    cli.say(f"{args.key} = {_format_setting(value)}")
    return EXIT_OK


async def cmd_agent(cli: Cli, args: argparse.Namespace) -> int:
    """Run the refresh engine in the foreground."""
    from core.agent import run_agent

    async with cli.service() as service:
        return await run_agent(service, cli.stderr)


# -- parsing ------------------------------------------------------------------------------


def _epilog() -> str:
    lines = ["exit codes:"]
    lines.extend(f"  {code:>3}  {meaning}" for code, meaning in EXIT_CODES)
    lines.append("")
    lines.append("NAME is a profile name or a session id (see `list`); without it, the active session.")
    return "\n".join(lines)


def build_parser() -> argparse.ArgumentParser:
    """The whole command line."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="log to stderr")
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog=PROG,
        description="Keep up to five `aws login` console sessions fresh. Without a command, start the tray.",
        epilog=_epilog(),
        formatter_class=formatter,
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(
            name, help=help_text, description=help_text, epilog=_epilog(), formatter_class=formatter, parents=[common]
        )

    p = add("login", "Sign in through the browser (like `aws login`) and add a session.")
    p.add_argument("--profile", help="the profile to write (default: derived from account and role)")
    p.add_argument("--region", help="the AWS Region (asked the first time when none is configured)")
    p.add_argument("--remote", action="store_true", help="no browser here: print a URL, read the pasted code")
    p.add_argument("--mode", choices=[m.value for m in CredentialMode], help="how the profile hands out credentials")
    p.set_defaults(handler=cmd_login)

    p = add("list", "Show every session: profile, account, principal, region, state, time left.")
    p.add_argument("--json", action="store_true", help="machine-readable output for scripts")
    p.set_defaults(handler=cmd_list)

    p = add("use", "Point the active profile at a session.")
    p.add_argument("name", metavar="NAME")
    p.set_defaults(handler=cmd_use)

    p = add("refresh", "Refresh a session now (every live session without NAME).")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.set_defaults(handler=cmd_refresh)

    p = add("logout", "Sign a session out: forget its secrets, credentials and profile.")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.add_argument("--all", action="store_true", help="every session")
    p.set_defaults(handler=cmd_logout)

    p = add("credential-process", "Print a session's credentials as credential_process JSON (used by SDKs).")
    p.add_argument("--session", required=True, metavar="ID")
    p.add_argument("--home", metavar="DIR", help=argparse.SUPPRESS)

    p = add("env", "Print `export` lines with a session's credentials (they expire: see stderr).")
    p.add_argument("name", metavar="NAME", nargs="?")
    p.set_defaults(handler=cmd_env)

    p = add("exec", "Run CMD with a session's credentials and Region in its environment.")
    p.add_argument("name", metavar="NAME")
    p.add_argument("command", nargs=argparse.REMAINDER, metavar="-- CMD ...")
    p.set_defaults(handler=cmd_exec)

    p = add("doctor", "Check the AWS config, token cache and keyring; --fix repairs what it can.")
    p.add_argument("--fix", nargs="*", metavar="PROFILE", help="repair (only these profiles, if named)")
    p.set_defaults(handler=cmd_doctor)

    p = add("import", "Adopt the sessions `aws login` left in ~/.aws/login/cache.")
    p.set_defaults(handler=cmd_import)

    p = add("agent", "Refresh every session in the foreground, without the tray (for a systemd user unit).")
    p.set_defaults(handler=cmd_agent)

    p = add("settings", "Show the settings, or show/set one: settings [KEY [VALUE]].")
    p.add_argument("key", metavar="KEY", nargs="?", help=", ".join(_SETTING_KEYS))
    p.add_argument("value", metavar="VALUE", nargs="?")
    p.set_defaults(handler=cmd_settings)
    return parser


def _version() -> str:
    try:
        from importlib.metadata import version

        return version(PROG)
    except Exception:  # not installed (running from a checkout)
        return "unknown"


def _configure_logging(debug: bool, stderr: TextIO) -> None:
    if debug:
        from core.logs import configure_logging

        configure_logging(debug=True, stream=stderr)
        logging.getLogger("filelock").setLevel(logging.INFO)
        logging.getLogger("asyncio").setLevel(logging.INFO)
    else:
        # Logs are off unless --debug: the terminal shows the user's messages only.
        root = logging.getLogger()
        root.addHandler(logging.NullHandler())
        root.setLevel(logging.CRITICAL + 1)


def main(argv: Sequence[str] | None = None, *, cli: Cli | None = None) -> int:
    """Run one command; returns the process exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] == "credential-process" and "--debug" not in args_list:
        return credproc.main(args_list[1:])
    context = cli or Cli()
    parser = build_parser()
    try:
        args = parser.parse_args(args_list)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 for --help
        return int(exc.code) if isinstance(exc.code, int) else EXIT_USAGE
    _configure_logging(bool(getattr(args, "debug", False)), context.stderr)
    if args.command == "credential-process":
        forwarded = ["--session", args.session] + (["--home", args.home] if args.home else [])
        return credproc.main(forwarded)
    handler: Callable[[Cli, argparse.Namespace], Any] = args.handler
    try:
        return int(asyncio.run(handler(context, args)))
    except (Exception, KeyboardInterrupt) as exc:
        return report_error(exc, context.stderr)
