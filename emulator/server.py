"""HTTP front of the emulator: the Sign-In endpoints and the loopback-only control API."""

from __future__ import annotations

import contextlib
import ipaddress
import json
import logging
import socket
import sys
import threading
import time
import uuid
from collections.abc import Callable
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import SplitResult, parse_qs, urlsplit

from emulator import pages
from emulator.authority import CROSS_DEVICE, Authority, AuthorizeError, TokenError
from emulator.trust import check_role

log = logging.getLogger("emulator")

_MAX_BODY = 64 * 1024
IDLE_TIMEOUT = 30.0
"""Seconds a connection may stay silent (between requests or inside one) before it is closed."""
MAX_CONNECTIONS = 64
"""Connections served at once (one thread each); more are answered 503 and closed."""
_BUSY_REPLY = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 25\r\n"
    b"Retry-After: 1\r\nConnection: close\r\n\r\nToo many open connections"
)
_SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; img-src data:",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


def is_loopback_peer(address: str) -> bool:
    """True when a peer address is a loopback address (IPv4, IPv6 or IPv4-mapped IPv6)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


class EmulatorServer(ThreadingHTTPServer):
    """A threading HTTP server that carries the authority.

    ``latency`` (seconds) models a network between client and service: every
    answer is held that long before its first byte is sent. Each connection has
    its own thread, so one answer's wait never holds up another's.

    Abuse stays bounded: at most ``max_connections`` threads, each closed
    after ``idle_timeout`` seconds of silence; a client that leaves early is
    logged quietly, not with a traceback.
    """

    daemon_threads = True
    allow_reuse_address = True

    def __init__(
        self,
        address: tuple[str, int],
        authority: Authority,
        *,
        idle_timeout: float = IDLE_TIMEOUT,
        max_connections: int = MAX_CONNECTIONS,
        latency: float = 0.0,
    ) -> None:
        super().__init__(address, Handler)
        self.authority = authority
        self.idle_timeout = idle_timeout
        self.latency = latency
        self._slots = threading.BoundedSemaphore(max_connections)

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self._slots.acquire(blocking=False):
            self._refuse(request)
            return
        try:
            super().process_request(request, client_address)
        except BaseException:
            self._slots.release()
            raise

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self._slots.release()

    def _refuse(self, request: socket.socket) -> None:
        try:
            request.settimeout(1.0)
            request.sendall(_BUSY_REPLY)
        except OSError:
            pass
        self.shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, ConnectionError | TimeoutError):
            log.info("client %s left: %s", client_address[0], type(error).__name__)
            return
        super().handle_error(request, client_address)


class Handler(BaseHTTPRequestHandler):
    """One request."""

    server: EmulatorServer
    protocol_version = "HTTP/1.1"
    default_request_version = "HTTP/1.1"  # so even an answer to a garbled request line has a status line
    server_version = "SigninEmulator/1"

    # ------------------------------------------------------------- plumbing
    @property
    def authority(self) -> Authority:
        return self.server.authority

    def setup(self) -> None:
        self._body_unread = False
        self._responded = False
        super().setup()
        # An answer is written as headers, then body: with Nagle's algorithm the body waits for the
        # client's delayed ACK of the headers (40 ms on Linux), which made concurrent token calls
        # finish one 40 ms step after another. AWS's endpoints send without that delay.
        with contextlib.suppress(OSError):  # not a TCP socket (a test's socket pair)
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.connection.settimeout(self.server.idle_timeout)  # silent clients are dropped, not served forever

    def parse_request(self) -> bool:
        self._body_unread = False
        self._responded = False
        if not super().parse_request():
            return False
        if len(self.requestline.split()) != 3:  # an HTTP/0.9 request: no version, no headers
            self.send_error(HTTPStatus.BAD_REQUEST, "The request line needs a method, a target and a version.")
            return False
        length = self.headers.get("Content-Length")
        # A body nobody reads must never be taken for the next request: close after answering.
        self._body_unread = self.headers.get("Transfer-Encoding") is not None or (
            length is not None and length.strip() != "0"
        )
        return True

    def send_response(self, code: int, message: str | None = None) -> None:
        """Every answer (errors of the HTTP layer too) waits out the modelled network latency first."""
        if self.server.latency > 0:
            time.sleep(self.server.latency)
        super().send_response(code, message)

    def end_headers(self) -> None:
        if self._body_unread and not self.close_connection:
            self.send_header("Connection", "close")
        self._responded = True
        super().end_headers()

    def finish(self) -> None:
        super().finish()
        if self._body_unread:
            self._discard_input()

    def _discard_input(self) -> None:
        """Close without a reset: stop sending, then read and drop what the client still sends, briefly.

        Closing a socket with unread bytes makes the kernel reset the
        connection, which can destroy the answer before the client reads it.
        """
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_WR)
            self.connection.settimeout(0.5)
            for _ in range(64):
                if not self.connection.recv(65536):
                    break

    def log_message(self, format: str, *args: Any) -> None:
        """Request lines go to the emulator's logger (stderr), never stdout; no query strings."""
        path = getattr(self, "path", "")
        try:
            path = urlsplit(path).path
        except ValueError:
            path = "(not a URL)"
        log.info("%s %s", getattr(self, "command", None) or "-", path[:200])

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(value).encode(), "application/json", headers)

    def _html(self, status: int, body: bytes) -> None:
        self._send(status, body, "text/html; charset=utf-8", _SECURITY_HEADERS)

    def _redirect(self, location: str) -> None:
        self._send(HTTPStatus.FOUND, b"", "text/plain", {"Location": location, "Cache-Control": "no-store"})

    def _read_body(self) -> bytes | None:
        """The body, or None when it has no valid Content-Length or is over the limit (then unread)."""
        length_header = self.headers.get("Content-Length")
        if self.headers.get("Transfer-Encoding") or length_header is None:
            return None
        try:
            length = int(length_header)
        except ValueError:
            return None
        if not 0 <= length <= _MAX_BODY:
            return None
        body = self.rfile.read(length)
        if len(body) != length:
            raise ConnectionResetError("the client sent less than its Content-Length")
        self._body_unread = False
        return body

    def _body_too_large(self) -> bool:
        length = self.headers.get("Content-Length", "")
        return length.strip().isdigit() and int(length) > _MAX_BODY

    def _form(self) -> dict[str, str] | None:
        body = self._read_body()
        if body is None:
            return None
        try:
            fields = parse_qs(body.decode("ascii"), keep_blank_values=True, strict_parsing=False)
        except UnicodeDecodeError:
            return None
        return {name: values[0] for name, values in fields.items() if len(values) == 1}

    # --------------------------------------------------------------- routes
    def do_GET(self) -> None:
        self._guarded(self._get)

    def do_POST(self) -> None:
        self._guarded(self._post)

    def _guarded(self, route: Callable[[SplitResult], None]) -> None:
        """Every request gets an answer: a target that is no URL a 400, a bug a 500 (never silence)."""
        try:
            url = urlsplit(self.path)
        except ValueError:
            self._html(HTTPStatus.BAD_REQUEST, pages.error_page("The request target is not a valid URL."))
            return
        try:
            route(url)
        except (ConnectionError, TimeoutError):
            raise
        except Exception:
            log.exception("failed to answer %s %s", self.command, url.path[:200])
            self.close_connection = True
            if not self._responded:
                self._json(HTTPStatus.INTERNAL_SERVER_ERROR, {"error": "server_error"})

    def _get(self, url: SplitResult) -> None:
        if url.path.startswith("/_emulator/"):
            self._control("GET", url.path, None)
        elif url.path == "/v1/authorize":
            self._authorize(parse_qs(url.query, keep_blank_values=True))
        elif url.path == "/v1/authorize/signin":
            query = parse_qs(url.query)
            try:
                request = self.authority.pending_request(query.get("request_id", [""])[0])
            except AuthorizeError as exc:
                self._html(HTTPStatus.BAD_REQUEST, pages.error_page(str(exc)))
                return
            self._html(HTTPStatus.OK, pages.sign_in_page(request.id, request.query))
        elif url.path == "/v1/sessions/confirmation":
            self._confirmation(parse_qs(url.query, keep_blank_values=True))
        elif url.path == "/.well-known/jwks.json":
            self._json(HTTPStatus.OK, self.authority.signer.jwks())
        else:
            self._html(HTTPStatus.NOT_FOUND, pages.error_page("Not found."))

    def _post(self, url: SplitResult) -> None:
        if url.path.startswith("/_emulator/"):
            body = self._read_body()
            if self._body_unread:
                status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE if self._body_too_large() else HTTPStatus.BAD_REQUEST
                self._json(status, {"error": "the body needs a Content-Length of at most 64 KiB"})
                return
            self._control("POST", url.path, body)
        elif url.path == "/v1/token":
            self._token(url.query)
        elif url.path in ("/v1/authorize/approve", "/v1/authorize/deny", "/v1/authorize/signin"):
            self._choice(url.path)
        else:
            self._read_body()
            self._html(HTTPStatus.NOT_FOUND, pages.error_page("Not found."))

    # ------------------------------------------------------------ authorize
    def _authorize(self, query: dict[str, list[str]]) -> None:
        automation = self.headers.get("X-Emulator-Approve")
        try:
            if automation is None:
                request = self.authority.begin(query)
                self._html(
                    HTTPStatus.OK,
                    pages.authorize_page(self.authority.sessions, request.id, request.client_id, request.redirect_uri),
                )
                return
            request = self.authority.validate_authorize(query)
            if automation.strip().lower() == "deny":
                approval = self.authority.deny_request(request)
            else:
                try:
                    index = int(automation)
                except ValueError as exc:
                    raise AuthorizeError("X-Emulator-Approve must be a 1-based session number or 'deny'.") from exc
                approval = self.authority.approve_request(request, self.authority.session_at(index))
        except AuthorizeError as exc:
            self._html(HTTPStatus.BAD_REQUEST, pages.error_page(str(exc)))
            return
        if approval.client_id == CROSS_DEVICE:
            if approval.error:
                self._json(HTTPStatus.OK, {"error": approval.error, "state": approval.state})
            else:
                self._json(HTTPStatus.OK, {"verification_code": approval.verification_code})
        else:
            self._redirect(approval.location)

    def _choice(self, path: str) -> None:
        form = self._form()
        if form is None or "request_id" not in form:
            self._html(HTTPStatus.BAD_REQUEST, pages.error_page("The form is incomplete."))
            return
        request_id = form["request_id"]
        try:
            if path.endswith("/approve"):
                try:
                    index = int(form.get("session", ""))
                except ValueError as exc:
                    raise AuthorizeError("Choose a session.") from exc
                approval = self.authority.approve(request_id, index)
            elif path.endswith("/deny"):
                approval = self.authority.deny(request_id)
            else:
                try:
                    approval = self.authority.sign_in(
                        request_id, form.get("account", ""), form.get("user", ""), form.get("password", "")
                    )
                except AuthorizeError as exc:
                    request = self.authority.pending_request(request_id)  # gone? the outer handler answers
                    self._html(HTTPStatus.UNAUTHORIZED, pages.sign_in_page(request.id, request.query, str(exc)))
                    return
        except AuthorizeError as exc:
            self._html(HTTPStatus.BAD_REQUEST, pages.error_page(str(exc)))
            return
        # 303: the browser follows with GET, as after any form post.
        self._send(
            HTTPStatus.SEE_OTHER, b"", "text/plain", {"Location": approval.location, "Cache-Control": "no-store"}
        )

    def _confirmation(self, query: dict[str, list[str]]) -> None:
        if query.get("error"):
            self._html(HTTPStatus.OK, pages.denied_page())
            return
        code, state = query.get("code", [""]), query.get("state", [""])
        try:
            if len(code) != 1 or len(state) != 1:
                raise AuthorizeError("This confirmation link is not valid.")
            verification = self.authority.confirmation(code[0], state[0])
        except AuthorizeError as exc:
            self._html(HTTPStatus.BAD_REQUEST, pages.error_page(str(exc)))
            return
        self._html(HTTPStatus.OK, pages.confirmation_page(verification))

    # ---------------------------------------------------------------- token
    def _token(self, query: str) -> None:
        body = self._read_body()
        headers = {"x-amzn-requestid": str(uuid.uuid4())}
        try:
            if body is None and self._body_too_large():
                raise TokenError("ValidationException", 413, "INVALID_REQUEST", "The request body is too large.")
            if body is None:
                raise TokenError("ValidationException", 400, "INVALID_REQUEST", "A Content-Length body is required.")
            output = self.authority.token(
                dpop=self.headers.get_all("DPoP") or [],
                content_type=self.headers.get("Content-Type"),
                body=body,
                query=query,
            )
        except TokenError as exc:
            self._pause()
            headers["x-amzn-errortype"] = exc.exception
            self._json(exc.status, {"error": exc.error, "message": exc.message}, headers)
            return
        self._pause()
        self._json(HTTPStatus.OK, output, headers)

    def _pause(self) -> None:
        delay = self.authority.delay
        if delay > 0:
            time.sleep(delay)

    # -------------------------------------------------------------- control
    def _control(self, method: str, path: str, body: bytes | None) -> None:
        if not is_loopback_peer(self.client_address[0]):
            self._json(HTTPStatus.FORBIDDEN, {"error": "the control API answers loopback clients only"})
            return
        payload: Any = {}
        if method == "POST":
            try:
                payload = json.loads(body) if body else {}
            except (ValueError, UnicodeDecodeError, RecursionError):
                self._json(HTTPStatus.BAD_REQUEST, {"error": "the body must be JSON"})
                return
            if not isinstance(payload, dict):
                self._json(HTTPStatus.BAD_REQUEST, {"error": "the body must be a JSON object"})
                return
        authority = self.authority
        name = path.removeprefix("/_emulator/").strip("/")
        try:
            if (method, name) == ("GET", "sessions"):
                result: Any = authority.sessions_report()
            elif (method, name) == ("GET", "tokens"):
                result = authority.tokens_report()
            elif (method, name) == ("GET", "faults"):
                result = {"faults": authority.tokens_report()["faults"]}
            elif (method, name) == ("GET", "clock"):
                result = authority.clock_report()
            elif (method, name) == ("GET", "roles"):
                result = {"roles": authority.sts.rules.report()}
            elif (method, name) == ("POST", "roles"):
                role = check_role(payload.get("arn"), payload.get("policy"), payload.get("max_session_duration", 3600))
                authority.sts.rules.put(role)
                result = role.public()
            elif (method, name) == ("POST", "faults"):
                result = {"faults": authority.add_fault(payload.get("kind"), payload.get("count", 1))}
            elif (method, name) == ("POST", "revoke"):
                result = {"revoked": authority.revoke(payload.get("session_arn"))}
            elif (method, name) == ("POST", "clock"):
                authority.advance_clock(payload.get("advance_seconds"))
                result = authority.clock_report()
            elif (method, name) == ("POST", "delay"):
                authority.set_delay(payload.get("seconds"))
                result = {"seconds": authority.delay}
            elif (method, name) == ("POST", "reset"):
                authority.reset()
                result = {"reset": True}
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": f"no control endpoint {method} {path}"})
                return
        except ValueError as exc:
            self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})
            return
        self._json(HTTPStatus.OK, result)
