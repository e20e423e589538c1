"""The credential_process fast path, run exactly as the AWS CLI and SDKs run it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import platformdirs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.storage.paths import AppPaths
from credproc import fastpath as credproc
from credproc.command import credential_process_command
from credproc.exitcodes import ExitCode
from tests.doubles.credentials import SESSION_ID, write_credentials


def run_helper(*args: str, extra_python: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
    """Run the configured ``credential_process`` line (``python -I -S launcher --session ID``)."""
    words = shlex.split(credential_process_command(SESSION_ID))
    if args:
        words = [*words[:4], *args]
    words = [words[0], *extra_python, *words[1:]]
    return subprocess.run(words, capture_output=True, text=True, timeout=60, check=False)


def test_fresh_credentials_print_exactly_the_version_1_json() -> None:
    document = write_credentials(Extra="not for stdout")
    done = run_helper()
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    printed = json.loads(done.stdout)  # stdout is one JSON document and nothing else
    assert printed == {k: document[k] for k in (*credproc._V1_FIELDS, "Version", "AccountId")}
    assert done.stdout.count("\n") == 1


def test_the_configured_command_is_isolated_and_names_the_session() -> None:
    words = shlex.split(credential_process_command(SESSION_ID))
    assert words[0] == sys.executable
    assert words[1:3] == ["-I", "-S"]
    assert words[3].endswith("credproc_entry.py")
    assert Path(words[3]).is_file()
    assert words[-2:] == ["--session", SESSION_ID]
    with pytest.raises(ValueError, match="session id"):
        credential_process_command("../../etc/passwd")


def test_fast_path_imports_no_heavy_module() -> None:
    write_credentials()
    done = run_helper(extra_python=("-X", "importtime"))
    assert done.returncode == 0
    imported = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    assert "_json" in imported  # the measurement works
    for heavy in (
        "boto3",
        "botocore",
        "keyring",
        "platformdirs",
        "argparse",
        "json",
        "re",
        "os",
        "site",
        "enum",
        "cli.main",
        "core",
    ):
        assert heavy not in imported, heavy


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        '{"Version": 2, "AccessKeyId": "a", "SecretAccessKey": "b", "SessionToken": "c", "Expiration": "x"}',
        '{"Version": 1, "AccessKeyId": "a", "SecretAccessKey": "leaky-secret", "Expiration": "2099-01-01T00:00:00Z"}',
        '{"Version": 1, "AccessKeyId": "a", "SecretAccessKey": "leaky-secret", "SessionToken": "c", '
        '"Expiration": "soon"}',
        "[]",
        "",
    ],
)
def test_damaged_file_is_a_clear_error_on_stderr(content: str) -> None:
    path = AppPaths.from_environment().credentials_file(SESSION_ID)
    path.parent.mkdir(parents=True)
    path.write_text(content, encoding="utf-8")
    done = run_helper()
    assert done.returncode == ExitCode.FILE_ERROR
    assert done.stdout == ""
    assert "damaged" in done.stderr
    assert "aws-login-tray refresh" in done.stderr
    assert "leaky-secret" not in done.stderr


def test_usage_errors_exit_2_with_nothing_on_stdout() -> None:
    for args in (("--session",), ("--bogus", "x"), ("--session", "../secret"), ()):
        done = run_helper(*args) if args else run_helper("--home", "/nonexistent")
        assert done.returncode == ExitCode.USAGE, args
        assert done.stdout == ""
        assert done.stderr


def test_help_goes_to_stdout_and_exits_0() -> None:
    done = run_helper("--help")
    assert done.returncode == 0
    assert "--session ID" in done.stdout


def test_home_argument_overrides_the_environment(tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    path = other / "credentials" / f"{SESSION_ID}.json"
    path.parent.mkdir(parents=True)
    document = write_credentials()
    path.write_text(json.dumps({**document, "AccessKeyId": "ASIAFROMHOME"}), encoding="utf-8")
    done = run_helper("--session", SESSION_ID, "--home", str(other))
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["AccessKeyId"] == "ASIAFROMHOME"


def test_unknown_session_without_file_asks_for_a_sign_in() -> None:
    done = run_helper()
    assert done.returncode == ExitCode.SIGN_IN_REQUIRED, done.stderr
    assert done.stdout == ""
    assert "aws-login-tray login" in done.stderr


def test_fresh_enough_uses_the_margin() -> None:
    now = 1_700_000_000.0
    stamp = datetime.fromtimestamp(now, UTC)

    def doc(seconds: int) -> dict[str, object]:
        return {"Expiration": (stamp + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")}

    assert credproc.fresh_enough(doc(credproc.REFRESH_MARGIN_SECONDS + 1), now)
    assert not credproc.fresh_enough(doc(credproc.REFRESH_MARGIN_SECONDS), now)
    assert not credproc.fresh_enough(doc(-60), now)


@pytest.mark.parametrize(
    ("lifetime", "margin"),
    [(900, 120.0), (3600, 120.0), (12, 1.6), (6, 0.8)],
)
def test_margin_scales_with_the_lifetime_the_file_was_written_with(lifetime: int, margin: float) -> None:
    written = 1_700_000_000.0
    expiration = datetime.fromtimestamp(written + lifetime, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    document: dict[str, object] = {"Expiration": expiration, credproc.WRITTEN_AT: written}
    assert credproc.refresh_margin(document) == pytest.approx(margin)
    assert credproc.fresh_enough(document, written + lifetime - margin - 0.01)
    assert not credproc.fresh_enough(document, written + lifetime - margin + 0.01)


def test_twelve_second_credentials_are_handed_out_without_a_refresh(tmp_path: Path) -> None:
    """What the agent keeps fresh is handed out as it is, whatever lifetime the service granted."""
    home = tmp_path / "home"
    path = Path(credproc.credentials_file_path(str(home), SESSION_ID))
    path.parent.mkdir(parents=True)
    expiration = (datetime.now(UTC) + timedelta(seconds=12)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body = {"Version": 1, "AccessKeyId": "ASIA12S", "SecretAccessKey": "s", "SessionToken": "t"}
    body["Expiration"] = expiration
    path.write_text(json.dumps(body), encoding="utf-8")
    document = credproc.read_credentials_file(str(path))
    assert document is not None
    assert document[credproc.WRITTEN_AT] == pytest.approx(path.stat().st_mtime)
    assert credproc.fresh_enough(document)

    def no_refresh(home: str, session_id: str) -> dict[str, object]:
        raise AssertionError("the fast path refreshed credentials that were fresh for their lifetime")

    assert credproc.main(["--session", SESSION_ID, "--home", str(home)], slow_path=no_refresh) == 0


@given(st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(9999, 12, 31)))
def test_parse_expiration_agrees_with_datetime(moment: datetime) -> None:
    aware = moment.replace(tzinfo=UTC)
    for text in (
        aware.strftime("%Y-%m-%dT%H:%M:%SZ"),
        aware.replace(microsecond=0).isoformat(),
    ):
        assert credproc.parse_expiration(text) == aware.replace(microsecond=0).timestamp()
    precise = aware.isoformat(timespec="milliseconds").replace("+00:00", "Z")
    assert credproc.parse_expiration(precise) == pytest.approx(
        aware.replace(microsecond=aware.microsecond // 1000 * 1000).timestamp()
    )


@pytest.mark.parametrize(
    "text", ["2024-01-01", "2024-01-01T00:00:00", "2024-01-01T00:00:00+02:00", "2024-13-01T00:00:00Z", "x" * 20]
)
def test_parse_expiration_rejects_other_shapes(text: str) -> None:
    with pytest.raises(ValueError, match="UTC timestamp"):
        credproc.parse_expiration(text)


def test_default_home_matches_core_paths_and_platformdirs(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    assert credproc.default_home() == str(AppPaths.from_environment().home)
    monkeypatch.delenv("AWS_LOGIN_TRAY_HOME")
    for xdg in (str(tmp_path / "xdg"), None):
        if xdg is None:
            monkeypatch.delenv("XDG_DATA_HOME", raising=False)
        else:
            monkeypatch.setenv("XDG_DATA_HOME", xdg)
        expected = platformdirs.user_data_dir("aws-login-tray", appauthor=False)
        assert credproc.default_home() == expected
        assert credproc.default_home() == str(AppPaths.from_environment().home)
    monkeypatch.setenv("AWS_LOGIN_TRAY_HOME", "~/tray")
    assert credproc.default_home() == os.path.expanduser("~/tray")


def test_render_quotes_like_json() -> None:
    document: dict[str, object] = {
        "AccessKeyId": 'A"B',
        "SecretAccessKey": "s\\ é",
        "SessionToken": "t\n",
        "Expiration": "2099-01-01T00:00:00Z",
    }
    rendered = credproc.render(document)
    assert json.loads(rendered) == {"Version": 1, **document}
    assert rendered.isascii()
