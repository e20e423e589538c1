"""One sign-in through a real browser: headless Chromium clicks a session on the emulator's page."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pytest

from core.signin.client import SigninClient
from tests.support.browser import CHROMIUM, headless_chromium
from tests.support.emulator import EmulatorHandle


class ChromiumClicker:
    """A BrowserOpener that drives Chromium in a background thread and clicks session ``index``."""

    def __init__(self, index: int) -> None:
        self.index = index
        self.final_text = ""
        self.final_url = ""
        self.error: BaseException | None = None
        self._thread: threading.Thread | None = None

    def __call__(self, url: str) -> None:
        self._thread = threading.Thread(target=self._drive, args=(url,), daemon=True)
        self._thread.start()

    def _drive(self, url: str) -> None:
        try:
            with headless_chromium() as browser:
                page = browser.new_page()
                page.goto(url)
                page.click(f"button.session[data-index='{self.index}']")
                page.wait_for_url("**/oauth/callback?**", timeout=20_000)
                page.wait_for_selector("h1", timeout=20_000)
                self.final_url = page.url
                self.final_text = page.inner_text("body")
        except BaseException as error:
            self.error = error

    def join(self) -> None:
        assert self._thread is not None
        self._thread.join(60)
        if self.error is not None:
            raise self.error


@pytest.mark.browser
@pytest.mark.slow
def test_sign_in_by_clicking_a_session_in_chromium(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    assert Path(CHROMIUM).exists()
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    client = SigninClient(emulator.region)
    clicker = ChromiumClicker(3)
    result = asyncio.run(client.sign_in_same_device(clicker, timeout=90))
    clicker.join()
    assert result.identity is not None
    assert result.identity.arn == emulator.sessions[2].arn
    assert clicker.final_url.startswith("http://127.0.0.1:")
    assert "Signed in. You can close this tab." in clicker.final_text
    assert asyncio.run(client.caller_identity(result.credentials)) == emulator.sessions[2].arn
