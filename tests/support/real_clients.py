"""Unmodified AWS clients asked who they are: boto3 and AWS CLI v1, through a profile."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

USER_TEXT = (  # a user's own config: comments, odd spacing, a foreign profile
    "# my own notes: keep these\n"
    "[profile mine]   ; trailing comment\n"
    "region=eu-west-3\n"
    "aws_access_key_id = AKIAFOREIGNEXAMPLE\n"
    "aws_secret_access_key = foreign/secret\n"
    "\n"
)


def caller_arn(profile: str) -> str:
    import boto3

    client = boto3.Session(profile_name=profile).client("sts")
    return str(client.get_caller_identity()["Arn"])


def aws_v1_arn(profile: str) -> str:
    aws = Path(sys.executable).with_name("aws")
    done = subprocess.run(
        [str(aws), "sts", "get-caller-identity", "--profile", profile, "--output", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return str(json.loads(done.stdout)["Arn"])
