"""The loopback-only control API and the command line."""

from __future__ import annotations

import json
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.authority import Authority
from emulator.config import parse_sessions
from emulator.server import EmulatorServer, Handler, is_loopback_peer
from emulator.sts import MotoSts
from tests.support.emulator import REPO_ROOT, SAME_DEVICE, DpopKey, EmulatorHandle, http_request


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("::1", True),
        ("::ffff:127.0.0.1", True),
        ("10.0.0.1", False),
        ("192.168.1.20", False),
        ("::ffff:10.0.0.1", False),
        ("fe80::1%eth0", False),
        ("2001:db8::1", False),
        ("not an address", False),
    ],
)
def test_peer_check(address: str, loopback: bool) -> None:
    assert is_loopback_peer(address) is loopback


def _serve_one(peer: tuple[str, int], raw_request: bytes) -> bytes:
    """Run the real handler on a socket pair, pretending the peer is ``peer``."""
    sessions = parse_sessions(["arn:aws:iam::111122223333:root"])
    authority = Authority(
        sessions, MotoSts("127.0.0.1", "us-east-1"), region="us-east-1", credential_ttl=900, session_duration=60
    )
    server = EmulatorServer(("127.0.0.1", 0), authority)
    try:
        ours, theirs = socket.socketpair()
        with ours, theirs:
            ours.sendall(raw_request)
            ours.shutdown(socket.SHUT_WR)
            Handler(theirs, peer, server)
            theirs.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := ours.recv(65536):
                chunks.append(chunk)
            return b"".join(chunks)
    finally:
        server.server_close()


@pytest.mark.parametrize(
    ("request_line", "body"),
    [
        (b"POST /_emulator/reset", b"{}"),
        (b"GET /_emulator/tokens", b""),
        (b"POST /_emulator/faults", b'{"kind": "500", "count": 1}'),
        (b"POST /_emulator/clock", b'{"advance_seconds": 5}'),
    ],
)
def test_control_api_refuses_non_loopback_peers(request_line: bytes, body: bytes) -> None:
    raw = request_line + b" HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\nConnection: close\r\n\r\n" % len(body) + body
    assert _serve_one(("192.0.2.7", 40000), raw).startswith(b"HTTP/1.1 403")
    assert _serve_one(("127.0.0.1", 40000), raw).startswith(b"HTTP/1.1 200")


def test_sessions_report(emulator: EmulatorHandle) -> None:
    report = emulator.control("GET", "/_emulator/sessions")
    assert [s["arn"] for s in report["sessions"]] == [s.arn for s in emulator.sessions]
    assert {s["kind"] for s in report["sessions"]} == {"assumed-role", "user", "root"}
    assert len({s["account_id"] for s in report["sessions"]}) == 3
    assert report["base_url"] == emulator.base_url
    assert report["sts_url"] == emulator.sts_url
    assert all("password" not in s for s in report["sessions"])
    assert emulator.sessions[0]["arn"] == emulator.sessions[0].arn


def test_reset_forgets_grants_faults_clock_and_delay(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    emulator.inject_fault("500", 3)
    emulator.advance_clock(100)
    emulator.control("POST", "delay", {"seconds": 0.2})
    emulator.reset()
    assert emulator.control("GET", "clock")["offset"] == 0
    tokens = emulator.tokens()
    assert tokens["faults"] == []
    assert tokens["issued"] == []
    assert tokens["requests"] == 0
    assert emulator.refresh(signed_in).json()["error"] == "TOKEN_EXPIRED"


def test_clock_moves_by_offset(emulator: EmulatorHandle) -> None:
    before = emulator.control("GET", "clock")
    after = emulator.control("POST", "clock", {"advance_seconds": 7200})
    assert after["offset"] == 7200
    assert after["now"] - before["now"] >= 7200


@pytest.mark.parametrize(
    ("path", "body"),
    [
        ("faults", {"kind": "503", "count": 1}),
        ("faults", {"kind": "500", "count": 0}),
        ("faults", {"kind": "500", "count": "2"}),
        ("clock", {"advance_seconds": "soon"}),
        ("clock", {}),
        ("delay", {"seconds": -1}),
        ("revoke", {}),
    ],
)
def test_control_rejects_bad_input(emulator: EmulatorHandle, path: str, body: dict[str, Any]) -> None:
    reply = http_request(
        f"{emulator.base_url}/_emulator/{path}",
        "POST",
        body=json.dumps(body).encode(),
        headers={"Content-Type": "application/json"},
    )
    assert reply.status == 400


def test_control_rejects_non_json_and_unknown_paths(emulator: EmulatorHandle) -> None:
    assert http_request(f"{emulator.base_url}/_emulator/clock", "POST", body=b"{nope").status == 400
    assert http_request(f"{emulator.base_url}/_emulator/nothing").status == 404


def test_delay_holds_token_responses(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    emulator.control("POST", "delay", {"seconds": 0.5})
    started = time.monotonic()
    assert emulator.refresh(signed_in).status == 200
    assert time.monotonic() - started >= 0.5


def test_concurrent_refreshes_of_one_token_let_exactly_one_win(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    body = emulator.refresh_body(SAME_DEVICE, signed_in.refresh_token)
    statuses: list[int] = []

    def attempt() -> None:
        statuses.append(emulator.token_request(body, key=signed_in.key).status)

    threads = [threading.Thread(target=attempt) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [200, 401, 401, 401, 401, 401]


def _run_cli(*args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        check=False,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_cli_rejects_bad_sessions_files(tmp_path: Path) -> None:
    bad = tmp_path / "sessions.json"
    bad.write_text(json.dumps([{"arn": "arn:aws:iam::1:user/x"}]), encoding="utf-8")
    result = _run_cli("--sessions", str(bad))
    assert result.returncode == 2
    assert "not an assumed-role" in result.stderr
    assert result.stdout == ""
    assert _run_cli("--credential-ttl", "901").returncode == 2


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_cli_prints_two_urls_and_stops_cleanly(signum: int) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator"], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        base, sts = process.stdout.readline().strip(), process.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        assert sts.startswith("http://127.0.0.1:")
        assert base != sts
        key = DpopKey()
        assert key.thumbprint()  # the process answers while running:
        assert http_request(base + "/_emulator/clock").status == 200
        sts_port = int(sts.rsplit(":", 1)[1])
        process.send_signal(signum)
        assert process.wait(timeout=30) == 0
        with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", sts_port), timeout=2):
            pass
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        assert process.stdout is not None
        assert process.stderr is not None
        process.stdout.close()
        process.stderr.close()
