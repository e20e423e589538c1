"""The task runner: results and failures routed, cancellation silent."""

from __future__ import annotations

import asyncio

from pytestqt.qtbot import QtBot

from core.domain.errors import SessionLimitReached, SignInCancelled
from gui.tasks import TaskRunner
from tests.doubles.front_end import RecordingSink


def test_runner_routes_failures_and_results(qtbot: QtBot, runner: TaskRunner, sink: RecordingSink) -> None:
    results: list[int] = []
    done: list[str] = []

    async def ok() -> int:
        await asyncio.sleep(0)
        return 7

    async def fails() -> int:
        raise SessionLimitReached("Sign one out first.")

    async def cancelled() -> int:
        raise SignInCancelled("closed the browser")

    runner.start(ok(), on_success=results.append, on_done=lambda: done.append("ok"))
    runner.start(fails(), context="Sign in", on_done=lambda: done.append("fails"))
    runner.start(cancelled(), context="Sign in", on_done=lambda: done.append("cancelled"))
    qtbot.waitUntil(lambda: len(done) == 3)
    assert results == [7]
    assert sink.messages == [("aws-login-tray: Sign in", "Sign one out first.")]
    assert not runner.pending


def test_cancelling_a_task_is_silent(qtbot: QtBot, runner: TaskRunner, sink: RecordingSink) -> None:
    async def forever() -> None:
        await asyncio.Event().wait()

    task = runner.start(forever(), context="Sign in")
    task.cancel()
    qtbot.waitUntil(task.done)
    qtbot.waitUntil(lambda: not runner.pending)
    assert sink.messages == []
