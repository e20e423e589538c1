"""A secret store in memory, with an ordering log shared with the fake sign-in service."""

from __future__ import annotations

from core.domain.model import Credentials, Session, SessionSecrets


class MemorySecretStore:
    """Secrets in a dict, with an ordering log."""

    def __init__(self, events: list[str] | None = None) -> None:
        self.data: dict[str, SessionSecrets] = {}
        self.events = events if events is not None else []
        self.fail: Exception | None = None

    def load(self, session: Session) -> SessionSecrets | None:
        if self.fail is not None:
            raise self.fail
        return self.data.get(session.id)

    def load_credentials(self, session: Session) -> Credentials | None:
        return None

    def save(self, session: Session, secrets: SessionSecrets, credentials: Credentials | None = None) -> None:
        if self.fail is not None:
            raise self.fail
        self.events.append(f"stored:{secrets.refresh_token}")
        self.data[session.id] = secrets

    def delete(self, session: Session) -> None:
        self.data.pop(session.id, None)

    def probe(self) -> None:
        if self.fail is not None:
            raise self.fail
