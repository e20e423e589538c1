from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from pytestqt.qtbot import QtBot

from core.domain.events import EventKind
from gui.actions import SessionActions
from gui.doctor import DoctorPanel, Finding
from gui.switcher import SwitcherWindow
from gui.tasks import TaskRunner
from tests.doubles.session_service import RecordingSessionService
from tests.doubles.widgets import make_switcher


def test_empty_state_explains_how_to_sign_in(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    window = make_switcher(qtbot, service, actions)
    assert window.pages.currentWidget() is window.empty
    assert "Sign in…" in window.empty.text()
    service.fill(1)
    window.reload()
    assert window.pages.currentWidget() is not window.empty


def test_filter_as_you_type(qtbot: QtBot, service: RecordingSessionService, actions: SessionActions) -> None:
    sessions = service.fill(5)
    window = make_switcher(qtbot, service, actions)
    assert window.proxy.rowCount() == 5
    QTest.keyClicks(window.filter, "readonly")
    assert window.proxy.rowCount() == 1
    assert window.selected_id() == next(s.id for s in sessions if s.profile_name == "work-readonly")
    window.filter.clear()
    QTest.keyClicks(window.filter, "111122223333")
    assert window.proxy.rowCount() == 2
    window.filter.clear()
    QTest.keyClicks(window.filter, "eu-central")
    assert window.proxy.rowCount() == 1


def test_enter_makes_the_selected_session_active(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(3, active=0)
    window = make_switcher(qtbot, service, actions)
    window.table.setFocus()
    window.table.selectRow(0)
    QTest.keyClick(window.table, Qt.Key.Key_Down)
    assert window.selected_id() == sessions[1].id
    QTest.keyClick(window.table, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: service.active_session_id() == sessions[1].id)
    assert window.model.index(1, 0).data(Qt.ItemDataRole.AccessibleTextRole).endswith(", active")


def test_delete_signs_out_after_confirmation(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(2)
    asked: list[str] = []
    answers = iter([False, True])

    def confirm(_parent: object, _title: str, text: str, _accept: str = "") -> bool:
        asked.append(text)
        return next(answers)

    actions.confirm = confirm
    window = make_switcher(qtbot, service, actions)
    window.table.selectRow(0)
    QTest.keyClick(window.table, Qt.Key.Key_Delete)
    assert len(asked) == 1
    assert sessions[0].profile_name in asked[0]
    assert "sign_out" not in service.names()
    QTest.keyClick(window.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: len(service.sessions()) == 1)
    assert ("sign_out", (sessions[0].id,)) in service.calls
    assert window.model.rowCount() == 1


def test_a_sign_out_that_leaves_an_aws_login_sign_in_says_so(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, monkeypatch: pytest.MonkeyPatch
) -> None:
    sessions = service.fill(1)
    notice = f"Left the `aws login` sign-in of profile {sessions[0].profile_name} and the profile in place."
    plain_sign_out = service.sign_out

    async def sign_out_leaving_it(session_id: str) -> str | None:
        await plain_sign_out(session_id)
        return notice

    monkeypatch.setattr(service, "sign_out", sign_out_leaving_it)
    actions.confirm = lambda *_args: True
    window = make_switcher(qtbot, service, actions)
    window.table.selectRow(0)
    QTest.keyClick(window.table, Qt.Key.Key_Delete)
    qtbot.waitUntil(lambda: window.message.isVisible() and window.message.text() == notice)


def test_f2_renames_the_profile(qtbot: QtBot, service: RecordingSessionService, actions: SessionActions) -> None:
    sessions = service.fill(2)

    async def answer(_p: object, _t: str, _text: str, current: str, **_kw: object) -> str:
        return current + "-renamed"

    actions.ask_name = answer
    window = make_switcher(qtbot, service, actions)
    window.table.selectRow(1)
    QTest.keyClick(window.table, Qt.Key.Key_F2)
    qtbot.waitUntil(lambda: service.sessions()[1].profile_name == sessions[1].profile_name + "-renamed")
    assert window.model.index(1, 0).data().startswith(sessions[1].profile_name + "-renamed")


def test_details_show_arn_and_cloudtrail_history(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(2)
    window = make_switcher(qtbot, service, actions)
    window.table.selectRow(0)
    assert window.arn_label.text() == sessions[0].identity.arn
    items = [window.history.item(i).text() for i in range(window.history.count())]
    assert len(items) == len(sessions[0].history)
    assert "AuthorizeOAuth2Access" in items[-1]
    assert all("CreateOAuth2Token" in item for item in items[:-2])


def test_doctor_findings_with_fix_button(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions, runner: TaskRunner
) -> None:
    service.fill(1)
    findings = [Finding("Profile old: sts_regional_endpoints is not set", "detail", "Fix", "old")]
    fixed: list[object] = []

    async def check() -> list[Finding]:
        return [f for f in findings if f.handle not in fixed]

    async def fix(finding: Finding) -> None:
        fixed.append(finding.handle)

    panel = DoctorPanel(runner, check, fix)
    window = SwitcherWindow(actions, panel)
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: panel.findings == findings)
    assert "1 problem" in panel.status.text()
    panel.apply_fix(findings[0])
    qtbot.waitUntil(lambda: "No problems" in panel.status.text())
    assert fixed == ["old"]


def test_a_hidden_switcher_renders_core_events_only_when_shown(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(2)
    window = make_switcher(qtbot, service, actions)
    window.hide()
    renders: list[int] = []
    window.model.modelReset.connect(lambda: renders.append(1))
    window.model.dataChanged.connect(lambda *_: renders.append(1))
    service.seed(sessions[:1])
    for _ in range(5):
        service.publish(EventKind.REMOVED, sessions[1])
    assert renders == [], "a refresh round costs a hidden switcher nothing"
    assert window.model.rowCount() == 2
    window.present()
    assert window.model.rowCount() == 1
    assert len(renders) == 1
