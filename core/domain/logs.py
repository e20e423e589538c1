"""Logging set-up shared by the CLI, the agent and the tray.

botocore and urllib3 log whole request bodies and headers at DEBUG level:
for the sign-in service those carry refresh tokens, authorization codes and
DPoP proofs. They stay at WARNING even with ``--debug``; our own modules log
events and reasons, never secrets.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import TextIO

SECRET_BEARING_LOGGERS = ("botocore", "boto3", "urllib3", "s3transfer", "awscrt")


LOG_FILE_BYTES = 1_000_000
"""A log file is rotated at this size, keeping one old copy."""
LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_logging(*, debug: bool, stream: TextIO, default_level: int = logging.WARNING) -> None:
    """Send log records to ``stream``: DEBUG with ``debug``, else ``default_level``."""
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else default_level)
    for name in SECRET_BEARING_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)


class HeldRecords(logging.Handler):
    """Keeps log records in memory until the log file is open, so the file misses none of them.

    The tray opens its log file after its icon shows: the rotating handler's
    module (with ``socket``, ``pickle`` and ``queue``) is not worth loading
    before that.
    """

    LIMIT = 1000
    """Records kept at most (a start logs a handful)."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if len(self.records) < self.LIMIT:
            self.records.append(record)


def hold_records() -> HeldRecords:
    """Keep what is logged from now on for :func:`add_log_file`."""
    held = HeldRecords()
    logging.getLogger().addHandler(held)
    return held


def add_log_file(path: Path, held: HeldRecords | None = None) -> bool:
    """Also write the log to ``path`` (0600, rotated at 1 MB); False when it cannot be written.

    ``held`` records (see :func:`hold_records`) are written first, and no longer kept.
    """
    if held is not None:
        logging.getLogger().removeHandler(held)
    from logging.handlers import RotatingFileHandler

    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.touch(mode=0o600, exist_ok=True)
        os.chmod(path, 0o600)
        handler = RotatingFileHandler(path, maxBytes=LOG_FILE_BYTES, backupCount=1, encoding="utf-8")
    except OSError:
        logging.getLogger(__name__).warning("cannot write the log file %s", path)
        return False
    handler.setFormatter(logging.Formatter(LOG_FORMAT))
    for record in held.records if held is not None else ():
        handler.handle(record)
    logging.getLogger().addHandler(handler)
    return True
