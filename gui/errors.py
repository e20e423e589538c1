"""The one road from an exception to the user.

Every failure of a background task lands in :class:`ErrorPresenter`: a
:class:`core.domain.errors.LoginTrayError` shows its ``user_message``; a
cancellation (the user closed the browser or pressed Cancel) says nothing;
anything else is a bug, logged with its traceback and shown briefly.
Messages that arrive before a window can show them are held and shown
once :meth:`ErrorPresenter.set_sink` is called.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from core.domain.errors import LoginTrayError, SignInCancelled

log = logging.getLogger(__name__)

MessageSink = Callable[[str, str], None]
"""Shows ``(title, text)`` to the user."""


def message_box_sink(parent: QWidget | None = None) -> MessageSink:
    """A sink that opens a non-modal warning box (never a nested event loop)."""
    open_boxes: set[QMessageBox] = set()

    def show(title: str, text: str) -> None:
        box = QMessageBox(QMessageBox.Icon.Warning, title, text, QMessageBox.StandardButton.Ok, parent)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        open_boxes.add(box)  # without a parent, only this reference keeps the box alive
        box.finished.connect(lambda _result: open_boxes.discard(box))
        box.open()

    return show


def describe(exc: BaseException) -> str | None:
    """The words for ``exc``, or None when the user should hear nothing."""
    if isinstance(exc, (SignInCancelled, asyncio.CancelledError)):
        return None
    if isinstance(exc, LoginTrayError):
        return exc.user_message
    return f"Something went wrong inside aws-login-tray: {type(exc).__name__}. Details are in the log."


class ErrorPresenter:
    """Turns exceptions into messages for the user, holding them until a sink exists."""

    def __init__(self, sink: MessageSink | None = None) -> None:
        self._sink = sink
        self._held: list[tuple[str, str]] = []

    @property
    def has_sink(self) -> bool:
        """True once messages can be shown."""
        return self._sink is not None

    def set_sink(self, sink: MessageSink) -> None:
        """Start showing messages through ``sink``, first the held ones."""
        self._sink = sink
        held, self._held = self._held, []
        for title, text in held:
            sink(title, text)

    def present(self, exc: BaseException, context: str = "") -> None:
        """Show ``exc`` (or nothing, for cancellations)."""
        text = describe(exc)
        if text is None:
            log.debug("%s cancelled", context or "task")
            return
        if not isinstance(exc, LoginTrayError):
            log.error("%s failed", context or "task", exc_info=exc)
        else:
            log.info("%s failed: %s", context or "task", type(exc).__name__)
        self.show(f"aws-login-tray: {context}" if context else "aws-login-tray", text)

    def show(self, title: str, text: str) -> None:
        """Show a message now, or hold it until a sink exists."""
        if self._sink is None:
            self._held.append((title, text))
        else:
            self._sink(title, text)
