"""What a look at a ``login_session`` session's ``aws login`` cache file finds, without acting on it.

Shared by :class:`core.sessions.awslogin.AwsLoginFollower` (which acts on what
it finds) and the read-only listing (:mod:`core.sessions.listing`), which only
needs to know whether there is anything to act on. Imports nothing heavy: the
cache file is read (and cryptography loaded) only when one exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

from core.domain.errors import CacheFileError, SignInRequired
from core.domain.idtoken import subject as id_token_subject
from core.domain.model import CredentialMode, Session, SessionState

if TYPE_CHECKING:
    from core.storage.logincache import LoginCacheEntry


class Finding(Enum):
    """What the follower does about a session after a look at its cache file."""

    NOTHING = "nothing"
    SIGNED_OUT = "signed out"
    """The file is gone: ``aws logout`` signed the session out."""
    DAMAGED_SIGN_IN = "damaged sign-in"
    """A signed-out session's file holds a new sign-in whose key is damaged."""
    NOTE_MARKER = "note marker"
    """A session stored before markers existed: the file holds the sign-in it follows."""
    ADOPT = "adopt"
    """The file holds another sign-in of the same principal: ``aws login`` signed in again."""


@dataclass(frozen=True)
class Look:
    """A :class:`Finding` with what the follower needs to act on it."""

    finding: Finding
    entry: LoginCacheEntry | None = None
    marker: str | None = None
    message: str | None = None


NOTHING = Look(Finding.NOTHING)


def look_at_cache_file(session: Session, path: Path, *, exists: bool) -> Look:
    """What ``session``'s cache file at ``path`` (present or not, per ``exists``) asks of the follower."""
    if session.credential_mode is not CredentialMode.LOGIN_SESSION:
        return NOTHING
    if not exists:
        return NOTHING if session.state is SessionState.SIGNED_OUT else Look(Finding.SIGNED_OUT)
    from core.storage.logincache import read_login_cache, sign_in_marker  # loads cryptography

    try:
        entry = read_login_cache(path)
    except FileNotFoundError:
        return Look(Finding.SIGNED_OUT)
    except CacheFileError:
        # Being written or damaged: the next change of the file triggers another look.
        return Look(Finding.NOTHING, message="the aws login cache file is being written or is damaged")
    except SignInRequired as exc:
        if session.state is SessionState.SIGNED_OUT:
            return Look(Finding.DAMAGED_SIGN_IN, message=exc.user_message)
        return NOTHING
    marker = sign_in_marker(entry.secrets)
    if marker == session.sign_in_marker and session.state is not SessionState.SIGNED_OUT:
        return NOTHING
    if session.sign_in_marker is None and session.state.live:
        return Look(Finding.NOTE_MARKER, entry, marker)
    subject = id_token_subject(entry.secrets.id_token)
    if subject is not None and subject != session.identity.arn:
        return Look(Finding.NOTHING, entry, marker, "the aws login cache file names another principal")
    return Look(Finding.ADOPT, entry, marker)
