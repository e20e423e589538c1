"""PKCE (RFC 7636) and ``state`` values for one authorization request.

AWS Sign-In spells the S256 method ``SHA-256`` in the authorize URL; the
challenge itself is the RFC's S256: base64url(SHA-256(verifier)) without
``=`` padding (docs/protocol.md §2). authlib computes it and draws the
verifier; this module only fixes the length AWS expects and names the method.
authlib is imported on the first sign-in: a refresh never needs it.
"""

from __future__ import annotations

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
    """A fresh code verifier of ``length`` letters and digits (unreserved characters), from the OS's CSPRNG.

    Raises:
        ValueError: ``length`` is outside RFC 7636's 43..128.
    """
    if not 43 <= length <= 128:
        raise ValueError("a PKCE code verifier has 43 to 128 characters")
    from authlib.common.security import generate_token

    return str(generate_token(length))


def s256_challenge(verifier: str) -> str:
    """The S256 code challenge of ``verifier``: base64url(SHA-256), no padding."""
    from authlib.oauth2.rfc7636 import create_s256_code_challenge

    return str(create_s256_code_challenge(verifier))


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
