from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from core.domain.model import CredentialMode, Identity, PrincipalType, Session, SessionState, session_id_for


@pytest.mark.parametrize(
    ("arn", "kind", "account", "name", "role"),
    [
        ("arn:aws:iam::111122223333:root", PrincipalType.ROOT, "111122223333", "root", None),
        ("arn:aws:iam::111122223333:user/alice", PrincipalType.IAM_USER, "111122223333", "alice", None),
        ("arn:aws:iam::111122223333:user/dev/team/bob", PrincipalType.IAM_USER, "111122223333", "bob", None),
        (
            "arn:aws:sts::444455556666:assumed-role/Admin/alice@example.com",
            PrincipalType.ASSUMED_ROLE,
            "444455556666",
            "alice@example.com",
            "Admin",
        ),
        (
            "arn:aws-cn:sts::123456789012:federated-user/carol",
            PrincipalType.FEDERATED_USER,
            "123456789012",
            "carol",
            None,
        ),
    ],
)
def test_identity_parses_every_console_principal(
    arn: str, kind: PrincipalType, account: str, name: str, role: str | None
) -> None:
    identity = Identity.from_arn(arn)
    assert identity.principal_type is kind
    assert identity.account_id == account
    assert identity.principal_name == name
    assert identity.role_name == role


@pytest.mark.parametrize(
    "arn",
    [
        "",
        "arn:aws:iam::1234:user/alice",  # account id too short
        "arn:aws:s3:::bucket",
        "arn:aws:sts::111122223333:assumed-role/Admin",  # no session name
        "arn:aws:iam::111122223333:group/admins",
    ],
)
def test_identity_rejects_what_is_not_a_login_session(arn: str) -> None:
    with pytest.raises(ValueError, match="not a login session ARN"):
        Identity.from_arn(arn)


def test_default_profile_name_uses_role_then_user() -> None:
    role = Identity.from_arn("arn:aws:sts::123456789012:assumed-role/Admin/alice")
    user = Identity.from_arn("arn:aws:iam::123456789012:user/bob")
    assert role.default_profile_name == "123456789012-Admin"
    assert user.default_profile_name == "123456789012-bob"


def test_session_id_is_stable_and_matches_the_cache_digest_prefix() -> None:
    arn = "arn:aws:iam::123456789012:user/bob"
    assert session_id_for(arn) == session_id_for(arn)
    assert hashlib.sha256(arn.encode()).hexdigest().startswith(session_id_for(arn))
    assert session_id_for(arn) != session_id_for(arn + "x")


def test_session_remaining_times_never_go_negative() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    identity = Identity.from_arn("arn:aws:iam::123456789012:user/bob")
    session = Session(
        id=session_id_for(identity.arn),
        identity=identity,
        region="eu-west-1",
        profile_name="p",
        credential_mode=CredentialMode.CREDENTIAL_PROCESS,
        signed_in_at=start,
        session_ends_at=start + timedelta(hours=12),
        credentials_expire_at=start + timedelta(minutes=15),
    )
    assert session.session_remaining(start + timedelta(hours=11)) == timedelta(hours=1)
    assert session.session_remaining(start + timedelta(hours=13)) == timedelta(0)
    assert session.credentials_remaining(start + timedelta(minutes=20)) == timedelta(0)
    assert session.evolve(state=SessionState.ENDED).state is SessionState.ENDED
    assert session.state is SessionState.FRESH


@pytest.mark.parametrize(
    ("state", "live"),
    [
        (SessionState.FRESH, True),
        (SessionState.REFRESHING, True),
        (SessionState.RETRYING, True),
        (SessionState.NEEDS_SIGN_IN, False),
        (SessionState.ENDED, False),
        (SessionState.SIGNED_OUT, False),
    ],
)
def test_a_session_is_live_until_only_a_new_sign_in_brings_it_back(state: SessionState, live: bool) -> None:
    from tests.doubles.sessions import build_session

    assert state.live is live
    assert build_session(state=state).state.live is live
