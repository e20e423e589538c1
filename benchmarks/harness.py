"""Small timing helpers: medians over interleaved, bounded repetitions."""

from __future__ import annotations

import statistics
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Result:
    """One measured figure and, when it is compared with a goal, how it fared."""

    name: str
    value: float
    unit: str
    goal: str = ""
    met: bool | None = None

    def line(self) -> str:
        verdict = "" if self.met is None else ("  OK" if self.met else "  MISSED")
        goal = f"  (goal: {self.goal})" if self.goal else ""
        return f"{self.name:<62} {self.value:>9.2f} {self.unit:<3}{goal}{verdict}"


def time_commands(
    commands: Mapping[str, Sequence[str]],
    *,
    runs: int,
    env: Mapping[str, str] | None = None,
    check_output: Callable[[str, bytes], None] | None = None,
) -> dict[str, float]:
    """Median wall time (seconds) of each command, run ``runs`` times, interleaved.

    Interleaving spreads machine noise evenly over the commands compared.
    """
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, argv in commands.items():
            start = time.perf_counter()
            done = subprocess.run(argv, env=env, capture_output=True, check=False)
            samples[name].append(time.perf_counter() - start)
            if done.returncode != 0:
                raise RuntimeError(f"{name} failed ({done.returncode}): {done.stderr.decode(errors='replace')}")
            if check_output is not None:
                check_output(name, done.stdout)
    return {name: statistics.median(values) for name, values in samples.items()}


def time_call(function: Callable[[], object], *, runs: int, warmup: int = 2) -> float:
    """Median wall time (seconds) of ``function()``."""
    for _ in range(warmup):
        function()
    values = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        values.append(time.perf_counter() - start)
    return statistics.median(values)


def time_pair(first: Callable[[], object], second: Callable[[], object], *, runs: int) -> tuple[float, float]:
    """Median wall times of ``first`` and ``second``, measured alternately.

    Alternating puts both under the same background load, so their ratio
    stays stable on a busy machine even when the absolute times move.
    """
    first_times = [0.0] * runs
    second_times = [0.0] * runs
    for index in range(-2, runs):  # two warm-up rounds
        start = time.perf_counter()
        first()
        middle = time.perf_counter()
        second()
        end = time.perf_counter()
        if index >= 0:
            first_times[index], second_times[index] = middle - start, end - middle
    return statistics.median(first_times), statistics.median(second_times)
