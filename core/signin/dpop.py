"""DPoP (RFC 9449) proofs with one EC P-256 key per login session.

AWS Sign-In binds every refresh token to the RFC 7638 thumbprint of the key
that asked for it, so a session keeps its key for its whole life. The key is
stored as a SEC1 ``EC PRIVATE KEY`` PEM, the format of the ``dpopKey`` field
of the AWS CLI's login cache, so sessions can move between the two.

All cryptography is done by the ``cryptography`` package; this module only
arranges bytes into the JOSE shapes.
"""

from __future__ import annotations

import base64
import hashlib
import json
import uuid
from collections.abc import Mapping
from datetime import datetime

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

from core.domain.errors import DAMAGED_KEY, SignInRequired

_DAMAGED_KEY_MESSAGE = (
    "The saved proof-of-possession key of this session is damaged, so the session can no longer be "
    "refreshed. Sign in again to continue."
)

_COORDINATE_BYTES = 32
"""P-256 coordinates and signature halves are 32 bytes each."""

_THUMBPRINT_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}
"""RFC 7638 section 3.2: the required members per key type, in lexicographic order."""


def b64url(data: bytes) -> str:
    """base64url without ``=`` padding (RFC 7515 section 2)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _compact_json(value: Mapping[str, object]) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def jwk_thumbprint(jwk: Mapping[str, str]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a public JWK, base64url encoded.

    Only the members RFC 7638 requires for the key type are hashed, in
    lexicographic order, as compact JSON.

    Raises:
        ValueError: the key type is unknown or a required member is missing.
    """
    members = _THUMBPRINT_MEMBERS.get(jwk.get("kty", ""))
    if members is None:
        raise ValueError("unsupported JWK key type for a thumbprint")
    missing = [name for name in members if name not in jwk]
    if missing:
        raise ValueError(f"JWK lacks required members: {', '.join(missing)}")
    canonical = _compact_json({name: jwk[name] for name in members})
    return b64url(hashlib.sha256(canonical).digest())


class DpopKey:
    """The EC P-256 key of one login session, and the DPoP proofs it signs."""

    __slots__ = ("_private",)

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("a DPoP key for AWS Sign-In must be on the P-256 curve")
        self._private = private_key

    def __repr__(self) -> str:
        return f"DpopKey(thumbprint={self.thumbprint()!r})"

    @classmethod
    def generate(cls) -> DpopKey:
        """A new random P-256 key."""
        return cls(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def from_pem(cls, pem: str) -> DpopKey:
        """Load a key from PEM (SEC1 ``EC PRIVATE KEY``; PKCS#8 is accepted too).

        Raises:
            SignInRequired: with reason ``DAMAGED_KEY`` when the text is not a
                loadable P-256 private key. The message never contains the key.
        """
        try:
            loaded = serialization.load_pem_private_key(pem.encode("ascii"), password=None)
        except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
            raise SignInRequired(_DAMAGED_KEY_MESSAGE, reason=DAMAGED_KEY) from None
        if not isinstance(loaded, ec.EllipticCurvePrivateKey) or not isinstance(loaded.curve, ec.SECP256R1):
            raise SignInRequired(_DAMAGED_KEY_MESSAGE, reason=DAMAGED_KEY)
        return cls(loaded)

    def to_pem(self) -> str:
        """The key as a SEC1 ``EC PRIVATE KEY`` PEM, as the AWS login cache stores it."""
        return self._private.private_bytes(
            encoding=serialization.Encoding.PEM,
            format=serialization.PrivateFormat.TraditionalOpenSSL,
            encryption_algorithm=serialization.NoEncryption(),
        ).decode("ascii")

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK, with both coordinates always 32 bytes long."""
        numbers = self._private.public_key().public_numbers()
        return {
            "kty": "EC",
            "crv": "P-256",
            "x": b64url(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
            "y": b64url(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
        }

    def thumbprint(self) -> str:
        """The RFC 7638 thumbprint of the public key (what ``cnf.jkt`` binds to)."""
        return jwk_thumbprint(self.public_jwk())

    def proof(self, htm: str, htu: str, now: datetime) -> str:
        """A fresh DPoP proof (compact JWS) for one HTTP request.

        Args:
            htm: the HTTP method, e.g. ``POST``.
            htu: the request URL without query or fragment.
            now: the current time (from the injected clock); becomes ``iat``.

        Returns:
            ``header.payload.signature``: ES256 with a raw ``r||s`` signature and
            a new random ``jti`` on every call.
        """
        header = {"typ": "dpop+jwt", "alg": "ES256", "jwk": self.public_jwk()}
        payload = {"htm": htm, "htu": htu, "iat": int(now.timestamp()), "jti": str(uuid.uuid4())}
        signing_input = f"{b64url(_compact_json(header))}.{b64url(_compact_json(payload))}"
        der = self._private.sign(signing_input.encode("ascii"), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        signature = r.to_bytes(_COORDINATE_BYTES, "big") + s.to_bytes(_COORDINATE_BYTES, "big")
        return f"{signing_input}.{b64url(signature)}"
