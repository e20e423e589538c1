"""The emulator survives abuse: every malformed request gets an HTTP error and it keeps answering.

These tests run the real server in this process (so idle timeouts and the
connection limit can be short) on 127.0.0.1, and read its stderr: a client
that misbehaves or leaves must never produce a traceback.
"""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from emulator.authority import MAX_PENDING, PENDING_LIFETIME, SAME_DEVICE, Authority
from emulator.config import parse_sessions
from emulator.server import EmulatorServer
from emulator.sts import MotoSts
from tests.support.emulator import AuthorizeParams, DpopKey, pkce_pair

IDLE_TIMEOUT = 0.5
MAX_CONNECTIONS = 8
STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3}) ")


class Running:
    """An in-process emulator on 127.0.0.1 with short limits."""

    def __init__(self, idle_timeout: float = IDLE_TIMEOUT) -> None:
        sessions = parse_sessions(["arn:aws:iam::111122223333:root"])
        self.authority = Authority(
            sessions, MotoSts("127.0.0.1", "us-east-1"), region="us-east-1", credential_ttl=900, session_duration=3600
        )
        self.server = EmulatorServer(
            ("127.0.0.1", 0), self.authority, idle_timeout=idle_timeout, max_connections=MAX_CONNECTIONS
        )
        self.port = self.server.server_address[1]
        self.authority.base_url = f"http://127.0.0.1:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def connect(self) -> socket.socket:
        return socket.create_connection(("127.0.0.1", self.port), timeout=5)

    def exchange(self, raw: bytes) -> bytes:
        """Send ``raw``, say we are done sending, and read until the server closes."""
        with self.connect() as sock:
            sock.sendall(raw)
            sock.shutdown(socket.SHUT_WR)
            return read_all(sock)

    def still_answers(self) -> bool:
        reply = self.exchange(b"GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        return reply.startswith(b"HTTP/1.1 200 ")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


def status_of(reply: bytes) -> int:
    match = STATUS_LINE.match(reply)
    assert match is not None, f"no HTTP answer: {reply[:200]!r}"
    return int(match.group(1))


@pytest.fixture
def running() -> Iterator[Running]:
    emulator = Running()
    try:
        yield emulator
    finally:
        emulator.close()


def post(path: str, body: bytes, *, headers: str = "Content-Type: application/json\r\n") -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: x\r\n{headers}Content-Length: {len(body)}\r\n\r\n".encode() + body


def token_request(running: Running, *, iat: int | None = None, proof: str | None = None) -> bytes:
    body = json.dumps({"clientId": SAME_DEVICE, "grantType": "refresh_token", "refreshToken": "x" * 40}).encode()
    proof = proof or DpopKey().proof(f"{running.authority.base_url}/v1/token", iat=iat)
    return post("/v1/token", body, headers=f"Content-Type: application/json\r\nDPoP: {proof}\r\n")


def nested_proof() -> str:
    deep = ("[" * 5000 + "]" * 5000).encode()
    from emulator.crypto import b64url_encode

    return f"{b64url_encode(deep)}.{b64url_encode(b'{}')}.{b64url_encode(bytes(64))}"


MALFORMED: dict[str, tuple[bytes, int]] = {
    "garbage request line": (b"GARBAGE\r\n\r\n", 400),
    "request line over 64 KiB": (b"GET /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", 414),
    "header line over 64 KiB": (b"GET / HTTP/1.1\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", 431),
    "target that is no URL": (b"GET http://[oops/ HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    "binary request line": (b"\x00\xff\xfe GET\r\n\r\n", 400),
    "request line without a version": (b"GET /.well-known/jwks.json\r\n\r\n", 400),
    "unknown method with a body": (b"PUT / HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc", 501),
    "nested JSON token body": (post("/v1/token", b"[" * 50_000), 400),
    "nested JSON control body": (post("/_emulator/faults", b"[" * 50_000), 400),
    "fault kind of the wrong type": (post("/_emulator/faults", b'{"kind": []}'), 400),
    "clock jump beyond any float": (post("/_emulator/clock", b'{"advance_seconds": 1' + b"0" * 400 + b"}"), 400),
    "negative Content-Length": (b"POST /v1/token HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400),
    "chunked token body": (b"POST /v1/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
}


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_every_malformed_request_gets_an_http_error(
    running: Running, case: str, capfd: pytest.CaptureFixture[str]
) -> None:
    raw, expected = MALFORMED[case]
    assert status_of(running.exchange(raw)) == expected
    assert running.still_answers()
    assert "Traceback" not in capfd.readouterr().err


def test_a_proof_with_a_huge_or_nested_part_is_an_invalid_request(
    running: Running, capfd: pytest.CaptureFixture[str]
) -> None:
    for raw in (token_request(running, iat=10**400), token_request(running, proof=nested_proof())):
        reply = running.exchange(raw)
        assert status_of(reply) == 400
        assert b"Invalid DPoP proof" in reply
    assert running.still_answers()
    assert "Traceback" not in capfd.readouterr().err


def test_a_body_over_the_limit_is_refused_and_never_read_as_a_request(running: Running) -> None:
    hidden = post("/_emulator/faults", b'{"kind": "500", "count": 1}')
    head = b"POST /v1/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 70000\r\n\r\n"
    with running.connect() as sock:
        sock.sendall(head + hidden)
        reply = read_all(sock)  # the server closes the connection after its one answer
    assert status_of(reply) == 413
    assert b"connection: close" in reply.lower()
    assert reply.count(b"HTTP/1.1 ") == 1
    assert running.authority.faults == []


def test_an_unread_body_of_a_get_is_never_read_as_a_request(running: Running) -> None:
    hidden = post("/_emulator/reset", b"{}")
    running.authority.set_delay(5)
    request = f"GET /.well-known/jwks.json HTTP/1.1\r\nHost: x\r\nContent-Length: {len(hidden)}\r\n\r\n".encode()
    with running.connect() as sock:
        sock.sendall(request + hidden)
        reply = read_all(sock)
    assert status_of(reply) == 200
    assert reply.count(b"HTTP/1.1 ") == 1
    assert running.authority.delay == 5


def test_idle_connections_time_out(running: Running) -> None:
    silent = [running.connect() for _ in range(3)]
    halfway = running.connect()
    halfway.sendall(b"POST /v1/token HTTP/1.1\r\nContent-Length: 10\r\n\r\nabc")
    try:
        for sock in [*silent, halfway]:
            sock.settimeout(IDLE_TIMEOUT * 10)
            assert sock.recv(65536) == b""  # closed by the server, not by our timeout
    finally:
        for sock in [*silent, halfway]:
            sock.close()


def test_connections_beyond_the_limit_are_refused_and_threads_stay_bounded() -> None:
    running = Running(idle_timeout=30)  # the held connections stay open for the whole test
    threads_before = threading.active_count()
    held = [running.connect() for _ in range(MAX_CONNECTIONS * 3)]
    try:
        busy = 0
        for sock in held:
            sock.settimeout(0.5)
            try:
                busy += status_of(sock.recv(65536)) == 503
            except TimeoutError:
                continue  # being served: waiting for its request
        assert busy == MAX_CONNECTIONS * 2
        assert threading.active_count() <= threads_before + MAX_CONNECTIONS
    finally:
        for sock in held:
            sock.close()
    try:
        deadline = time.monotonic() + 10
        while not running.still_answers():
            assert time.monotonic() < deadline
            time.sleep(0.1)
    finally:
        running.close()


def test_a_client_leaving_during_the_delay_is_quiet(running: Running, capfd: pytest.CaptureFixture[str]) -> None:
    running.authority.set_delay(0.2)
    for _ in range(3):
        sock = running.connect()
        sock.sendall(token_request(running))
        # Leave at once with a reset, as a killed client does.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        sock.close()
    time.sleep(0.6)
    running.authority.set_delay(0)
    assert running.still_answers()
    err = capfd.readouterr().err
    assert "Traceback" not in err
    assert "BrokenPipe" not in err


def _authorize_query() -> dict[str, list[str]]:
    verifier, challenge = pkce_pair()
    params = AuthorizeParams(SAME_DEVICE, "http://127.0.0.1:49152/oauth/callback", "s" * 20, verifier, challenge)
    from urllib.parse import parse_qs

    return parse_qs(params.query())


def test_pending_authorize_requests_expire_and_are_forgotten(running: Running) -> None:
    authority = running.authority
    first = authority.begin(_authorize_query())
    authority.advance_clock(PENDING_LIFETIME + 1)
    authority.begin(_authorize_query())
    assert first.id not in authority.pending
    assert len(authority.pending) == 1
    for _ in range(MAX_PENDING + 50):
        authority.begin(_authorize_query())
    assert len(authority.pending) <= MAX_PENDING


# -- fuzz: requests built from valid and spoiled pieces ------------------------------------------

methods = st.sampled_from([b"GET", b"POST", b"HEAD", b"PUT", b"DELETE", b"OPTIONS", b"G\x00T", b"", b"POST POST"])
targets = st.sampled_from(
    [
        b"/v1/token",
        b"/v1/authorize",
        b"/v1/authorize/signin?request_id=x",
        b"/v1/authorize/approve",
        b"/v1/sessions/confirmation?code=a&state=b",
        b"/_emulator/faults",
        b"/_emulator/clock",
        b"/_emulator/nothing",
        b"/.well-known/jwks.json",
        b"//[::1",
        b"*",
        b"http://x/v1/token",
        b"/%00%ff",
    ]
)
versions = st.sampled_from([b"HTTP/1.1", b"HTTP/1.0", b"HTTP/2.0", b"HTTP/1.1 extra", b"", b"ICY"])
header_lines = st.lists(
    st.sampled_from(
        [
            b"Host: x",
            b"Content-Type: application/json",
            b"Content-Type: application/x-www-form-urlencoded",
            b"DPoP: a.b.c",
            b"DPoP: ",
            b"X-Emulator-Approve: 1",
            b"X-Emulator-Approve: 99999999999999999999999",
            b"Expect: 100-continue",
            b"Connection: keep-alive",
            b"no colon here",
            b" folded: value",
            b"Transfer-Encoding: chunked",
        ]
    ),
    max_size=4,
)
bodies = st.one_of(
    st.binary(max_size=64),
    st.sampled_from(
        [
            b"",
            b"{}",
            b"[" * 3000,
            b'{"clientId": 1}',
            b'{"kind": {"a": 1}, "count": 1e999}',
            b'{"advance_seconds": 1e999}',
            b'{"seconds": -1}',
            b"request_id=x&session=1",
            b"\xff\xfe",
        ]
    ),
)


@settings(
    max_examples=60,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(request=st.tuples(methods, targets, versions, header_lines, bodies))
def test_fuzzed_requests_get_an_http_answer_and_the_emulator_keeps_answering(
    running: Running,
    capfd: pytest.CaptureFixture[str],
    request: tuple[bytes, bytes, bytes, list[bytes], bytes],
) -> None:
    method, target, version, headers, body = request
    head = b" ".join(part for part in (method, target, version) if part)
    lines = [head, *headers, b"Content-Length: %d" % len(body)]
    reply = running.exchange(b"\r\n".join(lines) + b"\r\n\r\n" + body)
    status = status_of(reply)
    assert 100 <= status < 600
    assert running.still_answers()
    assert "Traceback" not in capfd.readouterr().err
