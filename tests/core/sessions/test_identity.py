"""A sign-in that comes back as another principal never takes over a profile."""

from __future__ import annotations

import asyncio
import configparser
from datetime import UTC, datetime

import pytest

from core.domain.errors import PrincipalMismatch, SessionLimitReached, SignInCancelled
from core.domain.model import CredentialMode, Identity, Session, SessionState, session_id_for
from core.sessions.identity import MismatchQuestion, ProfileBinding, binding_for
from tests.doubles.manager_rig import Rig, make_rig, read_config
from tests.doubles.sessions import ARNS


def run(coro: object) -> None:
    asyncio.run(coro)  # type: ignore[arg-type]


def profiles(rig: Rig) -> dict[str, str]:
    """Each profile's credential_process line (which session it hands out)."""
    parser = configparser.ConfigParser()
    parser.read_string(read_config(rig.paths))
    return {name: parser[name].get("credential_process", "") for name in parser.sections()}


async def signed_in(rig: Rig, arns: list[str]) -> list[Session]:
    rig.service.next_arns = list(arns)
    return [await rig.manager.sign_in("us-east-1") for _ in arns]


class Answer:
    """A front end's answer to the mismatch question, recording what it was asked."""

    def __init__(self, add: bool) -> None:
        self.add = add
        self.asked: list[MismatchQuestion] = []

    async def __call__(self, question: MismatchQuestion) -> bool:
        self.asked.append(question)
        return self.add


def test_binding_by_session_and_by_account_prefix() -> None:
    admin = Identity.from_arn(ARNS[0])
    ops = Identity.from_arn(ARNS[4])
    assert binding_for(None, []) is None
    assert binding_for("work", []) is None
    by_account = binding_for("777788889999-root", [])
    assert by_account == ProfileBinding("777788889999-root", account_id="777788889999")
    assert by_account.accepts(ops)
    assert not by_account.accepts(admin)
    assert "account 777788889999" in by_account.owner


def test_a_name_the_principal_kept_from_an_earlier_sign_in_is_bound_to_it() -> None:
    admin = Identity.from_arn(ARNS[0])
    ops = Identity.from_arn(ARNS[4])
    session = Session(
        id=session_id_for(admin.arn),
        identity=admin,
        region="us-east-1",
        profile_name="ls",
        credential_mode=CredentialMode.LOGIN_SESSION,
        signed_in_at=datetime(2026, 1, 1, tzinfo=UTC),
        session_ends_at=datetime(2026, 1, 1, 12, tzinfo=UTC),
        other_profiles=("cp",),
    )
    binding = binding_for("cp", [session])
    assert binding == ProfileBinding("cp", arn=admin.arn)
    assert binding.accepts(admin)
    assert not binding.accepts(ops)


def test_sign_in_again_as_another_principal_without_a_handler_changes_nothing() -> None:
    async def scenario() -> None:
        rig = make_rig()
        admin, ops = await signed_in(rig, [ARNS[0], ARNS[4]])
        rig.service.revoke(ARNS[4])
        before_config, before_active = read_config(rig.paths), rig.manager.active_session_id()
        rig.service.next_arns = [ARNS[0]]  # the user clicked the Admin card
        with pytest.raises(PrincipalMismatch) as info:
            await rig.manager.sign_in_again(ops.id)
        message = info.value.user_message
        assert ops.identity.arn in message
        assert ARNS[0] in message
        assert ops.profile_name in message
        assert read_config(rig.paths) == before_config
        assert rig.manager.active_session_id() == before_active
        names = {s.id: s.profile_name for s in rig.manager.sessions()}
        assert names == {admin.id: admin.profile_name, ops.id: ops.profile_name}

    run(scenario())


def test_cancel_keeps_every_profile_and_the_dead_session() -> None:
    async def scenario() -> None:
        rig = make_rig()
        admin, ops = await signed_in(rig, [ARNS[0], ARNS[4]])
        before = read_config(rig.paths)
        answer = Answer(add=False)
        rig.service.next_arns = [ARNS[0]]
        with pytest.raises(SignInCancelled):
            await rig.manager.sign_in_again(ops.id, on_mismatch=answer)
        assert len(answer.asked) == 1
        question = answer.asked[0]
        assert question.profile_name == ops.profile_name
        assert question.expected == ops.identity.arn
        assert question.signed_in.arn == ARNS[0]
        assert question.renews_existing
        assert question.new_profile_name == admin.profile_name
        assert read_config(rig.paths) == before

    run(scenario())


def test_add_as_new_session_uses_its_own_name_and_leaves_the_old_profile_alone() -> None:
    async def scenario() -> None:
        rig = make_rig()
        (ops,) = await signed_in(rig, [ARNS[4]])
        ops_line = profiles(rig)[f"profile {ops.profile_name}"]
        answer = Answer(add=True)
        rig.service.next_arns = [ARNS[2]]  # a principal without a session yet
        added = await rig.manager.sign_in_again(ops.id, on_mismatch=answer)
        assert answer.asked[0].new_profile_name == "444455556666-Dev"
        assert not answer.asked[0].renews_existing
        assert added.id == session_id_for(ARNS[2])
        assert added.profile_name == "444455556666-Dev"
        assert "777788889999" not in added.profile_name
        after = profiles(rig)
        assert after[f"profile {ops.profile_name}"] == ops_line
        assert {s.profile_name for s in rig.manager.sessions()} == {ops.profile_name, "444455556666-Dev"}
        assert rig.manager.active_session_id() == ops.id

    run(scenario())


def test_add_as_new_when_that_principal_has_a_session_renews_it_under_its_own_name() -> None:
    async def scenario() -> None:
        rig = make_rig()
        admin, ops = await signed_in(rig, [ARNS[0], ARNS[4]])
        rig.service.next_arns = [ARNS[0]]
        renewed = await rig.manager.sign_in_again(ops.id, on_mismatch=Answer(add=True))
        assert renewed.id == admin.id
        assert renewed.profile_name == admin.profile_name
        by_id = {s.id: s for s in rig.manager.sessions()}
        assert by_id[ops.id].profile_name == ops.profile_name
        assert f"profile {admin.profile_name}" in profiles(rig)
        assert f"profile {ops.profile_name}" in profiles(rig)

    run(scenario())


def test_with_five_sessions_a_mismatch_cannot_add_a_sixth_and_asks_nothing() -> None:
    async def scenario() -> None:
        rig = make_rig()
        sessions = await signed_in(rig, ARNS[:5])
        dead = sessions[4]
        rig.service.revoke(dead.identity.arn)
        await rig.manager.refresh_due()  # not due yet: still fresh
        before = read_config(rig.paths)
        answer = Answer(add=True)
        rig.service.next_arns = [ARNS[5]]
        with pytest.raises(SessionLimitReached) as info:
            await rig.manager.sign_in_again(dead.id, on_mismatch=answer)
        assert answer.asked == []
        assert dead.identity.arn in info.value.user_message
        assert ARNS[5] in info.value.user_message
        assert read_config(rig.paths) == before

    run(scenario())


def test_sign_in_again_as_the_right_principal_with_five_sessions_renews_it() -> None:
    async def scenario() -> None:
        rig = make_rig()
        sessions = await signed_in(rig, ARNS[:5])
        dead = sessions[4]
        rig.manager.table.update_session(dead.id, lambda s: s.evolve(state=SessionState.NEEDS_SIGN_IN))
        rig.service.next_arns = [dead.identity.arn]
        renewed = await rig.manager.sign_in_again(dead.id)
        assert renewed.id == dead.id
        assert renewed.state is SessionState.FRESH
        assert renewed.profile_name == dead.profile_name
        assert len(rig.manager.sessions()) == 5

    run(scenario())


def test_login_with_a_profile_of_another_session_never_renames_or_deletes_it() -> None:
    async def scenario() -> None:
        rig = make_rig()
        admin, ops = await signed_in(rig, [ARNS[0], ARNS[4]])
        before = read_config(rig.paths)
        rig.service.next_arns = [ARNS[0]]
        with pytest.raises(PrincipalMismatch):
            await rig.manager.sign_in("us-east-1", ops.profile_name)
        assert read_config(rig.paths) == before
        assert f"profile {admin.profile_name}" in profiles(rig)

    run(scenario())


def test_a_name_carrying_another_account_id_is_refused_for_a_new_session() -> None:
    async def scenario() -> None:
        rig = make_rig()
        rig.service.next_arns = [ARNS[0]]
        with pytest.raises(PrincipalMismatch) as info:
            await rig.manager.sign_in("us-east-1", "777788889999-root")
        assert "account 777788889999" in info.value.user_message
        assert rig.manager.sessions() == []
        assert "777788889999-root" not in read_config(rig.paths)
        rig.service.next_arns = [ARNS[4]]
        right = await rig.manager.sign_in("us-east-1", "777788889999-ops")
        assert right.profile_name == "777788889999-ops"

    run(scenario())


def test_default_names_carry_the_signed_in_account_only() -> None:
    async def scenario() -> None:
        rig = make_rig()
        sessions = await signed_in(rig, ARNS[:5])
        for session in sessions:
            assert session.profile_name.startswith(session.account_id)

    run(scenario())
