"""DPoP (RFC 9449) proofs with one EC P-256 key per login session.

AWS Sign-In binds every refresh token to the RFC 7638 thumbprint of the key
that asked for it, so a session keeps its key for its whole life
(docs/protocol.md §3.1). The key is stored as a SEC1 ``EC PRIVATE KEY`` PEM,
the format of the ``dpopKey`` field of the AWS CLI's login cache, so
sessions can move between the two.

The JOSE work is joserfc's: the public JWK (coordinates always 32 bytes),
the compact JWS signed ES256 with a raw ``r||s`` signature, and the RFC 7638
thumbprint. joserfc is the JOSE library of the authlib project; authlib's
own ``authlib.jose`` is deprecated in its favour and warns on import, so the
client uses it and authlib only for PKCE (:mod:`core.signin.pkce`). Keys are
generated and loaded with ``cryptography``. The emulator checks proofs with
its own code on ``cryptography`` alone, so client and judge share no JOSE
code.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.jwk import ECKey
from joserfc.jwk import thumbprint as rfc7638_thumbprint

from core.domain.errors import DAMAGED_KEY, SignInRequired

_DAMAGED_KEY_MESSAGE = (
    "The saved proof-of-possession key of this session is damaged, so the session can no longer be "
    "refreshed. Sign in again to continue."
)

_THUMBPRINT_MEMBERS: Mapping[str, tuple[str, ...]] = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}
"""RFC 7638 section 3.2: the required members per key type, in lexicographic order."""


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
    return str(rfc7638_thumbprint({name: jwk[name] for name in members}))


class DpopKey:
    """The EC P-256 key of one login session, and the DPoP proofs it signs."""

    __slots__ = ("_jwk", "_pem", "_private", "_signer")

    def __init__(self, private_key: ec.EllipticCurvePrivateKey) -> None:
        if not isinstance(private_key.curve, ec.SECP256R1):
            raise ValueError("a DPoP key for AWS Sign-In must be on the P-256 curve")
        self._private = private_key
        self._signer = ECKey.import_key(private_key)
        # A key never changes: its PEM and public JWK are worked out once (every proof carries the JWK).
        self._pem: str | None = None
        self._jwk: dict[str, str] | None = None

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
        if self._pem is None:
            self._pem = self._private.private_bytes(
                encoding=serialization.Encoding.PEM,
                format=serialization.PrivateFormat.TraditionalOpenSSL,
                encryption_algorithm=serialization.NoEncryption(),
            ).decode("ascii")
        return self._pem

    def public_jwk(self) -> dict[str, str]:
        """The public key as a JWK (``kty``, ``crv``, ``x``, ``y``), both coordinates always 32 bytes long."""
        if self._jwk is None:
            public = self._signer.as_dict(private=False)
            self._jwk = {name: str(public[name]) for name in ("kty", "crv", "x", "y")}
        return dict(self._jwk)

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
        return str(jws.serialize_compact(header, _compact_json(payload), self._signer, algorithms=["ES256"]))
