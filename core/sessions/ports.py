"""What the sessions layer needs from the sign-in client.

``core.signin.client.SigninClient`` satisfies these protocols; tests use fakes.
"""

from __future__ import annotations

from typing import Protocol

from core.domain.model import (
    Credentials,
    Identity,
    SessionSecrets,
)
from core.domain.ports import BrowserOpener, CodePrompt


class RefreshResult(Protocol):
    """What a token refresh yields (``core.signin.client.TokenResult`` satisfies it)."""

    @property
    def credentials(self) -> Credentials: ...

    @property
    def secrets(self) -> SessionSecrets: ...

    @property
    def expires_in(self) -> int: ...


class RefreshClient(Protocol):
    """The part of ``core.signin.client.SigninClient`` the engine uses."""

    async def refresh(self, secrets: SessionSecrets, *, account_id: str | None = None) -> RefreshResult:
        """One ``CreateOAuth2Token`` refresh attempt."""
        ...


class SignInResult(RefreshResult, Protocol):
    """What a sign-in yields (``core.signin.client.TokenResult`` satisfies it)."""

    @property
    def identity(self) -> Identity | None: ...


class SigninPort(Protocol):
    """The part of ``core.signin.client.SigninClient`` the manager uses."""

    async def sign_in_same_device(self, open_browser: BrowserOpener) -> SignInResult:
        """Browser sign-in on this machine."""
        ...

    async def sign_in_remote(self, prompt: CodePrompt) -> SignInResult:
        """Sign-in with a browser elsewhere (verification code)."""
        ...

    async def refresh(self, secrets: SessionSecrets, *, account_id: str | None = None) -> RefreshResult:
        """One refresh attempt."""
        ...
