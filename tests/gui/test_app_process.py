"""The real app as a process: a second launch hands over and exits 0; SIGTERM quits cleanly; few threads idle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from core.domain.errors import SignInCancelled
from gui.dialogs import DialogCodePrompt

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_second_launch_and_sigterm(isolated_home: Path) -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(REPO)}
    command = [sys.executable, "-m", "aws_login_tray"]
    first = subprocess.Popen(command, env=env, cwd=REPO, stderr=subprocess.PIPE, text=True)
    assert first.stderr is not None
    ready = threading.Event()
    lines: list[str] = []

    def read() -> None:
        assert first.stderr is not None
        for line in first.stderr:
            lines.append(line)
            if "ready:" in line:
                ready.set()

    threading.Thread(target=read, daemon=True).start()
    try:
        assert ready.wait(60), "".join(lines)
        _assert_few_threads_when_idle(first.pid)
        second = subprocess.run(command, env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False)
        assert second.returncode == 0
        assert "already running" in second.stderr
        first.send_signal(signal.SIGTERM)
        assert first.wait(60) == 0
    finally:
        if first.poll() is None:
            first.kill()
            first.wait(10)


def _assert_few_threads_when_idle(pid: int) -> None:
    """Worker threads start on demand: an idle tray is not holding a pool of ten (qasync's default)."""
    time.sleep(1.0)  # the start-up work that needs a worker has run
    names = [(task / "comm").read_text().strip() for task in Path(f"/proc/{pid}/task").iterdir()]
    assert len(names) <= 5, names  # main, Qt's event reader and D-Bus threads at most, a worker or two


def test_code_prompt_returns_the_pasted_code(qtbot: QtBot, qasync_loop: object) -> None:
    import asyncio

    assert isinstance(qasync_loop, asyncio.AbstractEventLoop)
    prompt = DialogCodePrompt()
    task = qasync_loop.create_task(prompt("http://127.0.0.1:1/v1/authorize?x=1"))
    qtbot.waitUntil(lambda: prompt.dialog is not None and prompt.dialog.isVisible())
    assert prompt.dialog is not None
    assert prompt.dialog.url.text().endswith("x=1")
    prompt.dialog.code.setText("  c3RhdGU9YQ==  ")
    prompt.dialog.accept()
    qtbot.waitUntil(task.done)
    assert task.result() == "c3RhdGU9YQ=="

    cancelled = qasync_loop.create_task(prompt("http://127.0.0.1:1/"))
    qtbot.waitUntil(lambda: prompt.dialog is not None and prompt.dialog.isVisible())
    assert prompt.dialog is not None
    prompt.dialog.reject()
    qtbot.waitUntil(cancelled.done)
    assert isinstance(cancelled.exception(), SignInCancelled)
