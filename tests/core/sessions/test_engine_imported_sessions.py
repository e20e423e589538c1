"""Review finding: another process must not take the first refresh of an import for the session's end."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from core.domain.model import CredentialMode, Identity, SessionState
from tests.doubles.manager_rig import make_rig
from tests.doubles.sessions import ARNS


def test_first_refresh_of_an_imported_session_in_another_process_keeps_the_session_end() -> None:
    async def scenario() -> None:
        rig = make_rig()
        signed = rig.service.sign_in()
        signed_in_at = rig.clock.now() - timedelta(hours=2)  # `aws login` ran two hours ago
        ends_at = signed_in_at + timedelta(hours=12)
        session = await rig.manager.adopt_session(
            Identity.from_arn(ARNS[0]),
            "us-east-1",
            "imported",
            CredentialMode.CREDENTIAL_PROCESS,
            signed.secrets,
            signed.credentials,
            signed_in_at,
            ends_at,
        )
        rig.clock.advance(400)
        # Another process (the tray started later, or `aws-login-tray refresh`) knows
        # nothing of the lifetime AWS grants except what sessions.json says.
        other = make_rig(clock=rig.clock, service=rig.service, secrets=rig.secrets)
        refreshed = await other.manager.refresh(session.id)
        assert refreshed.state is SessionState.FRESH
        assert refreshed.session_ends_at == ends_at  # a normal 900 s grant says nothing about the end
        rig.clock.advance(1200)
        await other.manager.refresh_due()
        current = other.manager.table.get(session.id)
        assert current is not None
        assert current.state is SessionState.FRESH

    asyncio.run(scenario())
