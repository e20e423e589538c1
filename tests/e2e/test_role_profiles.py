"""Role profiles with real, unmodified clients: boto3 and AWS CLI v1 assume roles from our sessions.

Two sessions are signed in against the emulator (one per credential mode);
``aws-login-tray role add`` writes a role profile under each; the clients call
``sts:AssumeRole`` themselves through moto's STS (``AWS_ENDPOINT_URL_STS``),
whose trust gate grants or refuses as the role's trust policy says.
"""

from __future__ import annotations

import io
import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import boto3
import pytest

from cli.context import Cli
from cli.main import main as cli_main
from core.domain.model import Session
from core.storage.paths import AppPaths
from tests.support.emulator import EmulatorHandle
from tests.support.real_clients import USER_TEXT, aws_v1_arn, caller_arn, sign_in_alpha_and_beta

pytestmark = pytest.mark.slow

DEPLOY = "arn:aws:iam::444455556666:role/Deploy"
AUDIT = "arn:aws:iam::777788889999:role/Audit"


class Run:
    """One CLI command with its own output streams."""

    def __init__(self, *argv: str) -> None:
        self.cli = Cli(stdout=io.StringIO(), stderr=io.StringIO())
        self.code = cli_main(list(argv), cli=self.cli)
        self.out = self.cli.stdout.getvalue()  # type: ignore[attr-defined]
        self.err = self.cli.stderr.getvalue()  # type: ignore[attr-defined]


@pytest.fixture
def signed_in(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> tuple[AppPaths, Session, Session]:
    return sign_in_alpha_and_beta(emulator, monkeypatch)


def assumed(role_arn: str, session_name: str) -> str:
    account, name = role_arn.split(":")[4], role_arn.rsplit("/", 1)[-1]
    return f"arn:aws:sts::{account}:assumed-role/{name}/{session_name}"


def test_boto3_and_aws_cli_v1_assume_roles_from_both_credential_modes(
    signed_in: tuple[AppPaths, Session, Session],
) -> None:
    paths, alpha, _beta = signed_in
    added = Run("role", "add", "alpha", DEPLOY, "--profile", "deploy", "--region", "eu-west-1")
    assert added.code == 0, added.err
    print(added.out, added.err)
    assert "Added profile deploy: role Deploy in account 444455556666, eu-west-1" in added.out
    added = Run(
        "role", "add", "beta", AUDIT, "--profile", "audit", "--region", "eu-central-1", "--external-id", "audit-7777"
    )
    assert added.code == 0, added.err
    text = paths.aws_config_file.read_text(encoding="utf-8")
    assert text.startswith(USER_TEXT)

    principal = alpha.identity.principal_name  # alice@example.com, the default role session name
    for profile, role_arn in (("deploy", DEPLOY), ("audit", AUDIT)):
        boto3_arn, cli_arn = caller_arn(profile), aws_v1_arn(profile)
        print(f"{profile}: boto3 {boto3_arn}; AWS CLI v1 {cli_arn}")
        assert boto3_arn == cli_arn == assumed(role_arn, principal)

    listed = Run("role", "list")
    print(listed.out)
    assert listed.code == 0
    assert [line.split()[:2] for line in listed.out.splitlines()[1:]] == [["deploy", "alpha"], ["audit", "beta"]]


def test_making_a_role_active_and_back_keeps_the_users_bytes(signed_in: tuple[AppPaths, Session, Session]) -> None:
    paths, alpha, _beta = signed_in
    assert Run("role", "add", "alpha", DEPLOY, "--profile", "deploy", "--region", "eu-west-1").code == 0
    assert Run("use", "alpha").code == 0
    before = paths.aws_config_file.read_bytes()

    used = Run("use", "deploy")
    assert used.code == 0, used.err
    assert "now assumes role Deploy in 444455556666" in used.out
    listed = json.loads(Run("list", "--json").out)
    assert (listed["active_session_id"], listed["active_role"]) == (alpha.id, "deploy")
    assert paths.aws_config_file.read_text(encoding="utf-8").startswith(USER_TEXT)
    assert caller_arn("default") == aws_v1_arn("default") == assumed(DEPLOY, alpha.identity.principal_name)

    assert Run("use", "alpha").code == 0
    assert paths.aws_config_file.read_bytes() == before
    assert caller_arn("default") == alpha.identity.arn


def test_a_refused_role_is_reported_with_what_to_check_and_nothing_is_written(
    signed_in: tuple[AppPaths, Session, Session],
) -> None:
    paths, _alpha, _beta = signed_in
    before = paths.aws_config_file.read_bytes()
    refused = Run("role", "add", "alpha", AUDIT)  # Audit demands an external id
    print(refused.err)
    assert refused.code == 1
    assert "AWS refused to let Admin/alice@example.com (account 111122223333) assume role Audit" in refused.err
    assert "is not authorized to perform: sts:AssumeRole on resource: " + AUDIT in refused.err
    assert "External ID: if the role's owner gave you an external ID" in refused.err
    assert "Trust: the trust policy of role Audit in account 777788889999" in refused.err
    assert paths.aws_config_file.read_bytes() == before

    wrong = Run("role", "add", "alpha", AUDIT, "--external-id", "guess-1234")
    assert wrong.code == 1
    assert "External ID: the one you entered ('guess-1234') must be exactly" in wrong.err
    too_long = Run("role", "add", "alpha", DEPLOY, "--duration", "7200")
    assert too_long.code == 2
    assert "one hour" in too_long.err
    assert paths.aws_config_file.read_bytes() == before


def test_without_an_endpoint_override_the_role_profile_calls_regional_sts(
    signed_in: tuple[AppPaths, Session, Session], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert Run("role", "add", "alpha", DEPLOY, "--profile", "deploy", "--region", "eu-west-1").code == 0
    assert (
        Run(
            "role",
            "add",
            "beta",
            AUDIT,
            "--profile",
            "audit",
            "--region",
            "ap-southeast-2",
            "--external-id",
            "audit-7777",
        ).code
        == 0
    )
    monkeypatch.delenv("AWS_ENDPOINT_URL_STS")

    class Stop(Exception):
        """Ends the call before any network traffic."""

    for profile, region in (("deploy", "eu-west-1"), ("audit", "ap-southeast-2")):
        session = boto3.Session(profile_name=profile)
        seen: list[str] = []

        def capture(request: Any, seen: list[str] = seen, **_kwargs: Any) -> None:
            seen.append(request.url)
            raise Stop

        session._session.register("before-send.sts.AssumeRole", capture)
        with pytest.raises(Stop):
            session.get_credentials().get_frozen_credentials()
        endpoint = session.client("sts").meta.endpoint_url
        print(f"{profile}: AssumeRole would go to {seen[0]}; STS client endpoint {endpoint}")
        assert seen == [f"https://sts.{region}.amazonaws.com/"]
        assert endpoint == f"https://sts.{region}.amazonaws.com"


def test_env_and_exec_hand_out_the_role_credentials_and_write_them_nowhere(
    signed_in: tuple[AppPaths, Session, Session], capfd: pytest.CaptureFixture[str]
) -> None:
    paths, alpha, _beta = signed_in
    assert Run("role", "add", "alpha", DEPLOY, "--profile", "deploy", "--region", "eu-west-1").code == 0
    role_arn = assumed(DEPLOY, alpha.identity.principal_name)
    env = Run("env", "deploy")
    assert env.code == 0, env.err
    exported = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in env.out.splitlines())
    assert exported["AWS_REGION"] == "eu-west-1"
    client = boto3.client(
        "sts",
        region_name="eu-west-1",
        aws_access_key_id=exported["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=exported["AWS_SECRET_ACCESS_KEY"],
        aws_session_token=exported["AWS_SESSION_TOKEN"],
    )
    assert client.get_caller_identity()["Arn"] == role_arn

    script = "import boto3; print('exec as', boto3.client('sts').get_caller_identity()['Arn'])"
    capfd.readouterr()
    executed = Run("exec", "deploy", "--", sys.executable, "-c", script)
    assert executed.code == 0, executed.err
    assert f"exec as {role_arn}" in capfd.readouterr().out

    key = exported["AWS_ACCESS_KEY_ID"].encode()
    for root in (paths.home, Path(os.environ["HOME"])):
        for file in root.rglob("*"):
            if file.is_file():
                assert key not in file.read_bytes(), file
