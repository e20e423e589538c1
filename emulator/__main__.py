"""``python -m emulator``: run the AWS Sign-In stand-in until SIGINT/SIGTERM."""

from emulator.app import main

raise SystemExit(main())
