"""Headless Chromium for the tests that click through the sign-in page.

One place says which browser runs (Debian's ``chromium``, driven by
playwright's sync API) and with which flags, so every browser test runs the
same one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from playwright.sync_api import Browser

CHROMIUM = "/usr/bin/chromium"
"""Debian's Chromium; playwright's own browser downloads are not used."""

CHROMIUM_FLAGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
"""No sandbox (tests may run as root), no GPU, and no traffic of its own beyond the pages it is sent to."""


@contextmanager
def headless_chromium() -> Iterator[Browser]:
    """A headless Chromium, closed on exit.

    Playwright's sync API is bound to the thread that enters this context, so
    a test that drives the browser from a thread enters it in that thread.
    Every ``browser.new_page()`` gets a fresh context with no cookies.
    """
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=list(CHROMIUM_FLAGS))
        try:
            yield browser
        finally:
            browser.close()
