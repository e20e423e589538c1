"""Questions asked while core waits: awaited, never a nested event loop.

Each function shows a non-modal box and returns when the user answers, so
the tray, the countdowns and the engine keep running meanwhile. Buttons
are verbs, and the safe choice is the default (Enter) and the Esc answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QMessageBox, QVBoxLayout, QWidget

from core.sessions.identity import MismatchQuestion

Answer = TypeVar("Answer")


async def answer_of(dialog: QDialog, read: Callable[[int], Answer]) -> Answer:
    """Open ``dialog`` without blocking; once it closes, ``read(result)`` is the answer."""
    answer: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()

    def finished(result: int) -> None:
        if not answer.done():
            answer.set_result(read(result))

    dialog.finished.connect(finished)
    dialog.open()
    try:
        return await answer
    finally:
        dialog.hide()
        dialog.deleteLater()


def ask_confirmation(parent: QWidget | None, title: str, text: str, accept: str = "OK") -> bool:
    """Ask a question with a verb button; the safe answer (Cancel) is the default (modal)."""
    box = QMessageBox(QMessageBox.Icon.Question, title, text, parent=parent)
    yes = box.addButton(accept, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.setEscapeButton(cancel)
    box.exec()
    return box.clickedButton() is yes


async def ask_box(box: QMessageBox, accept_text: str, safe_text: str) -> bool:
    """Show ``box`` with two verb buttons (the safe one default); True when ``accept_text`` was chosen."""
    accept = box.addButton(accept_text, QMessageBox.ButtonRole.AcceptRole)
    safe = box.addButton(safe_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(safe)
    box.setEscapeButton(safe)
    return await answer_of(box, lambda _result: box.clickedButton() is accept)


async def ask_add_as_new(parent: QWidget | None, question: MismatchQuestion) -> bool:
    """A sign-in returned another principal: add it as a new session (True) or discard it."""
    who = question.signed_in
    box = QMessageBox(QMessageBox.Icon.Warning, "Signed in as someone else", "", parent=parent)
    box.setText(
        f"<b>{question.profile_name}</b> belongs to {question.expected}, but the browser signed in as "
        f"<b>{who.display_name}</b> in account <b>{who.account_id}</b>."
    )
    if question.renews_existing:
        consequence = f"Adding it renews its own session, {question.new_profile_name}."
        accept = f"Renew {question.new_profile_name}"
    else:
        consequence = f"Adding it creates a new session with its own profile, {question.new_profile_name}."
        accept = "Add as new session"
    box.setInformativeText(
        f"{question.profile_name} is left unchanged either way. {consequence} "
        "To sign it in again, discard this and pick its own card on the sign-in page."
    )
    return await ask_box(box, accept, "Discard sign-in")


NameCheck = Callable[[str], str | None]
"""Why a typed name cannot be used (said under the field as it is typed), or None."""


class NameDialog(QDialog):
    """One name, checked as it is typed; the typed text stays while it is corrected."""

    def __init__(
        self, parent: QWidget | None, title: str, text: str, current: str, *, check: NameCheck, accept: str, keep: str
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.setMinimumWidth(460)
        self._check = check
        label = QLabel(text)
        label.setWordWrap(True)
        self.name = QLineEdit(current)
        self.name.selectAll()
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #c81e28")
        self.buttons = QDialogButtonBox()
        self.accept_button = self.buttons.addButton(accept, QDialogButtonBox.ButtonRole.AcceptRole)
        self.buttons.addButton(keep, QDialogButtonBox.ButtonRole.RejectRole)
        self.accept_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.name.textChanged.connect(self._validate)
        layout = QVBoxLayout(self)
        for widget in (label, self.name, self.problem, self.buttons):
            layout.addWidget(widget)
        self._validate(current)

    def _validate(self, text: str) -> None:
        problem = self._check(text.strip())
        self.problem.setText(problem or "")
        self.accept_button.setEnabled(problem is None)


async def ask_name(
    parent: QWidget | None,
    title: str,
    text: str,
    current: str,
    *,
    check: NameCheck,
    accept: str = "Rename",
    keep: str = "Cancel",
) -> str | None:
    """Ask for a name (non-blocking, checked as typed); None when the user keeps the old one."""
    dialog = NameDialog(parent, title, text, current, check=check, accept=accept, keep=keep)
    return await answer_of(
        dialog, lambda result: dialog.name.text().strip() if result == QDialog.DialogCode.Accepted else None
    )
