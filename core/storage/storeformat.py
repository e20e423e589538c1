"""The JSON shapes of the store's files: one ``sessions.json`` entry, and a credentials file.

Pure functions of immutable values. The time parser and formatter and the
history record reader remember what they met last: every write and read of
``sessions.json`` meets the same few hundred history times again.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

from core.domain.model import CredentialMode, Credentials, Identity, RefreshRecord, Session, SessionState
from core.domain.timefmt import utc_stamp
from core.storage.paths import is_session_id

HISTORY_LIMIT = 100
"""How many token calls each session remembers."""

_KNOWN_TIMES = 1024
"""Times remembered in both directions (five sessions, up to :data:`HISTORY_LIMIT` records each)."""


@functools.lru_cache(maxsize=_KNOWN_TIMES)
def format_precise(value: datetime) -> str:
    """UTC ISO 8601 with a ``Z``, to the microsecond (round-trips through :func:`parse_time`)."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=_KNOWN_TIMES)
def parse_time(text: str) -> datetime:
    """Parse an ISO 8601 time (``Z`` or an offset); naive times are taken as UTC."""
    parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1970 <= parsed.year <= 9000:
        # Arithmetic on a time near year 1 or 9999 overflows; no session lives there.
        raise ValueError(f"time out of range: {text[:40]!r}")
    return parsed.astimezone(UTC)


def _opt_time(value: Any) -> datetime | None:
    return None if value is None else parse_time(str(value))


def session_to_json(session: Session) -> dict[str, Any]:
    """The stored shape of one session (metadata only, never a secret)."""
    return {
        "id": session.id,
        "arn": session.identity.arn,
        "region": session.region,
        "profile_name": session.profile_name,
        "credential_mode": session.credential_mode.value,
        "signed_in_at": format_precise(session.signed_in_at),
        "session_ends_at": format_precise(session.session_ends_at),
        "state": session.state.value,
        "state_reason": session.state_reason,
        "credentials_expire_at": (
            None if session.credentials_expire_at is None else format_precise(session.credentials_expire_at)
        ),
        "last_refresh_at": None if session.last_refresh_at is None else format_precise(session.last_refresh_at),
        "sign_in_region": session.sign_in_region,
        "next_attempt_at": None if session.next_attempt_at is None else format_precise(session.next_attempt_at),
        "sign_in_marker": session.sign_in_marker,
        "made_elsewhere": session.made_elsewhere,
        "other_profiles": list(session.other_profiles),
        "history": [
            {"at": format_precise(r.at), "event_name": r.event_name, "outcome": r.outcome}
            for r in session.history[-HISTORY_LIMIT:]
        ],
    }


def session_from_json(raw: dict[str, Any]) -> Session:
    """Inverse of :func:`session_to_json`.

    Raises:
        KeyError, TypeError, ValueError: a field is missing or invalid.
    """
    if not isinstance(raw, dict):
        raise TypeError("a session entry is not an object")
    if not isinstance(raw.get("id"), str) or not is_session_id(raw["id"]):
        raise ValueError("a session id is not a hex digest")
    state = SessionState(raw.get("state", SessionState.FRESH))
    if state is SessionState.REFRESHING:
        # A process stopped in the middle of a refresh; nothing is in flight now.
        state = SessionState.FRESH
    return Session(
        id=str(raw["id"]),
        identity=Identity.from_arn(str(raw["arn"])),
        region=str(raw["region"]),
        profile_name=str(raw["profile_name"]),
        credential_mode=CredentialMode(raw.get("credential_mode", CredentialMode.CREDENTIAL_PROCESS)),
        signed_in_at=parse_time(str(raw["signed_in_at"])),
        session_ends_at=parse_time(str(raw["session_ends_at"])),
        state=state,
        state_reason=raw.get("state_reason"),
        credentials_expire_at=_opt_time(raw.get("credentials_expire_at")),
        last_refresh_at=_opt_time(raw.get("last_refresh_at")),
        sign_in_region=None if raw.get("sign_in_region") is None else str(raw["sign_in_region"]),
        next_attempt_at=_opt_time(raw.get("next_attempt_at")),
        sign_in_marker=None if raw.get("sign_in_marker") is None else str(raw["sign_in_marker"]),
        made_elsewhere=bool(raw.get("made_elsewhere", False)),
        other_profiles=tuple(str(name) for name in raw.get("other_profiles", ())),
        history=tuple(
            _record(str(r["at"]), str(r["event_name"]), str(r["outcome"])) for r in _list(raw.get("history", []))
        ),
    )


@functools.lru_cache(maxsize=_KNOWN_TIMES)
def _record(at: str, event_name: str, outcome: str) -> RefreshRecord:
    """One stored history record; a record read before is the same object (equal histories compare at once)."""
    return RefreshRecord(parse_time(at), event_name, outcome)


def _list(value: Any) -> list[Any]:
    if not isinstance(value, list):
        raise TypeError("history is not a list")
    return value


DAMAGE = (KeyError, TypeError, ValueError, AttributeError, OverflowError, RecursionError)
"""What reading a damaged (or hand-edited) JSON document can raise."""


def short_text(exc: BaseException) -> str:
    """An exception's text, cut short (a damaged file may hold anything)."""
    return str(exc)[:120] or type(exc).__name__


def credentials_to_json(credentials: Credentials) -> dict[str, Any]:
    """The credentials file content: ``credential_process`` Version 1 plus ``AccountId``."""
    return {
        "Version": 1,
        "AccessKeyId": credentials.access_key_id,
        "SecretAccessKey": credentials.secret_access_key,
        "SessionToken": credentials.session_token,
        "Expiration": utc_stamp(credentials.expires_at),
        "AccountId": credentials.account_id,
    }


def credentials_from_json(raw: Any) -> Credentials:
    """Inverse of :func:`credentials_to_json`.

    Raises:
        KeyError, TypeError, ValueError: not a credentials document.
    """
    if not isinstance(raw, dict) or raw.get("Version") != 1:
        raise ValueError("not a Version 1 credentials document")
    return Credentials(
        access_key_id=str(raw["AccessKeyId"]),
        secret_access_key=str(raw["SecretAccessKey"]),
        session_token=str(raw["SessionToken"]),
        expires_at=parse_time(str(raw["Expiration"])),
        account_id=str(raw.get("AccountId", "")),
    )
