"""Render the role-profile screenshots from the real app: ``python -m tests.screenshots_roles OUTDIR``.

Unlike :mod:`tests.screenshots` (which shows the in-memory double), this
drives the real session manager in a temporary home against the emulator:
three console sessions are signed in, roles are added with real AssumeRole
calls through the emulator's trust gate, one of the user's own chained
profiles is written by hand, one role is made active and one session is
revoked and refreshed until it needs a new sign-in. Then the switcher and
the tray menu are grabbed. Run it under an X server (``xvfb-run -a``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PySide6.QtGui import QPixmap

    from core.sessions.manager import SessionManager
    from tests.support.emulator import EmulatorHandle

USER_PROFILE = (
    "# written by hand\n"
    "[profile legacy-ops]\n"
    "role_arn = arn:aws:iam::444455556666:role/Deploy\n"
    "source_profile = admin\n"
    "region = us-west-2\n"
    "\n"
)


def _isolate(root: Path) -> None:
    home = root / "home"
    (home / ".aws").mkdir(parents=True)
    os.environ.update(
        HOME=str(home),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_LOGIN_CACHE_DIRECTORY=str(home / ".aws" / "login" / "cache"),
        AWS_LOGIN_TRAY_HOME=str(root / "app"),
        PYTHON_KEYRING_BACKEND="tests.support.keyrings.TestFileKeyring",
        AWS_LOGIN_TRAY_TEST_KEYRING=str(root / "keyring.json"),
        AWS_EC2_METADATA_DISABLED="true",
    )
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ENDPOINT_URL", "AWS_STS_REGIONAL_ENDPOINTS"):
        os.environ.pop(name, None)


async def _scene(emulator: EmulatorHandle) -> SessionManager:
    from core.domain.errors import SignInRequired
    from core.domain.model import CredentialMode
    from core.domain.ports import SystemClock
    from core.sessions.manager import SessionManager
    from core.storage.paths import AppPaths
    from tests.doubles.browser import ApprovingBrowser

    os.environ.update(emulator.env())
    paths = AppPaths.from_environment()
    paths.aws_config_file.write_text(USER_PROFILE, encoding="utf-8")
    browser = ApprovingBrowser(emulator)
    manager = SessionManager(paths, clock=SystemClock(), open_browser=browser)
    browser.session = 1
    admin = await manager.sign_in("eu-west-1", "admin", credential_mode=CredentialMode.CREDENTIAL_PROCESS)
    browser.session = 3
    developer = await manager.sign_in("us-east-2", "developer", credential_mode=CredentialMode.LOGIN_SESSION)
    browser.session = 4
    await manager.sign_in("eu-central-1", "bob", credential_mode=CredentialMode.CREDENTIAL_PROCESS)
    roles = manager.role_profiles
    await roles.add(admin.id, "arn:aws:iam::444455556666:role/Deploy", profile_name="prod-deploy")
    await roles.add(
        admin.id,
        "arn:aws:iam::777788889999:role/Audit",
        profile_name="audit",
        region="eu-central-1",
        external_id="audit-7777",
        duration_seconds=1800,
    )
    await roles.add(developer.id, "arn:aws:iam::111122223333:role/BuildReader", profile_name="build-reader")
    await roles.make_active("prod-deploy")
    emulator.revoke(developer.identity.arn)
    with contextlib.suppress(SignInRequired):
        await manager.refresh(developer.id)
    return manager


async def _render(manager: SessionManager, out: Path) -> None:
    from PySide6.QtCore import QPoint
    from PySide6.QtWidgets import QSystemTrayIcon

    from gui.actions import SessionActions
    from gui.errors import ErrorPresenter
    from gui.icons import IconSet
    from gui.roles import ROLE_NAME_ROLE
    from gui.switcher import SwitcherWindow
    from gui.tasks import TaskRunner
    from gui.tray import TrayController

    presenter = ErrorPresenter(lambda title, text: print(f"{title}: {text}", file=sys.stderr))
    actions = SessionActions(manager, TaskRunner(presenter))
    switcher = SwitcherWindow(actions)
    switcher.resize(1100, 820)
    switcher.move(20, 20)
    switcher.present()
    panel = switcher.roles_panel
    audit = next(item for item in panel._items() if item.data(0, ROLE_NAME_ROLE) == "audit")
    audit.setSelected(True)
    await asyncio.sleep(0.8)
    _save(switcher.grab(), out / "switcher-roles.png")
    switcher.hide()

    tray = TrayController(
        actions, IconSet(), open_switcher=lambda: None, open_settings=lambda: None, quit_app=lambda: None
    )
    if QSystemTrayIcon.isSystemTrayAvailable():
        tray.show()
    tray.rebuild()
    tray.menu.popup(QPoint(0, 0))
    await asyncio.sleep(0.8)
    _save(tray.menu.grab(), out / "tray-menu-roles.png")
    tray.menu.hide()
    tray.hide()


def _save(pixmap: QPixmap, path: Path) -> None:
    if not pixmap.save(str(path)):
        raise RuntimeError(f"could not write {path}")
    print(path)


def main(argv: list[str]) -> int:
    """Render into ``argv[0]`` (default ``docs/screenshots``)."""
    out = Path(argv[0] if argv else "docs/screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="role-shots-") as scratch:
        _isolate(Path(scratch))
        from tests.support.emulator import start_emulator

        with start_emulator() as emulator:
            manager = asyncio.run(_scene(emulator))
            import qasync
            from PySide6.QtWidgets import QApplication

            qapp = QApplication(sys.argv[:1])
            qapp.setApplicationDisplayName("AWS Login Tray")
            loop = qasync.QEventLoop(qapp)
            asyncio.set_event_loop(loop)
            with loop:
                loop.run_until_complete(_render(manager, out))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
