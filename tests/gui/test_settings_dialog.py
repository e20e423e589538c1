from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from core.domain.model import CredentialMode
from core.storage.settings import Settings
from gui.settings_dialog import LOGIN_SESSION_NOTE, SettingsDialog, browser_problem, leads_from
from gui.tasks import TaskRunner
from tests.doubles.session_service import RecordingSessionService


def test_round_trip_through_the_service(qtbot: QtBot, service: RecordingSessionService, runner: TaskRunner) -> None:
    service._settings = Settings(default_region="eu-west-1")
    autostart_calls: list[bool] = []
    dialog = SettingsDialog(service, runner, set_autostart=autostart_calls.append, autostart_enabled=lambda: False)
    qtbot.addWidget(dialog)
    assert dialog.profile.text() == "default"
    assert dialog.region.currentText() == "eu-west-1"
    assert [b.value() for b in dialog.lead_boxes] == [30, 5, 0]
    assert dialog.icon_theme.currentData() == "auto"
    assert dialog.browser.text() == ""
    assert dialog.mode_process.isChecked()

    dialog.profile.setText("work")
    dialog.region.setCurrentText("eu-central-1")
    for box, minutes in zip(dialog.lead_boxes, (10, 60, 2), strict=True):
        box.setValue(minutes)
    dialog.icon_theme.setCurrentIndex(dialog.icon_theme.findData("dark"))
    dialog.browser.setText("sh -c true")
    dialog.mode_login.setChecked(True)
    dialog.start_at_login.setChecked(True)
    assert not dialog.plaintext.isChecked()
    dialog.plaintext.setChecked(True)
    assert dialog.mode_note.text() == LOGIN_SESSION_NOTE
    assert "DPoP" in dialog.mode_note.text()
    assert "cache" in dialog.mode_note.text()
    dialog.buttons.button(QDialogButtonBox.StandardButton.Ok).click()
    qtbot.waitUntil(lambda: autostart_calls == [True])
    saved = service.settings()
    assert saved.active_profile_name == "work"
    assert saved.default_region == "eu-central-1"
    assert saved.expiry_lead_minutes == (60, 10, 2)
    assert saved.credential_mode is CredentialMode.LOGIN_SESSION
    assert saved.start_at_login is True
    assert saved.use_plaintext_secrets is True
    assert saved.icon_theme == "dark"
    assert saved.browser_command == "sh -c true"

    again = SettingsDialog(service, runner, set_autostart=autostart_calls.append, autostart_enabled=lambda: False)
    qtbot.addWidget(again)
    assert again.edited_settings() == saved


def test_problems_are_said_inline_as_they_are_typed(
    qtbot: QtBot, service: RecordingSessionService, runner: TaskRunner
) -> None:
    dialog = SettingsDialog(service, runner, set_autostart=lambda _on: None, autostart_enabled=lambda: False)
    qtbot.addWidget(dialog)
    save = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert save.text().replace("&", "") == "Save"
    for box in dialog.lead_boxes:
        box.setValue(0)
    assert not save.isEnabled()
    assert "at least one warning" in dialog.error.text()
    dialog.lead_boxes[1].setValue(15)
    assert save.isEnabled()
    dialog.profile.setText("my profile")
    assert not save.isEnabled()
    assert "spaces" in dialog.error.text()
    assert dialog.profile.text() == "my profile"  # the typed text stays to be corrected
    dialog.profile.setText("default")
    dialog.browser.setText("no-such-browser-here --new-window")
    assert not save.isEnabled()
    assert "no-such-browser-here" in dialog.error.text()
    dialog.browser.setText("")
    assert save.isEnabled()
    assert dialog.error.text() == ""


@pytest.mark.parametrize(
    ("values", "expected"), [([30, 5, 0], (30, 5)), ([5, 30, 5], (30, 5)), ([0, 0, 0], None), ([0, 12, 0], (12,))]
)
def test_leads_from_spin_boxes(values: list[int], expected: tuple[int, ...] | None) -> None:
    assert leads_from(values) == expected


def test_browser_command_must_name_a_program() -> None:
    assert browser_problem("") is None
    assert browser_problem("sh -c true") is None
    assert browser_problem("'unbalanced") is not None
    assert browser_problem("surely-not-a-browser-9") is not None
