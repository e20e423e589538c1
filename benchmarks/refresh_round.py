"""Refresh rounds inside the tray app: how long the Qt event loop stalls, and what concurrency costs.

Run by :mod:`benchmarks.live_tray` as ``python -m benchmarks.refresh_round ROUNDS [--no-stalls]``
in a home with five live sessions (the emulator running) on a private X display. It builds
the tray app as ``aws-login-tray`` does (:class:`gui.app.TrayApp` over the
real session manager), waits until its icon shows and its switcher exists,
then, on the app's own event loop:

* stall: a precise 2 ms Qt timer records how late each tick fires, while
  all five sessions are refreshed at once (what "Refresh now" on each does,
  the same engine path as a background round); the longest lateness of each
  round is kept. The first round also loads the SDK: it is reported apart.
* concurrency: alternately, one refresh alone and five at once, wall time
  (``ROUNDS`` pairs after a warm-up pair, which also loads the SDK).

``--no-stalls`` measures concurrency alone (for an emulator that models a
network, where stalls are not the question). It prints one JSON document on
stdout.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Awaitable, Callable

from PySide6.QtCore import QElapsedTimer, Qt, QTimer
from PySide6.QtWidgets import QApplication

TICK_MS = 2


class LateTickProbe:
    """A Qt timer that records how late its ticks fire; lateness is time the event loop was busy."""

    def __init__(self) -> None:
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(TICK_MS)
        self._timer.timeout.connect(self._tick)
        self._last = 0
        self.worst_ms = 0.0

    def _tick(self) -> None:
        now = self._clock.nsecsElapsed()
        self.worst_ms = max(self.worst_ms, (now - self._last) / 1e6 - TICK_MS)
        self._last = now

    def start(self) -> None:
        self.worst_ms = 0.0
        self._clock.start()
        self._last = self._clock.nsecsElapsed()
        self._timer.start()

    def stop(self) -> float:
        self._timer.stop()
        self._tick()  # a stall at the very end counts too
        return self.worst_ms


async def _timed(work: Callable[[], Awaitable[object]]) -> float:
    start = time.perf_counter()
    await work()
    return time.perf_counter() - start


async def measure(app: object, rounds: int, *, stalls: bool = True) -> dict[str, object]:
    from gui.app import TrayApp

    assert isinstance(app, TrayApp)
    service = app.service
    for _ in range(200):  # the icon shows within the first turns of the loop
        if app.tray.tray.isVisible():
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(1.5)  # the app finishes its post-start work (the switcher)
    ids = [session.id for session in service.sessions()]
    if len(ids) != 5:
        raise RuntimeError(f"expected five sessions, found {len(ids)}")

    async def refresh_all() -> None:
        await asyncio.gather(*(service.refresh(sid) for sid in ids))

    figures = await _stalls(refresh_all, rounds) if stalls else {}
    return figures | await _concurrency(service.refresh, refresh_all, ids, rounds)


async def _stalls(refresh_all: Callable[[], Awaitable[object]], rounds: int) -> dict[str, object]:
    probe = LateTickProbe()

    async def stalled_round() -> float:
        probe.start()
        await refresh_all()
        await asyncio.sleep(0.1)  # events queued by the round are handled inside the window
        return probe.stop()

    probe.start()
    await asyncio.sleep(1.0)
    idle_stall = probe.stop()
    first_stall = await stalled_round()
    stalls = [await stalled_round() for _ in range(rounds)]
    return {
        "idle_stall_ms": idle_stall,
        "first_round_stall_ms": first_stall,
        "round_stall_ms": statistics.median(stalls),
        "round_stall_max_ms": max(stalls),
    }


async def _concurrency(
    refresh: Callable[[str], Awaitable[object]],
    refresh_all: Callable[[], Awaitable[object]],
    ids: list[str],
    rounds: int,
) -> dict[str, object]:
    one: list[float] = []
    five: list[float] = []
    for index in range(rounds + 1):  # the first pair is a warm-up
        chosen = ids[index % 5]
        single = await _timed(lambda: refresh(chosen))  # noqa: B023 - awaited in this iteration
        together = await _timed(refresh_all)
        if index:
            one.append(single)
            five.append(together)
    return {
        "one_refresh_s": statistics.median(one),
        "five_refreshes_s": statistics.median(five),
    }


def main(rounds: int, *, stalls: bool = True) -> int:
    from core.storage.paths import AppPaths
    from gui.app import TrayApp, make_event_loop, make_session_manager
    from gui.errors import ErrorPresenter
    from gui.icons import IconSet

    qapp = QApplication(["aws-login-tray"])
    qapp.setQuitOnLastWindowClosed(False)
    loop = make_event_loop(qapp)  # the tray's own loop and worker threads
    asyncio.set_event_loop(loop)

    def refuse_browser(url: str) -> None:
        raise RuntimeError("no sign-in expected here")

    async def refuse_code(url: str) -> str:
        raise RuntimeError("no sign-in expected here")

    with loop:
        presenter = ErrorPresenter()
        presenter.set_sink(lambda title, text: print(f"{title}: {text}", file=sys.stderr))
        service = make_session_manager(
            AppPaths.from_environment(), open_browser=refuse_browser, code_prompt=refuse_code
        )
        app = TrayApp(service, presenter=presenter, icons=IconSet(), tray_available=True)
        running = loop.create_task(app.run(use_dbus_notifications=False))

        async def go() -> dict[str, object]:
            try:
                return await measure(app, rounds, stalls=stalls)
            finally:
                app.quit()
                await running

        figures = loop.run_until_complete(go())
    print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    arguments = [argument for argument in sys.argv[1:] if argument != "--no-stalls"]
    sys.exit(main(int(arguments[0]) if arguments else 5, stalls="--no-stalls" not in sys.argv))
