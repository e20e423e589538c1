"""End to end from the tray alone: a console sign-in → "Add role…" in the switcher (refused, then fixed) →
the role in the tray menu → chosen → every SDK's active profile is the role, assumed through the emulator."""

from __future__ import annotations

import asyncio

import boto3
import pytest
from pytestqt.qtbot import QtBot

from core.domain.model import CredentialMode
from core.storage.paths import AppPaths
from gui.app import TrayApp, make_session_manager
from gui.dialogs import DialogCodePrompt
from gui.errors import ErrorPresenter
from gui.icons import IconSet
from gui.roles import AddRoleDialog
from gui.tasks import TaskRunner
from tests.doubles.browser import ApprovingBrowser
from tests.doubles.front_end import RecordingSink
from tests.support.emulator import EmulatorHandle
from tests.support.real_clients import USER_TEXT

AUDIT = "arn:aws:iam::777788889999:role/Audit"


@pytest.mark.slow
def test_a_role_from_the_switcher_becomes_the_active_profile_from_the_tray(
    qtbot: QtBot,
    qasync_loop: asyncio.AbstractEventLoop,
    emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    sink: RecordingSink,
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    paths = AppPaths.from_environment()
    paths.aws_config_file.write_text(USER_TEXT, encoding="utf-8")
    service = make_session_manager(paths, open_browser=ApprovingBrowser(emulator, 1), code_prompt=DialogCodePrompt())
    presenter = ErrorPresenter(sink)
    app = TrayApp(
        service, presenter=presenter, icons=IconSet(), tray_available=True, runner=TaskRunner(presenter, qasync_loop)
    )
    run = qasync_loop.create_task(app.run(use_dbus_notifications=False))
    try:
        signing_in = qasync_loop.create_task(
            service.sign_in("us-east-1", "work", credential_mode=CredentialMode.LOGIN_SESSION)
        )
        qtbot.waitUntil(signing_in.done, timeout=60_000)
        session = signing_in.result()

        panel = app.switcher.roles_panel
        opened: list[AddRoleDialog] = []
        panel.role_actions.open_dialog = opened.append
        panel.reload()
        panel._restore((session.id, None))
        panel.add_to_selected()
        [dialog] = opened
        dialog.role_arn.setText(AUDIT)
        dialog.region.setCurrentText("eu-west-1")
        before = paths.aws_config_file.read_bytes()
        dialog.submit()  # Audit demands an external id: AWS refuses, the dialog says what to check
        qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog), timeout=30_000)
        assert "is not authorized to perform: sts:AssumeRole" in dialog.error.text()
        assert "External ID" in dialog.error.text()
        assert paths.aws_config_file.read_bytes() == before

        dialog.external_id.setText("audit-7777")
        dialog.submit()
        qtbot.waitUntil(lambda: dialog.result() == AddRoleDialog.DialogCode.Accepted, timeout=30_000)
        assert sink.messages == []

        qtbot.waitUntil(lambda: "777788889999-Audit" in app.tray.roles.actions, timeout=10_000)
        app.tray.roles.actions["777788889999-Audit"].trigger()
        qtbot.waitUntil(lambda: service.role_profiles.active() == "777788889999-Audit", timeout=10_000)
        assert paths.aws_config_file.read_text(encoding="utf-8").startswith(USER_TEXT)
        identity = boto3.Session(profile_name="default").client("sts").get_caller_identity()["Arn"]
        assert identity == f"arn:aws:sts::777788889999:assumed-role/Audit/{session.identity.principal_name}"
    finally:
        app.quit()
        qtbot.waitUntil(run.done, timeout=30_000)
    assert run.result() == 0
