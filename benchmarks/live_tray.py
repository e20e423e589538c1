"""The tray app with five live sessions: start-up, memory, CPU, event-loop stalls, concurrency, ``list``.

Every figure is taken in a temporary home with five sessions signed in
against the emulator on 127.0.0.1 (:mod:`benchmarks.live_sessions`), on a
private X display with a tray host (:mod:`benchmarks.gui_startup`), and
compared with a baseline measured in the same run:

* start until the icon shows, and resident memory after 30 s idle: against a
  bare PySide6 tray app (icon + menu);
* CPU over 10 minutes with the credentials renewed as usual (every 6 minutes
  for AWS's 15-minute credentials, i.e. 5 x 600 / 360 = 8.3 refreshes). Ten
  minutes are not waited for; the figure is built from two measurements:

  - idle CPU per second, between refreshes (10 s to 30 s after the icon shows),
  - CPU per refresh: the tray runs against an emulator granting 60-second
    credentials, so the engine renews every session every 24 s on its own
    (same code path, same work); after its first round (which loads the SDK
    once per process) CPU is counted over two more rounds, the idle share is
    subtracted and the rest divided by the token requests the emulator saw;

  CPU(10 min) = idle CPU per second x 600 + CPU per refresh x 8.3. With no
  session it is idle CPU per second x 600;
* resident memory at the end of those rounds: a tray that has refreshed has
  loaded the AWS SDK, which the 30-s idle figure does not include; and what
  the counted rounds added to it, where a leak would show (both reported);
* idle memory is also compared with the floor the architecture sets: the
  bare app plus ``asyncio`` and a ``qasync.QEventLoop`` running idle;
* the longest Qt event-loop stall during a refresh round of all five
  (:mod:`benchmarks.refresh_round`, inside the tray app), against the
  emulator on 127.0.0.1 as is: no network wait, the worst case for stalls;
* the wall time of five concurrent refreshes against one, twice:

  - at loopback (reported, no goal): a refresh waits for nothing there, so it
    is almost all client CPU under one GIL, and five need about five times
    the CPU of one; there is no wait to overlap;
  - with the emulator modelling a network (``--latency-ms`` :data:`LATENCY_MS`),
    where the goal applies: it asks whether five refreshes overlap their
    waits instead of running one after another;

* ``aws-login-tray list`` against ``python -I -S -c pass``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks.gui_startup import (
    cpu_seconds,
    desktop_env,
    launch,
    measure_trays,
    private_display,
    rss_mb,
    stop,
    tray_program,
)
from benchmarks.harness import Result, time_commands
from benchmarks.live_sessions import emulator_tokens, live_home

USUAL_TTL = 900
"""AWS's credential lifetime, seconds."""
USUAL_PERIOD = USUAL_TTL * 0.4
"""The engine renews 900-s credentials when 540 s remain: every 360 s."""
FAST_TTL = 60
"""The compressed lifetime of the CPU-per-refresh run: a round every 24 s."""
TEN_MINUTES = 600.0
SESSIONS = 5
LATENCY_MS = 60
"""What the network adds to one refresh for a user near their Region: three round trips of 20 ms.

A background refresh comes 6 minutes after the last, by when the keep-alive
connection has closed: a TCP handshake, a TLS handshake and the request
itself, one round trip each. No time is assumed for the service itself.
"""


def _requests(env: dict[str, str]) -> int:
    count = emulator_tokens(env)["requests"]
    assert isinstance(count, int)
    return count


@dataclass(frozen=True)
class RefreshCost:
    """What background refresh rounds cost the tray."""

    cpu_per_refresh: float
    """CPU seconds per refresh, idle share subtracted."""
    refreshes: int
    """Refreshes counted."""
    rss_after_mb: float
    """Resident memory at the end: the state of a tray that has refreshed (the AWS SDK loaded)."""
    rss_growth_mb: float
    """Resident memory gained over the counted rounds (after the first): what a day of rounds would add to."""


def refresh_cost(display: str, root: Path, idle_cpu_per_second: float, *, rounds: int) -> RefreshCost:
    """CPU the tray spends per background refresh, and its memory once it has refreshed."""
    with live_home(root, count=SESSIONS, credential_ttl=FAST_TTL) as env:
        signed_in = _requests(env)
        item = launch(tray_program(desktop_env(env, display, root)))
        try:
            deadline = time.monotonic() + 3 * FAST_TTL
            while _requests(env) < signed_in + SESSIONS:  # the first round: loads the SDK once
                if time.monotonic() > deadline or item.process.poll() is not None:
                    raise RuntimeError("the tray did not renew its sessions")
                time.sleep(0.5)
            time.sleep(3.0)  # its writes and events are done
            before_cpu, before_requests = cpu_seconds(item.process.pid), _requests(env)
            rss_before = rss_mb(item.process.pid)
            window = rounds * FAST_TTL * 0.4
            time.sleep(window)
            spent = cpu_seconds(item.process.pid) - before_cpu
            refreshes = _requests(env) - before_requests
            rss_after = rss_mb(item.process.pid)
        finally:
            stop(item)
    if refreshes < SESSIONS:
        raise RuntimeError(f"only {refreshes} refreshes in {window:.0f} s")
    cpu = max(spent - idle_cpu_per_second * window, 0.0) / refreshes
    return RefreshCost(cpu, refreshes, rss_after, rss_after - rss_before)


def refresh_rounds(display: str, root: Path, *, rounds: int, latency_ms: int = 0) -> dict[str, float]:
    """Figures from inside the tray app (see :mod:`benchmarks.refresh_round`).

    At loopback (``latency_ms`` 0): stalls and concurrency; over a modelled network: concurrency alone.
    """
    arguments = [str(rounds)] if latency_ms == 0 else [str(rounds), "--no-stalls"]
    with live_home(root, count=SESSIONS, latency_ms=latency_ms) as env:
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.refresh_round", *arguments],
            env=desktop_env(env, display, root),
            capture_output=True,
            check=False,
            timeout=300,
        )
    if done.returncode != 0:
        raise RuntimeError(f"refresh rounds failed: {done.stderr.decode(errors='replace')[-2000:]}")
    figures: dict[str, float] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return figures


def list_command(root: Path, *, runs: int) -> tuple[float, float]:
    """Median wall times of ``python -I -S -c pass`` and ``aws-login-tray list`` with five sessions."""
    from benchmarks.gui_startup import tray_command

    with live_home(root, count=SESSIONS) as env:
        medians = time_commands(
            {"floor": [sys.executable, "-I", "-S", "-c", "pass"], "list": [*tray_command(), "list"]},
            runs=runs,
            env=env,
        )
    return medians["floor"], medians["list"]


def _concurrency(figures: dict[str, float]) -> float:
    return figures["five_refreshes_s"] / figures["one_refresh_s"]


def _goal(name: str, value: float, goal: float, unit: str = "x") -> Result:
    return Result(name, value, unit, f"<= {goal:g}{'' if unit == 'x' else ' '}{unit}", value <= goal)


def run(*, quick: bool = False) -> list[Result]:
    start_runs, idle_runs, cpu_rounds, stall_rounds, list_runs = (5, 1, 1, 3, 10) if quick else (9, 3, 2, 7, 20)
    with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp, private_display() as display:
        root = Path(tmp)
        with live_home(root / "live", count=SESSIONS) as live:
            trays = measure_trays(display, root, live, start_runs=start_runs, idle_runs=idle_runs)
        cost = refresh_cost(display, root / "fast", trays.cpu_per_second["live"], rounds=cpu_rounds)
        rounds = refresh_rounds(display, root / "rounds", rounds=stall_rounds)
        networked = refresh_rounds(display, root / "network", rounds=3 * stall_rounds, latency_ms=LATENCY_MS)
        floor, listing = list_command(root / "list", runs=list_runs)
    start, rss, cpu = trays.startup_ms, trays.rss_mb, trays.cpu_per_second
    refreshes_per_ten_minutes = SESSIONS * TEN_MINUTES / USUAL_PERIOD
    cpu_live = cpu["live"] * TEN_MINUTES + cost.cpu_per_refresh * refreshes_per_ten_minutes
    cpu_empty = cpu["empty"] * TEN_MINUTES
    network = f"{LATENCY_MS} ms network"
    return [
        Result("bare PySide6 tray app: start until tray shown", start["bare"], "ms"),
        Result("aws-login-tray, no session: start until tray shown", start["empty"], "ms"),
        Result("aws-login-tray, 5 sessions: start until tray shown", start["live"], "ms"),
        _goal("start-up, 5 sessions / bare", start["live"] / start["bare"], 1.5),
        Result("start-up, no session / bare", start["empty"] / start["bare"], "x"),
        Result("bare PySide6 tray app: RSS after 30 s idle", rss["bare"], "MiB"),
        Result("aws-login-tray, no session: RSS after 30 s idle", rss["empty"], "MiB"),
        Result("aws-login-tray, 5 sessions: RSS after 30 s idle", rss["live"], "MiB"),
        _goal("idle RSS, 5 sessions / bare", rss["live"] / rss["bare"], 1.25),
        Result("bare app + asyncio + idle qasync loop: RSS after 30 s idle", rss["floor"], "MiB"),
        Result("idle RSS, bare + asyncio + qasync / bare (the floor)", rss["floor"] / rss["bare"], "x"),
        Result("idle RSS, 5 sessions / bare + asyncio + qasync", rss["live"] / rss["floor"], "x"),
        Result("aws-login-tray, 5 sessions: RSS after refresh rounds (the SDK loaded)", cost.rss_after_mb, "MiB"),
        Result("RSS after refresh rounds, 5 sessions / bare", cost.rss_after_mb / rss["bare"], "x"),
        Result(f"RSS gained over {cost.refreshes} refreshes after the first round", cost.rss_growth_mb, "MiB"),
        Result("idle CPU per minute, 5 sessions (no refresh due)", cpu["live"] * 60 * 1000, "ms"),
        Result(f"CPU per background refresh ({cost.refreshes} counted)", cost.cpu_per_refresh * 1000, "ms"),
        _goal("CPU over 10 min, 5 sessions renewed as usual", cpu_live, 1.0, "s"),
        _goal("CPU over 10 min, no session", cpu_empty, 0.1, "s"),
        Result("event-loop stall while idle (timer noise)", rounds["idle_stall_ms"], "ms"),
        Result("event-loop stall, first refresh round (loads the SDK)", rounds["first_round_stall_ms"], "ms"),
        _goal("longest event-loop stall in a refresh round of 5", rounds["round_stall_ms"], 20, "ms"),
        Result("loopback: one refresh, wall time", rounds["one_refresh_s"] * 1000, "ms"),
        Result("loopback: 5 concurrent refreshes, wall time", rounds["five_refreshes_s"] * 1000, "ms"),
        Result("loopback: 5 concurrent / one (CPU-bound, no goal)", _concurrency(rounds), "x"),
        Result(f"{network}: one refresh, wall time", networked["one_refresh_s"] * 1000, "ms"),
        Result(f"{network}: 5 concurrent refreshes, wall time", networked["five_refreshes_s"] * 1000, "ms"),
        _goal(f"{network}: 5 concurrent refreshes / one", _concurrency(networked), 1.5),
        Result("python -I -S -c pass", floor * 1000, "ms"),
        Result("aws-login-tray list, 5 sessions", listing * 1000, "ms"),
        Result("list / python -I -S -c pass", listing / floor, "x", "< 10x", listing / floor < 10),
    ]


if __name__ == "__main__":
    for result in run(quick="--quick" in sys.argv):
        print(result.line(), flush=True)
