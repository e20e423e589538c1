from __future__ import annotations

import pytest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from core.domain.model import CredentialMode
from core.storage.settings import Settings
from gui.settings_dialog import LOGIN_SESSION_NOTE, SettingsDialog, parse_leads
from gui.tasks import TaskRunner
from tests.doubles.session_service import RecordingSessionService


def test_round_trip_through_the_service(qtbot: QtBot, service: RecordingSessionService, runner: TaskRunner) -> None:
    service._settings = Settings(default_region="eu-west-1")
    autostart_calls: list[bool] = []
    dialog = SettingsDialog(service, runner, set_autostart=autostart_calls.append, autostart_enabled=lambda: False)
    qtbot.addWidget(dialog)
    assert dialog.profile.text() == "default"
    assert dialog.region.currentText() == "eu-west-1"
    assert dialog.leads.text() == "30, 5"
    assert dialog.mode_process.isChecked()

    dialog.profile.setText("work")
    dialog.region.setCurrentText("eu-central-1")
    dialog.leads.setText("60, 10, 2")
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

    again = SettingsDialog(service, runner, set_autostart=autostart_calls.append, autostart_enabled=lambda: False)
    qtbot.addWidget(again)
    assert again.edited_settings() == saved


def test_invalid_lead_times_disable_ok(qtbot: QtBot, service: RecordingSessionService, runner: TaskRunner) -> None:
    dialog = SettingsDialog(service, runner, set_autostart=lambda _on: None, autostart_enabled=lambda: False)
    qtbot.addWidget(dialog)
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    dialog.leads.setText("soon")
    assert not ok.isEnabled()
    assert dialog.error.text()
    dialog.leads.setText("15")
    assert ok.isEnabled()


@pytest.mark.parametrize(
    ("text", "expected"),
    [("30, 5", (30, 5)), ("5,30", (30, 5)), ("10; 10", (10,)), ("", None), ("0", None), ("x", None), ("721", None)],
)
def test_parse_leads(text: str, expected: tuple[int, ...] | None) -> None:
    assert parse_leads(text) == expected
