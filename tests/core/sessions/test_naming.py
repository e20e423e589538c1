"""Profile names a session may take, checked as they are typed; friendly names at first sign-in."""

from __future__ import annotations

from core.domain.model import Identity
from core.sessions.naming import friendly_name, name_problem
from tests.doubles.sessions import ARNS, build_session


def test_name_rules() -> None:
    admin = build_session(ARNS[0], profile="work")
    ops = build_session(ARNS[4], profile="ops")
    sessions = [admin, ops]

    def problem(name: str) -> str | None:
        return name_problem(name, sessions=sessions, active_profile_name="default", own=admin)

    assert problem("work") is None
    assert problem("work-admin") is None
    assert problem("111122223333-Admin") is None
    assert problem("") is not None
    assert "spaces" in (problem("my work") or "")
    assert "active profile" in (problem("default") or "")
    assert "another session" in (problem("ops") or "")
    assert "account 777788889999" in (problem("777788889999-root") or "")


def test_friendly_names_carry_no_account_id_first() -> None:
    admin = Identity.from_arn(ARNS[0])
    assert friendly_name(admin, []) == "admin"
    assert friendly_name(admin, ["admin"]) == "admin-3333"
    assert friendly_name(admin, ["admin", "admin-3333"]) == "admin-3333-2"
    assert friendly_name(Identity.from_arn("arn:aws:iam::444455556666:user/bob.smith"), []) == "bob.smith"
