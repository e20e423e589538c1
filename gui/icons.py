"""Tray and window icons: SVG files in the ``resources`` package's ``icons`` folder, rendered with QtSvg.

The tray glyph is filled and outlined in the opposite tone, so it reads on
light and dark panels alike; a large badge carries the status. The
``icon_theme`` setting picks ``auto`` (that two-tone glyph), ``light`` (a
dark glyph for light panels) or ``dark`` (a white glyph for dark panels):
an app cannot see the panel's colour, only its own palette, so the default
does not guess. On a StatusNotifierItem desktop an icon theme that ships
``aws-login-tray-STATUS`` names wins, so the desktop can restyle it.
Every icon is rendered at several sizes (and at twice the size for HiDPI
screens) so Qt never scales a bitmap up. Should the SVG files be missing (a
broken install), a QPainter-drawn dot keeps the tray usable.
"""

from __future__ import annotations

import importlib.resources
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

from PySide6 import QtCore
from PySide6.QtCore import QRectF
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer

from core.domain.model import Session
from core.sessions.attention import Attention, overall_attention

# ``QtCore.Qt`` is reached through the module, not imported: importing the name builds all of
# its ~100 enums (about 25 ms), which the tray icon at start-up never needs.

# A plain directory: the app is installed unpacked (wheel, checkout, frozen bundle), never zipped.
ICON_DIR = Path(str(importlib.resources.files("resources") / "icons"))
APP_ICON_NAME = "io.github.awslogintray.AwsLoginTray"
SIZES = (16, 22, 24, 32, 48, 64)
THEMES = ("auto", "light", "dark")


class TrayStatus(StrEnum):
    """The overall state the tray icon shows, worst first."""

    ATTENTION = "attention"
    """At least one session needs a new sign-in."""
    RETRYING = "retrying"
    """At least one session's refreshes fail for now (the engine keeps trying)."""
    EXPIRING = "expiring"
    """At least one session ends within the first warning lead time."""
    FRESH = "fresh"
    EMPTY = "empty"


_FALLBACK_COLOURS = {
    TrayStatus.ATTENTION: "#c81e28",
    TrayStatus.RETRYING: "#c26a00",
    TrayStatus.EXPIRING: "#c26a00",
    TrayStatus.FRESH: "#1f8a44",
    TrayStatus.EMPTY: "#66707c",
}
_BY_ATTENTION = {
    Attention.SIGN_IN: TrayStatus.ATTENTION,
    Attention.RETRYING: TrayStatus.RETRYING,
    Attention.EXPIRING: TrayStatus.EXPIRING,
    Attention.NONE: TrayStatus.FRESH,
}


def overall_status(sessions: list[Session], now: datetime, lead_minutes: tuple[int, ...]) -> TrayStatus:
    """The icon for core's verdict on every session (:func:`core.sessions.attention.overall_attention`)."""
    if not sessions:
        return TrayStatus.EMPTY
    return _BY_ATTENTION[overall_attention(sessions, now, lead_minutes)]


def next_status_change(sessions: list[Session], now: datetime, lead_minutes: tuple[int, ...]) -> timedelta | None:
    """How long until :func:`overall_status` changes with no event from core (a session enters its lead time)."""
    lead = timedelta(minutes=max(lead_minutes, default=0))
    lefts = [s.session_remaining(now) for s in sessions if s.state.live]
    return min((left - lead for left in lefts if left > lead), default=None)


def _render(path: Path, size: int, ratio: float) -> QPixmap:
    renderer = QSvgRenderer(str(path))
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    renderer.render(painter, QRectF(0, 0, size * ratio, size * ratio))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _drawn(colour: str, size: int, ratio: float) -> QPixmap:
    pixmap = QPixmap(int(size * ratio), int(size * ratio))
    pixmap.fill(QtCore.Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setBrush(QColor(colour))
    painter.setPen(QtCore.Qt.PenStyle.NoPen)
    margin = size * ratio * 0.12
    painter.drawEllipse(QRectF(margin, margin, size * ratio - 2 * margin, size * ratio - 2 * margin))
    painter.end()
    pixmap.setDevicePixelRatio(ratio)
    return pixmap


def _icon_from(path: Path, fallback_colour: str) -> QIcon:
    usable = path.is_file() and QSvgRenderer(str(path)).isValid()
    if usable:
        lazy = QIcon(str(path))  # Qt's SVG icon engine draws each size when first asked for it
        if not lazy.isNull():
            return lazy
    icon = QIcon()
    for size in SIZES:
        for ratio in (1.0, 2.0):
            icon.addPixmap(_render(path, size, ratio) if usable else _drawn(fallback_colour, size, ratio))
    return icon


class IconSet:
    """Caches one QIcon per status and theme."""

    def __init__(self, icon_dir: Path = ICON_DIR, *, use_theme_names: bool = True) -> None:
        self._dir = icon_dir
        self._use_theme_names = use_theme_names
        self._cache: dict[tuple[TrayStatus, str], QIcon] = {}
        self._app: QIcon | None = None

    def status_icon(self, status: TrayStatus, theme: str = "auto") -> QIcon:
        """The tray icon for ``status`` in ``theme`` (``auto``, ``light`` or ``dark``; see the module)."""
        theme = theme if theme in THEMES else "auto"
        key = (status, theme)
        if key not in self._cache:
            drawn = _icon_from(self._dir / f"tray-{status.value}-{theme}.svg", _FALLBACK_COLOURS[status])
            name = f"aws-login-tray-{status.value}"
            themed = self._use_theme_names and theme == "auto" and QIcon.hasThemeIcon(name)
            self._cache[key] = QIcon.fromTheme(name, drawn) if themed else drawn
        return self._cache[key]

    def app_icon(self) -> QIcon:
        """The application icon (windows, dialogs, notifications)."""
        if self._app is None:
            self._app = _icon_from(self._dir / f"{APP_ICON_NAME}.svg", "#ff9900")
        return self._app

    def app_icon_path(self) -> Path:
        """Where the application icon lives on disk (for D-Bus notifications)."""
        return self._dir / f"{APP_ICON_NAME}.svg"


_MARKS: dict[str, tuple[str, str]] = {
    "active": ("#1f8a44", "✓"),
    "retrying": ("#c26a00", "↻"),
    "sign_in": ("#c81e28", "!"),
    "expiring": ("#c26a00", "…"),
}
_mark_cache: dict[str, QIcon] = {}


def mark_icon(kind: str) -> QIcon:
    """A small round mark for menu rows and table cells: ``active``, ``retrying``, ``sign_in``, ``expiring``.

    Any other ``kind`` gives a transparent icon of the same size, so rows stay aligned.
    """
    if kind not in _mark_cache:
        icon = QIcon()
        for size, ratio in ((16, 1.0), (16, 2.0)):
            pixmap = QPixmap(int(size * ratio), int(size * ratio))
            pixmap.fill(QtCore.Qt.GlobalColor.transparent)
            if kind in _MARKS:
                colour, symbol = _MARKS[kind]
                painter = QPainter(pixmap)
                painter.setRenderHint(QPainter.RenderHint.Antialiasing)
                painter.setBrush(QColor(colour))
                painter.setPen(QtCore.Qt.PenStyle.NoPen)
                painter.drawEllipse(QRectF(0.5, 0.5, size * ratio - 1, size * ratio - 1))
                font = painter.font()
                font.setBold(True)
                font.setPixelSize(int(size * ratio * 0.7))
                painter.setFont(font)
                painter.setPen(QColor("#ffffff"))
                painter.drawText(QRectF(0, 0, size * ratio, size * ratio), QtCore.Qt.AlignmentFlag.AlignCenter, symbol)
                painter.end()
            pixmap.setDevicePixelRatio(ratio)
            icon.addPixmap(pixmap)
        _mark_cache[kind] = icon
    return _mark_cache[kind]


def session_mark(attention: Attention, active: bool) -> str:
    """Which mark a session's row carries: trouble first, else the active check."""
    if attention is Attention.SIGN_IN:
        return "sign_in"
    if attention is Attention.RETRYING:
        return "retrying"
    return "active" if active else "none"
