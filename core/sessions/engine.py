"""The refresh engine: keeps every session's credentials inside their window.

Decisions are made by *expiry window*, never by counting ticks. A session is
due when its credentials have less than :func:`refresh_margin` left, a margin
derived from the lifetime the service actually granted (``expiresIn``), so
the engine behaves the same with AWS's 15-minute credentials and with a
test's 6-second ones. A timer only asks "is anything inside its window?";
a late or early wake-up, or a laptop resuming after hours, therefore never
does the wrong thing: every due session is refreshed once, then the loop
sleeps again.

With 900-second credentials the margin is 540 s: credentials are renewed
when 9 minutes remain, so any copy that botocore reads (which it renews
itself below 5 minutes, racing us for the refresh token) keeps more than 5
minutes, and 4 minutes stay for retries when AWS Sign-In has a bad moment.

Refreshing one session:

1. Concurrent requests in this process share one task (single flight).
2. The session's inter-process lock (:meth:`AppPaths.session_lock`) is taken
   in a worker thread; then the secret store and credentials file are read
   *again*: if another process refreshed meanwhile, its result is adopted and
   no token call is made (a refresh token works once).
3. ``CreateOAuth2Token`` (one attempt; the client builds a fresh DPoP proof).
4. The new refresh token is stored **before** the new credentials are
   written or announced.

Failures: a transient error (429, 5xx, network, a refusal a wrong clock
explains) keeps the old token and retries with jittered exponential backoff;
a sign-in-required error stops the session (NEEDS_SIGN_IN); reaching the
session limit ends it (ENDED). A new token its store refuses is never
dropped (:mod:`core.sessions.tokensafe`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from hmac import compare_digest
from typing import NoReturn

from core.domain.errors import (
    CacheFileError,
    ConfigFileError,
    InvalidRequestError,
    SecretStoreUnavailable,
    SessionNotFound,
    SignInRequired,
    TransientServiceError,
)
from core.domain.events import EventBus, EventKind, SessionEvent
from core.domain.model import Credentials, RefreshRecord, Session, SessionSecrets, SessionState
from core.domain.ports import Clock
from core.sessions import awslogin, policy
from core.sessions import refreshsteps as steps
from core.sessions.ports import RefreshClient, RefreshResult
from core.sessions.runtime import SessionRuntime
from core.sessions.tokensafe import TokenKeeper
from core.storage.locks import run_under_session_lock
from core.storage.secrets import SecretStore
from core.storage.settings import Settings
from core.storage.store import SessionStore, SessionTable
from core.storage.storeformat import HISTORY_LIMIT

log = logging.getLogger(__name__)

SleepFn = Callable[[float], Awaitable[None]]

SESSION_LOCK_TIMEOUT = 120.0
"""How long to wait for another process's refresh of the same session."""

TOKEN_EVENT = "CreateOAuth2Token"  # noqa: S105 - a CloudTrail event name

Prepared = Credentials | SessionSecrets | SecretStoreUnavailable | SignInRequired | None
"""What the steps before a token call found: credentials to adopt, the secrets, or why not to call."""


class RefreshEngine:
    """Refreshes sessions by expiry window; announces every change on ``events``."""

    def __init__(
        self,
        table: SessionTable,
        store: SessionStore,
        *,
        secret_store_for: Callable[[Session], SecretStore],
        client_for: Callable[[str], RefreshClient],
        clock: Clock,
        events: EventBus,
        settings: Callable[[], Settings],
        sleep: SleepFn = asyncio.sleep,
        rng: random.Random | None = None,
        max_idle_sleep: float = policy.MAX_IDLE_SLEEP,
        lock_timeout: float = SESSION_LOCK_TIMEOUT,
        keeper: TokenKeeper | None = None,
    ) -> None:
        self.table = table
        self.store = store
        self.secret_store_for = secret_store_for
        self.client_for = client_for
        self.clock = clock
        self.events = events
        self.settings = settings
        self.sleep = sleep
        self.rng = rng or random.Random()  # noqa: S311 - jitter, not cryptography
        self.max_idle_sleep = max_idle_sleep
        self.lock_timeout = lock_timeout
        self.keeper = keeper or TokenKeeper(store.paths)
        self._runtime: dict[str, SessionRuntime] = {}
        self._inflight: dict[str, asyncio.Task[Session]] = {}
        self._wake = asyncio.Event()
        self._stopping = False
        self.passes = 0
        """Engine passes run so far (diagnostics and tests)."""
        self.jumps_detected = 0
        """Wall-clock jumps (sleep/wake, clock changes) noticed so far."""
        self.token_calls = 0
        """``CreateOAuth2Token`` refresh calls made by this engine."""

    # -- bookkeeping -----------------------------------------------------------

    def _rt(self, session_id: str) -> SessionRuntime:
        return self._runtime.setdefault(session_id, SessionRuntime())

    def forget(self, session_id: str) -> None:
        """Drop what the engine remembers (the session was signed in again or out), a kept-aside token too."""
        self._runtime.pop(session_id, None)
        self.keeper.forget(session_id)

    def note_credentials(self, session_id: str, expires_in: int, *, granted: bool = False) -> None:
        """Record the credentials' lifetime: ``granted`` when AWS granted it in a token response (a sign-in)."""
        rt = self._rt(session_id)
        rt.ttl = timedelta(seconds=expires_in)
        if granted:
            rt.granted = rt.ttl

    def credential_ttl(self, session: Session) -> timedelta:
        """The lifetime the service grants this session's credentials, as best known."""
        rt = self._runtime.get(session.id)
        if rt is not None and rt.ttl is not None:
            return rt.ttl
        if session.credentials_expire_at is not None and session.last_refresh_at is not None:
            observed = session.credentials_expire_at - session.last_refresh_at
            # AWS grants at most 900 s: a longer span means the credentials came from elsewhere
            # (an import, botocore's own refresh) after last_refresh_at, and says nothing.
            if timedelta(0) < observed <= policy.DEFAULT_CREDENTIAL_TTL:
                return observed
        return policy.DEFAULT_CREDENTIAL_TTL

    def _covers_session(self, session: Session, expires_at: datetime | None) -> bool:
        return expires_at is not None and expires_at >= session.session_ends_at - policy.END_TOLERANCE

    def is_due(self, session: Session, now: datetime, expires_at: datetime | None = None) -> bool:
        """True when the credentials are inside their refresh window."""
        expiry = expires_at if expires_at is not None else session.credentials_expire_at
        if expiry is None:
            return True
        if self._covers_session(session, expiry):
            return False
        return expiry - now < policy.refresh_margin(self.credential_ttl(session))

    def due_at(self, session: Session) -> datetime | None:
        """When the session next enters its refresh window (None: never again)."""
        if session.credentials_expire_at is None:
            return self.clock.now()
        if self._covers_session(session, session.credentials_expire_at):
            return None
        return session.credentials_expire_at - policy.refresh_margin(self.credential_ttl(session))

    def _publish(self, kind: EventKind, session: Session | None, detail: str | None = None, **extra: object) -> None:
        lead = extra.get("lead")
        self.events.publish(SessionEvent(kind, session, detail, lead if isinstance(lead, timedelta) else None))

    def _update(self, session_id: str, change: Callable[[Session], Session]) -> Session | None:
        return self.table.update_session(session_id, change)

    @staticmethod
    def _record(session: Session, at: datetime, outcome: str, event_name: str = TOKEN_EVENT) -> Session:
        history = (*session.history, RefreshRecord(at, event_name, outcome))[-HISTORY_LIMIT:]
        return session.evolve(history=history)

    # -- the loop --------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        """True once :meth:`stop` was called."""
        return self._stopping

    def wake(self) -> None:
        """Ask the loop to look at the sessions again now (a session was added, settings changed)."""
        self._wake.set()

    async def run(self) -> None:
        """Check, sleep until the next thing is due, repeat until :meth:`stop` (even one asked before the start)."""
        try:
            await self._loop()
        finally:
            self._stopping = False

    async def _loop(self) -> None:
        failed_passes = 0
        while not self._stopping:
            self._wake.clear()
            try:
                await self.run_pass()
                failed_passes = 0
            except Exception:
                failed_passes += 1
                log.exception("refresh pass failed")
            if self.stopping:
                break
            delay = self.next_wake_delay()
            if failed_passes:  # whatever failed, never a tight loop
                backoff = policy.backoff_delay(failed_passes, policy.DEFAULT_CREDENTIAL_TTL, self.rng)
                delay = min(max(delay, backoff), self.max_idle_sleep)
            wall_before, mono_before = self.clock.now(), self.clock.monotonic()
            await self._sleep_or_wake(delay)
            wall = (self.clock.now() - wall_before).total_seconds()
            mono = self.clock.monotonic() - mono_before
            if abs(wall - mono) > policy.JUMP_TOLERANCE:
                self._on_clock_jump(wall - mono)

    def _on_clock_jump(self, offset: float) -> None:
        """After sleep/wake or a clock change: one immediate pass, judged by the new time.

        Retry gates computed on the old clock are void (a clock set back would
        otherwise postpone them by the jump); the next pass refreshes each due
        session once, whatever the number of checks the sleep skipped.
        """
        self.jumps_detected += 1
        log.info("wall clock moved %+.0f s against monotonic time; checking every session now", offset)
        for rt in self._runtime.values():
            rt.open_gates()

    async def _sleep_or_wake(self, delay: float) -> None:
        if self._wake.is_set():
            return
        sleeper = asyncio.ensure_future(self.sleep(delay))
        waker = asyncio.ensure_future(self._wake.wait())
        try:
            await asyncio.wait({sleeper, waker}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (sleeper, waker):
                if not task.done():
                    task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await task

    async def stop(self) -> None:
        """Stop the loop after the current pass; wait for refreshes in flight."""
        self._stopping = True
        self._wake.set()
        await self.drain()
        # Last chance for tokens a store refused; say where each one stays.
        for session, detail in await asyncio.to_thread(self.keeper.flush_on_exit, self.secret_store_for):
            log.error("%s: %s", session.profile_name, detail)
            self._publish(EventKind.RETRYING, session, detail)

    async def wait_idle(self, session_id: str) -> None:
        """Wait for a refresh of ``session_id`` in flight, if any (its outcome is not raised)."""
        task = self._inflight.get(session_id)
        if task is not None:
            await asyncio.gather(asyncio.shield(task), return_exceptions=True)

    async def drain(self) -> None:
        """Wait until no refresh is in flight."""
        while self._inflight:
            await asyncio.gather(*list(self._inflight.values()), return_exceptions=True)

    def next_wake_delay(self) -> float:
        """Seconds until the earliest due time, lead time, session end or retry."""
        now = self.clock.now()
        leads = self.settings().expiry_lead_minutes
        candidates: list[datetime] = []
        for session in self.table.sessions():
            if not session.state.live or session.id in self._inflight:
                continue
            rt = self._rt(session.id)
            candidates.append(session.session_ends_at)
            candidates.extend(session.session_ends_at - timedelta(minutes=m) for m in leads if m not in rt.fired_leads)
            due = now if self.keeper.holds(session.id) else self.due_at(session)
            if due is not None:
                gates = [t for t in (rt.next_attempt_at, rt.not_before) if t is not None]
                candidates.append(max([due, *gates]))
        future = [(t - now).total_seconds() for t in candidates]
        soonest = min(future, default=self.max_idle_sleep)
        return min(max(soonest, 0.01), self.max_idle_sleep)

    async def run_pass(self) -> None:
        """One look at every session: end, warn, refresh what is due (concurrently)."""
        self.passes += 1
        try:
            self.table.sync()
        except ConfigFileError as exc:
            log.error("%s", exc.user_message)
        now = self.clock.now()
        due: list[str] = []
        for session in self.table.sessions():
            if not session.state.live:
                continue
            if now >= session.session_ends_at:
                self._end(session)
                continue
            self._check_leads(session, now)
            waiting = self.keeper.holds(session.id)  # a token kept aside: retry its save within seconds
            if (waiting or self.is_due(session, now)) and self._rt(session.id).gate_open(now):
                due.append(session.id)
        if due:
            await asyncio.gather(*(self._background_refresh(sid) for sid in due))

    async def _background_refresh(self, session_id: str) -> None:
        try:
            await self.refresh(session_id)
        except Exception as exc:
            rt, now, session = self._rt(session_id), self.clock.now(), self.table.get(session_id)
            backing_off = rt.next_attempt_at is not None and rt.next_attempt_at > now
            if session is None or not session.state.live or backing_off:
                log.debug("background refresh of %s: %s", session_id, type(exc).__name__)
                return  # handled: the state, its event and the retry time say what happened
            # Unforeseen (a bug, a module replaced under a running process): the same backoff as any failure.
            failure = policy.unexpected_failure(exc)
            log.warning("%s: %s Attempt %d.", session.profile_name, failure.user_message, rt.attempts + 1)
            log.debug("the unexpected failure", exc_info=exc)
            with contextlib.suppress(Exception):  # (writing the state may be what fails)
                self._retry(session, failure)

    def _check_leads(self, session: Session, now: datetime) -> None:
        rt = self._rt(session.id)
        left = session.session_ends_at - now
        crossed = [
            m for m in self.settings().expiry_lead_minutes if left <= timedelta(minutes=m) and m not in rt.fired_leads
        ]
        if crossed:
            # A long sleep may cross several leads at once: one warning, the most urgent.
            rt.fired_leads.update(crossed)
            smallest = min(crossed)
            self._publish(
                EventKind.EXPIRING_SOON,
                session,
                f"The session ends in {max(int(left.total_seconds() // 60), 0)} minutes;"
                " sign in again to keep working.",
                lead=timedelta(minutes=smallest),
            )

    def _end(self, session: Session, at: datetime | None = None) -> Session:
        limit = policy.describe_duration(session.session_ends_at - session.signed_in_at)
        reason = f"The session reached its {limit} limit; sign in again to continue."
        self.store.delete_credentials(session.id)
        # A login_session profile's cache file is left as `aws login` leaves it:
        # botocore will report the expired session itself and `aws login` overwrites it.
        ended = self._update(
            session.id,
            lambda s: s.evolve(
                state=SessionState.ENDED,
                state_reason=reason,
                session_ends_at=at or s.session_ends_at,
                credentials_expire_at=None,
            ),
        )
        self._publish(EventKind.ENDED, ended or session, reason)
        return ended or session

    # -- one refresh -------------------------------------------------------------

    async def refresh(self, session_id: str, *, force: bool = False) -> Session:
        """Refresh one session; concurrent calls share the call in flight.

        With ``force`` the credentials are renewed even outside their window
        (unless another process renewed them since this one last looked).

        Raises:
            SessionNotFound, SignInRequired, TransientServiceError,
            SecretStoreUnavailable: after state and events were updated.
        """
        task = self._inflight.get(session_id)
        if task is None:
            task = asyncio.create_task(self._refresh(session_id, force))
            self._inflight[session_id] = task

            def _done(finished: asyncio.Task[Session]) -> None:
                if self._inflight.get(session_id) is finished:
                    del self._inflight[session_id]
                if not finished.cancelled():
                    finished.exception()  # retrieved: every awaiter sees it anyway

            task.add_done_callback(_done)
        return await asyncio.shield(task)

    async def _refresh(self, session_id: str, force: bool) -> Session:
        try:
            self.table.sync()
        except ConfigFileError as exc:
            log.error("%s", exc.user_message)
        session = self.table.get(session_id)
        if session is None:
            raise SessionNotFound(f"No session with id {session_id}.")
        if not session.state.live:
            raise SignInRequired(session.state_reason or "Sign in again.", reason=session.state.value.upper())
        now = self.clock.now()
        if now >= session.session_ends_at:
            ended = self._end(session)
            raise SignInRequired(ended.state_reason or "Sign in again.", reason="TOKEN_EXPIRED")
        seen_expiry = session.credentials_expire_at
        self._publish(EventKind.REFRESHING, session.evolve(state=SessionState.REFRESHING))

        def adopt(latest: Credentials) -> bool:  # (called in the worker thread, after the reads)
            if self.is_due(session, self.clock.now(), latest.expires_at):
                return False
            newer = seen_expiry is None or latest.expires_at > seen_expiry
            return newer or not force

        def prepare() -> tuple[SecretStore, Prepared]:
            secret_store = self.secret_store_for(session)  # (chosen under the lock: a store move holds it)
            try:
                return secret_store, steps.prepare_call(self.keeper, self.store, session, secret_store, adopt=adopt)
            except (SecretStoreUnavailable, SignInRequired) as exc:
                return secret_store, exc  # handled on the loop, the lock still held

        # The lock, then everything before the call, in one worker-thread hop.
        held = await run_under_session_lock(self.store.paths, session_id, self.lock_timeout, prepare)
        if held is None:
            self._retry(session, TransientServiceError("Another process is refreshing this session."))
        lock, (secret_store, prepared) = held
        try:
            return await self._refresh_locked(session, secret_store, prepared)
        finally:
            lock.release()

    async def _refresh_locked(self, session: Session, secret_store: SecretStore, prepared: Prepared) -> Session:
        if isinstance(prepared, SecretStoreUnavailable):
            self._retry(session, prepared)
        if isinstance(prepared, SignInRequired):
            self._needs_sign_in(session, prepared, record=False)
        if isinstance(prepared, Credentials):
            return await self._adopt(session, prepared)
        secrets = prepared
        if secrets is None:  # (in login_session mode: `aws logout` deleted the cache file)
            self._needs_sign_in(session, awslogin.missing_secrets(session), record=False)
        client = self.client_for(session.refresh_region)
        self.token_calls += 1
        log.debug("%s: CreateOAuth2Token (refresh) in %s", session.profile_name, session.refresh_region)
        try:
            result = await client.refresh(secrets, account_id=session.account_id)
        except SignInRequired as exc:
            adopted = await self._adopt_if_rotated_elsewhere(session, secret_store, secrets)
            if adopted is not None:
                return adopted
            self._needs_sign_in(session, exc, record=True)
        except InvalidRequestError:
            # The request is built the same way every time; what changes is the clock in the DPoP proof.
            self._retry(session, policy.clock_problem(), record=True)
        except TransientServiceError as exc:
            self._retry(session, exc, record=True)
        return await self._store_result(session, secret_store, result)

    async def _adopt_if_rotated_elsewhere(
        self, session: Session, secret_store: SecretStore, used: SessionSecrets
    ) -> Session | None:
        """After a refusal: did someone else rotate the token while our call was in flight?

        botocore refreshes a ``login_session`` cache file without our lock. If it
        did so between our read and our call, AWS refuses our now-spent token, but
        the session lives on in the file: adopt what it wrote instead of giving up.
        """

        def stored_token() -> str | None:
            with contextlib.suppress(CacheFileError, SignInRequired, SecretStoreUnavailable):
                stored = secret_store.load(session)
                return None if stored is None else stored.refresh_token
            return None

        current = await asyncio.to_thread(stored_token)
        if current is None or compare_digest(current, used.refresh_token):
            return None
        latest = await asyncio.to_thread(steps.latest_on_disk, self.store, session, secret_store)
        if latest is None or latest.expires_at <= self.clock.now():
            return None
        log.info("%s: the refresh token was rotated by another refresher; adopting its result", session.profile_name)
        return await self._adopt(session, latest)

    async def _adopt(self, session: Session, latest: Credentials) -> Session:
        """Another process (or botocore) refreshed: take its credentials, make no call."""
        self._rt(session.id).succeeded()
        current = await asyncio.to_thread(steps.read_credentials_quietly, self.store, session.id)
        if current is None or current.expires_at < latest.expires_at:
            await asyncio.to_thread(self.store.write_credentials, session.id, latest)
        recorded: list[bool] = []

        def take(s: Session) -> Session:
            known = s.credentials_expire_at  # (to the microsecond; the credentials file says whole seconds)
            same = known is not None and known.replace(microsecond=0) == latest.expires_at.replace(microsecond=0)
            recorded.append(same and s.state is SessionState.FRESH)
            return s.evolve(
                state=SessionState.FRESH, state_reason=None, credentials_expire_at=known if same else latest.expires_at
            )

        result = await self.table.update_session_off_loop(session.id, take) or session
        log.debug("%s: adopted credentials another process refreshed", session.profile_name)
        if not any(recorded):  # (when the sessions file records that refresh, the table announced it)
            self._publish(EventKind.REFRESHED, result, "adopted credentials refreshed by another process")
        return result

    async def _store_result(self, session: Session, secret_store: SecretStore, result: RefreshResult) -> Session:
        rt = self._rt(session.id)
        now = self.clock.now()
        log.debug("%s: refreshed, credentials granted for %d s", session.profile_name, result.expires_in)
        granted = timedelta(seconds=result.expires_in)
        # min()ed with the end stored when this lands: a new sign-in may have reset it meanwhile.
        unbounded = datetime.max.replace(tzinfo=UTC)
        ends_at = policy.learned_end(unbounded, granted, rt.granted, result.credentials.expires_at)
        rt.ttl = rt.granted = max(granted, rt.granted or granted)
        rt.succeeded()
        rt.not_before = now + rt.ttl * policy.MIN_SPACING_FRACTION
        problem = await asyncio.to_thread(steps.keep_result, self.keeper, self.store, session, secret_store, result)
        written = problem is None or problem.rescued

        def apply(s: Session) -> Session:
            s = self._record(s, now, "ok")
            return s.evolve(
                state=SessionState.FRESH if problem is None else SessionState.RETRYING,
                state_reason=None if problem is None else problem.user_message,
                credentials_expire_at=result.credentials.expires_at if written else s.credentials_expire_at,
                last_refresh_at=now,
                session_ends_at=min(s.session_ends_at, ends_at),
                next_attempt_at=None,
            )

        updated = await self.table.update_session_off_loop(session.id, apply) or apply(session)
        if problem is None:
            self._publish(EventKind.REFRESHED, updated)
            return updated
        rt.not_before = None
        rt.back_off(now, rt.ttl, self.rng)
        self._publish(EventKind.RETRYING, updated, problem.user_message)
        raise problem

    def _retry(
        self, session: Session, exc: TransientServiceError | SecretStoreUnavailable, *, record: bool = False
    ) -> NoReturn:
        rt = self._rt(session.id)
        now = self.clock.now()
        rt.back_off(now, self.credential_ttl(session), self.rng)
        # What the next pass will really wait for: the backoff, and the refresh window too.
        planned = max(t for t in (rt.next_attempt_at, self.due_at(session), rt.not_before) if t is not None)
        expired = session.credentials_expire_at is not None and session.credentials_expire_at <= now
        prefix = "Credentials have expired. " if expired else ""
        reason = f"{prefix}{exc.user_message} Attempt {rt.attempts} failed."
        outcome = policy.outcome_for(exc)

        def apply(s: Session) -> Session:
            s = self._record(s, now, outcome) if record else s
            return s.evolve(state=SessionState.RETRYING, state_reason=reason, next_attempt_at=planned)

        updated = self._update(session.id, apply) or apply(session)
        self._publish(EventKind.RETRYING, updated, reason)
        raise exc

    def _needs_sign_in(self, session: Session, exc: SignInRequired, *, record: bool) -> NoReturn:
        now = self.clock.now()
        if record:
            session = self._update(session.id, lambda s: self._record(s, now, exc.reason)) or session
        if exc.reason == "TOKEN_EXPIRED":
            margin = policy.refresh_margin(self.credential_ttl(session))
            if now >= session.session_ends_at - margin:
                # The service and this clock agree closely enough: the session simply ran out.
                self._end(session)
                raise exc
            # Earlier than expected (revoked, signed out in the console): believe the service.
            session = session.evolve(session_ends_at=now)
        reason, ends_at = exc.user_message, session.session_ends_at
        signed_out = exc.reason == awslogin.SIGNED_OUT  # the user's own doing: not a failure to notify
        state = SessionState.SIGNED_OUT if signed_out else SessionState.NEEDS_SIGN_IN
        updated = self._update(
            session.id, lambda s: s.evolve(state=state, state_reason=reason, session_ends_at=ends_at)
        ) or session.evolve(state=state, state_reason=reason)
        self._rt(session.id).next_attempt_at = None
        self._publish(EventKind.UPDATED if signed_out else EventKind.NEEDS_SIGN_IN, updated, reason)
        raise exc
