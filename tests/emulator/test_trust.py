"""The emulator's STS refuses an AssumeRole that AWS would refuse (moto alone grants any role to anyone)."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from emulator.trust import (
    DEFAULT_ROLES,
    RoleTrust,
    TrustPolicyError,
    check_role,
    decide,
    trust_policy,
)
from tests.support.emulator import EmulatorHandle, http_request

ADMIN = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
DEPLOY = "arn:aws:iam::444455556666:role/Deploy"


def role(*principals: str, external_id: str | None = None, arn: str = DEPLOY) -> RoleTrust:
    return check_role(arn, trust_policy(principals, external_id))


@pytest.mark.parametrize(
    "principal",
    ["111122223333", "arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:role/Admin", ADMIN, "*"],
)
def test_every_way_a_trust_policy_names_the_caller_lets_it_in(principal: str) -> None:
    assert decide(role(principal), ADMIN, DEPLOY, None, 3600) is None


@pytest.mark.parametrize(
    "principal",
    ["999988887777", "arn:aws:iam::111122223333:role/ReadOnly", "arn:aws:iam::111122223333:user/alice"],
)
def test_a_trust_policy_that_names_someone_else_refuses_in_aws_words(principal: str) -> None:
    refusal = decide(role(principal), ADMIN, DEPLOY, None, 3600)
    assert refusal is not None
    assert (refusal.status, refusal.code) == (403, "AccessDenied")
    assert refusal.message == f"User: {ADMIN} is not authorized to perform: sts:AssumeRole on resource: {DEPLOY}"


def test_external_id_unknown_role_deny_root_and_durations() -> None:
    guarded = role("111122223333", external_id="ext-1")
    assert decide(guarded, ADMIN, DEPLOY, "ext-1", 3600) is None
    for given in (None, "ext-2"):
        refusal = decide(guarded, ADMIN, DEPLOY, given, 3600)
        assert refusal is not None
        assert refusal.code == "AccessDenied"
    refusal = decide(None, ADMIN, DEPLOY, None, 3600)
    assert refusal is not None
    assert refusal.code == "AccessDenied"
    denied = check_role(
        DEPLOY,
        {
            "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "111122223333"}, "Action": "sts:AssumeRole"},
                {"Effect": "Deny", "Principal": {"AWS": ADMIN}, "Action": "sts:AssumeRole"},
            ]
        },
    )
    assert decide(denied, ADMIN, DEPLOY, None, 3600) is not None
    root = decide(role("*"), "arn:aws:iam::111122223333:root", DEPLOY, None, 3600)
    assert root is not None
    assert root.message == "Roles may not be assumed by root accounts."
    chained = decide(role("*"), ADMIN, DEPLOY, None, 7200)
    assert chained is not None
    assert (chained.status, chained.code) == (400, "ValidationError")
    assert "role chaining" in chained.message
    short = decide(role("*"), ADMIN, DEPLOY, None, 899)
    assert short is not None
    assert short.code == "ValidationError"


@pytest.mark.parametrize(
    "policy",
    [
        {"Statement": []},
        {"Statement": [{"Effect": "Allow", "Principal": {"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}]},
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": "*"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringLike": {"sts:ExternalId": "*"}},
                }
            ]
        },
        {"Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "sts:AssumeRole"}]},
    ],
)
def test_policies_the_emulator_cannot_judge_strictly_are_refused(policy: dict[str, Any]) -> None:
    with pytest.raises(TrustPolicyError):
        check_role(DEPLOY, policy)


def _sts(emulator: EmulatorHandle, n: int) -> Any:
    token = emulator.sign_in(n).output["accessToken"]
    return boto3.client(
        "sts",
        region_name="eu-west-1",
        endpoint_url=emulator.sts_url,
        aws_access_key_id=token["accessKeyId"],
        aws_secret_access_key=token["secretAccessKey"],
        aws_session_token=token["sessionToken"],
    )


def _refusal(call: Any, **request: Any) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as info:
        call(RoleSessionName="alice", **request)
    response = info.value.response
    return response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Code"], response["Error"]["Message"]


def test_boto3_through_the_emulator_sts_gets_roles_only_as_trust_allows(emulator: EmulatorHandle) -> None:
    admin = _sts(emulator, 1)  # Admin/alice in 111122223333
    granted = admin.assume_role(RoleArn=DEPLOY, RoleSessionName="alice")
    assert granted["AssumedRoleUser"]["Arn"] == "arn:aws:sts::444455556666:assumed-role/Deploy/alice"
    audit = "arn:aws:iam::777788889999:role/Audit"
    status, code, message = _refusal(admin.assume_role, RoleArn=audit)
    assert (status, code) == (403, "AccessDenied")
    assert message.endswith(f"is not authorized to perform: sts:AssumeRole on resource: {audit}")
    assert admin.assume_role(RoleArn=audit, RoleSessionName="alice", ExternalId="audit-7777")

    emulator.put_role(DEPLOY, trust_policy(["999988887777"]))
    assert _refusal(admin.assume_role, RoleArn=DEPLOY)[1] == "AccessDenied"
    assert any(r["arn"] == DEPLOY for r in emulator.control("GET", "/_emulator/roles")["roles"])
    emulator.reset()  # back to the documented defaults
    assert admin.assume_role(RoleArn=DEPLOY, RoleSessionName="alice")
    assert [r["arn"] for r in emulator.control("GET", "/_emulator/roles")["roles"]] == [r.arn for r in DEFAULT_ROLES]

    root = _sts(emulator, 5)
    assert _refusal(root.assume_role, RoleArn=DEPLOY)[2] == "Roles may not be assumed by root accounts."
    stranger = boto3.client(
        "sts",
        region_name="eu-west-1",
        endpoint_url=emulator.sts_url,
        aws_access_key_id="AKIAUNKNOWN00000",
        aws_secret_access_key="x",
    )
    assert _refusal(stranger.assume_role, RoleArn=DEPLOY)[1] == "InvalidClientTokenId"
    assert admin.get_caller_identity()["Arn"] == emulator.sessions[0].arn  # everything else still reaches moto


def test_the_control_api_refuses_a_policy_it_cannot_judge(emulator: EmulatorHandle) -> None:
    reply = http_request(
        f"{emulator.base_url}/_emulator/roles",
        method="POST",
        body=b'{"arn": "arn:aws:iam::444455556666:role/X", "policy": {"Statement": []}}',
    )
    assert reply.status == 400
    assert "Statement" in reply.json()["error"]
