"""Starts :mod:`core.credproc` from a ``credential_process`` line as cheaply as possible.

``python -I -S <this file>`` would compile a script on every run; this stub is
all that gets compiled, and :mod:`core.credproc` then loads from its cached
bytecode. The directory above ``core/`` goes on ``sys.path`` by slicing
``__file__`` (no :mod:`os` import on the hot path).
"""

import sys

sys.path.append(__file__[: -len("/core/credproc_launcher.py")] or ".")

from core.credproc import main

sys.exit(main())
