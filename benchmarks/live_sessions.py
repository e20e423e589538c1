"""Five live sessions for the benchmarks: the emulator, a temporary home, real sign-ins.

:func:`live_home` starts the AWS Sign-In emulator (``python -m emulator``) on
127.0.0.1 (optionally modelling a network: ``latency_ms``, the emulator's
``--latency-ms``), points a temporary home at it, and signs ``count`` sessions in
through the app's own session manager, in a child process, the way the tray
does (PKCE, DPoP, the token call); the "browser" is the emulator's
automation contract (``X-Emulator-Approve``). Secrets go to 0600 files in the
temporary home (no keyring here). The emulator keeps running for the caller,
so the sessions can be refreshed, and is stopped by PID on the way out.

Run as ``python -m benchmarks.live_sessions COUNT`` (in that environment) it
performs the sign-ins.
"""

from __future__ import annotations

import asyncio
import os
import select
import subprocess
import sys
import threading
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from core.storage.settings import Settings, save_settings

REGION = "us-east-1"
START_TIMEOUT = 30.0


def home_environment(root: Path) -> dict[str, str]:
    """Every AWS and app location of a home under ``root`` (nothing of the real user's)."""
    home = root / "home"
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    return {
        "HOME": str(home),
        "AWS_CONFIG_FILE": str(home / ".aws" / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(home / ".aws" / "credentials"),
        "AWS_LOGIN_CACHE_DIRECTORY": str(home / ".aws" / "login" / "cache"),
        "AWS_LOGIN_TRAY_HOME": str(root / "app"),
        # Never reach a real keyring: secrets live in 0600 files of this home.
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextmanager
def emulator(*, credential_ttl: int = 900, latency_ms: int = 0) -> Iterator[dict[str, str]]:
    """A running emulator, each answer held ``latency_ms``; yields the environment that points the SDK at it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--host", "127.0.0.1", "--port", "0",
         "--credential-ttl", str(credential_ttl), "--latency-ms", str(latency_ms)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines: list[str] = []
        buffer = b""
        while len(lines) < 2:
            ready, _, _ = select.select([process.stdout], [], [], START_TIMEOUT)
            chunk = os.read(process.stdout.fileno(), 4096) if ready else b""
            if not chunk:
                raise RuntimeError(f"the emulator did not start (status {process.poll()})")
            buffer += chunk
            *done, buffer = buffer.split(b"\n")
            lines += [line.decode().strip() for line in done]
        yield {"AWS_ENDPOINT_URL_SIGNIN": lines[0], "AWS_ENDPOINT_URL_STS": lines[1]}
    finally:
        _stop(process)


def emulator_tokens(env: dict[str, str]) -> dict[str, object]:
    """The emulator's record of token requests (``GET /_emulator/tokens``)."""
    import json

    with urllib.request.urlopen(f"{env['AWS_ENDPOINT_URL_SIGNIN']}/_emulator/tokens", timeout=10) as reply:
        document: dict[str, object] = json.loads(reply.read())
    return document


@contextmanager
def live_home(
    root: Path, *, count: int = 5, credential_ttl: int = 900, latency_ms: int = 0
) -> Iterator[dict[str, str]]:
    """A home under ``root`` with ``count`` sessions signed in; yields the environment to run the app in."""
    with emulator(credential_ttl=credential_ttl, latency_ms=latency_ms) as endpoints:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("AWS_", "DBUS_", "XDG_")) and key != "PYTHONDONTWRITEBYTECODE"
        }
        env.update(home_environment(root), **endpoints)
        save_settings(Path(env["AWS_LOGIN_TRAY_HOME"]) / "settings.json", Settings(use_plaintext_secrets=True))
        if count:
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.live_sessions", str(count)],
                env=env,
                capture_output=True,
                check=False,
                timeout=120,
            )
            if done.returncode != 0:
                raise RuntimeError(f"signing in failed: {done.stderr.decode(errors='replace')[-2000:]}")
        yield env


def _approve_in_background(choice: int, url: str) -> None:
    """The emulator's automation contract, then the redirect to the app's callback, off this thread."""

    def work() -> None:
        request = urllib.request.Request(url, headers={"X-Emulator-Approve": str(choice)})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *_args: object, **_kwargs: object) -> None:
                return None

        opener = urllib.request.build_opener(NoRedirect)
        try:
            opener.open(request, timeout=10)
        except urllib.error.HTTPError as answer:
            if answer.code != 302:
                raise
            location = answer.headers["Location"]
        else:
            raise RuntimeError("the emulator did not redirect")
        with urllib.request.urlopen(location, timeout=10) as reply:
            reply.read()

    threading.Thread(target=work, daemon=True).start()


async def _sign_in(count: int) -> None:
    from core.domain.ports import SystemClock
    from core.sessions.manager import SessionManager
    from core.storage.paths import AppPaths

    choices = iter(range(1, count + 1))
    manager = SessionManager(
        AppPaths.from_environment(),
        clock=SystemClock(),
        open_browser=lambda url: _approve_in_background(next(choices), url),
    )
    for number in range(1, count + 1):
        await manager.sign_in(REGION, f"bench-{number}")


if __name__ == "__main__":
    asyncio.run(_sign_in(int(sys.argv[1])))
