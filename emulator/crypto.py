"""The server side of the cryptography: DPoP proofs (RFC 9449), PKCE (RFC 7636), id tokens.

Written for the emulator alone; it shares nothing with any client.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

_B64URL = re.compile(r"^[A-Za-z0-9_-]*$")
_VERIFIER = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
_CHALLENGE = re.compile(r"^[A-Za-z0-9_-]{43}$")

#: A proof's ``iat`` may be this far from the emulator's clock, either way.
DPOP_IAT_WINDOW = 60


class ProofError(Exception):
    """A DPoP proof, PKCE verifier or JWT was not acceptable; the message says why (no secrets)."""


def b64url_encode(data: bytes) -> str:
    """Base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Strict base64url without padding (RFC 7515 section 2)."""
    if not _B64URL.match(text) or len(text) % 4 == 1:
        raise ProofError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ProofError("not unpadded base64url") from exc


def is_valid_code_challenge(challenge: str) -> bool:
    """A S256 challenge is 43 characters of unpadded base64url (32 bytes)."""
    return bool(_CHALLENGE.match(challenge))


def is_valid_code_verifier(verifier: str) -> bool:
    """RFC 7636 section 4.1: 43 to 128 characters of ``[A-Za-z0-9-._~]``."""
    return bool(_VERIFIER.match(verifier))


def pkce_matches(verifier: str, challenge: str) -> bool:
    """True when base64url(SHA-256(verifier)) equals the challenge (constant time)."""
    if not is_valid_code_verifier(verifier):
        return False
    computed = b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())
    return secrets.compare_digest(computed, challenge)


def _coordinate(jwk: dict[str, Any], name: str) -> bytes:
    value = jwk.get(name)
    if not isinstance(value, str):
        raise ProofError(f"jwk.{name} missing")
    raw = b64url_decode(value)
    # awscrt drops a leading zero byte about once in 110 keys; RFC 7518 wants 32 bytes.
    if len(raw) == 31:
        raw = b"\x00" + raw
    if len(raw) != 32:
        raise ProofError(f"jwk.{name} is not a P-256 coordinate")
    return raw


def jwk_thumbprint(x: bytes, y: bytes) -> str:
    """RFC 7638 thumbprint of an EC P-256 public key given its 32-byte coordinates."""
    canonical = json.dumps(
        {"crv": "P-256", "kty": "EC", "x": b64url_encode(x), "y": b64url_encode(y)},
        separators=(",", ":"),
        sort_keys=True,
    )
    return b64url_encode(hashlib.sha256(canonical.encode("ascii")).digest())


@dataclass(frozen=True)
class VerifiedProof:
    """What a valid DPoP proof established."""

    jkt: str
    jti: str
    iat: int


def _json_part(text: str, what: str) -> dict[str, Any]:
    try:
        value = json.loads(b64url_decode(text))
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ProofError(f"DPoP {what} is not JSON") from exc
    if not isinstance(value, dict):
        raise ProofError(f"DPoP {what} is not a JSON object")
    return value


def verify_dpop_proof(proof: str, *, method: str, url: str, now: float) -> VerifiedProof:
    """Check a DPoP proof completely, except ``jti`` reuse (the caller owns that record).

    Raises:
        ProofError: with a reason fit for an error message.
    """
    parts = proof.split(".")
    if len(parts) != 3:
        raise ProofError("DPoP proof is not a compact JWS")
    header = _json_part(parts[0], "header")
    payload = _json_part(parts[1], "payload")
    if header.get("typ") != "dpop+jwt":
        raise ProofError("DPoP header typ must be dpop+jwt")
    if header.get("alg") != "ES256":
        raise ProofError("DPoP header alg must be ES256")
    jwk = header.get("jwk")
    if not isinstance(jwk, dict):
        raise ProofError("DPoP header has no jwk")
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256":
        raise ProofError("DPoP jwk must be an EC P-256 key")
    if "d" in jwk:
        raise ProofError("DPoP jwk must not contain a private key")
    x, y = _coordinate(jwk, "x"), _coordinate(jwk, "y")
    try:
        public_key = ec.EllipticCurvePublicNumbers(
            int.from_bytes(x, "big"), int.from_bytes(y, "big"), ec.SECP256R1()
        ).public_key()
    except ValueError as exc:
        raise ProofError("DPoP jwk is not a point on P-256") from exc
    signature = b64url_decode(parts[2])
    if len(signature) != 64:
        raise ProofError("DPoP signature must be 64 bytes (r||s)")
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    try:
        public_key.verify(der, f"{parts[0]}.{parts[1]}".encode("ascii"), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature as exc:
        raise ProofError("DPoP signature does not verify") from exc
    if payload.get("htm") != method:
        raise ProofError(f"DPoP htm must be {method}")
    if payload.get("htu") != url:
        raise ProofError("DPoP htu does not match the token endpoint URL")
    iat = payload.get("iat")
    if not isinstance(iat, int) or isinstance(iat, bool):
        raise ProofError("DPoP iat must be an integer")
    # Compared without subtracting: a huge integer cannot become a float.
    if not now - DPOP_IAT_WINDOW <= iat <= now + DPOP_IAT_WINDOW:
        raise ProofError("DPoP iat is too far from the server's clock")
    jti = payload.get("jti")
    if not isinstance(jti, str) or not jti or len(jti) > 256:
        raise ProofError("DPoP jti missing")
    return VerifiedProof(jkt=jwk_thumbprint(x, y), jti=jti, iat=iat)


class IdTokenSigner:
    """Signs id tokens with a per-process ES384 key that carries a ``kid``."""

    def __init__(self) -> None:
        self._key = ec.generate_private_key(ec.SECP384R1())
        self.kid = secrets.token_hex(8)

    def jwks(self) -> dict[str, Any]:
        """The public key as a JWK set."""
        numbers = self._key.public_key().public_numbers()
        return {
            "keys": [
                {
                    "kty": "EC",
                    "crv": "P-384",
                    "alg": "ES384",
                    "use": "sig",
                    "kid": self.kid,
                    "x": b64url_encode(numbers.x.to_bytes(48, "big")),
                    "y": b64url_encode(numbers.y.to_bytes(48, "big")),
                }
            ]
        }

    def sign(self, claims: dict[str, Any]) -> str:
        """A compact JWS (ES384) over the claims."""
        header = {"alg": "ES384", "typ": "JWT", "kid": self.kid}
        signing_input = ".".join(
            b64url_encode(json.dumps(part, separators=(",", ":")).encode()) for part in (header, claims)
        )
        r, s = decode_dss_signature(self._key.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA384())))
        return f"{signing_input}.{b64url_encode(r.to_bytes(48, 'big') + s.to_bytes(48, 'big'))}"
