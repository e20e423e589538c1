"""Role profiles: roles a console session assumes in other accounts (the console's "Switch role").

A role profile is an AWS config profile with ``role_arn`` and ``source_profile``
naming a session's own profile: the SDKs call ``sts:AssumeRole`` with the
session's credentials themselves. Ours are managed sections owned by the
session their ``source_profile`` names; profiles the user wrote that chain
from a session's profile are shown too, read-only.

Plain frozen dataclasses and pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.domain.model import Identity

MIN_ROLE_DURATION = 900
"""The shortest role session AWS grants (seconds)."""
MAX_CHAINED_DURATION = 3600
"""AWS's limit for a role assumed with temporary credentials (role chaining): one hour."""

_ROLE_ARN = re.compile(
    r"^arn:(?P<partition>aws[a-z-]*):iam::(?P<account>\d{12}):role/(?P<path>(?:[\x21-\x7e]+/)?)(?P<name>[\w+=,.@-]{1,64})$"
)
_SESSION_NAME = re.compile(r"^[\w+=,.@-]{2,64}$")
_EXTERNAL_ID = re.compile(r"^[\w+=,.@:/-]{2,1224}$")

ROLE_KEYS = ("role_arn", "source_profile", "role_session_name", "duration_seconds", "external_id")
"""The config keys of a role profile, in the order we write them."""


@dataclass(frozen=True)
class RoleArn:
    """The parts of an IAM role ARN."""

    arn: str
    partition: str
    account_id: str
    name: str

    @classmethod
    def parse(cls, text: str) -> RoleArn:
        """Parse ``arn:aws:iam::123456789012:role/[path/]Name``.

        Raises:
            ValueError: with a sentence that says what a role ARN looks like.
        """
        match = _ROLE_ARN.match(text.strip())
        if match is None:
            raise ValueError(
                f"{text.strip()!r} is not an IAM role ARN; it looks like arn:aws:iam::123456789012:role/RoleName "
                "(the console's Switch role page and the role's summary page show it)."
            )
        return cls(text.strip(), match.group("partition"), match.group("account"), match.group("name"))


@dataclass(frozen=True)
class RoleSettings:
    """What a role profile asks of ``sts:AssumeRole``, as written in the config file."""

    role_arn: str
    source_profile: str
    role_session_name: str | None = None
    duration_seconds: int | None = None
    external_id: str | None = None

    def config_items(self) -> list[tuple[str, str]]:
        """The ``key = value`` lines of these settings, in :data:`ROLE_KEYS` order (unset ones left out)."""
        values = (
            self.role_arn,
            self.source_profile,
            self.role_session_name,
            None if self.duration_seconds is None else str(self.duration_seconds),
            self.external_id,
        )
        return [(key, value) for key, value in zip(ROLE_KEYS, values, strict=True) if value is not None]


@dataclass(frozen=True)
class RoleProfile:
    """A profile that assumes a role with a session's credentials.

    ``managed`` profiles are ours (written, rewritten and removed by the
    app); the others are the user's own, listed read-only.
    """

    name: str
    session_id: str
    settings: RoleSettings
    region: str | None
    managed: bool
    regional_sts: bool
    """Whether the profile sets ``sts_regional_endpoints = regional``."""

    @property
    def role(self) -> RoleArn | None:
        """The parsed role ARN (None when the user's profile holds something else)."""
        try:
            return RoleArn.parse(self.settings.role_arn)
        except ValueError:
            return None

    @property
    def account_id(self) -> str:
        """The role's account ("?" when the ARN cannot be read)."""
        role = self.role
        return role.account_id if role else "?"

    @property
    def role_name(self) -> str:
        """The role's name (the raw ARN when it cannot be read)."""
        role = self.role
        return role.name if role else self.settings.role_arn


def default_role_session_name(identity: Identity) -> str:
    """The principal's name, made fit for ``RoleSessionName`` (2 to 64 of letters, digits, ``+=,.@_-``)."""
    name = re.sub(r"[^\w+=,.@-]", "-", identity.principal_name)[:64]
    return name if len(name) >= 2 else f"{name}-session"[:64]


def default_role_profile_name(role: RoleArn) -> str:
    """``<account>-<RoleName>``, e.g. ``444455556666-Deploy``."""
    return f"{role.account_id}-{re.sub(r'[^A-Za-z0-9_.@+-]', '-', role.name)}"


def check_role_session_name(name: str) -> str:
    """The name, or ValueError with what AWS accepts."""
    if not _SESSION_NAME.match(name):
        raise ValueError(f"{name!r} cannot be a role session name: use 2 to 64 letters, digits and + = , . @ _ - only.")
    return name


def check_duration(seconds: int) -> int:
    """The duration, or ValueError naming the range AWS allows for a chained role."""
    if not MIN_ROLE_DURATION <= seconds <= MAX_CHAINED_DURATION:
        raise ValueError(
            f"A role assumed from a console session lasts {MIN_ROLE_DURATION // 60} to "
            f"{MAX_CHAINED_DURATION // 60} minutes ({MIN_ROLE_DURATION}..{MAX_CHAINED_DURATION} seconds): "
            "AWS limits roles assumed with temporary credentials to one hour."
        )
    return seconds


def check_external_id(value: str) -> str:
    """The external id, or ValueError with what AWS accepts."""
    if not _EXTERNAL_ID.match(value):
        raise ValueError("An external ID is 2 to 1224 characters: letters, digits and + = , . @ : / _ - (no spaces).")
    return value
