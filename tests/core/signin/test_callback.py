"""The loopback callback listener, including hostile and broken requests."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from core.domain.errors import InvalidRequestError, SignInCancelled, TransientServiceError
from core.signin.callback import CallbackServer

STATE = "5a0e4c1f-3d4e-4a5b-9c6d-7e8f9a0b1c2d"


async def _exchange(port: int, raw: bytes) -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(raw)
    await writer.drain()
    data = await asyncio.wait_for(reader.read(), 5)
    writer.close()
    status = int(data.split(b" ", 2)[1]) if data else 0
    return status, data


def _get(port: int, target: str, host: str | None = None) -> bytes:
    host_line = f"Host: {host if host is not None else f'127.0.0.1:{port}'}\r\n"
    return f"GET {target} HTTP/1.1\r\n{host_line}User-Agent: test\r\n\r\n".encode()


def _callback(state: str = STATE, code: str = "the-code") -> str:
    return f"/oauth/callback?code={code}&state={state}"


def _run(scenario: Callable[[CallbackServer], Awaitable[None]], read_timeout: float = 5.0) -> None:
    async def main() -> None:
        async with CallbackServer(STATE, read_timeout=read_timeout) as server:
            await scenario(server)

    asyncio.run(main())


async def _deliver_real_callback(server: CallbackServer) -> None:
    waiter = asyncio.create_task(server.wait_for_code(10))
    status, body = await _exchange(server.port, _get(server.port, _callback()))
    assert status == 200
    assert b"Signed in. You can close this tab." in body
    assert await waiter == "the-code"
    assert not server.listening


def test_listens_on_loopback_only_and_builds_the_redirect_uri() -> None:
    async def scenario(server: CallbackServer) -> None:
        assert server.port > 0
        assert server.redirect_uri == f"http://127.0.0.1:{server.port}/oauth/callback"
        assert server.listening
        assert server._server is not None
        assert {sock.getsockname()[0] for sock in server._server.sockets} == {"127.0.0.1"}

    _run(scenario)


def test_right_state_and_code_completes_and_closes_the_socket() -> None:
    async def scenario(server: CallbackServer) -> None:
        waiter = asyncio.create_task(server.wait_for_code(10))
        status, raw = await _exchange(server.port, _get(server.port, _callback()))
        assert await waiter == "the-code"
        assert status == 200
        head, _, body = raw.partition(b"\r\n\r\n")
        assert b"Cache-Control: no-store" in head
        assert b"Referrer-Policy: no-referrer" in head
        assert b"the-code" not in body
        assert STATE.encode() not in body
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", server.port)

    _run(scenario)


def test_localhost_host_header_is_accepted() -> None:
    async def scenario(server: CallbackServer) -> None:
        waiter = asyncio.create_task(server.wait_for_code(10))
        status, _ = await _exchange(server.port, _get(server.port, _callback(), host=f"LocalHost:{server.port}"))
        assert status == 200
        assert await waiter == "the-code"

    _run(scenario)


HOSTILE = [
    ("wrong state", lambda port: _get(port, _callback(state="00000000-0000-4000-8000-000000000000")), 400),
    ("no state", lambda port: _get(port, "/oauth/callback?code=abc"), 400),
    ("two states", lambda port: _get(port, _callback() + f"&state={STATE}"), 400),
    ("no code", lambda port: _get(port, f"/oauth/callback?state={STATE}"), 400),
    ("empty code", lambda port: _get(port, f"/oauth/callback?state={STATE}&code="), 400),
    ("wrong path", lambda port: _get(port, f"/other?code=abc&state={STATE}"), 404),
    ("favicon", lambda port: _get(port, "/favicon.ico"), 404),
    ("rebinding host", lambda port: _get(port, _callback(), host=f"evil.example:{port}"), 403),
    ("host without port", lambda port: _get(port, _callback(), host="127.0.0.1"), 403),
    ("host on another port", lambda port: _get(port, _callback(), host=f"127.0.0.1:{port + 1}"), 403),
    ("no host", lambda port: f"GET {_callback()} HTTP/1.1\r\n\r\n".encode(), 403),
    (
        "two hosts",
        lambda port: f"GET {_callback()} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nHost: evil.example\r\n\r\n".encode(),
        403,
    ),
    ("post", lambda port: f"POST {_callback()} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode(), 405),
    ("absolute target", lambda port: _get(port, f"http://127.0.0.1:{port}{_callback()}"), 400),
    ("garbage", lambda port: b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", 400),
    ("not http", lambda port: b"HELLO\r\n\r\n", 400),
    ("oversized", lambda port: b"GET /oauth/callback?" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n", 431),
    ("too many fields", lambda port: _get(port, _callback() + "&x=1" * 40), 400),
]


@pytest.mark.parametrize(("name", "build", "expected"), HOSTILE, ids=[case[0] for case in HOSTILE])
def test_hostile_request_gets_an_error_page_and_the_sign_in_still_succeeds(
    name: str, build: Callable[[int], bytes], expected: int
) -> None:
    async def scenario(server: CallbackServer) -> None:
        status, body = await _exchange(server.port, build(server.port))
        assert status == expected, name
        assert b"<!doctype html>" in body
        assert server.listening
        await _deliver_real_callback(server)

    _run(scenario)


def test_slow_partial_request_does_not_block_the_real_callback() -> None:
    async def scenario(server: CallbackServer) -> None:
        waiter = asyncio.create_task(server.wait_for_code(10))
        slow_reader, slow_writer = await asyncio.open_connection("127.0.0.1", server.port)
        slow_writer.write(b"GET /oauth/callback?state=")
        await slow_writer.drain()
        silent_reader, silent_writer = await asyncio.open_connection("127.0.0.1", server.port)
        status, _ = await _exchange(server.port, _get(server.port, _callback()))
        assert status == 200
        assert await waiter == "the-code"
        # Closing the listener also drops the stalled connections.
        for reader in (slow_reader, silent_reader):
            assert await asyncio.wait_for(reader.read(), 5) == b""
        slow_writer.close()
        silent_writer.close()

    _run(scenario)


def test_forty_slow_clients_do_not_shut_out_the_real_callback() -> None:
    async def scenario(server: CallbackServer) -> None:
        waiter = asyncio.create_task(server.wait_for_code(10))
        slow = [await asyncio.open_connection("127.0.0.1", server.port) for _ in range(40)]

        async def trickle() -> None:
            # Each slow client keeps sending a byte at a time, never finishing its request.
            while True:
                for _, writer in slow:
                    if not writer.is_closing():
                        writer.write(b"G")
                await asyncio.sleep(0.05)

        trickling = asyncio.create_task(trickle())
        await asyncio.sleep(0.2)
        status, body = await _exchange(server.port, _get(server.port, _callback()))
        trickling.cancel()
        assert status == 200
        assert b"Signed in." in body
        assert await waiter == "the-code"
        for _, writer in slow:
            writer.close()

    _run(scenario)


def test_stalled_connection_is_answered_with_a_timeout_and_dropped() -> None:
    async def scenario(server: CallbackServer) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
        writer.write(b"GET /oauth/call")
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), 5)
        assert data.startswith(b"HTTP/1.1 408 ")
        writer.close()
        assert server.listening
        await _deliver_real_callback(server)

    _run(scenario, read_timeout=0.2)


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        ("access_denied", SignInCancelled),
        ("invalid_request", InvalidRequestError),
        ("server_error", TransientServiceError),
        ("something_else", SignInCancelled),
        ("<script>", SignInCancelled),
    ],
)
def test_error_answer_with_the_right_state_ends_the_wait(error: str, expected: type[Exception]) -> None:
    async def scenario(server: CallbackServer) -> None:
        waiter = asyncio.create_task(server.wait_for_code(10))
        status, body = await _exchange(
            server.port, _get(server.port, f"/oauth/callback?error={error}&error_description=%3Cb%3Ex&state={STATE}")
        )
        assert status == 200
        assert b"<script>" not in body
        assert b"<b>" not in body
        with pytest.raises(expected):
            await waiter
        assert not server.listening

    _run(scenario)


def test_error_answer_with_a_wrong_state_is_ignored() -> None:
    async def scenario(server: CallbackServer) -> None:
        status, _ = await _exchange(server.port, _get(server.port, "/oauth/callback?error=access_denied&state=nope"))
        assert status == 400
        await _deliver_real_callback(server)

    _run(scenario)


def test_timeout_cancels_with_a_clear_message_and_closes() -> None:
    async def scenario(server: CallbackServer) -> None:
        with pytest.raises(SignInCancelled, match=r"within 0\.2 seconds.*Start the sign-in again"):
            await server.wait_for_code(0.2)
        assert not server.listening
        with pytest.raises(ConnectionRefusedError):
            await asyncio.open_connection("127.0.0.1", server.port)

    _run(scenario)


def test_cancelling_the_wait_closes_the_listener() -> None:
    async def scenario(server: CallbackServer) -> None:
        task = asyncio.create_task(server.wait_for_code(30))
        await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert not server.listening

    _run(scenario)


def test_empty_state_is_refused() -> None:
    with pytest.raises(ValueError, match="state"):
        CallbackServer("")
