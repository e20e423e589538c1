"""The user's browser on the emulator's sign-in page: picks a console session and follows the redirect.

Returns at once and works in a thread, as a real ``webbrowser`` call does
(docs/protocol.md §8: ``webbrowser`` waits for a ``BROWSER=`` program).
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from tests.support.emulator import EmulatorHandle, http_request

Choice = int | str
"""A console session's number on the emulator's page, or ``"deny"``."""


class ApprovingBrowser:
    """A :data:`core.domain.ports.BrowserOpener` that approves on the emulator.

    Args:
        emulator: The AWS Sign-In emulator whose page is opened.
        session: The choice made when :attr:`choices` is empty.
        before_callback: Called with the redirect location before it is followed.
    """

    def __init__(
        self,
        emulator: EmulatorHandle,
        session: Choice = 1,
        *,
        before_callback: Callable[[str], None] | None = None,
    ) -> None:
        self.emulator = emulator
        self.session = session
        self.before_callback = before_callback
        self.choices: list[Choice] = []
        """Choices for the next sign-ins, in order."""
        self.opened: list[str] = []
        self.callback_statuses: list[int] = []
        self.errors: list[BaseException] = []
        self._threads: list[threading.Thread] = []

    def __call__(self, url: str) -> None:
        self.opened.append(url)
        choice = self.choices.pop(0) if self.choices else self.session
        thread = threading.Thread(target=self._work, args=(url, choice), daemon=True)
        self._threads.append(thread)
        thread.start()

    def _work(self, url: str, choice: Choice) -> None:
        try:
            location = self.emulator.approve(url, choice)
            if self.before_callback is not None:
                self.before_callback(location)
            status = http_request(location).status
            self.callback_statuses.append(status)
            if status >= 400 and choice != "deny":
                raise AssertionError(f"the callback page answered HTTP {status} to an approval")
        except BaseException as error:  # reported by join() or read by the test
            self.errors.append(error)

    def join(self) -> None:
        """Wait for every page opened so far; raise the first error seen."""
        for thread in self._threads:
            thread.join(10)
        if self.errors:
            raise self.errors[0]
