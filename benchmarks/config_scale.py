"""``doctor --fix`` and a profile switch on a ``~/.aws/config`` of 20,000 profiles.

Every profile is someone else's role profile without ``sts_regional_endpoints``,
so ``doctor --fix`` reads the file, adds that line to all 20,000 profiles,
validates and writes the result, and reports what is left (the whole
``doctor --fix`` command as the CLI runs it, without starting Python). A
switch rewrites the profile ``use`` points at another session. Each is
compared with one plain :mod:`configparser` parse of the same file (what
botocore does on every start), measured alternately in the same run.
"""

from __future__ import annotations

import configparser
import io
import itertools
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.harness import Result

PROFILES = 20_000
GOAL = 3.0
REGION = "eu-central-1"
ARNS = (
    "arn:aws:sts::111122223333:assumed-role/Admin/alice",
    "arn:aws:sts::444455556666:assumed-role/ReadOnly/alice",
)


def generate(path: Path) -> None:
    lines = ["# my AWS profiles (kept by hand)", "[default]", f"region = {REGION}", ""]
    for index in range(PROFILES - 1):
        lines += [
            f"# team {index}",
            f"[profile team-{index}]",
            f"role_arn = arn:aws:iam::{100000000000 + index}:role/Deploy",
            "source_profile = default",
            f"region = {REGION}",
            "",
        ]
    path.write_text("\n".join(lines), encoding="utf-8")


def _timed(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def run(runs: int) -> list[Result]:
    from core.awsconfig import doctor
    from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
    from core.storage.paths import AppPaths

    with tempfile.TemporaryDirectory(prefix="bench-config-scale-") as tmp:
        home = Path(tmp)
        original, config = home / "original", home / "config"
        generate(original)
        paths = AppPaths(home=home / "app", aws_config_file=config, login_cache_dir=home / "login-cache")
        targets = itertools.cycle(ARNS)

        def parse() -> None:
            configparser.RawConfigParser().read(original, encoding="utf-8")

        def fix() -> None:
            out = io.StringIO()
            doctor.run_cli(paths, fix=True, profiles=[], out=out)
            if "Every profile" not in out.getvalue():
                raise RuntimeError(f"doctor --fix left findings: {out.getvalue()[:300]}")

        def switch() -> None:
            writer = AwsConfigWriter(config, paths.locks_dir / "aws-config.lock")
            writer.apply([ProfileSpec("active", REGION, login_session=next(targets))])

        parse_t: list[float] = []
        fix_t: list[float] = []
        switch_t: list[float] = []
        for index in range(-1, runs):  # one warm-up round
            shutil.copyfile(original, config)  # not timed: every fix starts from the same file
            times = (_timed(parse), _timed(fix), _timed(switch))
            if index >= 0:
                parse_t.append(times[0])
                fix_t.append(times[1])
                switch_t.append(times[2])
    parse_m, fix_m, switch_m = (statistics.median(values) for values in (parse_t, fix_t, switch_t))
    fix_ratio, switch_ratio = fix_m / parse_m, switch_m / parse_m
    return [
        Result(f"configparser parse of {PROFILES:,} profiles (median)", parse_m * 1000, "ms"),
        Result("doctor --fix: all 20,000 profiles fixed (median)", fix_m * 1000, "ms"),
        Result("doctor --fix / one configparser parse", fix_ratio, "x", f"<= {GOAL:g}x", fix_ratio <= GOAL),
        Result("switch the active profile (use) (median)", switch_m * 1000, "ms"),
        Result("profile switch / one configparser parse", switch_ratio, "x", f"<= {GOAL:g}x", switch_ratio <= GOAL),
    ]
