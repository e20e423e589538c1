"""Bad input on disk or in the environment: a clear error naming the file, the documented exit code, never a hang."""

from __future__ import annotations

import errno
import io
import json
import os
import shlex
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from cli.context import Cli
from cli.errors import error_message, exit_code_for
from cli.main import main
from core.domain.errors import ConfigFileError
from core.domain.model import Session, session_id_for
from core.storage.logincache import cache_file_path, write_login_cache
from core.storage.paths import AppPaths
from core.storage.settings import load_settings
from credproc import fastpath
from credproc.command import credential_process_command
from credproc.exitcodes import ExitCode
from tests.doubles.logincache import make_entry
from tests.doubles.sessions import build_session, stored_document

ARN = "arn:aws:sts::111122223333:assumed-role/Admin/alice"


def session(**changes: Any) -> Session:
    now = datetime.now(UTC)
    return build_session(
        ARN, now=now, profile="p1", age=timedelta(hours=1), credentials_expire_at=now + timedelta(minutes=10), **changes
    )


def run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), cli=Cli(stdout=out, stderr=err))
    return code, out.getvalue(), err.getvalue()


def damaged_sessions_files() -> dict[str, bytes]:
    good = stored_document(session())
    entry = dict(good["sessions"][0])
    return {
        "newer format": json.dumps({**good, "version": 2}).encode(),
        "entry is a list": json.dumps({**good, "sessions": [[1, 2]]}).encode(),
        "sessions is a string": json.dumps({**good, "sessions": "p1"}).encode(),
        "deep nesting": b"[" * 100_000 + b"]" * 100_000,
        "not UTF-8": b"\xff\xfe{}",
        "year 1": json.dumps({**good, "sessions": [{**entry, "signed_in_at": "0001-01-01T00:00:00+01:00"}]}).encode(),
        "history not a list": json.dumps({**good, "sessions": [{**entry, "history": 5}]}).encode(),
        "path in the id": json.dumps({**good, "sessions": [{**entry, "id": "../../victim"}]}).encode(),
    }


@pytest.mark.parametrize(
    "command", [["list"], ["list", "--json"], ["refresh"], ["use", "p1"], ["logout", "p1"], ["env"]]
)
def test_a_damaged_sessions_file_is_named_with_exit_6_by_every_command(command: list[str]) -> None:
    """Case 9: never "No sessions", never "Unexpected ...", and the file is left as it was."""
    path = AppPaths.from_environment().sessions_file
    for kind, content in damaged_sessions_files().items():
        path.write_bytes(content)
        code, out, err = run_cli(*command)
        assert code == ExitCode.FILE_ERROR, (kind, err)
        assert str(path) in err, kind
        assert "Unexpected" not in err, (kind, err)
        assert "No sessions" not in err + out, kind
        assert path.read_bytes() == content, kind


def test_an_id_that_walks_a_path_is_refused_before_it_touches_a_file(isolated_home: Path) -> None:
    """Case 11: ``logout`` of a session whose id is ``../../victim`` deletes nothing outside the app's data."""
    paths = AppPaths.from_environment()
    victim = paths.home.parent / "victim.json"
    victim.write_text("keep me")
    good = stored_document(session())
    entry = dict(good["sessions"][0])
    paths.sessions_file.write_text(json.dumps({**good, "sessions": [{**entry, "id": "../../victim"}]}))
    code, _, err = run_cli("logout", "p1")
    assert code == ExitCode.FILE_ERROR
    assert "session id" in err
    assert victim.read_text() == "keep me"
    for build in (paths.credentials_file, paths.session_lock, paths.rescue_file, paths.secrets_file):
        with pytest.raises(ValueError, match="not a session id"):
            build("../../victim")


def test_a_string_where_settings_want_a_boolean_is_an_error_not_true() -> None:
    """Case 10: ``"use_plaintext_secrets": "false"`` never turns plaintext secrets on."""
    path = AppPaths.from_environment().settings_file
    path.parent.mkdir(parents=True, exist_ok=True)
    for key, value in (("use_plaintext_secrets", "false"), ("start_at_login", 0), ("expiry_lead_minutes", ["30"])):
        path.write_text(json.dumps({"version": 1, key: value}))
        with pytest.raises(ConfigFileError) as info:
            load_settings(path)
        assert str(path) in info.value.user_message
        assert key in info.value.user_message
        code, _, err = run_cli("settings")
        assert code == ExitCode.FILE_ERROR
        assert key in err
    path.write_text(json.dumps({"version": 1, "use_plaintext_secrets": False, "start_at_login": True}))
    loaded = load_settings(path)
    assert loaded.use_plaintext_secrets is False
    assert loaded.start_at_login is True


def test_a_relative_app_home_becomes_an_absolute_path_in_the_credential_process_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Case 12: the line works from any directory."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("AWS_LOGIN_TRAY_HOME", "relative/app")
    paths = AppPaths.from_environment()
    assert paths.home == tmp_path / "relative" / "app"
    words = shlex.split(credential_process_command("0123456789abcdef", home="relative/app", python="bin/python"))
    assert all(os.path.isabs(word) for word in (words[0], words[3], words[-1]))
    assert words[-1] == str(tmp_path / "relative" / "app")


@pytest.mark.timeout(30)
def test_a_fifo_in_place_of_a_state_file_is_refused_without_hanging(capsys: pytest.CaptureFixture[str]) -> None:
    """Case 13: ``credential-process``, ``env`` and ``list`` answer at once."""
    paths = AppPaths.from_environment()
    sid = session_id_for(ARN)
    stored_document(session())
    credentials = paths.credentials_file(sid)
    credentials.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(credentials)
    assert fastpath.main(["--session", sid, "--home", str(paths.home)]) == ExitCode.FILE_ERROR
    assert "not a regular file" in capsys.readouterr().err
    code, _, err = run_cli("env", "p1")
    assert code == ExitCode.FILE_ERROR
    assert str(credentials) in err

    paths.sessions_file.unlink()
    os.mkfifo(paths.sessions_file)
    code, _, err = run_cli("list")
    assert code == ExitCode.FILE_ERROR
    assert str(paths.sessions_file) in err
    assert "not a regular file" in err


def test_a_disk_error_names_the_file_with_the_file_exit_code() -> None:
    """Case 9: a full or read-only app home is exit 6 naming the file, not "Unexpected OSError"."""
    exc = OSError(errno.EROFS, "Read-only file system", "/data/app/sessions.json")
    assert exit_code_for(exc) == ExitCode.FILE_ERROR
    assert "/data/app/sessions.json" in error_message(exc)
    assert "Unexpected" not in error_message(exc)


def test_login_with_a_bad_region_is_a_usage_error_before_any_browser(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 7 at the terminal: exit 2, no browser, nothing stored."""
    opened: list[str] = []
    monkeypatch.setattr(Cli, "open_browser", lambda self, url: opened.append(url))
    for region in ("nonsense", "US-EAST-1"):
        code, _, err = run_cli("login", "--region", region, "--profile", "p1")
        assert code == ExitCode.USAGE, err
        assert "not an AWS Region name" in err
        assert "Unexpected" not in err
    assert opened == []
    assert not AppPaths.from_environment().sessions_file.exists()


def test_a_login_cache_dated_year_1_is_named_on_import() -> None:
    """Case 9: ``import`` of a cache file whose expiry is year 1 is a clear per-profile error, not OverflowError."""
    paths = AppPaths.from_environment()
    arn = "arn:aws:sts::555566667777:assumed-role/Imported/alice"
    write_login_cache(cache_file_path(paths.login_cache_dir, arn), make_entry())
    cache = cache_file_path(paths.login_cache_dir, arn)
    document = json.loads(cache.read_text())
    document["accessToken"]["expiresAt"] = "0001-01-01T00:00:00+01:00"
    cache.write_text(json.dumps(document))
    paths.aws_config_file.write_text(f"[profile imported]\nlogin_session = {arn}\nregion = eu-west-1\n")
    before = cache.read_bytes()
    code, _, err = run_cli("import")
    assert code == ExitCode.SIGN_IN_REQUIRED, err  # the importer's answer to a cache it cannot use
    assert str(cache) in err
    assert "expiresAt" in err
    assert "Unexpected" not in err
    assert cache.read_bytes() == before


@pytest.mark.timeout(30)
def test_a_fifo_in_place_of_the_aws_config_is_refused_without_hanging(monkeypatch: pytest.MonkeyPatch) -> None:
    """Case 13 for ~/.aws/config: ``use`` and ``login`` (which reads the Region from it) answer at once."""
    paths = AppPaths.from_environment()
    stored_document(session())
    os.mkfifo(paths.aws_config_file)
    code, _, err = run_cli("use", "p1")
    assert code == ExitCode.FILE_ERROR
    assert str(paths.aws_config_file) in err
    monkeypatch.setattr(Cli, "open_browser", lambda self, url: None)
    err_stream = io.StringIO()
    cli = Cli(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=err_stream)
    code = main(["login", "--profile", "p2"], cli=cli)  # no Region in the config it cannot read: asks, gets none
    assert code == ExitCode.USAGE
    assert "Unexpected" not in err_stream.getvalue()
