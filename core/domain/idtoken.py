"""Reading claims from an OpenID Connect id token, for display and estimates only (never for trust).

AWS Sign-In returns the id token over TLS in the same exchange that the
client then confirms with STS (docs/protocol.md §3.2), so nothing here checks
its signature, and no caller may use a claim to decide who someone is.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any


def unverified_claims(id_token: str | None) -> dict[str, Any] | None:
    """The payload of a compact JWT, or None when the text is not one."""
    if not id_token or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (ValueError, TypeError):  # binascii.Error and UnicodeDecodeError are ValueErrors
        return None
    return claims if isinstance(claims, dict) else None


def _time_claim(id_token: str | None, name: str) -> datetime | None:
    value = (unverified_claims(id_token) or {}).get(name)
    try:
        return None if value is None else datetime.fromtimestamp(int(value), UTC)
    except (ValueError, TypeError, OverflowError, OSError):
        return None


def auth_time(id_token: str | None) -> datetime | None:
    """The console sign-in time (``auth_time``), used only to estimate when the session ends."""
    return _time_claim(id_token, "auth_time")


def issued_at(id_token: str | None) -> datetime | None:
    """When the token was issued (``iat``), used only to tell that a cached session is too old."""
    return _time_claim(id_token, "iat")


def subject(id_token: str | None) -> str | None:
    """The ``sub`` claim (for AWS Sign-In: the login session ARN), or None when absent or not text."""
    value = (unverified_claims(id_token) or {}).get("sub")
    return value if isinstance(value, str) and value else None
