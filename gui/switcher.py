"""The profile switcher: every session in a table, its details, and doctor findings.

Keyboard: the filter has focus on opening (and starts empty); Down or Enter
moves to the table; Tab goes filter → table → buttons; Enter on a live row
makes it active and on a dead row signs it in again; F5 refreshes (or signs
in again); Delete signs out after a confirmation; F2 renames; Alt plus the
underlined letter presses a button; Esc clears the filter, then closes.
A right-click on a row offers every action on that session.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, QPoint, QSortFilterProxyModel, Qt, QTimer
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
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from core.domain.events import SessionEvent
from core.domain.model import MAX_SESSIONS, Session
from core.sessions.attention import needs_sign_in
from gui.actions import SESSION_LIMIT_TEXT, SessionActions
from gui.doctor import DoctorPanel
from gui.format import format_clock, state_text
from gui.models import SESSION_ID_ROLE, SORT_ROLE, Column, SessionTableModel
from gui.roles import RolesPanel
from gui.session_menu import fill_session_menu

EMPTY_TEXT = (
    "<h2>No AWS sessions yet</h2>"
    "<p>Choose <b>Sign in…</b>: your browser opens the AWS sign-in page. Pick one of your console "
    "sessions (or sign in), and it appears here with its own profile in your AWS config.</p>"
    f"<p>You can keep up to {MAX_SESSIONS} sessions, each kept in fresh 15-minute credentials until "
    "its 12-hour limit. Programs use the <i>active</i> profile; switch it here or from the tray menu.</p>"
    "<p>No browser on this computer? Choose <b>Sign in on another device…</b>.</p>"
)
MESSAGE_MS = 8000
"""How long an inline message stays (an error stays until the next one or a click)."""


class _TableKeys(QObject):
    """Enter / Delete / F2 / F5 on the table (F5 also works anywhere in the window)."""

    def __init__(self, switcher: SwitcherWindow) -> None:
        super().__init__(switcher)
        self._switcher = switcher

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            key = event.key()
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._switcher.enter_selected()
                return True
            if key == Qt.Key.Key_Delete:
                self._switcher.sign_out_selected()
                return True
            if key == Qt.Key.Key_F2:
                self._switcher.rename_selected()
                return True
            if key == Qt.Key.Key_F5:
                self._switcher.recover_selected()
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
            if self._switcher.proxy.rowCount() == 0:
                return True
            self._switcher.table.setFocus()
            if not self._switcher.selected_id():
                self._switcher.table.selectRow(0)
            if event.key() != Qt.Key.Key_Down:
                self._switcher.enter_selected()
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

        self.model = SessionTableModel(self._service.now, self, lambda: self._service.settings().expiry_lead_minutes)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setFilterCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.proxy.setFilterKeyColumn(-1)
        self.proxy.setSortRole(SORT_ROLE)

        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter by profile, account, role or region (Ctrl+F)")
        self.filter.setClearButtonEnabled(True)
        self.filter.textChanged.connect(self._filter_changed)
        self.filter.installEventFilter(_FilterKeys(self))
        self.sign_in_button = QPushButton("S&ign in…")
        self.sign_in_button.clicked.connect(self._sign_in_clicked)
        self.limit_label = QLabel(f"{MAX_SESSIONS} of {MAX_SESSIONS} sessions: sign one out to add another")
        self.limit_label.setToolTip(SESSION_LIMIT_TEXT)
        self.remote_button = QPushButton("Sign in on another &device…")
        self.remote_button.clicked.connect(lambda: self._actions.sign_in(remote=True))
        self._build_message_line()

        self.table = self._build_table()
        self._build_buttons()
        self.details = self._build_details()
        self.doctor = doctor
        self.roles_panel = RolesPanel(actions)
        self._build_layout(doctor)
        self._set_tab_order()

        QShortcut(QKeySequence.StandardKey.Find, self, self.filter.setFocus)
        QShortcut(QKeySequence("Esc"), self, self.escape)
        QShortcut(QKeySequence("F5"), self, self.recover_selected)
        self._stale = False
        self._ticker = QTimer(self)
        self._ticker.setInterval(1000)
        self._ticker.timeout.connect(self.tick)
        actions.sign_in_running_changed.connect(lambda _r: self._render_buttons())
        actions.copied.connect(self.show_message)
        actions.told.connect(self.show_message)
        self.reload()

    def _build_message_line(self) -> None:
        """The sign-in wait state, the inline message line and the "no match" line."""
        self.waiting_label = QLabel("Waiting for the browser to finish the sign-in…")
        self.cancel_sign_in_button = QPushButton("&Cancel sign-in")
        self.cancel_sign_in_button.clicked.connect(self._actions.cancel_sign_in)
        self.copy_link_button = QPushButton("Copy &link")
        self.copy_link_button.setToolTip("The sign-in page, to open in another browser")
        self.copy_link_button.clicked.connect(self._copy_sign_in_link)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message.hide()
        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.timeout.connect(self.message.hide)
        self.no_match = QLabel()
        self.no_match.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_match.hide()

    def _build_layout(self, doctor: DoctorPanel | None) -> None:
        top = QHBoxLayout()
        top.addWidget(self.filter, 1)
        for widget in (
            self.limit_label,
            self.waiting_label,
            self.copy_link_button,
            self.cancel_sign_in_button,
            self.sign_in_button,
            self.remote_button,
        ):
            top.addWidget(widget)
        buttons = QHBoxLayout()
        for button in self.row_buttons:
            buttons.addWidget(button)
        buttons.addStretch(1)

        table_page = QWidget()
        table_layout = QVBoxLayout(table_page)
        table_layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Vertical)
        upper = QWidget()
        upper_layout = QVBoxLayout(upper)
        upper_layout.setContentsMargins(0, 0, 0, 0)
        upper_layout.addWidget(self.table, 1)
        upper_layout.addWidget(self.no_match)
        upper_layout.addLayout(buttons)
        splitter.addWidget(upper)
        splitter.addWidget(self.roles_panel)
        lower = QWidget()
        lower_layout = QHBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.details, 3)
        if doctor is not None:
            lower_layout.addWidget(doctor, 2)
        splitter.addWidget(lower)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setChildrenCollapsible(False)
        splitter.setStretchFactor(2, 2)
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
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)

    def _set_tab_order(self) -> None:
        chain: list[QWidget] = [self.filter, self.table, *self.row_buttons, self.sign_in_button, self.remote_button]
        for before, after in itertools.pairwise(chain):
            QWidget.setTabOrder(before, after)

    def _build_table(self) -> QTableView:
        table = QTableView()
        table.setModel(self.proxy)
        table.setSortingEnabled(True)
        table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setTabKeyNavigation(False)  # Tab leaves the table for the buttons
        table.setAlternatingRowColors(True)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        table.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        header = table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.PRINCIPAL, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(60)
        table.installEventFilter(_TableKeys(self))
        table.doubleClicked.connect(lambda _index: self.enter_selected())
        table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        table.customContextMenuRequested.connect(self._context_menu)
        table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        return table

    def _build_buttons(self) -> None:
        self.activate_button = QPushButton("Make &active")
        self.activate_button.setToolTip("Enter")
        self.activate_button.clicked.connect(self.activate_selected)
        self.refresh_button = QPushButton("&Refresh now")
        self.refresh_button.setToolTip("F5")
        self.refresh_button.clicked.connect(self.recover_selected)
        self.rename_button = QPushButton("Re&name…")
        self.rename_button.setToolTip("F2")
        self.rename_button.clicked.connect(self.rename_selected)
        self.region_button = QPushButton("Change re&gion…")
        self.region_button.setToolTip("Alt+G")
        self.region_button.clicked.connect(self.change_region_selected)
        self.sign_out_button = QPushButton("Sign &out…")
        self.sign_out_button.setToolTip("Delete")
        self.sign_out_button.clicked.connect(self.sign_out_selected)
        self.row_buttons = [
            self.activate_button,
            self.refresh_button,
            self.rename_button,
            self.region_button,
            self.sign_out_button,
        ]

    def _sign_in_clicked(self) -> None:
        self._actions.sign_in()

    def _filter_changed(self, text: str) -> None:
        self.proxy.setFilterFixedString(text)
        if not self.selected_id() and self.proxy.rowCount() > 0:
            self.table.selectRow(0)
        empty = self.proxy.rowCount() == 0 and bool(text) and self.model.rowCount() > 0
        self.no_match.setText(f"No session matches “{text}”. Esc clears the filter." if empty else "")
        self.no_match.setVisible(empty)
        self._selection_changed()

    def _copy_sign_in_link(self) -> None:
        if self._actions.sign_in_url:
            self._actions.copy(self._actions.sign_in_url, "the sign-in link")

    def show_message(self, text: str, *, error: bool = False) -> None:
        """One inline line above the table (the answer to something the user just did here)."""
        self.message.setText(text)
        self.message.setStyleSheet("color: #c81e28; font-weight: bold;" if error else "")
        self.message.show()
        self._message_timer.start(MESSAGE_MS * (3 if error else 1))

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
        self._render_state(session)
        self.history.clear()
        for record in reversed(session.history):
            self.history.addItem(f"{format_clock(record.at)}   {record.event_name}   {record.outcome}")

    def _render_state(self, session: Session | None) -> None:
        if session is not None:
            self.reason_label.setText(state_text(session, self._service.now()))

    # -- rendering -------------------------------------------------------------------
    def on_event(self, _event: SessionEvent) -> None:
        """Re-render after any change in core; while hidden, only remember to when shown."""
        if self.isVisible():
            self.reload()
        else:
            self._stale = True

    def reload(self) -> None:
        """Show core's current sessions, keeping the selection."""
        self._stale = False
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
        self.roles_panel.reload()

    def tick(self) -> None:
        """Re-render countdowns (and the retry countdown in the details)."""
        self.model.tick()
        self._render_state(self.selected_session())

    def _select_source_row(self, row: int) -> None:
        index = self.proxy.mapFromSource(self.model.index(row, 0))
        if index.isValid():
            self.table.selectRow(index.row())

    def _selection_changed(self) -> None:
        self._render_details(self.selected_session())
        self._render_buttons()

    def _render_buttons(self) -> None:
        session = self.selected_session()
        running = self._actions.sign_in_running
        for button in (self.activate_button, self.rename_button, self.region_button, self.sign_out_button):
            button.setEnabled(session is not None)
        dead = session is not None and needs_sign_in(session)
        # One-step recovery: a dead session's button signs it in again (it keeps its place among the five).
        self.refresh_button.setText("&Sign in again…" if dead else "&Refresh now")
        self.refresh_button.setToolTip(
            "F5 or Enter: open the AWS sign-in page for this session" if dead else "F5: refresh the credentials now"
        )
        self.refresh_button.setEnabled(session is not None and not (dead and running))
        full = not self._service.can_add_session()
        self.sign_in_button.setEnabled(not full and not running)
        self.remote_button.setEnabled(not full and not running)
        self.sign_in_button.setToolTip(SESSION_LIMIT_TEXT if full else "Open the AWS sign-in page")
        self.limit_label.setVisible(full and not running)
        self.waiting_label.setVisible(running)
        self.cancel_sign_in_button.setVisible(running)
        self.copy_link_button.setVisible(running and self._actions.sign_in_url is not None)

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

    def enter_selected(self) -> None:
        """Enter: make a live session active, sign a dead one in again."""
        session = self.selected_session()
        if session is not None and needs_sign_in(session):
            self._actions.sign_in_again(session.id)
        else:
            self.activate_selected()

    def activate_selected(self) -> None:
        """Make the selected session active (a dead one only after asking)."""
        if session_id := self.selected_id():
            self._actions.make_active(session_id)

    def recover_selected(self) -> None:
        """Refresh the selected session now, or sign it in again when it needs that."""
        if session_id := self.selected_id():
            self._actions.recover(
                session_id, report=lambda text: self.show_message(f"Refresh failed: {text}", error=True)
            )

    def refresh_selected(self) -> None:
        """Refresh the selected session now (the button's live-session meaning)."""
        self.recover_selected()

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

    def _context_menu(self, position: QPoint) -> None:
        index = self.table.indexAt(position)
        if not index.isValid():
            return
        self.table.selectRow(index.row())
        menu = self.context_menu_for(self.selected_session())
        if menu is not None:
            menu.popup(self.table.viewport().mapToGlobal(position))

    def context_menu_for(self, session: Session | None) -> QMenu | None:
        """The right-click menu of a row: every action on that session."""
        if session is None:
            return None
        menu = QMenu(self)
        # Choosing an item hides a popup without closing it, so WA_DeleteOnClose would keep every menu.
        menu.aboutToHide.connect(menu.deleteLater)  # (deleted after the chosen action has run)
        fill_session_menu(menu, self._actions, session, active=session.id == self._service.active_session_id())
        rename = menu.addAction("Re&name…")
        rename.triggered.connect(lambda _c=False: self._actions.rename(session.id))
        region = menu.addAction("Change re&gion…")
        region.triggered.connect(lambda _c=False: self._actions.change_region(session.id))
        return menu

    # -- window -----------------------------------------------------------------------
    def escape(self) -> None:
        """Esc: clear the filter first, close when it is already empty."""
        if self.filter.text():
            self.filter.clear()
            self.filter.setFocus()
        else:
            self.close()

    def present(self) -> None:
        """Show, raise and focus the window, with an empty filter."""
        self.filter.clear()
        self.reload()
        self.show()
        self.raise_()
        self.activateWindow()
        self.filter.setFocus()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802
        if self._stale:
            self.reload()
        self._ticker.start()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:  # noqa: N802
        self._ticker.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        super().closeEvent(event)
        if self._on_close is not None:
            self._on_close()
