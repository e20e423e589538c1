"""Reading claims from an OpenID Connect id token, for display and estimates only (never for trust)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime


def auth_time(id_token: str | None) -> datetime | None:
    """The console sign-in time (``auth_time``) from an id token, if present.

    Only read to estimate when the session ends; the token was already
    verified by the sign-in client, and nothing here trusts it for more.
    """
    if not id_token or id_token.count(".") != 2:
        return None
    payload = id_token.split(".")[1]
    try:
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        value = claims.get("auth_time") if isinstance(claims, dict) else None
        return None if value is None else datetime.fromtimestamp(int(value), UTC)
    except (ValueError, TypeError, OverflowError):
        return None
