"""One exception tree from every failure to the words a user can act on.

Every error the user may see derives from :class:`LoginTrayError` and carries
a ``user_message``. :class:`SignInRequired` is the one kind that means "this
session cannot continue without a fresh browser sign-in".
"""

from __future__ import annotations


class LoginTrayError(Exception):
    """Base of every error aws-login-tray reports to a person."""

    @property
    def user_message(self) -> str:
        """A sentence that says what happened and what to do."""
        return str(self)


DAMAGED_KEY = "DAMAGED_KEY"
"""``SignInRequired.reason`` when a session's saved DPoP key cannot be loaded (docs/protocol.md §8)."""


class SignInRequired(LoginTrayError):
    """The session cannot be refreshed; the user must sign in again.

    Attributes:
        reason: AWS's ``error`` code (``TOKEN_EXPIRED``,
            ``USER_CREDENTIALS_CHANGED``, ``INSUFFICIENT_PERMISSIONS``,
            ``AUTHCODE_EXPIRED``) or a local code such as ``DAMAGED_KEY``.
    """

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class TransientServiceError(LoginTrayError):
    """A failure worth retrying later: 429, 5xx or a network fault."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class InvalidRequestError(LoginTrayError):
    """AWS rejected the request as malformed (``INVALID_REQUEST``): a bug or bad input."""


class SignInCancelled(LoginTrayError):
    """The user abandoned the sign-in (closed the browser, pressed Cancel, timed out)."""


class SessionLimitReached(LoginTrayError):
    """A sixth concurrent session was requested; the console allows five."""


class SecretStoreUnavailable(LoginTrayError):
    """The OS keyring is missing or locked, or a secrets file cannot be used."""


class ConfigFileError(LoginTrayError):
    """The AWS config file cannot be read or written safely; nothing was changed."""


class ProfileConflict(ConfigFileError):
    """The profile already holds another credential style and is not ours to replace."""

    def __init__(self, message: str, profile: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.profile = profile
        self.suggestion = suggestion


class CacheFileError(LoginTrayError):
    """A token cache or credentials file is unreadable or damaged."""


class SessionNotFound(LoginTrayError):
    """No session matches the given id or profile name."""


class InvalidVerificationCode(InvalidRequestError):
    """The code pasted for a cross-device sign-in is malformed or belongs to another sign-in."""


class IdentityMismatch(InvalidRequestError):
    """STS reports a different identity than the one AWS Sign-In said it signed in."""


class RoleError(LoginTrayError):
    """A role profile cannot be added, used or changed as asked."""


class RoleRefused(RoleError):
    """AWS refused ``sts:AssumeRole``; the message says which settings to check.

    Attributes:
        code: AWS's error code (``AccessDenied``, ``ValidationError``, ``RegionDisabledException``).
    """

    def __init__(self, message: str, code: str) -> None:
        super().__init__(message)
        self.code = code


class PrincipalMismatch(LoginTrayError):
    """A sign-in for a profile bound to one principal came back as another; nothing was changed.

    Attributes:
        profile: The profile the sign-in was for.
        expected: Who that profile belongs to (an ARN, or ``account 123456789012``).
        signed_in: The ARN the browser sign-in actually returned.
    """

    def __init__(self, message: str, profile: str, expected: str, signed_in: str) -> None:
        super().__init__(message)
        self.profile = profile
        self.expected = expected
        self.signed_in = signed_in


class InvalidInput(LoginTrayError):
    """A value the user gave (a Region, a profile name) cannot be used; nothing was changed."""


class SecretsLeftBehind(SecretStoreUnavailable):
    """The sign-out is done, but the session's secrets could not be removed yet; a later start removes them."""
