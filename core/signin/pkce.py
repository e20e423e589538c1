"""PKCE (RFC 7636) and ``state`` values for one authorization request.

AWS Sign-In spells the S256 method ``SHA-256`` in the authorize URL; the
challenge itself is the RFC's S256: base64url(SHA-256(verifier)) without
``=`` padding.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import string
import uuid
from dataclasses import dataclass, field

UNRESERVED = string.ascii_letters + string.digits + "-._~"
"""The characters RFC 7636 allows in a code verifier."""

VERIFIER_LENGTH = 64
"""What the AWS CLI uses; the RFC allows 43 to 128."""

CHALLENGE_METHOD = "SHA-256"
"""AWS's name for S256 in the authorize request."""


def make_verifier(length: int = VERIFIER_LENGTH) -> str:
    """A fresh code verifier of ``length`` unreserved characters from :mod:`secrets`.

    Raises:
        ValueError: ``length`` is outside RFC 7636's 43..128.
    """
    if not 43 <= length <= 128:
        raise ValueError("a PKCE code verifier has 43 to 128 characters")
    return "".join(secrets.choice(UNRESERVED) for _ in range(length))


def s256_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: base64url(SHA-256), no padding."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def make_state() -> str:
    """A fresh, single-use ``state`` value (a random UUID, like the AWS CLI)."""
    return str(uuid.uuid4())


@dataclass(frozen=True)
class PkceSet:
    """The per-request secrets of one authorization: verifier, challenge and state."""

    verifier: str = field(repr=False)
    challenge: str
    state: str

    @classmethod
    def generate(cls) -> PkceSet:
        """A new verifier, its challenge and a new state."""
        verifier = make_verifier()
        return cls(verifier=verifier, challenge=s256_challenge(verifier), state=make_state())
