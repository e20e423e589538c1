"""The profiles a session gets in ``~/.aws/config``: what they say, and writing them off the event loop."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

from core.domain.model import CredentialMode, Session
from core.storage.paths import AppPaths

if TYPE_CHECKING:
    from core.awsconfig.writer import AwsConfigWriter, ProfileSpec


def credential_process_command(session_id: str, paths: AppPaths | None = None) -> str:
    """The ``credential_process`` line of a session's profile.

    The command is built by :func:`credproc.command.credential_process_command`
    (the app's interpreter running the tiny launcher in isolated mode, quoted
    for the platform's shell-splitting rules). The data directory is pinned so
    that an SDK started from any environment finds the session.
    """
    from credproc.command import credential_process_command as build

    home = str(paths.home) if paths is not None else None
    return build(session_id, home=home)


def other_profile_names(previous: Session | None, profile_name: str) -> tuple[str, ...]:
    """The names a principal's previous session had, besides the one it signs in under now.

    Signing in again as the same principal under a new name keeps the old
    names working (they point at the one session): no profile disappears.
    """
    if previous is None:
        return ()
    return tuple(n for n in dict.fromkeys((*previous.other_profiles, previous.profile_name)) if n != profile_name)


class ProfileWriter:
    """Builds each session's profile and applies profile edits through one :class:`AwsConfigWriter`."""

    def __init__(self, paths: AppPaths, writer: AwsConfigWriter | None = None) -> None:
        self._paths = paths
        self._writer = writer

    @property
    def writer(self) -> AwsConfigWriter:
        """The AWS config writer (default: the user's AWS config).

        Built on first use: its parser takes ~25 ms to import, which the
        tray would otherwise spend before its icon shows. The writer holds
        only paths, so building it from any thread is safe.
        """
        if self._writer is None:
            from core.awsconfig.writer import AwsConfigWriter

            self._writer = AwsConfigWriter(self._paths.aws_config_file, self._paths.locks_dir / "aws-config.lock")
        return self._writer

    def spec(self, session: Session, name: str | None = None) -> ProfileSpec:
        """The profile a session gets under ``name`` (default: its own profile name)."""
        from core.awsconfig.writer import ProfileSpec

        name = name or session.profile_name
        if session.credential_mode is CredentialMode.LOGIN_SESSION:
            return ProfileSpec(name, session.region, login_session=session.identity.arn)
        return ProfileSpec(name, session.region, credential_process=credential_process_command(session.id, self._paths))

    async def apply(
        self,
        upserts: Sequence[ProfileSpec] = (),
        removals: Sequence[str] = (),
        adopt: tuple[str, ...] = (),
        *,
        release: Sequence[str] = (),
    ) -> None:
        """Write and remove profiles in one atomic edit, off the event loop; then hand ``release`` back to the user."""
        await asyncio.to_thread(self.writer.apply, tuple(upserts), tuple(removals), adopt=adopt)
        if release:
            await asyncio.to_thread(self.writer.release, tuple(release))
