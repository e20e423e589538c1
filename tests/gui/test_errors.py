"""The error presenter: words for each error, silence on cancellation, messages held until shown."""

from __future__ import annotations

import asyncio

from core.domain.errors import SessionLimitReached, SignInCancelled, SignInRequired
from gui.errors import ErrorPresenter, describe
from tests.doubles.front_end import RecordingSink


def test_describe() -> None:
    assert describe(SignInCancelled("closed")) is None
    assert describe(asyncio.CancelledError()) is None
    assert describe(SignInRequired("Sign in again: the session ended.", "TOKEN_EXPIRED")) == (
        "Sign in again: the session ended."
    )
    text = describe(KeyError("x"))
    assert text is not None
    assert "KeyError" in text


def test_messages_are_held_until_a_sink_exists() -> None:
    presenter = ErrorPresenter()
    presenter.present(SessionLimitReached("Five already."), "Sign in")
    presenter.present(SignInCancelled("nope"), "Sign in")
    sink = RecordingSink()
    presenter.set_sink(sink)
    assert sink.messages == [("aws-login-tray: Sign in", "Five already.")]
