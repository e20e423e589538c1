"""The settings dialog: edits a copy of core's Settings and hands it back."""

from __future__ import annotations

import asyncio
import shlex
import shutil
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QRadioButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.desktop import integration as desktop
from core.domain.model import CredentialMode
from core.sessions.service import SessionService
from core.storage.settings import ICON_THEMES, Settings
from gui.dialogs import COMMON_REGIONS
from gui.tasks import TaskRunner

LOGIN_SESSION_NOTE = (
    "With login_session the refresh token and the DPoP private key are kept in the AWS login cache file "
    "(~/.aws/login/cache), readable by your user, exactly as `aws login` does. SDKs read that file directly."
)
CREDENTIAL_PROCESS_NOTE = (
    "With credential_process the refresh token and DPoP key stay in your OS keyring; SDKs ask this app for "
    "short-lived credentials (every SDK, old ones included)."
)


LEAD_SLOTS = 3
"""Warning lead times the dialog offers (a spin box each; 0 turns one off)."""
MAX_LEAD = 720
ICON_THEME_LABELS = {
    "auto": "Automatic: outlined, reads on any panel",
    "light": "For a light panel (dark icon)",
    "dark": "For a dark panel (white icon)",
}


def leads_from(values: list[int]) -> tuple[int, ...] | None:
    """Spin box values → the lead times (largest first, no repeats); None when all are off."""
    chosen = sorted({v for v in values if v > 0}, reverse=True)
    return tuple(chosen) or None


def profile_name_problem(name: str) -> str | None:
    """Why ``name`` cannot be a profile name, or None."""
    if not name:
        return "The active profile needs a name (usually “default”)."
    if any(ch.isspace() or ch in "[]" for ch in name):
        return "A profile name has no spaces or brackets."
    return None


def browser_problem(command: str) -> str | None:
    """Why ``command`` cannot open the sign-in page, or None (empty: the default browser)."""
    if not command.strip():
        return None
    try:
        program = shlex.split(command)[0]
    except (ValueError, IndexError):
        return "The browser command cannot be read (check its quotes)."
    if shutil.which(program) is None:
        return f"No program “{program}” is found on the PATH."
    return None


class SettingsDialog(QDialog):
    """Edits :class:`core.storage.settings.Settings`; OK saves through the service."""

    def __init__(
        self,
        service: SessionService,
        runner: TaskRunner,
        *,
        set_autostart: Callable[[bool], None] = desktop.set_autostart,
        autostart_enabled: Callable[[], bool] = desktop.autostart_enabled,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self._runner = runner
        self._set_autostart = set_autostart
        self.setWindowTitle("AWS Login Tray: settings")
        self.setMinimumWidth(560)
        current = service.settings()

        self.profile = QLineEdit(current.active_profile_name)
        self.profile.setToolTip("The profile programs use when no AWS_PROFILE is set is usually “default”.")
        self.region = QComboBox()
        self.region.setEditable(True)
        self.region.addItem("")
        self.region.addItems(COMMON_REGIONS)
        self.region.setCurrentText(current.default_region or "")
        leads_row = self._build_leads(current)
        self.icon_theme = QComboBox()
        for theme in ICON_THEMES:
            self.icon_theme.addItem(ICON_THEME_LABELS[theme], theme)
        self.icon_theme.setCurrentIndex(max(self.icon_theme.findData(current.icon_theme), 0))
        self.browser = QLineEdit(current.browser_command)
        self.browser.setPlaceholderText("Default browser")
        self.browser.setToolTip("A command that opens a URL, e.g. “firefox --private-window”; empty: the default")
        self.browser.textChanged.connect(lambda _t: self._validate())
        self.profile.textChanged.connect(lambda _t: self._validate())
        self.start_at_login = QCheckBox("Start AWS Login Tray when I log in")
        self.start_at_login.setChecked(current.start_at_login or autostart_enabled())

        form = QFormLayout()
        form.addRow("Active profile name:", self.profile)
        form.addRow("Default region:", self.region)
        form.addRow("Warn before a session ends:", leads_row)
        form.addRow("Tray icon:", self.icon_theme)
        form.addRow("Sign in with:", self.browser)
        form.addRow("", self.start_at_login)

        mode_box = self._build_mode_box(current)

        self.error = QLabel()
        self.error.setStyleSheet("color: #c53030")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("&Save")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(mode_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._render_note()
        self._validate()

    def _build_leads(self, current: Settings) -> QHBoxLayout:
        """One spin box per warning lead time."""
        self.lead_boxes = [QSpinBox() for _ in range(LEAD_SLOTS)]
        leads_row = QHBoxLayout()
        for box, minutes in zip(self.lead_boxes, [*current.expiry_lead_minutes, 0, 0, 0], strict=False):
            box.setRange(0, MAX_LEAD)
            box.setSuffix(" min")
            box.setSpecialValueText("off")
            box.setValue(minutes)
            box.setToolTip("Minutes before a session's 12-hour limit; “off” warns no more")
            box.valueChanged.connect(lambda _v: self._validate())
            leads_row.addWidget(box)
        leads_row.addStretch(1)
        return leads_row

    def _build_mode_box(self, current: Settings) -> QGroupBox:
        mode_box = QGroupBox("How programs get credentials (new sign-ins)")
        self.mode_process = QRadioButton("credential_process (secrets stay in the OS keyring)")
        self.mode_login = QRadioButton("login_session (the AWS CLI's own format)")
        (self.mode_login if current.credential_mode is CredentialMode.LOGIN_SESSION else self.mode_process).setChecked(
            True
        )
        self.mode_note = QLabel()
        self.mode_note.setWordWrap(True)
        self.mode_process.toggled.connect(lambda _on: self._render_note())
        mode_layout = QVBoxLayout(mode_box)
        mode_layout.addWidget(self.mode_process)
        mode_layout.addWidget(self.mode_login)
        mode_layout.addWidget(self.mode_note)
        self.plaintext = QCheckBox("No OS keyring here: keep refresh tokens and DPoP keys in private 0600 files")
        self.plaintext.setToolTip(
            "Only for machines without a Secret Service; anyone who can read your files can use them"
        )
        self.plaintext.setChecked(current.use_plaintext_secrets)
        mode_layout.addWidget(self.plaintext)
        return mode_box

    def _render_note(self) -> None:
        self.mode_note.setText(LOGIN_SESSION_NOTE if self.mode_login.isChecked() else CREDENTIAL_PROCESS_NOTE)

    def _problem(self) -> str | None:
        if leads_from([box.value() for box in self.lead_boxes]) is None:
            return "Keep at least one warning (minutes between 1 and 720)."
        return profile_name_problem(self.profile.text().strip()) or browser_problem(self.browser.text())

    def _validate(self) -> bool:
        """Say what is wrong as it is typed (Save stays off until it is fixed)."""
        problem = self._problem()
        self.error.setText(problem or "")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(problem is None)
        return problem is None

    def edited_settings(self) -> Settings:
        """The settings as shown in the dialog."""
        current = self._service.settings()
        return replace(
            current,
            active_profile_name=self.profile.text().strip() or current.active_profile_name,
            credential_mode=CredentialMode.LOGIN_SESSION
            if self.mode_login.isChecked()
            else CredentialMode.CREDENTIAL_PROCESS,
            expiry_lead_minutes=leads_from([b.value() for b in self.lead_boxes]) or current.expiry_lead_minutes,
            icon_theme=str(self.icon_theme.currentData()),
            browser_command=self.browser.text().strip(),
            start_at_login=self.start_at_login.isChecked(),
            use_plaintext_secrets=self.plaintext.isChecked(),
            default_region=self.region.currentText().strip() or None,
        )

    def accept(self) -> None:
        if not self._validate():
            return
        settings = self.edited_settings()
        self._runner.start(self._save(settings), context="Save settings")
        super().accept()

    async def _save(self, settings: Settings) -> None:
        await self._service.update_settings(settings)
        await asyncio.get_running_loop().run_in_executor(None, self._set_autostart, settings.start_at_login)
