"""A session's credentials file, written as the app writes it for the credential_process fast path."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from core.domain.model import session_id_for
from core.storage.paths import AppPaths

ARN = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
SESSION_ID = session_id_for(ARN)


def write_credentials(
    session_id: str = SESSION_ID, *, left: timedelta = timedelta(minutes=14), **extra: object
) -> dict[str, object]:
    document: dict[str, object] = {
        "Version": 1,
        "AccessKeyId": "ASIAEXAMPLEFRESH",
        "SecretAccessKey": "secret/key+with=signs",
        "SessionToken": "token-" + "z" * 700,
        "Expiration": (datetime.now(UTC) + left).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "AccountId": "111122223333",
        **extra,
    }
    path = AppPaths.from_environment().credentials_file(session_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(document, indent=2), encoding="utf-8")
    return document
