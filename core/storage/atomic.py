"""One way to write a file so that readers never see half of it.

Every file the app writes that another process may read at the same time
(sessions, short-lived credentials, secrets, caches) goes through
:func:`atomic_write_bytes`: a temporary file in the same directory, ``fsync``,
then ``os.replace``. By default the file is private (0600) and its
directory 0700; a file that belongs to the user rather than to the app
(``~/.aws/config``) keeps its own mode and owner and its directory is left as
the user made it. Every directory created here is 0700 whatever the umask,
and temporary files that a killed writer left behind are removed at the next
write of the same file.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import re
import stat
import sys
import threading
import time
from pathlib import Path
from typing import Any

PRIVATE_FILE_MODE = 0o600
PRIVATE_DIR_MODE = 0o700
STALE_TEMP_SECONDS = 60.0
"""A temporary file of ours this old belongs to a writer that died (a write takes milliseconds)."""
_TEMP_SUFFIX = ".tmp"


def make_private_dirs(directory: Path) -> None:
    """Create ``directory`` and its missing parents, each 0700 whatever the umask.

    ``Path.mkdir(parents=True)`` gives parents 0777 minus the umask (0777
    under umask 000). Directories that already exist are left as they are.
    """
    missing: list[Path] = []
    current = directory
    while not current.is_dir() and current.parent != current:
        missing.append(current)
        current = current.parent
    for path in reversed(missing):
        try:
            path.mkdir(mode=PRIVATE_DIR_MODE)
        except FileExistsError:
            if not path.is_dir():
                raise
            continue  # made by another process meanwhile: theirs to keep as it is
        os.chmod(path, PRIVATE_DIR_MODE)  # the umask may have taken bits away


def ensure_private_dir(directory: Path) -> None:
    """Create ``directory`` (and parents, all 0700) and make sure only the owner can enter it."""
    make_private_dirs(directory)
    if (directory.stat().st_mode & 0o777) != PRIVATE_DIR_MODE:
        os.chmod(directory, PRIVATE_DIR_MODE)


def remove_stale_temps(path: Path, *, older_than: float = STALE_TEMP_SECONDS) -> None:
    """Remove the temporary files a killed writer of ``path`` left in its directory.

    Only the names :func:`atomic_write_bytes` makes for ``path`` are touched,
    and only regular files at least ``older_than`` seconds old (0 when the
    caller holds a lock that every writer of ``path`` takes).
    """
    pattern = re.compile(re.escape(f".{path.name}.") + r"[a-z0-9_]{8}" + re.escape(_TEMP_SUFFIX))
    cutoff = time.time() - older_than
    with contextlib.suppress(OSError), os.scandir(path.parent) as entries:
        for entry in entries:
            if not pattern.fullmatch(entry.name):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if stat.S_ISREG(info.st_mode) and info.st_mtime <= cutoff:
                    os.unlink(entry.path)


def atomic_write_bytes(
    path: Path,
    data: bytes,
    *,
    mode: int | None = PRIVATE_FILE_MODE,
    keep_mode_of: Path | None = None,
    private_dir: bool = True,
    stale_temps_older_than: float = STALE_TEMP_SECONDS,
) -> None:
    """Replace ``path`` with ``data`` in one step.

    The temporary file is given its final mode (and owner) before any byte is
    written, so secrets are never readable by others, not even for a moment.

    Args:
        path: The file to replace (or create).
        data: Its new content.
        mode: Permissions of the new file. ``None`` keeps the mode of
            ``keep_mode_of`` (by default ``path`` itself) and, when running as
            root, its owner; a file that does not exist yet gets
            :data:`PRIVATE_FILE_MODE`.
        keep_mode_of: The file whose mode and owner ``mode=None`` keeps.
        private_dir: Create the directory and force it to
            :data:`PRIVATE_DIR_MODE`. ``False`` creates missing directories
            (0700) but never changes an existing one.
        stale_temps_older_than: the age in seconds from which a leftover
            temporary file of ``path`` is removed (see :func:`remove_stale_temps`).
    """
    if private_dir:
        ensure_private_dir(path.parent)
    else:
        make_private_dirs(path.parent)
    remove_stale_temps(path, older_than=stale_temps_older_than)
    template: os.stat_result | None = None
    if mode is None:
        try:
            template = (keep_mode_of or path).stat()
        except FileNotFoundError:
            template = None
        mode = stat.S_IMODE(template.st_mode) if template is not None else PRIVATE_FILE_MODE
    import tempfile  # on first write: read-only commands never load it (nor random, shutil)

    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=_TEMP_SUFFIX, dir=path.parent)
    tmp = Path(tmp_name)
    try:
        if sys.platform != "win32":  # no POSIX modes or owners there (untested, see docs/platforms.md)
            os.fchmod(fd, mode)
            if template is not None and os.geteuid() == 0 and (template.st_uid, template.st_gid) != (0, 0):
                os.fchown(fd, template.st_uid, template.st_gid)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_write_text(path: Path, text: str, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """:func:`atomic_write_bytes` for UTF-8 text."""
    atomic_write_bytes(path, text.encode("utf-8"), mode=mode)


def atomic_write_json(path: Path, payload: Any, *, mode: int = PRIVATE_FILE_MODE) -> None:
    """:func:`atomic_write_bytes` for a JSON document (indented, trailing newline)."""
    atomic_write_bytes(path, json_document(payload), mode=mode)


def json_document(payload: Any) -> bytes:
    """``json.dumps(payload, indent=2)`` and a newline, as UTF-8, byte for byte; computed quickly.

    The standard library encodes indented JSON in pure Python: for a
    ``sessions.json`` with a full history that is most of a refresh's CPU.
    orjson writes the same layout in C. Where the two could differ, the
    standard library's bytes are used: text outside printable ASCII (orjson
    writes UTF-8 and DEL as they are, ``json`` escapes them), and what orjson
    refuses (a key that is not text, an integer beyond 64 bits, a lone
    surrogate). The app's documents hold no floats; one would be written in
    its shortest form (``1e16``, not ``1e+16``: the same number).
    """
    import orjson  # on first write: read-only commands never load it

    try:
        data = orjson.dumps(payload, option=orjson.OPT_INDENT_2 | orjson.OPT_APPEND_NEWLINE)
    except TypeError:  # (orjson.JSONEncodeError is a TypeError)
        data = None
    if data is not None and data.isascii() and b"\x7f" not in data:
        return data
    return (json.dumps(payload, indent=2) + "\n").encode("utf-8")


def read_regular_file(path: Path, *, limit: int = 16 * 1024 * 1024) -> bytes:
    """The bytes of ``path``, refusing anything but a regular file of at most ``limit`` bytes.

    A FIFO or device where a state file should be would block a plain
    ``open`` forever (or stream without end): it is opened without blocking
    and refused.

    Raises:
        FileNotFoundError: there is no such file.
        OSError: it cannot be read, is not a regular file, or is too large
            (``strerror`` says which; ``filename`` names it).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError(errno.EINVAL, "not a regular file (a directory, FIFO or device)", str(path))
        if info.st_size > limit:
            raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise OSError(errno.EFBIG, f"larger than {limit} bytes", str(path))
        return b"".join(chunks)
    finally:
        os.close(fd)


def probe_writable(directory: Path) -> None:
    """Check that a file can be created, written and synced in ``directory`` (made private if missing).

    Catches a read-only or full file system before a refresh token that could
    not be stored is spent. Callers that overlap share a probe, as writers
    share a group commit: one that arrives while a probe of the directory runs
    waits, and takes the outcome of the next probe, which starts after it
    asked (five refreshes at once write two probes, not five).

    Raises:
        OSError: it cannot.
    """
    gate = _probe_gate(directory)
    asked_after = gate.started
    with gate.running:
        if gate.started == asked_after:  # no probe started since we asked: run one
            gate.started += 1
            try:
                _probe_once(directory)
            except OSError as exc:
                gate.failure = exc
                raise
            gate.failure = None
        elif gate.failure is not None:  # a probe that started after we asked failed
            failure = gate.failure
            raise OSError(failure.errno, failure.strerror, failure.filename)


class _ProbeGate:
    """One directory's probes: one runs at a time; ``started`` counts them."""

    def __init__(self) -> None:
        self.running = threading.Lock()
        self.started = 0
        self.failure: OSError | None = None


_probe_gates: dict[Path, _ProbeGate] = {}
_probe_gates_guard = threading.Lock()


def _probe_gate(directory: Path) -> _ProbeGate:
    with _probe_gates_guard:
        return _probe_gates.setdefault(directory, _ProbeGate())


def _probe_once(directory: Path) -> None:
    ensure_private_dir(directory)
    remove_stale_temps(directory / "probe")  # what a probe killed before its unlink left
    import tempfile

    fd, name = tempfile.mkstemp(prefix=".probe.", suffix=_TEMP_SUFFIX, dir=directory)
    try:
        os.write(fd, b"\0" * 512)
        os.fsync(fd)
    finally:
        os.close(fd)
        os.unlink(name)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable (best effort: not every platform allows it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
