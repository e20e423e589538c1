"""`aws-login-tray import` adopts what `aws login` left, and then keeps it fresh.

The session is created the way the AWS CLI does it (code exchange with a DPoP
key, a cache file in AWS's format, a profile with ``login_session``); the
import must take the profile over in place, keep the user's other lines, and
refresh through the emulator with the cache file as the one copy of the token.
"""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import boto3
import pytest

from cli.context import Cli
from cli.main import main
from core.storage.paths import AppPaths
from tests.support.emulator import EmulatorHandle, login_cache_path, write_aws_login_cache

pytestmark = pytest.mark.slow


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), cli=Cli(stdout=out, stderr=err, paths=AppPaths.from_environment()))
    return code, out.getvalue(), err.getvalue()


def test_import_adopts_an_aws_login_profile_in_place_and_refreshes_it(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, isolated_home: Path
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    paths = AppPaths.from_environment()
    signed_in = emulator.sign_in(2)
    write_aws_login_cache(paths.login_cache_dir, signed_in)
    user_lines = "# written by hand\n[profile other]\nregion = eu-west-3\noutput = json\n\n"
    paths.aws_config_file.write_text(
        user_lines + f"[profile work]\nregion = eu-west-1\nlogin_session = {signed_in.session_arn}\n"
    )

    code, out, err = _run("import")

    assert (code, err) == (0, "")
    assert "Imported work" in out
    config = paths.aws_config_file.read_text()
    assert config.startswith(user_lines)
    assert "# managed by aws-login-tray" in config
    assert "sts_regional_endpoints = regional" in config
    assert f"login_session = {signed_in.session_arn}" in config

    code, out, err = _run("refresh", "work")
    assert code == 0, err
    cache = json.loads(login_cache_path(paths.login_cache_dir, signed_in.session_arn).read_text())
    assert cache["refreshToken"] != signed_in.refresh_token, "the cache file holds the rotated token"
    tokens = emulator.tokens()["refresh_tokens"]
    assert [t["uses"] for t in tokens] == [1, 0], "the imported token was used once, then rotated"
    assert all(t["refused_uses"] == 0 for t in tokens)

    identity = boto3.Session(profile_name="work").client("sts").get_caller_identity()
    assert identity["Arn"] == signed_in.session_arn


def test_import_reports_a_damaged_cache_and_changes_nothing(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    paths = AppPaths.from_environment()
    signed_in = emulator.sign_in(1)
    cache = write_aws_login_cache(paths.login_cache_dir, signed_in)
    cache.write_text("{ not json")
    original = f"[profile broken]\nregion = us-east-1\nlogin_session = {signed_in.session_arn}\n"
    paths.aws_config_file.write_text(original)

    code, _, err = _run("import")

    assert code != 0
    assert "broken" in err
    assert "sign in" in err.lower()
    assert "Traceback" not in err
    assert paths.aws_config_file.read_text() == original


def test_debug_logs_never_carry_tokens_or_keys(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    paths = AppPaths.from_environment()
    signed_in = emulator.sign_in(1)
    cache = write_aws_login_cache(paths.login_cache_dir, signed_in)
    paths.aws_config_file.write_text(f"[profile work]\nregion = eu-west-1\nlogin_session = {signed_in.session_arn}\n")
    assert _run("import")[0] == 0
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        code, _, err = _run("--debug", "refresh", "work")
    finally:
        root.handlers[:], root.level = handlers, level
    assert code == 0, err
    assert "DEBUG" in err, "--debug shows our own log lines"
    rotated = json.loads(cache.read_text())
    secrets = [
        signed_in.refresh_token,
        rotated["refreshToken"],
        rotated["accessToken"]["secretAccessKey"],
        rotated["accessToken"]["sessionToken"],
        "BEGIN EC PRIVATE KEY",
    ]
    assert [s for s in secrets if s in err] == []
