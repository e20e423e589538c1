"""Rename checks the name as it is typed and keeps the text; a friendly name is offered at first sign-in."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from core.domain.model import Identity
from gui.actions import SessionActions
from gui.prompts import NameDialog
from tests.doubles.session_service import RecordingSessionService


def open_dialog() -> NameDialog:
    return next(w for w in QApplication.topLevelWidgets() if isinstance(w, NameDialog) and w.isVisible())


def test_rename_says_what_is_wrong_while_typing_and_keeps_the_text(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    first, second = service.fill(2)
    assert actions.rename(first.id)
    qtbot.waitUntil(lambda: any(isinstance(w, NameDialog) and w.isVisible() for w in QApplication.topLevelWidgets()))
    dialog = open_dialog()
    assert dialog.name.text() == first.profile_name
    dialog.name.setText(second.profile_name)
    assert not dialog.accept_button.isEnabled()
    assert "another session" in dialog.problem.text()
    dialog.name.setText("default")
    assert "active profile" in dialog.problem.text()
    dialog.name.setText("my work")
    assert "spaces" in dialog.problem.text()
    assert dialog.name.text() == "my work"  # nothing typed is lost
    dialog.name.setText("my-work")
    assert dialog.accept_button.isEnabled()
    assert dialog.problem.text() == ""
    dialog.accept_button.click()
    qtbot.waitUntil(lambda: ("rename_profile", (first.id, "my-work")) in service.calls)


def test_a_first_sign_in_under_the_default_name_is_offered_a_short_one(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    arn = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
    service.sign_in_as = arn
    offered: list[tuple[str, str, str]] = []

    async def answer(_p: object, _title: str, _text: str, suggestion: str, **kw: object) -> str:
        offered.append((suggestion, str(kw["accept"]), str(kw["keep"])))
        return suggestion

    actions.ask_name = answer
    assert actions.sign_in(region="us-east-1")
    default = Identity.from_arn(arn).default_profile_name
    qtbot.waitUntil(lambda: "rename_profile" in service.names())
    assert ("rename_profile", (service.sessions()[0].id, "admin")) in service.calls
    assert offered == [("admin", "Use this name", f"Keep {default}")]
    assert service.sessions()[0].profile_name == "admin"


def test_signing_in_again_offers_no_new_name(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    sessions = service.fill(2)
    asked: list[str] = []

    async def answer(*_a: object, **_kw: object) -> None:
        asked.append("asked")

    actions.ask_name = answer
    assert actions.sign_in_again(sessions[0].id)
    qtbot.waitUntil(lambda: not actions.sign_in_running)
    qtbot.wait(50)
    assert asked == []


def test_while_the_browser_waits_the_switcher_offers_cancel_and_copy_link(
    qtbot: QtBot, service: RecordingSessionService, actions: SessionActions
) -> None:
    from gui.switcher import SwitcherWindow

    service.fill(2)
    service.sign_in_delay = 5.0
    window = SwitcherWindow(actions)
    qtbot.addWidget(window)
    window.present()
    assert actions.sign_in(region="us-east-1")
    assert window.waiting_label.isVisibleTo(window)
    assert window.cancel_sign_in_button.isVisibleTo(window)
    assert not window.copy_link_button.isVisibleTo(window)  # no page opened yet
    actions.note_sign_in_url("http://127.0.0.1:1/v1/authorize?state=s")
    assert window.copy_link_button.isVisibleTo(window)
    window.copy_link_button.click()
    clipboard = QApplication.clipboard()
    assert clipboard is not None
    assert clipboard.text() == "http://127.0.0.1:1/v1/authorize?state=s"
    assert window.message.text() == "Copied the sign-in link"
    window.cancel_sign_in_button.click()
    qtbot.waitUntil(lambda: not actions.sign_in_running)
    assert not window.waiting_label.isVisibleTo(window)
    assert not window.copy_link_button.isVisibleTo(window)


def test_doctor_scrolls_and_fixes_all_after_one_confirmation(qtbot: QtBot, runner: object) -> None:
    from gui.doctor import DoctorPanel, Finding
    from gui.tasks import TaskRunner

    assert isinstance(runner, TaskRunner)
    names = [f"team-sandbox-{n}" for n in range(15)]
    fixed: list[object] = []

    async def check() -> list[Finding]:
        return [Finding(f"Profile {n}: legacy", "detail", "Fix", n) for n in names if n not in fixed]

    async def fix(finding: Finding) -> None:
        fixed.append(finding.handle)

    panel = DoctorPanel(runner, check, fix)
    qtbot.addWidget(panel)
    panel.run_check()
    qtbot.waitUntil(lambda: len(panel.findings) == 15)
    assert panel.status.text() == "15 problems found:"
    assert panel.fix_all_button.isVisibleTo(panel)
    panel.resize(400, 300)
    assert panel.findings_area.widgetResizable()
    asked: list[list[str]] = []
    answers = iter([False, True])

    def confirm(_parent: object, profiles: list[str]) -> bool:
        asked.append(profiles)
        return next(answers)

    panel.confirm_fix_all = confirm
    assert not panel.fix_all()
    assert fixed == []
    assert panel.fix_all()
    qtbot.waitUntil(lambda: "No problems" in panel.status.text())
    assert asked == [names, names]
    assert fixed == names


def test_a_doctor_check_that_fails_says_so_in_the_panel_not_in_a_box(
    qtbot: QtBot, runner: object, sink: object
) -> None:
    from core.domain.errors import ConfigFileError
    from gui.doctor import DoctorPanel, Finding
    from gui.tasks import TaskRunner
    from tests.doubles.front_end import RecordingSink

    assert isinstance(runner, TaskRunner)
    assert isinstance(sink, RecordingSink)

    async def check() -> list[Finding]:
        raise ConfigFileError("~/.aws/config line 3: a section header without a closing bracket.")

    async def fix(_finding: Finding) -> None:
        return None

    panel = DoctorPanel(runner, check, fix)
    qtbot.addWidget(panel)
    panel.run_check()
    qtbot.waitUntil(lambda: "Could not check" in panel.status.text())
    assert "line 3" in panel.status.text()
    assert sink.messages == []
    assert panel.recheck_button.isEnabled()
