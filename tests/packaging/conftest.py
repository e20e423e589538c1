"""The packaging tests render icons in this process, off screen (the installed tray gets a real X server)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
