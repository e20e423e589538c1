"""What the refresh engine remembers about one session between passes (not persisted): its retry gates."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.sessions import policy


@dataclass
class SessionRuntime:
    """One session's attempts, retry gates, granted lifetime and lead warnings already given."""

    attempts: int = 0
    next_attempt_at: datetime | None = None
    not_before: datetime | None = None
    ttl: timedelta | None = None
    fired_leads: set[int] = field(default_factory=set)
    granted: timedelta | None = None  # the longest lifetime a token response granted: what proves a session's end

    def gate_open(self, now: datetime) -> bool:
        """True when neither a backoff nor the minimum spacing holds the next attempt back."""
        return (self.next_attempt_at is None or now >= self.next_attempt_at) and (
            self.not_before is None or now >= self.not_before
        )

    def open_gates(self) -> None:
        """Forget both gates (they were computed on a clock that has since jumped)."""
        self.next_attempt_at = None
        self.not_before = None

    def back_off(self, now: datetime, ttl: timedelta, rng: random.Random) -> datetime:
        """One more failed attempt: the next one waits the jittered backoff; returns when."""
        self.attempts += 1
        self.next_attempt_at = now + timedelta(seconds=policy.backoff_delay(self.attempts, ttl, rng))
        return self.next_attempt_at

    def succeeded(self) -> None:
        """A refresh worked (here or elsewhere): the next failure starts the backoff afresh."""
        self.attempts, self.next_attempt_at = 0, None
