"""The frozen bundle's ``credential_process`` helper: its own small executable, with the full app as slow path.

A frozen app cannot run ``python -I -S``; what keeps the helper fast there is
a separate executable built from :mod:`credproc` alone (no runtime hooks, a
tiny archive). When the credentials are missing or about to run out, it runs
the bundle's main executable (``aws-login-tray credential-process ...``),
which refreshes under the session's lock and prints the new document; its
stderr (the sentence saying what to do) passes straight through.
"""

import sys

from credproc.fastpath import CredentialProcessError, _loads

APP_EXECUTABLE = "aws-login-tray"
HELPER_EXECUTABLE = "aws-login-tray-credential-process"


def bundle_executable(name: str, executable: str | None = None) -> str:
    """The path of ``name`` beside ``executable`` (default: this process's), with ``.exe`` on Windows."""
    import os.path

    suffix = ".exe" if sys.platform == "win32" else ""
    return os.path.join(os.path.dirname(executable or sys.executable), name + suffix)


def refresh_with_full_app(home: str, session_id: str) -> dict[str, object]:
    """Run the bundle's main executable for this session and return the document it printed.

    Raises:
        CredentialProcessError: the app failed (it has said why on stderr) or printed no document.
    """
    import subprocess

    from credproc.exitcodes import ExitCode

    app = bundle_executable(APP_EXECUTABLE)
    done = subprocess.run(  # noqa: S603 - the bundle's own executable; the session id is validated
        [app, "credential-process", "--session", session_id, "--home", home],
        stdout=subprocess.PIPE,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    if done.returncode != 0:
        known = {code.value: code.name for code in ExitCode}
        raise CredentialProcessError("", known.get(done.returncode, "FAILURE"))
    try:
        document = _loads(done.stdout.decode("utf-8"))
    except ValueError:
        document = None
    if not isinstance(document, dict):
        raise CredentialProcessError(f"{app} printed no credentials.", "FAILURE")
    return document


def main() -> int:
    """The helper executable's entry point."""
    from credproc.fastpath import main as fast_path

    return fast_path(slow_path=refresh_with_full_app)
