"""Every exit code of ``aws-login-tray``, in one place.

The CLI maps errors to these; the ``credential_process`` fast path reports
them too, but imports this module only when it fails (:mod:`enum` costs the
hot path about 10 ms).
"""

from enum import IntEnum


class ExitCode(IntEnum):
    """How a command ended; documented in ``--help`` and docs/cli.md."""

    OK = 0
    FAILURE = 1
    USAGE = 2
    SIGN_IN_REQUIRED = 3
    SESSION_LIMIT = 4
    SECRET_STORE = 5
    FILE_ERROR = 6
    SERVICE_UNAVAILABLE = 7
    CANCELLED = 8
    WRONG_PRINCIPAL = 9
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        """One line for ``--help``."""
        return _MEANINGS[self]


_MEANINGS = {
    ExitCode.OK: "success",
    ExitCode.FAILURE: "unexpected failure (run again with --debug)",
    ExitCode.USAGE: "usage error: bad arguments, unknown profile or session",
    ExitCode.SIGN_IN_REQUIRED: "the session needs a browser sign-in (ended, revoked, never signed in)",
    ExitCode.SESSION_LIMIT: "five sessions already exist (the console's limit)",
    ExitCode.SECRET_STORE: "the OS keyring is missing or locked",
    ExitCode.FILE_ERROR: "a config, settings, cache or credentials file cannot be read or written",
    ExitCode.SERVICE_UNAVAILABLE: "AWS Sign-In is unreachable or busy, or refused the request; try again later",
    ExitCode.CANCELLED: "the sign-in was cancelled or timed out",
    ExitCode.WRONG_PRINCIPAL: "the browser signed in as another principal than the profile belongs to; nothing changed",
    ExitCode.INTERRUPTED: "interrupted (Ctrl-C)",
}
