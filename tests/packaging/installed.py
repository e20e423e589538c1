"""Drive an installed copy of the app (a uv tool install, an extracted .deb) from the outside.

Nothing here lets the installed app see the checkout: it runs from a
temporary directory with ``PYTHONPATH`` and the test keyring's variables
removed, against a real Secret Service (gnome-keyring on a private D-Bus), a
browser double that approves on the emulator, and a real X server with a
tray host.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.support.emulator import EmulatorHandle

REPO = Path(__file__).resolve().parents[2]
APP_ID = "io.github.awslogintray.AwsLoginTray"
Geometry = tuple[int, int, int, int]
PROJECT_VERSION = re.search(r'^version = "([^"]+)"', (REPO / "pyproject.toml").read_text(), re.M)[1]  # type: ignore[index]

APPROVER = '''\
"""A BROWSER program: approve console session 1 on the emulator and follow the redirect, in the background."""
import http.client, os, sys, urllib.parse

def get(url, headers):
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    connection.request("GET", parts.path + ("?" + parts.query if parts.query else ""), headers=headers)
    return connection.getresponse()

if os.fork() == 0:
    reply = get(sys.argv[1], {"X-Emulator-Approve": "1"})
    get(reply.getheader("Location"), {}).read()
    os._exit(0)
'''


def tool(name: str) -> str:
    """A program the suite needs; scripts/bootstrap.sh installs it."""
    found = shutil.which(name)
    assert found, f"{name} is missing: scripts/bootstrap.sh installs it"
    return found


@dataclass
class Outside:
    """An environment and a working directory in which the checkout is out of reach."""

    env: dict[str, str]
    cwd: Path

    def run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        """Run a command there; fail with its output when ``check`` and it fails."""
        done = subprocess.run(
            list(args), env=self.env, cwd=self.cwd, capture_output=True, text=True, timeout=timeout, check=False
        )
        if check:
            assert done.returncode == 0, f"{args} -> {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done


def outside_env(base: Path, emulator: EmulatorHandle) -> Outside:
    """The suite's isolated HOME and AWS files, minus everything that would reach the checkout."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in ("PYTHONPATH", "PYTHON_KEYRING_BACKEND", "AWS_LOGIN_TRAY_TEST_KEYRING", "VIRTUAL_ENV")
    }
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(REPO)))
    env |= emulator.env()
    env["AWS_EC2_METADATA_DISABLED"] = "true"
    browser = base / "approve-on-emulator"
    browser.write_text(f"#!{sys.executable} -I\n{APPROVER}", encoding="utf-8")
    browser.chmod(0o755)
    env["BROWSER"] = str(browser)
    cwd = base / "elsewhere"
    cwd.mkdir(parents=True, exist_ok=True)
    return Outside(env, cwd)


@contextmanager
def secret_service(outside: Outside) -> Iterator[None]:
    """A private session bus with an unlocked gnome-keyring on it (the real Secret Service); stopped by PID."""
    runtime = outside.cwd.parent / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    outside.env["XDG_RUNTIME_DIR"] = str(runtime)
    bus = subprocess.Popen(
        [tool("dbus-daemon"), "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env=outside.env,
    )
    assert bus.stdout is not None
    outside.env["DBUS_SESSION_BUS_ADDRESS"] = bus.stdout.readline().strip()
    keyring = subprocess.Popen(
        [tool("gnome-keyring-daemon"), "--foreground", "--unlock", "--components=secrets"],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=outside.env,
    )
    assert keyring.stdin is not None
    keyring.stdin.write(b"test-only-password")
    keyring.stdin.close()
    wait_until(lambda: _bus_has(outside.env, "org.freedesktop.secrets"), "gnome-keyring on the session bus")
    try:
        yield
    finally:
        for process in (keyring, bus):
            stop(process)


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes]) -> None:
    """Terminate one process we started, then kill it if it lingers."""
    process.terminate()
    try:
        process.wait(10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)


def sign_in_and_check_credential_process(
    command: list[str], outside: Outside, emulator: EmulatorHandle, installed_under: Path
) -> str:
    """Sign in with the installed CLI; boto3 must get the identity through the line it wrote; returns the line.

    Also back-dates the credentials, so the line's slow path (a refresh by the
    installed app, through the Secret Service) must run too.
    """
    outside.run(*command, "login", "--profile", "installed", "--region", "us-east-1", timeout=180)
    config = Path(outside.env["AWS_CONFIG_FILE"]).read_text(encoding="utf-8")
    line = next(
        v.strip()
        for k, _, v in (raw.partition("=") for raw in config.splitlines())
        if k.strip() == "credential_process"
    )
    assert str(REPO) not in line
    assert str(installed_under) in line
    expected = emulator.sessions[0].arn
    assert caller_arn(outside) == expected

    session_id = re.search(r"--session (\S+)", line)[1]  # type: ignore[index]
    credentials = Path(outside.env["AWS_LOGIN_TRAY_HOME"]) / "credentials" / f"{session_id}.json"
    stale = json.loads(credentials.read_text(encoding="utf-8"))
    stale["Expiration"] = (datetime.now(UTC) - timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    credentials.write_text(json.dumps(stale), encoding="utf-8")
    assert caller_arn(outside) == expected
    assert json.loads(credentials.read_text(encoding="utf-8"))["AccessKeyId"] != stale["AccessKeyId"]
    return line


def caller_arn(outside: Outside) -> str:
    """Unmodified boto3, in a process of its own, asks STS who the ``installed`` profile is."""
    script = "import boto3; print(boto3.Session(profile_name='installed').client('sts').get_caller_identity()['Arn'])"
    return outside.run(sys.executable, "-I", "-c", script).stdout.strip()


@contextmanager
def tray_host(outside: Outside) -> Iterator[str]:
    """A private Xvfb display with trayer docked top right; yields the display; both stopped by PID."""
    read_fd, write_fd = os.pipe()
    xvfb = subprocess.Popen(
        [tool("Xvfb"), "-displayfd", str(write_fd), "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    with os.fdopen(read_fd) as pipe:
        display = f":{pipe.readline().strip()}"
    env = {**outside.env, "DISPLAY": display}
    trayer = subprocess.Popen(
        [tool("trayer"), "--edge", "top", "--align", "right", "--widthtype", "request", "--height", "24",
         "--SetDockType", "true"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    wait_until(lambda: '("panel" "trayer")' in _window_tree(env), "trayer's panel")
    try:
        yield display
    finally:
        for process in (trayer, xvfb):
            stop(process)


def tray_icon_pixels(
    command: list[str], outside: Outside, display: str, shot: Path, settled: Callable[[Path, Geometry], bool]
) -> Geometry:
    """Start the installed tray, wait for its icon to dock, and screenshot the screen until ``settled`` says so.

    Returns the icon's x, y, width and height on the screen. The tray may
    show another status for a moment while it loads its sessions, hence the
    repeated screenshots (the last one stays in ``shot`` for the assertions).
    """
    env = {**outside.env, "DISPLAY": display, "QT_QPA_PLATFORM": "xcb"}
    log = shot.with_suffix(".log")  # a file, not a pipe nobody reads while the tray runs
    with log.open("wb") as output:
        app = subprocess.Popen(command, env=env, cwd=outside.cwd, stdout=output, stderr=subprocess.STDOUT)
    try:
        geometry: Geometry | None = None

        def docked() -> bool:
            nonlocal geometry
            assert app.poll() is None, log.read_text(errors="replace")
            found = re.search(
                r'\("aws-login-tray" "[^"]*"\)\s+(\d+)x(\d+)\+-?\d+\+-?\d+\s+\+(\d+)\+(\d+)', _window_tree(env)
            )
            if found:
                width, height, x, y = (int(part) for part in found.groups())
                geometry = (x, y, width, height)
            return geometry is not None

        wait_until(docked, "the tray icon docked in trayer")
        assert geometry is not None

        def shows_the_settled_icon() -> bool:
            assert geometry is not None
            subprocess.run([tool("import"), "-window", "root", str(shot)], env=env, check=True, timeout=60)
            return settled(shot, geometry)

        with contextlib.suppress(TimeoutError):  # the caller's assertions then say what the icon looked like
            wait_until(shows_the_settled_icon, "the settled tray icon", timeout=30)
        return geometry
    finally:
        stop(app)


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``condition`` every half second."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"gave up waiting for {what}")
        time.sleep(0.5)


def _window_tree(env: dict[str, str]) -> str:
    done = subprocess.run([tool("xwininfo"), "-root", "-tree"], env=env, capture_output=True, text=True, check=False)
    return done.stdout


def _bus_has(env: dict[str, str], name: str) -> bool:
    done = subprocess.run(
        [tool("dbus-send"), "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
         "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
        env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    return "boolean true" in done.stdout
