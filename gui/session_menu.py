"""Every action on one session, as a menu: the tray's per-session submenu and the switcher's right-click menu."""

from __future__ import annotations

from PySide6.QtWidgets import QMenu

from core.domain.model import Session
from core.sessions.attention import needs_sign_in
from gui.actions import SessionActions


def fill_session_menu(menu: QMenu, actions: SessionActions, session: Session, *, active: bool) -> None:
    """Every action on one session (the tray's submenu and the switcher's right-click menu share it)."""
    sid = session.id
    make_active = menu.addAction("Make &active")
    make_active.setEnabled(not active)
    make_active.triggered.connect(lambda _c=False: actions.make_active(sid))
    if needs_sign_in(session):
        again = menu.addAction("&Sign in again…")
        again.triggered.connect(lambda _c=False: actions.sign_in_again(sid))
        again.setEnabled(not actions.sign_in_running)
    else:
        refresh = menu.addAction("&Refresh now")
        refresh.triggered.connect(lambda _c=False: actions.refresh(sid))
        add_role = menu.addAction("Add &role…")
        add_role.setToolTip("A role in another account, assumed with this session's credentials")
        add_role.triggered.connect(lambda _c=False: actions.add_role(sid))
    menu.addSeparator()
    for label, field in (
        ("Copy &profile name", "profile"),
        ("Copy account &id", "account"),
        ("Copy AR&N", "arn"),
        ("Copy &export lines", "export"),
    ):
        item = menu.addAction(label)
        item.triggered.connect(lambda _c=False, f=field: actions.copy_field(sid, f))
    menu.addSeparator()
    sign_out = menu.addAction("Sign &out…")
    sign_out.triggered.connect(lambda _c=False: actions.sign_out(sid))
