"""Inter-process file locks, taken without blocking the asyncio loop."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from core.domain.errors import LoginTrayError, TransientServiceError
from core.storage.atomic import ensure_private_dir
from core.storage.paths import AppPaths

if TYPE_CHECKING:
    import filelock


async def acquire_off_loop(lock: filelock.BaseFileLock, wait_seconds: float) -> None:
    """Take an inter-process lock in a worker thread without blocking the loop.

    If the waiting task is cancelled (the app quits mid-wait), the thread still
    finishes its wait; a lock it then obtains is released at once instead of
    being held until the process exits.
    """

    def take() -> filelock.BaseFileLock:
        lock.acquire(timeout=wait_seconds)
        return lock

    await _take_off_loop(take)


async def _take_off_loop(take: Callable[[], filelock.BaseFileLock | None]) -> filelock.BaseFileLock | None:
    """Run ``take`` (which returns the lock it took, if any) in a worker thread; on cancellation, release it."""
    import asyncio  # here: the CLI's read-only commands never load it

    taking: asyncio.Future[filelock.BaseFileLock | None] = asyncio.ensure_future(asyncio.to_thread(take))
    try:
        return await asyncio.shield(taking)
    except asyncio.CancelledError:

        def release_if_taken(done: asyncio.Future[filelock.BaseFileLock | None]) -> None:
            if not done.cancelled() and done.exception() is None and (taken := done.result()) is not None:
                taken.release()

        taking.add_done_callback(release_if_taken)
        raise


def file_lock(lock_file: Path) -> filelock.BaseFileLock:
    """The (not yet taken) inter-process lock ``lock_file``, in a private directory.

    ``thread_local=False``: a lock taken in a worker thread may be released from another.
    """
    import filelock  # deferred: ~20 ms to import, not needed until something is refreshed or written

    ensure_private_dir(lock_file.parent)
    return filelock.FileLock(lock_file, thread_local=False)


def session_file_lock(paths: AppPaths, session_id: str) -> filelock.BaseFileLock:
    """The (not yet taken) inter-process lock of one session."""
    return file_lock(paths.session_lock(session_id))


@contextlib.contextmanager
def held_file_lock(
    lock_file: Path,
    timeout: float,
    *,
    timed_out: Callable[[], LoginTrayError],
    unavailable: Callable[[OSError], LoginTrayError] | None = None,
) -> Iterator[None]:
    """Hold the inter-process lock ``lock_file``, waiting up to ``timeout`` seconds (blocking).

    Raises:
        LoginTrayError: ``timed_out()`` when another process held it that long;
            ``unavailable(exc)`` when the lock file cannot be created (without
            ``unavailable`` the OSError itself).
    """
    import filelock

    try:
        lock = file_lock(lock_file)
        lock.acquire(timeout=timeout)
    except filelock.Timeout:  # before OSError: Timeout is a TimeoutError
        raise timed_out() from None
    except OSError as exc:
        if unavailable is None:
            raise
        raise unavailable(exc) from None
    try:
        yield
    finally:
        lock.release()


async def acquire_session_lock(paths: AppPaths, session_id: str, wait_seconds: float) -> filelock.BaseFileLock | None:
    """Take one session's lock without blocking the loop (the first call also imports the lock library off it).

    Making the lock and taking it share one worker-thread hop (a refresh takes this lock every time).

    Returns:
        The held lock, or None when another process held it for ``wait_seconds``.
    """

    def take() -> filelock.BaseFileLock | None:
        import filelock

        lock = session_file_lock(paths, session_id)
        try:
            lock.acquire(timeout=wait_seconds)
        except filelock.Timeout:
            return None
        return lock

    return await _take_off_loop(take)


@contextlib.contextmanager
def held_session_lock(paths: AppPaths, timeout: float, session_id: str) -> Iterator[None]:
    """Hold one session's inter-process lock (the one every refresher takes), blocking up to ``timeout`` seconds.

    Raises:
        TransientServiceError: another process held it for longer.
    """
    with held_file_lock(
        paths.session_lock(session_id),
        timeout,
        timed_out=lambda: TransientServiceError(
            f"Another aws-login-tray process has been holding this session's lock for {timeout:.0f} s; "
            "try again in a moment."
        ),
    ):
        yield
