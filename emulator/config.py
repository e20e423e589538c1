"""The console sessions the emulator offers, and its command-line settings."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_ASSUMED_ROLE = re.compile(r"^arn:aws:sts::(\d{12}):assumed-role/([\w+=,.@-]{1,64})/([\w+=,.@-]{2,64})$")
_IAM_USER = re.compile(r"^arn:aws:iam::(\d{12}):user/((?:[\x21-\x7e]*/)?)([\w+=,.@-]{1,64})$")
_ROOT = re.compile(r"^arn:aws:iam::(\d{12}):root$")


class SessionsFileError(ValueError):
    """The --sessions file is not a usable list of console sessions."""


@dataclass(frozen=True)
class ConsoleSession:
    """One console session the authorize page offers ("Continue with an active session").

    Attributes:
        arn: the login session ARN (assumed role, IAM user or root).
        kind: ``assumed-role``, ``user`` or ``root``.
        account_id: the ARN's account.
        principal: role session name, user name, or ``root``.
        role: the role name for assumed roles, else None.
        label: what the page shows as the session's title.
        password: when set, the root/IAM-user sign-in form demands exactly this password.
        session_duration: overrides --session-duration for this principal.
    """

    arn: str
    kind: str
    account_id: str
    principal: str
    role: str | None
    label: str
    password: str | None = None
    session_duration: int | None = None
    user_path: str = "/"

    def public(self, index: int) -> dict[str, Any]:
        """The session as the control API and test helpers see it (never the password)."""
        return {
            "index": index,
            "arn": self.arn,
            "kind": self.kind,
            "account_id": self.account_id,
            "principal": self.principal,
            "role": self.role,
            "label": self.label,
            "session_duration": self.session_duration,
        }


def parse_session(entry: Any) -> ConsoleSession:
    """One entry of the sessions file: ``{"arn": ..., "label"?, "password"?, "session_duration"?}``."""
    if isinstance(entry, str):
        entry = {"arn": entry}
    if not isinstance(entry, dict) or not isinstance(entry.get("arn"), str):
        raise SessionsFileError('each session must be an object with an "arn" string')
    unknown = set(entry) - {"arn", "label", "password", "session_duration"}
    if unknown:
        raise SessionsFileError(f"unknown session fields: {sorted(unknown)}")
    arn: str = entry["arn"]
    label = entry.get("label")
    password = entry.get("password")
    duration = entry.get("session_duration")
    if label is not None and not isinstance(label, str):
        raise SessionsFileError("label must be a string")
    if password is not None and (not isinstance(password, str) or not password):
        raise SessionsFileError("password must be a non-empty string")
    if duration is not None and (not isinstance(duration, int) or isinstance(duration, bool) or duration < 1):
        raise SessionsFileError("session_duration must be a positive integer")
    if match := _ASSUMED_ROLE.match(arn):
        account, role, name = match.groups()
        return ConsoleSession(arn, "assumed-role", account, name, role, label or f"{role}/{name}", password, duration)
    if match := _IAM_USER.match(arn):
        account, path, name = match.groups()
        return ConsoleSession(
            arn, "user", account, name, None, label or f"IAM user {name}", password, duration, "/" + path
        )
    if match := _ROOT.match(arn):
        return ConsoleSession(arn, "root", match.group(1), "root", None, label or "Root user", password, duration)
    raise SessionsFileError(f"not an assumed-role, IAM user or root ARN: {arn!r}")


def parse_sessions(data: Any) -> list[ConsoleSession]:
    """The whole sessions file: a non-empty JSON list of entries with distinct ARNs."""
    if not isinstance(data, list) or not data:
        raise SessionsFileError("the sessions file must hold a non-empty JSON list")
    sessions = [parse_session(entry) for entry in data]
    arns = [session.arn for session in sessions]
    if len(set(arns)) != len(arns):
        raise SessionsFileError("session ARNs must be distinct")
    return sessions


def load_sessions(path: Path) -> list[ConsoleSession]:
    """Read and validate a sessions file."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SessionsFileError(f"cannot read {path}: {exc}") from exc
    return parse_sessions(data)


#: Five sessions across three accounts: federated roles, an IAM user and a root user.
DEFAULT_SESSIONS: list[dict[str, Any]] = [
    {"arn": "arn:aws:sts::111122223333:assumed-role/Admin/alice@example.com", "label": "Admin (federated)"},
    {"arn": "arn:aws:sts::111122223333:assumed-role/ReadOnly/alice@example.com", "label": "ReadOnly (federated)"},
    {"arn": "arn:aws:sts::444455556666:assumed-role/Developer/alice@example.com", "label": "Developer (federated)"},
    {"arn": "arn:aws:iam::444455556666:user/bob", "label": "IAM user bob"},
    {"arn": "arn:aws:iam::777788889999:root", "label": "Root user"},
]


@dataclass(frozen=True)
class Settings:
    """The emulator's command-line settings."""

    host: str = "127.0.0.1"
    port: int = 0
    region: str = "us-east-1"
    credential_ttl: int = 900
    session_duration: int = 43200
    sessions: tuple[ConsoleSession, ...] = ()
