"""Living side by side with ``aws login`` and ``aws logout``.

In ``login_session`` mode the ``aws login`` cache file is a shared source of
truth: the AWS CLI (or any other tool) may replace it with a new sign-in or
delete it at any time, while the app runs or while it does not. The
:class:`AwsLoginFollower` compares each managed ``login_session`` session with
its cache file and follows what it finds:

* the file is gone: ``aws logout`` signed the session out on purpose. The
  session is shown as signed out (not as a failure), stops counting toward
  the five, and our short-lived credentials file is removed;
* the file holds another sign-in (another :func:`sign_in_marker`: a new DPoP
  key or id token): ``aws login`` signed in again. The session adopts it as a
  new sign-in: a new start and end, state reset, an entry in its history;
* the same sign-in, refreshed by botocore: nothing to do here (the engine
  adopts refreshed credentials itself).

A look costs one ``stat`` per session; the file is read only when its
inode, size or mtime changed. The CLI rewrites the file in place (truncate,
then write), so a read may catch it half-written: such a read is ignored and
the next change of the file triggers another.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from core.domain.errors import CacheFileError, SignInRequired
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.idtoken import auth_time
from core.domain.model import CredentialMode, RefreshRecord, Session, SessionState
from core.domain.ports import Clock
from core.sessions.awslogin_look import Finding, Look, look_at_cache_file
from core.storage.secrets import LoginCacheSecretStore
from core.storage.store import SessionStore, SessionTable
from core.storage.storeformat import HISTORY_LIMIT

if TYPE_CHECKING:
    from core.sessions.engine import RefreshEngine
    from core.storage.logincache import LoginCacheEntry

log = logging.getLogger(__name__)

SIGNED_OUT = "SIGNED_OUT"
"""The reason code of a session whose ``aws login`` cache file was removed."""

SIGNED_IN_AGAIN = "signed in again with `aws login`"
SIGNED_OUT_OUTCOME = "signed out with `aws logout`"

WATCH_INTERVAL = 1.0
"""Seconds between two looks at the cache files while the tray or the agent runs."""

_Signature = tuple[int, int, int] | None


def signed_out_reason(session: Session) -> str:
    """What a signed-out session says about itself."""
    name = session.profile_name
    return (
        f"Signed out with `aws logout`. Sign in again (`aws-login-tray login --profile {name}` "
        f"or `aws login --profile {name}`), or remove it (`aws-login-tray logout {name}`)."
    )


def missing_secrets(session: Session) -> SignInRequired:
    """The error for a session whose refresh token is gone: a sign-out in ``login_session`` mode."""
    if session.credential_mode is CredentialMode.LOGIN_SESSION:
        return SignInRequired(signed_out_reason(session), SIGNED_OUT)
    return SignInRequired("The session's refresh token is gone from its store; sign in again.", "MISSING_SECRETS")


def _signature(path: Path) -> _Signature:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class AwsLoginFollower:
    """Follows what ``aws login`` / ``aws logout`` did to the cache files of our ``login_session`` sessions."""

    def __init__(
        self,
        engine: RefreshEngine,
        login_cache: LoginCacheSecretStore,
        *,
        session_duration: timedelta,
        interval: float = WATCH_INTERVAL,
    ) -> None:
        self.engine = engine
        self.table: SessionTable = engine.table
        self.store: SessionStore = engine.store
        self.events: EventBus = engine.events
        self.clock: Clock = engine.clock
        self.login_cache = login_cache
        self.session_duration = session_duration
        self.interval = interval
        """Seconds between two looks while the tray or the agent runs (see :meth:`watch`)."""
        self._seen: dict[str, tuple[_Signature, SessionState, str | None]] = {}
        self.followed: list[Session] = []
        """Every session a look changed so far, in order (for a command to report what it followed)."""

    # -- looking -----------------------------------------------------------------

    def check_all(self) -> list[Session]:
        """Look at every managed ``login_session`` session; returns those that changed."""
        changed = []
        for session in self.table.sessions():
            after = self.check(session)
            if after is not session:
                changed.append(after)
        if changed:
            self.followed.extend(changed)
            self.engine.wake()
        return changed

    def check(self, session: Session) -> Session:
        """Follow one session's cache file; returns the session as it is now."""
        if session.credential_mode is not CredentialMode.LOGIN_SESSION:
            return session
        path = self.login_cache.path_for(session)
        signature = _signature(path)
        key = (signature, session.state, session.sign_in_marker)
        if self._seen.get(session.id) == key:
            return session
        self._seen[session.id] = key
        return self._act(session, look_at_cache_file(session, path, exists=signature is not None))

    def _act(self, session: Session, look: Look) -> Session:
        if look.finding is Finding.SIGNED_OUT:
            return self._signed_out(session)
        if look.finding is Finding.DAMAGED_SIGN_IN:
            # A new sign-in whose key the AWS CLI saved damaged: say so, as for an import.
            reason = look.message or "sign in again"
            return self._set(session, SessionState.NEEDS_SIGN_IN, reason, EventKind.NEEDS_SIGN_IN)
        if look.finding is Finding.NOTE_MARKER:
            # Stored before markers existed: this is the sign-in it follows.
            marker = look.marker
            return self.table.update_session(session.id, lambda s: s.evolve(sign_in_marker=marker)) or session
        if look.finding is Finding.ADOPT and look.entry is not None and look.marker is not None:
            return self._adopt(session, look.entry, look.marker)
        if look.message is not None:
            log.info("%s: %s; left alone", session.profile_name, look.message)
        return session

    def holds_other_sign_in(self, session: Session) -> bool:
        """True when the session's cache file holds a sign-in other than the one the session follows."""
        if session.credential_mode is not CredentialMode.LOGIN_SESSION or session.sign_in_marker is None:
            return False
        from core.storage.logincache import read_login_cache, sign_in_marker

        try:
            entry = read_login_cache(self.login_cache.path_for(session))
        except (FileNotFoundError, CacheFileError, SignInRequired):
            return False
        return sign_in_marker(entry.secrets) != session.sign_in_marker

    def leave_in_place(self, session: Session) -> str | None:
        """Whether signing ``session`` out must leave its ``aws login`` sign-in alone, and the words to say so.

        The app deletes only a sign-in it made itself: one that ``aws login``
        made (adopted by an import or after ``aws logout``/``aws login``), or
        that replaced ours in the cache file meanwhile, stays with its profile.
        """
        if session.credential_mode is not CredentialMode.LOGIN_SESSION:
            return None
        if not self.login_cache.path_for(session).exists():
            return None
        if not (session.made_elsewhere or self.holds_other_sign_in(session)):
            return None
        name = session.profile_name
        return (
            f"Left the `aws login` sign-in of profile {name} and the profile in place: aws-login-tray did not "
            f"make it. `aws logout --profile {name}` ends it."
        )

    async def watching(self, work: Awaitable[None]) -> None:
        """Run ``work`` (the refresh engine) while :meth:`watch` looks at the cache files."""
        watcher = asyncio.create_task(self.watch())
        try:
            await work
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher

    async def watch(self) -> None:
        """Look every :attr:`interval` seconds (real time) until cancelled, while the tray or the agent runs.

        Only while some session is in ``login_session`` mode: without one, nothing wakes the
        process until core announces a change (a sign-in, another process's session).
        """
        changed = asyncio.Event()
        stop_listening = self.events.subscribe(lambda _event: changed.set())
        try:
            while True:
                if not any(s.credential_mode is CredentialMode.LOGIN_SESSION for s in self.table.sessions()):
                    changed.clear()
                    await changed.wait()
                    continue
                await asyncio.sleep(self.interval)
                try:
                    self.table.sync()
                    self.check_all()
                except Exception:
                    log.exception("looking at the aws login cache failed")
        finally:
            stop_listening()

    # -- following ---------------------------------------------------------------

    def _adopt(self, session: Session, entry: LoginCacheEntry, marker: str) -> Session:
        now = self.clock.now()
        began = auth_time(entry.secrets.id_token) or now
        began = min(began, now)
        expires_at = entry.credentials.expires_at
        sign_in_region = entry.sign_in_region if entry.sign_in_region != session.region else None

        def adopt(s: Session) -> Session:
            history = (*s.history, RefreshRecord(now, "aws login", SIGNED_IN_AGAIN))[-HISTORY_LIMIT:]
            return s.evolve(
                state=SessionState.FRESH,
                state_reason=None,
                signed_in_at=now,
                session_ends_at=began + self.session_duration,
                credentials_expire_at=expires_at,
                last_refresh_at=now,
                sign_in_marker=marker,
                made_elsewhere=True,
                sign_in_region=sign_in_region,
                history=history,
            )

        self.store.write_credentials(session.id, entry.credentials)
        self.engine.forget(session.id)
        self.engine.note_credentials(session.id, max(int((expires_at - now).total_seconds()), 1))
        updated = self.table.update_session(session.id, adopt) or adopt(session)
        log.info("%s: %s; following the new sign-in", session.profile_name, SIGNED_IN_AGAIN)
        self.events.publish(SessionEvent(EventKind.UPDATED, updated, "Signed in again with `aws login`."))
        self.engine.wake()
        return updated

    def _signed_out(self, session: Session) -> Session:
        reason = signed_out_reason(session)
        self.store.delete_credentials(session.id)
        self.engine.forget(session.id)
        return self._set(session, SessionState.SIGNED_OUT, reason, EventKind.UPDATED, record=SIGNED_OUT_OUTCOME)

    def _set(
        self, session: Session, state: SessionState, reason: str, kind: EventKind, *, record: str | None = None
    ) -> Session:
        now: datetime = self.clock.now()

        def change(s: Session) -> Session:
            if record is not None:
                s = s.evolve(history=(*s.history, RefreshRecord(now, "aws logout", record))[-HISTORY_LIMIT:])
            return s.evolve(state=state, state_reason=reason, credentials_expire_at=None)

        updated = self.table.update_session(session.id, change) or change(session)
        self.events.publish(SessionEvent(kind, updated, reason))
        return updated
