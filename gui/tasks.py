"""Background work through one helper.

:class:`TaskRunner` starts a core coroutine on the qasync loop (the Qt
thread), keeps a strong reference until it finishes (asyncio only keeps
weak ones), sends its exception to the :class:`gui.errors.ErrorPresenter`
and calls ``on_success`` with its result. Widgets never await anything
themselves.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

from gui.errors import ErrorPresenter

log = logging.getLogger(__name__)

T = TypeVar("T")


class TaskRunner:
    """Starts coroutines on the loop and routes their outcome."""

    def __init__(self, presenter: ErrorPresenter, loop: asyncio.AbstractEventLoop | None = None) -> None:
        self._presenter = presenter
        self._loop = loop
        self._tasks: set[asyncio.Task[Any]] = set()

    @property
    def pending(self) -> set[asyncio.Task[Any]]:
        """Tasks still running."""
        return set(self._tasks)

    def start(
        self,
        coro: Coroutine[Any, Any, T],
        *,
        context: str = "",
        on_success: Callable[[T], None] | None = None,
        on_done: Callable[[], None] | None = None,
        on_error: Callable[[BaseException], bool] | None = None,
    ) -> asyncio.Task[T]:
        """Run ``coro`` in the background.

        Args:
            coro: the core coroutine.
            context: a few words for error messages ("Sign in", "Refresh").
            on_success: called with the result when it succeeds.
            on_done: called afterwards in every case (to re-enable a button).
            on_error: shows a failure somewhere else (inline); returns False to leave it to the presenter.
        """
        loop = self._loop or asyncio.get_event_loop()
        task = loop.create_task(coro)
        self._tasks.add(task)

        def finished(done: asyncio.Task[T]) -> None:
            self._tasks.discard(done)
            try:
                if done.cancelled():
                    self._presenter.present(asyncio.CancelledError(), context)
                elif (exc := done.exception()) is not None:
                    if on_error is None or not on_error(exc):
                        self._presenter.present(exc, context)
                elif on_success is not None:
                    on_success(done.result())
            finally:
                if on_done is not None:
                    on_done()

        task.add_done_callback(finished)
        return task

    async def drain(self, grace: float | None = None) -> None:
        """Wait until every started task has finished (or ``grace`` seconds pass, then cancel the rest)."""
        if not self._tasks:
            return
        _done, still = await asyncio.wait(set(self._tasks), timeout=grace)
        for task in still:
            task.cancel()
        if still:
            await asyncio.wait(still)
