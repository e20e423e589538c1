"""AssumeRole's answers turned into words a user can act on (botocore's Stubber stands in for STS)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from botocore.stub import Stubber

from core.domain.errors import RoleRefused, SignInRequired, TransientServiceError
from core.domain.model import Credentials, Identity
from core.domain.roles import RoleSettings
from core.signin import assume_role as module
from core.signin.assume_role import assume_role, sts_endpoint

SOURCE = Credentials("ASIASOURCE", "secret", "token", datetime(2026, 3, 2, 9, 15, tzinfo=UTC), "111122223333")
ADMIN = Identity.from_arn("arn:aws:sts::111122223333:assumed-role/Admin/alice")
DEPLOY = RoleSettings("arn:aws:iam::444455556666:role/Deploy", "work", "alice", 3600, None)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    session = botocore.session.get_session()
    client = session.create_client(
        "sts", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y", aws_session_token="z"
    )
    monkeypatch.setattr(module, "_sts_client", lambda _credentials, _region: client)
    with Stubber(client) as stubber:
        yield stubber


def refuse(stub: Stubber, code: str, message: str, status: int = 403) -> None:
    stub.add_client_error("assume_role", service_error_code=code, service_message=message, http_status_code=status)


def test_granted_credentials_come_back_with_the_roles_account(stub: Stubber) -> None:
    expires = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    reply: dict[str, Any] = {
        "Credentials": {
            "AccessKeyId": "ASIAROLEEXAMPLE00001",
            "SecretAccessKey": "s",
            "SessionToken": "t",
            "Expiration": expires,
        }
    }
    expected = {"RoleArn": DEPLOY.role_arn, "RoleSessionName": "alice", "DurationSeconds": 3600}
    stub.add_response("assume_role", reply, expected)
    granted = assume_role(SOURCE, DEPLOY, "eu-west-1", ADMIN)
    assert (granted.access_key_id, granted.account_id, granted.expires_at) == (
        "ASIAROLEEXAMPLE00001",
        "444455556666",
        expires,
    )


def test_access_denied_lists_what_to_check_with_the_names_filled_in(stub: Stubber) -> None:
    words = f"User: {ADMIN.arn} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY.role_arn}"
    refuse(stub, "AccessDenied", words)
    with pytest.raises(RoleRefused) as info:
        assume_role(SOURCE, DEPLOY, "eu-west-1", ADMIN)
    message = info.value.user_message
    assert info.value.code == "AccessDenied"
    assert words in message
    assert "must allow arn:aws:iam::111122223333:role/Admin (or account 111122223333)" in message
    assert "Permission: the policies of Admin/alice (account 111122223333)" in message
    assert "if the role's owner gave you an external ID" in message


def test_a_wrong_external_id_is_named_first(stub: Stubber) -> None:
    refuse(stub, "AccessDenied", "not authorized")
    with pytest.raises(RoleRefused) as info:
        assume_role(SOURCE, RoleSettings(DEPLOY.role_arn, "work", external_id="guess"), "eu-west-1", ADMIN)
    checks = [line for line in info.value.user_message.splitlines() if line.startswith("  •")]
    assert checks[0].startswith("  • External ID: the one you entered ('guess')")


@pytest.mark.parametrize(
    "case",
    [
        ("ValidationError", "The requested DurationSeconds exceeds the 1 hour session limit", 400, RoleRefused,
         "shorter duration"),
        ("RegionDisabledException", "STS is not activated", 403, RoleRefused, "choose another Region"),
        ("ExpiredToken", "The security token included in the request is expired", 400, SignInRequired, "sign in again"),
        ("Throttling", "Rate exceeded", 400, TransientServiceError, "try again"),
        ("InternalFailure", "oops", 500, TransientServiceError, "try again"),
    ],
)  # fmt: skip
def test_other_answers(stub: Stubber, case: tuple[str, str, int, type[Exception], str]) -> None:
    code, message, status, kind, words = case
    refuse(stub, code, message, status)
    with pytest.raises(kind, match=words):
        assume_role(SOURCE, DEPLOY, "eu-west-1", ADMIN)


def test_root_is_told_it_cannot_assume_roles(stub: Stubber) -> None:
    refuse(stub, "AccessDenied", "Roles may not be assumed by root accounts.")
    root = Identity.from_arn("arn:aws:iam::111122223333:root")
    with pytest.raises(RoleRefused, match="the root user cannot assume roles"):
        assume_role(SOURCE, DEPLOY, "eu-west-1", root)


def test_the_endpoint_is_the_regional_one_unless_overridden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")  # forced to regional all the same
    assert sts_endpoint(SOURCE, "ap-southeast-2") == "https://sts.ap-southeast-2.amazonaws.com"
