"""Log set-up: records logged before the log file opens still reach it, in order, once."""

from __future__ import annotations

import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.domain.logs import add_log_file, hold_records


@pytest.fixture
def root_logger() -> Iterator[logging.Logger]:
    root = logging.getLogger()
    handlers, level, disabled = list(root.handlers), root.level, root.manager.disable
    root.setLevel(logging.INFO)
    logging.disable(logging.NOTSET)  # earlier tests may have quietened logging
    yield root
    for handler in root.handlers:
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    logging.disable(disabled)


def test_records_held_before_the_file_opens_are_written_first(tmp_path: Path, root_logger: logging.Logger) -> None:
    held = hold_records()
    logging.getLogger("gui.app").info("ready: 5 session(s), tray shown")
    logging.getLogger("gui.single_instance").warning("cannot listen")
    path = tmp_path / "app" / "tray.log"
    assert add_log_file(path, held)
    logging.getLogger("core.sessions.engine").info("refreshed work-admin")
    lines = path.read_text().splitlines()
    assert [line.split(": ", 1)[1] for line in lines] == [
        "ready: 5 session(s), tray shown",
        "cannot listen",
        "refreshed work-admin",
    ]
    assert held not in root_logger.handlers  # nothing is kept in memory any more
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_held_records_are_bounded(root_logger: logging.Logger) -> None:
    held = hold_records()
    for number in range(held.LIMIT + 50):
        logging.getLogger("test").info("line %d", number)
    assert len(held.records) == held.LIMIT
    root_logger.removeHandler(held)


def test_a_log_file_that_cannot_be_written_is_reported(tmp_path: Path, root_logger: logging.Logger) -> None:
    blocker = tmp_path / "app"
    blocker.write_text("a file where the directory should be")
    assert not add_log_file(blocker / "tray.log", hold_records())
