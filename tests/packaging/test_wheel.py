"""The wheel works without the checkout: built, installed with ``uv tool install`` into a temporary home, used.

It signs in against the emulator through the installed command, boto3 gets
the session's identity through the ``credential_process`` line that points
into the installed copy, and the installed tray shows the shipped SVG icon.
"""

from __future__ import annotations

import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tests.packaging.installed import (
    APP_ID,
    PROJECT_VERSION,
    REPO,
    Outside,
    outside_env,
    secret_service,
    sign_in_and_check_credential_process,
    tool,
    tray_host,
    tray_icon_pixels,
)
from tests.packaging.pixels import assert_real_icon, shows, tray_icon_matches
from tests.support.emulator import EmulatorHandle

pytestmark = [pytest.mark.slow, pytest.mark.xvfb]

SHIPPED = [
    f"resources/desktop/{APP_ID}.desktop",
    f"resources/desktop/{APP_ID}.metainfo.xml",
    f"resources/icons/{APP_ID}.svg",
]


def uv(outside: Outside, *args: str, timeout: float = 600) -> str:
    uv_program = Path(sys.executable).with_name("uv")
    return outside.run(str(uv_program if uv_program.exists() else tool("uv")), *args, timeout=timeout).stdout


def build(outside: Outside, out: Path) -> tuple[Path, Path]:
    """``uv build``: the sdist, then the wheel built from that sdist (so the sdist is complete too)."""
    uv(outside, "build", "--python", sys.executable, "--out-dir", str(out), str(REPO))
    return next(out.glob("*.tar.gz")), next(out.glob("*.whl"))


def test_wheel_installed_with_uv_tool_works_outside_the_checkout(
    tmp_path: Path, emulator: EmulatorHandle, qapp: QApplication
) -> None:
    outside = outside_env(tmp_path, emulator)
    tools = tmp_path / "uv-tools"
    outside.env |= {
        "UV_CACHE_DIR": str(tmp_path / "uv-cache"),
        "UV_TOOL_DIR": str(tools),
        "UV_TOOL_BIN_DIR": str(tmp_path / "bin"),
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
    }
    sdist, wheel = build(outside, tmp_path / "dist")
    names = zipfile.ZipFile(wheel).namelist()
    tray_icons = [f"resources/icons/{path.name}" for path in (REPO / "resources" / "icons").glob("tray-*.svg")]
    assert tray_icons
    for shipped in [*SHIPPED, *tray_icons]:
        assert shipped in names
    assert not any(name.startswith("tests/") for name in names)
    with tarfile.open(sdist) as archive:
        members = archive.getnames()
    for shipped in SHIPPED:
        assert any(member.endswith(shipped) for member in members), shipped

    uv(outside, "tool", "install", "--python", sys.executable, str(wheel))
    command = [str(tmp_path / "bin" / "aws-login-tray")]
    assert outside.run(*command, "--version").stdout.strip() == f"aws-login-tray {PROJECT_VERSION}"
    package_dir = next(tools.glob("aws-login-tray/lib/python*/site-packages/resources"))
    assert not str(package_dir.resolve()).startswith(str(REPO))
    icons = package_dir / "icons"

    with secret_service(outside):
        sign_in_and_check_credential_process(command, outside, emulator, tools)
        assert "installed" in outside.run(*command, "list").stdout

        with tray_host(outside) as display:
            geometry = tray_icon_pixels(command, outside, display, tmp_path / "tray.png", shows(icons, "fresh"))
    assert_real_icon(tray_icon_matches(tmp_path / "tray.png", geometry, icons), "fresh")
