"""The event bus: order, and one failing subscriber never stops the others."""

from __future__ import annotations

import logging

import pytest

from core.domain.events import EventBus, EventKind, SessionEvent


def test_bus_delivers_in_order_and_isolates_a_failing_subscriber(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[str] = []

    def broken(event: SessionEvent) -> None:
        raise RuntimeError("boom")

    bus.subscribe(lambda e: seen.append("first:" + e.kind))
    bus.subscribe(broken)
    unsubscribe = bus.subscribe(lambda e: seen.append("last:" + e.kind))
    with caplog.at_level(logging.ERROR):
        bus.publish(SessionEvent(EventKind.ADDED, None))
    unsubscribe()
    bus.publish(SessionEvent(EventKind.ENDED, None))
    assert seen == ["first:added", "last:added", "first:ended"]
    assert "subscriber failed" in caplog.text
