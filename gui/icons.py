"""Tray and window icons: SVG files in the ``resources`` package's ``icons`` folder, rendered with QtSvg.

Each status has a light-panel and a dark-panel variant; every icon is
rendered at several sizes (and at twice the size for HiDPI screens) so Qt
never scales a bitmap up. Should the SVG files be missing (a broken
install), a QPainter-drawn dot keeps the tray usable.
"""

from __future__ import annotations

import importlib.resources
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer

from core.domain.model import Session, SessionState

# A plain directory: the app is installed unpacked (wheel, checkout, frozen bundle), never zipped.
ICON_DIR = Path(str(importlib.resources.files("resources") / "icons"))
APP_ICON_NAME = "io.github.awslogintray.AwsLoginTray"
SIZES = (16, 22, 24, 32, 48, 64)


class TrayStatus(StrEnum):
    """The overall state the tray icon shows, worst first."""

    ATTENTION = "attention"
    """At least one session needs a new sign-in."""
    EXPIRING = "expiring"
    """At least one session ends within the first warning lead time."""
    FRESH = "fresh"
    EMPTY = "empty"


_FALLBACK_COLOURS = {
    TrayStatus.ATTENTION: "#d1343a",
    TrayStatus.EXPIRING: "#e08e0b",
    TrayStatus.FRESH: "#2e9d4f",
    TrayStatus.EMPTY: "#7b8794",
}


def overall_status(sessions: list[Session], now: datetime, lead_minutes: tuple[int, ...]) -> TrayStatus:
    """Summarise every session into the one status the icon shows."""
    if not sessions:
        return TrayStatus.EMPTY
    if any(s.state in (SessionState.NEEDS_SIGN_IN, SessionState.ENDED) for s in sessions):
        return TrayStatus.ATTENTION
    lead = timedelta(minutes=max(lead_minutes, default=0))
    if any(s.session_remaining(now) <= lead for s in sessions):
        return TrayStatus.EXPIRING
    return TrayStatus.FRESH


def prefers_dark_panel() -> bool:
    """True when the desktop uses a dark colour scheme (so icons need light strokes)."""
    app = QGuiApplication.instance()
    if not isinstance(app, QGuiApplication):
        return False
    scheme = app.styleHints().colorScheme()
    if scheme == Qt.ColorScheme.Dark:
        return True
    if scheme == Qt.ColorScheme.Light:
        return False
    return app.palette().color(QPalette.ColorRole.Window).lightness() < 128


def _render(path: Path, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(str(path))
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size * ratio, size * ratio))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _drawn(colour: str, size: int, ratio: float) -> QPixmap:
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(Qt.PenStyle.NoPen)
    margin = size * ratio * 0.12
    painter.drawEllipse(QRectF(margin, margin, size * ratio - 2 * margin, size * ratio - 2 * margin))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _icon_from(path: Path, fallback_colour: str) -> QIcon:
    icon = QIcon()
    usable = path.is_file() and QSvgRenderer(str(path)).isValid()
    for size in SIZES:
        for ratio in (1.0, 2.0):
            icon.addPixmap(_render(path, size, ratio) if usable else _drawn(fallback_colour, size, ratio))
    return icon


class IconSet:
    """Caches one QIcon per status and theme."""

    def __init__(self, icon_dir: Path = ICON_DIR) -> None:
        self._dir = icon_dir
        self._cache: dict[tuple[TrayStatus, bool], QIcon] = {}
        self._app: QIcon | None = None

    def status_icon(self, status: TrayStatus, dark: bool | None = None) -> QIcon:
        """The tray icon for ``status``; ``dark`` picks the dark-panel variant (default: follow the desktop)."""
        dark = prefers_dark_panel() if dark is None else dark
        key = (status, dark)
        if key not in self._cache:
            theme = "dark" if dark else "light"
            self._cache[key] = _icon_from(self._dir / f"tray-{status.value}-{theme}.svg", _FALLBACK_COLOURS[status])
        return self._cache[key]

    def app_icon(self) -> QIcon:
        """The application icon (windows, dialogs, notifications)."""
        if self._app is None:
            self._app = _icon_from(self._dir / f"{APP_ICON_NAME}.svg", "#ff9900")
        return self._app

    def app_icon_path(self) -> Path:
        """Where the application icon lives on disk (for D-Bus notifications)."""
        return self._dir / f"{APP_ICON_NAME}.svg"
