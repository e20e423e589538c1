"""The one session builder, the test ARNs and a plausible set of sample sessions."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from core.domain.model import (
    MAX_SESSIONS,
    CredentialMode,
    Identity,
    RefreshRecord,
    Session,
    SessionState,
    session_id_for,
)

START = datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)
"""The moment fake clocks start at."""

ARNS = [
    "arn:aws:sts::111122223333:assumed-role/Admin/alice",
    "arn:aws:sts::111122223333:assumed-role/ReadOnly/alice",
    "arn:aws:sts::444455556666:assumed-role/Dev/alice",
    "arn:aws:iam::444455556666:user/alice",
    "arn:aws:sts::777788889999:assumed-role/Ops/alice",
    "arn:aws:sts::777788889999:assumed-role/Audit/alice",
]
"""Six sign-in identities: one more than the console allows at once."""


def build_session(
    arn: str = ARNS[0],
    *,
    now: datetime = START,
    profile: str = "dev",
    region: str = "eu-west-1",
    age: timedelta = timedelta(0),
    duration: timedelta = timedelta(hours=12),
    **changes: Any,
) -> Session:
    """A session of ``arn`` signed in ``age`` before ``now``, with 15-minute credentials from ``now``.

    ``changes`` override any other field (``state``, ``history``, ...).
    """
    signed_in = now - age
    session = Session(
        id=session_id_for(arn),
        identity=Identity.from_arn(arn),
        region=region,
        profile_name=profile,
        credential_mode=CredentialMode.CREDENTIAL_PROCESS,
        signed_in_at=signed_in,
        session_ends_at=signed_in + duration,
        credentials_expire_at=now + timedelta(minutes=15),
    )
    return session.evolve(**changes)


def stored_document(*sessions: Session) -> dict[str, Any]:
    """``sessions.json`` as the app writes it for ``sessions`` (the first one active), read back as JSON."""
    from core.storage.paths import AppPaths
    from core.storage.store import SessionStore, StoreState

    paths = AppPaths.from_environment()
    SessionStore(paths).save(StoreState(sessions[0].id if sessions else None, tuple(sessions)))
    document: dict[str, Any] = json.loads(paths.sessions_file.read_text())
    return document


SAMPLE_ARNS = (
    ("arn:aws:sts::111122223333:assumed-role/Admin/alice", "eu-west-1", "work-admin"),
    ("arn:aws:sts::111122223333:assumed-role/ReadOnly/alice", "eu-west-1", "work-readonly"),
    ("arn:aws:sts::444455556666:assumed-role/Developer/alice", "us-east-2", "sandbox-dev"),
    ("arn:aws:iam::777788889999:user/alice", "eu-central-1", "personal"),
    ("arn:aws:sts::222233334444:assumed-role/BillingViewer/alice", "us-east-1", "billing"),
)
"""Identities, Regions and profile names of the sample sessions (and the screenshots)."""


def sample_session(
    arn: str,
    region: str,
    profile: str,
    now: datetime,
    *,
    age: timedelta = timedelta(hours=1),
    state: SessionState = SessionState.FRESH,
) -> Session:
    """A plausible session signed in ``age`` ago, with the refresh history the engine would leave."""
    signed_in = now - age
    # The engine renews 15-minute credentials when 60% of them is left: every 6 minutes.
    last = now - timedelta(minutes=(age.total_seconds() // 60) % 6)
    history = [
        RefreshRecord(signed_in, "AuthorizeOAuth2Access", "ok"),
        RefreshRecord(signed_in, "CreateOAuth2Token", "ok"),
    ]
    moment = signed_in + timedelta(minutes=6)
    while moment <= now:
        history.append(RefreshRecord(moment, "CreateOAuth2Token", "ok"))
        moment += timedelta(minutes=6)
    if state is SessionState.NEEDS_SIGN_IN:
        history.append(RefreshRecord(now, "CreateOAuth2Token", "TOKEN_EXPIRED"))
    return build_session(
        arn,
        now=now,
        profile=profile,
        region=region,
        age=age,
        state=state,
        credentials_expire_at=last + timedelta(minutes=15) if state is SessionState.FRESH else None,
        last_refresh_at=last,
        history=tuple(history),
    )


def sample_sessions(now: datetime, count: int = MAX_SESSIONS) -> list[Session]:
    """``count`` varied sessions: fresh, one ending soon, one that needs a sign-in."""
    ages = (
        timedelta(hours=2, minutes=13),
        timedelta(hours=11, minutes=38),
        timedelta(minutes=41),
        timedelta(hours=6, minutes=2),
        timedelta(hours=12, minutes=30),
    )
    states = (
        SessionState.FRESH,
        SessionState.FRESH,
        SessionState.FRESH,
        SessionState.FRESH,
        SessionState.NEEDS_SIGN_IN,
    )
    return [
        sample_session(arn, region, profile, now, age=ages[i], state=states[i])
        for i, (arn, region, profile) in enumerate(SAMPLE_ARNS[:count])
    ]
