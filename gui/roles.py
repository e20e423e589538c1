"""Role profiles in the GUI: listed under their session, made active, added and removed.

:class:`RolesPanel` is the switcher's tree (each session, its roles below it:
account, role, Region, who wrote it); :class:`TrayRoles` puts the same roles
under each session in the tray menu; :class:`AddRoleDialog` is "Add role…".
A role whose session needs a new sign-in (or has ended) is shown as such and
cannot be made active. Every intent goes through :class:`RoleActions` and the
one task runner; refusals that the user can fix in the dialog (AWS's "not
authorized", a taken name, bad input) are shown inside the dialog instead.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QAction, QBrush, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QPushButton,
    QSpinBox,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.domain.errors import ConfigFileError, RoleError, SignInRequired
from core.domain.model import Session
from core.domain.roles import (
    MAX_CHAINED_DURATION,
    MIN_ROLE_DURATION,
    RoleArn,
    RoleProfile,
    default_role_profile_name,
    default_role_session_name,
)
from core.sessions.service import SessionService
from gui.dialogs import COMMON_REGIONS
from gui.prompts import ask_confirmation

if TYPE_CHECKING:
    from gui.actions import SessionActions

ROLE_NAME_ROLE = Qt.ItemDataRole.UserRole + 20
"""Item data: the role profile's name (role rows)."""
SESSION_ROLE = Qt.ItemDataRole.UserRole + 21
"""Item data: the session id (session rows and role rows)."""
DEAD_TEXT = "needs a new sign-in"


def session_is_dead(session: Session) -> bool:
    """Whether the session must be signed in again before its roles can be used."""
    return not session.state.live


def role_label(role: RoleProfile) -> str:
    """``444455556666 · Deploy · eu-west-1`` (account first, as the session rows say it)."""
    return f"{role.account_id} · {role.role_name} · {role.region or 'no Region'}"


def _owner(role: RoleProfile) -> str:
    if role.managed:
        return "aws-login-tray"
    return "you" if role.regional_sts else "you (global STS: see Doctor)"


class RoleActions(QObject):
    """What a click on a role can ask of core (through the session actions' task runner)."""

    def __init__(self, actions: SessionActions, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self.confirm: Callable[[QWidget | None, str, str], bool] = ask_confirmation
        self.open_dialog: Callable[[AddRoleDialog], None] = lambda dialog: dialog.open()
        self.dialog: AddRoleDialog | None = None
        """The last "Add role…" dialog opened."""

    @property
    def service(self) -> SessionService:
        """The core service."""
        return self._actions.service

    def run(self, coro: Coroutine[Any, Any, None], *, context: str, on_done: Callable[[], None] | None = None) -> None:
        """Run a core call through the one task runner (failures reach the error presenter)."""
        self._actions.runner.start(coro, context=context, on_done=on_done)

    def make_active(self, name: str) -> None:
        """Point the active profile at a role profile."""
        self.run(self.service.role_profiles.make_active(name), context="Switch profile")

    def remove(self, name: str) -> bool:
        """Delete one of our role profiles after asking; returns whether it was started."""
        if not self.confirm(
            self._actions.parent_widget(),
            "Remove role profile",
            f"Remove profile {name} from your AWS config?\n\nPrograms that use it stop working; the role itself "
            "and your session are not changed.",
        ):
            return False
        self.run(self.service.role_profiles.remove(name), context="Remove role profile")
        return True

    def add(self, session_id: str, parent: QWidget | None = None) -> AddRoleDialog | None:
        """Open "Add role…" for a session."""
        session = next((s for s in self.service.sessions() if s.id == session_id), None)
        if session is None:
            return None
        dialog = AddRoleDialog(self, session, parent or self._actions.parent_widget())
        self.dialog = dialog  # a dialog opened from the tray has no parent to keep it alive
        self.open_dialog(dialog)
        return dialog


class AddRoleDialog(QDialog):
    """Asks for a role ARN and the profile's settings, proves the role with one AssumeRole, then writes it."""

    added = Signal(str)
    """Emitted with the new profile's name."""

    def __init__(self, actions: RoleActions, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._actions = actions
        self.session = session
        self.setWindowTitle(f"Add role to {session.profile_name}")
        self.setMinimumWidth(560)
        layout = QVBoxLayout(self)
        intro = QLabel(
            f"A role in another account (the console's <i>Switch role</i>), assumed with the credentials of "
            f"<b>{session.profile_name}</b> ({session.identity.display_name}, {session.account_id}). The role is "
            "tried once now; its profile is written only if AWS agrees."
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.role_arn = QLineEdit()
        self.role_arn.setPlaceholderText("arn:aws:iam::123456789012:role/RoleName")
        self.profile = QLineEdit()
        self.region = QComboBox()
        self.region.setEditable(True)
        self.region.addItems(COMMON_REGIONS)
        self.region.setCurrentText(session.region)
        self.session_name = QLineEdit()
        self.session_name.setPlaceholderText(default_role_session_name(session.identity))
        self.duration = QSpinBox()
        self.duration.setRange(MIN_ROLE_DURATION // 60, MAX_CHAINED_DURATION // 60)
        self.duration.setValue(MAX_CHAINED_DURATION // 60)
        self.duration.setSuffix(" min")
        self.duration.setToolTip("AWS limits a role assumed with a console session's credentials to one hour.")
        self.external_id = QLineEdit()
        self.external_id.setPlaceholderText("only if the role's owner gave you one")
        form.addRow("Role ARN:", self.role_arn)
        form.addRow("Profile name:", self.profile)
        form.addRow("Region:", self.region)
        form.addRow("Session name:", self.session_name)
        form.addRow("Duration:", self.duration)
        form.addRow("External ID:", self.external_id)
        layout.addLayout(form)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.error.setStyleSheet("color: palette(bright-text); background: #b3261e; padding: 6px;")
        self.error.hide()
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Try and add")
        self.ok.setEnabled(False)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        self.role_arn.textChanged.connect(self._arn_changed)

    def _arn_changed(self, text: str) -> None:
        try:
            role = RoleArn.parse(text)
        except ValueError:
            self.ok.setEnabled(False)
            self.profile.setPlaceholderText("")
            return
        self.ok.setEnabled(True)
        self.profile.setPlaceholderText(default_role_profile_name(role))

    def show_error(self, text: str) -> None:
        """Show why the role was not added, and keep the dialog open to fix it."""
        self.error.setText(text)
        self.error.show()

    def submit(self) -> None:
        """Try the role; on success close, on a fixable refusal say why inside the dialog."""
        self.error.hide()
        self.ok.setEnabled(False)
        self.ok.setText("Trying the role…")
        self._actions.run(self._add(), context="Add role", on_done=self._idle)

    def _idle(self) -> None:
        self.ok.setEnabled(True)
        self.ok.setText("Try and add")

    async def _add(self) -> None:
        try:
            role = await self._actions.service.role_profiles.add(
                self.session.id,
                self.role_arn.text(),
                profile_name=self.profile.text().strip() or None,
                region=self.region.currentText().strip() or None,
                session_name=self.session_name.text().strip() or None,
                duration_seconds=self.duration.value() * 60,
                external_id=self.external_id.text().strip() or None,
            )
        except (RoleError, ConfigFileError, SignInRequired) as exc:
            self.show_error(exc.user_message)
            return
        self.added.emit(role.name)
        self.accept()


def _session_item(session: Session, active_id: str | None, active_role: str | None) -> QTreeWidgetItem:
    dead = session_is_dead(session)
    marker = " (active)" if session.id == active_id and not active_role else ""
    text = f"{session.profile_name}{marker}"
    item = QTreeWidgetItem([text, session.account_id, session.identity.display_name, session.region, ""])
    item.setData(0, SESSION_ROLE, session.id)
    if dead:
        item.setText(4, DEAD_TEXT)
    font = item.font(0)
    font.setBold(True)
    item.setFont(0, font)
    return item


def _role_item(role: RoleProfile, session: Session, active_role: str | None, palette: QPalette) -> QTreeWidgetItem:
    marker = " (active)" if role.name == active_role else ""
    owner = _owner(role)
    dead = session_is_dead(session)
    item = QTreeWidgetItem(
        [f"{role.name}{marker}", role.account_id, role.role_name, role.region or "-", DEAD_TEXT if dead else owner]
    )
    item.setData(0, ROLE_NAME_ROLE, role.name)
    item.setData(0, SESSION_ROLE, session.id)
    item.setToolTip(0, f"{role.settings.role_arn}\nassumed with {session.profile_name}; written by {owner}")
    if dead:
        muted = QBrush(palette.color(QPalette.ColorGroup.Disabled, QPalette.ColorRole.Text))
        for column in range(5):
            item.setForeground(column, muted)
    return item


NO_ROLES_HINT = (
    "No role profiles yet. To use a role in another account, select the session whose credentials "
    "should assume it, then choose “Add role…”."
)


class RolesPanel(QGroupBox):
    """Every session with its role profiles below it; Add role…, Make active, Remove."""

    def __init__(self, actions: SessionActions, parent: QWidget | None = None) -> None:
        super().__init__("Roles in other accounts", parent)
        self.role_actions = RoleActions(actions, self)
        self._service = actions.service
        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["Profile", "Account", "Role", "Region", "Written by"])
        self.tree.setRootIsDecorated(True)
        self.tree.setUniformRowHeights(True)
        self.tree.header().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(True)
        self.tree.itemSelectionChanged.connect(self._render_buttons)
        self.tree.itemDoubleClicked.connect(lambda *_: self.activate_selected())
        self.add_button = QPushButton("Add role…")
        self.add_button.setToolTip("A role in another account, assumed with the selected session's credentials")
        self.add_button.clicked.connect(self.add_to_selected)
        self.activate_button = QPushButton("Make role active")
        self.activate_button.clicked.connect(self.activate_selected)
        self.remove_button = QPushButton("Remove role…")
        self.remove_button.clicked.connect(self.remove_selected)
        buttons = QHBoxLayout()
        for button in (self.add_button, self.activate_button, self.remove_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        self.hint = QLabel(NO_ROLES_HINT)  # without it, a tree of sessions alone reads as a copy of the table above
        self.hint.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.addWidget(self.hint)
        layout.addWidget(self.tree)
        layout.addLayout(buttons)
        self.reload()

    def reload(self) -> None:
        """Show core's sessions and role profiles, keeping the selection."""
        selected = self._selected_key()
        sessions = self._service.sessions()
        roles = self._service.role_profiles.list_roles()
        active_id = self._service.active_session_id()
        active_role = self._service.role_profiles.active()
        self.tree.clear()
        for session in sessions:
            parent = _session_item(session, active_id, active_role)
            self.tree.addTopLevelItem(parent)
            for role in (r for r in roles if r.session_id == session.id):
                parent.addChild(_role_item(role, session, active_role, self.palette()))
            parent.setExpanded(True)
        self.hint.setVisible(bool(sessions) and not roles)
        self._restore(selected)
        self._render_buttons()

    def _selected_key(self) -> tuple[str | None, str | None]:
        items = self.tree.selectedItems()
        if not items:
            return None, None
        return items[0].data(0, SESSION_ROLE), items[0].data(0, ROLE_NAME_ROLE)

    def _restore(self, key: tuple[str | None, str | None]) -> None:
        for item in self._items():
            if (item.data(0, SESSION_ROLE), item.data(0, ROLE_NAME_ROLE)) == key:
                item.setSelected(True)
                return

    def _items(self) -> list[QTreeWidgetItem]:
        """Every row: each session followed by its roles."""
        rows: list[QTreeWidgetItem] = []
        for index in range(self.tree.topLevelItemCount()):
            top = self.tree.topLevelItem(index)
            if top is not None:
                rows.append(top)
                rows.extend(child for i in range(top.childCount()) if (child := top.child(i)) is not None)
        return rows

    def selected_session(self) -> Session | None:
        """The selected session (or the session of the selected role)."""
        session_id, _role = self._selected_key()
        return next((s for s in self._service.sessions() if s.id == session_id), None)

    def selected_role(self) -> RoleProfile | None:
        """The selected role profile, if a role row is selected."""
        _session, name = self._selected_key()
        return next((r for r in self._service.role_profiles.list_roles() if r.name == name), None)

    def _render_buttons(self) -> None:
        session = self.selected_session()
        role = self.selected_role()
        live = session is not None and not session_is_dead(session)
        self.add_button.setEnabled(live)
        self.activate_button.setEnabled(live and role is not None)
        self.remove_button.setEnabled(role is not None and role.managed)
        self.remove_button.setToolTip(
            "" if role is None or role.managed else "Your own profile: edit your AWS config to remove it."
        )
        if session is not None and not live:
            self.activate_button.setToolTip(f"{session.profile_name} {DEAD_TEXT}: sign in again first.")
        else:
            self.activate_button.setToolTip("Point the active profile at this role (Enter / double-click)")

    def add_to_selected(self) -> None:
        """Open "Add role…" for the selected session."""
        if (session := self.selected_session()) is not None:
            self.role_actions.add(session.id, self.window())

    def activate_selected(self) -> None:
        """Make the selected role profile active (not when its session needs a sign-in)."""
        role, session = self.selected_role(), self.selected_session()
        if role is not None and session is not None and not session_is_dead(session):
            self.role_actions.make_active(role.name)

    def remove_selected(self) -> None:
        """Remove the selected role profile, if it is ours."""
        if (role := self.selected_role()) is not None and role.managed:
            self.role_actions.remove(role.name)


class TrayRoles:
    """Puts each session's role profiles under it in the tray menu."""

    def __init__(self, actions: SessionActions, owner: QObject) -> None:
        self.role_actions = RoleActions(actions, owner)
        self._service = actions.service
        self._owner = owner
        self.actions: dict[str, QAction] = {}

    def clear(self) -> None:
        """Forget the actions of the last menu (the menu was cleared)."""
        for action in self.actions.values():
            action.deleteLater()
        self.actions = {}

    def active_role(self) -> str | None:
        """The role profile the active profile assumes, if any."""
        return self._service.role_profiles.active()

    def add_under(self, menu: QMenu, session: Session, roles: list[RoleProfile], active_role: str | None) -> None:
        """Add ``session``'s roles to ``menu`` (right after the session's own entry)."""
        dead = session_is_dead(session)
        for role in (r for r in roles if r.session_id == session.id):
            note = " · needs sign-in" if dead else ("" if role.managed else " · yours")
            action = QAction(f"      ↳ {role.name}\t{role_label(role)}{note}", self._owner)
            action.setCheckable(True)
            action.setChecked(role.name == active_role)
            action.setEnabled(not dead)
            action.setToolTip(
                f"profile {role.name}: {role.settings.role_arn}"
                + (f"\n{session.profile_name} {DEAD_TEXT}." if dead else "\nChoose to make it the active profile.")
            )
            action.triggered.connect(lambda _checked=False, name=role.name: self.role_actions.make_active(name))
            menu.addAction(action)
            self.actions[role.name] = action
