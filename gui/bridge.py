"""Core events into Qt signals.

Core publishes on its asyncio loop, which under qasync *is* the Qt thread,
so widgets may react directly; the bridge just gives them a Qt signal to
connect to and one place to unsubscribe.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from core.domain.events import SessionEvent
from core.sessions.service import SessionService


class EventBridge(QObject):
    """Re-emits every :class:`core.domain.events.SessionEvent` as ``core_event``."""

    core_event = Signal(object)

    def __init__(self, service: SessionService, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._unsubscribe = service.events.subscribe(self._deliver)

    def _deliver(self, event: SessionEvent) -> None:
        self.core_event.emit(event)

    def close(self) -> None:
        """Stop listening to core."""
        self._unsubscribe()
