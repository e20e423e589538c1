"""Recorders for what the GUI shows: error messages and notifications."""

from __future__ import annotations

from gui.notify import ActionCallback, Notification


class RecordingSink:
    """An error sink that remembers what it was asked to show."""

    def __init__(self) -> None:
        self.messages: list[tuple[str, str]] = []

    def __call__(self, title: str, text: str) -> None:
        self.messages.append((title, text))


class RecordingBackend:
    """A notification backend that keeps what it was given."""

    def __init__(self) -> None:
        self.shown: list[tuple[Notification, ActionCallback]] = []

    def show(self, note: Notification, on_action: ActionCallback) -> None:
        self.shown.append((note, on_action))
