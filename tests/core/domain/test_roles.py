"""Role ARNs, default names and the limits AWS puts on a role assumed from a console session."""

from __future__ import annotations

import pytest

from core.domain.model import Identity
from core.domain.roles import (
    MAX_CHAINED_DURATION,
    RoleArn,
    RoleProfile,
    RoleSettings,
    check_duration,
    check_external_id,
    check_role_session_name,
    default_role_profile_name,
    default_role_session_name,
)


def test_a_role_arn_with_a_path_gives_account_and_name() -> None:
    role = RoleArn.parse(" arn:aws:iam::444455556666:role/team/ops/Deploy ")
    assert (role.partition, role.account_id, role.name) == ("aws", "444455556666", "Deploy")
    assert role.arn == "arn:aws:iam::444455556666:role/team/ops/Deploy"
    assert default_role_profile_name(role) == "444455556666-Deploy"


@pytest.mark.parametrize(
    "text",
    [
        "arn:aws:iam::44445555666:role/Deploy",
        "arn:aws:sts::444455556666:assumed-role/Deploy/alice",
        "arn:aws:iam::444455556666:user/alice",
        "Deploy",
        "arn:aws:iam::444455556666:role/",
    ],
)
def test_anything_but_a_role_arn_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(ValueError, match="arn:aws:iam::123456789012:role/RoleName"):
        RoleArn.parse(text)


def test_the_default_session_name_is_the_principal_made_fit_for_aws() -> None:
    short = Identity.from_arn("arn:aws:sts::111122223333:assumed-role/Admin/x")
    assert default_role_session_name(short) == "x-session"
    federated = Identity.from_arn("arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com")
    assert default_role_session_name(federated) == "alice@example.com"
    odd = Identity.from_arn("arn:aws:sts::111122223333:federated-user/bob smith")
    assert default_role_session_name(odd) == "bob-smith"


def test_durations_outside_the_chained_role_limit_are_refused() -> None:
    assert check_duration(900) == 900
    assert check_duration(MAX_CHAINED_DURATION) == 3600
    for seconds in (899, 3601, 43200):
        with pytest.raises(ValueError, match="one hour"):
            check_duration(seconds)


def test_session_names_and_external_ids_follow_aws_rules() -> None:
    assert check_role_session_name("alice@example.com") == "alice@example.com"
    with pytest.raises(ValueError, match="role session name"):
        check_role_session_name("has space")
    assert check_external_id("audit-7777") == "audit-7777"
    with pytest.raises(ValueError, match="external ID"):
        check_external_id("x")


def test_a_profile_with_an_unreadable_arn_still_shows_something() -> None:
    settings = RoleSettings(role_arn="not-an-arn", source_profile="work")
    profile = RoleProfile("mine", "sid", settings, "eu-west-1", managed=False, regional_sts=False)
    assert (profile.account_id, profile.role_name) == ("?", "not-an-arn")
    assert settings.config_items() == [("role_arn", "not-an-arn"), ("source_profile", "work")]
