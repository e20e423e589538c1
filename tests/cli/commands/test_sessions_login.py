"""`login --profile NAME` never gives NAME to another principal: exit 9, both principals named."""

from __future__ import annotations

import asyncio
import contextlib
import io
from collections.abc import AsyncIterator

from cli.context import Cli
from cli.main import main
from core.sessions.service import SessionService
from credproc.exitcodes import ExitCode
from tests.doubles.manager_rig import make_rig, read_config
from tests.doubles.sessions import ARNS


def test_login_with_a_bound_profile_as_another_principal_exits_9_and_changes_nothing() -> None:
    rig = make_rig()
    rig.service.next_arns = [ARNS[4], ARNS[0]]
    ops = asyncio.run(rig.manager.sign_in("us-east-1"))
    before = read_config(rig.paths)

    @contextlib.asynccontextmanager
    async def factory(_: Cli) -> AsyncIterator[SessionService]:
        yield rig.manager

    stdout, stderr = io.StringIO(), io.StringIO()
    cli = Cli(stdout=stdout, stderr=stderr, paths=rig.paths, environ={}, service_factory=factory)
    code = main(["login", "--profile", ops.profile_name, "--region", "us-east-1"], cli=cli)
    assert code == ExitCode.WRONG_PRINCIPAL
    assert int(code) == 9
    error = stderr.getvalue()
    assert ops.identity.arn in error
    assert ARNS[0] in error
    assert "unchanged" in error
    assert read_config(rig.paths) == before
    assert [s.profile_name for s in rig.manager.sessions()] == [ops.profile_name]


def test_the_exit_code_is_in_the_help() -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--help"]) == 0
    assert "9  the browser signed in as another principal" in out.getvalue()
