"""Inter-process file locks, taken without blocking the asyncio loop."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from core.domain.errors import LoginTrayError, TransientServiceError
from core.storage.atomic import ensure_private_dir
from core.storage.paths import AppPaths

if TYPE_CHECKING:
    import filelock

Taken = TypeVar("Taken")
Result = TypeVar("Result")


async def acquire_off_loop(lock: filelock.BaseFileLock, wait_seconds: float) -> None:
    """Take an inter-process lock in a worker thread without blocking the loop.

    If the waiting task is cancelled (the app quits mid-wait), the thread still
    finishes its wait; a lock it then obtains is released at once instead of
    being held until the process exits.
    """

    def take() -> filelock.BaseFileLock:
        lock.acquire(timeout=wait_seconds)
        return lock

    await _take_off_loop(take, lambda taken: taken)


async def _take_off_loop(take: Callable[[], Taken], held_by: Callable[[Taken], filelock.BaseFileLock | None]) -> Taken:
    """Run ``take`` in a worker thread; if the waiting task is cancelled, release the lock it took (``held_by``)."""
    import asyncio  # here: the CLI's read-only commands never load it

    taking: asyncio.Future[Taken] = asyncio.ensure_future(asyncio.to_thread(take))
    try:
        return await asyncio.shield(taking)
    except asyncio.CancelledError:

        def release_if_taken(done: asyncio.Future[Taken]) -> None:
            if not done.cancelled() and done.exception() is None and (lock := held_by(done.result())) is not None:
                lock.release()

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

    Returns:
        The held lock, or None when another process held it for ``wait_seconds``.
    """
    held = await run_under_session_lock(paths, session_id, wait_seconds, lambda: None)
    return None if held is None else held[0]


async def run_under_session_lock(
    paths: AppPaths, session_id: str, wait_seconds: float, first: Callable[[], Result]
) -> tuple[filelock.BaseFileLock, Result] | None:
    """Take one session's lock and run ``first`` holding it, in one worker-thread hop (a refresh does this each time).

    Returns:
        The held lock (the caller releases it) and what ``first`` returned; None
        when another process held the lock for ``wait_seconds``.

    Raises:
        Whatever ``first`` raises, after releasing the lock.
    """

    def take_then_run() -> tuple[filelock.BaseFileLock, Result] | None:
        import filelock

        lock = session_file_lock(paths, session_id)
        try:
            lock.acquire(timeout=wait_seconds)
        except filelock.Timeout:
            return None
        try:
            return lock, first()
        except BaseException:
            lock.release()
            raise

    return await _take_off_loop(take_then_run, lambda held: None if held is None else held[0])


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
