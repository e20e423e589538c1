import sys

from aws_login_tray.entry import main

sys.exit(main())
