"""All or nothing: the checks a change passes before it starts, and the undo when a later step fails.

* :func:`check_sign_in_inputs`: the Region and a writable, readable AWS config
  are checked before the browser opens, so a sign-in never completes only to
  fail at writing its profile.
* :func:`move_secrets`: switching between the OS keyring and plaintext files
  copies every session's secrets first and deletes the originals only after
  the new setting is saved; a failure part-way removes the copies again.
* :func:`check_active_profile_name`: the active profile's name must not be
  another session's profile.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager
from pathlib import Path
from typing import TYPE_CHECKING

from core.domain.errors import ConfigFileError, InvalidInput, ProfileConflict, SecretStoreUnavailable
from core.domain.model import Session
from core.domain.regions import is_region_name
from core.storage.pending import PendingDeletions
from core.storage.secrets import SecretStore

if TYPE_CHECKING:
    from core.awsconfig.writer import AwsConfigWriter


def check_region(region: str) -> None:
    """Raises :class:`InvalidInput` for anything that is not an AWS Region name."""
    if not is_region_name(region):
        raise InvalidInput(
            f"{region[:60]!r} is not an AWS Region name (for example us-east-1 or eu-west-1); nothing was changed."
        )


def check_config_writable(writer: AwsConfigWriter) -> None:
    """The AWS config can be parsed and its directory written (a read-only ``~/.aws`` is found now).

    Raises:
        ConfigFileError: it cannot, naming the file or directory.
    """
    writer.profile_settings("default")  # parses the file: damage is named before the browser opens
    directory = _nearest_existing(writer.config_path.parent)
    try:
        fd, name = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=directory)
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        raise ConfigFileError(
            f"Cannot write in {directory} ({exc.strerror}), where the AWS config {writer.config_path} lives; "
            "nothing was changed. Make it writable, or point AWS_CONFIG_FILE elsewhere."
        ) from None


def _nearest_existing(directory: Path) -> Path:
    while not directory.exists() and directory.parent != directory:
        directory = directory.parent
    return directory


def check_active_profile_name(name: str, sessions: Sequence[Session]) -> None:
    """Raises :class:`ProfileConflict` when ``name`` is a session's own profile."""
    owner = next((s for s in sessions if s.profile_name == name), None)
    if owner is not None:
        raise ProfileConflict(
            f"{name!r} is the profile of the session {owner.identity.display_name} in {owner.account_id}; "
            "the active profile needs a name of its own. Nothing was changed.",
            name,
        )


LockFor = Callable[[str], AbstractContextManager[None]]


def move_secrets(
    sessions: Sequence[Session],
    source: SecretStore,
    target: SecretStore,
    lock_for: LockFor,
    commit: Callable[[], None],
) -> list[Session]:
    """Copy every session's secrets to ``target``, ``commit()`` (save the setting), then delete the originals.

    Returns the sessions whose originals could not be deleted (to retry later).

    Raises:
        SecretStoreUnavailable: a copy failed; the copies made so far were removed and
            nothing else changed.
    """
    copied: list[Session] = []
    try:
        for session in sessions:
            with lock_for(session.id):
                secrets = source.load(session)
                if secrets is not None:
                    target.save(session, secrets)
                    copied.append(session)
        commit()
    except BaseException:
        for session in copied:
            with contextlib.suppress(Exception):
                target.delete(session)
        raise
    left: list[Session] = []
    for session in copied:
        try:
            source.delete(session)
        except SecretStoreUnavailable:
            left.append(session)
    return left


@contextlib.contextmanager
def no_lock(_: str) -> Iterator[None]:
    """A stand-in lock for callers that already hold what they need."""
    yield


def record_leftovers(pending: PendingDeletions, store_name: str, sessions: Sequence[Session]) -> None:
    """Remember secrets that could not be removed, so a later start removes them."""
    for session in sessions:
        with contextlib.suppress(OSError):
            pending.add(store_name, session)
