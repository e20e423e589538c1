"""A session manager wired to the real sign-in client and the emulator (the browser is :mod:`tests.doubles.browser`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from core.domain.model import SessionSecrets
from core.domain.ports import Clock, SystemClock
from core.sessions.manager import SessionManager
from core.sessions.ports import SigninPort
from core.signin.client import SigninClient
from core.storage.paths import AppPaths
from core.storage.settings import Settings
from tests.doubles.browser import ApprovingBrowser
from tests.support.emulator import EmulatorHandle


@dataclass
class TimedClient:
    """Wraps a :class:`SigninClient` to measure each refresh call's latency (real time)."""

    inner: SigninClient
    latencies: list[float] = field(default_factory=list)

    async def sign_in_same_device(self, open_browser: Callable[[str], None]) -> Any:
        return await self.inner.sign_in_same_device(open_browser, timeout=30)

    async def sign_in_remote(self, prompt: Callable[[str], Awaitable[str]]) -> Any:
        return await self.inner.sign_in_remote(prompt)

    async def refresh(self, secrets: SessionSecrets, *, account_id: str | None = None) -> Any:
        started = time.perf_counter()
        try:
            return await self.inner.refresh(secrets, account_id=account_id)
        finally:
            self.latencies.append(time.perf_counter() - started)


def point_sdk_at(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)


def make_manager(
    emulator: EmulatorHandle,
    browser: ApprovingBrowser,
    *,
    clock: Clock | None = None,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    settings: Settings | None = None,
    latencies: list[float] | None = None,
    **options: Any,
) -> SessionManager:
    clock = clock or SystemClock()
    clients: dict[str, TimedClient] = {}

    def factory(region: str) -> SigninPort:
        client = TimedClient(SigninClient(region, clock=clock), latencies if latencies is not None else [])
        clients[region] = client
        return client

    return SessionManager(
        AppPaths.from_environment(),
        clock=clock,
        open_browser=browser,
        signin_factory=factory,
        settings=settings or Settings(),
        sleep=sleep,
        **options,
    )


INJECTED = ("InternalServerException", "TooManyRequestsError")
"""Exceptions only the fault injection produces: not a refusal of a token."""


def refused(emulator: EmulatorHandle) -> list[Any]:
    """Every refusal of a token request other than an injected 500/429, and every token presented twice."""
    tokens = emulator.tokens()
    spent_twice = [t for t in tokens["refresh_tokens"] if t["refused_uses"]]
    return [r for r in tokens["refused"] if r["exception"] not in INJECTED] + spent_twice
