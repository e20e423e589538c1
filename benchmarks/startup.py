"""``credential-process`` start-up: against the interpreter floor and a boto3-based helper."""

from __future__ import annotations

import json
import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import Result, time_commands
from core.domain.model import session_id_for
from credproc.command import credential_process_command

ARN = "arn:aws:sts::111122223333:assumed-role/Bench/startup"

# What a straightforward Python helper looks like: load boto3 (as any helper
# built on the SDK does), read the same file, print the same JSON.
BOTO3_HELPER = """
import json, sys
import boto3
with open(sys.argv[1], encoding="utf-8") as handle:
    document = json.load(handle)
boto3.Session()
print(json.dumps({k: document[k] for k in ("Version", "AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration")}))
"""


def write_credentials(home: Path, session_id: str, expires_in: timedelta) -> Path:
    path = home / "credentials" / f"{session_id}.json"
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    expiration = (datetime.now(UTC) + expires_in).strftime("%Y-%m-%dT%H:%M:%SZ")
    document = {
        "Version": 1,
        "AccessKeyId": "ASIABENCHMARKEXAMPLE",
        "SecretAccessKey": "bench/secret/key/example/0000000000000000",
        "SessionToken": "IQoJb3JpZ2luX2VjE" + "x" * 900,
        "Expiration": expiration,
        "AccountId": "111122223333",
    }
    path.write_text(json.dumps(document), encoding="utf-8")
    path.chmod(0o600)
    return path


def run(runs: int) -> list[Result]:
    session_id = session_id_for(ARN)
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        home = Path(tmp) / "app"
        credentials = write_credentials(home, session_id, timedelta(hours=1))
        env = dict(os.environ, AWS_LOGIN_TRAY_HOME=str(home))
        ours = credential_process_command(session_id).split(" ")  # no spaces in these paths (checked below)
        if len(ours) != 6:
            raise RuntimeError("the benchmark expects a checkout path without spaces")
        commands = {
            "floor": [sys.executable, "-I", "-S", "-c", "pass"],
            "ours": ours,
            "boto3": [sys.executable, "-c", BOTO3_HELPER, str(credentials)],
        }

        def check(name: str, stdout: bytes) -> None:
            if name != "floor" and json.loads(stdout)["AccessKeyId"] != "ASIABENCHMARKEXAMPLE":
                raise RuntimeError(f"{name} printed the wrong credentials")

        medians = time_commands(commands, runs=runs, env=env, check_output=check)
    floor, ours_t, boto = medians["floor"], medians["ours"], medians["boto3"]
    return [
        Result("python -I -S -c pass (median)", floor * 1000, "ms"),
        Result("credential-process, fresh credentials (median)", ours_t * 1000, "ms"),
        Result("boto3-based helper printing the same JSON (median)", boto * 1000, "ms"),
        Result("credential-process / python -I -S -c pass", ours_t / floor, "x", "<= 2x", ours_t / floor <= 2),
        Result("boto3 helper / credential-process (speed-up)", boto / ours_t, "x", ">= 10x", boto / ours_t >= 10),
    ]
