"""Small dialogs: the region question and the cross-device code prompt."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from core.domain.errors import SignInCancelled
from core.domain.regions import is_region_name
from gui.prompts import answer_of
from gui.qr import qr_pixmap

COMMON_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "sa-east-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1",
    "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1",
    "ap-southeast-2", "me-central-1", "af-south-1",
)  # fmt: skip


@dataclass(frozen=True)
class RegionChoice:
    """The answer of :class:`RegionDialog`."""

    region: str
    remote: bool = False
    remember: bool = True


class RegionDialog(QDialog):
    """Asks which AWS Region to sign in to, like ``aws login`` does the first time."""

    def __init__(self, parent: QWidget | None = None, current: str | None = None, *, first_sign_in: bool) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to AWS" if first_sign_in else "Change region")
        layout = QVBoxLayout(self)
        intro = QLabel(
            "Which AWS Region should the profile use? Sign-in and STS calls go to this Region's endpoints."
            if first_sign_in
            else "Region written to this profile (STS calls use its regional endpoint):"
        )
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.region = QComboBox()
        self.region.setEditable(True)
        self.region.addItems(COMMON_REGIONS)
        self.region.setCurrentText(current or "us-east-1")
        form.addRow("Region:", self.region)
        layout.addLayout(form)
        self.remote = QCheckBox("No browser on this computer: sign in on another device")
        self.remember = QCheckBox("Use this Region for future sign-ins")
        self.remember.setChecked(True)
        if first_sign_in:
            layout.addWidget(self.remote)
            layout.addWidget(self.remember)
        else:
            self.remote.hide()
            self.remember.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in…" if first_sign_in else "Change")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.region.currentTextChanged.connect(lambda text: ok.setEnabled(is_region_name(text.strip())))

    def choice(self) -> RegionChoice:
        """What the user picked."""
        return RegionChoice(self.region.currentText().strip(), self.remote.isChecked(), self.remember.isChecked())


def ask_region(parent: QWidget | None, current: str | None) -> RegionChoice | None:
    """Show :class:`RegionDialog` modally; None when cancelled."""
    dialog = RegionDialog(parent, current, first_sign_in=current is None)
    if dialog.exec() != QDialog.DialogCode.Accepted:
        return None
    return dialog.choice()


class CodeDialog(QDialog):
    """Shows the cross-device sign-in URL and takes the verification code."""

    def __init__(self, url: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in on another device")
        self.setMinimumWidth(520)
        layout = QVBoxLayout(self)
        text = QLabel(
            "Open this address in a browser on any device, sign in, then paste the verification code shown there."
        )
        text.setWordWrap(True)
        layout.addWidget(text)
        row = QHBoxLayout()
        self.url = QLineEdit(url)
        self.url.setReadOnly(True)
        self.copy_button = QPushButton("&Copy link")
        self.copy_button.clicked.connect(lambda: self._copy(url))
        row.addWidget(self.url)
        row.addWidget(self.copy_button)
        layout.addLayout(row)
        self.qr = QLabel()
        self.qr.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.qr.setToolTip("Scan with a phone's camera to open the sign-in page there")
        try:
            self.qr.setPixmap(qr_pixmap(url))
        except ImportError:  # segno missing from a broken install: the link still works
            self.qr.setText("(QR code unavailable)")
        layout.addWidget(self.qr)
        form = QFormLayout()
        self.code = QLineEdit()
        self.code.setPlaceholderText("Verification code")
        form.addRow("Code:", self.code)
        layout.addLayout(form)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel)
        self._ok = buttons.button(QDialogButtonBox.StandardButton.Ok)
        self._ok.setEnabled(False)
        self.code.textChanged.connect(lambda t: self._ok.setEnabled(bool(t.strip())))
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def _copy(self, url: str) -> None:
        QGuiApplication.clipboard().setText(url)
        self.copy_button.setText("Copied ✓")
        QTimer.singleShot(2000, lambda: self.copy_button.setText("&Copy link"))


class DialogCodePrompt:
    """A :data:`core.domain.ports.CodePrompt` answered by :class:`CodeDialog` (non-modal, awaited)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        self._parent = parent
        self.dialog: CodeDialog | None = None

    async def __call__(self, url: str) -> str:
        dialog = CodeDialog(url, self._parent)
        self.dialog = dialog
        try:
            code = await answer_of(
                dialog, lambda result: dialog.code.text().strip() if result == QDialog.DialogCode.Accepted else None
            )
        finally:
            self.dialog = None
        if code is None:
            raise SignInCancelled("Sign-in cancelled.")
        return code
