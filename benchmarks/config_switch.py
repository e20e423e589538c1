"""Switching the active profile in a large, hand-kept ``~/.aws/config``.

The file has 7,000 lines of other tools' profiles and comments plus the
profiles aws-login-tray owns. One switch (rewriting the active profile to
point at another session, atomically, under the lock, with a backup) is
compared with one plain :mod:`configparser` parse of the same file.
"""

from __future__ import annotations

import configparser
import itertools
import tempfile
from pathlib import Path

from benchmarks.harness import Result, time_pair

TARGET_LINES = 7000
REGION = "eu-central-1"
ARNS = (
    "arn:aws:sts::111122223333:assumed-role/Admin/alice",
    "arn:aws:sts::444455556666:assumed-role/ReadOnly/alice",
)


def generate(path: Path) -> int:
    lines: list[str] = ["# my AWS profiles (kept by hand)", "[default]", f"region = {REGION}", "output = json", ""]
    index = 0
    while len(lines) < TARGET_LINES:
        lines += [
            f"# team {index}: deploy role",
            f"[profile team-{index}]",
            f"role_arn = arn:aws:iam::{100000000000 + index}:role/Deploy",
            "source_profile = base",
            f"region = {REGION}",
            "output = json",
            "",
        ]
        index += 1
    path.write_text("\n".join(lines[:TARGET_LINES]) + "\n", encoding="utf-8")
    return TARGET_LINES


def run(runs: int) -> list[Result]:
    from core.awsconfig.writer import AwsConfigWriter, ProfileSpec

    with tempfile.TemporaryDirectory(prefix="bench-config-") as tmp:
        config = Path(tmp) / "config"
        generate(config)
        writer = AwsConfigWriter(config, Path(tmp) / "config.lock")
        writer.apply([ProfileSpec(f"work-{n}", REGION, login_session=arn) for n, arn in enumerate(ARNS)])
        writer.apply([ProfileSpec("active", REGION, login_session=ARNS[0])])
        targets = itertools.cycle(ARNS[::-1] + ARNS)
        lines = len(config.read_text(encoding="utf-8").splitlines())

        def switch() -> None:
            writer.apply([ProfileSpec("active", REGION, login_session=next(targets))])

        def parse() -> None:
            parser = configparser.RawConfigParser()
            parser.read(config, encoding="utf-8")

        switch_t, parse_t = time_pair(switch, parse, runs=runs)
    ratio = switch_t / parse_t
    return [
        Result(f"configparser parse of the {lines}-line config (median)", parse_t * 1000, "ms"),
        Result("switch the active profile: AwsConfigWriter.apply (median)", switch_t * 1000, "ms"),
        Result("profile switch / one configparser parse", ratio, "x", "<= 3x", ratio <= 3),
    ]
