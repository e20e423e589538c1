"""How core announces changes: a tiny synchronous publish/subscribe bus.

Core owns the state; the GUI and the CLI subscribe and render. Subscribers
are called on the thread that publishes (core's asyncio loop), in order.
A subscriber that raises is logged and does not stop the others.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum

from core.domain.model import Session

log = logging.getLogger(__name__)


class EventKind(StrEnum):
    """What happened to a session."""

    ADDED = "added"
    UPDATED = "updated"
    """Metadata changed: profile renamed, region changed, state text."""
    REFRESHING = "refreshing"
    REFRESHED = "refreshed"
    RETRYING = "retrying"
    EXPIRING_SOON = "expiring_soon"
    NEEDS_SIGN_IN = "needs_sign_in"
    ENDED = "ended"
    REMOVED = "removed"
    """Signed out by the user: the session is gone."""
    ACTIVE_CHANGED = "active_changed"
    """The active profile now points at ``session`` (None: no active session)."""


@dataclass(frozen=True)
class SessionEvent:
    """One announcement. ``session`` is a snapshot taken after the change."""

    kind: EventKind
    session: Session | None
    detail: str | None = None
    """Human-readable reason (the error text for RETRYING / NEEDS_SIGN_IN)."""
    lead: timedelta | None = None
    """For EXPIRING_SOON: which configured lead time was crossed."""


Subscriber = Callable[[SessionEvent], None]


class EventBus:
    """Fan one stream of :class:`SessionEvent` out to subscribers."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add ``subscriber``; returns a function that removes it."""
        self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            if subscriber in self._subscribers:
                self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: SessionEvent) -> None:
        """Deliver ``event`` to every subscriber, isolating their failures."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber failed on %s", event.kind)
