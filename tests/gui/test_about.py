"""Show log, About, and the other-device dialog's QR code and Copy feedback."""

from __future__ import annotations

import logging
from pathlib import Path

import segno
from PySide6.QtGui import QColor
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from core.domain.logs import add_log_file
from gui.about import LogDialog, about_text, read_log_tail
from gui.app import TrayApp
from gui.dialogs import CodeDialog
from gui.errors import ErrorPresenter
from gui.icons import IconSet
from gui.qr import QUIET_ZONE, qr_pixmap
from gui.tasks import TaskRunner
from tests.doubles.front_end import RecordingSink
from tests.doubles.session_service import RecordingSessionService

URL = "https://us-east-1.signin.aws.amazon.com/v1/authorize?" + "x" * 360


def test_the_qr_code_holds_the_modules_segno_computed(qapp: QApplication) -> None:
    matrix = segno.make(URL, error="m", micro=False).matrix
    image = qr_pixmap(URL, module_px=2).toImage()
    assert image.width() == (len(matrix) + 2 * QUIET_ZONE) * 2
    for y, row in enumerate(matrix):
        for x, dark in enumerate(row):
            colour = image.pixelColor((x + QUIET_ZONE) * 2, (y + QUIET_ZONE) * 2)
            assert (colour == QColor("#000000")) == bool(dark)
    assert image.pixelColor(0, 0) == QColor("#ffffff")  # the quiet zone scanners need


def test_copy_link_says_it_copied(qtbot: QtBot) -> None:
    dialog = CodeDialog(URL)
    qtbot.addWidget(dialog)
    assert dialog.qr.pixmap() is not None
    assert not dialog.qr.pixmap().isNull()
    dialog.copy_button.click()
    clipboard = QApplication.clipboard()
    assert clipboard is not None
    assert clipboard.text() == URL
    assert dialog.copy_button.text() == "Copied ✓"
    qtbot.waitUntil(lambda: dialog.copy_button.text() == "&Copy link", timeout=4000)


def test_the_log_file_is_private_and_shown_from_its_end(tmp_path: Path, qtbot: QtBot) -> None:
    path = tmp_path / "app" / "tray.log"
    assert add_log_file(path)
    root = logging.getLogger()
    handler = root.handlers[-1]
    level, disabled = root.level, root.manager.disable
    root.setLevel(logging.INFO)  # earlier tests may have quietened the root logger
    logging.disable(logging.NOTSET)
    try:
        root.warning("refresh of work-admin failed: TransientServiceError")
        handler.flush()
    finally:
        root.removeHandler(handler)
        handler.close()
        root.setLevel(level)
        logging.disable(disabled)
    assert path.stat().st_mode & 0o777 == 0o600
    dialog = LogDialog(path)
    qtbot.addWidget(dialog)
    assert "refresh of work-admin failed" in dialog.text.toPlainText()
    path.write_text("first line\n" + "y" * 50 + "\nlast line\n")
    assert read_log_tail(path, limit=20) == "last line\n"
    assert "does not exist" in read_log_tail(tmp_path / "missing.log")


def test_about_names_the_version() -> None:
    assert "AWS Login Tray 1.2.3" in about_text("1.2.3")


def test_the_tray_menu_opens_the_log_and_about(
    qtbot: QtBot, tmp_path: Path, service: RecordingSessionService, runner: TaskRunner, sink: RecordingSink
) -> None:
    log = tmp_path / "tray.log"
    log.write_text("2026-03-02 09:00:00 INFO gui.app: ready: 0 sessions, tray shown\n")
    app = TrayApp(
        service, presenter=ErrorPresenter(sink), icons=IconSet(), tray_available=True, runner=runner, log_file=log
    )
    assert app.tray.log_action.isVisible()
    app.tray.log_action.trigger()
    dialog = next(w for w in QApplication.topLevelWidgets() if isinstance(w, LogDialog) and w.isVisible())
    assert "ready: 0 sessions" in dialog.text.toPlainText()
    dialog.reject()
    app.tray.about_action.trigger()
    box = next(
        w
        for w in QApplication.topLevelWidgets()
        if isinstance(w, QMessageBox) and w.isVisible() and "AWS Login Tray" in w.text()
    )
    assert "Apache" in box.text()
    box.reject()
    hidden = TrayApp(service, presenter=ErrorPresenter(sink), icons=IconSet(), tray_available=True, runner=runner)
    assert not hidden.tray.log_action.isVisible()
