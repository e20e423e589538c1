"""The authorization server's state machine, free of HTTP: authorize, approve, token, control.

Every time check uses :class:`EmulatorClock` (real time plus an offset the control API moves).
"""

from __future__ import annotations

import base64
import hashlib
import json
import math
import secrets
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from emulator.config import ConsoleSession
from emulator.crypto import IdTokenSigner, ProofError, is_valid_code_challenge, pkce_matches, verify_dpop_proof
from emulator.sts import MotoSts

SAME_DEVICE = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE = "arn:aws:signin:::devtools/cross-device"
CLIENT_IDS = (SAME_DEVICE, CROSS_DEVICE)

#: An authorization code must be exchanged within this many seconds.
CODE_LIFETIME = 60
#: A pending authorize request (the page in the browser) stays usable this long.
PENDING_LIFETIME = 600
#: At most this many authorize requests wait for an answer; the oldest go first.
MAX_PENDING = 1000
#: Lifetime of id tokens.
ID_TOKEN_LIFETIME = 3600

FAULTS: dict[str, tuple[str, int, str, str]] = {
    "500": ("InternalServerException", 500, "server_error", "An internal error occurred (injected)."),
    "429": ("TooManyRequestsError", 429, "INVALID_REQUEST", "Rate exceeded (injected)."),
    "USER_CREDENTIALS_CHANGED": (
        "AccessDeniedException",
        403,
        "USER_CREDENTIALS_CHANGED",
        "The user's credentials changed; sign in again (injected).",
    ),
    "INSUFFICIENT_PERMISSIONS": (
        "AccessDeniedException",
        403,
        "INSUFFICIENT_PERMISSIONS",
        "The principal is not allowed signin:CreateOAuth2Token (injected).",
    ),
}


class EmulatorClock:
    """Real time plus an offset; the control API only ever moves the offset."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Seconds since the epoch on the emulator's clock."""
        return time.time() + self.offset


class AuthorizeError(Exception):
    """An authorize request is invalid; shown on an error page, never redirected."""


class TokenError(Exception):
    """A modeled error of CreateOAuth2Token."""

    def __init__(self, exception: str, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.exception = exception
        self.status = status
        self.error = error
        self.message = message


def _invalid(message: str) -> TokenError:
    return TokenError("ValidationException", 400, "INVALID_REQUEST", message)


def _expired(message: str) -> TokenError:
    return TokenError("AccessDeniedException", 401, "TOKEN_EXPIRED", message)


def _code_expired(message: str) -> TokenError:
    return TokenError("AccessDeniedException", 401, "AUTHCODE_EXPIRED", message)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def fingerprint(secret: str) -> str:
    """How the control API names a refresh token: the first 16 hex digits of its SHA-256."""
    return _digest(secret)[:16]


def verification_code(state: str, code: str) -> str:
    """Cross-device: standard, padded base64 of ``state=...&code=...``."""
    return base64.b64encode(urlencode([("state", state), ("code", code)]).encode("ascii")).decode("ascii")


@dataclass
class AuthorizeRequest:
    """A validated authorize request waiting for the user's choice."""

    id: str
    client_id: str
    redirect_uri: str
    state: str
    code_challenge: str
    created_at: float
    query: str = ""
    used: bool = False


@dataclass
class LoginSession:
    """One sign-in: starts at approval, ends after the principal's session duration."""

    id: str
    session: ConsoleSession
    client_id: str
    signed_in_at: float
    ends_at: float
    revoked: bool = False
    jkt: str | None = None
    refreshes: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "session_arn": self.session.arn,
            "client_id": self.client_id,
            "signed_in_at": self.signed_in_at,
            "ends_at": self.ends_at,
            "revoked": self.revoked,
            "jkt": self.jkt,
            "refreshes": self.refreshes,
        }


@dataclass
class AuthCode:
    """An authorization code: single use, valid for :data:`CODE_LIFETIME` seconds."""

    request: AuthorizeRequest
    login: LoginSession
    issued_at: float
    code: str
    used: bool = False


@dataclass
class RefreshToken:
    """A refresh token's record; the token itself is kept only as a digest."""

    fingerprint: str
    login: LoginSession
    issued_at: float
    state: str = "current"  # current | rotated
    uses: int = 0
    refused_uses: int = 0

    def public(self) -> dict[str, Any]:
        return {
            "id": self.fingerprint,
            "login_id": self.login.id,
            "session_arn": self.login.session.arn,
            "issued_at": self.issued_at,
            "state": self.state,
            "uses": self.uses,
            "refused_uses": self.refused_uses,
        }


@dataclass(frozen=True)
class Approval:
    """Where the browser goes after the user chose a session (or cancelled)."""

    client_id: str
    location: str
    state: str
    code: str | None
    error: str | None = None

    @property
    def verification_code(self) -> str | None:
        """The cross-device code the confirmation page shows, when a code was issued."""
        return None if self.code is None else verification_code(self.state, self.code)


@dataclass
class _Records:
    requests: int = 0
    issued: list[dict[str, Any]] = field(default_factory=list)
    refused: list[dict[str, Any]] = field(default_factory=list)


class Authority:
    """The emulator's whole mutable state behind one lock."""

    def __init__(
        self,
        sessions: list[ConsoleSession],
        sts: MotoSts,
        *,
        region: str,
        credential_ttl: int,
        session_duration: int,
    ) -> None:
        self.sessions = sessions
        self.sts = sts
        self.region = region
        self.credential_ttl = credential_ttl
        self.session_duration = session_duration
        self.base_url = ""
        self.signer = IdTokenSigner()
        self.clock = EmulatorClock()
        self.lock = threading.RLock()
        self.reset()

    # ----------------------------------------------------------------- state
    def reset(self) -> None:
        """Back to the startup state (the clock offset, faults, delay and every grant)."""
        with self.lock:
            self.clock.offset = 0.0
            self.delay = 0.0
            self.faults: list[dict[str, Any]] = []
            self.pending: dict[str, AuthorizeRequest] = {}
            self.codes: dict[str, AuthCode] = {}
            self.logins: list[LoginSession] = []
            self.refresh_tokens: dict[str, RefreshToken] = {}
            self.jtis: set[str] = set()
            self.records = _Records()
            self.sts.rules.reset()

    @property
    def token_url(self) -> str:
        """The exact URL every DPoP proof's ``htu`` must name."""
        return f"{self.base_url}/v1/token"

    @property
    def confirmation_url(self) -> str:
        """The cross-device redirect URI."""
        return f"{self.base_url}/v1/sessions/confirmation"

    # ------------------------------------------------------------- authorize
    def validate_authorize(self, query: dict[str, list[str]]) -> AuthorizeRequest:
        """Check every parameter of ``GET /v1/authorize``; the result is not yet stored."""
        names = ("response_type", "client_id", "state", "code_challenge_method", "scope", "redirect_uri")
        values: dict[str, str] = {}
        for name in (*names, "code_challenge"):
            given = query.get(name, [])
            if len(given) != 1 or not given[0]:
                raise AuthorizeError(f"The parameter {name} is missing or repeated.")
            values[name] = given[0]
        if values["response_type"] != "code":
            raise AuthorizeError("response_type must be code.")
        if values["client_id"] not in CLIENT_IDS:
            raise AuthorizeError("Unknown client_id.")
        if values["code_challenge_method"] != "SHA-256":
            raise AuthorizeError("code_challenge_method must be SHA-256.")
        if not is_valid_code_challenge(values["code_challenge"]):
            raise AuthorizeError("code_challenge must be 43 characters of unpadded base64url.")
        if values["scope"] != "openid":
            raise AuthorizeError("scope must be openid.")
        if len(values["state"]) > 512:
            raise AuthorizeError("state is too long.")
        redirect_uri = values["redirect_uri"]
        if values["client_id"] == SAME_DEVICE:
            if not _is_loopback_callback(redirect_uri):
                raise AuthorizeError("redirect_uri must be http://127.0.0.1:<port>/oauth/callback for this client.")
        elif redirect_uri != self.confirmation_url:
            raise AuthorizeError(f"redirect_uri must be {self.confirmation_url} for this client.")
        return AuthorizeRequest(
            id=secrets.token_urlsafe(24),
            client_id=values["client_id"],
            redirect_uri=redirect_uri,
            state=values["state"],
            code_challenge=values["code_challenge"],
            created_at=self.clock.now(),
            query=urlencode([(name, values[name]) for name in (*names, "code_challenge")]),
        )

    def begin(self, query: dict[str, list[str]]) -> AuthorizeRequest:
        """Validate and remember an authorize request for the page's buttons."""
        request = self.validate_authorize(query)
        with self.lock:
            self._purge_pending()
            self.pending[request.id] = request
        return request

    def _purge_pending(self) -> None:
        """Forget answered and expired authorize requests, and the oldest beyond :data:`MAX_PENDING`."""
        now = self.clock.now()
        for request_id, request in list(self.pending.items()):
            if request.used or now - request.created_at > PENDING_LIFETIME:
                del self.pending[request_id]
        while len(self.pending) >= MAX_PENDING:
            del self.pending[next(iter(self.pending))]

    def _take_pending(self, request_id: str) -> AuthorizeRequest:
        request = self.pending.get(request_id)
        if request is None or request.used:
            raise AuthorizeError("This sign-in request is unknown or was already answered. Start again.")
        if self.clock.now() - request.created_at > PENDING_LIFETIME:
            raise AuthorizeError("This sign-in request has expired. Start again.")
        return request

    def session_at(self, index: int) -> ConsoleSession:
        """The offered session with a 1-based index."""
        if not 1 <= index <= len(self.sessions):
            raise AuthorizeError(f"There is no session number {index}.")
        return self.sessions[index - 1]

    def approve(self, request_id: str, index: int) -> Approval:
        """The user chose offered session ``index`` (1-based): issue a code."""
        with self.lock:
            request = self._take_pending(request_id)
            return self._approve(request, self.session_at(index))

    def approve_request(self, request: AuthorizeRequest, session: ConsoleSession) -> Approval:
        """Issue a code for a validated request that was never stored (automation)."""
        with self.lock:
            return self._approve(request, session)

    def _approve(self, request: AuthorizeRequest, session: ConsoleSession) -> Approval:
        request.used = True
        now = self.clock.now()
        duration = session.session_duration or self.session_duration
        login = LoginSession(
            id=uuid.uuid4().hex[:12],
            session=session,
            client_id=request.client_id,
            signed_in_at=now,
            ends_at=now + duration,
        )
        self.logins.append(login)
        code = secrets.token_urlsafe(32)
        self.codes[_digest(code)] = AuthCode(request=request, login=login, issued_at=now, code=code)
        location = _with_query(request.redirect_uri, [("code", code), ("state", request.state)])
        return Approval(request.client_id, location, request.state, code)

    def deny(self, request_id: str) -> Approval:
        """The user cancelled: redirect with ``error=access_denied``."""
        with self.lock:
            request = self._take_pending(request_id)
            return self.deny_request(request)

    def deny_request(self, request: AuthorizeRequest) -> Approval:
        """Cancel a validated request."""
        request.used = True
        location = _with_query(request.redirect_uri, [("error", "access_denied"), ("state", request.state)])
        return Approval(request.client_id, location, request.state, None, "access_denied")

    def sign_in(self, request_id: str, account: str, user: str, password: str) -> Approval:
        """The "Root or IAM user" form: match an offered IAM user or root session."""
        with self.lock:
            request = self._take_pending(request_id)
            account = account.replace("-", "").strip()
            user = user.strip()
            for session in self.sessions:
                if session.kind not in ("user", "root") or session.account_id != account:
                    continue
                if (session.kind == "root") != (user in ("", "root")):
                    continue
                if session.kind == "user" and session.principal != user:
                    continue
                expected = session.password
                if not password or (
                    expected is not None and not secrets.compare_digest(password.encode(), expected.encode())
                ):
                    break
                return self._approve(request, session)
            raise AuthorizeError("The account, user name or password is not correct.")

    def pending_request(self, request_id: str) -> AuthorizeRequest:
        """A pending request that can still be answered."""
        with self.lock:
            return self._take_pending(request_id)

    def confirmation(self, code: str, state: str) -> str:
        """The verification code for a cross-device code that this emulator issued."""
        with self.lock:
            grant = self.codes.get(_digest(code))
            if grant is None or grant.request.client_id != CROSS_DEVICE or grant.request.state != state:
                raise AuthorizeError("This confirmation link is not valid.")
            return verification_code(state, code)

    # ----------------------------------------------------------------- token
    def token(self, *, dpop: list[str], content_type: str | None, body: bytes, query: str) -> dict[str, Any]:
        """``POST /v1/token`` (CreateOAuth2Token). Raises :class:`TokenError`."""
        with self.lock:
            self.records.requests += 1
            grant_type: str | None = None
            try:
                fault = self._take_fault()
                if fault is not None:
                    raise TokenError(*fault)
                if query:
                    raise _invalid("Unsupported token request.")
                if (content_type or "").split(";")[0].strip().lower() != "application/json":
                    raise _invalid("Content-Type must be application/json.")
                request = _parse_token_body(body)
                grant_type = request["grantType"]
                if len(dpop) != 1:
                    raise _invalid("Exactly one DPoP header is required.")
                try:
                    proof = verify_dpop_proof(dpop[0], method="POST", url=self.token_url, now=self.clock.now())
                except ProofError as exc:
                    raise _invalid(f"Invalid DPoP proof: {exc}") from exc
                if proof.jti in self.jtis:
                    raise _invalid("Invalid DPoP proof: jti was already used.")
                # Only a verified proof of a request that is processed is burned: SDK retries
                # after a fault resend the identical proof.
                self.jtis.add(proof.jti)
                if grant_type == "authorization_code":
                    return self._exchange_code(request, proof.jkt)
                return self._refresh(request, proof.jkt)
            except TokenError as exc:
                self.records.refused.append(
                    {
                        "time": self.clock.now(),
                        "grant_type": grant_type,
                        "exception": exc.exception,
                        "error": exc.error,
                        "message": exc.message,
                    }
                )
                raise

    def _take_fault(self) -> tuple[str, int, str, str] | None:
        while self.faults:
            fault = self.faults[0]
            if fault["remaining"] <= 0:
                self.faults.pop(0)
                continue
            fault["remaining"] -= 1
            if fault["remaining"] == 0:
                self.faults.pop(0)
            return FAULTS[fault["kind"]]
        return None

    def _exchange_code(self, request: dict[str, str], jkt: str) -> dict[str, Any]:
        for name in ("code", "codeVerifier", "redirectUri"):
            if name not in request:
                raise _invalid(f"{name} is required for grantType authorization_code.")
        if "refreshToken" in request:
            raise _invalid("refreshToken is not allowed for grantType authorization_code.")
        grant = self.codes.get(_digest(request["code"]))
        now = self.clock.now()
        if grant is None:
            raise _code_expired("The authorization code is not valid.")
        if grant.used:
            raise _code_expired("The authorization code was already used.")
        if now - grant.issued_at > CODE_LIFETIME:
            raise _code_expired("The authorization code has expired.")
        if request["clientId"] != grant.request.client_id:
            raise _invalid("clientId does not match the authorization request.")
        if request["redirectUri"] != grant.request.redirect_uri:
            raise _invalid("redirectUri does not match the authorization request.")
        if not pkce_matches(request["codeVerifier"], grant.request.code_challenge):
            raise _invalid("codeVerifier does not match the code challenge.")
        grant.used = True
        login = grant.login
        self._check_alive(login, now)
        login.jkt = jkt
        output = self._issue(login, now, "authorization_code")
        output["idToken"] = self.signer.sign(
            {
                "iss": self.base_url,
                "sub": login.session.arn,
                "session_arn": login.session.arn,
                "aud": login.client_id,
                "iat": int(now),
                "auth_time": int(login.signed_in_at),
                "exp": int(now) + ID_TOKEN_LIFETIME,
            }
        )
        return output

    def _refresh(self, request: dict[str, str], jkt: str) -> dict[str, Any]:
        if "refreshToken" not in request:
            raise _invalid("refreshToken is required for grantType refresh_token.")
        for name in ("code", "codeVerifier", "redirectUri"):
            if name in request:
                raise _invalid(f"{name} is not allowed for grantType refresh_token.")
        record = self.refresh_tokens.get(_digest(request["refreshToken"]))
        if record is None:
            raise _expired("The refresh token is not valid.")
        login = record.login
        if request["clientId"] != login.client_id:
            record.refused_uses += 1
            raise _invalid("clientId does not match the refresh token.")
        if login.jkt is None or not secrets.compare_digest(jkt, login.jkt):
            record.refused_uses += 1
            raise _invalid("The DPoP key does not match the refresh token's binding (cnf.jkt).")
        if record.state != "current":
            record.refused_uses += 1
            raise _expired("The refresh token was already used.")
        now = self.clock.now()
        try:
            self._check_alive(login, now)
        except TokenError:
            record.refused_uses += 1
            raise
        record.state = "rotated"
        record.uses += 1
        login.refreshes += 1
        return self._issue(login, now, "refresh_token")

    @staticmethod
    def _check_alive(login: LoginSession, now: float) -> None:
        if login.revoked:
            raise _expired("The session was revoked; sign in again.")
        if login.ends_at - now < 1:
            raise _expired("The session has reached its maximum duration; sign in again.")

    def _issue(self, login: LoginSession, now: float, grant_type: str) -> dict[str, Any]:
        expires_in = max(1, min(self.credential_ttl, math.floor(login.ends_at - now)))
        credentials = self.sts.mint(login.session, expires_in)
        refresh_token = "ASOR" + secrets.token_urlsafe(48)
        record = RefreshToken(fingerprint(refresh_token), login, now)
        self.refresh_tokens[_digest(refresh_token)] = record
        self.records.issued.append(
            {
                "time": now,
                "grant_type": grant_type,
                "login_id": login.id,
                "session_arn": login.session.arn,
                "access_key_id": credentials.access_key_id,
                "expires_in": expires_in,
                "refresh_token_id": record.fingerprint,
            }
        )
        return {
            "accessToken": {
                "accessKeyId": credentials.access_key_id,
                "secretAccessKey": credentials.secret_access_key,
                "sessionToken": credentials.session_token,
            },
            "tokenType": "aws_sigv4",
            "expiresIn": expires_in,
            "refreshToken": refresh_token,
        }

    # --------------------------------------------------------------- control
    def add_fault(self, kind: Any, count: Any) -> list[dict[str, Any]]:
        """Queue ``count`` injected failures of ``kind`` for the next token requests."""
        if not isinstance(kind, str) or kind not in FAULTS:
            raise ValueError(f"kind must be one of {sorted(FAULTS)}")
        if not isinstance(count, int) or isinstance(count, bool) or count < 1:
            raise ValueError("count must be a positive integer")
        with self.lock:
            self.faults.append({"kind": kind, "remaining": count})
            return [dict(fault) for fault in self.faults]

    def revoke(self, session_arn: Any) -> int:
        """Revoke every login session of an ARN; their refresh tokens get TOKEN_EXPIRED."""
        if not isinstance(session_arn, str):
            raise ValueError("session_arn must be a string")
        with self.lock:
            hits = [login for login in self.logins if login.session.arn == session_arn and not login.revoked]
            for login in hits:
                login.revoked = True
            return len(hits)

    def advance_clock(self, seconds: Any) -> float:
        """Move the emulator's clock (never the OS clock)."""
        if (
            not isinstance(seconds, int | float)
            or isinstance(seconds, bool)
            or not -(10**12) <= seconds <= 10**12  # compared as given: a huge integer is no float
            or not math.isfinite(seconds)
        ):
            raise ValueError("advance_seconds must be a number")
        with self.lock:
            self.clock.offset += seconds
            return self.clock.offset

    def set_delay(self, seconds: Any) -> None:
        """Delay every token response by ``seconds``."""
        if not isinstance(seconds, int | float) or isinstance(seconds, bool) or not 0 <= seconds <= 600:
            raise ValueError("seconds must be a number between 0 and 600")
        with self.lock:
            self.delay = float(seconds)

    def sessions_report(self) -> dict[str, Any]:
        """``GET /_emulator/sessions``."""
        with self.lock:
            return {
                "sessions": [session.public(index) for index, session in enumerate(self.sessions, 1)],
                "login_sessions": [login.public() for login in self.logins],
                "region": self.region,
                "base_url": self.base_url,
                "sts_url": self.sts.url,
                "credential_ttl": self.credential_ttl,
                "session_duration": self.session_duration,
            }

    def tokens_report(self) -> dict[str, Any]:
        """``GET /_emulator/tokens``."""
        with self.lock:
            return {
                "requests": self.records.requests,
                "issued": list(self.records.issued),
                "refresh_tokens": [record.public() for record in self.refresh_tokens.values()],
                "refused": list(self.records.refused),
                "faults": [dict(fault) for fault in self.faults],
                "login_sessions": [login.public() for login in self.logins],
            }

    def clock_report(self) -> dict[str, Any]:
        """``GET /_emulator/clock``."""
        with self.lock:
            return {"offset": self.clock.offset, "now": self.clock.now()}


def _is_loopback_callback(uri: str) -> bool:
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme == "http"
        and parts.netloc == f"127.0.0.1:{port}"
        and port is not None
        and 0 < port < 65536
        and parts.path == "/oauth/callback"
        and not parts.query
        and not parts.fragment
    )


def _with_query(uri: str, params: list[tuple[str, str]]) -> str:
    return f"{uri}?{urlencode(params)}"


_STRING_LIMITS = {
    "clientId": (1, 256),
    "grantType": (1, 64),
    "code": (1, 512),
    "redirectUri": (1, 2048),
    "codeVerifier": (43, 128),
    "refreshToken": (1, 12288),
}


def _parse_token_body(body: bytes) -> dict[str, str]:
    """The model's CreateOAuth2TokenRequestBody, checked the way the service's validator would."""
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise _invalid("The request body is not valid JSON.") from exc
    if not isinstance(data, dict):
        raise _invalid("The request body must be a JSON object.")
    request: dict[str, str] = {}
    for name, (low, high) in _STRING_LIMITS.items():
        if name not in data:
            continue
        value = data[name]
        if not isinstance(value, str) or not low <= len(value) <= high:
            raise _invalid(f"{name} must be a string of {low} to {high} characters.")
        request[name] = value
    for name in ("clientId", "grantType"):
        if name not in request:
            raise _invalid(f"{name} is required.")
    if request["clientId"] not in CLIENT_IDS:
        raise _invalid("clientId is not a known client.")
    if request["grantType"] not in ("authorization_code", "refresh_token"):
        raise _invalid("grantType must be authorization_code or refresh_token.")
    if "codeVerifier" in request and not all(
        ch.isascii() and (ch.isalnum() or ch in "-._~") for ch in request["codeVerifier"]
    ):
        raise _invalid("codeVerifier has characters outside [A-Za-z0-9-._~].")
    return request
