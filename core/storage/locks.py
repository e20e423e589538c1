"""Inter-process file locks, taken without blocking the asyncio loop."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator

import filelock

from core.domain.errors import TransientServiceError
from core.storage.atomic import ensure_private_dir
from core.storage.paths import AppPaths


async def acquire_off_loop(lock: filelock.BaseFileLock, wait_seconds: float) -> None:
    """Take an inter-process lock in a worker thread without blocking the loop.

    If the waiting task is cancelled (the app quits mid-wait), the thread still
    finishes its wait; a lock it then obtains is released at once instead of
    being held until the process exits.
    """
    acquiring: asyncio.Future[object] = asyncio.ensure_future(asyncio.to_thread(lock.acquire, timeout=wait_seconds))
    try:
        await asyncio.shield(acquiring)
    except asyncio.CancelledError:

        def release_if_taken(done: asyncio.Future[object]) -> None:
            if not done.cancelled() and done.exception() is None:
                lock.release()

        acquiring.add_done_callback(release_if_taken)
        raise


@contextlib.contextmanager
def held_session_lock(paths: AppPaths, timeout: float, session_id: str) -> Iterator[None]:
    """Hold one session's inter-process lock (the one every refresher takes), blocking up to ``timeout`` seconds.

    Raises:
        TransientServiceError: another process held it for longer.
    """
    ensure_private_dir(paths.locks_dir)
    lock = filelock.FileLock(paths.session_lock(session_id), thread_local=False)
    try:
        lock.acquire(timeout=timeout)
    except filelock.Timeout:
        raise TransientServiceError(
            f"Another aws-login-tray process has been holding this session's lock for {timeout:.0f} s; "
            "try again in a moment."
        ) from None
    try:
        yield
    finally:
        lock.release()
