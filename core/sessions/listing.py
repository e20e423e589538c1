"""A read-only look at the sessions, for ``list``: no session manager, no event loop.

Opening the whole manager (engine, secret stores, the ``aws login`` follower)
costs a short command like ``list`` most of its time, although listing only
reads ``sessions.json`` and the settings (replaced atomically by every writer,
so no lock is needed to read them). What opening the manager does for every
command is still done here, in its cheap form: the sessions file is validated
the same way (a damaged file is an error naming it, never "no sessions"), and
each ``login_session`` session's ``aws login`` cache file gets the follower's
look. When that look finds something to act on (``aws logout`` or ``aws login``
acted while nothing watched), or secrets an earlier sign-out left behind wait to
be removed, :func:`read_listing` returns None: the caller opens the manager,
which follows and writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from core.domain.model import CredentialMode, Session
from core.domain.ports import Clock
from core.sessions.awslogin_look import Finding, look_at_cache_file
from core.storage.paths import AppPaths
from core.storage.settings import Settings, load_settings
from core.storage.store import SessionStore


@dataclass(frozen=True)
class Listing:
    """What ``list`` shows, read at one moment."""

    now: datetime
    sessions: tuple[Session, ...]
    active_session_id: str | None
    active_role: str | None
    settings: Settings


def read_listing(paths: AppPaths, clock: Clock) -> Listing | None:
    """The sessions as stored, or None when opening the manager has work to do first.

    Raises:
        ConfigFileError: the sessions file or the settings file is damaged.
    """
    settings = load_settings(paths.settings_file)
    state = SessionStore(paths).load()
    if paths.pending_deletions_file.exists():
        return None
    if any(_follower_would_act(paths, session) for session in state.sessions):
        return None
    return Listing(clock.now(), state.sessions, state.active_session_id, state.active_role, settings)


def _follower_would_act(paths: AppPaths, session: Session) -> bool:
    if session.credential_mode is not CredentialMode.LOGIN_SESSION:
        return False  # the follower looks only at these
    from core.storage.logincache import cache_file_path

    path = cache_file_path(paths.login_cache_dir, session.identity.arn)
    look = look_at_cache_file(session, path, exists=path.exists())
    return look.finding is not Finding.NOTHING
