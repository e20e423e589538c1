"""The ``credential_process`` line written into a session's profile, quoted for the platform that splits it."""

from __future__ import annotations

import os.path
import shlex
import subprocess
import sys

from credproc.fastpath import valid_session_id
from credproc.frozen import HELPER_EXECUTABLE, bundle_executable

ENTRY_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cli", "credproc_entry.py")
"""The stub the line runs: it wires the fast path to the CLI's slow path (a file, not a module, see its docstring)."""


def helper_words(*, python: str | None = None, frozen: bool | None = None, executable: str | None = None) -> list[str]:
    """The command that runs the fast path, before its arguments.

    From source or a wheel: the app's interpreter in isolated mode without
    ``site`` (``-I -S``) running ``cli/credproc_entry.py``. In a frozen
    bundle: the helper executable beside the app's (see :mod:`credproc.frozen`).
    """
    if getattr(sys, "frozen", False) if frozen is None else frozen:
        return [bundle_executable(HELPER_EXECUTABLE, executable)]
    # Absolute paths only: SDKs run the line from whatever directory they were started in.
    return [os.path.abspath(python or sys.executable), "-I", "-S", ENTRY_SCRIPT]


def quote_command(words: list[str], platform: str | None = None) -> str:
    """One command line that botocore splits back into ``words`` on ``platform``.

    botocore splits a ``credential_process`` line with :func:`shlex.split` on
    POSIX systems and with the Windows C runtime's rules on ``win32``, which
    is what :func:`subprocess.list2cmdline` quotes for.
    """
    if (platform or sys.platform) == "win32":
        return subprocess.list2cmdline(words)
    return " ".join(shlex.quote(word) for word in words)


def credential_process_command(
    session_id: str,
    *,
    python: str | None = None,
    home: str | None = None,
    helper: list[str] | None = None,
    platform: str | None = None,
) -> str:
    """The ``credential_process`` line for a session's profile.

    ``home`` pins the data directory (only needed when it differs from what
    :func:`credproc.fastpath.default_home` finds in the SDK's environment);
    ``helper`` and ``platform`` stand in for this installation and this OS
    (tests of the other platforms' quoting; ``home`` is then taken as given).

    Raises:
        ValueError: ``session_id`` is not a session id.
    """
    if not valid_session_id(session_id):
        raise ValueError(f"not a session id: {session_id!r}")
    words = [*(helper or helper_words(python=python)), "--session", session_id]
    if home:
        # Absolute paths only: SDKs run the line from whatever directory they were started in.
        words += ["--home", os.path.abspath(home) if platform is None else home]
    return quote_command(words, platform)
