"""The one road from a failure to the terminal: an exit code and a sentence, never a traceback."""

from __future__ import annotations

import logging
from typing import TextIO

from core.domain.errors import (
    CacheFileError,
    ConfigFileError,
    InvalidInput,
    InvalidRequestError,
    LoginTrayError,
    PrincipalMismatch,
    RoleError,
    RoleRefused,
    SecretStoreUnavailable,
    SessionLimitReached,
    SessionNotFound,
    SignInCancelled,
    SignInRequired,
    TransientServiceError,
)
from credproc.exitcodes import ExitCode
from credproc.fastpath import CredentialProcessError

log = logging.getLogger(__name__)


PROG = "aws-login-tray"


_ERROR_CODES: tuple[tuple[type[BaseException], ExitCode], ...] = (
    (SignInRequired, ExitCode.SIGN_IN_REQUIRED),
    (SessionLimitReached, ExitCode.SESSION_LIMIT),
    (SecretStoreUnavailable, ExitCode.SECRET_STORE),
    (ConfigFileError, ExitCode.FILE_ERROR),  # ProfileConflict too
    (CacheFileError, ExitCode.FILE_ERROR),
    (TransientServiceError, ExitCode.SERVICE_UNAVAILABLE),
    (InvalidRequestError, ExitCode.SERVICE_UNAVAILABLE),
    (SignInCancelled, ExitCode.CANCELLED),
    (PrincipalMismatch, ExitCode.WRONG_PRINCIPAL),
    (SessionNotFound, ExitCode.USAGE),
    (RoleRefused, ExitCode.FAILURE),  # AWS said no: the message says what to check
    (RoleError, ExitCode.USAGE),
    (InvalidInput, ExitCode.USAGE),
    (CredentialProcessError, ExitCode.FAILURE),
    (KeyboardInterrupt, ExitCode.INTERRUPTED),
    (OSError, ExitCode.FILE_ERROR),  # a full or read-only disk under a file of ours
)


class UsageError(LoginTrayError):
    """Arguments that make no sense together (exit code 2)."""


def exit_code_for(exc: BaseException) -> ExitCode:
    """The documented exit code of a failure."""
    if isinstance(exc, CredentialProcessError):
        return ExitCode(exc.exit_code())
    if isinstance(exc, UsageError):
        return ExitCode.USAGE
    for kind, code in _ERROR_CODES:
        if isinstance(exc, kind):
            return code
    return ExitCode.FAILURE


def error_message(exc: BaseException) -> str:
    """The sentence to show for a failure (never a traceback, never a secret)."""
    if isinstance(exc, LoginTrayError):
        message = exc.user_message
        if isinstance(exc, SignInRequired) and "sign in" not in message.lower():
            message += f" Sign in again: `{PROG} login`."
        return message
    if isinstance(exc, KeyboardInterrupt):
        return "Interrupted."
    if isinstance(exc, CredentialProcessError):
        return str(exc)
    if isinstance(exc, OSError) and exc.filename is not None:
        return (
            f"Cannot use {exc.filename}: {exc.strerror or type(exc).__name__}. "
            "Check that its disk has space and is writable, then try again."
        )
    return f"Unexpected {type(exc).__name__}: {exc}. Run again with --debug for details."


def report_error(exc: BaseException, stderr: TextIO) -> int:
    """Print the failure on stderr; return its exit code."""
    if not isinstance(exc, LoginTrayError | KeyboardInterrupt):
        log.debug("unexpected failure", exc_info=exc)
    stderr.write(f"{PROG}: {error_message(exc)}\n")
    return exit_code_for(exc)
