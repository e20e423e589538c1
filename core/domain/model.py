"""The data every layer shares: identities, credentials, sessions.

Plain frozen dataclasses with no I/O, so the GUI can hold snapshots safely
and tests can build them directly.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

MAX_SESSIONS = 5
"""The console's multi-session limit: at most five concurrent sessions."""


class SessionState(StrEnum):
    """Where a session stands in its life."""

    FRESH = "fresh"
    REFRESHING = "refreshing"
    RETRYING = "retrying"
    NEEDS_SIGN_IN = "needs_sign_in"
    ENDED = "ended"
    SIGNED_OUT = "signed_out"
    """The user ended it outside the app (``aws logout`` removed its cache file): not a failure."""

    @property
    def live(self) -> bool:
        """True while the session can be refreshed (it is not ended, signed out or waiting for a sign-in)."""
        return self not in (SessionState.NEEDS_SIGN_IN, SessionState.ENDED, SessionState.SIGNED_OUT)

    @property
    def holds_a_place(self) -> bool:
        """False once signed out: it no longer counts toward the console's five sessions."""
        return self is not SessionState.SIGNED_OUT


class PrincipalType(StrEnum):
    """The kind of console principal behind a login session ARN."""

    ROOT = "root"
    IAM_USER = "iam_user"
    ASSUMED_ROLE = "assumed_role"
    FEDERATED_USER = "federated_user"


class CredentialMode(StrEnum):
    """How a session's profile hands credentials to SDKs."""

    CREDENTIAL_PROCESS = "credential_process"
    LOGIN_SESSION = "login_session"


_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):(?P<service>iam|sts)::(?P<account>\d{12}):(?P<resource>.+)$")


@dataclass(frozen=True)
class Identity:
    """Who a login session belongs to, parsed from its ARN."""

    arn: str
    partition: str
    account_id: str
    principal_type: PrincipalType
    principal_name: str
    role_name: str | None = None

    @classmethod
    def from_arn(cls, arn: str) -> Identity:
        """Parse a login session ARN.

        Raises:
            ValueError: the text is not an IAM user, root, assumed-role or
                federated-user ARN.
        """
        match = _ARN.match(arn)
        if match is None:
            raise ValueError(f"not a login session ARN: {arn!r}")
        partition, service, account, resource = match.group("partition", "service", "account", "resource")
        if service == "iam" and resource == "root":
            return cls(arn, partition, account, PrincipalType.ROOT, "root")
        if service == "iam" and resource.startswith("user/"):
            return cls(arn, partition, account, PrincipalType.IAM_USER, resource.rsplit("/", 1)[-1])
        if service == "sts" and resource.startswith("assumed-role/"):
            parts = resource.split("/")
            if len(parts) >= 3 and all(parts[1:]):
                return cls(arn, partition, account, PrincipalType.ASSUMED_ROLE, parts[-1], parts[1])
        if service == "sts" and resource.startswith("federated-user/"):
            return cls(arn, partition, account, PrincipalType.FEDERATED_USER, resource.split("/", 1)[1])
        raise ValueError(f"not a login session ARN: {arn!r}")

    @property
    def display_name(self) -> str:
        """``Role/session`` for roles, the user name otherwise."""
        if self.role_name:
            return f"{self.role_name}/{self.principal_name}"
        return self.principal_name

    @property
    def default_profile_name(self) -> str:
        """A profile name derived from account and role or user, e.g. ``123456789012-Admin``."""
        suffix = self.role_name or self.principal_name
        return f"{self.account_id}-{re.sub(r'[^A-Za-z0-9_.-]', '-', suffix)}"


def holding_places(sessions: Iterable[Session]) -> list[Session]:
    """The sessions that count toward the console's :data:`MAX_SESSIONS` (a signed-out one does not)."""
    return [s for s in sessions if s.state.holds_a_place]


def session_id_for(arn: str) -> str:
    """The stable id of a session: the first 16 hex digits of SHA-256(ARN).

    Signing in again as the same ARN yields the same id, so it replaces the
    old session instead of adding one. (The AWS login cache file name is the
    full digest of the same input.)
    """
    import hashlib  # on first use: listing never derives an id

    return hashlib.sha256(arn.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Credentials:
    """Short-lived AWS credentials minted by a sign-in or refresh."""

    access_key_id: str
    secret_access_key: str = field(repr=False)
    session_token: str = field(repr=False)
    expires_at: datetime
    account_id: str

    def remaining(self, now: datetime) -> timedelta:
        """How long these credentials stay valid after ``now``."""
        return self.expires_at - now


@dataclass(frozen=True)
class SessionSecrets:
    """What lets a session refresh: never logged, never in argv."""

    refresh_token: str = field(repr=False)
    dpop_key_pem: str = field(repr=False)
    client_id: str
    id_token: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class RefreshRecord:
    """One token call, mirroring the CloudTrail event it produces."""

    at: datetime
    event_name: str
    """``AuthorizeOAuth2Access`` or ``CreateOAuth2Token``."""
    outcome: str
    """``ok`` or AWS's error code, e.g. ``TOKEN_EXPIRED``, ``server_error``."""


@dataclass(frozen=True)
class Session:
    """One console-derived login session, as core owns it.

    Instances are immutable snapshots; core publishes a new one on every
    change (see :mod:`core.domain.events`).
    """

    id: str
    identity: Identity
    region: str
    profile_name: str
    credential_mode: CredentialMode
    signed_in_at: datetime
    session_ends_at: datetime
    state: SessionState = SessionState.FRESH
    state_reason: str | None = None
    credentials_expire_at: datetime | None = None
    last_refresh_at: datetime | None = None
    history: tuple[RefreshRecord, ...] = ()
    sign_in_region: str | None = None
    """The Region whose AWS Sign-In issued the refresh token (None: same as ``region``).

    Refreshes always go there, even after the profile's ``region`` is changed.
    """
    next_attempt_at: datetime | None = None
    """While RETRYING: when the engine will really try again (backoff and refresh window)."""
    sign_in_marker: str | None = None
    """Which sign-in the session follows (see :func:`core.storage.logincache.sign_in_marker`).

    A ``login_session`` cache file holding another marker was signed in again
    by someone else (``aws login``). None for sessions stored before markers.
    """
    made_elsewhere: bool = False
    """True when the current sign-in was made by ``aws login`` (or another tool) and adopted.

    Signing out never deletes such a sign-in's cache file: the app did not make it.
    """
    other_profiles: tuple[str, ...] = ()
    """More profile names that point at this session (kept when one principal signs in under a new name)."""

    @property
    def refresh_region(self) -> str:
        """Where refreshes of this session are sent."""
        return self.sign_in_region or self.region

    @property
    def account_id(self) -> str:
        """The account this session signs into."""
        return self.identity.account_id

    def session_remaining(self, now: datetime) -> timedelta:
        """Time until the session's limit (never negative)."""
        return max(self.session_ends_at - now, timedelta(0))

    def credentials_remaining(self, now: datetime) -> timedelta | None:
        """Time until the current credentials expire, or None without any."""
        if self.credentials_expire_at is None:
            return None
        return max(self.credentials_expire_at - now, timedelta(0))

    def evolve(self, **changes: object) -> Session:
        """A copy with ``changes`` applied."""
        return replace(self, **changes)  # type: ignore[arg-type]
