"""``--latency-ms``: every answer is held back that long, changed in nothing, and answers overlap their waits."""

from __future__ import annotations

import contextlib
import http.client
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from emulator.app import build_parser
from tests.support.emulator import DpopKey, EmulatorHandle, Reply, http_request

LATENCY_MS = 300
LATENCY = LATENCY_MS / 1000
VOLATILE_HEADERS = {"date", "x-amzn-requestid"}


@pytest.fixture
def slow(emulator_factory: Callable[..., EmulatorHandle]) -> EmulatorHandle:
    return emulator_factory(latency_ms=LATENCY_MS)


def _timed(send: Callable[[], Reply]) -> tuple[Reply, float]:
    start = time.monotonic()
    reply = send()
    return reply, time.monotonic() - start


def _stable(reply: Reply) -> tuple[int, dict[str, str], bytes]:
    headers = {name: value for name, value in reply.headers.items() if name not in VOLATILE_HEADERS}
    return reply.status, headers, reply.body


def _requests(handle: EmulatorHandle) -> list[Callable[[], Reply]]:
    """Answers that do not depend on the emulator's keys or clock: a page, refused token calls, a control read."""
    return [
        lambda: http_request(f"{handle.base_url}/no/such/page"),
        lambda: handle.token_request({"clientId": "nobody"}, key=DpopKey()),
        lambda: handle.token_request(b"not json", headers={"Content-Type": "application/json"}),
        lambda: http_request(f"{handle.base_url}/_emulator/faults"),
    ]


def test_answers_arrive_no_earlier_than_the_latency_and_unchanged(
    emulator: EmulatorHandle, slow: EmulatorHandle
) -> None:
    for prompt, delayed in zip(_requests(emulator), _requests(slow), strict=True):
        reference = prompt()
        reply, elapsed = _timed(delayed)
        assert elapsed >= LATENCY
        assert _stable(reply) == _stable(reference)


def test_a_sign_in_and_refresh_work_as_without_latency(emulator: EmulatorHandle, slow: EmulatorHandle) -> None:
    signed_in = slow.sign_in(1)
    reference = emulator.sign_in(1)
    assert signed_in.output.keys() == reference.output.keys()
    reply, elapsed = _timed(lambda: slow.refresh(signed_in))
    assert reply.status == 200
    assert elapsed >= LATENCY
    assert reply.json().keys() == emulator.refresh(reference).json().keys()


def test_concurrent_answers_wait_together_not_one_after_another(slow: EmulatorHandle) -> None:
    """Four requests sent at once are answered within 2x the latency; one after another would take 4x."""
    parts = urlsplit(slow.token_url)
    assert parts.hostname == "127.0.0.1"
    with contextlib.ExitStack() as stack:
        connections = [
            stack.enter_context(contextlib.closing(http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)))
            for _ in range(4)
        ]
        for connection in connections:
            connection.connect()
        start = time.monotonic()
        for connection in connections:
            connection.request("POST", parts.path, body=b"{}", headers={"Content-Type": "application/json"})
        statuses = []
        for connection in connections:
            response = connection.getresponse()
            response.read()
            statuses.append(response.status)
        elapsed = time.monotonic() - start
    assert statuses == [400] * 4
    assert LATENCY <= elapsed < 2 * LATENCY


@pytest.mark.parametrize("value", ["-1", "10001", "ten"])
def test_the_flag_refuses_what_is_no_latency(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--latency-ms", value])
    assert "--latency-ms" in capsys.readouterr().err


def test_no_latency_by_default() -> None:
    assert build_parser().parse_args([]).latency_ms == 0
