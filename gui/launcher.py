"""The ``aws-login-tray`` entry point.

A subcommand runs through :mod:`core.cli` without importing Qt (so
``credential-process`` and scripts start fast); the bare command, or one
with only GUI options such as ``--demo``, starts the tray app.
"""

from __future__ import annotations

import sys


def _wants_gui(argv: list[str]) -> bool:
    positional = [arg for arg in argv if not arg.startswith("-")]
    return not positional and not any(arg in ("-h", "--help", "--version") for arg in argv)


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the CLI or the GUI; returns the process exit code."""
    args = sys.argv[1:] if argv is None else argv
    if _wants_gui(args):
        from gui.app import main as gui_main

        return gui_main(args)
    from core.cli import main as cli_main

    return cli_main(args)


if __name__ == "__main__":
    sys.exit(main())
