"""GUI start-up time and idle memory: the tray app against a bare PySide6 tray app.

Both run under a private X server (Xvfb) with the trayer tray host, started
here and stopped by PID. Neither gets a D-Bus session bus, so nothing reaches
the desktop this runs on. Per run and program:

* start-up: wall time from spawning the process until it reports its tray
  icon shown (the bare app prints a marker once ``QSystemTrayIcon.isVisible()``
  and its event loop has run once; ours logs ``ready: ... tray shown`` after
  the same point, from inside its running event loop);
* idle memory: resident set size (``VmRSS``) after a few seconds idle.

Runs are interleaved (bare, ours, bare, ours, ...) after one discarded warm-up
of each, and the medians are compared.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from benchmarks.harness import Result
from core.storage.settings import Settings, save_settings

IDLE_SECONDS = 3.0
START_TIMEOUT = 30.0
TRAY_HOST_SETTLE = 1.0

# The smallest honest tray app: an icon, a menu, shown; nothing else.
BARE_TRAY_APP = """
import sys
from PySide6.QtCore import QTimer
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QApplication, QMenu, QSystemTrayIcon

app = QApplication(sys.argv[:1])
app.setQuitOnLastWindowClosed(False)
pixmap = QPixmap(22, 22)
pixmap.fill(QColor("#ff9900"))
tray = QSystemTrayIcon(QIcon(pixmap))
menu = QMenu()
menu.addAction("Open").triggered.connect(lambda: None)
menu.addSeparator()
menu.addAction("Quit").triggered.connect(app.quit)
tray.setContextMenu(menu)
tray.show()

def report():
    if tray.isVisible():
        print("tray shown", flush=True)
    else:
        print("tray not visible", flush=True)

QTimer.singleShot(0, report)
sys.exit(app.exec())
"""


@dataclass(frozen=True)
class Sample:
    """One run of one program."""

    startup: float
    """Seconds from spawn to the tray-shown marker."""
    rss_mb: float
    """Resident set size after ``IDLE_SECONDS`` idle, in MiB."""


@dataclass(frozen=True)
class Program:
    """How to start one program and recognise its tray-shown marker."""

    argv: Sequence[str]
    env: Mapping[str, str]
    marker_stream: str  # "stdout" or "stderr"
    is_ready: Callable[[str], bool]
    is_failure: Callable[[str], bool]


def _ours_ready(line: str) -> bool:
    return "ready:" in line and "tray shown" in line


def _ours_failed(line: str) -> bool:
    return "ready:" in line and "tray absent" in line


def _require(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        raise RuntimeError(f"the GUI benchmark needs {tool!r} on PATH (Debian: xvfb, trayer)")
    return path


def _stop(process: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it does not exit; only this process, by its PID."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)


@contextmanager
def private_display() -> Iterator[str]:
    """A private Xvfb (no TCP listener) with trayer as the tray host; yields the DISPLAY."""
    xvfb, trayer = _require("Xvfb"), _require("trayer")
    read_fd, write_fd = os.pipe()
    processes: list[subprocess.Popen[bytes]] = []
    try:
        # -displayfd: Xvfb picks a free display number and writes it to the pipe.
        server = subprocess.Popen(
            [xvfb, "-displayfd", str(write_fd), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
            pass_fds=(write_fd,),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(server)
        os.close(write_fd)
        write_fd = -1
        ready, _, _ = select.select([read_fd], [], [], 10)
        number = os.read(read_fd, 32).decode().strip() if ready else ""
        if not number.isdigit():
            raise RuntimeError("Xvfb did not start")
        display = f":{number}"
        host = subprocess.Popen(
            [trayer, "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "24",
             "--SetDockType", "true", "--transparent", "false"],
            env=dict(os.environ, DISPLAY=display),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        processes.append(host)
        time.sleep(TRAY_HOST_SETTLE)  # trayer claims the tray selection
        if host.poll() is not None:
            raise RuntimeError("trayer exited at start")
        yield display
    finally:
        if write_fd >= 0:
            os.close(write_fd)
        os.close(read_fd)
        for process in reversed(processes):
            _stop(process)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def measure(program: Program, *, idle: float = IDLE_SECONDS) -> Sample:
    """Start ``program``, time it to its tray marker, sample its RSS after ``idle`` s, stop it."""
    start = time.perf_counter()
    process = subprocess.Popen(
        program.argv,
        env=dict(program.env),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE if program.marker_stream == "stdout" else subprocess.DEVNULL,
        stderr=subprocess.PIPE if program.marker_stream == "stderr" else subprocess.DEVNULL,
    )
    stream = process.stdout if program.marker_stream == "stdout" else process.stderr
    assert stream is not None
    seen: list[str] = []
    try:
        startup = None
        buffer = b""
        deadline = start + START_TIMEOUT
        while startup is None:
            remaining = deadline - time.perf_counter()
            ready, _, _ = select.select([stream], [], [], max(remaining, 0))
            if not ready:
                raise RuntimeError(f"{program.argv[0]}: no tray marker within {START_TIMEOUT:.0f} s: {seen[-5:]}")
            chunk = os.read(stream.fileno(), 65536)
            if not chunk:
                raise RuntimeError(f"{program.argv[0]} exited ({process.wait()}) before its tray showed: {seen[-5:]}")
            buffer += chunk
            *lines, buffer = buffer.split(b"\n")
            for raw in lines:
                line = raw.decode(errors="replace")
                seen.append(line)
                if program.is_failure(line):
                    raise RuntimeError(f"{program.argv[0]}: {line}")
                if program.is_ready(line):
                    startup = time.perf_counter() - start
                    break
        # Keep draining the pipe while idle so a chatty program never blocks on it.
        idle_until = time.perf_counter() + idle
        while (remaining := idle_until - time.perf_counter()) > 0:
            ready, _, _ = select.select([stream], [], [], remaining)
            if ready and not os.read(stream.fileno(), 65536):
                raise RuntimeError(f"{program.argv[0]} exited while idle: {seen[-5:]}")
        rss = _rss_mb(process.pid)
    finally:
        _stop(process)
        stream.close()
    return Sample(startup, rss)


def _private_env(display: str, root: Path) -> dict[str, str]:
    """The environment both programs run in: the private display, temporary homes, no session bus."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DBUS_", "WAYLAND_", "XDG_", "QT_", "AWS_"))
        and key not in ("DISPLAY", "PYTHONDONTWRITEBYTECODE")
    }
    home = root / "home"
    runtime = root / "runtime"
    for directory in (home, runtime):
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        HOME=str(home),
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        AWS_CONFIG_FILE=str(home / ".aws" / "config"),
        AWS_SHARED_CREDENTIALS_FILE=str(home / ".aws" / "credentials"),
        AWS_LOGIN_CACHE_DIRECTORY=str(home / ".aws" / "login" / "cache"),
        AWS_LOGIN_TRAY_HOME=str(root / "app"),
        # Cached bytecode, as after an install, kept out of the source tree.
        PYTHONPYCACHEPREFIX=str(root / "pycache"),
        # Never reach a real keyring (none is used with no sessions; this makes sure).
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    return env


def _tray_command() -> list[str]:
    script = Path(sys.executable).with_name("aws-login-tray")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "aws_login_tray"]


def run(runs: int, idle: float = IDLE_SECONDS) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="bench-gui-") as tmp, private_display() as display:
        root = Path(tmp)
        env = _private_env(display, root)
        save_settings(root / "app" / "settings.json", Settings(use_plaintext_secrets=True))
        programs = {
            "bare": Program(
                [sys.executable, "-c", BARE_TRAY_APP],
                env,
                "stdout",
                lambda line: line == "tray shown",
                lambda line: line == "tray not visible",
            ),
            "ours": Program(_tray_command(), env, "stderr", _ours_ready, _ours_failed),
        }
        for program in programs.values():  # warm-up: page cache, font cache, compiled bytecode
            measure(program, idle=0)
        samples: dict[str, list[Sample]] = {name: [] for name in programs}
        for _ in range(runs):
            for name, program in programs.items():
                samples[name].append(measure(program, idle=idle))
    start = {name: statistics.median(s.startup for s in values) * 1000 for name, values in samples.items()}
    rss = {name: statistics.median(s.rss_mb for s in values) for name, values in samples.items()}
    return [
        Result("bare PySide6 tray app: start until tray shown (median)", start["bare"], "ms"),
        Result("aws-login-tray: start until tray shown (median)", start["ours"], "ms"),
        Result("start-up, aws-login-tray / bare", start["ours"] / start["bare"], "x"),
        Result(f"bare PySide6 tray app: RSS after {idle:.0f} s idle (median)", rss["bare"], "MiB"),
        Result(f"aws-login-tray: RSS after {idle:.0f} s idle (median)", rss["ours"], "MiB"),
        Result("idle RSS, aws-login-tray / bare", rss["ours"] / rss["bare"], "x"),
    ]


if __name__ == "__main__":
    for result in run(runs=int(sys.argv[1]) if len(sys.argv) > 1 else 5):
        print(result.line())
