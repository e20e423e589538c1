"""Fakes at the engine's boundaries: a clock, a sign-in service with rotating tokens, a secret store."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.awsconfig.writer import AwsConfigWriter
from core.domain.errors import SignInRequired
from core.domain.model import Credentials, Identity, Session, SessionSecrets
from core.domain.ports import BrowserOpener, CodePrompt
from core.sessions.manager import SessionManager
from core.storage.paths import AppPaths
from core.storage.settings import Settings

START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)

ARNS = [
    "arn:aws:sts::111122223333:assumed-role/Admin/alice",
    "arn:aws:sts::111122223333:assumed-role/ReadOnly/alice",
    "arn:aws:sts::444455556666:assumed-role/Dev/alice",
    "arn:aws:iam::444455556666:user/alice",
    "arn:aws:sts::777788889999:assumed-role/Ops/alice",
    "arn:aws:sts::777788889999:assumed-role/Audit/alice",
]


class FakeClock:
    """Wall and monotonic time that move only when told."""

    def __init__(self, start: datetime = START) -> None:
        self.wall = start
        self.mono = 1000.0

    def now(self) -> datetime:
        return self.wall

    def monotonic(self) -> float:
        return self.mono

    def advance(self, seconds: float, *, wall_only: bool = False) -> None:
        self.wall += timedelta(seconds=seconds)
        if not wall_only:
            self.mono += seconds


def fake_sleep(clock: FakeClock, log: list[float] | None = None) -> Callable[[float], Awaitable[None]]:
    """A sleep that moves the fake clock instead of waiting."""

    async def sleep(seconds: float) -> None:
        if log is not None:
            log.append(seconds)
        clock.advance(seconds)
        await asyncio.sleep(0)

    return sleep


@dataclass(frozen=True)
class FakeResult:
    credentials: Credentials
    secrets: SessionSecrets
    identity: Identity | None
    expires_in: int


@dataclass
class FakeService:
    """A stand-in for AWS Sign-In: rotating single-use refresh tokens, scripted failures."""

    clock: FakeClock
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
    """One region's client over a shared :class:`FakeService`."""

    def __init__(self, service: FakeService, region: str) -> None:
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


class MemorySecretStore:
    """Secrets in a dict, with an ordering log."""

    def __init__(self, events: list[str] | None = None) -> None:
        self.data: dict[str, SessionSecrets] = {}
        self.events = events if events is not None else []
        self.fail: Exception | None = None

    def load(self, session: Session) -> SessionSecrets | None:
        if self.fail is not None:
            raise self.fail
        return self.data.get(session.id)

    def load_credentials(self, session: Session) -> Credentials | None:
        return None

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
        if self.fail is not None:
            raise self.fail
        self.events.append(f"stored:{secrets.refresh_token}")
        self.data[session.id] = secrets

    def delete(self, session: Session) -> None:
        self.data.pop(session.id, None)

    def probe(self) -> None:
        if self.fail is not None:
            raise self.fail


@dataclass
class Rig:
    """A manager wired to fakes."""

    clock: FakeClock
    service: FakeService
    secrets: MemorySecretStore
    manager: SessionManager
    paths: AppPaths
    opened: list[str]
    sleeps: list[float]


def make_rig(
    *,
    ttl: int = 900,
    session_duration: timedelta = timedelta(hours=12),
    settings: Settings | None = None,
    clock: FakeClock | None = None,
    service: FakeService | None = None,
    secrets: MemorySecretStore | None = None,
) -> Rig:
    clock = clock or FakeClock()
    service = service or FakeService(clock, ttl=ttl, session_duration=session_duration, next_arns=list(ARNS))
    secrets = secrets or MemorySecretStore(service.events)
    paths = AppPaths.from_environment()
    opened: list[str] = []
    sleeps: list[float] = []
    manager = SessionManager(
        paths,
        clock=clock,
        open_browser=opened.append,
        signin_factory=lambda region: FakeSigninClient(service, region),
        config_writer=AwsConfigWriter(paths.aws_config_file, paths.locks_dir / "aws-config.lock"),
        secret_store=secrets,
        settings=settings or Settings(),
        sleep=fake_sleep(clock, sleeps),
        session_duration=session_duration,
    )
    return Rig(clock, service, secrets, manager, paths, opened, sleeps)


def read_config(paths: AppPaths) -> str:
    path: Path = paths.aws_config_file
    return path.read_text() if path.exists() else ""
