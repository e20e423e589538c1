"""Show log and About: what the app did (its log file, never a secret in it) and which version runs."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QUrl
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

LOG_TAIL_BYTES = 200_000
"""How much of the end of the log the viewer shows."""
PROJECT = "aws-login-tray"


def app_version() -> str:
    """The installed version, or ``unknown`` when running from a checkout without metadata."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(PROJECT)
    except PackageNotFoundError:
        return "unknown"


def read_log_tail(path: Path, limit: int = LOG_TAIL_BYTES) -> str:
    """The last ``limit`` bytes of the log, from a line start; a sentence when there is none yet."""
    try:
        with path.open("rb") as handle:
            handle.seek(0, 2)
            size = handle.tell()
            handle.seek(max(0, size - limit))
            data = handle.read()
    except FileNotFoundError:
        return f"No log yet ({path} does not exist)."
    except OSError as exc:
        return f"Cannot read {path}: {exc.strerror}."
    text = data.decode("utf-8", errors="replace")
    return text.split("\n", 1)[1] if size > limit and "\n" in text else text


class LogDialog(QDialog):
    """The end of the log file, read-only, with Reload, Copy and Open folder."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._path = path
        self.setWindowTitle("AWS Login Tray: log")
        self.resize(900, 520)
        where = QLabel(f"{path} (events and reasons only: tokens and keys are never logged)")
        where.setWordWrap(True)
        self.text = QPlainTextEdit()
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.text.setFont(QFont("monospace"))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        reload_button = QPushButton("&Reload")
        reload_button.clicked.connect(self.reload)
        copy = QPushButton("&Copy all")
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(self.text.toPlainText()))
        folder = QPushButton("Open &folder")
        folder.clicked.connect(lambda: QDesktopServices.openUrl(QUrl.fromLocalFile(str(path.parent))))
        for button in (reload_button, copy, folder):
            buttons.addButton(button, QDialogButtonBox.ButtonRole.ActionRole)
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.reload()

    def reload(self) -> None:
        """Read the log again and scroll to its end."""
        self.text.setPlainText(read_log_tail(self._path))
        bar = self.text.verticalScrollBar()
        bar.setValue(bar.maximum())


def about_text(version: str) -> str:
    """What the About box says."""
    return (
        f"<h3>AWS Login Tray {version}</h3>"
        "<p>Keeps up to five <code>aws login</code> console sessions fresh, each behind its own profile, "
        "and switches the active profile from the tray.</p>"
        "<p>Licensed under the Apache License 2.0.</p>"
    )


_open_boxes: set[QMessageBox] = set()
"""Without a parent, only this reference keeps an open About box alive."""


def show_about(parent: QWidget | None) -> QMessageBox:
    """The About box (non-blocking)."""
    box = QMessageBox(QMessageBox.Icon.Information, "About AWS Login Tray", about_text(app_version()), parent=parent)
    box.setIconPixmap(QGuiApplication.windowIcon().pixmap(64, 64))
    _open_boxes.add(box)
    box.finished.connect(lambda _result: _open_boxes.discard(box))
    box.open()
    return box
