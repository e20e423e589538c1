"""Against the emulator: a clock 90 s off is retried (case 5); a token the keyring refuses is never lost (case 1)."""

from __future__ import annotations

import asyncio
import configparser
import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

from core.domain.errors import TransientServiceError
from core.domain.model import SessionState
from core.storage.paths import AppPaths
from credproc.exitcodes import ExitCode
from tests.doubles.browser import ApprovingBrowser
from tests.doubles.emulator_rig import make_manager, point_sdk_at
from tests.support.emulator import EmulatorHandle

pytestmark = pytest.mark.slow


def test_a_proof_dated_outside_the_servers_window_is_retried_and_the_session_lives_on(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    point_sdk_at(emulator, monkeypatch)
    browser = ApprovingBrowser(emulator)

    async def scenario() -> None:
        manager = make_manager(emulator, browser)
        session = await manager.sign_in("eu-west-1", "p1")
        emulator.advance_clock(90)  # this computer's clock is now 90 s behind AWS's
        with pytest.raises(TransientServiceError) as info:
            await manager.refresh(session.id)
        assert "clock" in info.value.user_message
        kept = manager.table.get(session.id)
        assert kept is not None
        assert kept.state is SessionState.RETRYING
        refusals = emulator.tokens()["refused"]
        assert [r["error"] for r in refusals] == ["INVALID_REQUEST"]
        assert "iat" in refusals[0]["message"]

        emulator.advance_clock(-90)  # the clock is fixed: the very same token still works
        refreshed = await manager.refresh(session.id)
        assert refreshed.state is SessionState.FRESH
        assert len(emulator.tokens()["refused"]) == 1

    asyncio.run(scenario())


def test_credential_process_hands_out_nothing_when_the_keyring_refuses_the_new_token(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Case 1 end to end: exit 5 and no JSON; once the keyring works, the rescued token carries on."""
    point_sdk_at(emulator, monkeypatch)
    browser = ApprovingBrowser(emulator)

    async def scenario() -> str:
        manager = make_manager(emulator, browser)
        session = await manager.sign_in("eu-west-1", "p1")
        manager.store.delete_credentials(session.id)  # nobody refreshed: the helper must refresh on the spot
        return session.id

    session_id = asyncio.run(scenario())
    paths = AppPaths.from_environment()
    line = configparser.ConfigParser()
    line.read(paths.aws_config_file)
    command = shlex.split(line["profile p1"]["credential_process"])
    blocker = Path(os.environ["AWS_LOGIN_TRAY_TEST_KEYRING"]).with_suffix(".tmp")
    blocker.mkdir()  # the test keyring can read but no longer write: a keyring that locked mid-refresh

    refused_write = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert refused_write.returncode == ExitCode.SECRET_STORE, refused_write.stderr
    assert refused_write.stdout == ""
    assert str(paths.rescue_file(session_id)) in refused_write.stderr

    blocker.rmdir()
    paths.credentials_file(session_id).unlink(missing_ok=True)
    works = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False)
    assert works.returncode == 0, works.stderr
    assert json.loads(works.stdout)["Version"] == 1
    assert not paths.rescue_file(session_id).exists()
    assert emulator.tokens()["refused"] == []
