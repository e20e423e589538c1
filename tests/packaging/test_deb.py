"""The standalone package: ``scripts/package.sh`` builds the frozen bundle and the .deb; the extracted .deb works.

The build runs once per test session (about a minute and a half on two
CPUs), entirely inside a temporary directory. The extracted tree is then
used like an installed package: ``--version``, ``list``, a sign-in on the
emulator whose ``credential_process`` line runs the frozen helper (and, with
back-dated credentials, its refresh through the frozen app), and the tray.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtWidgets import QApplication

from tests.packaging.installed import (
    APP_ID,
    PROJECT_VERSION,
    REPO,
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

BUNDLE = "usr/lib/aws-login-tray"


@pytest.fixture(scope="session")
def deb_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``scripts/package.sh`` with its output and work folders in a temporary directory."""
    out = tmp_path_factory.mktemp("package")
    env = {**os.environ, "PYTHON": sys.executable, "DIST_DIR": str(out / "dist"), "BUILD_DIR": str(out / "build")}
    done = subprocess.run(
        [str(REPO / "scripts" / "package.sh")],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=1800,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-5000:]
    debs = list((out / "dist").glob("*.deb"))
    assert [Path(done.stdout.strip().splitlines()[-1])] == debs
    assert (out / "dist" / "aws-login-tray" / "aws-login-tray").is_file()  # the bundle itself, beside the .deb
    return debs[0]


@pytest.fixture
def extracted(deb_file: Path, tmp_path: Path) -> Path:
    root = tmp_path / "root"
    subprocess.run([tool("dpkg-deb"), "-x", str(deb_file), str(root)], check=True)
    return root


def field(deb: Path, name: str) -> str:
    return subprocess.run([tool("dpkg-deb"), "-f", str(deb), name], capture_output=True, text=True, check=True).stdout


def test_deb_holds_the_bundle_and_the_desktop_files(deb_file: Path, extracted: Path) -> None:
    assert field(deb_file, "Package").strip() == "aws-login-tray"
    assert field(deb_file, "Version").strip() == PROJECT_VERSION
    assert "libc6 (>=" in field(deb_file, "Depends")
    assert "python" not in field(deb_file, "Depends").lower()

    command = extracted / "usr/bin/aws-login-tray"
    assert command.is_symlink()
    assert command.resolve() == (extracted / BUNDLE / "aws-login-tray").resolve()
    assert os.access(extracted / BUNDLE / "aws-login-tray-credential-process", os.X_OK)
    entry = extracted / f"usr/share/applications/{APP_ID}.desktop"
    assert (extracted / f"usr/share/icons/hicolor/scalable/apps/{APP_ID}.svg").is_file()
    metainfo = extracted / f"usr/share/metainfo/{APP_ID}.metainfo.xml"
    unit = (extracted / "usr/lib/systemd/user/aws-login-tray-agent.service").read_text(encoding="utf-8")
    assert "aws-login-tray agent" in unit
    copyright_text = (extracted / "usr/share/doc/aws-login-tray/copyright").read_text(encoding="utf-8")
    assert "License: Apache-2.0" in copyright_text
    assert "PySide6" in copyright_text
    assert "CPython" in copyright_text
    subprocess.run([tool("desktop-file-validate"), str(entry)], check=True)
    subprocess.run([tool("appstreamcli"), "validate", "--no-net", str(metainfo)], check=True, capture_output=True)


def test_extracted_deb_runs_version_list_the_helper_and_the_tray(
    extracted: Path, tmp_path: Path, emulator: EmulatorHandle, qapp: QApplication
) -> None:
    outside = outside_env(tmp_path, emulator)
    command = [str(extracted / "usr/bin/aws-login-tray")]
    assert outside.run(*command, "--version").stdout.strip() == f"aws-login-tray {PROJECT_VERSION}"
    assert "No sessions" in outside.run(*command, "list").stderr

    icons = extracted / BUNDLE / "_internal" / "resources" / "icons"
    with secret_service(outside):
        line = sign_in_and_check_credential_process(command, outside, emulator, extracted / BUNDLE)
        assert line.split()[0] == str((extracted / BUNDLE / "aws-login-tray-credential-process").resolve())
        assert "-I -S" not in line
        assert "installed" in outside.run(*command, "list").stdout

        with tray_host(outside) as display:
            geometry = tray_icon_pixels(command, outside, display, tmp_path / "tray.png", shows(icons, "fresh"))
    assert_real_icon(tray_icon_matches(tmp_path / "tray.png", geometry, icons), "fresh")


def owning_package(library: str) -> str:
    for path in (library, os.path.realpath(library)):
        done = subprocess.run([tool("dpkg"), "-S", path], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            return done.stdout.split(":")[0].strip()
    raise AssertionError(f"no Debian package owns {library}")


def package_names(relations: str) -> set[str]:
    """Package names in a Depends field (alternatives and versions dropped)."""
    return {alt.split()[0].split(":")[0] for rel in relations.split(",") if rel.strip() for alt in rel.split("|")}


def test_every_system_library_the_bundle_loads_comes_from_its_depends(deb_file: Path, extracted: Path) -> None:
    """ldd over every binary of the bundle: each library from outside it belongs to Depends (or what they pull in)."""
    bundle = extracted / BUNDLE
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}
    outside: set[str] = set()
    for path in bundle.rglob("*"):
        if path.is_symlink() or not path.is_file() or not (".so" in path.name or os.access(path, os.X_OK)):
            continue
        done = subprocess.run([tool("ldd"), str(path)], env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            continue  # not a dynamic ELF file (data, scripts)
        assert "not found" not in done.stdout, f"{path}: {done.stdout}"
        for line in done.stdout.splitlines():
            parts = line.split("=>")
            target = parts[1].split()[0] if len(parts) == 2 and parts[1].split() else ""
            if target.startswith("/") and not target.startswith(str(bundle)):
                outside.add(target)
    depends = package_names(field(deb_file, "Depends"))
    pulled_in = set(depends)
    for name in depends:
        installed = subprocess.run(
            [tool("dpkg-query"), "-W", "-f=${Depends},${Pre-Depends}", name], capture_output=True, text=True, check=True
        ).stdout
        pulled_in |= package_names(installed)
    owners = {library: owning_package(library) for library in sorted(outside)}
    assert {lib: owner for lib, owner in owners.items() if owner.split(":")[0] not in pulled_in} == {}
    assert any(owner.startswith("libc6") for owner in owners.values())  # the walk did see system libraries
