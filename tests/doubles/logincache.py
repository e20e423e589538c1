"""Entries of the `aws login` cache as the AWS CLI writes them, sound or damaged."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from core.domain.model import Credentials, SessionSecrets
from core.storage.logincache import LoginCacheEntry

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY"
REFRESH = "ASORrefresh-token-that-must-never-leak"


def sec1_pem(key: ec.EllipticCurvePrivateKey) -> str:
    """The key as the CLI stores it: SEC1 ``EC PRIVATE KEY`` PEM."""
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()


def fresh_pem() -> str:
    """A new, sound P-256 key as the CLI stores it."""
    return sec1_pem(ec.generate_private_key(ec.SECP256R1()))


def damaged_pem() -> str:
    """A SEC1 key whose private scalar lost its leading zero byte, as awscrt sometimes writes it."""
    while True:
        key = ec.generate_private_key(ec.SECP256R1())
        scalar = key.private_numbers().private_value.to_bytes(32, "big")
        if scalar[0] == 0:
            break
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    # SEQUENCE { INTEGER 1, OCTET STRING (32) d, [0] curve, [1] public key }
    assert der[2:7] == b"\x02\x01\x01\x04\x20"
    body = b"\x02\x01\x01" + b"\x04\x1f" + scalar[1:] + der[7 + 32 :]
    damaged = b"\x30" + bytes([len(body)]) + body
    lines = base64.encodebytes(damaged).decode()
    return f"-----BEGIN EC PRIVATE KEY-----\n{lines}-----END EC PRIVATE KEY-----\n"


def make_entry(
    expires_in: timedelta = timedelta(minutes=10), *, id_token: str | None = "eyJ.id.token"
) -> LoginCacheEntry:
    expires = datetime.now(UTC).replace(microsecond=0) + expires_in
    return LoginCacheEntry(
        credentials=Credentials("ASIAEXAMPLEKEY", SECRET, "IQoJsession-token", expires, "111122223333"),
        secrets=SessionSecrets(
            REFRESH,
            fresh_pem(),
            "arn:aws:signin:::devtools/same-device",
            id_token,
        ),
        sign_in_region="eu-central-1",
    )
