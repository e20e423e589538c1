"""GUI test setup: offscreen Qt, one qasync loop for the whole session, a fake core."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication

from gui.actions import SessionActions
from gui.errors import ErrorPresenter
from gui.tasks import TaskRunner
from tests.doubles.clock import ManualClock
from tests.doubles.front_end import RecordingSink
from tests.doubles.session_service import RecordingSessionService


@pytest.fixture(scope="session")
def _session_qasync_loop(qapp: QApplication) -> Iterator[asyncio.AbstractEventLoop]:
    """One qasync loop over pytest-qt's QApplication (a second loop would never wake its timers)."""
    import qasync

    loop = qasync.QEventLoop(qapp, already_running=True)
    executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="gui-test")
    loop.set_default_executor(executor)
    yield loop
    executor.shutdown(wait=True)


@pytest.fixture
def qasync_loop(_session_qasync_loop: asyncio.AbstractEventLoop) -> Iterator[asyncio.AbstractEventLoop]:
    """The shared loop, marked running only while a GUI test uses it.

    qasync marks an ``already_running`` loop as asyncio's running loop for
    the whole thread; left that way, every later ``asyncio.run`` (the CLI's,
    the manager tests') would fail with "cannot be called from a running
    event loop", so the mark is set and cleared around each test.
    """
    asyncio.events._set_running_loop(_session_qasync_loop)
    asyncio.set_event_loop(_session_qasync_loop)
    yield _session_qasync_loop
    asyncio.events._set_running_loop(None)
    asyncio.set_event_loop(None)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC))


@pytest.fixture
def service(clock: ManualClock) -> RecordingSessionService:
    return RecordingSessionService(clock)


@pytest.fixture
def sink() -> RecordingSink:
    return RecordingSink()


@pytest.fixture
def runner(qasync_loop: asyncio.AbstractEventLoop, sink: RecordingSink) -> TaskRunner:
    return TaskRunner(ErrorPresenter(sink), qasync_loop)


@pytest.fixture
def actions(service: RecordingSessionService, runner: TaskRunner) -> SessionActions:
    return SessionActions(service, runner)
