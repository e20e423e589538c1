"""Every file location the app uses, resolved in one place.

Environment overrides exist so tests (and cautious users) can move
everything to a temporary place:

* ``AWS_LOGIN_TRAY_HOME``: the app's own data (sessions, credentials, locks, settings).
* ``AWS_CONFIG_FILE``: the AWS config file (default ``~/.aws/config``).
* ``AWS_LOGIN_CACHE_DIRECTORY``: the ``aws login`` token cache (default ``~/.aws/login/cache``).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "aws-login-tray"
APP_HOME_ENV = "AWS_LOGIN_TRAY_HOME"


def _app_home() -> Path:
    override = os.environ.get(APP_HOME_ENV)
    if override:
        return Path(override).expanduser()
    import platformdirs  # deferred: not needed when the override is set

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


@dataclass(frozen=True)
class AppPaths:
    """Resolved locations. Build with :meth:`from_environment`."""

    home: Path
    aws_config_file: Path
    login_cache_dir: Path

    @classmethod
    def from_environment(cls) -> AppPaths:
        """Resolve every path from the environment, as documented above."""
        config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
        cache = os.environ.get("AWS_LOGIN_CACHE_DIRECTORY") or "~/.aws/login/cache"
        return cls(_app_home(), Path(config).expanduser(), Path(cache).expanduser())

    @property
    def sessions_file(self) -> Path:
        """Versioned JSON metadata of every session (no secrets)."""
        return self.home / "sessions.json"

    @property
    def settings_file(self) -> Path:
        """User settings (JSON)."""
        return self.home / "settings.json"

    @property
    def credentials_dir(self) -> Path:
        """One 0600 file of short-lived credentials per session, for fast reads."""
        return self.home / "credentials"

    def credentials_file(self, session_id: str) -> Path:
        """The short-lived credentials of one session."""
        return self.credentials_dir / f"{session_id}.json"

    @property
    def locks_dir(self) -> Path:
        """Inter-process lock files."""
        return self.home / "locks"

    def session_lock(self, session_id: str) -> Path:
        """The lock every refresher of one session takes, in any process."""
        return self.locks_dir / f"{session_id}.lock"

    @property
    def plaintext_secrets_dir(self) -> Path:
        """Secrets kept in 0600 files, only when the user asked for that explicitly."""
        return self.home / "secrets"
