"""Role profiles in the tray menu, the switcher's tree and the "Add role…" dialog (fake core)."""

from __future__ import annotations

import asyncio

from PySide6.QtWidgets import QMenu, QTreeWidgetItem
from pytestqt.qtbot import QtBot

from core.domain.errors import RoleRefused
from core.domain.model import SessionState
from gui.actions import SessionActions
from gui.roles import DEAD_TEXT, ROLE_NAME_ROLE, AddRoleDialog, RolesPanel
from gui.switcher import SwitcherWindow
from tests.doubles.roles import sample_roles
from tests.doubles.session_service import RecordingSessionService as FakeService
from tests.doubles.widgets import make_tray

REFUSAL = (
    "AWS refused to let Admin/alice (account 111122223333) assume role Audit in account 777788889999.\n"
    "  • External ID: if the role's owner gave you an external ID, enter it."
)


def seeded(service: FakeService) -> None:
    sessions = service.fill(5, active=0)
    service.roles.seed(sample_roles(sessions))


def role_rows(panel: RolesPanel) -> dict[str, QTreeWidgetItem]:
    return {str(item.data(0, ROLE_NAME_ROLE)): item for item in panel._items() if item.data(0, ROLE_NAME_ROLE)}


def test_the_tray_lists_roles_under_their_session_and_makes_one_active(
    qtbot: QtBot, service: FakeService, actions: SessionActions
) -> None:
    seeded(service)
    tray = make_tray(actions)
    texts = [a.text() for a in tray.menu.actions() if a.text()]
    admin = texts.index(next(t for t in texts if t.startswith("work-admin")))
    assert texts[admin + 1 : admin + 4] == [
        "      ↳ prod-deploy\t444455556666 · Deploy · eu-west-1",
        "      ↳ audit\t777788889999 · Audit · eu-central-1",
        "      ↳ legacy-ops\t999988887777 · Ops · us-east-1 · yours",
    ]
    dead = tray.roles.actions["billing-reports"]
    assert dead.text().endswith(" · needs sign-in")
    assert DEAD_TEXT in dead.toolTip()
    assert not dead.isEnabled()

    tray.roles.actions["prod-deploy"].trigger()
    qtbot.waitUntil(lambda: service.role_profiles.active() == "prod-deploy")
    tray.rebuild()
    assert tray.roles.actions["prod-deploy"].isChecked()
    assert not any(action.isChecked() for action in tray.session_actions.values())


def test_the_switcher_shows_each_sessions_roles_and_guards_dead_and_foreign_ones(
    qtbot: QtBot, service: FakeService, actions: SessionActions
) -> None:
    seeded(service)
    window = SwitcherWindow(actions)
    qtbot.addWidget(window)
    panel = window.roles_panel
    rows = role_rows(panel)
    deploy = rows["prod-deploy"]
    assert [deploy.text(i) for i in range(5)] == [
        "prod-deploy",
        "444455556666",
        "Deploy",
        "eu-west-1",
        "aws-login-tray",
    ]
    parent = deploy.parent()
    assert parent is not None
    assert parent.text(0).startswith("work-admin")
    assert rows["legacy-ops"].text(4) == "you (global STS: see Doctor)"
    assert rows["billing-reports"].text(4) == DEAD_TEXT

    rows["billing-reports"].setSelected(True)
    assert not panel.activate_button.isEnabled()
    assert not panel.add_button.isEnabled()
    panel.tree.clearSelection()
    rows["legacy-ops"].setSelected(True)
    assert panel.activate_button.isEnabled()
    assert not panel.remove_button.isEnabled()  # the user's own profile is never ours to remove

    panel.tree.clearSelection()
    rows["audit"].setSelected(True)
    panel.activate_selected()
    qtbot.waitUntil(lambda: service.role_profiles.active() == "audit")
    window.reload()
    assert role_rows(window.roles_panel)["audit"].text(0) == "audit (active)"


def test_add_role_dialog_adds_or_shows_the_refusal_inside(
    qtbot: QtBot, service: FakeService, actions: SessionActions
) -> None:
    seeded(service)
    admin = service.sessions()[0]
    panel = RolesPanel(actions)
    qtbot.addWidget(panel)
    opened: list[AddRoleDialog] = []
    panel.role_actions.open_dialog = opened.append
    panel._restore((admin.id, None))
    panel.add_to_selected()
    [dialog] = opened
    qtbot.addWidget(dialog)
    assert not dialog.ok.isEnabled()
    dialog.role_arn.setText("arn:aws:iam::777788889999:role/Audit")
    assert dialog.ok.isEnabled()
    assert dialog.profile.placeholderText() == "777788889999-Audit"

    service.roles.refusal = RoleRefused(REFUSAL, "AccessDenied")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.error.isVisibleTo(dialog))
    assert "External ID" in dialog.error.text()
    assert dialog.result() == 0  # still open, to fix the external id

    service.roles.refusal = None
    dialog.external_id.setText("audit-7777")
    dialog.profile.setText("audit-2")
    dialog.submit()
    qtbot.waitUntil(lambda: dialog.result() == AddRoleDialog.DialogCode.Accepted)
    added = next(r for r in service.role_profiles.list_roles() if r.name == "audit-2")
    assert added.settings.external_id == "audit-7777"
    assert added.session_id == admin.id


def test_roles_of_a_session_that_needs_sign_in_are_not_activatable(
    qtbot: QtBot, service: FakeService, actions: SessionActions
) -> None:
    seeded(service)
    billing = next(s for s in service.sessions() if s.profile_name == "billing")
    assert billing.state is SessionState.NEEDS_SIGN_IN
    panel = RolesPanel(actions)
    qtbot.addWidget(panel)
    role_rows(panel)["billing-reports"].setSelected(True)
    panel.activate_selected()  # refused in the GUI before core is asked
    assert service.role_profiles.active() is None


def test_notifications_stay_per_session_whatever_its_roles(
    qtbot: QtBot, service: FakeService, actions: SessionActions
) -> None:
    from core.domain.events import EventKind
    from gui.notify import Notifier
    from tests.doubles.front_end import RecordingBackend

    seeded(service)
    backend = RecordingBackend()
    notifier = Notifier(actions, backend)
    service.events.subscribe(notifier.on_event)
    admin = next(s for s in service.sessions() if s.profile_name == "work-admin")

    async def use_roles() -> None:
        await service.role_profiles.add(admin.id, "arn:aws:iam::444455556666:role/Other", profile_name="other")
        await service.role_profiles.make_active("audit")
        await service.role_profiles.remove("other")

    task = asyncio.get_event_loop().create_task(use_roles())
    qtbot.waitUntil(task.done)
    task.result()
    assert backend.shown == []  # role changes are the user's own doing: nothing to announce

    service.publish(EventKind.NEEDS_SIGN_IN, admin.evolve(state=SessionState.NEEDS_SIGN_IN))
    assert len(backend.shown) == 1  # one for the session, not one per role under it
    assert "work-admin" in backend.shown[0][0].title + backend.shown[0][0].body


def test_add_role_from_the_tray_sessions_submenu(qtbot: QtBot, service: FakeService, actions: SessionActions) -> None:
    seeded(service)
    admin = next(s for s in service.sessions() if s.profile_name == "work-admin")
    tray = make_tray(actions)
    opened: list[AddRoleDialog] = []
    actions.roles.open_dialog = opened.append

    def submenu(name: str) -> QMenu:
        menu = next(a.menu() for a in tray.manage_menu.actions() if a.text() == name)
        assert isinstance(menu, QMenu)
        return menu

    [add] = [a for a in submenu("work-admin").actions() if a.text() == "Add &role…"]
    add.trigger()
    [dialog] = opened
    qtbot.addWidget(dialog)
    assert dialog.session.id == admin.id
    assert actions.roles.dialog is dialog
    assert "Add &role…" not in [a.text() for a in submenu("billing").actions()]  # needs a sign-in first


def test_the_panel_says_how_to_add_a_role_until_there_is_one(
    qtbot: QtBot, service: FakeService, actions: SessionActions
) -> None:
    sessions = service.fill(3, active=0)
    panel = RolesPanel(actions)
    qtbot.addWidget(panel)
    assert panel.hint.isVisibleTo(panel)
    assert "Add role…" in panel.hint.text()
    service.roles.seed(sample_roles(sessions))
    panel.reload()
    assert not panel.hint.isVisibleTo(panel)
