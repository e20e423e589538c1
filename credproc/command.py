"""The ``credential_process`` line written into a session's profile."""

from __future__ import annotations

import os.path
import shlex
import subprocess
import sys

from credproc.fastpath import valid_session_id

ENTRY_SCRIPT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "cli", "credproc_entry.py")
"""The stub the line runs: it wires the fast path to the CLI's slow path (a file, not a module, see its docstring)."""


def credential_process_command(session_id: str, *, python: str | None = None, home: str | None = None) -> str:
    """The ``credential_process`` line for a session's profile.

    It runs ``cli/credproc_entry.py`` with the app's interpreter in isolated
    mode without ``site`` (``-I -S``), which is what keeps every SDK call
    cheap. ``home`` pins the data directory (only needed when it differs from
    what :func:`credproc.fastpath.default_home` finds in the SDK's environment).

    Raises:
        ValueError: ``session_id`` is not a session id.
    """
    if not valid_session_id(session_id):
        raise ValueError(f"not a session id: {session_id!r}")
    # Absolute paths only: SDKs run the line from whatever directory they were started in.
    words = [os.path.abspath(python or sys.executable), "-I", "-S", ENTRY_SCRIPT, "--session", session_id]
    if home:
        words += ["--home", os.path.abspath(home)]
    if sys.platform == "win32":  # pragma: no cover
        return subprocess.list2cmdline(words)
    return " ".join(shlex.quote(word) for word in words)
