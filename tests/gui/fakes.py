"""Fakes at the core boundary for GUI tests."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from core.domain.model import CredentialMode, Session
from gui.notify import ActionCallback, Notification
from gui.preview import InMemorySessionService, sample_sessions


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime) -> None:
        self.current = start
        self._mono = 1000.0

    def now(self) -> datetime:
        return self.current

    def monotonic(self) -> float:
        return self._mono

    def advance(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        self._mono += seconds


class FakeService(InMemorySessionService):
    """The in-memory service, recording every call the GUI makes."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__(clock)
        self.calls: list[tuple[str, tuple[Any, ...]]] = []
        self.fail_with: BaseException | None = None

    def fill(self, count: int = 5, active: int | None = 0) -> list[Session]:
        self.seed(sample_sessions(self.now(), count))
        ordered = self.sessions()
        self.seed(ordered, ordered[active].id if active is not None and ordered else None)
        return ordered

    async def _maybe_fail(self, name: str, *args: Any) -> None:
        self.calls.append((name, args))
        if self.fail_with is not None:
            raise self.fail_with

    async def sign_in(
        self,
        region: str,
        profile_name: str | None = None,
        *,
        remote: bool = False,
        credential_mode: CredentialMode | None = None,
    ) -> Session:
        await self._maybe_fail("sign_in", region, profile_name, remote)
        return await super().sign_in(region, profile_name, remote=remote, credential_mode=credential_mode)

    async def refresh(self, session_id: str) -> Session:
        await self._maybe_fail("refresh", session_id)
        return await super().refresh(session_id)

    async def sign_out(self, session_id: str) -> None:
        await self._maybe_fail("sign_out", session_id)
        await super().sign_out(session_id)

    async def set_active(self, session_id: str) -> None:
        await self._maybe_fail("set_active", session_id)
        await super().set_active(session_id)

    async def rename_profile(self, session_id: str, profile_name: str) -> Session:
        await self._maybe_fail("rename_profile", session_id, profile_name)
        return await super().rename_profile(session_id, profile_name)

    async def set_region(self, session_id: str, region: str) -> Session:
        await self._maybe_fail("set_region", session_id, region)
        return await super().set_region(session_id, region)

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]


class RecordingSink:
    """An error sink that remembers what it was asked to show."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def __call__(self, title: str, text: str) -> None:
        self.messages.append((title, text))


class RecordingBackend:
    """A notification backend that keeps what it was given."""

    def __init__(self) -> None:
        self.shown: list[tuple[Notification, ActionCallback]] = []

    def show(self, note: Notification, on_action: ActionCallback) -> None:
        self.shown.append((note, on_action))
