"""One tray per user and data directory: a second launch hands over and exits.

The first instance holds an exclusive lock on ``locks/tray.lock`` in its data
directory for as long as it runs (the kernel drops it when the process ends,
however it ends) and listens on a Unix socket; a later launch finds the lock
taken, connects, sends ``show``, and the first instance brings its switcher
forward. Only the lock's holder creates the socket, so two launches at the
same moment cannot both become the tray, and a socket left by a crash is
replaced, never one in use.

Plain sockets rather than QtNetwork: this runs before the tray icon shows,
and QtNetwork would add about 5 ms to that and 2.5 MiB resident for good.
Where Python has no Unix sockets (Windows), the lock still keeps a second
tray from starting, but it cannot ask the first to show itself.
"""

from __future__ import annotations

import binascii
import contextlib
import logging
import os
import socket
import sys
import tempfile
from pathlib import Path
from typing import IO

from PySide6.QtCore import QObject, QSocketNotifier, Signal

from core.storage.atomic import ensure_private_dir
from core.storage.paths import AppPaths

log = logging.getLogger(__name__)

CONNECT_TIMEOUT_SECONDS = 0.5
SHOW = b"show\n"
MESSAGE_LIMIT = 64
"""Bytes read from one connection: ``show`` is all a later launch sends."""


def socket_path(paths: AppPaths) -> Path:
    """The socket of this user's tray for this data directory (short: Unix socket paths are limited)."""
    tag = binascii.crc32(str(paths.home).encode()) & 0xFFFFFFFF
    return Path(tempfile.gettempdir()) / f"aws-login-tray-{_user_tag()}-{tag:08x}.sock"


def _user_tag() -> str:
    if sys.platform == "win32":  # no uids there (untested, see docs/platforms.md)
        import getpass

        return getpass.getuser()
    return str(os.getuid())


def ask_running_instance(path: Path, message: bytes = SHOW) -> bool:
    """Send ``message`` to the tray listening on ``path``; False when none does.

    Blocks for at most :data:`CONNECT_TIMEOUT_SECONDS`; only called before the event loop starts.
    """
    if not hasattr(socket, "AF_UNIX"):
        return False
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.settimeout(CONNECT_TIMEOUT_SECONDS)
            connection.connect(str(path))
            connection.sendall(message)
    except OSError:
        return False
    return True


class InstanceLock:
    """The lock that makes this process the user's one tray for its data directory."""

    def __init__(self, lock_file: Path) -> None:
        self._lock_file = lock_file
        self._handle: IO[bytes] | None = None

    def acquire(self) -> bool:
        """Take the lock without waiting; False when another tray holds it.

        A lock file that cannot be opened (a read-only data directory) is
        logged and treated as taken by nobody: the tray runs, unguarded.
        """
        try:
            ensure_private_dir(self._lock_file.parent)
            handle = open(self._lock_file, "ab")  # noqa: SIM115 - held for the life of the process
        except OSError as exc:
            log.warning("cannot open %s (%s); a second tray would not be stopped", self._lock_file, exc.strerror)
            return True
        if not _lock_without_waiting(handle):
            handle.close()
            return False
        self._handle = handle
        return True

    def release(self) -> None:
        """Give the lock up (the process ending does the same)."""
        if self._handle is not None:
            self._handle.close()
            self._handle = None


def _lock_without_waiting(handle: IO[bytes]) -> bool:
    try:
        if sys.platform == "win32":  # untested, see docs/platforms.md
            import msvcrt

            msvcrt.locking(handle.fileno(), msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


class InstanceServer(QObject):
    """Listens for later launches on a Unix socket; emits ``show_requested``.

    Call :meth:`listen` only while holding the :class:`InstanceLock`: it
    replaces whatever is at the socket's path.
    """

    show_requested = Signal()

    def __init__(self, path: Path, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._path = path
        self._listener: socket.socket | None = None
        self._notifier: QSocketNotifier | None = None
        self._connections: dict[int, tuple[socket.socket, QSocketNotifier]] = {}

    def listen(self) -> bool:
        """Start listening; False (logged) when the socket cannot be made."""
        if not hasattr(socket, "AF_UNIX"):
            return False
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._path)  # a crashed tray's socket: the lock says nobody uses it
            listener.bind(str(self._path))
            os.chmod(self._path, 0o600)  # this user's launches only
            listener.listen(4)
            listener.setblocking(False)
        except OSError as exc:
            listener.close()
            log.warning("cannot listen on %s (%s); a second launch cannot raise this tray", self._path, exc.strerror)
            return False
        self._listener = listener
        self._notifier = QSocketNotifier(listener.fileno(), QSocketNotifier.Type.Read, self)
        self._notifier.activated.connect(self._accept)
        return True

    def close(self) -> None:
        """Stop listening and remove the socket."""
        for fd in list(self._connections):
            self._drop(fd)
        if self._listener is not None:
            assert self._notifier is not None
            self._notifier.setEnabled(False)
            self._listener.close()
            self._listener = None
            with contextlib.suppress(OSError):
                os.unlink(self._path)

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                connection, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # out of descriptors, say: the next launch tries again
                log.warning("a launch could not be accepted (%s)", exc.strerror)
                return
            self._watch(connection)

    def _watch(self, connection: socket.socket) -> None:
        connection.setblocking(False)
        fd = connection.fileno()
        notifier = QSocketNotifier(fd, QSocketNotifier.Type.Read, self)
        notifier.activated.connect(self._readable)
        self._connections[fd] = (connection, notifier)

    def _readable(self) -> None:
        notifier = self.sender()
        if not isinstance(notifier, QSocketNotifier) or int(notifier.socket()) not in self._connections:
            return
        fd = int(notifier.socket())
        connection, _ = self._connections[fd]
        try:
            data = connection.recv(MESSAGE_LIMIT)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            data = b""
        self._drop(fd)  # one message per connection
        if data.startswith(SHOW.strip()):
            self.show_requested.emit()

    def _drop(self, fd: int) -> None:
        connection, notifier = self._connections.pop(fd)
        notifier.setEnabled(False)
        notifier.deleteLater()
        connection.close()
