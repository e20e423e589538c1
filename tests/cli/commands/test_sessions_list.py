"""`list --json` says when the engine will try a retrying session again."""

from __future__ import annotations

from datetime import timedelta

from cli.context import session_summary
from core.domain.model import SessionState
from tests.doubles.sessions import START, build_session


def test_list_json_says_when_a_retrying_session_is_tried_again() -> None:
    fresh = build_session()
    assert session_summary(fresh, START, None)["next_attempt_at"] is None
    retrying = fresh.evolve(state=SessionState.RETRYING, next_attempt_at=START + timedelta(seconds=42))
    assert session_summary(retrying, START, None)["next_attempt_at"] == "2026-03-01T08:00:42Z"
