"""Case 5 against the emulator: a clock 90 s off is a retried clock problem, never a session that needs a sign-in."""

from __future__ import annotations

import asyncio

import pytest

from core.domain.errors import TransientServiceError
from core.domain.model import SessionState
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
