"""The frozen bundle's ``credential_process`` helper: the stdlib-only fast path in its own small executable."""

import sys

from credproc.frozen import main

sys.exit(main())
