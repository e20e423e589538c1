"""Rescue files: a rotated refresh token whose store could not take it.

AWS Sign-In rotates the refresh token on every refresh and the old one stops
working, so a new token that cannot be stored (a locked keyring, a full or
read-only secrets directory or login cache) must not die with the process.
It is written here instead, ``rescue/<session id>.json`` in the app's data
directory (0600 in a 0700 directory, like every secret file of the app)::

    {"v": 1, "signed_in_at": "...", "secrets": {...}, "credentials": {...} | null}

The next refresh of the session, in any process, moves it into the session's
store before it does anything else, and deletes the file. A file from before
the session was signed in again (``signed_in_at`` differs) is stale and only
deleted.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from pathlib import Path

from core.domain.model import Credentials, Session, SessionSecrets
from core.storage.atomic import atomic_write_json, read_regular_file
from core.storage.paths import AppPaths
from core.storage.secrets import secrets_from_json, secrets_to_json
from core.storage.storeformat import credentials_from_json, credentials_to_json, format_precise, parse_time

log = logging.getLogger(__name__)

RESCUE_VERSION = 1


@dataclass(frozen=True)
class RescuedToken:
    """What a rescue file holds."""

    secrets: SessionSecrets
    credentials: Credentials | None


class RescueFiles:
    """Reads and writes ``rescue/<session id>.json``."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths

    def path_for(self, session_id: str) -> Path:
        """Where one session's rescued token goes."""
        return self.paths.rescue_file(session_id)

    def exists(self, session_id: str) -> bool:
        """True when a rescued token waits for its store (one ``stat``)."""
        return self.path_for(session_id).exists()

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None) -> Path:
        """Write the token atomically, private to the user.

        Raises:
            OSError: it could not be written either.
        """
        path = self.path_for(session.id)
        atomic_write_json(
            path,
            {
                "v": RESCUE_VERSION,
                "signed_in_at": format_precise(session.signed_in_at),
                "secrets": secrets_to_json(secrets),
                "credentials": None if credentials is None else credentials_to_json(credentials),
            },
        )
        return path

    def load(self, session: Session) -> RescuedToken | None:
        """The rescued token of this very sign-in, or None (a stale or damaged file is logged and left)."""
        path = self.path_for(session.id)
        try:
            raw = json.loads(read_regular_file(path, limit=1 << 20).decode("utf-8"))
            if not isinstance(raw, dict) or raw.get("v") != RESCUE_VERSION:
                raise ValueError("unknown format")
            if parse_time(str(raw["signed_in_at"])) != session.signed_in_at:
                log.info("%s is from an earlier sign-in; removing it", path)
                self.delete(session.id)
                return None
            stored = raw.get("credentials")
            return RescuedToken(
                secrets_from_json(raw["secrets"], str(path)),
                None if stored is None else credentials_from_json(stored),
            )
        except FileNotFoundError:
            return None
        except Exception as exc:  # a damaged rescue file must not stop the refresher
            log.error("cannot read the rescued refresh token %s (%s); left in place", path, type(exc).__name__)
            return None

    def delete(self, session_id: str) -> None:
        """Forget a rescued token (it reached its store, or the session is gone)."""
        self.path_for(session_id).unlink(missing_ok=True)
