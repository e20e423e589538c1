"""``aws-login-tray``: which front end runs, decided from the first word.

=========================  =================================================
``aws-login-tray``         the tray (:func:`gui.launch.main`)
``aws-login-tray gui ...`` the tray, with its options (``--demo``, ``--debug``)
``aws-login-tray CMD ...`` a command of the CLI (:func:`cli.main.main`)
``--help``, ``--version``  the CLI's help, which lists ``gui`` and its options
=========================  =================================================

The CLI never imports Qt, so scripts and ``credential-process`` start fast;
``~/.aws/config`` runs the ``credential_process`` fast path directly
(``cli/credproc_entry.py``), not through here.
"""

from __future__ import annotations

import sys

GUI_COMMAND = "gui"


def _first_word(argv: list[str]) -> str | None:
    return next((arg for arg in argv if not arg.startswith("-")), None)


def main(argv: list[str] | None = None) -> int:
    """Run the tray or one CLI command; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    command = _first_word(args)
    wants_help = any(arg in ("-h", "--help", "--version") for arg in args)
    if (command == GUI_COMMAND and not wants_help) or (command is None and not wants_help):
        from gui.launch import main as run_tray

        return run_tray([arg for arg in args if arg != GUI_COMMAND])
    from cli.main import main as run_command

    return run_command(args)
