"""Claims read from an id token for display and estimates: never more than the payload says."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from core.domain.idtoken import auth_time, issued_at, subject, unverified_claims

ARN = "arn:aws:sts::111122223333:assumed-role/Admin/alice"


def jwt(payload: object) -> str:
    body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJFUzM4NCJ9.{body}.c2ln"


def test_claims_are_read_from_the_payload() -> None:
    token = jwt({"sub": ARN, "iat": 1767225600, "auth_time": 1767222000})
    assert subject(token) == ARN
    assert issued_at(token) == datetime(2026, 1, 1, tzinfo=UTC)
    assert auth_time(token) == datetime(2025, 12, 31, 23, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "token",
    [
        None,
        "",
        "not-a-jwt",
        "a.b",
        "a.b.c.d",
        "x.!!!.y",
        jwt([1, 2]),
        "x." + base64.urlsafe_b64encode(b"\xff").decode() + ".y",
    ],
)
def test_unreadable_tokens_give_nothing(token: str | None) -> None:
    assert unverified_claims(token) is None
    assert subject(token) is None
    assert issued_at(token) is None


def test_wrongly_typed_claims_give_nothing() -> None:
    token = jwt({"sub": 7, "iat": "soon", "auth_time": 10**30})
    assert subject(token) is None
    assert issued_at(token) is None
    assert auth_time(token) is None
