from __future__ import annotations

from datetime import timedelta

from gui.format import format_remaining


def test_the_tray_spells_units_out() -> None:
    assert format_remaining(timedelta(hours=11, minutes=59, seconds=30)) == "11 h 59 min"
    assert format_remaining(timedelta(minutes=4, seconds=5)) == "4 min 05 s"
    assert format_remaining(timedelta(seconds=-1)) == "ended"
    assert format_remaining(None) == "—"
