"""Role profiles through the session manager, with a fake AssumeRole and the real config writer."""

from __future__ import annotations

import asyncio
import configparser
from collections.abc import Coroutine
from typing import Any

import pytest

from core.domain.errors import RoleError, RoleRefused, SignInRequired
from core.domain.events import EventKind, SessionEvent
from core.domain.model import Credentials, Identity, SessionState
from core.domain.roles import RoleSettings
from core.sessions.roles import RoleProfiles
from tests.doubles.manager_rig import Rig, make_rig, read_config

DEPLOY = "arn:aws:iam::444455556666:role/Deploy"
USER_TEXT = (
    "# mine\n"
    "[profile theirs]\n"
    "role_arn = arn:aws:iam::999988887777:role/Ops\n"
    "source_profile = 111122223333-Admin\n"
    "region = us-west-2\n"
    "\n"
    "[profile unrelated]\n"
    "role_arn = arn:aws:iam::999988887777:role/Other\n"
    "source_profile = somewhere-else\n"
    "\n"
)


class FakeAssume:
    """Records each AssumeRole; refuses when told to."""

    def __init__(self) -> None:
        self.calls: list[tuple[Credentials, RoleSettings, str, Identity]] = []
        self.refusal: RoleRefused | None = None

    def __call__(
        self, credentials: Credentials, settings: RoleSettings, region: str, identity: Identity
    ) -> Credentials:
        self.calls.append((credentials, settings, region, identity))
        if self.refusal is not None:
            raise self.refusal
        return Credentials("ASIAROLE", "role-secret", "role-token", credentials.expires_at, "444455556666")


def run(coro: Coroutine[Any, Any, None]) -> None:
    asyncio.run(coro)


def parsed(rig: Rig) -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser()
    parser.read_string(read_config(rig.paths))
    return parser


async def two_sessions(rig: Rig) -> FakeAssume:
    rig.paths.aws_config_file.parent.mkdir(parents=True, exist_ok=True)
    rig.paths.aws_config_file.write_text(USER_TEXT, encoding="utf-8")
    await rig.manager.sign_in("us-east-1")
    await rig.manager.sign_in("eu-west-1")
    fake = FakeAssume()
    rig.manager.role_profiles = RoleProfiles(rig.manager, assume=fake)
    return fake


def test_adding_a_role_assumes_it_once_then_writes_a_managed_regional_profile() -> None:
    async def scenario() -> None:
        rig = make_rig()
        fake = await two_sessions(rig)
        admin = rig.manager.sessions()[0]
        events: list[SessionEvent] = []
        rig.manager.events.subscribe(events.append)

        role = await rig.manager.role_profiles.add(admin.id, DEPLOY, region="eu-central-1", external_id="ext-1")

        assert role.name == "444455556666-Deploy"
        [(credentials, settings, region, identity)] = fake.calls
        assert credentials == rig.manager.store.read_credentials(admin.id)
        assert (region, identity) == ("eu-central-1", admin.identity)
        assert settings == RoleSettings(DEPLOY, admin.profile_name, "alice", 3600, "ext-1")
        section = parsed(rig)["profile 444455556666-Deploy"]
        assert dict(section) == {
            "region": "eu-central-1",
            "sts_regional_endpoints": "regional",
            "role_arn": DEPLOY,
            "source_profile": admin.profile_name,
            "role_session_name": "alice",
            "duration_seconds": "3600",
            "external_id": "ext-1",
        }
        assert read_config(rig.paths).startswith(USER_TEXT)
        assert [e.kind for e in events] == [EventKind.UPDATED]

        listed = {r.name: r for r in rig.manager.role_profiles.list_roles()}
        assert set(listed) == {"theirs", "444455556666-Deploy"}  # not the unrelated chain
        assert not listed["theirs"].managed
        assert not listed["theirs"].regional_sts
        assert listed["444455556666-Deploy"].managed
        assert listed["444455556666-Deploy"].session_id == admin.id

    run(scenario())


def test_a_refused_role_writes_nothing_and_keeps_aws_words() -> None:
    async def scenario() -> None:
        rig = make_rig()
        fake = await two_sessions(rig)
        before = read_config(rig.paths)
        fake.refusal = RoleRefused(
            "AWS refused to let alice assume role Deploy: check the trust policy", "AccessDenied"
        )
        with pytest.raises(RoleRefused, match="trust policy"):
            await rig.manager.role_profiles.add(rig.manager.sessions()[0].id, DEPLOY)
        assert read_config(rig.paths) == before

    run(scenario())


@pytest.mark.parametrize(
    ("arguments", "words"),
    [
        ({"role_arn": "arn:aws:iam::444455556666:user/bob"}, "not an IAM role ARN"),
        ({"duration_seconds": 7200}, "one hour"),
        ({"region": "Europe"}, "not an AWS Region"),
        ({"profile_name": "theirs"}, "already in use"),
        ({"session_name": "two words"}, "role session name"),
    ],
)
def test_bad_input_is_refused_before_any_call_to_aws(arguments: dict[str, Any], words: str) -> None:
    async def scenario() -> None:
        rig = make_rig()
        fake = await two_sessions(rig)
        session = rig.manager.sessions()[0]
        values: dict[str, Any] = {"role_arn": DEPLOY, **arguments}
        role_arn = values.pop("role_arn")
        with pytest.raises(RoleError, match=words):
            await rig.manager.role_profiles.add(session.id, role_arn, **values)
        assert fake.calls == []

    run(scenario())


def test_making_a_role_active_and_back_keeps_every_other_byte() -> None:
    async def scenario() -> None:
        rig = make_rig()
        await two_sessions(rig)
        admin, other = rig.manager.sessions()
        await rig.manager.set_active(other.id)
        roles = rig.manager.role_profiles
        await roles.add(admin.id, DEPLOY, profile_name="deploy")
        plain = read_config(rig.paths)

        await roles.make_active("deploy")
        assert roles.active() == "deploy"
        assert rig.manager.active_session_id() == admin.id
        default = parsed(rig)["default"]
        assert default["role_arn"] == DEPLOY
        assert default["source_profile"] == admin.profile_name
        assert "credential_process" not in default

        await roles.make_active("theirs")  # the user's own chained profile, copied into our section only
        assert parsed(rig)["default"]["role_arn"] == "arn:aws:iam::999988887777:role/Ops"
        assert parsed(rig)["default"]["region"] == "us-west-2"

        await rig.manager.set_active(other.id)
        assert roles.active() is None
        assert read_config(rig.paths) == plain

    run(scenario())


def test_roles_follow_a_rename_and_ours_go_with_a_sign_out() -> None:
    async def scenario() -> None:
        rig = make_rig()
        await two_sessions(rig)
        admin = rig.manager.sessions()[0]
        roles = rig.manager.role_profiles
        await roles.add(admin.id, DEPLOY, profile_name="deploy")
        await roles.make_active("deploy")

        await rig.manager.rename_profile(admin.id, "admin")
        assert parsed(rig)["profile deploy"]["source_profile"] == "admin"
        assert parsed(rig)["default"]["source_profile"] == "admin"
        assert [r.name for r in roles.list_roles()] == ["deploy"]  # `theirs` still names the old profile

        await rig.manager.sign_out(admin.id)
        assert not parsed(rig).has_section("profile deploy")
        assert parsed(rig).has_section("profile theirs")  # never ours to remove
        assert roles.active() is None

    run(scenario())


def test_roles_of_a_session_that_needs_a_sign_in_cannot_be_made_active_or_added() -> None:
    async def scenario() -> None:
        rig = make_rig()
        await two_sessions(rig)
        admin = rig.manager.sessions()[0]
        roles = rig.manager.role_profiles
        await roles.add(admin.id, DEPLOY, profile_name="deploy")
        rig.manager.table.update_session(admin.id, lambda s: s.evolve(state=SessionState.NEEDS_SIGN_IN))
        before = read_config(rig.paths)
        with pytest.raises(SignInRequired, match="needs a new sign-in"):
            await roles.make_active("deploy")
        with pytest.raises(SignInRequired):
            await roles.add(admin.id, "arn:aws:iam::444455556666:role/Other")
        assert read_config(rig.paths) == before
        with pytest.raises(RoleError, match="your own"):
            await roles.remove("theirs")
        await roles.remove("deploy")
        assert [r.name for r in roles.list_roles()] == ["theirs"]

    run(scenario())
