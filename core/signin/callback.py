"""The one-shot loopback listener that receives the browser's authorization answer.

AWS Sign-In redirects the browser to ``http://127.0.0.1:{port}/oauth/callback``
with ``code`` and ``state`` (or ``error``; docs/protocol.md §2). The listener:

* binds 127.0.0.1 only, on a random port;
* accepts exactly one GET of ``/oauth/callback`` whose ``state`` matches
  (compared in constant time) and that carries a ``code`` or an ``error``;
* rejects everything else (wrong path or state, no code, a ``Host`` header
  that is not ``127.0.0.1:port`` or ``localhost:port`` - the DNS-rebinding
  guard - other methods, oversized or garbled requests) with a small error
  page, and keeps waiting;
* gives every connection a short read deadline and keeps a small pool of
  connections: when it is full, the connection that has waited longest for
  its request is dropped to make room, so slow or silent clients (or a
  browser's idle pre-connections) cannot shut the real callback out;
* stops listening as soon as it has its answer, or when the sign-in times out.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
import re
import secrets
from types import TracebackType
from urllib.parse import parse_qs, urlsplit

from core.domain.errors import InvalidRequestError, LoginTrayError, SignInCancelled, TransientServiceError

logger = logging.getLogger(__name__)

CALLBACK_PATH = "/oauth/callback"
LOOPBACK_HOST = "127.0.0.1"
DEFAULT_TIMEOUT = 600.0
"""How long a sign-in waits for the browser, in seconds."""

_MAX_REQUEST_BYTES = 8192
_MAX_CONNECTIONS = 16
_MAX_QUERY_FIELDS = 16
_ERROR_CODE = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")

_CANCEL_ERRORS = frozenset({"access_denied", "login_required", "consent_required", "interaction_required"})
_REQUEST_ERRORS = frozenset(
    {"invalid_request", "unauthorized_client", "unsupported_response_type", "invalid_scope", "INVALID_REQUEST"}
)
_TRANSIENT_ERRORS = frozenset({"server_error", "temporarily_unavailable"})

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
body {{ margin: 0; min-height: 100vh; display: flex; align-items: center; justify-content: center;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  background: #f2f3f3; color: #16191f; }}
main {{ background: #fff; border-radius: 12px; padding: 2.5rem 3rem; max-width: 28rem; text-align: center;
  box-shadow: 0 2px 12px rgba(0, 0, 0, 0.08); border-top: 6px solid {accent}; }}
h1 {{ font-size: 1.4rem; margin: 0 0 0.75rem; }}
p {{ margin: 0; line-height: 1.5; color: #414750; }}
</style></head>
<body><main><h1>{title}</h1><p>{text}</p></main></body></html>
"""

_SECURITY_HEADERS = (
    ("Content-Type", "text/html; charset=utf-8"),
    ("Cache-Control", "no-store"),
    ("Pragma", "no-cache"),
    ("X-Content-Type-Options", "nosniff"),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "no-referrer"),
    ("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"),
    ("Connection", "close"),
)

_REASONS = {
    200: "OK",
    400: "Bad Request",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    408: "Request Timeout",
    410: "Gone",
    431: "Request Header Fields Too Large",
}


def render_page(title: str, text: str, *, accent: str = "#1d8102") -> bytes:
    """A small, self-contained HTML page (no scripts, no external resources)."""
    return _PAGE.format(title=html.escape(title), text=html.escape(text), accent=accent).encode("utf-8")


class _Rejected(Exception):
    """A request that is not the answer; it gets an error page and the listener keeps waiting."""

    def __init__(self, status: int, title: str, text: str) -> None:
        super().__init__(title)
        self.status = status
        self.title = title
        self.text = text


def _error_from_redirect(error: str, description: str | None) -> LoginTrayError:
    """The exception for an ``error=`` answer that carried the right state."""
    code = error if _ERROR_CODE.match(error) else "unknown_error"
    if code in _CANCEL_ERRORS:
        return SignInCancelled(
            "The sign-in was declined or cancelled in the browser. Start it again when you are ready."
        )
    if code in _REQUEST_ERRORS:
        return InvalidRequestError(
            f"AWS Sign-In rejected the sign-in request ({code}). "
            "This is likely a bug in aws-login-tray; please report it."
        )
    if code in _TRANSIENT_ERRORS:
        return TransientServiceError(f"AWS Sign-In had a temporary problem ({code}). Try signing in again in a moment.")
    del description  # never shown: it is attacker-controllable text
    return SignInCancelled(f"AWS Sign-In ended the sign-in with the error {code!r}. Try signing in again.")


class CallbackServer:
    """Waits for exactly one authorization answer on the loopback interface.

    Use as ``async with CallbackServer(state) as server:``, put
    :attr:`redirect_uri` into the authorize URL, then ``await
    server.wait_for_code()``.

    Args:
        state: the ``state`` sent in the authorization request.
        read_timeout: seconds one connection may take to send its request head.
    """

    def __init__(self, state: str, *, read_timeout: float = 10.0) -> None:
        if not state:
            raise ValueError("a callback needs a non-empty state")
        self._state = state.encode("utf-8")
        self._read_timeout = read_timeout
        self._server: asyncio.Server | None = None
        self._port = 0
        self._answer: asyncio.Future[str] | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._reading: dict[asyncio.StreamWriter, None] = {}
        """Connections still sending their request head, oldest first."""

    async def __aenter__(self) -> CallbackServer:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Bind 127.0.0.1 on a random free port and start accepting."""
        if self._server is not None:
            return
        self._answer = asyncio.get_running_loop().create_future()
        self._server = await asyncio.start_server(
            self._handle, host=LOOPBACK_HOST, port=0, limit=_MAX_REQUEST_BYTES, reuse_address=False
        )
        self._port = self._server.sockets[0].getsockname()[1]

    @property
    def port(self) -> int:
        """The port the listener is bound to (0 before :meth:`start`)."""
        return self._port

    @property
    def redirect_uri(self) -> str:
        """``http://127.0.0.1:{port}/oauth/callback``."""
        if self._server is None:
            raise RuntimeError("the callback listener is not started")
        return f"http://{LOOPBACK_HOST}:{self._port}{CALLBACK_PATH}"

    @property
    def listening(self) -> bool:
        """True while the socket accepts connections."""
        return self._server is not None and self._server.is_serving()

    async def wait_for_code(self, timeout: float = DEFAULT_TIMEOUT) -> str:  # noqa: ASYNC109 - the user's deadline
        """The authorization code, once the browser delivers it.

        Raises:
            SignInCancelled: nothing arrived within ``timeout`` seconds, or the
                user declined in the browser.
            InvalidRequestError, TransientServiceError: AWS Sign-In redirected
                with another ``error``.
        """
        if self._answer is None:
            raise RuntimeError("the callback listener is not started")
        try:
            return await asyncio.wait_for(asyncio.shield(self._answer), timeout)
        except TimeoutError:
            minutes = timeout / 60
            span = f"{minutes:g} minutes" if minutes >= 1 else f"{timeout:g} seconds"
            raise SignInCancelled(
                f"The browser did not complete the sign-in within {span}, so it was cancelled. "
                "Start the sign-in again when you are ready."
            ) from None
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop listening and drop every open connection. Safe to call twice."""
        server, self._server = self._server, None
        if server is not None:
            server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()
        if server is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(server.wait_closed(), 1.0)
        answer = self._answer
        if answer is not None:
            if not answer.done():
                answer.cancel()
            elif not answer.cancelled():
                answer.exception()  # mark an unclaimed failure as seen; wait_for_code reports it

    # -- one connection ---------------------------------------------------

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._server is None or not self._make_room():
            writer.close()
            return
        self._writers.add(writer)
        try:
            await self._serve_one(reader, writer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away (or was dropped to make room); nothing to answer
        finally:
            self._writers.discard(writer)
            self._reading.pop(writer, None)
            writer.close()

    def _make_room(self) -> bool:
        """Whether a new connection fits, after dropping the one that has waited longest for its request."""
        if len(self._writers) < _MAX_CONNECTIONS:
            return True
        if not self._reading:
            return False  # every connection is being answered; they finish quickly
        oldest = next(iter(self._reading))
        del self._reading[oldest]
        self._writers.discard(oldest)
        logger.debug("callback listener dropped the connection waiting longest for its request")
        oldest.close()
        return True

    async def _serve_one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reading[writer] = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), self._read_timeout)
        except TimeoutError:
            await self._respond(writer, 408, "Request timed out", "The request took too long to arrive.")
            return
        except (asyncio.LimitOverrunError, ValueError):
            await self._respond(writer, 431, "Request too large", "This address only accepts the sign-in answer.")
            return
        finally:
            self._reading.pop(writer, None)
        try:
            outcome = self._evaluate(head)
        except _Rejected as rejected:
            logger.debug("callback listener rejected a request: %s", rejected.title)
            await self._respond(writer, rejected.status, rejected.title, rejected.text, accent="#d13212")
            return
        answer = self._answer
        if answer is None or answer.done():
            await self._respond(writer, 410, "Already handled", "This sign-in is already complete.", accent="#d13212")
            return
        if isinstance(outcome, LoginTrayError):
            await self._respond(writer, 200, "Sign-in not completed", outcome.user_message, accent="#d13212")
            answer.set_exception(outcome)
        else:
            await self._respond(writer, 200, "Signed in", "Signed in. You can close this tab.")
            answer.set_result(outcome)
        # One answer is all this listener takes: stop accepting at once.
        if self._server is not None:
            self._server.close()

    def _evaluate(self, head: bytes) -> str | LoginTrayError:
        """The code (or the error) in a request head, or :class:`_Rejected`."""
        try:
            text = head.decode("ascii")
        except UnicodeDecodeError:
            raise _Rejected(400, "Bad request", "The request could not be read.") from None
        request_line, *header_lines = text[:-4].split("\r\n")
        parts = request_line.split(" ")
        if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
            raise _Rejected(400, "Bad request", "The request could not be read.")
        method, target, _version = parts
        if method != "GET":
            raise _Rejected(405, "Method not allowed", "This address only accepts the sign-in answer.")
        hosts = []
        for line in header_lines:
            name, sep, value = line.partition(":")
            if not sep or not name or name != name.strip():
                raise _Rejected(400, "Bad request", "The request could not be read.")
            if name.lower() == "host":
                hosts.append(value.strip().lower())
        allowed = {f"{LOOPBACK_HOST}:{self._port}", f"localhost:{self._port}"}
        if len(hosts) != 1 or hosts[0] not in allowed:
            raise _Rejected(403, "Wrong address", "This page only answers requests addressed to this computer.")
        if not target.startswith("/"):
            raise _Rejected(400, "Bad request", "The request could not be read.")
        url = urlsplit(target)
        if url.path != CALLBACK_PATH:
            raise _Rejected(404, "Not found", "This address only accepts the sign-in answer.")
        try:
            query = parse_qs(url.query, keep_blank_values=True, max_num_fields=_MAX_QUERY_FIELDS)
        except ValueError:
            raise _Rejected(400, "Bad request", "The request could not be read.") from None
        states = query.get("state", [])
        if len(states) != 1 or not secrets.compare_digest(states[0].encode("utf-8"), self._state):
            raise _Rejected(
                400,
                "Unexpected sign-in answer",
                "This answer does not belong to the sign-in in progress. Start the sign-in again from the app.",
            )
        errors = query.get("error", [])
        if errors:
            descriptions = query.get("error_description")
            return _error_from_redirect(errors[0], descriptions[0] if descriptions else None)
        codes = query.get("code", [])
        if len(codes) != 1 or not codes[0] or len(codes[0]) > 512:
            raise _Rejected(400, "No authorization code", "The answer carried no authorization code.")
        return codes[0]

    async def _respond(
        self, writer: asyncio.StreamWriter, status: int, title: str, text: str, *, accent: str = "#1d8102"
    ) -> None:
        body = render_page(title, text, accent=accent)
        headers = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Error')}"]
        headers += [f"{name}: {value}" for name, value in _SECURITY_HEADERS]
        if status == 405:
            headers.append("Allow: GET")
        headers.append(f"Content-Length: {len(body)}")
        writer.write(("\r\n".join(headers) + "\r\n\r\n").encode("ascii") + body)
        with contextlib.suppress(TimeoutError, ConnectionError):
            await asyncio.wait_for(writer.drain(), self._read_timeout)
