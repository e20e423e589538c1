"""A real browser (Debian's Chromium via playwright) clicks through the authorize page."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.browser import headless_chromium
from tests.support.emulator import CROSS_DEVICE, DpopKey, EmulatorHandle

pytestmark = [pytest.mark.browser, pytest.mark.slow]


class _Callback(BaseHTTPRequestHandler):
    server: _CallbackServer

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        if url.path != "/oauth/callback":  # e.g. the browser's /favicon.ico
            self.send_error(404)
            return
        self.server.queries.append(parse_qs(url.query))
        body = b"<html><body><h1 id='done'>Signed in. You can close this window.</h1></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.server.arrived.set()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _CallbackServer(HTTPServer):
    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Callback)
        self.queries: list[dict[str, list[str]]] = []
        self.arrived = threading.Event()


@pytest.fixture
def callback() -> Iterator[_CallbackServer]:
    server = _CallbackServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with headless_chromium() as instance:
        yield instance


def test_clicking_a_session_lands_on_the_loopback_callback_with_a_valid_code(
    emulator: EmulatorHandle, callback: _CallbackServer, browser: Any, tmp_path: Path
) -> None:
    params = emulator.authorize_params(callback_port=callback.server_address[1])
    page = browser.new_page()
    try:
        page.goto(emulator.authorize_url(params))
        assert page.title() == "Sign in to AWS"
        assert page.locator("button.session").count() == len(emulator.sessions)
        page.screenshot(path=str(tmp_path / "authorize.png"))
        page.click("button[data-index='2']")
        page.wait_for_selector("#done")
    finally:
        page.close()
    assert callback.arrived.is_set()
    (query,) = callback.queries
    assert query["state"] == [params.state]
    reply = emulator.token_request(emulator.code_body(params, query["code"][0]), key=DpopKey())
    assert reply.status == 200
    assert emulator.tokens()["login_sessions"][0]["session_arn"] == emulator.sessions[1].arn


def test_cancel_in_the_browser_sends_access_denied(
    emulator: EmulatorHandle, callback: _CallbackServer, browser: Any
) -> None:
    params = emulator.authorize_params(callback_port=callback.server_address[1])
    page = browser.new_page()
    try:
        page.goto(emulator.authorize_url(params))
        page.click("#cancel")
        page.wait_for_selector("#done")
    finally:
        page.close()
    assert callback.queries == [{"error": ["access_denied"], "state": [params.state]}]


def test_iam_user_form_in_the_browser(emulator: EmulatorHandle, callback: _CallbackServer, browser: Any) -> None:
    params = emulator.authorize_params(callback_port=callback.server_address[1])
    page = browser.new_page()
    try:
        page.goto(emulator.authorize_url(params))
        page.click("text=Continue with Root or IAM user")
        page.fill("#account", "4444-5555-6666")
        page.fill("#user", "bob")
        page.fill("#password", "correct horse")
        page.click("button[type=submit]")
        page.wait_for_selector("#done")
    finally:
        page.close()
    (query,) = callback.queries
    assert emulator.token_request(emulator.code_body(params, query["code"][0]), key=DpopKey()).status == 200
    assert emulator.tokens()["login_sessions"][0]["session_arn"] == "arn:aws:iam::444455556666:user/bob"


def test_cross_device_in_the_browser_shows_the_verification_code(emulator: EmulatorHandle, browser: Any) -> None:
    params = emulator.authorize_params(CROSS_DEVICE)
    page = browser.new_page()
    try:
        page.goto(emulator.authorize_url(params))
        page.click("button[data-index='5']")
        shown = page.inner_text("#verification-code").strip()
    finally:
        page.close()
    decoded = parse_qs(base64.b64decode(shown, validate=True).decode())
    assert decoded["state"] == [params.state]
    reply = emulator.token_request(emulator.code_body(params, decoded["code"][0]), key=DpopKey())
    assert reply.status == 200
