"""POST /v1/token: every strict check, each shown to refuse what a lax server would accept."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature

from tests.support.emulator import (
    CROSS_DEVICE,
    SAME_DEVICE,
    AuthorizeParams,
    DpopKey,
    EmulatorHandle,
    Reply,
    b64url,
)


def _error(reply: Reply) -> tuple[int, str | None, str]:
    return reply.status, reply.error_type, reply.json()["error"]


INVALID = (400, "ValidationException", "INVALID_REQUEST")
TOKEN_EXPIRED = (401, "AccessDeniedException", "TOKEN_EXPIRED")
AUTHCODE_EXPIRED = (401, "AccessDeniedException", "AUTHCODE_EXPIRED")


def _code(emulator: EmulatorHandle, client_id: str = SAME_DEVICE) -> tuple[AuthorizeParams, str]:
    params = emulator.authorize_params(client_id)
    return params, emulator.get_code(params, 1)


def _exchange(emulator: EmulatorHandle, key: DpopKey | None = None, **overrides: Any) -> Reply:
    params, code = _code(emulator)
    return emulator.token_request(emulator.code_body(params, code, **overrides), key=key or DpopKey())


# ------------------------------------------------------------------ the happy path
def test_code_exchange_answers_the_model_output_shape(emulator: EmulatorHandle) -> None:
    key = DpopKey()
    params, code = _code(emulator)
    reply = emulator.token_request(emulator.code_body(params, code), key=key)
    assert reply.status == 200
    assert reply.headers["content-type"] == "application/json"
    output = reply.json()
    assert set(output) == {"accessToken", "tokenType", "expiresIn", "refreshToken", "idToken"}
    assert set(output["accessToken"]) == {"accessKeyId", "secretAccessKey", "sessionToken"}
    assert output["accessToken"]["accessKeyId"].startswith("ASIA")
    assert output["tokenType"] == "aws_sigv4"
    assert output["expiresIn"] == 900
    assert output["refreshToken"].startswith("ASOR")
    logins = emulator.tokens()["login_sessions"]
    assert [login["jkt"] for login in logins] == [key.thumbprint()]


def test_id_token_is_es384_with_kid_and_verifies_against_the_jwks(emulator: EmulatorHandle) -> None:
    from tests.support.emulator import http_request

    signed_in = emulator.sign_in(4)
    header_b64, payload_b64, signature_b64 = signed_in.output["idToken"].split(".")
    header = json.loads(base64.urlsafe_b64decode(header_b64 + "=="))
    assert header["alg"] == "ES384"
    claims = signed_in.id_token_claims()
    assert claims["sub"] == claims["session_arn"] == "arn:aws:iam::444455556666:user/bob"
    assert claims["aud"] == SAME_DEVICE
    jwks = http_request(emulator.base_url + "/.well-known/jwks.json").json()
    (jwk,) = [k for k in jwks["keys"] if k["kid"] == header["kid"]]

    def num(text: str) -> int:
        return int.from_bytes(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)), "big")

    public = ec.EllipticCurvePublicNumbers(num(jwk["x"]), num(jwk["y"]), ec.SECP384R1()).public_key()
    raw = base64.urlsafe_b64decode(signature_b64 + "=" * (-len(signature_b64) % 4))
    signature = encode_dss_signature(int.from_bytes(raw[:48], "big"), int.from_bytes(raw[48:], "big"))
    public.verify(signature, f"{header_b64}.{payload_b64}".encode(), ec.ECDSA(hashes.SHA384()))


def test_refresh_rotates_and_has_no_id_token(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    first = signed_in.refresh_token
    reply = emulator.refresh(signed_in)
    assert reply.status == 200
    assert "idToken" not in reply.json()
    assert signed_in.refresh_token != first
    # The rotated-away token is refused from now on, even with the right key.
    old = emulator.token_request(emulator.refresh_body(SAME_DEVICE, first), key=signed_in.key)
    assert _error(old) == TOKEN_EXPIRED
    # ... and the current one still works.
    assert emulator.refresh(signed_in).status == 200
    records = {r["state"]: r for r in emulator.tokens()["refresh_tokens"]}
    assert records["rotated"]["uses"] == 1


def test_cross_device_exchange_uses_the_confirmation_redirect(emulator: EmulatorHandle) -> None:
    params, code = _code(emulator, CROSS_DEVICE)
    assert params.redirect_uri == f"{emulator.base_url}/v1/sessions/confirmation"
    reply = emulator.token_request(emulator.code_body(params, code), key=DpopKey())
    assert reply.status == 200
    assert emulator.sign_in(1, client_id=CROSS_DEVICE).id_token_claims()["aud"] == CROSS_DEVICE


# ------------------------------------------------------------------ PKCE and codes
def test_wrong_verifier_is_refused(emulator: EmulatorHandle) -> None:
    other_verifier = "A" * 64
    assert _error(_exchange(emulator, codeVerifier=other_verifier)) == INVALID


def test_verifier_outside_the_alphabet_or_length_is_refused(emulator: EmulatorHandle) -> None:
    assert _error(_exchange(emulator, codeVerifier="a" * 42)) == INVALID
    assert _error(_exchange(emulator, codeVerifier="a" * 129)) == INVALID
    assert _error(_exchange(emulator, codeVerifier="a+" * 30)) == INVALID


def test_code_is_single_use(emulator: EmulatorHandle) -> None:
    params, code = _code(emulator)
    assert emulator.token_request(emulator.code_body(params, code), key=DpopKey()).status == 200
    again = emulator.token_request(emulator.code_body(params, code), key=DpopKey())
    assert _error(again) == AUTHCODE_EXPIRED


def test_code_expires_after_60_seconds(emulator: EmulatorHandle) -> None:
    params, code = _code(emulator)
    emulator.advance_clock(61)
    key = DpopKey()
    proof = key.proof(emulator.token_url, iat=int(time.time()) + 61)  # signed on the emulator's clock
    assert _error(emulator.token_request(emulator.code_body(params, code), proof=proof)) == AUTHCODE_EXPIRED


def test_code_is_good_just_before_60_seconds(emulator: EmulatorHandle) -> None:
    params, code = _code(emulator)
    emulator.advance_clock(55)
    proof = DpopKey().proof(emulator.token_url, iat=int(time.time()) + 55)
    assert emulator.token_request(emulator.code_body(params, code), proof=proof).status == 200


def test_unknown_code_is_refused(emulator: EmulatorHandle) -> None:
    params, _ = _code(emulator)
    body = {**emulator.code_body(params, "not-a-code")}
    assert _error(emulator.token_request(body, key=DpopKey())) == AUTHCODE_EXPIRED


def test_redirect_uri_must_match_the_authorize_request(emulator: EmulatorHandle) -> None:
    reply = _exchange(emulator, redirectUri="http://127.0.0.1:1/oauth/callback")
    assert _error(reply) == INVALID
    assert "redirectUri" in reply.json()["message"]


def test_client_id_must_match_the_authorize_request(emulator: EmulatorHandle) -> None:
    reply = _exchange(emulator, clientId=CROSS_DEVICE)
    assert _error(reply) == INVALID
    assert "clientId" in reply.json()["message"]


def test_refresh_with_the_other_client_id_is_refused(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    reply = emulator.token_request(emulator.refresh_body(CROSS_DEVICE, signed_in.refresh_token), key=signed_in.key)
    assert _error(reply) == INVALID


# ------------------------------------------------------------------ DPoP
def test_missing_dpop_is_refused(emulator: EmulatorHandle) -> None:
    params, code = _code(emulator)
    assert _error(emulator.token_request(emulator.code_body(params, code))) == INVALID


def _with_proof(emulator: EmulatorHandle, proof: str) -> Reply:
    params, code = _code(emulator)
    return emulator.token_request(emulator.code_body(params, code), proof=proof)


def test_bad_signature_is_refused(emulator: EmulatorHandle) -> None:
    key = DpopKey()
    # Signed by another key than the one in the header.
    assert _error(_with_proof(emulator, key.proof(emulator.token_url, sign_with=DpopKey()))) == INVALID
    # A flipped bit in a correct signature.
    proof = key.proof(emulator.token_url)
    head, payload, signature = proof.split(".")
    raw = bytearray(base64.urlsafe_b64decode(signature + "=="))
    raw[10] ^= 1
    assert _error(_with_proof(emulator, f"{head}.{payload}.{b64url(bytes(raw))}")) == INVALID


def test_der_signature_is_refused(emulator: EmulatorHandle) -> None:
    key = DpopKey()
    proof = key.proof(emulator.token_url)
    head, payload, _ = proof.split(".")
    der = key.private_key.sign(f"{head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    assert _error(_with_proof(emulator, f"{head}.{payload}.{b64url(der)}")) == INVALID


@pytest.mark.parametrize(
    "spoil",
    [
        {"htm": "GET"},
        {"typ": "jwt"},
        {"alg": "ES384"},
        {"url": "http://127.0.0.1:1/v1/token"},
        {"url_suffix": "?x=1"},
        {"url_suffix": "/"},
    ],
)
def test_wrong_proof_claims_are_refused(emulator: EmulatorHandle, spoil: dict[str, str]) -> None:
    key = DpopKey()
    url = spoil.get("url", emulator.token_url + spoil.get("url_suffix", ""))
    proof = key.proof(
        url, htm=spoil.get("htm", "POST"), typ=spoil.get("typ", "dpop+jwt"), alg=spoil.get("alg", "ES256")
    )
    reply = _with_proof(emulator, proof)
    assert _error(reply) == INVALID
    assert "DPoP" in reply.json()["message"]


def test_proof_with_localhost_htu_is_refused(emulator: EmulatorHandle) -> None:
    url = emulator.token_url.replace("127.0.0.1", "localhost")
    assert _error(_with_proof(emulator, DpopKey().proof(url))) == INVALID


@pytest.mark.parametrize("skew", [-61, 61, -3600])
def test_stale_or_future_iat_is_refused(emulator: EmulatorHandle, skew: int) -> None:
    proof = DpopKey().proof(emulator.token_url, iat=int(time.time()) + skew)
    assert _error(_with_proof(emulator, proof)) == INVALID


def test_iat_follows_the_emulator_clock(emulator: EmulatorHandle) -> None:
    emulator.advance_clock(3600)
    assert _error(_with_proof(emulator, DpopKey().proof(emulator.token_url))) == INVALID
    proof = DpopKey().proof(emulator.token_url, iat=int(time.time()) + 3600)
    assert _with_proof(emulator, proof).status == 200


def test_replayed_jti_is_refused(emulator: EmulatorHandle) -> None:
    key = DpopKey()
    assert _with_proof(emulator, key.proof(emulator.token_url, jti="same-jti")).status == 200
    # A brand-new, validly signed proof that only reuses the jti.
    reply = _with_proof(emulator, key.proof(emulator.token_url, jti="same-jti"))
    assert _error(reply) == INVALID
    assert "jti" in reply.json()["message"]


def test_identical_proof_replayed_after_success_is_refused(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    proof = signed_in.key.proof(emulator.token_url)
    first = emulator.token_request(emulator.refresh_body(SAME_DEVICE, signed_in.refresh_token), proof=proof)
    assert first.status == 200
    again = emulator.token_request(emulator.refresh_body(SAME_DEVICE, first.json()["refreshToken"]), proof=proof)
    assert _error(again) == INVALID


def test_private_key_in_jwk_is_refused(emulator: EmulatorHandle) -> None:
    key = DpopKey()
    proof = key.proof(emulator.token_url)
    head, payload, _ = proof.split(".")
    header = json.loads(base64.urlsafe_b64decode(head + "=="))
    header["jwk"]["d"] = b64url(key.private_key.private_numbers().private_value.to_bytes(32, "big"))
    new_head = b64url(json.dumps(header).encode())
    signature = key.private_key.sign(f"{new_head}.{payload}".encode(), ec.ECDSA(hashes.SHA256()))
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

    r, s = decode_dss_signature(signature)
    raw = b64url(r.to_bytes(32, "big") + s.to_bytes(32, "big"))
    assert _error(_with_proof(emulator, f"{new_head}.{payload}.{raw}")) == INVALID


def test_31_byte_coordinate_is_accepted_and_bound_to_the_padded_thumbprint(emulator: EmulatorHandle) -> None:
    key = DpopKey.with_short_coordinate()
    assert len(base64.urlsafe_b64decode(key.jwk(trim_leading_zeros=True)["x"] + "==")) == 31
    params, code = _code(emulator)
    proof = key.proof(emulator.token_url, trim_leading_zeros=True)
    reply = emulator.token_request(emulator.code_body(params, code), proof=proof)
    assert reply.status == 200
    assert emulator.tokens()["login_sessions"][0]["jkt"] == key.thumbprint()
    # The same key sent with full 32-byte coordinates is the same binding.
    refresh = emulator.token_request(emulator.refresh_body(SAME_DEVICE, reply.json()["refreshToken"]), key=key)
    assert refresh.status == 200


def test_refresh_with_another_key_is_refused(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(2)
    reply = emulator.refresh(signed_in, key=DpopKey())
    assert _error(reply) == INVALID
    assert "jkt" in reply.json()["message"]
    # The token was not burned by the attempt: its owner can still refresh.
    assert emulator.refresh(signed_in).status == 200


# ------------------------------------------------------------------ sessions
def test_session_end_gives_token_expired_and_caps_expires_in(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    emulator.advance_clock(43200 - 100)
    proof = signed_in.key.proof(emulator.token_url, iat=int(time.time()) + 43200 - 100)
    reply = emulator.token_request(emulator.refresh_body(SAME_DEVICE, signed_in.refresh_token), proof=proof)
    assert reply.status == 200
    assert 98 <= reply.json()["expiresIn"] <= 100
    emulator.advance_clock(101)
    proof = signed_in.key.proof(emulator.token_url, iat=int(time.time()) + 43200 + 1)
    again = emulator.token_request(emulator.refresh_body(SAME_DEVICE, reply.json()["refreshToken"]), proof=proof)
    assert _error(again) == TOKEN_EXPIRED


def test_revoked_session_gives_token_expired_but_new_sign_in_works(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(3)
    other = emulator.sign_in(1)
    assert emulator.revoke(signed_in.session_arn) == 1
    assert _error(emulator.refresh(signed_in)) == TOKEN_EXPIRED
    assert emulator.refresh(other).status == 200
    assert emulator.refresh(emulator.sign_in(3)).status == 200


def test_unknown_refresh_token_is_refused(emulator: EmulatorHandle) -> None:
    reply = emulator.token_request(emulator.refresh_body(SAME_DEVICE, "ASOR" + "x" * 60), key=DpopKey())
    assert _error(reply) == TOKEN_EXPIRED


def test_per_session_duration_overrides_the_flag(emulator_factory: Any) -> None:
    emulator: EmulatorHandle = emulator_factory(
        sessions=[
            {"arn": "arn:aws:sts::111122223333:assumed-role/Short/alice", "session_duration": 300},
            "arn:aws:iam::111122223333:root",
        ]
    )
    assert 295 <= emulator.sign_in(1).output["expiresIn"] <= 300
    assert emulator.sign_in(2).output["expiresIn"] == 900


def test_credential_ttl_flag(emulator_factory: Any) -> None:
    emulator: EmulatorHandle = emulator_factory(credential_ttl=120)
    assert emulator.sign_in(1).output["expiresIn"] == 120


# ------------------------------------------------------------------ faults, bodies
def test_faults_are_counted_then_gone(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    emulator.inject_fault("429", 2)
    emulator.inject_fault("USER_CREDENTIALS_CHANGED", 1)
    assert _error(emulator.refresh(signed_in)) == (429, "TooManyRequestsError", "INVALID_REQUEST")
    assert _error(emulator.refresh(signed_in)) == (429, "TooManyRequestsError", "INVALID_REQUEST")
    assert _error(emulator.refresh(signed_in)) == (403, "AccessDeniedException", "USER_CREDENTIALS_CHANGED")
    assert emulator.control("GET", "faults") == {"faults": []}
    assert emulator.refresh(signed_in).status == 200


def test_fault_is_answered_before_dpop_and_the_identical_proof_then_succeeds(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    emulator.inject_fault("500", 1)
    proof = signed_in.key.proof(emulator.token_url)
    body = emulator.refresh_body(SAME_DEVICE, signed_in.refresh_token)
    assert _error(emulator.token_request(body, proof=proof)) == (500, "InternalServerException", "server_error")
    assert emulator.token_request(body, proof=proof).status == 200


def test_fault_answers_even_without_a_proof(emulator: EmulatorHandle) -> None:
    emulator.inject_fault("INSUFFICIENT_PERMISSIONS", 1)
    reply = emulator.token_request(b"not json")
    assert _error(reply) == (403, "AccessDeniedException", "INSUFFICIENT_PERMISSIONS")


def test_failed_verification_does_not_burn_the_jti(emulator: EmulatorHandle) -> None:
    key = DpopKey()
    params, code = _code(emulator)
    proof = key.proof(emulator.token_url, jti="kept")
    # A malformed body is refused before the proof is recorded...
    bad = emulator.token_request({"clientId": SAME_DEVICE, "grantType": "password"}, proof=proof)
    assert _error(bad) == INVALID
    # ... so the same proof still works for the real request.
    assert emulator.token_request(emulator.code_body(params, code), proof=proof).status == 200


@pytest.mark.parametrize(
    "body",
    [
        b"{",
        b"[]",
        b'"text"',
        b"\xff\xfe",
        b'{"clientId": "arn:aws:signin:::devtools/same-device"}',
        b'{"grantType": "refresh_token", "refreshToken": "x"}',
        b'{"clientId": "arn:aws:signin:::devtools/other", "grantType": "refresh_token", "refreshToken": "x"}',
        b'{"clientId": "arn:aws:signin:::devtools/same-device", "grantType": "refresh_token", "refreshToken": 5}',
        b'{"clientId": "arn:aws:signin:::devtools/same-device", "grantType": "refresh_token"}',
        b'{"clientId": "arn:aws:signin:::devtools/same-device", "grantType": "authorization_code", "code": "c"}',
    ],
)
def test_malformed_bodies_are_validation_errors(emulator: EmulatorHandle, body: bytes) -> None:
    assert _error(emulator.token_request(body, key=DpopKey())) == INVALID


def test_wrong_content_type_is_refused(emulator: EmulatorHandle) -> None:
    params, code = _code(emulator)
    reply = emulator.token_request(
        emulator.code_body(params, code), key=DpopKey(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert _error(reply) == INVALID


def test_tokens_report_records_refusals_without_secrets(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(1)
    emulator.refresh(signed_in, key=DpopKey())
    report = emulator.tokens()
    assert report["refused"][0]["exception"] == "ValidationException"
    text = json.dumps(report)
    assert signed_in.refresh_token not in text
    assert signed_in.output["accessToken"]["secretAccessKey"] not in text
