"""End to end: tray menu → "Sign in…" → Chromium clicks a session on the emulator's page →
the session is in the menu, its profile is in the AWS config, and boto3 sees the identity."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import boto3
import pytest
from pytestqt.qtbot import QtBot

from core.storage.paths import AppPaths
from gui.app import TrayApp, make_session_manager
from gui.dialogs import DialogCodePrompt, RegionChoice
from gui.errors import ErrorPresenter
from gui.icons import IconSet
from gui.tasks import TaskRunner
from tests.doubles.front_end import RecordingSink
from tests.support.browser import CHROMIUM, headless_chromium
from tests.support.emulator import EmulatorHandle


class Chromium:
    """A BrowserOpener: headless Chromium, in a thread, clicks console session ``index``."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.urls: list[str] = []
        self.error: BaseException | None = None
        self.thread: threading.Thread | None = None

    def __call__(self, url: str) -> None:
        self.urls.append(url)
        self.thread = threading.Thread(target=self._click, args=(url,), daemon=True)
        self.thread.start()

    def _click(self, url: str) -> None:
        try:
            with headless_chromium() as browser:
                page = browser.new_page()
                page.goto(url)
                page.click(f"button.session[data-index='{self.index}']")
                page.wait_for_url("**/oauth/callback?**", timeout=30_000)
        except BaseException as error:
            self.error = error


@pytest.mark.browser
@pytest.mark.slow
def test_sign_in_from_the_tray_menu(
    qtbot: QtBot,
    qasync_loop: asyncio.AbstractEventLoop,
    emulator: EmulatorHandle,
    monkeypatch: pytest.MonkeyPatch,
    sink: RecordingSink,
) -> None:
    assert Path(CHROMIUM).exists()
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    chromium = Chromium(2)
    paths = AppPaths.from_environment()
    service = make_session_manager(paths, open_browser=chromium, code_prompt=DialogCodePrompt())
    presenter = ErrorPresenter(sink)
    app = TrayApp(
        service, presenter=presenter, icons=IconSet(), tray_available=True, runner=TaskRunner(presenter, qasync_loop)
    )
    asked: list[str | None] = []

    def ask_region(_parent: object, current: str | None) -> RegionChoice:
        asked.append(current)
        return RegionChoice(emulator.region)

    app.actions.ask_region = ask_region
    run = qasync_loop.create_task(app.run(use_dbus_notifications=False))
    try:
        qtbot.waitUntil(lambda: app.tray.sign_in_action.isEnabled() and not app.tray.session_actions)
        app.tray.sign_in_action.trigger()
        assert asked == [None]
        qtbot.waitUntil(lambda: bool(app.tray.session_actions) or bool(sink.messages) or chromium.error is not None,
                        timeout=90_000)  # fmt: skip
        assert chromium.error is None
        assert sink.messages == []
        assert chromium.urls[0].startswith(emulator.base_url + "/v1/authorize?")

        (session,) = service.sessions()
        assert session.identity.arn == emulator.sessions[1].arn
        text = app.tray.session_actions[session.id].text()
        assert session.profile_name in text
        assert session.account_id in text
        assert "left" in text

        config = paths.aws_config_file.read_text()
        assert f"[profile {session.profile_name}]" in config
        assert "sts_regional_endpoints = regional" in config

        sts = boto3.Session(profile_name=session.profile_name).client("sts")
        assert sts.get_caller_identity()["Arn"] == session.identity.arn
    finally:
        app.quit()
        qtbot.waitUntil(run.done, timeout=30_000)
    assert run.result() == 0
