"""Does a screenshot of the tray show the shipped SVG icon, or the drawn fallback dot?

The oracle is the SVG file itself, rendered here with QtSvg over the tray's
own background colour, at every size and offset Qt could have used; the
screenshot must match it closely and match the fallback dot much worse.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtSvg import QSvgRenderer

SIZES = (16, 22, 24)


def _difference(shot: QImage, expected: QImage) -> float:
    """Mean absolute difference per channel (0-255) over the icon's area."""
    total = 0
    for y in range(shot.height()):
        for x in range(shot.width()):
            a, b = QColor(shot.pixel(x, y)), QColor(expected.pixel(x, y))
            total += abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())
    return total / (3 * shot.width() * shot.height())


def _scene(shot: QImage, background: QColor, placement: tuple[int, int, int], draw: Callable[..., None]) -> QImage:
    """The icon drawn at ``placement`` (size, x and y offset from the centre) over the background."""
    size, dx, dy = placement
    image = QImage(shot.width(), shot.height(), QImage.Format.Format_RGB32)
    image.fill(background)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    left, top = (shot.width() - size) // 2 + dx, (shot.height() - size) // 2 + dy
    draw(painter, QRectF(left, top, size, size))
    painter.end()
    return image


def best_difference(shot: QImage, draw: Callable[..., None]) -> float:
    """The smallest difference over the sizes and small offsets Qt might paint the icon at."""
    background = QColor(shot.pixel(0, 0))  # every icon leaves its top-left corner transparent
    return min(
        _difference(shot, _scene(shot, background, (size, dx, dy), draw))
        for size in SIZES
        if size <= max(shot.width(), shot.height())
        for dx in (-1, 0, 1)
        for dy in (-1, 0, 1)
    )


def svg_drawer(path: Path) -> Callable[..., None]:
    """Draws the SVG file into a rectangle."""
    renderer = QSvgRenderer(str(path))
    assert renderer.isValid(), path

    def draw(painter: QPainter, rect: QRectF) -> None:
        renderer.render(painter, rect)

    return draw


def dot_drawer(colour: str) -> Callable[..., None]:
    """Draws a fallback-style dot (a filled circle with a 12% margin)."""

    def draw(painter: QPainter, rect: QRectF) -> None:
        painter.setBrush(QColor(colour))
        painter.setPen(Qt.PenStyle.NoPen)
        margin = rect.width() * 0.12
        painter.drawEllipse(rect.adjusted(margin, margin, -margin, -margin))

    return draw


def tray_icon_matches(shot_file: Path, geometry: tuple[int, int, int, int], icon_dir: Path) -> dict[str, float]:
    """The difference of the screenshot's tray icon to each shipped tray SVG and to fallback dots."""
    x, y, width, height = geometry
    shot = QImage(str(shot_file)).copy(x, y, width, height)
    scores = {path.stem: best_difference(shot, svg_drawer(path)) for path in sorted(icon_dir.glob("tray-*.svg"))}
    for colour in ("#d1343a", "#e08e0b", "#2e9d4f", "#7b8794"):
        scores[f"dot {colour}"] = best_difference(shot, dot_drawer(colour))
    return scores


def assert_real_icon(scores: dict[str, float], status: str) -> None:
    """The best match is the shipped SVG for ``status``, close, and far better than any fallback dot."""
    best = min(scores, key=scores.__getitem__)
    assert best.startswith(f"tray-{status}-"), scores
    closest_dot = min(value for name, value in scores.items() if name.startswith("dot"))
    assert scores[best] < 6.0, scores
    assert scores[best] * 3 < closest_dot, scores


def shows(icon_dir: Path, status: str) -> Callable[[Path, tuple[int, int, int, int]], bool]:
    """A check for a screenshot: does its tray icon already pass :func:`assert_real_icon` for ``status``?"""

    def check(shot_file: Path, geometry: tuple[int, int, int, int]) -> bool:
        try:
            assert_real_icon(tray_icon_matches(shot_file, geometry, icon_dir), status)
        except AssertionError:
            return False
        return True

    return check
