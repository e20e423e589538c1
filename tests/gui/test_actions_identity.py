"""Every GUI way of signing a session in again asks before another principal could take its profile.

The real session manager (fake AWS Sign-In) behind the real widgets: the
browser comes back as another principal, the user discards, and no profile
changed hands. The CLI path is in tests/cli/commands/test_sessions_login.py, core's
rules in tests/core/sessions/test_identity.py.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from PySide6.QtWidgets import QMenu
from pytestqt.qtbot import QtBot

from core.domain.events import EventKind, SessionEvent
from core.domain.model import Session, SessionState
from core.sessions.identity import MismatchQuestion
from gui.actions import SessionActions
from gui.icons import IconSet
from gui.notify import SIGN_IN_AGAIN, Notifier
from gui.switcher import SwitcherWindow
from gui.tasks import TaskRunner
from gui.tray import TrayController
from tests.doubles.front_end import RecordingBackend, RecordingSink
from tests.doubles.manager_rig import Rig, make_rig, read_config
from tests.doubles.sessions import ARNS


def run_on_loop(qtbot: QtBot, runner: TaskRunner, coro: Coroutine[Any, Any, Session]) -> Session:
    task = runner.start(coro)
    qtbot.waitUntil(task.done, timeout=10_000)
    return task.result()


class Setup:
    def __init__(self, qtbot: QtBot, runner: TaskRunner) -> None:
        self.rig: Rig = make_rig()
        self.rig.service.next_arns = [ARNS[0], ARNS[4]]
        self.admin = run_on_loop(qtbot, runner, self.rig.manager.sign_in("us-east-1"))
        self.ops = run_on_loop(qtbot, runner, self.rig.manager.sign_in("us-east-1"))
        dead = self.rig.manager.table.update_session(
            self.ops.id, lambda s: s.evolve(state=SessionState.NEEDS_SIGN_IN, state_reason="Revoked.")
        )
        assert dead is not None
        self.ops = dead
        self.config = read_config(self.rig.paths)
        self.actions = SessionActions(self.rig.manager, runner)
        self.asked: list[MismatchQuestion] = []

        async def discard(_parent: object, question: MismatchQuestion) -> bool:
            self.asked.append(question)
            return False

        self.actions.ask_mismatch = discard
        self.rig.service.next_arns = [ARNS[0]]  # the browser returns the Admin card

    def assert_nothing_taken_over(self, qtbot: QtBot, sink: RecordingSink) -> None:
        qtbot.waitUntil(lambda: bool(self.asked) and not self.actions.sign_in_running, timeout=10_000)
        (question,) = self.asked
        assert question.profile_name == self.ops.profile_name
        assert question.expected == self.ops.identity.arn
        assert question.signed_in.arn == ARNS[0]
        assert read_config(self.rig.paths) == self.config
        names = {s.id: s.profile_name for s in self.rig.manager.sessions()}
        assert names == {self.admin.id: self.admin.profile_name, self.ops.id: self.ops.profile_name}
        assert sink.messages == []  # discarding is the user's choice, not an error


def switcher_button(qtbot: QtBot, setup: Setup) -> None:
    window = SwitcherWindow(setup.actions)
    qtbot.addWidget(window)
    window.present()
    row = window.proxy.mapFromSource(window.model.index(window.model.row_of(setup.ops.id), 0)).row()
    window.table.selectRow(row)
    assert window.refresh_button.text().replace("&", "") == "Sign in again…"
    window.refresh_button.click()


def tray_row(qtbot: QtBot, setup: Setup) -> None:
    tray = TrayController(
        setup.actions, IconSet(), open_switcher=lambda: None, open_settings=lambda: None, quit_app=lambda: None
    )
    tray.session_actions[setup.ops.id].trigger()


def tray_submenu(qtbot: QtBot, setup: Setup) -> None:
    tray = TrayController(
        setup.actions, IconSet(), open_switcher=lambda: None, open_settings=lambda: None, quit_app=lambda: None
    )
    sub = next(a.menu() for a in tray.manage_menu.actions() if a.text() == setup.ops.profile_name)
    assert isinstance(sub, QMenu)
    next(a for a in sub.actions() if a.text().replace("&", "") == "Sign in again…").trigger()


def notification_action(qtbot: QtBot, setup: Setup) -> None:
    backend = RecordingBackend()
    notifier = Notifier(setup.actions, backend)
    notifier.on_event(SessionEvent(EventKind.NEEDS_SIGN_IN, setup.ops, "Revoked."))
    note, callback = backend.shown[0]
    callback(note, SIGN_IN_AGAIN)


@pytest.mark.parametrize(
    "entry", [switcher_button, tray_row, tray_submenu, notification_action], ids=lambda f: f.__name__
)
def test_signing_in_again_as_someone_else_takes_over_no_profile(
    qtbot: QtBot,
    runner: TaskRunner,
    sink: RecordingSink,
    qasync_loop: asyncio.AbstractEventLoop,
    entry: Callable[[QtBot, Setup], None],
) -> None:
    setup = Setup(qtbot, runner)
    entry(qtbot, setup)
    setup.assert_nothing_taken_over(qtbot, sink)
