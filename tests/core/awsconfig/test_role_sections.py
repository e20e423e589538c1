"""Role profiles in our sections: written as botocore reads them, switched in place, every other byte kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.configloader import load_config

from core.awsconfig.document import MARKER
from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from core.domain.roles import RoleSettings

USER_TEXT = """# my notes
[profile mine]
region = eu-west-3
role_arn = arn:aws:iam::111122223333:role/Mine
source_profile = work

"""
ROLE = RoleSettings(
    role_arn="arn:aws:iam::444455556666:role/Deploy",
    source_profile="work",
    role_session_name="alice@example.com",
    duration_seconds=3600,
    external_id="ext-42",
)


@pytest.fixture
def writer(tmp_path: Path) -> AwsConfigWriter:
    path = tmp_path / "config"
    path.write_text(USER_TEXT, encoding="utf-8")
    return AwsConfigWriter(path, tmp_path / "lock")


def test_a_role_section_holds_every_role_setting_and_regional_sts(writer: AwsConfigWriter) -> None:
    writer.apply([ProfileSpec("deploy", "eu-west-1", role=ROLE)])

    text = writer.config_path.read_text(encoding="utf-8")
    assert text.startswith(USER_TEXT)
    assert text[len(USER_TEXT) :] == (
        "\n[profile deploy]\n"
        f"{MARKER}\n"
        "region = eu-west-1\n"
        "sts_regional_endpoints = regional\n"
        "role_arn = arn:aws:iam::444455556666:role/Deploy\n"
        "source_profile = work\n"
        "role_session_name = alice@example.com\n"
        "duration_seconds = 3600\n"
        "external_id = ext-42\n"
    )
    profile = load_config(str(writer.config_path))["profiles"]["deploy"]
    assert profile["role_arn"] == ROLE.role_arn
    assert profile["source_profile"] == "work"
    assert profile["external_id"] == "ext-42"
    assert writer.owned_profiles() == ["deploy"]


def test_switching_our_section_between_a_session_and_a_role_leaves_no_stale_line(writer: AwsConfigWriter) -> None:
    process = ProfileSpec("default", "us-east-1", credential_process="aws-login-tray credential-process --session x")
    writer.apply([process])
    plain = writer.config_path.read_bytes()

    writer.apply([ProfileSpec("default", "eu-west-1", role=ROLE)])
    as_role = load_config(str(writer.config_path))["profiles"]["default"]
    assert "credential_process" not in as_role
    assert as_role["role_arn"] == ROLE.role_arn

    writer.apply([process])
    assert writer.config_path.read_bytes() == plain  # and back: byte for byte
    assert writer.config_path.read_text(encoding="utf-8").startswith(USER_TEXT)


def test_a_role_without_optional_settings_writes_only_what_is_set(writer: AwsConfigWriter) -> None:
    bare = RoleSettings(role_arn=ROLE.role_arn, source_profile="work")
    writer.apply([ProfileSpec("deploy", "eu-west-1", role=bare)])

    profile = load_config(str(writer.config_path))["profiles"]["deploy"]
    assert {"role_session_name", "duration_seconds", "external_id"}.isdisjoint(profile)


@pytest.mark.parametrize(
    "spec",
    [
        ProfileSpec("x", "eu-west-1", credential_process="cmd", role=ROLE),
        ProfileSpec("x", "eu-west-1", role=RoleSettings(role_arn=ROLE.role_arn, source_profile="two\nlines")),
        ProfileSpec("x", "eu-west-1"),
    ],
)
def test_a_spec_with_two_sources_none_or_a_broken_value_is_refused(writer: AwsConfigWriter, spec: ProfileSpec) -> None:
    with pytest.raises(ValueError, match=r"exactly one of|one non-empty line"):
        writer.apply([spec])
    assert writer.config_path.read_text(encoding="utf-8") == USER_TEXT
