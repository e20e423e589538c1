"""The inter-process session lock is never left held by a cancelled wait."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import filelock
import pytest

from core.storage.locks import acquire_off_loop, acquire_session_lock, run_under_session_lock, session_file_lock
from core.storage.paths import AppPaths


def _released_after_a_cancelled_wait(
    wait: Callable[[], Awaitable[object]], holder: filelock.BaseFileLock, probe: filelock.BaseFileLock
) -> bool:
    """Cancel ``wait`` while ``holder`` holds the lock, then release it: can ``probe`` take the lock soon after?"""

    async def scenario() -> bool:
        task = asyncio.ensure_future(wait())
        await asyncio.sleep(0.1)  # the worker thread is now waiting on the holder
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        holder.release()  # the thread now gets the lock ... and must give it back
        for _ in range(300):
            await asyncio.sleep(0.01)
            try:
                probe.acquire(timeout=0)
            except filelock.Timeout:
                continue
            probe.release()
            return True
        return False

    return asyncio.run(scenario())


def test_a_cancelled_wait_releases_the_lock_it_obtains_later(tmp_path: Path) -> None:
    path = str(tmp_path / "session.lock")
    holder = filelock.FileLock(path, thread_local=False)
    holder.acquire()
    waiter = filelock.FileLock(path, thread_local=False)
    probe = filelock.FileLock(path, thread_local=False)
    released = _released_after_a_cancelled_wait(lambda: acquire_off_loop(waiter, wait_seconds=10), holder, probe)
    assert released, "the lock stayed held after the cancelled wait"


def test_an_uncancelled_wait_holds_the_lock(tmp_path: Path) -> None:
    lock = filelock.FileLock(str(tmp_path / "session.lock"), thread_local=False)
    asyncio.run(acquire_off_loop(lock, wait_seconds=1))
    assert lock.is_locked
    lock.release()


def test_a_cancelled_wait_for_a_session_lock_releases_it_once_obtained(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "app", tmp_path / "config", tmp_path / "cache")
    session_id = "ab" * 32
    holder = session_file_lock(paths, session_id)
    holder.acquire()
    probe = session_file_lock(paths, session_id)
    released = _released_after_a_cancelled_wait(
        lambda: acquire_session_lock(paths, session_id, wait_seconds=10), holder, probe
    )
    assert released, "the session lock stayed held after the cancelled wait"


def test_a_session_lock_held_elsewhere_for_the_whole_wait_is_none(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "app", tmp_path / "config", tmp_path / "cache")
    holder = session_file_lock(paths, "cd" * 32)
    holder.acquire()
    try:
        assert asyncio.run(acquire_session_lock(paths, "cd" * 32, wait_seconds=0.05)) is None
    finally:
        holder.release()
    taken = asyncio.run(acquire_session_lock(paths, "cd" * 32, wait_seconds=1))
    assert taken is not None
    assert taken.is_locked
    taken.release()


def test_the_first_step_runs_holding_the_session_lock(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "app", tmp_path / "config", tmp_path / "cache")
    outsider = session_file_lock(paths, "ef" * 32)

    def first() -> bool:
        try:
            outsider.acquire(timeout=0)
        except filelock.Timeout:
            return True  # held by the caller, as it should be
        outsider.release()
        return False

    held = asyncio.run(run_under_session_lock(paths, "ef" * 32, 1, first))
    assert held is not None
    lock, held_during_first = held
    assert held_during_first
    assert lock.is_locked
    lock.release()


def test_a_failing_first_step_gives_the_session_lock_back(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "app", tmp_path / "config", tmp_path / "cache")

    def first() -> None:
        raise OSError("the disk went away")

    with pytest.raises(OSError, match="went away"):
        asyncio.run(run_under_session_lock(paths, "ef" * 32, 1, first))
    probe = session_file_lock(paths, "ef" * 32)
    probe.acquire(timeout=0)  # free again
    probe.release()
