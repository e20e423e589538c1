"""Every CLI command's parsing and behaviour, against a fake SessionService."""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import shlex
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from cli.commands.agent import run_agent
from cli.context import Cli, find_session
from cli.errors import exit_code_for
from cli.main import main
from core.domain.errors import (
    ConfigFileError,
    LoginTrayError,
    ProfileConflict,
    SecretStoreUnavailable,
    SessionLimitReached,
    SignInCancelled,
    SignInRequired,
    TransientServiceError,
)
from core.domain.events import EventKind, SessionEvent
from core.domain.model import CredentialMode, Session, SessionState, session_id_for
from core.storage.paths import AppPaths
from core.storage.settings import Settings, load_settings, save_settings
from tests.doubles.clock import ManualClock
from tests.doubles.credentials import write_credentials
from tests.doubles.session_service import RecordingSessionService
from tests.doubles.sessions import build_session

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ARN_A = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
ARN_B = "arn:aws:iam::444455556666:user/bob"


def cli_session(arn: str, profile: str, **changes: Any) -> Session:
    return build_session(
        arn,
        now=NOW,
        profile=profile,
        age=timedelta(hours=1),
        credentials_expire_at=NOW + timedelta(minutes=10),
        **changes,
    )


@dataclass
class Harness:
    service: RecordingSessionService
    stdin: io.StringIO = field(default_factory=io.StringIO)
    stdout: io.StringIO = field(default_factory=io.StringIO)
    stderr: io.StringIO = field(default_factory=io.StringIO)
    environ: dict[str, str] = field(default_factory=dict)

    def run(self, *argv: str) -> int:
        @contextlib.asynccontextmanager
        async def factory(_: Cli) -> AsyncIterator[RecordingSessionService]:
            yield self.service

        context = Cli(
            stdin=self.stdin,
            stdout=self.stdout,
            stderr=self.stderr,
            paths=AppPaths.from_environment(),
            environ=self.environ,
            service_factory=factory,
        )
        return main(list(argv), cli=context)


@pytest.fixture
def two() -> Harness:
    a = cli_session(ARN_A, "work")
    b = cli_session(ARN_B, "bob", region="us-west-2", state=SessionState.NEEDS_SIGN_IN, state_reason="TOKEN_EXPIRED")
    service = RecordingSessionService(ManualClock(NOW))
    service.seed([a, b], a.id)
    service.sign_in_as = ARN_A
    return Harness(service)


def test_help_lists_every_command_and_the_exit_codes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    for command in (
        "login",
        "list",
        "use",
        "refresh",
        "logout",
        "credential-process",
        "env",
        "exec",
        "doctor",
        "undo-config",
    ):
        assert command in out
    assert "exit codes:" in out
    assert "needs a browser sign-in" in out
    assert main(["exec", "--help"]) == 0


def test_bad_arguments_exit_2(two: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    assert two.run("frobnicate") == 2
    assert two.run("login", "--mode", "nonsense") == 2
    assert two.run("use") == 2
    assert two.run("logout", "work", "--all") == 2
    assert two.service.calls == []


def test_list_table_marks_the_active_session_and_shows_time_left(two: Harness) -> None:
    assert two.run("list") == 0
    lines = two.stdout.getvalue().splitlines()
    assert lines[0].split()[:3] == ["PROFILE", "ACCOUNT", "PRINCIPAL"]
    work = next(line for line in lines if "work" in line)
    assert work.startswith("*")
    assert "Admin/alice" in work
    assert "10m 00s" in work
    assert "11h 00m" in work
    bob = next(line for line in lines if " bob " in line)
    assert "needs_sign_in" in bob
    assert not bob.startswith("*")


def test_list_json_is_for_scripts(two: Harness) -> None:
    assert two.run("list", "--json", "--debug") == 0
    payload = json.loads(two.stdout.getvalue())
    assert payload["active_session_id"] == session_id_for(ARN_A)
    work, bob = payload["sessions"]
    assert work["profile"] == "work"
    assert work["active"] is True
    assert work["role"] == "Admin"
    assert work["credentials_seconds_left"] == 600
    assert work["session_seconds_left"] == 11 * 3600
    assert bob["principal_type"] == "iam_user"
    assert bob["state"] == "needs_sign_in"


def test_use_accepts_a_profile_name_or_a_session_id(two: Harness) -> None:
    assert two.run("use", "bob") == 0
    assert two.service.active_session_id() == session_id_for(ARN_B)
    assert two.run("use", session_id_for(ARN_A)) == 0
    assert two.service.active_session_id() == session_id_for(ARN_A)
    assert "default now uses work" in two.stdout.getvalue()
    assert two.run("use", "nobody") == 2
    assert "nobody" in two.stderr.getvalue()
    assert "work, bob" in two.stderr.getvalue()


def test_login_passes_region_profile_mode_and_remote(two: Harness) -> None:
    assert two.run("login", "--profile", "dev", "--region", "ap-south-1", "--mode", "login_session", "--remote") == 0
    assert ("sign_in", ("ap-south-1", "dev", True, CredentialMode.LOGIN_SESSION)) in two.service.calls
    assert "Signed in as Admin/alice" in two.stdout.getvalue()


def test_login_region_comes_from_settings_then_environment_then_config(two: Harness) -> None:
    two.service._settings = Settings(default_region="eu-north-1")
    assert two.run("login") == 0
    two.service._settings = Settings()
    two.environ["AWS_REGION"] = "sa-east-1"
    assert two.run("login") == 0
    two.environ.clear()
    paths = AppPaths.from_environment()
    paths.aws_config_file.write_text("[profile dev]\nregion = ca-central-1\n", encoding="utf-8")
    assert two.run("login", "--profile", "dev") == 0
    regions = [args[0] for name, args in two.service.calls if name == "sign_in"]
    assert regions == ["eu-north-1", "sa-east-1", "ca-central-1"]


def test_login_asks_for_a_region_the_first_time_and_remembers_it(two: Harness) -> None:
    two.stdin.write("eu-central-1\n")
    two.stdin.seek(0)
    assert two.run("login") == 0
    assert "AWS Region [us-east-1]" in two.stderr.getvalue()
    assert two.service.settings().default_region == "eu-central-1"
    assert ("sign_in", ("eu-central-1", None, False, None)) in two.service.calls


def test_login_without_any_region_and_no_answer_is_a_usage_error(two: Harness) -> None:
    assert two.run("login") == 2
    assert "--region" in two.stderr.getvalue()


def test_remote_prompt_reads_the_pasted_code() -> None:
    context = Cli(stdin=io.StringIO("  dGhlLWNvZGU=  \n"), stdout=io.StringIO(), stderr=io.StringIO())
    assert asyncio.run(context.prompt_code("http://127.0.0.1:1/v1/authorize?x=1")) == "dGhlLWNvZGU="
    assert "http://127.0.0.1:1/v1/authorize?x=1" in context.stderr.getvalue()  # type: ignore[attr-defined]
    empty = Cli(stdin=io.StringIO(""), stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(SignInCancelled):
        asyncio.run(empty.prompt_code("http://127.0.0.1:1/"))


@pytest.mark.parametrize(
    ("error", "code"),
    [
        (SignInRequired("The session reached its limit.", "TOKEN_EXPIRED"), 3),
        (SessionLimitReached("Five sessions."), 4),
        (SecretStoreUnavailable("No keyring."), 5),
        (ConfigFileError("Bad config."), 6),
        (ProfileConflict("Taken.", "dev", "dev-2"), 6),
        (TransientServiceError("503", 503), 7),
        (SignInCancelled("Closed."), 8),
        (RuntimeError("boom"), 1),
    ],
)
def test_errors_map_to_documented_exit_codes(two: Harness, error: BaseException, code: int) -> None:
    two.service.fail["sign_in"] = error
    assert two.run("login", "--region", "us-east-1") == code
    err = two.stderr.getvalue()
    assert err.startswith("aws-login-tray: ")
    assert "Traceback" not in err
    if isinstance(error, LoginTrayError):
        assert error.user_message in err
    assert exit_code_for(error) == code


def test_refresh_one_or_all_live_sessions(two: Harness) -> None:
    assert two.run("refresh", "bob") == 0
    assert two.run("refresh") == 0
    refreshed = [args[0] for name, args in two.service.calls if name == "refresh"]
    assert refreshed == [session_id_for(ARN_B), session_id_for(ARN_A)]  # the dead one only when named
    two.service.fail["refresh"] = SignInRequired("Sign in again: the session ended.", "TOKEN_EXPIRED")
    assert two.run("refresh", "work") == 3
    assert "work: Sign in again" in two.stderr.getvalue()


def test_logout_one_active_or_all(two: Harness) -> None:
    assert two.run("logout") == 0  # the active one
    assert two.service.calls == [("sign_out", (session_id_for(ARN_A),))]
    assert two.run("logout", "--all") == 0
    assert two.service.sessions() == []
    assert "stay valid until they expire" in two.stderr.getvalue()


def test_env_prints_quoted_exports_and_warns_on_stderr(two: Harness) -> None:
    document = write_credentials(session_id_for(ARN_A), SecretAccessKey="se cret$HOME'x")
    assert two.run("env", "work") == 0
    lines = two.stdout.getvalue().splitlines()
    assert "export AWS_ACCESS_KEY_ID=ASIAEXAMPLEFRESH" in lines
    assert "export AWS_SECRET_ACCESS_KEY='se cret$HOME'\"'\"'x'" in lines
    assert shlex.split(lines[1]) == ["export", "AWS_SECRET_ACCESS_KEY=se cret$HOME'x"]
    assert "export AWS_REGION=eu-west-1" in lines
    assert f"export AWS_CREDENTIAL_EXPIRATION={document['Expiration']}" in lines
    assert "expire" in two.stderr.getvalue()
    assert "se cret" not in two.stderr.getvalue()


def test_env_refuses_a_session_that_needs_a_sign_in(two: Harness) -> None:
    write_credentials(session_id_for(ARN_B))
    assert two.run("env", "bob") == 3
    assert two.stdout.getvalue() == ""
    assert "login --profile bob" in two.stderr.getvalue()


def test_exec_runs_the_command_with_credentials_and_propagates_its_exit_code(two: Harness) -> None:
    write_credentials(session_id_for(ARN_A))
    two.environ.update({"AWS_PROFILE": "other", "KEEP": "yes"})
    script = (
        "import os, sys; "
        "print(os.environ['AWS_ACCESS_KEY_ID'], os.environ['AWS_REGION'], os.environ.get('AWS_PROFILE'), "
        "os.environ['KEEP'], file=open(sys.argv[1], 'w')); sys.exit(7)"
    )
    out = AppPaths.from_environment().home / "exec-out.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    assert two.run("exec", "work", "--", sys.executable, "-c", script, str(out)) == 7
    assert out.read_text().split() == ["ASIAEXAMPLEFRESH", "eu-west-1", "None", "yes"]
    assert two.run("exec", "work") == 2
    assert two.run("exec", "work", "--", "/nonexistent/program") == 2


def test_credential_process_is_dispatched_before_argparse(two: Harness, capsys: pytest.CaptureFixture[str]) -> None:
    write_credentials(session_id_for(ARN_A))
    assert main(["credential-process", "--session", session_id_for(ARN_A)]) == 0
    assert json.loads(capsys.readouterr().out)["AccessKeyId"] == "ASIAEXAMPLEFRESH"


def test_settings_show_and_set(two: Harness) -> None:
    paths = AppPaths.from_environment()
    save_settings(paths.settings_file, Settings(default_region="us-east-2"))
    assert two.run("settings") == 0
    assert "default_region = us-east-2" in two.stdout.getvalue()
    assert two.run("settings", "credential_mode", "login_session") == 0
    assert two.service.settings().credential_mode is CredentialMode.LOGIN_SESSION
    assert two.run("settings", "expiry_lead_minutes", "5,60") == 0
    assert two.service.settings().expiry_lead_minutes == (60, 5)
    assert two.run("settings", "use_plaintext_secrets", "true") == 0
    assert two.service.settings().use_plaintext_secrets is True
    assert two.run("settings", "use_plaintext_secrets", "maybe") == 2
    assert two.run("settings", "credential_mode", "magic") == 2
    assert two.run("settings", "nope") == 2
    assert load_settings(paths.settings_file).default_region == "us-east-2"  # the fake saved nothing


def test_doctor_reports_and_fixes_the_sts_endpoint(two: Harness) -> None:
    paths = AppPaths.from_environment()
    original = "# mine\n[profile legacy]\nregion = us-east-1\nsts_regional_endpoints = legacy\n"
    paths.aws_config_file.write_text(original, encoding="utf-8")
    assert two.run("doctor") == 1
    assert "legacy" in two.stdout.getvalue()
    assert paths.aws_config_file.read_text(encoding="utf-8") == original
    assert two.run("doctor", "--fix", "legacy") == 0
    assert "sts_regional_endpoints = regional" in paths.aws_config_file.read_text(encoding="utf-8")


def test_import_reports_damaged_sessions_as_sign_in_again(two: Harness) -> None:
    paths = AppPaths.from_environment()
    paths.aws_config_file.write_text(f"[profile old]\nregion = us-east-1\nlogin_session = {ARN_B}\n", encoding="utf-8")
    assert two.run("import") == 3
    err = two.stderr.getvalue()
    assert "old:" in err
    assert "sign in again" in err.lower()
    assert "Traceback" not in err


def test_agent_logs_events_and_stops_on_sigterm(two: Harness) -> None:
    stderr = io.StringIO()

    async def scenario() -> int:
        started = two.service.started = asyncio.Event()

        async def fire() -> None:
            await started.wait()
            session = two.service.sessions()[0]
            two.service.events.publish(SessionEvent(EventKind.REFRESHED, session))
            two.service.events.publish(SessionEvent(EventKind.RETRYING, session, detail="AWS Sign-In answered 503"))
            signal.raise_signal(signal.SIGTERM)

        task = asyncio.create_task(fire())
        code = await asyncio.wait_for(run_agent(two.service, stderr), timeout=30)
        await task
        return code

    assert asyncio.run(scenario()) == 0
    lines = stderr.getvalue().splitlines()
    assert "agent started: refreshing 2 sessions" in lines[0]
    assert any(" refreshed work (Admin/alice, 111122223333) credentials until 12:10:00Z" in line for line in lines)
    assert any("retrying work" in line and "503" in line for line in lines)
    assert lines[-1] == "stopped"
    assert two.service.lifecycle[-1] == "stop"
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


def test_find_session_falls_back_to_the_active_profile_name(two: Harness) -> None:
    assert find_session(two.service, "default").profile_name == "work"
    two.service._settings = replace(two.service.settings(), active_profile_name="current")
    assert find_session(two.service, "current").profile_name == "work"
