"""One tray per user (and per data directory): a second launch hands over and exits.

The first instance listens on a QLocalServer; a later launch connects,
sends ``show``, and the first instance brings its switcher forward.
"""

from __future__ import annotations

import hashlib
import os
import sys

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from core.storage.paths import AppPaths

CONNECT_TIMEOUT_MS = 500


def server_name(paths: AppPaths) -> str:
    """A socket name unique to this user and data directory."""
    digest = hashlib.sha256(str(paths.home).encode()).hexdigest()[:12]
    return f"aws-login-tray-{_user_tag()}-{digest}"


def _user_tag() -> str:
    if sys.platform == "win32":  # no uids there (untested, see docs/platforms.md)
        import getpass

        return getpass.getuser()
    return str(os.getuid())


def ask_running_instance(name: str, message: bytes = b"show\n") -> bool:
    """Send ``message`` to a running instance; False when none listens.

    Blocks for at most a second; only called before the event loop starts.
    """
    socket = QLocalSocket()
    socket.connectToServer(name)
    if not socket.waitForConnected(CONNECT_TIMEOUT_MS):
        return False
    socket.write(message)
    socket.flush()
    socket.waitForBytesWritten(CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
        socket.waitForDisconnected(CONNECT_TIMEOUT_MS)
    return True


class InstanceServer(QObject):
    """Listens for later launches; emits ``show_requested``."""

    show_requested = Signal()

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)

    def listen(self) -> bool:
        """Start listening, replacing a socket left behind by a crashed instance."""
        if self._server.listen(self._name):
            return True
        QLocalServer.removeServer(self._name)
        return self._server.listen(self._name)

    def close(self) -> None:
        """Stop listening."""
        self._server.close()

    def _accept(self) -> None:
        while (socket := self._server.nextPendingConnection()) is not None:
            socket.readyRead.connect(self._ready_read)
            socket.disconnected.connect(socket.deleteLater)
            if socket.bytesAvailable():
                self._read(socket)

    def _ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        data = bytes(socket.readAll().data())
        if b"show" in data:
            self.show_requested.emit()
