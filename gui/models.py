"""Core's sessions as a Qt table model (read-only; edits go through core)."""

from __future__ import annotations

from datetime import datetime
from enum import IntEnum
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont

from core.domain.model import Session, SessionState
from core.sessions.attention import attention_of, next_attempt_in
from gui.format import format_remaining, format_wait, principal_label, state_label, state_text
from gui.icons import mark_icon, session_mark

SESSION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
"""The session id of a row, in every column."""
SORT_ROLE = Qt.ItemDataRole.UserRole + 2
"""A sortable raw value (seconds for countdowns)."""

_STATE_COLOURS = {
    SessionState.RETRYING: "#b7791f",
    SessionState.NEEDS_SIGN_IN: "#c53030",
    SessionState.ENDED: "#718096",
    SessionState.SIGNED_OUT: "#718096",
}

AnyIndex = QModelIndex | QPersistentModelIndex


class Column(IntEnum):
    """The switcher's columns, in order."""

    PROFILE = 0
    ACCOUNT = 1
    PRINCIPAL = 2
    REGION = 3
    CREDENTIALS = 4
    SESSION = 5
    STATE = 6


HEADERS = {
    Column.PROFILE: "Profile",
    Column.ACCOUNT: "Account",
    Column.PRINCIPAL: "Principal / role",
    Column.REGION: "Region",
    Column.CREDENTIALS: "Credentials",
    Column.SESSION: "Session",
    Column.STATE: "State",
}
HEADER_TIPS = {
    Column.PROFILE: "The profile in your AWS config; the mark shows the active one, or trouble",
    Column.CREDENTIALS: "Time until the current 15-minute credentials expire (renewed before they run low)",
    Column.SESSION: "Time until the sign-in session reaches its limit (then sign in again)",
}


class SessionTableModel(QAbstractTableModel):
    """One row per session, oldest sign-in first; ``now`` comes from core's clock."""

    def __init__(self, now: Any, parent: Any = None, lead_minutes: Any = lambda: (30, 5)) -> None:
        super().__init__(parent)
        self._now = now
        self._leads = lead_minutes
        self._sessions: list[Session] = []
        self._active: str | None = None

    # -- updates ----------------------------------------------------------------
    def set_sessions(self, sessions: list[Session], active_id: str | None) -> None:
        """Show new snapshots, with the smallest change Qt views can follow."""
        old_ids = [s.id for s in self._sessions]
        new_ids = [s.id for s in sessions]
        if old_ids == new_ids:
            self._sessions = list(sessions)
            self._active = active_id
            if sessions:
                self.dataChanged.emit(self.index(0, 0), self.index(len(sessions) - 1, len(Column) - 1))
            return
        self.beginResetModel()
        self._sessions = list(sessions)
        self._active = active_id
        self.endResetModel()

    def tick(self) -> None:
        """Re-render the countdown columns."""
        if self._sessions:
            last = len(self._sessions) - 1
            self.dataChanged.emit(
                self.index(0, Column.CREDENTIALS),
                self.index(last, Column.STATE),
                [Qt.ItemDataRole.DisplayRole, SORT_ROLE],
            )

    def session_at(self, row: int) -> Session | None:
        """The snapshot shown in ``row``."""
        return self._sessions[row] if 0 <= row < len(self._sessions) else None

    def row_of(self, session_id: str) -> int:
        """The row showing ``session_id``, or -1."""
        return next((i for i, s in enumerate(self._sessions) if s.id == session_id), -1)

    # -- QAbstractTableModel ------------------------------------------------------
    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 N802
        return 0 if parent.isValid() else len(self._sessions)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 N802
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if (
            orientation == Qt.Orientation.Horizontal
            and role == Qt.ItemDataRole.DisplayRole
            and 0 <= section < len(Column)
        ):
            return HEADERS[Column(section)]
        horizontal = orientation == Qt.Orientation.Horizontal and 0 <= section < len(Column)
        if horizontal and role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS.get(Column(section))
        return None

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._sessions) or not 0 <= index.column() < len(Column):
            return None
        session = self._sessions[index.row()]
        column = Column(index.column())
        now: datetime = self._now()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(session, column, now)
        if role == SORT_ROLE:
            return self._sort_value(session, column, now)
        if role == SESSION_ID_ROLE:
            return session.id
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(session, column, now)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.PROFILE:
            return mark_icon(session_mark(attention_of(session, now, self._leads()), session.id == self._active))
        if role == Qt.ItemDataRole.FontRole and session.id == self._active:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and column == Column.STATE and session.state in _STATE_COLOURS:
            return QBrush(QColor(_STATE_COLOURS[session.state]))
        if role == Qt.ItemDataRole.AccessibleTextRole:
            active = column == Column.PROFILE and session.id == self._active
            return self._display(session, column, now) + (", active" if active else "")
        return None

    def _tooltip(self, session: Session, column: Column, now: datetime) -> str:
        if column == Column.STATE:
            return state_text(session, now)
        if column == Column.PROFILE:
            active = " (the active profile)" if session.id == self._active else ""
            return f"{session.profile_name}{active}\n{state_text(session, now)}"
        if column == Column.PRINCIPAL:
            return f"{principal_label(session)}\n{session.identity.arn}"
        return session.identity.arn

    def _display(self, session: Session, column: Column, now: datetime) -> str:
        live = session.state.live
        match column:
            case Column.PROFILE:
                return session.profile_name
            case Column.ACCOUNT:
                return session.account_id
            case Column.PRINCIPAL:
                return principal_label(session)
            case Column.REGION:
                return session.region
            case Column.CREDENTIALS:
                return format_remaining(session.credentials_remaining(now)) if live else "—"
            case Column.SESSION:
                return format_remaining(session.session_remaining(now)) if live else "—"
            case _:  # Column.STATE
                wait = next_attempt_in(session, now)
                return state_label(session) if wait is None else f"Retrying · {format_wait(wait)}"

    def _sort_value(self, session: Session, column: Column, now: datetime) -> Any:
        if column == Column.CREDENTIALS:
            remaining = session.credentials_remaining(now)
            return -1 if remaining is None else int(remaining.total_seconds())
        if column == Column.SESSION:
            return int(session.session_remaining(now).total_seconds())
        return self._display(session, column, now).lower()
