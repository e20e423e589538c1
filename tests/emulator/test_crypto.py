"""The emulator's PKCE, DPoP and sessions-file parsing, against RFC vectors and real clients' output."""

from __future__ import annotations

import base64
import time

import pytest
from awscrt.crypto import EC, ECType
from botocore.credentials import _build_dpop_header
from joserfc.jwk import ECKey

from emulator.config import SessionsFileError, parse_sessions
from emulator.crypto import ProofError, jwk_thumbprint, pkce_matches, verify_dpop_proof
from tests.support.emulator import DpopKey, b64url

URL = "http://127.0.0.1:40000/v1/token"


def test_pkce_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce_matches(verifier[:-1] + "l", "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
    assert not pkce_matches(verifier, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM=")


def test_thumbprint_agrees_with_an_independent_implementation() -> None:
    key = DpopKey()
    x, y = key.coordinates()
    reference = ECKey.import_key(
        dict[str, str | list[str]](key.jwk())
    ).thumbprint()  # joserfc: authlib's JOSE successor
    assert jwk_thumbprint(x, y) == reference == key.thumbprint()


def test_botocore_built_proof_verifies() -> None:
    crt_key = EC.new_generate(ECType.P_256)
    proof = _build_dpop_header(crt_key, URL)
    verified = verify_dpop_proof(proof, method="POST", url=URL, now=time.time())
    x, y = crt_key.get_public_coords()
    assert verified.jkt == jwk_thumbprint(x.rjust(32, b"\0"), y.rjust(32, b"\0"))


def test_botocore_proof_with_a_31_byte_coordinate_verifies_and_pads_the_thumbprint() -> None:
    for _ in range(5000):
        crt_key = EC.new_generate(ECType.P_256)
        x, y = crt_key.get_public_coords()
        if len(x) == 31 or len(y) == 31:
            break
    else:
        raise AssertionError("awscrt never produced a short coordinate")
    verified = verify_dpop_proof(_build_dpop_header(crt_key, URL), method="POST", url=URL, now=time.time())
    assert verified.jkt == jwk_thumbprint(x.rjust(32, b"\0"), y.rjust(32, b"\0"))


def test_thirty_byte_coordinate_is_refused() -> None:
    key = DpopKey()
    proof = key.proof(URL)
    head = base64.urlsafe_b64decode(proof.split(".")[0] + "==")
    x = key.jwk()["x"]
    short = head.replace(x.encode(), b64url(base64.urlsafe_b64decode(x + "=")[2:]).encode())
    tampered = b64url(short) + "." + ".".join(proof.split(".")[1:])
    with pytest.raises(ProofError):
        verify_dpop_proof(tampered, method="POST", url=URL, now=time.time())


@pytest.mark.parametrize("text", ["a.b", "a.b.c.d", "!!.b.c", ""])
def test_malformed_proofs(text: str) -> None:
    with pytest.raises(ProofError):
        verify_dpop_proof(text, method="POST", url=URL, now=time.time())


def test_padded_base64_in_a_proof_is_refused() -> None:
    proof = DpopKey().proof(URL)
    head, payload, signature = proof.split(".")
    with pytest.raises(ProofError):
        verify_dpop_proof(f"{head}=.{payload}.{signature}", method="POST", url=URL, now=time.time())


def test_iat_window_is_60_seconds() -> None:
    key = DpopKey()
    now = 1_800_000_000
    verify_dpop_proof(key.proof(URL, iat=now - 60), method="POST", url=URL, now=now)
    verify_dpop_proof(key.proof(URL, iat=now + 60), method="POST", url=URL, now=now)
    with pytest.raises(ProofError):
        verify_dpop_proof(key.proof(URL, iat=now - 61), method="POST", url=URL, now=now)


def test_sessions_file_parsing() -> None:
    sessions = parse_sessions(
        [
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            {"arn": "arn:aws:iam::111122223333:user/team/bob", "label": "Bob", "password": "pw"},
            {"arn": "arn:aws:iam::111122223333:root", "session_duration": 60},
        ]
    )
    assert [(s.kind, s.principal, s.role) for s in sessions] == [
        ("assumed-role", "alice", "Admin"),
        ("user", "bob", None),
        ("root", "root", None),
    ]
    assert sessions[1].user_path == "/team/"
    assert sessions[2].session_duration == 60
    assert "password" not in sessions[1].public(2)


@pytest.mark.parametrize(
    "data",
    [
        [],
        {},
        ["arn:aws:iam::12345:root"],
        ["arn:aws:sts::111122223333:federated-user/x"],
        [{"arn": "arn:aws:iam::111122223333:root", "colour": "red"}],
        [{"arn": "arn:aws:iam::111122223333:root", "session_duration": 0}],
        ["arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root"],
    ],
)
def test_bad_sessions_files(data: object) -> None:
    with pytest.raises(SessionsFileError):
        parse_sessions(data)
