"""The settings dialog: edits a copy of core's Settings and hands it back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from core.desktop import integration as desktop
from core.domain.model import CredentialMode
from core.sessions.service import SessionService
from core.storage.settings import Settings
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


def parse_leads(text: str) -> tuple[int, ...] | None:
    """``"30, 5"`` → ``(30, 5)``; None when the text is not a list of 1 to 720 minute values."""
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    try:
        values = sorted({int(p) for p in parts}, reverse=True)
    except ValueError:
        return None
    if not values or any(not 1 <= v <= 720 for v in values):
        return None
    return tuple(values)


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
        self.leads = QLineEdit(", ".join(str(m) for m in current.expiry_lead_minutes))
        self.leads.setToolTip("Minutes before a session's 12-hour limit, comma separated")
        self.leads.textChanged.connect(self._validate)
        self.start_at_login = QCheckBox("Start AWS Login Tray when I log in")
        self.start_at_login.setChecked(current.start_at_login or autostart_enabled())

        form = QFormLayout()
        form.addRow("Active profile name:", self.profile)
        form.addRow("Default region:", self.region)
        form.addRow("Warn before a session ends (minutes):", self.leads)
        form.addRow("", self.start_at_login)

        mode_box = self._build_mode_box(current)

        self.error = QLabel()
        self.error.setStyleSheet("color: #c53030")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(mode_box)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self._render_note()
        self._validate()

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

    def _validate(self) -> bool:
        ok = parse_leads(self.leads.text()) is not None
        self.error.setText("" if ok else "Enter minutes between 1 and 720, separated by commas (e.g. 30, 5).")
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(ok)
        return ok

    def edited_settings(self) -> Settings:
        """The settings as shown in the dialog."""
        current = self._service.settings()
        return replace(
            current,
            active_profile_name=self.profile.text().strip() or current.active_profile_name,
            credential_mode=CredentialMode.LOGIN_SESSION
            if self.mode_login.isChecked()
            else CredentialMode.CREDENTIAL_PROCESS,
            expiry_lead_minutes=parse_leads(self.leads.text()) or current.expiry_lead_minutes,
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
