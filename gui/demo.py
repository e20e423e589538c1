"""Demo mode: the app against a local AWS Sign-In emulator, in a throw-away directory.

The emulator runs as a subprocess (``python -m emulator --port 0``); its
first two stdout lines are its base URL and its STS URL. The AWS config,
the login cache and the app's data all move into a temporary directory,
so the user's real ``~/.aws`` is never read or written.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path

from core.storage.settings import Settings, save_settings

START_TIMEOUT = 20.0


def keyring_usable() -> bool:
    """True when the default keyring backend can store secrets."""
    try:
        import keyring
        from keyring.backends import fail

        return not isinstance(keyring.get_keyring(), fail.Keyring)
    except Exception:
        return False


@dataclass
class DemoEnvironment:
    """A running emulator plus the temporary directory the app uses."""

    process: subprocess.Popen[str]
    directory: Path
    base_url: str
    sts_url: str
    plaintext_secrets: bool
    saved_env: dict[str, str | None] = field(default_factory=dict)

    @classmethod
    def start(cls, extra_args: list[str] | None = None) -> DemoEnvironment:
        """Start the emulator, create the demo directory and point the environment at both.

        Raises:
            RuntimeError: the emulator did not print its URLs in time.
        """
        directory = Path(tempfile.mkdtemp(prefix="aws-login-tray-demo-"))
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "emulator", "--port", "0", *(extra_args or [])],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        try:
            base_url, sts_url = _read_lines(process, 2)
        except BaseException:
            process.terminate()
            process.wait(5)
            shutil.rmtree(directory, ignore_errors=True)
            raise
        env = {
            "AWS_ENDPOINT_URL_SIGNIN": base_url,
            "AWS_ENDPOINT_URL_STS": sts_url,
            "AWS_CONFIG_FILE": str(directory / "aws" / "config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "aws" / "credentials"),
            "AWS_LOGIN_CACHE_DIRECTORY": str(directory / "aws" / "login" / "cache"),
            "AWS_LOGIN_TRAY_HOME": str(directory / "app"),
            "XDG_CONFIG_HOME": str(directory / "xdg-config"),
        }
        demo = cls(process, directory, base_url, sts_url, plaintext_secrets=not keyring_usable())
        for name, value in env.items():
            demo.saved_env[name] = os.environ.get(name)
            os.environ[name] = value
        (directory / "aws").mkdir(mode=0o700)
        settings = Settings(default_region="us-east-1", use_plaintext_secrets=demo.plaintext_secrets)
        save_settings(directory / "app" / "settings.json", settings)
        return demo

    def describe(self) -> str:
        """What the user should know about this demo."""
        lines = [
            f"Demo mode: AWS Sign-In emulator at {self.base_url} (STS at {self.sts_url}).",
            f"Everything is kept in {self.directory}; your ~/.aws is not touched.",
        ]
        if self.plaintext_secrets:
            lines.append(
                "No OS keyring is available, so this demo keeps its (fake) secrets in plain 0600 files "
                "inside that directory."
            )
        return "\n".join(lines)

    def stop(self) -> None:
        """Stop the emulator, restore the environment and delete the demo directory."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        for name, value in self.saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        shutil.rmtree(self.directory, ignore_errors=True)


def _read_lines(process: subprocess.Popen[str], count: int) -> list[str]:
    """Read the emulator's first ``count`` lines, then keep draining its stdout in the background."""
    stdout = process.stdout
    assert stdout is not None
    lines: list[str] = []
    got_them = threading.Event()

    def reader() -> None:
        for line in stdout:
            if len(lines) < count:
                lines.append(line.strip())
                if len(lines) == count:
                    got_them.set()
        got_them.set()

    threading.Thread(target=reader, name="emulator-stdout", daemon=True).start()
    if not got_them.wait(START_TIMEOUT) or len(lines) < count:
        raise RuntimeError(f"The sign-in emulator did not start (status {process.poll()}).")
    return lines[:count]
