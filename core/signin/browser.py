"""Open the sign-in page in the user's browser without waiting for it.

:class:`WebBrowserOpener` is the :data:`core.domain.ports.BrowserOpener` that the
GUI and the CLI hand to core. It uses :mod:`webbrowser`, so it honours the
``BROWSER`` environment variable (read at every call, ``os.pathsep``
separated, ``%s`` marks where the URL goes). Python's ``webbrowser`` waits
for a ``BROWSER`` program to exit; this opener runs it in a background
thread and returns at once.
"""

from __future__ import annotations

import logging
import os
import shlex
import shutil
import threading
import webbrowser
from collections.abc import Callable

logger = logging.getLogger(__name__)


def _controllers() -> list[webbrowser.BaseBrowser]:
    """The browsers to try, honouring ``BROWSER`` as it is now."""
    configured = os.environ.get("BROWSER", "")
    found: list[webbrowser.BaseBrowser] = []
    for entry in filter(None, (part.strip() for part in configured.split(os.pathsep))):
        try:
            found.append(webbrowser.get(entry))
        except webbrowser.Error:
            if shutil.which(entry.split()[0]) is not None:
                found.append(webbrowser.GenericBrowser(entry))
    return found


def _command_browser(command: str) -> webbrowser.BaseBrowser:
    """The user's own browser command (settings); the URL goes where ``%s`` is, else at the end."""
    words = shlex.split(command)
    if not any("%s" in word for word in words):
        words.append("%s")
    return webbrowser.GenericBrowser(words)


class WebBrowserOpener:
    """Opens a URL with the user's browser in a background thread.

    Args:
        command: returns the user's browser command (empty: the default browser, or ``BROWSER``).
        on_failure: called (from the background thread) when no browser could
            be started, so the caller can tell the user to open the link shown
            on screen. The URL is not passed on, and it is never logged.
    """

    def __init__(self, on_failure: Callable[[], None] | None = None, command: Callable[[], str] | None = None) -> None:
        self._on_failure = on_failure
        self._command = command

    def __call__(self, url: str) -> None:
        """Start opening ``url`` and return immediately."""
        thread = threading.Thread(target=self._open, args=(url,), name="open-browser", daemon=True)
        thread.start()

    def _open(self, url: str) -> None:
        opened = False
        try:
            chosen = self._command() if self._command is not None else ""
            controllers = [_command_browser(chosen)] if chosen.strip() else _controllers()
            if controllers:
                for controller in controllers:
                    if controller.open(url, new=2):
                        opened = True
                        break
            else:
                opened = webbrowser.open(url, new=2)
        except (OSError, ValueError, webbrowser.Error) as error:
            logger.warning("could not start a web browser: %s", type(error).__name__)
        if not opened:
            logger.warning("no web browser could be started for the sign-in page")
            if self._on_failure is not None:
                self._on_failure()
