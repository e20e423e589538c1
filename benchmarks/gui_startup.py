"""GUI start-up time and idle memory: the tray app against a bare PySide6 tray app.

Both run under a private X server (Xvfb) with the trayer tray host, started
here and stopped by PID. Neither gets a D-Bus session bus, so nothing reaches
the desktop this runs on. Per run and program:

* start-up: wall time from spawning the process until it reports its tray
  icon shown (the bare app prints a marker once ``QSystemTrayIcon.isVisible()``
  and its event loop has run once; ours logs ``ready: ... tray shown`` after
  the same point, from inside its running event loop);
* idle memory: resident set size (``VmRSS``) after a few seconds idle, of
  those programs and of the floor the architecture sets: the bare app with
  ``asyncio`` and a ``qasync.QEventLoop`` running it idle (memory only; its
  start-up is not timed).

Runs are interleaved (bare, ours, bare, ours, ...) after one discarded warm-up
of each, and the medians are compared.
"""

from __future__ import annotations

import contextlib
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
from typing import IO

from benchmarks.live_sessions import home_environment
from core.storage.settings import Settings, save_settings

IDLE_SECONDS = 30.0
"""How long every program idles before its memory is read."""
SETTLE_SECONDS = 10.0
"""Idle CPU is counted from this long after the tray showed (start-up work is over) until the end of the idle time."""
START_TIMEOUT = 30.0
TRAY_HOST_SETTLE = 1.0

# The smallest honest tray app: an icon, a menu, shown; nothing else.
_TRAY_APP_SETUP = """
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
"""
BARE_TRAY_APP = _TRAY_APP_SETUP + "sys.exit(app.exec())\n"

# The floor the architecture sets for memory: the bare app whose Qt loop is run by asyncio through
# qasync (as the tray's is), idle; not a line of the app.
FLOOR_TRAY_APP = (
    _TRAY_APP_SETUP
    + """
import asyncio
import qasync

loop = qasync.QEventLoop(app)
asyncio.set_event_loop(loop)
with loop:
    loop.run_forever()
"""
)


@dataclass(frozen=True)
class Program:
    """How to start one program and recognise its tray-shown marker."""

    argv: Sequence[str]
    env: Mapping[str, str]
    marker_stream: str  # "stdout" or "stderr"
    is_ready: Callable[[str], bool]
    is_failure: Callable[[str], bool]


@dataclass
class Running:
    """A started program whose tray icon showed."""

    process: subprocess.Popen[bytes]
    stream: IO[bytes]
    startup: float
    """Seconds from spawn to the tray-shown marker."""
    ready_at: float
    """``time.perf_counter()`` when the marker arrived."""
    lines: list[str]


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


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text(encoding="ascii").splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time used so far by every thread of ``pid``, in seconds (nanosecond resolution).

    ``/proc/PID/task/*/schedstat`` counts in nanoseconds, where ``/proc/PID/stat``
    counts in 10 ms clock ticks, too coarse for an idle process.
    """
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError, ProcessLookupError):
            total += int((task / "schedstat").read_text(encoding="ascii").split()[0])
    return total / 1e9


def launch(program: Program) -> Running:
    """Start ``program`` and wait for its tray marker."""
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
    buffer = b""
    deadline = start + START_TIMEOUT
    try:
        while True:
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
                    now = time.perf_counter()
                    return Running(process, stream, now - start, now, seen)
    except BaseException:
        stop(Running(process, stream, 0.0, 0.0, seen))
        raise


def idle_until(running: Sequence[Running], moment: float) -> None:
    """Wait until ``moment`` (a ``perf_counter`` value), draining every pipe so no program blocks on it."""
    while (remaining := moment - time.perf_counter()) > 0:
        ready, _, _ = select.select([r.stream for r in running], [], [], remaining)
        for item in running:
            if item.stream in ready and not os.read(item.stream.fileno(), 65536):
                raise RuntimeError(f"a program exited while idle: {item.lines[-5:]}")


def stop(running: Running) -> None:
    """Stop one program by its PID and close its pipe."""
    _stop(running.process)
    running.stream.close()


def desktop_env(base: Mapping[str, str], display: str, root: Path) -> dict[str, str]:
    """``base`` on the private display, with private runtime and cache directories and no session bus."""
    env = {
        key: value
        for key, value in base.items()
        if not key.startswith(("DBUS_", "WAYLAND_", "XDG_", "QT_"))
        and key not in ("DISPLAY", "PYTHONDONTWRITEBYTECODE")
    }
    runtime = root / "runtime"
    runtime.mkdir(mode=0o700, parents=True, exist_ok=True)
    home = Path(env["HOME"])
    env.update(
        DISPLAY=display,
        QT_QPA_PLATFORM="xcb",
        XDG_RUNTIME_DIR=str(runtime),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        # Cached bytecode, as after an install, kept out of the source tree.
        PYTHONPYCACHEPREFIX=str(root.parent / "pycache"),
    )
    return env


def empty_home(root: Path) -> dict[str, str]:
    """The environment of a home with no session (secrets would go to 0600 files, never a keyring)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    env.update(home_environment(root))
    save_settings(Path(env["AWS_LOGIN_TRAY_HOME"]) / "settings.json", Settings(use_plaintext_secrets=True))
    return env


def tray_command() -> list[str]:
    """How a user starts the tray: the installed ``aws-login-tray`` script."""
    script = Path(sys.executable).with_name("aws-login-tray")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "aws_login_tray"]


def tray_program(env: Mapping[str, str]) -> Program:
    """The tray app in ``env``; its ``ready:`` log line is the marker."""
    return Program(tray_command(), env, "stderr", _ours_ready, _ours_failed)


@dataclass(frozen=True)
class IdleFigures:
    """What one idle run of the programs gave."""

    rss_mb: dict[str, float]
    cpu_per_second: dict[str, float]


def _idle_run(programs: Mapping[str, Program], idle: float, settle: float) -> IdleFigures:
    """Start every program, let each idle ``idle`` seconds, and sample CPU (after ``settle`` s) and RSS."""
    running: dict[str, Running] = {}
    try:
        for name, program in programs.items():
            running[name] = launch(program)
        cpu_start: dict[str, float] = {}
        for name, item in sorted(running.items(), key=lambda pair: pair[1].ready_at):
            idle_until(list(running.values()), item.ready_at + settle)
            cpu_start[name] = cpu_seconds(item.process.pid)
        rss: dict[str, float] = {}
        cpu: dict[str, float] = {}
        for name, item in sorted(running.items(), key=lambda pair: pair[1].ready_at):
            idle_until(list(running.values()), item.ready_at + idle)
            rss[name] = rss_mb(item.process.pid)
            cpu[name] = (cpu_seconds(item.process.pid) - cpu_start[name]) / (idle - settle)
        return IdleFigures(rss, cpu)
    finally:
        for item in running.values():
            stop(item)


@dataclass(frozen=True)
class TrayFigures:
    """Medians over the runs, in ms, MiB and CPU seconds per second."""

    startup_ms: dict[str, float]
    rss_mb: dict[str, float]
    cpu_per_second: dict[str, float]


def measure_trays(display: str, root: Path, live: Mapping[str, str], *, start_runs: int, idle_runs: int,
                  idle: float = IDLE_SECONDS, settle: float = SETTLE_SECONDS) -> TrayFigures:  # fmt: skip
    """The bare app, ours with no session and ours with the sessions of ``live``, on ``display``.

    Idle figures also cover ``floor``, the bare app with an idle asyncio + qasync loop.
    """
    timed = {
        "bare": _bare_program(BARE_TRAY_APP, display, root / "bare"),
        "empty": tray_program(desktop_env(empty_home(root / "empty"), display, root / "empty")),
        "live": tray_program(desktop_env(live, display, root / "live")),
    }
    idling = {**timed, "floor": _bare_program(FLOOR_TRAY_APP, display, root / "floor")}
    for program in idling.values():  # warm-up: page cache, font cache, compiled bytecode
        stop(launch(program))
    startups: dict[str, list[float]] = {name: [] for name in timed}
    for _ in range(start_runs):  # interleaved, so machine noise spreads evenly
        for name, program in timed.items():
            item = launch(program)
            startups[name].append(item.startup * 1000)
            stop(item)
    idles = [_idle_run(idling, idle, settle) for _ in range(idle_runs)]
    return TrayFigures(
        {name: statistics.median(values) for name, values in startups.items()},
        {name: statistics.median(run.rss_mb[name] for run in idles) for name in idling},
        {name: statistics.median(run.cpu_per_second[name] for run in idles) for name in idling},
    )


def _bare_program(source: str, display: str, root: Path) -> Program:
    """A baseline program (``source`` run by ``python -c``) in an empty home; it prints its marker."""
    return Program(
        [sys.executable, "-c", source],
        desktop_env(empty_home(root), display, root),
        "stdout",
        lambda line: line == "tray shown",
        lambda line: line == "tray not visible",
    )


if __name__ == "__main__":
    from benchmarks.live_sessions import live_home

    with (
        tempfile.TemporaryDirectory(prefix="bench-gui-") as tmp,
        private_display() as shown,
        live_home(Path(tmp) / "live") as live_env,
    ):
        print(measure_trays(shown, Path(tmp), live_env, start_runs=int(sys.argv[1]), idle_runs=1))
