"""Questions asked while core waits: awaited, never a nested event loop.

Each function shows a non-modal box and returns when the user answers, so
the tray, the countdowns and the engine keep running meanwhile. Buttons
are verbs, and the safe choice is the default (Enter) and the Esc answer.
"""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QMessageBox, QWidget

from core.sessions.identity import MismatchQuestion


async def ask_box(box: QMessageBox, accept_text: str, safe_text: str) -> bool:
    """Show ``box`` with two verb buttons (the safe one default); True when ``accept_text`` was chosen."""
    accept = box.addButton(accept_text, QMessageBox.ButtonRole.AcceptRole)
    safe = box.addButton(safe_text, QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(safe)
    box.setEscapeButton(safe)
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    def finished(_result: int) -> None:
        if not answer.done():
            answer.set_result(box.clickedButton() is accept)

    box.finished.connect(finished)
    box.open()
    try:
        return await answer
    finally:
        box.hide()
        box.deleteLater()


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
