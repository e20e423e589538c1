"""When to refresh and how long to back off: the engine's timing rules, as fractions of the credential lifetime."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from core.domain.errors import TransientServiceError

DEFAULT_CREDENTIAL_TTL = timedelta(seconds=900)
"""Assumed lifetime of credentials whose issue time is unknown."""
REFRESH_FRACTION = 0.6
"""Refresh when less than this fraction of the credential lifetime remains."""
MIN_SPACING_FRACTION = 0.05
"""Never refresh one session in the background more often than this fraction of its lifetime."""
BACKOFF_BASE_FRACTION = 1 / 450
"""First retry delay as a fraction of the lifetime (2 s for 900 s credentials)."""
BACKOFF_CAP_FRACTION = 1 / 15
"""Longest retry delay as a fraction of the lifetime (60 s for 900 s credentials)."""
MAX_IDLE_SLEEP = 15.0
"""Longest sleep between checks, in seconds, so a wake from suspend is noticed soon."""
JUMP_TOLERANCE = 5.0
"""Wall-clock progress differing from monotonic progress by more than this is a jump."""
END_TOLERANCE = timedelta(seconds=2)
"""AWS counts lifetimes in whole seconds: credentials expiring this close to the
session's end are taken to last until it (and do not move the end earlier)."""


def refresh_margin(ttl: timedelta) -> timedelta:
    """How much validity left makes credentials of lifetime ``ttl`` due for refresh."""
    return ttl * REFRESH_FRACTION


def backoff_delay(attempt: int, ttl: timedelta, rng: random.Random) -> float:
    """Seconds before retry number ``attempt`` (1-based): exponential, capped, jittered.

    The delay lies in ``[ceiling / 2, ceiling]`` where the ceiling doubles per
    attempt from ``ttl * BACKOFF_BASE_FRACTION`` up to ``ttl * BACKOFF_CAP_FRACTION``;
    the jitter keeps five sessions (or two processes) from retrying in step.
    """
    seconds = ttl.total_seconds()
    ceiling = min(seconds * BACKOFF_CAP_FRACTION, seconds * BACKOFF_BASE_FRACTION * 2 ** max(attempt - 1, 0))
    return rng.uniform(ceiling / 2, ceiling)


def describe_duration(delta: timedelta) -> str:
    """``12-hour``, ``90-minute`` or ``45-second`` (rounded): for messages."""
    seconds = delta.total_seconds()
    if seconds >= 50 * 60:
        return f"{round(seconds / 3600)}-hour"
    if seconds >= 60:
        return f"{round(seconds / 60)}-minute"
    return f"{round(seconds)}-second"


def learned_end(ends_at: datetime, granted: timedelta, usual: timedelta | None, expires_at: datetime) -> datetime:
    """The session's end after a refresh that granted ``granted``.

    AWS grants no credentials beyond the session's end and otherwise always
    the same whole number of seconds, so a grant shorter than ``usual`` (the
    longest one AWS granted before, in a token response this process saw)
    proves the end: the moment those credentials stop, in whole seconds as the
    credentials file states it. Without such a grant nothing is proven: a
    lifetime guessed from timestamps (botocore may have refreshed in between)
    never moves the end.
    """
    if usual is None or granted >= usual:
        return ends_at
    return min(ends_at, expires_at.replace(microsecond=0))


def clock_problem() -> TransientServiceError:
    """What a refresh refused as invalid most likely means, worded for the user (and retried)."""
    return ClockProblem(
        "AWS Sign-In refused the refresh as invalid. Each request carries this computer's time (DPoP), "
        "so a clock that is off by more than a minute causes this: check it (for example `timedatectl`). "
        "The session is kept.",
        status=400,
    )


class ClockProblem(TransientServiceError):
    """A refusal that a wrong clock explains: retried, never a reason to sign in again."""


class UnexpectedFailure(TransientServiceError):
    """A refresh failed in a way nothing foresaw (a bug, a module replaced under a running process): backed off."""


def unexpected_failure(exc: BaseException) -> UnexpectedFailure:
    """What an unforeseen failure of a refresh says (type and a short message), retried with backoff."""
    detail = " ".join(str(exc).split())[:160]
    what = f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__
    return UnexpectedFailure(
        f"The refresh failed unexpectedly ({what}); it is retried. If this persists, restart aws-login-tray."
    )


def outcome_for(exc: Exception) -> str:
    """The outcome recorded in a session's history for a failed refresh (CloudTrail's words where it has them)."""
    if isinstance(exc, ClockProblem):
        return "ValidationException"
    if isinstance(exc, UnexpectedFailure):
        return "unexpected_error"
    if isinstance(exc, TransientServiceError):
        if exc.status == 429:
            return "TooManyRequestsError"
        if exc.status is not None and exc.status >= 500:
            return "server_error"
        return "network_error"
    return type(exc).__name__
