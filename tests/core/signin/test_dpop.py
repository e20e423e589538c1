"""DPoP keys and proofs, verified independently with ``cryptography``."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from core.domain.errors import DAMAGED_KEY, SignInRequired
from core.signin.dpop import DpopKey, jwk_thumbprint

NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
TOKEN_URL = "https://us-east-1.signin.aws.amazon.com/v1/token"


def _b64d(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _decode(proof: str) -> tuple[dict[str, Any], dict[str, Any], bytes, bytes]:
    header_b64, payload_b64, signature_b64 = proof.split(".")
    header = json.loads(_b64d(header_b64))
    payload = json.loads(_b64d(payload_b64))
    return header, payload, f"{header_b64}.{payload_b64}".encode(), _b64d(signature_b64)


def _public_key_from_jwk(jwk: dict[str, str]) -> ec.EllipticCurvePublicKey:
    x = int.from_bytes(_b64d(jwk["x"]), "big")
    y = int.from_bytes(_b64d(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def _verify(proof: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, signing_input, signature = _decode(proof)
    assert len(signature) == 64
    der = encode_dss_signature(int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big"))
    _public_key_from_jwk(header["jwk"]).verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
    return header, payload


def test_proof_verifies_with_its_embedded_key() -> None:
    key = DpopKey.generate()
    header, payload = _verify(key.proof("POST", TOKEN_URL, NOW))
    assert header["typ"] == "dpop+jwt"
    assert header["alg"] == "ES256"
    assert header["jwk"] == key.public_jwk()
    assert set(header["jwk"]) == {"kty", "crv", "x", "y"}
    assert payload["htm"] == "POST"
    assert payload["htu"] == TOKEN_URL
    assert payload["iat"] == int(NOW.timestamp())


def test_tampered_proof_fails_verification() -> None:
    proof = DpopKey.generate().proof("POST", TOKEN_URL, NOW)
    header_b64, _, signature_b64 = proof.split(".")
    forged_payload = base64.urlsafe_b64encode(
        json.dumps({"htm": "POST", "htu": "https://evil.example/v1/token", "iat": 1, "jti": "x"}).encode()
    ).rstrip(b"=")
    with pytest.raises(InvalidSignature):
        _verify(f"{header_b64}.{forged_payload.decode()}.{signature_b64}")


def test_each_proof_has_a_fresh_jti() -> None:
    key = DpopKey.generate()
    jtis = {_decode(key.proof("POST", TOKEN_URL, NOW))[1]["jti"] for _ in range(20)}
    assert len(jtis) == 20


def test_coordinates_are_always_32_bytes() -> None:
    # A key whose x or y starts with a zero byte comes about once in 128: generate keys until one
    # has (5,000 tries miss with a chance of e^-39), checking the encoding of every key on the way.
    for _ in range(5000):
        key = DpopKey.generate()
        numbers = key._private.public_key().public_numbers()
        jwk = key.public_jwk()
        assert len(_b64d(jwk["x"])) == 32
        assert len(_b64d(jwk["y"])) == 32
        if numbers.x < (1 << 248) or numbers.y < (1 << 248):
            return
    raise AssertionError("no key with a short coordinate was generated")


def test_pem_round_trip_is_sec1_and_keeps_the_thumbprint() -> None:
    key = DpopKey.generate()
    pem = key.to_pem()
    assert pem.startswith("-----BEGIN EC PRIVATE KEY-----")
    again = DpopKey.from_pem(pem)
    assert again.thumbprint() == key.thumbprint()
    _verify(again.proof("POST", TOKEN_URL, NOW))


def test_the_pem_worked_out_once_is_the_same_every_time_and_loads_back() -> None:
    key = DpopKey.generate()
    pem = key.to_pem()
    assert key.to_pem() == pem
    assert DpopKey.from_pem(pem).to_pem() == pem


def test_a_changed_copy_of_the_public_jwk_never_reaches_a_proof() -> None:
    key = DpopKey.generate()
    jwk = key.public_jwk()
    jwk["x"] = "tampered"
    header, _ = _verify(key.proof("POST", TOKEN_URL, NOW))
    assert header["jwk"]["x"] != "tampered"
    assert key.public_jwk()["x"] != "tampered"


def test_thumbprint_matches_rfc7638_example() -> None:
    jwk = {
        "kty": "RSA",
        "n": (
            "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3"
            "oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdA"
            "ZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-"
            "kEgU8awapJzKnqDKgw"
        ),
        "e": "AQAB",
        "alg": "RS256",
        "kid": "2011-04-29",
    }
    assert jwk_thumbprint(jwk) == "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"


def test_ec_thumbprint_hashes_only_the_required_members_in_order() -> None:
    key = DpopKey.generate()
    jwk = key.public_jwk()
    canonical = json.dumps({"crv": "P-256", "kty": "EC", "x": jwk["x"], "y": jwk["y"]}, separators=(",", ":"))
    digest = hashes.Hash(hashes.SHA256())
    digest.update(canonical.encode())
    expected = base64.urlsafe_b64encode(digest.finalize()).rstrip(b"=").decode()
    assert key.thumbprint() == expected
    assert jwk_thumbprint({**jwk, "kid": "ignored", "use": "sig"}) == expected


def test_thumbprint_refuses_incomplete_keys() -> None:
    with pytest.raises(ValueError, match="lacks"):
        jwk_thumbprint({"kty": "EC", "crv": "P-256", "x": "AA"})
    with pytest.raises(ValueError, match="unsupported"):
        jwk_thumbprint({"kty": "OKP"})


def _key_with_short_private_scalar() -> ec.EllipticCurvePrivateKey:
    while True:
        key = ec.generate_private_key(ec.SECP256R1())
        if key.private_numbers().private_value < (1 << 248):
            return key


def test_key_damaged_like_awscrt_exports_it_asks_to_sign_in_again() -> None:
    # awscrt's SEC1 export drops the private scalar's leading zero byte (about 1 key in 256).
    der = _key_with_short_private_scalar().private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    assert der[5:7] == b"\x04\x20"
    body = der[2:5] + b"\x04\x1f" + der[8:]
    damaged = bytes([0x30, len(body)]) + body
    pem = "-----BEGIN EC PRIVATE KEY-----\n" + base64.encodebytes(damaged).decode() + "-----END EC PRIVATE KEY-----\n"
    with pytest.raises(SignInRequired) as caught:
        DpopKey.from_pem(pem)
    assert caught.value.reason == DAMAGED_KEY
    assert "sign in again" in caught.value.user_message.lower()
    assert base64.encodebytes(damaged).decode().splitlines()[0] not in str(caught.value)


@pytest.mark.parametrize(
    "pem",
    [
        "",
        "not a key",
        "-----BEGIN EC PRIVATE KEY-----\nAAAA\n-----END EC PRIVATE KEY-----\n",
        "-----BEGIN EC PRIVATE KEY-----\nnot base64 at all!\n-----END EC PRIVATE KEY-----\n",
        "Ünïcødé",
    ],
)
def test_garbage_keys_are_damaged(pem: str) -> None:
    with pytest.raises(SignInRequired) as caught:
        DpopKey.from_pem(pem)
    assert caught.value.reason == DAMAGED_KEY


def test_key_on_another_curve_is_refused() -> None:
    pem = (
        ec.generate_private_key(ec.SECP384R1())
        .private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
        )
        .decode()
    )
    with pytest.raises(SignInRequired) as caught:
        DpopKey.from_pem(pem)
    assert caught.value.reason == DAMAGED_KEY


def test_repr_shows_no_key_material() -> None:
    key = DpopKey.generate()
    assert "PRIVATE" not in repr(key)
    assert key.thumbprint() in repr(key)
