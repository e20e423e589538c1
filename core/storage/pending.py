"""Secrets that a sign-out could not remove yet (a locked keyring, a read-only secrets directory).

The sign-out itself completes (profile, credentials and metadata go), and
the session's stored secrets are listed in ``pending-deletions.json`` in
the app's data directory (no secret in it: the session's metadata and which
store holds its secrets)::

    {"v": 1, "entries": [{"store": "keyring" | "files", "session": {...}}]}

Every later start of the tray, the agent or a CLI command tries them again
and drops the entries that succeed.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from core.domain.errors import SecretStoreUnavailable
from core.domain.model import Session
from core.storage.atomic import atomic_write_json, read_regular_file
from core.storage.paths import AppPaths
from core.storage.secrets import SecretStore
from core.storage.storeformat import session_from_json, session_to_json

log = logging.getLogger(__name__)

PENDING_VERSION = 1


class PendingDeletions:
    """Reads and updates ``pending-deletions.json``."""

    def __init__(self, paths: AppPaths) -> None:
        self.path = paths.pending_deletions_file

    def _entries(self) -> list[dict[str, Any]]:
        try:
            raw = json.loads(read_regular_file(self.path, limit=1 << 20).decode("utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError, RecursionError) as exc:
            log.error("cannot read %s (%s); left in place", self.path, type(exc).__name__)
            return []
        entries = raw.get("entries") if isinstance(raw, dict) and raw.get("v") == PENDING_VERSION else None
        return [e for e in entries if isinstance(e, dict)] if isinstance(entries, list) else []

    def _write(self, entries: list[dict[str, Any]]) -> None:
        if entries:
            atomic_write_json(self.path, {"v": PENDING_VERSION, "entries": entries})
        else:
            self.path.unlink(missing_ok=True)

    def add(self, store: str, session: Session) -> None:
        """Remember that ``store`` still holds the secrets of ``session``."""
        entries = [e for e in self._entries() if e.get("session", {}).get("id") != session.id]
        self._write([*entries, {"store": store, "session": session_to_json(session)}])

    def retry(self, store_named: Callable[[str], SecretStore | None], keep: Callable[[str], bool]) -> int:
        """Try every pending deletion again; returns how many are still pending.

        Args:
            store_named: the store behind a name (None: unknown, the entry is dropped).
            keep: True for a session id that is signed in again (its secrets are live: not deleted).
        """
        if not self.path.exists():
            return 0
        remaining: list[dict[str, Any]] = []
        for entry in self._entries():
            try:
                session = session_from_json(entry["session"])
                store = store_named(str(entry.get("store")))
                if store is not None and not keep(session.id):
                    store.delete(session)
            except SecretStoreUnavailable:
                remaining.append(entry)
            except Exception as exc:  # a damaged entry must not block the others
                log.error("dropping a damaged entry of %s (%s)", self.path, type(exc).__name__)
        self._write(remaining)
        return len(remaining)
