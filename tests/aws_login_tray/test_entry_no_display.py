"""Case 17: the bare command with no display says so in one line with the fix, instead of Qt's SIGABRT."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gui.display import display_problem

REPO = Path(__file__).resolve().parents[2]


def run_bare(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    clean.update(env, PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "aws_login_tray"], env=clean, capture_output=True, text=True, timeout=60, check=False
    )


@pytest.mark.parametrize("env", [{}, {"DISPLAY": ":7391"}, {"WAYLAND_DISPLAY": "wayland-nowhere", "DISPLAY": ""}])
def test_no_display_is_one_line_with_the_fix_and_no_abort(env: dict[str, str]) -> None:
    done = run_bare(**env)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("aws-login-tray: No ")
    assert "aws-login-tray agent" in lines[0]
    assert "qt.qpa" not in done.stderr


def test_an_explicit_qt_platform_or_a_live_display_is_left_to_qt(tmp_path: Path) -> None:
    assert display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    (tmp_path / "wayland-0").touch()
    assert display_problem({"WAYLAND_DISPLAY": "wayland-0", "XDG_RUNTIME_DIR": str(tmp_path)}) is None
    assert display_problem({"DISPLAY": "nonsense"}) is not None
