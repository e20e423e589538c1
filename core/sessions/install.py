"""What installing one signed-in session needs, gathered in one value.

A browser sign-in and an adoption (an ``aws login`` cache, an import) end the
same way: secrets stored, credentials written, the session recorded, its
profile written. :class:`InstallRequest` carries what differs between them,
so :meth:`core.sessions.manager.SessionManager` has one install path.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from core.domain.model import (
    CredentialMode,
    Credentials,
    Identity,
    RefreshRecord,
    Session,
    SessionSecrets,
    SessionState,
    session_id_for,
)
from core.sessions.profiles import other_profile_names


@dataclass(frozen=True)
class InstallRequest:
    """One session to install.

    Attributes:
        identity: Who signed in.
        region: The profile's Region.
        profile_name: The profile to write (None: keep the old one or pick a free default).
        mode: How SDKs get credentials from the profile.
        secrets: The refresh token and DPoP key to store.
        credentials: The first credentials.
        signed_in_at: When the sign-in (or the adoption) happened.
        session_ends_at: When the console session reaches its limit.
        expires_in: Lifetime AWS granted the credentials, in seconds, if known.
        history: Token calls to append to the session's history.
        adopt_profile: Take over a profile that ``aws login`` wrote for this ARN.
        sign_in_region: The Region whose AWS Sign-In issued the token, when not ``region``.
    """

    identity: Identity
    region: str
    profile_name: str | None
    mode: CredentialMode
    secrets: SessionSecrets = field(repr=False)
    credentials: Credentials = field(repr=False)
    signed_in_at: datetime
    session_ends_at: datetime
    expires_in: int | None = None
    history: tuple[RefreshRecord, ...] = ()
    adopt_profile: bool = False
    sign_in_region: str | None = None

    @property
    def session_id(self) -> str:
        """The id the installed session gets (the same for the same ARN)."""
        return session_id_for(self.identity.arn)

    def session(self, profile_name: str, previous: Session | None, history_limit: int) -> Session:
        """The fresh session snapshot, keeping the last ``history_limit`` records of ``previous``.

        It remembers which sign-in it follows (the marker), whether ``aws login``
        made it (an adoption), and every name the same principal had before.
        """
        from core.storage.logincache import sign_in_marker  # deferred: loads cryptography

        history = (previous.history if previous else ()) + self.history
        return Session(
            id=self.session_id,
            identity=self.identity,
            region=self.region,
            profile_name=profile_name,
            credential_mode=self.mode,
            signed_in_at=self.signed_in_at,
            session_ends_at=self.session_ends_at,
            state=SessionState.FRESH,
            credentials_expire_at=self.credentials.expires_at,
            last_refresh_at=self.signed_in_at,
            history=history[-history_limit:],
            sign_in_region=self.sign_in_region,
            sign_in_marker=sign_in_marker(self.secrets),
            made_elsewhere=self.adopt_profile,
            other_profiles=other_profile_names(previous, profile_name),  # no name of this principal disappears
        )
