"""The inter-process session lock is never left held by a cancelled wait."""

from __future__ import annotations

import asyncio
from pathlib import Path

import filelock
import pytest

from core.storage.locks import acquire_off_loop


def test_a_cancelled_wait_releases_the_lock_it_obtains_later(tmp_path: Path) -> None:
    path = str(tmp_path / "session.lock")
    holder = filelock.FileLock(path, thread_local=False)
    holder.acquire()
    waiter = filelock.FileLock(path, thread_local=False)
    probe = filelock.FileLock(path, thread_local=False)

    async def scenario() -> bool:
        task = asyncio.create_task(acquire_off_loop(waiter, wait_seconds=10))
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

    assert asyncio.run(scenario()), "the lock stayed held after the cancelled wait"


def test_an_uncancelled_wait_holds_the_lock(tmp_path: Path) -> None:
    lock = filelock.FileLock(str(tmp_path / "session.lock"), thread_local=False)
    asyncio.run(acquire_off_loop(lock, wait_seconds=1))
    assert lock.is_locked
    lock.release()
