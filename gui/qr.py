"""A QR code of a URL as a QPixmap, so a phone can open the other-device sign-in page.

segno builds the symbol (a well-kept, pure-Python QR encoder with no
dependencies); Qt scales its modules into a pixmap, so no image library is needed.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPixmap

QUIET_ZONE = 4
"""Modules of white border the QR standard asks for, so scanners find the code."""


def qr_pixmap(text: str, *, module_px: int = 3) -> QPixmap:
    """``text`` as a black-on-white QR code, ``module_px`` pixels per module."""
    import segno  # deferred: only the other-device dialog needs it

    matrix = segno.make(text, error="m", micro=False).matrix
    side = len(matrix) + 2 * QUIET_ZONE
    # One grey byte per module (quiet zone included), then one scaling call: painting module by
    # module would cross into Qt thousands of times for a 380-character URL.
    margin, blank_row = b"\xff" * QUIET_ZONE, b"\xff" * side
    rows = [blank_row] * QUIET_ZONE
    rows += [margin + bytes(0 if dark else 255 for dark in row) + margin for row in matrix]
    rows += [blank_row] * QUIET_ZONE
    data = b"".join(rows)
    image = QImage(data, side, side, side, QImage.Format.Format_Grayscale8).copy()
    size = side * module_px
    return QPixmap.fromImage(image.scaled(size, size, mode=Qt.TransformationMode.FastTransformation))
