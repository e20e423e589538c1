"""The frozen bundle's ``credential_process`` helper: start-up against ``python -I -S -c pass``.

A frozen app cannot run ``python -I -S``; the helper is its own small
executable instead (see ``packaging/aws-login-tray.spec``). Without an
existing bundle (``--bundle DIR``, e.g. ``dist/aws-login-tray``) this builds
one with ``scripts/package.sh`` in a temporary directory first, and reports
the build time and the sizes too.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks.harness import Result, time_commands
from benchmarks.startup import ARN, write_credentials
from core.domain.model import session_id_for

REPO = Path(__file__).resolve().parents[1]
GOAL = 3.0


def _size_mb(path: Path) -> float:
    files = [path] if path.is_file() else [p for p in path.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files) / 1e6


def _build(out: Path) -> tuple[Path, list[Result]]:
    env = {**os.environ, "PYTHON": sys.executable, "DIST_DIR": str(out / "dist"), "BUILD_DIR": str(out / "build")}
    started = time.perf_counter()
    done = subprocess.run([str(REPO / "scripts" / "package.sh")], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"scripts/package.sh failed: {done.stderr[-2000:]}")
    seconds = time.perf_counter() - started
    bundle = out / "dist" / "aws-login-tray"
    deb = Path(done.stdout.strip().splitlines()[-1])
    return bundle, [
        Result("scripts/package.sh: bundle and .deb, wall time", seconds, "s"),
        Result("one-folder bundle, size on disk", _size_mb(bundle), "MB"),
        Result(".deb (zstd), size", _size_mb(deb), "MB"),
    ]


def _time(bundle: Path, runs: int) -> list[Result]:
    session_id = session_id_for(ARN)
    with tempfile.TemporaryDirectory(prefix="bench-frozen-") as tmp:
        home = Path(tmp) / "app"
        write_credentials(home, session_id, timedelta(hours=1))
        args = ["--session", session_id, "--home", str(home)]
        commands = {
            "floor": [sys.executable, "-I", "-S", "-c", "pass"],
            "helper": [str(bundle / "aws-login-tray-credential-process"), *args],
            "app": [str(bundle / "aws-login-tray"), "credential-process", *args],
        }

        def check(name: str, stdout: bytes) -> None:
            if name != "floor" and b"ASIABENCHMARKEXAMPLE" not in stdout:
                raise RuntimeError(f"{name} printed the wrong credentials")

        medians = time_commands(commands, runs=runs, env=dict(os.environ), check_output=check)
    floor, helper, app = medians["floor"], medians["helper"], medians["app"]
    ratio = helper / floor
    return [
        Result("python -I -S -c pass (median)", floor * 1000, "ms"),
        Result("frozen credential_process helper, fresh credentials (median)", helper * 1000, "ms"),
        Result("the frozen app's own `credential-process` (median)", app * 1000, "ms"),
        Result("frozen helper / python -I -S -c pass", ratio, "x", f"<= {GOAL:g}x", ratio <= GOAL),
    ]


def run(runs: int, bundle: Path | None = None) -> list[Result]:
    if bundle is not None:
        return _time(bundle, runs)
    with tempfile.TemporaryDirectory(prefix="bench-package-") as tmp:
        built, build_results = _build(Path(tmp))
        return build_results + _time(built, runs)
