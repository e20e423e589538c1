"""What every command receives: streams, paths, the session manager, and the lookups they share."""

from __future__ import annotations

import contextlib
import functools
import logging
import os
import sys
import threading
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO, TypeVar

from cli.errors import PROG, UsageError
from core.domain.errors import (
    SessionNotFound,
    SignInCancelled,
)
from core.domain.model import Session, SessionState
from core.domain.regions import is_region_name
from core.domain.timefmt import COMPACT, format_countdown, utc_stamp
from core.storage.atomic import read_regular_file
from core.storage.paths import AppPaths
from core.storage.settings import Settings

if TYPE_CHECKING:
    from core.sessions.service import SessionService

log = logging.getLogger(__name__)
_T = TypeVar("_T")


async def _to_thread(function: Callable[..., _T], *args: Any) -> _T:
    """``asyncio.to_thread``, imported when a command first waits: ``list`` runs without asyncio."""
    import asyncio

    return await asyncio.to_thread(function, *args)


ServiceFactory = Callable[["Cli"], contextlib.AbstractAsyncContextManager["SessionService"]]


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
        line = await _to_thread(self.stdin.readline)
        code = line.strip()
        if not code:
            raise SignInCancelled("No verification code was entered.")
        return code


@contextlib.asynccontextmanager
async def _open_manager(cli: Cli) -> AsyncIterator[SessionService]:
    from core.domain.ports import SystemClock
    from core.sessions.manager import SessionManager

    manager = SessionManager(
        cli.paths,
        clock=SystemClock(),
        open_browser=cli.open_browser,
        code_prompt=cli.prompt_code,
    )
    # A damaged sessions file is an error for every command (naming the file), never "no sessions".
    await _to_thread(functools.partial(manager.table.sync, announce=False))
    with contextlib.suppress(Exception):  # housekeeping: secrets an earlier sign-out could not remove
        await manager.remove_leftover_secrets()
    manager.aws_login.check_all()  # `aws login` / `aws logout` may have acted while nothing watched
    yield manager


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
    return None if value is None else utc_stamp(value)


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
        "next_attempt_at": _iso(session.next_attempt_at) if session.state is SessionState.RETRYING else None,
        "credentials_expire_at": _iso(session.credentials_expire_at),
        "credentials_seconds_left": None if creds_left is None else int(creds_left.total_seconds()),
        "session_ends_at": _iso(session.session_ends_at),
        "session_seconds_left": int(session.session_remaining(now).total_seconds()),
    }


def _region_from_config(config_file: Path, profile: str | None) -> str | None:
    import configparser

    parser = configparser.RawConfigParser()
    try:
        parser.read_string(read_regular_file(config_file, limit=1 << 30).decode("utf-8"))
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


async def ask_region(cli: Cli) -> str:
    """Ask for a region the first time, like ``aws login`` does."""
    cli.note(
        "No AWS Region is configured. The Region is where your AWS resources live (for example "
        "us-east-1, eu-central-1); it is remembered for next time."
    )
    cli.stderr.write("AWS Region [us-east-1]: ")
    cli.stderr.flush()
    line = await _to_thread(cli.stdin.readline)
    if not line:
        raise UsageError("No Region given; pass --region (for example --region us-east-1).")
    region = line.strip() or "us-east-1"
    if not is_region_name(region):
        raise UsageError(f"{region!r} is not an AWS Region name (for example us-east-1).")
    return region
