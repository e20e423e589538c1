"""Unmodified botocore/boto3 against the emulator: LoginProvider refresh, STS identity, errors."""

from __future__ import annotations

import base64
import json
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, LoginInsufficientPermissions, LoginRefreshRequired

from tests.support.emulator import (
    CROSS_DEVICE,
    DpopKey,
    EmulatorHandle,
    SignedIn,
    login_cache_path,
    write_aws_login_cache,
)

PROFILE = "emulated"


def _point_sdk_at(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)


def _write_profile(session_arn: str, region: str = "us-east-1") -> None:
    config = Path(os.environ["AWS_CONFIG_FILE"])
    config.write_text(
        f"[profile {PROFILE}]\nlogin_session = {session_arn}\nregion = {region}\nsts_regional_endpoints = regional\n",
        encoding="utf-8",
    )


def _cache_dir() -> Path:
    return Path(os.environ["AWS_LOGIN_CACHE_DIRECTORY"])


def _stale_cache(signed_in: SignedIn) -> Path:
    """A cache file whose credentials already expired, so botocore must refresh."""
    _write_profile(signed_in.session_arn)
    return write_aws_login_cache(_cache_dir(), signed_in, expires_at=datetime.now(UTC) - timedelta(minutes=1))


def _caller_arn() -> str:
    session = boto3.Session(profile_name=PROFILE)
    return str(session.client("sts").get_caller_identity()["Arn"])


@pytest.mark.parametrize("index", [1, 2, 3, 4, 5])
def test_login_provider_refreshes_and_sts_knows_every_principal(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, index: int
) -> None:
    _point_sdk_at(emulator, monkeypatch)
    signed_in = emulator.sign_in(index)
    path = _stale_cache(signed_in)

    assert _caller_arn() == emulator.sessions[index - 1].arn

    written = json.loads(path.read_text(encoding="utf-8"))
    assert written["refreshToken"] != signed_in.refresh_token  # botocore stored the rotated token
    assert written["refreshToken"].startswith("ASOR")
    tokens = emulator.tokens()
    assert [issue["grant_type"] for issue in tokens["issued"]] == ["authorization_code", "refresh_token"]
    assert tokens["refused"] == []
    # The emulator refused the rotated-away token from then on.
    assert emulator.refresh(signed_in).json()["error"] == "TOKEN_EXPIRED"


def test_cross_device_session_refreshes_through_botocore(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_sdk_at(emulator, monkeypatch)
    signed_in = emulator.sign_in(2, client_id=CROSS_DEVICE)
    _stale_cache(signed_in)
    assert _caller_arn() == emulator.sessions[1].arn


def test_session_end_raises_login_refresh_required(
    emulator_factory: Callable[..., EmulatorHandle], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulator_factory(session_duration=2)
    _point_sdk_at(emulator, monkeypatch)
    signed_in = emulator.sign_in(1)
    assert signed_in.output["expiresIn"] <= 2  # never beyond the session's end
    _stale_cache(signed_in)
    time.sleep(2.2)  # real botocore signs proofs with the real clock, so real time must pass
    with pytest.raises(LoginRefreshRequired):
        _caller_arn()
    assert emulator.tokens()["refused"][-1]["error"] == "TOKEN_EXPIRED"


def test_revoked_session_raises_login_refresh_required(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_sdk_at(emulator, monkeypatch)
    signed_in = emulator.sign_in(4)
    _stale_cache(signed_in)
    assert emulator.revoke(signed_in.session_arn) == 1
    with pytest.raises(LoginRefreshRequired):
        _caller_arn()


@pytest.mark.parametrize(
    ("kind", "raised"),
    [("USER_CREDENTIALS_CHANGED", LoginRefreshRequired), ("INSUFFICIENT_PERMISSIONS", LoginInsufficientPermissions)],
)
def test_access_denied_faults_map_to_botocore_login_errors(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch, kind: str, raised: type[Exception]
) -> None:
    _point_sdk_at(emulator, monkeypatch)
    signed_in = emulator.sign_in(1)
    _stale_cache(signed_in)
    emulator.inject_fault(kind, 1)
    with pytest.raises(raised):
        _caller_arn()
    # The fault was used up; the untouched refresh token still works.
    assert emulator.refresh(signed_in).status == 200


def test_botocore_retry_after_500_resends_the_identical_proof_and_succeeds(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    _point_sdk_at(emulator, monkeypatch)
    signed_in = emulator.sign_in(3)
    _stale_cache(signed_in)
    emulator.inject_fault("500", 2)
    assert _caller_arn() == emulator.sessions[2].arn
    tokens = emulator.tokens()
    assert [r["exception"] for r in tokens["refused"]] == ["InternalServerException"] * 2
    assert tokens["requests"] == 4  # code exchange + two faulted attempts + the successful retry


def _signin_client(emulator: EmulatorHandle) -> object:
    session = botocore.session.get_session()
    return session.create_client(
        "signin",
        region_name="us-east-1",
        endpoint_url=emulator.base_url,
        config=Config(signature_version=botocore.UNSIGNED, retries={"mode": "standard", "max_attempts": 1}),
    )


def test_modeled_errors_parse_in_botocore(emulator: EmulatorHandle) -> None:
    client: object = _signin_client(emulator)
    signed_in = emulator.sign_in(1)
    # A refresh without DPoP is refused with a modeled ValidationException.
    with pytest.raises(ClientError) as caught:
        client.create_o_auth2_token(  # type: ignore[attr-defined]
            tokenInput={
                "clientId": signed_in.client_id,
                "refreshToken": signed_in.refresh_token,
                "grantType": "refresh_token",
            }
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert caught.value.response["error"] == "INVALID_REQUEST"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    emulator.revoke(signed_in.session_arn)
    reply = emulator.refresh(signed_in)
    assert reply.status == 401
    assert reply.error_type == "AccessDeniedException"
    assert reply.json()["error"] == "TOKEN_EXPIRED"

    emulator.inject_fault("429", 1)
    with pytest.raises(ClientError) as caught:
        client.create_o_auth2_token(  # type: ignore[attr-defined]
            tokenInput={"clientId": signed_in.client_id, "refreshToken": "x", "grantType": "refresh_token"}
        )
    assert caught.value.response["Error"]["Code"] == "TooManyRequestsError"
    assert caught.value.response["error"] == "INVALID_REQUEST"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429


def test_cache_file_name_is_sha256_of_the_arn(emulator: EmulatorHandle) -> None:
    signed_in = emulator.sign_in(5)
    path = write_aws_login_cache(_cache_dir(), signed_in)
    assert path == login_cache_path(_cache_dir(), "arn:aws:iam::777788889999:root")
    assert path.stat().st_mode & 0o777 == 0o600


def test_aws_cli_style_key_with_a_31_byte_coordinate_keeps_its_binding(
    emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Like `aws login`: awscrt generates the key and trims a coordinate in the code exchange's
    proof; botocore later reloads it from the cache's DER and sends 32 bytes. Same binding."""
    from awscrt.crypto import EC, ECExportFormat, ECType
    from botocore.credentials import _build_dpop_header
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_private_key

    for _ in range(5000):
        crt_key = EC.new_generate(ECType.P_256)
        if min(len(c) for c in crt_key.get_public_coords()) == 31:
            try:  # awscrt's SEC1 export is itself damaged for ~1 key in 256; skip those
                private = load_der_private_key(bytes(crt_key.export_key(ECExportFormat.SEC1)), None)
            except ValueError:
                continue
            break
    else:
        raise AssertionError("awscrt never produced a short coordinate")
    assert isinstance(private, ec.EllipticCurvePrivateKey)
    _point_sdk_at(emulator, monkeypatch)
    params = emulator.authorize_params()
    code = emulator.get_code(params, 2)
    proof = _build_dpop_header(crt_key, emulator.token_url)
    jwk = json.loads(base64.urlsafe_b64decode(proof.split(".")[0] + "=="))["jwk"]
    assert min(len(base64.urlsafe_b64decode(jwk[c] + "==")) for c in ("x", "y")) == 31
    reply = emulator.token_request(emulator.code_body(params, code), proof=proof)
    assert reply.status == 200, reply.body
    signed_in = SignedIn(emulator.sessions[1].arn, params.client_id, DpopKey(private), reply.json(), emulator.region)
    _stale_cache(signed_in)
    assert _caller_arn() == emulator.sessions[1].arn
    assert emulator.tokens()["login_sessions"][0]["refreshes"] == 1


def test_botocore_signin_client_exchanges_a_code_and_parses_the_output(emulator: EmulatorHandle) -> None:
    from awscrt.crypto import EC, ECType
    from botocore.credentials import _build_add_dpop_header_handler

    client: Any = _signin_client(emulator)
    client.meta.events.register(
        "before-call.signin.CreateOAuth2Token", _build_add_dpop_header_handler(EC.new_generate(ECType.P_256))
    )
    params = emulator.authorize_params()
    code = emulator.get_code(params, 3)
    response = client.create_o_auth2_token(
        tokenInput={
            "clientId": params.client_id,
            "grantType": "authorization_code",
            "code": code,
            "codeVerifier": params.verifier,
            "redirectUri": params.redirect_uri,
        }
    )
    output = response["tokenOutput"]
    assert output["tokenType"] == "aws_sigv4"
    assert output["expiresIn"] == 900
    assert output["refreshToken"].startswith("ASOR")
    assert set(output["accessToken"]) == {"accessKeyId", "secretAccessKey", "sessionToken"}
    assert output["idToken"].count(".") == 2
    # The same client, same key, refreshes with the rotated token.
    refreshed = client.create_o_auth2_token(
        tokenInput={"clientId": params.client_id, "refreshToken": output["refreshToken"], "grantType": "refresh_token"}
    )["tokenOutput"]
    assert "idToken" not in refreshed
    assert refreshed["refreshToken"] != output["refreshToken"]
