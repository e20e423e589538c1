"""A session manager wired to the fakes: manual clock, fake AWS Sign-In, memory secret store."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from core.awsconfig.writer import AwsConfigWriter
from core.sessions.manager import SessionManager
from core.storage.paths import AppPaths
from core.storage.settings import Settings
from tests.doubles.clock import ManualClock, fake_sleep
from tests.doubles.secret_store import MemorySecretStore
from tests.doubles.sessions import ARNS
from tests.doubles.signin_service import FakeSignIn, FakeSigninClient


@dataclass
class Rig:
    """A manager wired to fakes."""

    clock: ManualClock
    service: FakeSignIn
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
    clock: ManualClock | None = None,
    service: FakeSignIn | None = None,
    secrets: MemorySecretStore | None = None,
) -> Rig:
    clock = clock or ManualClock()
    service = service or FakeSignIn(clock, ttl=ttl, session_duration=session_duration, next_arns=list(ARNS))
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
