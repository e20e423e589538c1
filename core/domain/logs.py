"""Logging set-up shared by the CLI, the agent and the tray.

botocore and urllib3 log whole request bodies and headers at DEBUG level:
for the sign-in service those carry refresh tokens, authorization codes and
DPoP proofs. They stay at WARNING even with ``--debug``; our own modules log
events and reasons, never secrets.
"""

from __future__ import annotations

import logging
from typing import TextIO

SECRET_BEARING_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "awscrt")


def configure_logging(*, debug: bool, stream: TextIO, default_level: int = logging.WARNING) -> None:
    """Send log records to ``stream``: DEBUG with ``debug``, else ``default_level``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else default_level)
    for name in SECRET_BEARING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
