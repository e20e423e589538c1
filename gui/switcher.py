"""The profile switcher: every session in a table, its details, and doctor findings.

Keyboard: type to filter, arrows to move, Enter makes the selected
session active, Delete signs it out (after a confirmation), F2 renames
its profile.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QSortFilterProxyModel, Qt, QTimer
from PySide6.QtGui import QCloseEvent, QHideEvent, QKeyEvent, QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.domain.events import SessionEvent
from core.domain.model import MAX_SESSIONS, Session, SessionState
from gui.actions import SESSION_LIMIT_TEXT, SessionActions
from gui.doctor import DoctorPanel
from gui.format import format_clock, format_remaining
from gui.models import SESSION_ID_ROLE, SORT_ROLE, Column, SessionTableModel

EMPTY_TEXT = (
    "<h2>No AWS sessions yet</h2>"
    "<p>Choose <b>Sign in…</b>: your browser opens the AWS sign-in page. Pick one of your console "
    "sessions (or sign in), and it appears here with its own profile in your AWS config.</p>"
    f"<p>You can keep up to {MAX_SESSIONS} sessions, each kept in fresh 15-minute credentials until "
    "its 12-hour limit. Programs use the <i>active</i> profile; switch it here or from the tray menu.</p>"
    "<p>No browser on this computer? Choose <b>Sign in on another device…</b>.</p>"
)


class _TableKeys(QObject):
    """Enter / Delete / F2 on the table."""

    def __init__(self, switcher: SwitcherWindow) -> None:
        super().__init__(switcher)
        self._switcher = switcher

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._switcher.activate_selected()
                return True
            if key == Qt.Key.Key_Delete:
                self._switcher.sign_out_selected()
                return True
            if key == Qt.Key.Key_F2:
                self._switcher.rename_selected()
                return True
        return super().eventFilter(watched, event)


class _FilterKeys(QObject):
    """Down arrow / Enter in the filter box move to the table."""

    def __init__(self, switcher: SwitcherWindow) -> None:
        super().__init__(switcher)
        self._switcher = switcher

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        keys = (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent) and event.key() in keys:
            self._switcher.table.setFocus()
            if not self._switcher.selected_id():
                self._switcher.table.selectRow(0)
            if event.key() != Qt.Key.Key_Down:
                self._switcher.activate_selected()
            return True
        return super().eventFilter(watched, event)


class SwitcherWindow(QWidget):
    """The window listing every session."""

    def __init__(
        self,
        actions: SessionActions,
        doctor: DoctorPanel | None = None,
        *,
        on_close: Callable[[], None] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._actions = actions
        self._service = actions.service
        self._on_close = on_close
        self.setWindowTitle("AWS Login Tray: profiles")
        self.resize(980, 600)

        self.model = SessionTableModel(self._service.now, self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setSortRole(SORT_ROLE)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by profile, account, role or region")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.filter.installEventFilter(_FilterKeys(self))
        self.sign_in_button = QPushButton("Sign in…")
        self.sign_in_button.clicked.connect(self._sign_in_clicked)
        self.limit_label = QLabel(f"{MAX_SESSIONS} of {MAX_SESSIONS} sessions: sign one out to add another")
        self.limit_label.setToolTip(SESSION_LIMIT_TEXT)
        self.remote_button = QPushButton("Sign in on another device…")
        self.remote_button.clicked.connect(lambda: self._actions.sign_in(remote=True))

        self.table = self._build_table()
        self._build_buttons()

        self.details = self._build_details()
        self.doctor = doctor

        self._build_layout(doctor)

        QShortcut(QKeySequence.StandardKey.Find, self, self.filter.setFocus)
        QShortcut(QKeySequence("Esc"), self, self.close)
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.tick)
        actions.sign_in_running_changed.connect(lambda _r: self._render_buttons())
        self.reload()

    def _build_layout(self, doctor: DoctorPanel | None) -> None:
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        top.addWidget(self.limit_label)
        top.addWidget(self.sign_in_button)
        top.addWidget(self.remote_button)
        buttons = QHBoxLayout()
        for button in (
            self.activate_button,
            self.refresh_button,
            self.rename_button,
            self.region_button,
            self.sign_out_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)

        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table)
        upper_layout.addLayout(buttons)
        splitter.addWidget(upper)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.details, 3)
        if doctor is not None:
            lower_layout.addWidget(doctor, 2)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        table_layout.addWidget(splitter)

        self.empty = QLabel(EMPTY_TEXT)
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setMargin(40)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty)
        self.pages.addWidget(table_page)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.PRINCIPAL, QHeaderView.ResizeMode.Stretch)
        table.installEventFilter(_TableKeys(self))
        table.doubleClicked.connect(lambda _index: self.activate_selected())
        table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        return table

    def _build_buttons(self) -> None:
        self.activate_button = QPushButton("Make active")
        self.activate_button.setToolTip("Enter")
        self.activate_button.clicked.connect(self.activate_selected)
        self.refresh_button = QPushButton("Refresh now")
        self.refresh_button.clicked.connect(self.refresh_selected)
        self.rename_button = QPushButton("Rename…")
        self.rename_button.setToolTip("F2")
        self.rename_button.clicked.connect(self.rename_selected)
        self.region_button = QPushButton("Change region…")
        self.region_button.clicked.connect(self.change_region_selected)
        self.sign_out_button = QPushButton("Sign out…")
        self.sign_out_button.setToolTip("Delete")
        self.sign_out_button.clicked.connect(self.sign_out_selected)

    def _sign_in_clicked(self) -> None:
        self._actions.sign_in()

    def _filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        if not self.selected_id() and self.proxy.rowCount() > 0:
            self.table.selectRow(0)
        self._selection_changed()

    # -- details -------------------------------------------------------------------
    def _build_details(self) -> QGroupBox:
        box = QGroupBox("Details")
        form = QFormLayout(box)
        self.arn_label = QLabel()
        self.arn_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signed_in_label = QLabel()
        self.last_refresh_label = QLabel()
        self.mode_label = QLabel()
        self.reason_label = QLabel()
        self.reason_label.setWordWrap(True)
        self.history = QListWidget()
        self.history.setToolTip(
            "Every token call, named as AWS CloudTrail records it: AuthorizeOAuth2Access for the browser "
            "step, CreateOAuth2Token for each exchange and refresh."
        )
        form.addRow("Session ARN:", self.arn_label)
        form.addRow("Signed in at:", self.signed_in_label)
        form.addRow("Last refresh:", self.last_refresh_label)
        form.addRow("Credential mode:", self.mode_label)
        form.addRow("State:", self.reason_label)
        form.addRow("History (CloudTrail):", self.history)
        return box

    def _render_details(self, session: Session | None) -> None:
        if session is None:
            for label in (self.arn_label, self.signed_in_label, self.last_refresh_label, self.mode_label):
                label.setText("—")
            self.reason_label.setText("Select a session to see its details.")
            self.history.clear()
            return
        self.arn_label.setText(session.identity.arn)
        self.signed_in_label.setText(format_clock(session.signed_in_at))
        self.last_refresh_label.setText(format_clock(session.last_refresh_at))
        self.mode_label.setText(session.credential_mode.value)
        state = {
            SessionState.FRESH: "Fresh: credentials are renewed automatically before they run low",
            SessionState.REFRESHING: "Refreshing now",
            SessionState.RETRYING: "Retrying after a failure",
            SessionState.NEEDS_SIGN_IN: "Needs a new sign-in",
            SessionState.ENDED: "Ended: reached its session limit",
        }[session.state]
        if session.state_reason:
            state += f" ({session.state_reason})"
        if session.state in (SessionState.NEEDS_SIGN_IN, SessionState.ENDED):
            self.reason_label.setText(f"{state}.")
        else:
            remaining = format_remaining(session.session_remaining(self._service.now()))
            self.reason_label.setText(f"{state}. Session ends in {remaining}.")
        self.history.clear()
        for record in reversed(session.history):
            self.history.addItem(f"{format_clock(record.at)}   {record.event_name}   {record.outcome}")

    # -- rendering -------------------------------------------------------------------
    def on_event(self, _event: SessionEvent) -> None:
        """Re-render after any change in core."""
        self.reload()

    def reload(self) -> None:
        """Show core's current sessions, keeping the selection."""
        selected = self.selected_id()
        sessions = self._service.sessions()
        self.model.set_sessions(sessions, self._service.active_session_id())
        self.pages.setCurrentIndex(1 if sessions else 0)
        if selected and (row := self.model.row_of(selected)) >= 0:
            self._select_source_row(row)
        elif sessions and not self.selected_id():
            active = self.model.row_of(self._service.active_session_id() or "")
            self._select_source_row(max(active, 0))
        self._selection_changed()
        if self.doctor is not None:
            self.doctor.set_sessions(sessions)

    def tick(self) -> None:
        """Re-render countdowns."""
        self.model.tick()

    def _select_source_row(self, row: int) -> None:
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.selectRow(index.row())

    def _selection_changed(self) -> None:
        self._render_details(self.selected_session())
        self._render_buttons()

    def _render_buttons(self) -> None:
        session = self.selected_session()
        has = session is not None
        live = session is not None and session.state not in (SessionState.NEEDS_SIGN_IN, SessionState.ENDED)
        for button in (self.activate_button, self.rename_button, self.region_button, self.sign_out_button):
            button.setEnabled(has)
        self.refresh_button.setEnabled(live)
        can_add = self._service.can_add_session() and not self._actions.sign_in_running
        self.sign_in_button.setEnabled(can_add)
        self.remote_button.setEnabled(can_add)
        full = not self._service.can_add_session()
        self.sign_in_button.setToolTip(SESSION_LIMIT_TEXT if full else "Open the AWS sign-in page")
        self.limit_label.setVisible(full)

    # -- selection and commands ------------------------------------------------------
    def selected_id(self) -> str | None:
        """The id of the selected session, if any."""
        rows = self.table.selectionModel().selectedRows()
        if not rows:
            return None
        value = rows[0].data(SESSION_ID_ROLE)
        return str(value) if value else None

    def selected_session(self) -> Session | None:
        """The snapshot of the selected session."""
        session_id = self.selected_id()
        return None if session_id is None else self.model.session_at(self.model.row_of(session_id))

    def activate_selected(self) -> None:
        """Make the selected session active."""
        if session_id := self.selected_id():
            self._actions.make_active(session_id)

    def refresh_selected(self) -> None:
        """Refresh the selected session now."""
        if session_id := self.selected_id():
            self._actions.refresh(session_id)

    def sign_out_selected(self) -> None:
        """Sign the selected session out, after confirmation."""
        if session_id := self.selected_id():
            self._actions.sign_out(session_id)

    def rename_selected(self) -> None:
        """Rename the selected session's profile."""
        if session_id := self.selected_id():
            self._actions.rename(session_id)

    def change_region_selected(self) -> None:
        """Change the selected session's region."""
        if session_id := self.selected_id():
            self._actions.change_region(session_id)

    # -- window -----------------------------------------------------------------------
    def present(self) -> None:
        """Show, raise and focus the window."""
        self.reload()
        self.show()
        self.raise_()
        self.activateWindow()
        self.filter.setFocus()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        self._ticker.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self._ticker.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        super().closeEvent(event)
        if self._on_close is not None:
            self._on_close()
