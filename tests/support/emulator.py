"""Test support for the AWS Sign-In emulator: run it, drive it, and speak its protocol.

Registered for every test through ``pytest_plugins`` in ``tests/conftest.py``. Fixtures:

* ``emulator``: a running emulator with the default flags, reset before each test.
* ``emulator_factory``: ``emulator_factory(session_duration=3, sessions=[...])`` gives a handle
  for other flags; one subprocess per distinct set of flags per test session, reset per call.

Besides starting the subprocess, this module has a small, independent client of the protocol
(PKCE, DPoP proofs, the token request, AWS's login cache format) so tests can sign in without
the application's own code.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import http.client
import json
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

REPO_ROOT = Path(__file__).resolve().parents[2]
SAME_DEVICE = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE = "arn:aws:signin:::devtools/cross-device"
_START_TIMEOUT = 60.0


# --------------------------------------------------------------------------- protocol
def b64url(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def pkce_pair(length: int = 64) -> tuple[str, str]:
    """A fresh (code_verifier, code_challenge) pair, S256."""
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    verifier = "".join(secrets.choice(alphabet) for _ in range(length))
    return verifier, b64url(hashlib.sha256(verifier.encode()).digest())


class DpopKey:
    """An EC P-256 key that builds DPoP proofs (RFC 9449), with knobs to build bad ones."""

    def __init__(self, private_key: ec.EllipticCurvePrivateKey | None = None) -> None:
        self.private_key = private_key or ec.generate_private_key(ec.SECP256R1())

    @classmethod
    def with_short_coordinate(cls) -> DpopKey:
        """A key whose public x coordinate has a leading zero byte (sent as 31 bytes if trimmed)."""
        while True:
            key = ec.generate_private_key(ec.SECP256R1())
            if key.public_key().public_numbers().x.bit_length() <= 248:
                return cls(key)

    def coordinates(self) -> tuple[bytes, bytes]:
        """The public key's 32-byte x and y."""
        numbers = self.private_key.public_key().public_numbers()
        return numbers.x.to_bytes(32, "big"), numbers.y.to_bytes(32, "big")

    def jwk(self, *, trim_leading_zeros: bool = False) -> dict[str, str]:
        """The public JWK; optionally with leading zero bytes dropped, as awscrt sometimes does."""
        x, y = self.coordinates()
        if trim_leading_zeros:
            x, y = x.lstrip(b"\x00"), y.lstrip(b"\x00")
        return {"kty": "EC", "x": b64url(x), "y": b64url(y), "crv": "P-256"}

    def thumbprint(self) -> str:
        """RFC 7638 thumbprint (what the emulator binds refresh tokens to)."""
        x, y = self.coordinates()
        canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": b64url(x), "y": b64url(y)}, separators=(",", ":"))
        return b64url(hashlib.sha256(canonical.encode()).digest())

    def proof(
        self,
        url: str,
        *,
        htm: str = "POST",
        iat: int | None = None,
        jti: str | None = None,
        typ: str = "dpop+jwt",
        alg: str = "ES256",
        trim_leading_zeros: bool = False,
        sign_with: DpopKey | None = None,
    ) -> str:
        """A compact-JWS DPoP proof for ``url``; every field can be spoiled for negative tests."""
        header = {"typ": typ, "alg": alg, "jwk": self.jwk(trim_leading_zeros=trim_leading_zeros)}
        payload = {
            "htm": htm,
            "htu": url,
            "iat": int(time.time()) if iat is None else iat,
            "jti": jti or str(uuid.uuid4()),
        }
        signing_input = ".".join(b64url(json.dumps(part, separators=(",", ":")).encode()) for part in (header, payload))
        signer = (sign_with or self).private_key
        r, s = decode_dss_signature(signer.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
        return f"{signing_input}.{b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    def sec1_pem(self) -> str:
        """The private key as AWS's cache stores it: PEM "EC PRIVATE KEY" (SEC1)."""
        return self.private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        ).decode("ascii")


@dataclass(frozen=True)
class Reply:
    """An HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    @property
    def error_type(self) -> str | None:
        """``x-amzn-errortype``."""
        return self.headers.get("x-amzn-errortype")


def http_request(
    url: str, method: str = "GET", *, body: bytes | None = None, headers: Mapping[str, str] | None = None
) -> Reply:
    """One plain HTTP/1.1 request to 127.0.0.1, redirects not followed."""
    parts = urlsplit(url)
    assert parts.hostname == "127.0.0.1", "tests talk to loopback only"
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        connection.request(method, target, body=body, headers=dict(headers or {}))
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


@dataclass(frozen=True)
class AuthorizeParams:
    """One authorization request's secrets and parameters."""

    client_id: str
    redirect_uri: str
    state: str
    verifier: str
    challenge: str

    def query(self, **overrides: str | None) -> str:
        """The query string; an override of None drops that parameter."""
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "state": self.state,
            "code_challenge_method": "SHA-256",
            "scope": "openid",
            "redirect_uri": self.redirect_uri,
            "code_challenge": self.challenge,
        }
        params.update(overrides)
        return urlencode({name: value for name, value in params.items() if value is not None})


@dataclass
class SignedIn:
    """The result of a complete sign-in through the emulator (code exchanged)."""

    session_arn: str
    client_id: str
    key: DpopKey
    output: dict[str, Any]
    sign_in_region: str

    @property
    def refresh_token(self) -> str:
        return str(self.output["refreshToken"])

    @property
    def account_id(self) -> str:
        return self.session_arn.split(":")[4]

    def id_token_claims(self) -> dict[str, Any]:
        """The id token's payload (unverified; tests check the signature separately)."""
        payload = str(self.output["idToken"]).split(".")[1]
        return dict(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))


def login_cache_path(cache_dir: Path, session_arn: str) -> Path:
    """AWS's file name: lowercase hex SHA-256 of the login session ARN, plus ``.json``."""
    return cache_dir / (hashlib.sha256(session_arn.encode()).hexdigest() + ".json")


def write_aws_login_cache(cache_dir: Path, signed_in: SignedIn, *, expires_at: datetime | None = None) -> Path:
    """Write a cache file in AWS's format (what ``aws login`` leaves), mode 0600."""
    expires = expires_at or datetime.now(UTC) + timedelta(seconds=int(signed_in.output["expiresIn"]))
    access = signed_in.output["accessToken"]
    entry = {
        "accessToken": {
            "accessKeyId": access["accessKeyId"],
            "secretAccessKey": access["secretAccessKey"],
            "sessionToken": access["sessionToken"],
            "accountId": signed_in.account_id,
            "expiresAt": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "tokenType": "aws_sigv4",
        "clientId": signed_in.client_id,
        "refreshToken": signed_in.refresh_token,
        "idToken": signed_in.output["idToken"],
        "dpopKey": signed_in.key.sec1_pem(),
        "signInRegion": signed_in.sign_in_region,
    }
    cache_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    path = login_cache_path(cache_dir, signed_in.session_arn)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(entry, handle)
    return path


# --------------------------------------------------------------------------- handle
@dataclass(frozen=True)
class OfferedSession:
    """A console session the emulator offers; readable as attributes or as ``session["arn"]``."""

    index: int
    arn: str
    kind: str
    account_id: str
    principal: str
    role: str | None
    label: str

    def __getitem__(self, name: str) -> Any:
        return getattr(self, name)


@dataclass
class EmulatorHandle:
    """A running emulator subprocess."""

    base_url: str
    sts_url: str
    process: subprocess.Popen[str]
    flags: dict[str, Any]
    region: str = "us-east-1"
    sessions: list[OfferedSession] = field(default_factory=list)

    @property
    def token_url(self) -> str:
        """The exact DPoP ``htu``."""
        return f"{self.base_url}/v1/token"

    @property
    def confirmation_url(self) -> str:
        """The cross-device redirect URI."""
        return f"{self.base_url}/v1/sessions/confirmation"

    # control API
    def control(self, method: str, path: str, json: Any = None) -> Any:
        """Call the control API (``path`` like ``/_emulator/faults`` or just ``faults``)."""
        if not path.startswith("/"):
            path = f"/_emulator/{path}"
        body = None if json is None else _json_dumps(json).encode()
        headers = {"Content-Type": "application/json"} if body is not None else {}
        reply = http_request(self.base_url + path, method, body=body, headers=headers)
        if reply.status != 200:
            raise RuntimeError(f"emulator control {method} {path} -> {reply.status}: {reply.body!r}")
        return reply.json()

    def reset(self) -> None:
        """Back to the emulator's startup state."""
        self.control("POST", "/_emulator/reset", {})

    def advance_clock(self, seconds: float) -> None:
        """Move the emulator's clock (not the OS clock)."""
        self.control("POST", "/_emulator/clock", {"advance_seconds": seconds})

    def inject_fault(self, kind: str, count: int = 1) -> None:
        """The next ``count`` token requests fail with ``kind``."""
        self.control("POST", "/_emulator/faults", {"kind": kind, "count": count})

    def revoke(self, session_arn: str) -> int:
        """Revoke a session's sign-ins; returns how many."""
        return int(self.control("POST", "/_emulator/revoke", {"session_arn": session_arn})["revoked"])

    def put_role(self, arn: str, policy: dict[str, Any], max_session_duration: int = 3600) -> dict[str, Any]:
        """Create or replace a role the emulator's STS lets callers assume when ``policy`` (a trust policy) allows."""
        body = {"arn": arn, "policy": policy, "max_session_duration": max_session_duration}
        return dict(self.control("POST", "/_emulator/roles", body))

    def tokens(self) -> dict[str, Any]:
        """``GET /_emulator/tokens``."""
        return dict(self.control("GET", "/_emulator/tokens"))

    def env(self, *, dummy_credentials: bool = False) -> dict[str, str]:
        """Environment that points AWS SDKs at the emulator (and dummy keys only when asked)."""
        env = {"AWS_ENDPOINT_URL_SIGNIN": self.base_url, "AWS_ENDPOINT_URL_STS": self.sts_url}
        if dummy_credentials:
            env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
        return env

    # the browser step
    def approve(self, authorize_url: str, n: int | str) -> str:
        """Automation contract: the redirect Location (same device) or the verification code (cross device)."""
        reply = http_request(authorize_url, headers={"X-Emulator-Approve": str(n)})
        if reply.status == 302:
            return reply.headers["location"]
        if reply.status == 200:
            data = reply.json()
            return str(data.get("verification_code") or data["error"])
        raise RuntimeError(f"authorize refused ({reply.status}): {reply.body[:300]!r}")

    def authorize_params(self, client_id: str = SAME_DEVICE, *, callback_port: int = 49152) -> AuthorizeParams:
        """Fresh parameters for an authorization request of either client."""
        verifier, challenge = pkce_pair()
        redirect = (
            f"http://127.0.0.1:{callback_port}/oauth/callback" if client_id == SAME_DEVICE else self.confirmation_url
        )
        return AuthorizeParams(client_id, redirect, str(uuid.uuid4()), verifier, challenge)

    def authorize_url(self, params: AuthorizeParams, **overrides: str | None) -> str:
        """``{base}/v1/authorize?...``."""
        return f"{self.base_url}/v1/authorize?{params.query(**overrides)}"

    def get_code(self, params: AuthorizeParams, n: int = 1) -> str:
        """Approve session ``n`` and return the authorization code (state checked)."""
        answer = self.approve(self.authorize_url(params), n)
        if params.client_id == SAME_DEVICE:
            query = parse_qs(urlsplit(answer).query)
        else:
            query = parse_qs(base64.b64decode(answer, validate=True).decode())
        assert query["state"] == [params.state]
        return query["code"][0]

    # the token endpoint
    def token_request(
        self,
        body: Mapping[str, Any] | bytes,
        *,
        key: DpopKey | None = None,
        proof: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Reply:
        """``POST /v1/token`` as botocore sends it, with a fresh proof from ``key`` unless ``proof`` is given."""
        data = body if isinstance(body, bytes) else _json_dumps(body).encode()
        sent = {"Content-Type": "application/json"}
        if proof is None and key is not None:
            proof = key.proof(self.token_url)
        if proof is not None:
            sent["DPoP"] = proof
        sent.update(headers or {})
        return http_request(self.token_url, "POST", body=data, headers=sent)

    @staticmethod
    def code_body(params: AuthorizeParams, code: str, **overrides: Any) -> dict[str, Any]:
        """The authorization-code exchange body."""
        body: dict[str, Any] = {
            "clientId": params.client_id,
            "grantType": "authorization_code",
            "code": code,
            "codeVerifier": params.verifier,
            "redirectUri": params.redirect_uri,
        }
        body.update(overrides)
        return body

    @staticmethod
    def refresh_body(client_id: str, refresh_token: str) -> dict[str, Any]:
        """The refresh body, member for member what botocore's LoginProvider sends."""
        return {"clientId": client_id, "refreshToken": refresh_token, "grantType": "refresh_token"}

    def sign_in(self, n: int = 1, *, client_id: str = SAME_DEVICE, key: DpopKey | None = None) -> SignedIn:
        """A complete sign-in of offered session ``n``: approve, exchange the code, return the tokens."""
        key = key or DpopKey()
        params = self.authorize_params(client_id)
        code = self.get_code(params, n)
        reply = self.token_request(self.code_body(params, code), key=key)
        if reply.status != 200:
            raise RuntimeError(f"code exchange failed ({reply.status}): {reply.body!r}")
        return SignedIn(self.sessions[n - 1].arn, client_id, key, reply.json(), self.region)

    def refresh(self, signed_in: SignedIn, *, key: DpopKey | None = None) -> Reply:
        """One refresh; on success the new refresh token is stored in ``signed_in``."""
        reply = self.token_request(
            self.refresh_body(signed_in.client_id, signed_in.refresh_token), key=key or signed_in.key
        )
        if reply.status == 200:
            output = reply.json()
            signed_in.output = {**signed_in.output, **output}
        return reply


def _json_dumps(value: Any) -> str:
    return json.dumps(value)


_FLAG_NAMES = ("host", "port", "region", "credential_ttl", "session_duration", "sessions", "latency_ms")


@contextlib.contextmanager
def start_emulator(**flags: Any) -> Iterator[EmulatorHandle]:
    """Start ``python -m emulator`` with flags (``sessions`` may be a list or a file path); stop it after."""
    unknown = set(flags) - set(_FLAG_NAMES)
    if unknown:
        raise TypeError(f"unknown emulator flags: {sorted(unknown)}")
    workdir = Path(tempfile.mkdtemp(prefix="signin-emulator-"))
    argv = [sys.executable, "-m", "emulator"]
    for name, value in flags.items():
        argument = value
        if name == "sessions" and not isinstance(value, str | Path):
            argument = workdir / "sessions.json"
            argument.write_text(json.dumps(value), encoding="utf-8")
        argv += [f"--{name.replace('_', '-')}", str(argument)]
    stderr = (workdir / "stderr.log").open("w", encoding="utf-8")
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(argv, cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=stderr, text=True, env=env)
    try:
        lines = _read_lines(process, 2, workdir / "stderr.log")
        handle = EmulatorHandle(lines[0], lines[1], process, dict(flags), region=str(flags.get("region", "us-east-1")))
        threading.Thread(target=_drain, args=(process,), daemon=True).start()
        report = handle.control("GET", "/_emulator/sessions")
        handle.sessions = [
            OfferedSession(**{k: s[k] for k in ("index", "arn", "kind", "account_id", "principal", "role", "label")})
            for s in report["sessions"]
        ]
        yield handle
    finally:
        _terminate(process)
        stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)


def _read_lines(process: subprocess.Popen[str], count: int, stderr_path: Path) -> list[str]:
    assert process.stdout is not None
    lines: list[str] = []
    result: list[str] = []

    def reader() -> None:
        assert process.stdout is not None
        for _ in range(count):
            line = process.stdout.readline()
            if not line:
                return
            result.append(line.strip())

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(_START_TIMEOUT)
    lines = result[:count]
    if len(lines) != count:
        _terminate(process)
        raise RuntimeError(f"the emulator did not start: {stderr_path.read_text(encoding='utf-8')[-2000:]}")
    return lines


def _drain(process: subprocess.Popen[str]) -> None:
    if process.stdout is not None:
        for _ in process.stdout:
            pass


def _terminate(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
    if process.stdout is not None:
        process.stdout.close()


# --------------------------------------------------------------------------- fixtures
class _Pool:
    """One emulator subprocess per distinct set of flags, for the whole test session."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._handles: dict[str, EmulatorHandle] = {}

    def get(self, flags: dict[str, Any]) -> EmulatorHandle:
        key = json.dumps(flags, sort_keys=True, default=str)
        handle = self._handles.get(key)
        if handle is None or handle.process.poll() is not None:
            handle = self._stack.enter_context(start_emulator(**flags))
            self._handles[key] = handle
        return handle

    def close(self) -> None:
        self._stack.close()


@pytest.fixture(scope="session")
def _emulator_pool() -> Iterator[_Pool]:
    pool = _Pool()
    try:
        yield pool
    finally:
        pool.close()


@pytest.fixture
def emulator_factory(_emulator_pool: _Pool) -> Callable[..., EmulatorHandle]:
    """``emulator_factory(**flags)``: a running emulator with those flags, freshly reset."""

    def factory(**flags: Any) -> EmulatorHandle:
        handle = _emulator_pool.get(flags)
        handle.reset()
        return handle

    return factory


@pytest.fixture
def emulator(emulator_factory: Callable[..., EmulatorHandle]) -> EmulatorHandle:
    """A running emulator with the default flags, reset for this test."""
    return emulator_factory()
