"""Extra cost per API call in a long-running boto3 program, for each credential mode.

Credentials with under 15 minutes left are refreshed by botocore on *every*
call (its advisory window): a ``credential_process`` profile runs the process
each time, a ``login_session`` profile re-reads the ``aws login`` cache file.
Both are measured against a profile with static keys, all calling
``sts:GetCallerIdentity`` on a moto server on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from benchmarks.harness import Result
from benchmarks.startup import write_credentials
from core.domain.model import Credentials, SessionSecrets, session_id_for
from core.storage.logincache import LoginCacheEntry, cache_file_path, write_login_cache
from credproc.command import credential_process_command

ARN = "arn:aws:sts::111122223333:assumed-role/Bench/sdk-loop"
LEFT = timedelta(minutes=12)
"""Inside botocore's 15-minute advisory window, outside every refresh margin."""
REGION = "us-east-1"


def _pem_key() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode("ascii")


@contextlib.contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    for name in list(os.environ):
        if name.startswith("AWS_"):
            del os.environ[name]
    os.environ.update(values)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run(calls: int, rounds: int) -> list[Result]:
    import logging

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per request otherwise

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        with tempfile.TemporaryDirectory(prefix="bench-sdk-") as tmp:
            root = Path(tmp)
            home, cache = root / "app", root / "login-cache"
            session_id = session_id_for(ARN)
            write_credentials(home, session_id, LEFT)
            expires = datetime.now(UTC) + LEFT
            write_login_cache(
                cache_file_path(cache, ARN),
                LoginCacheEntry(
                    Credentials("ASIABENCHLOGINSESSION", "login/secret", "login-token", expires, "111122223333"),
                    SessionSecrets("ASOR" + "r" * 60, _pem_key(), "arn:aws:signin:::devtools/same-device"),
                    REGION,
                ),
            )
            config = root / "config"
            config.write_text(
                f"[profile static]\nregion = {REGION}\naws_access_key_id = AKIABENCHSTATIC\n"
                "aws_secret_access_key = static/secret\n\n"
                f"[profile process]\nregion = {REGION}\nsts_regional_endpoints = regional\n"
                f"credential_process = {credential_process_command(session_id)}\n\n"
                f"[profile login]\nregion = {REGION}\nsts_regional_endpoints = regional\nlogin_session = {ARN}\n",
                encoding="utf-8",
            )
            env = {
                "AWS_CONFIG_FILE": str(config),
                "AWS_SHARED_CREDENTIALS_FILE": str(root / "credentials"),
                "AWS_LOGIN_CACHE_DIRECTORY": str(cache),
                "AWS_LOGIN_TRAY_HOME": str(home),
                "AWS_ENDPOINT_URL_STS": f"http://{host}:{port}",
                "AWS_EC2_METADATA_DISABLED": "true",
            }
            with _environment(env):
                clients = {
                    name: boto3.Session(profile_name=name).client("sts", region_name=REGION)
                    for name in ("static", "process", "login")
                }
                expected = {"static": "AKIABENCHSTATIC", "process": "ASIABENCHMARK", "login": "ASIABENCHLOGIN"}
                for name, client in clients.items():  # warm up, and prove each profile's credentials are used
                    client.get_caller_identity()
                    key = client._request_signer._credentials.get_frozen_credentials().access_key
                    if not key.startswith(expected[name]):
                        raise RuntimeError(f"profile {name} signed with {key}")
                samples: dict[str, list[float]] = {name: [] for name in clients}
                for _ in range(rounds):
                    for name, client in clients.items():
                        start = time.perf_counter()
                        for _ in range(calls):
                            client.get_caller_identity()
                        samples[name].append((time.perf_counter() - start) / calls)
    finally:
        server.stop()
    per_call = {name: statistics.median(values) for name, values in samples.items()}
    base = per_call["static"]
    return [
        Result("API call, static keys (median per call)", base * 1000, "ms"),
        Result("API call, credential_process profile (median per call)", per_call["process"] * 1000, "ms"),
        Result("API call, login_session profile (median per call)", per_call["login"] * 1000, "ms"),
        Result("extra per call: credential_process (< 15 min left)", (per_call["process"] - base) * 1000, "ms"),
        Result("extra per call: login_session (< 15 min left)", (per_call["login"] - base) * 1000, "ms"),
    ]
