"""A stand-in for AWS Sign-In: rotating single-use refresh tokens, scripted failures, one client per Region."""

from __future__ import annotations

import asyncio
import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.domain.errors import SignInRequired
from core.domain.model import Credentials, Identity, SessionSecrets
from core.domain.ports import BrowserOpener, CodePrompt
from tests.doubles.clock import ManualClock


@dataclass(frozen=True)
class FakeResult:
    credentials: Credentials
    secrets: SessionSecrets
    identity: Identity | None
    expires_in: int


@dataclass
class FakeSignIn:
    """A stand-in for AWS Sign-In: rotating single-use refresh tokens, scripted failures."""

    clock: ManualClock
    ttl: int = 900
    session_duration: timedelta = timedelta(hours=12)
    valid_tokens: dict[str, str] = field(default_factory=dict)
    """refresh token -> session ARN."""
    ends_at: dict[str, datetime] = field(default_factory=dict)
    refused: list[str] = field(default_factory=list)
    """Reasons for refusing tokens that were already spent (must stay empty)."""
    calls: list[tuple[str, datetime]] = field(default_factory=list)
    faults: list[Exception] = field(default_factory=list)
    next_arns: list[str] = field(default_factory=list)
    gate: asyncio.Event | None = None
    counter: itertools.count[int] = field(default_factory=itertools.count)
    events: list[str] = field(default_factory=list)
    """Ordering log shared with the secret store."""

    def _credentials(self, arn: str) -> tuple[Credentials, int]:
        now = self.clock.now()
        left = int((self.ends_at[arn] - now).total_seconds())
        expires_in = max(1, min(self.ttl, left))
        n = next(self.counter)
        creds = Credentials(
            f"ASIA{n:016d}",
            f"secret{n}",
            f"token{n}",
            now + timedelta(seconds=expires_in),
            Identity.from_arn(arn).account_id,
        )
        return creds, expires_in

    def _new_token(self, arn: str) -> str:
        token = f"ASOR-{next(self.counter)}"
        self.valid_tokens[token] = arn
        return token

    async def refresh(self, secrets: SessionSecrets, account_id: str | None) -> FakeResult:
        self.calls.append((secrets.refresh_token, self.clock.now()))
        if self.gate is not None:
            await self.gate.wait()
        if self.faults:
            raise self.faults.pop(0)
        arn = self.valid_tokens.pop(secrets.refresh_token, None)
        if arn is None:
            self.refused.append(secrets.refresh_token)
            raise SignInRequired("refresh token already used", "INVALID_TOKEN_REUSE")
        if self.clock.now() >= self.ends_at[arn]:
            raise SignInRequired("The session has reached its maximum duration; sign in again.", "TOKEN_EXPIRED")
        creds, expires_in = self._credentials(arn)
        token = self._new_token(arn)
        self.events.append(f"issued:{token}")
        return FakeResult(creds, SessionSecrets(token, "PEM", secrets.client_id, secrets.id_token), None, expires_in)

    def sign_in(self) -> FakeResult:
        arn = self.next_arns.pop(0)
        self.ends_at[arn] = self.clock.now() + self.session_duration
        creds, expires_in = self._credentials(arn)
        token = self._new_token(arn)
        return FakeResult(
            creds,
            SessionSecrets(token, "PEM", "arn:aws:signin:::devtools/same-device", None),
            Identity.from_arn(arn),
            expires_in,
        )

    def revoke(self, arn: str) -> None:
        self.ends_at[arn] = self.clock.now()


class FakeSigninClient:
    """One region's client over a shared :class:`FakeSignIn`."""

    def __init__(self, service: FakeSignIn, region: str) -> None:
        self.service = service
        self.region = region
        self.browser_opened: list[str] = []

    async def sign_in_same_device(self, open_browser: BrowserOpener) -> FakeResult:
        open_browser(f"https://{self.region}.signin.example/v1/authorize")
        return self.service.sign_in()

    async def sign_in_remote(self, prompt: CodePrompt) -> FakeResult:
        await prompt(f"https://{self.region}.signin.example/v1/authorize")
        return self.service.sign_in()

    async def refresh(self, secrets: SessionSecrets, *, account_id: str | None = None) -> FakeResult:
        return await self.service.refresh(secrets, account_id)
