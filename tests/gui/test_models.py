from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from core.domain.model import SessionState
from gui.models import SESSION_ID_ROLE, SORT_ROLE, Column, SessionTableModel
from tests.doubles.clock import ManualClock
from tests.doubles.session_service import RecordingSessionService


def test_model_passes_qt_model_checks(qtmodeltester: Any, service: RecordingSessionService) -> None:
    sessions = service.fill(5)
    model = SessionTableModel(service.now)
    model.set_sessions(sessions, sessions[0].id)
    qtmodeltester.check(model, force_py=True)
    model.set_sessions(sessions[:2], None)
    qtmodeltester.check(model, force_py=True)


def test_rows_show_each_session(service: RecordingSessionService) -> None:
    sessions = service.fill(3)
    model = SessionTableModel(service.now)
    model.set_sessions(sessions, sessions[1].id)
    assert model.rowCount() == 3
    assert model.columnCount() == len(Column)
    row = model.index(1, Column.PROFILE)
    assert row.data() == sessions[1].profile_name  # the active one is marked by an icon, not by wider text
    assert not row.data(Qt.ItemDataRole.DecorationRole).isNull()
    assert row.data(Qt.ItemDataRole.AccessibleTextRole).endswith(", active")
    assert "active profile" in row.data(Qt.ItemDataRole.ToolTipRole)
    assert row.data(Qt.ItemDataRole.FontRole).bold()
    assert model.index(0, Column.PROFILE).data(Qt.ItemDataRole.FontRole) is None
    assert model.index(0, Column.ACCOUNT).data() == sessions[0].account_id
    assert model.index(0, Column.PRINCIPAL).data() == sessions[0].identity.display_name
    assert "/alice" in model.index(0, Column.PRINCIPAL).data()
    assert model.index(2, Column.REGION).data() == sessions[2].region
    assert model.index(2, Column.STATE).data(SESSION_ID_ROLE) == sessions[2].id


def test_countdowns_follow_core_clock(service: RecordingSessionService, clock: ManualClock) -> None:
    sessions = service.fill(1)
    model = SessionTableModel(service.now)
    model.set_sessions(sessions, None)
    cell = model.index(0, Column.SESSION)
    before_text, before_sort = cell.data(), cell.data(SORT_ROLE)
    changed: list[int] = []
    model.dataChanged.connect(lambda *_: changed.append(1))
    clock.advance(125)
    model.tick()
    assert changed
    assert cell.data(SORT_ROLE) == before_sort - 125
    assert cell.data() != before_text


def test_sessions_needing_sign_in_show_no_countdown(service: RecordingSessionService) -> None:
    sessions = service.fill(5)
    model = SessionTableModel(service.now)
    model.set_sessions(sessions, None)
    needs = next(i for i, s in enumerate(sessions) if s.state is SessionState.NEEDS_SIGN_IN)
    assert model.index(needs, Column.SESSION).data() == "—"
    assert model.index(needs, Column.STATE).data() == "Needs sign-in"
    assert model.index(needs, Column.STATE).data(Qt.ItemDataRole.ForegroundRole) is not None
