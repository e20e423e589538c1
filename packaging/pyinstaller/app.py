"""The frozen bundle's main executable: the tray, or a command of the CLI."""

import sys

from aws_login_tray.entry import main

sys.exit(main())
