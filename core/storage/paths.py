"""Every file location the app uses, resolved in one place.

Environment overrides exist so tests (and cautious users) can move
everything to a temporary place:

* ``AWS_LOGIN_TRAY_HOME``: the app's own data (sessions, credentials, locks, settings).
* ``AWS_CONFIG_FILE``: the AWS config file (default ``~/.aws/config``).
* ``AWS_LOGIN_CACHE_DIRECTORY``: the ``aws login`` token cache (default ``~/.aws/login/cache``).
"""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path

APP_NAME = "aws-login-tray"
APP_HOME_ENV = "AWS_LOGIN_TRAY_HOME"


_ID_CHARS = frozenset("0123456789abcdef")


def _app_home() -> Path:
    override = os.environ.get(APP_HOME_ENV)
    if override:
        # Absolute: the directory is written into credential_process lines that SDKs run from anywhere.
        return Path(os.path.abspath(Path(override).expanduser()))
    import platformdirs  # deferred: not needed when the override is set

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def is_session_id(text: str) -> bool:
    """Session ids are lower-case hex digests (``core.domain.model.session_id_for``): they never walk a path."""
    return 0 < len(text) <= 64 and all(char in _ID_CHARS for char in text)


def _checked_id(session_id: str) -> str:
    if not is_session_id(session_id):
        raise ValueError(f"not a session id: {session_id[:80]!r}")
    return session_id


@dataclass(frozen=True)
class AppPaths:
    """Resolved locations. Build with :meth:`from_environment`.

    The derived locations are worked out once per instance (every refresh asks for several).
    """

    home: Path
    aws_config_file: Path
    login_cache_dir: Path

    @classmethod
    def from_environment(cls) -> AppPaths:
        """Resolve every path from the environment, as documented above."""
        config = os.environ.get("AWS_CONFIG_FILE") or "~/.aws/config"
        cache = os.environ.get("AWS_LOGIN_CACHE_DIRECTORY") or "~/.aws/login/cache"
        return cls(
            _app_home(),
            Path(os.path.abspath(Path(config).expanduser())),
            Path(os.path.abspath(Path(cache).expanduser())),
        )

    @functools.cached_property
    def sessions_file(self) -> Path:
        """Versioned JSON metadata of every session (no secrets)."""
        return self.home / "sessions.json"

    @functools.cached_property
    def log_file(self) -> Path:
        """The tray's log (events and reasons, never a secret); rotated at 1 MB."""
        return self.home / "tray.log"

    @functools.cached_property
    def settings_file(self) -> Path:
        """User settings (JSON)."""
        return self.home / "settings.json"

    @functools.cached_property
    def credentials_dir(self) -> Path:
        """One 0600 file of short-lived credentials per session, for fast reads."""
        return self.home / "credentials"

    def credentials_file(self, session_id: str) -> Path:
        """The short-lived credentials of one session."""
        return self.credentials_dir / f"{_checked_id(session_id)}.json"

    @functools.cached_property
    def locks_dir(self) -> Path:
        """Inter-process lock files."""
        return self.home / "locks"

    def session_lock(self, session_id: str) -> Path:
        """The lock every refresher of one session takes, in any process."""
        return self.locks_dir / f"{_checked_id(session_id)}.lock"

    @functools.cached_property
    def plaintext_secrets_dir(self) -> Path:
        """Secrets kept in 0600 files, only when the user asked for that explicitly."""
        return self.home / "secrets"

    def secrets_file(self, session_id: str) -> Path:
        """One session's plaintext secrets file (only with the opt-in)."""
        return self.plaintext_secrets_dir / f"{_checked_id(session_id)}.json"

    @functools.cached_property
    def rescue_dir(self) -> Path:
        """Refresh tokens received while their store could not take them (0600, adopted at the next start)."""
        return self.home / "rescue"

    def rescue_file(self, session_id: str) -> Path:
        """One session's rescued refresh token."""
        return self.rescue_dir / f"{_checked_id(session_id)}.json"

    @functools.cached_property
    def pending_deletions_file(self) -> Path:
        """Secrets that sign-out could not remove yet (a locked keyring): removed at a later start."""
        return self.home / "pending-deletions.json"
