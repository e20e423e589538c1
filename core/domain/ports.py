"""Abilities core needs but never reaches for itself.

Each is passed in by a composition root: the GUI has one implementation,
the CLI another, tests a fake. Core never learns whether a dialog or a
terminal answered.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Wall time and monotonic time, separately, so sleep/wake can be seen."""

    def now(self) -> datetime:
        """The current wall-clock time, timezone-aware UTC."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never jumps (for detecting wall-clock jumps)."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


BrowserOpener = Callable[[str], None]
"""Opens ``url`` for the user; must return at once (the page is handled elsewhere)."""

CodePrompt = Callable[[str], Awaitable[str]]
"""Shows the cross-device sign-in ``url`` and returns the verification code the user pasted."""
