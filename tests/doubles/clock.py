"""The test clocks: one that moves only when told, one that runs with real time plus an offset.

Both satisfy :class:`core.domain.ports.Clock`. ``followers`` are told every
step (for example ``emulator.advance_clock``) so that the clock of the
service under test keeps agreeing with the client's.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta

from tests.doubles.sessions import START

Follower = Callable[[float], None]


class ManualClock:
    """Wall and monotonic time that move only when told."""

    def __init__(
        self, start: datetime = START, *, monotonic_start: float = 1000.0, followers: Iterable[Follower] = ()
    ) -> None:
        self.wall = start
        self.mono = monotonic_start
        self.followers = list(followers)

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float, *, wall_only: bool = False) -> None:
        """Move wall time (and, unless ``wall_only``, monotonic time) by ``seconds``."""
        self.wall += timedelta(seconds=seconds)
        if not wall_only:
            self.mono += seconds
        for follow in self.followers:
            follow(seconds)


class OffsetClock:
    """Real time plus an offset that only the test moves."""

    def __init__(self, *, followers: Iterable[Follower] = ()) -> None:
        self.offset = 0.0
        self.followers = list(followers)

    def now(self) -> datetime:
        return datetime.now(UTC) + timedelta(seconds=self.offset)

    def monotonic(self) -> float:
        return time.monotonic() + self.offset

    def advance(self, seconds: float) -> None:
        self.offset += seconds
        for follow in self.followers:
            follow(seconds)


def fake_sleep(clock: ManualClock, log: list[float] | None = None) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves the manual clock instead of waiting."""

    async def sleep(seconds: float) -> None:
        if log is not None:
            log.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    return sleep
