"""The ``credential_process`` slow path: refresh one session on the spot when the fast path finds its file stale."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from pathlib import Path

from cli.context import Cli, _iso
from cli.errors import PROG, error_message, exit_code_for
from core.domain.errors import (
    LoginTrayError,
    SignInRequired,
)
from core.domain.model import Session, SessionState
from core.storage.paths import AppPaths
from credproc import fastpath as credproc
from credproc.exitcodes import ExitCode
from credproc.fastpath import CredentialProcessError

log = logging.getLogger(__name__)


def read_session_credentials(cli: Cli, session: Session) -> dict[str, object]:
    """The session's current credentials, refreshed on the spot when about to run out."""
    home = str(cli.paths.home)
    document = credproc.read_credentials_file(credproc.credentials_file_path(home, session.id))
    if document is None or not credproc.fresh_enough(document):
        document = refresh_for_credential_process(home, session.id, paths=cli.paths)
    return document


def refresh_for_credential_process(home: str, session_id: str, *, paths: AppPaths | None = None) -> dict[str, object]:
    """Refresh one session on the spot under its lock; return the new credentials document.

    Called by :mod:`credproc.fastpath` when the file is missing or about to run
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
        raise CredentialProcessError(error_message(exc), exit_code_for(exc).name) from None


def _sign_in_hint(session: Session | None) -> str:
    if session is None:
        return f"run `{PROG} login --profile <profile>` to sign in"
    return f"run `{PROG} login --profile {session.profile_name}` to sign in again"


async def _refresh_on_the_spot(paths: AppPaths, session_id: str) -> dict[str, object]:
    from core.domain.ports import SystemClock
    from core.sessions.manager import SessionManager

    def refuse_browser(url: str) -> None:
        raise SignInRequired("credential-process cannot open a browser.", reason="NO_BROWSER")

    manager = SessionManager(paths, clock=SystemClock(), open_browser=refuse_browser)
    manager.table.sync(announce=False)  # a damaged sessions file is named, never "no such session"
    session = next((s for s in manager.sessions() if s.id == session_id), None)
    if session is None:
        raise CredentialProcessError(
            f"there is no session {session_id} (signed out?); {_sign_in_hint(None)}.", ExitCode.SIGN_IN_REQUIRED.name
        )
    now = manager.now()
    if session.state is SessionState.ENDED or session.session_ends_at <= now:
        raise CredentialProcessError(
            f"the session of profile {session.profile_name} ended at {_iso(session.session_ends_at)}; "
            f"{_sign_in_hint(session)}.",
            ExitCode.SIGN_IN_REQUIRED.name,
        )
    if not session.state.live:
        reason = f" ({session.state_reason})" if session.state_reason else ""
        raise CredentialProcessError(
            f"the session of profile {session.profile_name} needs a new sign-in{reason}; {_sign_in_hint(session)}.",
            ExitCode.SIGN_IN_REQUIRED.name,
        )
    credentials_file = credproc.credentials_file_path(str(paths.home), session_id)
    # The engine takes the session's inter-process lock, reads the stores again (another
    # process may have refreshed while this one waited) and only then calls AWS Sign-In.
    try:
        await manager.refresh(session_id)
    except SignInRequired as exc:
        raise CredentialProcessError(
            f"{exc.user_message} For profile {session.profile_name}: {_sign_in_hint(session)}.",
            ExitCode.SIGN_IN_REQUIRED.name,
        ) from None
    document = credproc.read_credentials_file(credentials_file)
    if document is None or not credproc.fresh_enough(document):
        raise CredentialProcessError(
            f"the session of profile {session.profile_name} could not be refreshed; {_sign_in_hint(session)}.",
            ExitCode.SIGN_IN_REQUIRED.name,
        )
    return document
