"""Run every benchmark and print the figures with the ratios measured in this run.

Usage: ``python -m benchmarks [--quick]`` (``--quick``: fewer repetitions).
Exit status 1 when a goal is missed.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks import config_scale, config_switch, frozen_helper, live_tray, sdk_calls, startup
from benchmarks.harness import Result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (noisier)")
    parser.add_argument(
        "--bundle", type=Path, help="a built one-folder bundle (dist/aws-login-tray); default: build one in a temp dir"
    )
    args = parser.parse_args(argv)
    scale = 1 if args.quick else 3
    print(f"aws-login-tray benchmarks: python {sys.version.split()[0]}, {os.cpu_count()} CPUs, medians", flush=True)
    sections: tuple[tuple[str, Callable[[], list[Result]]], ...] = (
        ("credential-process start-up", lambda: startup.run(runs=20 * scale)),
        (
            "credential-process start-up in the frozen bundle (PyInstaller one-folder)",
            lambda: frozen_helper.run(runs=20 * scale, bundle=args.bundle),
        ),
        ("per API call in a long-running boto3 loop", lambda: sdk_calls.run(calls=20, rounds=5 * scale)),
        ("profile switch in a 7,000-line config", lambda: config_switch.run(runs=10 * scale)),
        ("doctor --fix and a profile switch in a 20,000-profile config", lambda: config_scale.run(runs=3 * scale)),
        (
            "the tray app with five live sessions (private Xvfb + trayer, emulator on 127.0.0.1)",
            lambda: live_tray.run(quick=args.quick),
        ),
    )
    results: list[Result] = []
    for title, bench in sections:
        started = time.perf_counter()
        print(f"\n== {title}", flush=True)
        section = bench()
        for result in section:
            print(result.line(), flush=True)
        print(f"   ({time.perf_counter() - started:.1f} s)", flush=True)
        results += section
    missed = [r.name for r in results if r.met is False]
    print("\nall goals met" if not missed else f"\nmissed: {'; '.join(missed)}")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
