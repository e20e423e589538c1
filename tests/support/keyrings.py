"""A keyring backend for tests: a JSON file in a temporary directory.

File-based (not in-memory) so that subprocesses started by a test (the CLI,
``credential-process``) see the same entries. Selected with
``PYTHON_KEYRING_BACKEND=tests.support.keyrings.TestFileKeyring`` and
``AWS_LOGIN_TRAY_TEST_KEYRING=<file>``; never touches the machine's keyring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from filelock import FileLock
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError


class TestFileKeyring(KeyringBackend):
    """Stores entries in the JSON file named by ``AWS_LOGIN_TRAY_TEST_KEYRING``."""

    priority = 1

    @property
    def _path(self) -> Path:
        return Path(os.environ["AWS_LOGIN_TRAY_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        try:
            data: dict[str, str] = json.loads(self._path.read_text())
        except FileNotFoundError:
            return {}
        return data

    def _save(self, data: dict[str, str]) -> None:
        tmp = self._path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data))
        os.chmod(tmp, 0o600)
        os.replace(tmp, self._path)

    @staticmethod
    def _key(service: str, username: str) -> str:
        return json.dumps([service, username])

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(self._key(service, username))

    def _locked(self) -> FileLock:
        # Read-modify-write of one shared file: processes writing different
        # entries at once must not drop each other's (a real keyring doesn't).
        return FileLock(str(self._path) + ".lock")

    def set_password(self, service: str, username: str, password: str) -> None:
        with self._locked():
            data = self._load()
            data[self._key(service, username)] = password
            self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        with self._locked():
            data = self._load()
            if data.pop(self._key(service, username), None) is None:
                raise PasswordDeleteError(f"no entry for {service}/{username}")
            self._save(data)

    def entries(self) -> dict[tuple[str, str], str]:
        """Every stored entry, for assertions."""
        return {(k[0], k[1]): v for k, v in ((json.loads(raw), v) for raw, v in self._load().items())}
