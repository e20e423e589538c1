"""Session metadata and short-lived credentials on disk.

Two kinds of file, both private and written atomically (:mod:`core.storage.atomic`):

* ``sessions.json``: a versioned document with every session's metadata and
  the active session, never a secret::

      {"version": 1, "active_session_id": "…" | null, "active_role": "…"?, "sessions": [{…}, …]}

  ``active_role`` (optional) names the role profile the active profile
  assumes with the active session's credentials.

  A damaged file is reported (:class:`~core.domain.errors.ConfigFileError` naming
  it) and never overwritten: every change is a read-modify-write under an
  inter-process lock, so a file that cannot be read cannot be replaced by
  accident. The error tells the user how to start over: move the file away.
* ``credentials/<id>.json``: the session's current short-lived credentials in
  the ``credential_process`` Version 1 shape plus ``AccountId``, so that
  ``credential-process`` only has to print a file.

:class:`SessionTable` keeps an in-memory copy of ``sessions.json``, notices
when another process (CLI, tray) changed it, and announces the difference.
:meth:`SessionTable.update_session_off_loop` writes from a worker thread and
lets updates that arrive together share one write (five refreshes finish
within milliseconds of each other), so the event loop never waits for a disk.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.domain.errors import CacheFileError, ConfigFileError
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import Credentials, Session, SessionState
from core.storage.atomic import atomic_write_bytes, atomic_write_json, json_document, read_regular_file
from core.storage.locks import held_file_lock
from core.storage.paths import AppPaths
from core.storage.storeformat import (
    DAMAGE,
    credentials_from_json,
    credentials_to_json,
    session_from_json,
    session_to_json,
    short_text,
)

if TYPE_CHECKING:
    import asyncio

log = logging.getLogger(__name__)

STORE_VERSION = 1

LOCK_TIMEOUT = 30.0
"""Seconds to wait for another process's short write of ``sessions.json``."""

Migration = Callable[[dict[str, Any]], dict[str, Any]]
MIGRATIONS: dict[int, Migration] = {}
"""``MIGRATIONS[n]`` turns a version-``n`` document into version ``n + 1``.

Future formats add a step here; :func:`migrate` applies them in order, so a
file several versions old is upgraded one step at a time.
"""


def migrate(document: dict[str, Any], path: Path) -> dict[str, Any]:
    """Bring a stored document up to :data:`STORE_VERSION`.

    Raises:
        ConfigFileError: the version is unknown or newer than this program.
    """
    version = document.get("version")
    if not isinstance(version, int) or version < 1:
        raise ConfigFileError(f"Sessions file {path} has no valid version. Move it away to start over.")
    if version > STORE_VERSION:
        raise ConfigFileError(
            f"Sessions file {path} was written by a newer aws-login-tray (format {version}); "
            "upgrade aws-login-tray. The file was left unchanged."
        )
    while version < STORE_VERSION:
        step = MIGRATIONS.get(version)
        if step is None:
            raise ConfigFileError(f"Sessions file {path} has format {version}, which cannot be upgraded.")
        document = step(document)
        version += 1
        document["version"] = version
    return document


@dataclass(frozen=True)
class StoreState:
    """Everything ``sessions.json`` holds."""

    active_session_id: str | None = None
    sessions: tuple[Session, ...] = ()
    active_role: str | None = None
    """The role profile the active profile assumes (None: the active session's own credentials)."""

    def get(self, session_id: str) -> Session | None:
        """The session with this id, if stored."""
        return next((s for s in self.sessions if s.id == session_id), None)

    def with_session(self, session: Session) -> StoreState:
        """Insert or replace ``session`` (same id), keeping sign-in order."""
        others = [s for s in self.sessions if s.id != session.id]
        ordered = sorted([*others, session], key=lambda s: (s.signed_in_at, s.id))
        return replace(self, sessions=tuple(ordered))

    def without(self, session_id: str) -> StoreState:
        """Drop a session; clears the active id if it pointed at it."""
        active = None if self.active_session_id == session_id else self.active_session_id
        role = self.active_role if active is not None else None
        return StoreState(active, tuple(s for s in self.sessions if s.id != session_id), role)


class SessionStore:
    """Reads and writes ``sessions.json`` and the per-session credentials files."""

    def __init__(self, paths: AppPaths) -> None:
        self.paths = paths
        # What the file held when this store last read or wrote it, and the sessions and entries of its
        # last write: a refresh reads back the file written a moment ago and changes one session of it.
        self._known: tuple[bytes, StoreState] | None = None
        self._entries: dict[str, tuple[dict[str, Any], Session]] = {}
        self._written: dict[str, tuple[Session, dict[str, Any]]] = {}

    @property
    def path(self) -> Path:
        """The sessions file."""
        return self.paths.sessions_file

    def signature(self) -> tuple[int, int, int] | None:
        """A cheap fingerprint of the file (inode, size, mtime); None when absent."""
        try:
            st = self.path.stat()
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_size, st.st_mtime_ns)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Hold the inter-process lock every writer of ``sessions.json`` takes."""
        lock_file = self.paths.locks_dir / "sessions.lock"
        with held_file_lock(
            lock_file,
            LOCK_TIMEOUT,
            timed_out=lambda: ConfigFileError(
                f"Another aws-login-tray process has held {lock_file} for {LOCK_TIMEOUT:.0f} s; try again."
            ),
        ):
            yield

    def load(self) -> StoreState:
        """Read the sessions file; a missing file is an empty store.

        Raises:
            ConfigFileError: the file exists but cannot be read or understood.
                It is left exactly as it was.
        """
        try:
            data = read_regular_file(self.path)
        except FileNotFoundError:
            return StoreState()
        except OSError as exc:
            raise ConfigFileError(f"Cannot read sessions file {self.path}: {exc.strerror}.") from exc
        known = self._known
        if known is not None and known[0] == data:
            return known[1]  # the same bytes: the same state (it is immutable)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ConfigFileError(self._damaged_message(f"not UTF-8 text at byte {exc.start}")) from exc
        try:
            document = json.loads(text)
            if not isinstance(document, dict):
                raise TypeError("top level is not an object")
        except json.JSONDecodeError as exc:
            raise ConfigFileError(self._damaged_message(f"not JSON: line {exc.lineno}, column {exc.colno}")) from exc
        except (ValueError, TypeError, RecursionError) as exc:
            raise ConfigFileError(self._damaged_message(short_text(exc))) from exc
        document = migrate(document, self.path)
        try:
            state = self._state_of(document)
        except DAMAGE as exc:
            raise ConfigFileError(self._damaged_message(f"invalid entry: {short_text(exc)}")) from exc
        self._known = (data, state)
        return state

    def _state_of(self, document: dict[str, Any], *, ours: bool = False) -> StoreState:
        """The state a current-format document describes.

        An entry equal to one this store wrote gives that entry's session
        without parsing it again. (Only entries of ours are remembered: built
        by :func:`session_to_json`, their values are text, booleans and null,
        so "equal" means "parses the same"; ``1`` and ``1.0`` in a hand-edited
        file would not.) ``ours``: ``document`` is one this store is writing.
        """
        entries = document.get("sessions", [])
        if not isinstance(entries, list):
            raise TypeError("sessions is not a list")
        remembered: dict[str, tuple[dict[str, Any], Session]] = {}
        sessions: list[Session] = []
        for raw in entries:
            known = self._entries.get(str(raw.get("id"))) if isinstance(raw, dict) else None
            session = known[1] if known is not None and known[0] == raw else session_from_json(raw)
            remembered[session.id] = (raw, session)
            sessions.append(session)
        if ours:
            self._entries = remembered
        active = document.get("active_session_id")
        if active is not None and not isinstance(active, str):
            raise TypeError("active_session_id is not a string")
        role = document.get("active_role")
        if role is not None and not isinstance(role, str):
            raise TypeError("active_role is not a string")
        if active is not None and all(s.id != active for s in sessions):
            active = None
        ordered = tuple(sorted(sessions, key=lambda s: (s.signed_in_at, s.id)))
        return StoreState(active, ordered, role if active is not None else None)

    def _damaged_message(self, detail: str) -> str:
        detail = detail[:200]
        return (
            f"Sessions file {self.path} is damaged ({detail}). aws-login-tray left it unchanged; "
            f"repair it, or move it away (for example to {self.path.name}.corrupt) to start with no sessions."
        )

    def save(self, state: StoreState) -> None:
        """Write the whole store atomically (callers hold :meth:`locked`)."""
        written = {s.id: (s, self._entry_of(s)) for s in state.sessions}
        document = {
            "version": STORE_VERSION,
            "active_session_id": state.active_session_id,
            **({"active_role": state.active_role} if state.active_role else {}),
            "sessions": [entry for _, entry in written.values()],
        }
        data = json_document(document)
        self._known = None
        atomic_write_bytes(self.path, data)
        self._written = written  # (sessions since removed: forgotten)
        try:
            # What load() will make of these bytes (JSON gives back exactly this document): the next
            # read-modify-write finds it without parsing the file again.
            self._known = (data, self._state_of(document, ours=True))
        except DAMAGE:
            self._known = None  # (load() will say what is wrong with it)

    def _entry_of(self, session: Session) -> dict[str, Any]:
        """The stored shape of ``session``; the very session object written last time gives the same entry."""
        previous = self._written.get(session.id)
        return previous[1] if previous is not None and previous[0] is session else session_to_json(session)

    # -- short-lived credentials -------------------------------------------------

    def write_credentials(self, session_id: str, credentials: Credentials) -> None:
        """Atomically replace the session's credentials file (0600, dir 0700)."""
        atomic_write_json(self.paths.credentials_file(session_id), credentials_to_json(credentials))

    def read_credentials(self, session_id: str) -> Credentials | None:
        """The session's stored credentials, or None without a file.

        Raises:
            CacheFileError: the file exists but is damaged.
        """
        path = self.paths.credentials_file(session_id)
        try:
            raw = json.loads(read_regular_file(path, limit=65536).decode("utf-8"))
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise CacheFileError(
                f"Credentials file {path} cannot be read ({exc.strerror}); refresh the session."
            ) from exc
        except (ValueError, RecursionError) as exc:
            raise CacheFileError(f"Credentials file {path} is unreadable; refresh the session.") from exc
        try:
            return credentials_from_json(raw)
        except DAMAGE as exc:
            raise CacheFileError(f"Credentials file {path} is damaged; refresh the session.") from exc

    def delete_credentials(self, session_id: str) -> None:
        """Remove the session's credentials file, if any."""
        self.paths.credentials_file(session_id).unlink(missing_ok=True)


@dataclass
class SessionTable:
    """The in-memory view of ``sessions.json`` that the engine and manager share.

    Call :meth:`sync` before acting: when another process changed the file, it
    reloads and publishes ADDED / UPDATED / REMOVED / ACTIVE_CHANGED for the
    difference. Changes go through :meth:`mutate`, a read-modify-write of the
    file under the inter-process lock, applied to what is on disk *now* so two
    processes never undo each other's work. The table's own writes are never
    announced as another process's change: their callers announce them.
    """

    store: SessionStore
    events: EventBus
    _state: StoreState = field(default_factory=StoreState)
    _signature: tuple[int, int, int] | None = None
    _loaded: bool = False
    _queued: list[_QueuedUpdate] = field(default_factory=list)
    _writer: asyncio.Task[None] | None = None
    _landed: deque[_Written] = field(default_factory=deque)
    """Writes off the loop that are on disk but not yet in the view (appended by the worker thread)."""

    @property
    def state(self) -> StoreState:
        """The last known content."""
        return self._state

    def get(self, session_id: str) -> Session | None:
        """One session by id."""
        return self._state.get(session_id)

    def sessions(self) -> list[Session]:
        """Every session, oldest sign-in first."""
        return list(self._state.sessions)

    @property
    def active_session_id(self) -> str | None:
        """The session behind the active profile."""
        return self._state.active_session_id

    def sync(self, *, announce: bool = True) -> bool:
        """Reload when the file changed on disk; True when it did.

        Raises:
            ConfigFileError: the file is damaged (the last good view is kept).
        """
        if self._writer is not None and not self._writer.done():
            # A write of ours is under way: the file may hold it already, and reading now would
            # announce it as another process's change. The write catches up when it lands.
            return False
        return self._catch_up(announce=announce)

    def _catch_up(self, *, announce: bool = True) -> bool:
        """Take our landed writes into the view, then whatever else the file holds now."""
        took = False
        while self._landed:
            self._take_landed(self._landed.popleft(), announce=announce)
            took = True
        signature = self.store.signature()
        if self._loaded and signature == self._signature:
            return took
        new_state = self.store.load()
        old_state = self._state
        self._state = new_state
        self._signature = signature
        self._loaded = True
        if announce:
            for event in diff_events(old_state, new_state):
                self.events.publish(event)
        return True

    def mutate(self, change: Callable[[StoreState], StoreState]) -> StoreState:
        """Apply ``change`` to the current on-disk state and save it, atomically and locked.

        The in-memory view first catches up with other processes' changes
        (announcing them), then takes the result. The caller announces its own
        change.
        """
        with self.store.locked():
            self._catch_up()
            new_state = change(self._state)
            if new_state != self._state:
                self.store.save(new_state)
            self._state = new_state
            self._signature = self.store.signature()
            self._loaded = True
        return new_state

    def update_session(self, session_id: str, change: Callable[[Session], Session]) -> Session | None:
        """Replace one session with ``change(current)``; None when it no longer exists."""
        result: list[Session] = []

        def apply(state: StoreState) -> StoreState:
            current = state.get(session_id)
            if current is None:
                return state
            updated = change(current)
            result.append(updated)
            return state.with_session(updated)

        self.mutate(apply)
        return result[0] if result else None

    async def update_session_off_loop(self, session_id: str, change: Callable[[Session], Session]) -> Session | None:
        """:meth:`update_session` with the locked read-modify-write in a worker thread.

        Updates queued while a write runs are written together by the next one
        (each applied in order to what is on disk then). The view and the
        announcements of other processes' changes stay on the loop's thread.
        """
        import asyncio  # here: the CLI's read-only commands never load it

        future: asyncio.Future[Session | None] = asyncio.get_running_loop().create_future()
        self._queued.append(_QueuedUpdate(session_id, change, future))
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_queued())
        return await future

    async def _write_queued(self) -> None:
        import asyncio

        while self._queued:
            batch, self._queued = self._queued, []
            try:
                written = await asyncio.to_thread(self._write_batch, [(u.session_id, u.change) for u in batch])
            except Exception as exc:
                for update in batch:
                    if not update.future.done():
                        update.future.set_exception(exc)
                continue
            try:
                self._catch_up()  # this write, then what others wrote after it
            except ConfigFileError as exc:  # damaged after our write: the view keeps our write
                log.error("%s", exc.user_message)
            for update, result in zip(batch, written.results, strict=True):
                if not update.future.done():
                    update.future.set_result(result)

    def _write_batch(self, changes: list[tuple[str, Callable[[Session], Session]]]) -> _Written:
        """In a worker thread: apply ``changes`` to the file as it is now, under the lock, in one write."""
        with self.store.locked():
            on_disk = self.store.load()
            state, results = on_disk, []
            for session_id, change in changes:
                current = state.get(session_id)
                updated = None if current is None else change(current)
                if updated is not None:
                    state = state.with_session(updated)
                results.append(updated)
            if state != on_disk:
                self.store.save(state)
            written = _Written(on_disk, state, self.store.signature(), results)
            self._landed.append(written)  # before the lock goes: a locked change takes it first
            return written

    def _take_landed(self, written: _Written, *, announce: bool = True) -> None:
        """On the loop's thread: announce what others changed before the write, then adopt the write."""
        if announce and self._loaded and self._state != written.found:
            for event in diff_events(self._state, written.found):
                self.events.publish(event)
        self._state, self._signature, self._loaded = written.state, written.signature, True


@dataclass(frozen=True)
class _QueuedUpdate:
    session_id: str
    change: Callable[[Session], Session]
    future: asyncio.Future[Session | None]


@dataclass(frozen=True)
class _Written:
    found: StoreState
    """The file as the write found it (other processes' changes included)."""
    state: StoreState
    signature: tuple[int, int, int] | None
    results: list[Session | None]


def diff_events(old: StoreState, new: StoreState) -> list[SessionEvent]:
    """What changed between two states, as the events a front end needs."""
    events: list[SessionEvent] = []
    old_by_id = {s.id: s for s in old.sessions}
    new_by_id = {s.id: s for s in new.sessions}
    for sid, session in new_by_id.items():
        previous = old_by_id.get(sid)
        if previous is None:
            events.append(SessionEvent(EventKind.ADDED, session))
        elif previous != session:
            events.append(SessionEvent(_kind_for_state_change(previous, session), session, session.state_reason))
    events.extend(SessionEvent(EventKind.REMOVED, s) for sid, s in old_by_id.items() if sid not in new_by_id)
    if (old.active_session_id, old.active_role) != (new.active_session_id, new.active_role):
        events.append(SessionEvent(EventKind.ACTIVE_CHANGED, new.get(new.active_session_id or "")))
    return events


def _kind_for_state_change(previous: Session, current: Session) -> EventKind:
    if current.state is SessionState.FRESH and current.last_refresh_at != previous.last_refresh_at:
        return EventKind.REFRESHED
    if current.state != previous.state:
        return {
            SessionState.NEEDS_SIGN_IN: EventKind.NEEDS_SIGN_IN,
            SessionState.ENDED: EventKind.ENDED,
            SessionState.RETRYING: EventKind.RETRYING,
            SessionState.REFRESHING: EventKind.REFRESHING,
        }.get(current.state, EventKind.UPDATED)
    return EventKind.UPDATED
