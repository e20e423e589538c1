"""One tray per user and data directory: the lock decides, the socket hands over."""

from __future__ import annotations

import socket
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication
from pytestqt.qtbot import QtBot

from core.storage.paths import AppPaths
from gui.single_instance import InstanceLock, InstanceServer, ask_running_instance, socket_path


@pytest.fixture
def server(isolated_home: Path, qapp: object) -> Iterator[InstanceServer]:
    listening = InstanceServer(socket_path(AppPaths.from_environment()))
    assert listening.listen()
    yield listening
    listening.close()


def test_a_second_lock_on_the_same_data_directory_is_refused_until_the_first_goes(isolated_home: Path) -> None:
    lock_file = AppPaths.from_environment().locks_dir / "tray.lock"
    first, second = InstanceLock(lock_file), InstanceLock(lock_file)
    assert first.acquire()
    assert not second.acquire()
    first.release()
    assert second.acquire()
    second.release()
    assert stat.S_IMODE(lock_file.parent.stat().st_mode) == 0o700


def test_a_later_launch_asks_the_first_to_show(qtbot: QtBot, server: InstanceServer) -> None:
    with qtbot.waitSignal(server.show_requested, timeout=5000):
        assert ask_running_instance(socket_path(AppPaths.from_environment()))
        QCoreApplication.processEvents()


def test_nobody_listening_is_reported(isolated_home: Path) -> None:
    assert not ask_running_instance(socket_path(AppPaths.from_environment()))


def test_the_socket_is_private_and_removed_on_close(isolated_home: Path, qapp: object) -> None:
    path = socket_path(AppPaths.from_environment())
    listening = InstanceServer(path)
    assert listening.listen()
    assert stat.S_ISSOCK(path.stat().st_mode)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    listening.close()
    assert not path.exists()


def test_a_crashed_trays_socket_is_replaced(qtbot: QtBot, isolated_home: Path, qapp: object) -> None:
    path = socket_path(AppPaths.from_environment())
    leftover = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    leftover.bind(str(path))  # bound, never unlinked: what a killed tray leaves
    leftover.close()
    assert not ask_running_instance(path)
    listening = InstanceServer(path)
    try:
        assert listening.listen()
        with qtbot.waitSignal(listening.show_requested, timeout=5000):
            assert ask_running_instance(path)
    finally:
        listening.close()


def test_other_messages_are_ignored(qtbot: QtBot, server: InstanceServer) -> None:
    shown: list[bool] = []
    server.show_requested.connect(lambda: shown.append(True))
    path = socket_path(AppPaths.from_environment())
    assert ask_running_instance(path, b"GET / HTTP/1.1\r\n\r\n")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as silent:
        silent.connect(str(path))  # connects and says nothing
    with qtbot.waitSignal(server.show_requested, timeout=5000):
        assert ask_running_instance(path)  # still answering after both
    assert shown == [True]
