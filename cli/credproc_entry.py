"""The script a ``credential_process`` line runs: the fast path, with the CLI's refresh as its slow path.

``python -I -S <this file>`` compiles only this stub on every run;
:mod:`credproc.fastpath` then loads from its cached bytecode. The directory
above ``cli/`` goes on ``sys.path`` by slicing ``__file__`` (no :mod:`os`
import on the hot path). The app itself is imported only by the slow path,
when the credentials are missing or about to run out.
"""

import sys

sys.path.append(__file__[: -len("/cli/credproc_entry.py")] or ".")

from credproc.fastpath import main


def _refresh_on_the_spot(home: str, session_id: str) -> dict[str, object]:
    """Load the app (outside the hot path) and refresh the session under its lock."""
    if "site" not in sys.modules:  # -S: site-packages are not on sys.path yet
        import site

        site.main()
    from cli.credential_process import refresh_for_credential_process

    return refresh_for_credential_process(home, session_id)


if __name__ == "__main__":
    sys.exit(main(slow_path=_refresh_on_the_spot))
