"""Sign-in client pieces that need no server: codes, tokens, identities, errors, URLs."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from botocore.exceptions import ClientError

from core.domain.errors import (
    IdentityMismatch,
    InvalidRequestError,
    InvalidVerificationCode,
    SignInRequired,
    TransientServiceError,
)
from core.domain.model import Credentials
from core.signin.client import (
    CROSS_DEVICE_CLIENT_ID,
    MAX_CACHED_KEYS,
    SAME_DEVICE_CLIENT_ID,
    SigninClient,
    identities_match,
    map_client_error,
    parse_verification_code,
    session_arn_from_id_token,
)
from core.signin.dpop import DpopKey
from core.signin.pkce import PkceSet

STATE = "0f7c8a4e-1b2d-4e3f-8a9b-0c1d2e3f4a5b"


def _code(text: str, *, pad: bool = True) -> str:
    encoded = base64.b64encode(text.encode()).decode()
    return encoded if pad else encoded.rstrip("=")


# -- verification codes ----------------------------------------------------


def test_verification_code_yields_the_code() -> None:
    assert parse_verification_code(_code(f"state={STATE}&code=abc-123"), STATE) == "abc-123"


def test_verification_code_tolerates_whitespace_and_missing_padding() -> None:
    text = _code(f"state={STATE}&code=abcd", pad=False)
    assert not text.endswith("=")
    assert len(text) % 4 != 0
    assert parse_verification_code(f"  \n{text}\t \n", STATE) == "abcd"


def test_verification_code_order_does_not_matter() -> None:
    assert parse_verification_code(_code(f"code=xyz&state={STATE}"), STATE) == "xyz"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "not base64!!",
        _code("just words"),
        _code(f"state={STATE}"),
        _code("code=abc"),
        _code(f"state={STATE}&code="),
        _code(f"state={STATE}&state={STATE}&code=abc"),
        _code(f"state={STATE}&code=a&code=b"),
        base64.b64encode(b"\xff\xfe state").decode(),
        "A" * 5000,
    ],
)
def test_malformed_verification_codes_are_refused(text: str) -> None:
    with pytest.raises(InvalidVerificationCode, match="not a valid verification code"):
        parse_verification_code(text, STATE)


def test_verification_code_of_another_sign_in_is_refused() -> None:
    with pytest.raises(InvalidVerificationCode, match="different sign-in"):
        parse_verification_code(_code("state=11111111-2222-4333-8444-555555555555&code=abc"), STATE)


def test_invalid_verification_code_is_an_invalid_request() -> None:
    assert issubclass(InvalidVerificationCode, InvalidRequestError)


# -- id tokens and identities ----------------------------------------------


def _jwt(claims: dict[str, Any]) -> str:
    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part({'alg': 'ES384', 'kid': 'k1'})}.{part(claims)}.c2lnbmF0dXJl"


def test_id_token_subject_is_the_session_arn() -> None:
    arn = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
    assert session_arn_from_id_token(_jwt({"sub": arn, "session_arn": arn})) == arn


@pytest.mark.parametrize("token", ["", "a.b", "a.b.c.d", _jwt({"no": "sub"}), _jwt({"sub": 5}), "x.!!!.y"])
def test_unreadable_id_tokens_are_refused(token: str) -> None:
    with pytest.raises(InvalidRequestError, match="identity token"):
        session_arn_from_id_token(token)


@pytest.mark.parametrize(
    ("signed_in", "sts", "same"),
    [
        (
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            True,
        ),
        ("arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/dev/alice", True),
        ("arn:aws:iam::111122223333:root", "arn:aws:iam::111122223333:root", True),
        (
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            "arn:aws:sts::111122223333:assumed-role/Admin/bob",
            False,
        ),
        (
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            "arn:aws:sts::111122223333:assumed-role/Dev/alice",
            False,
        ),
        (
            "arn:aws:sts::111122223333:assumed-role/Admin/alice",
            "arn:aws:sts::444455556666:assumed-role/Admin/alice",
            False,
        ),
        ("arn:aws:iam::111122223333:user/alice", "arn:aws:sts::111122223333:assumed-role/alice/alice", False),
        ("arn:aws:iam::111122223333:user/alice", "arn:aws-cn:iam::111122223333:user/alice", False),
        ("arn:aws:iam::111122223333:user/alice", "garbage", False),
    ],
)
def test_identities_match(signed_in: str, sts: str, same: bool) -> None:
    assert identities_match(signed_in, sts) is same


def test_identity_mismatch_is_an_invalid_request() -> None:
    assert issubclass(IdentityMismatch, InvalidRequestError)


# -- error mapping -------------------------------------------------------------


def _client_error(name: str, error: str, status: int) -> ClientError:
    response: dict[str, Any] = {
        "Error": {"Code": name, "Message": "denied"},
        "error": error,
        "message": "denied",
        "ResponseMetadata": {"HTTPStatusCode": status},
    }
    return ClientError(response, "CreateOAuth2Token")


@pytest.mark.parametrize("reason", ["TOKEN_EXPIRED", "AUTHCODE_EXPIRED", "USER_CREDENTIALS_CHANGED"])
def test_access_denied_means_sign_in_again(reason: str) -> None:
    mapped = map_client_error(_client_error("AccessDeniedException", reason, 401))
    assert isinstance(mapped, SignInRequired)
    assert mapped.reason == reason
    assert "sign" in mapped.user_message.lower()


def test_insufficient_permissions_names_the_actions_and_the_policy() -> None:
    mapped = map_client_error(_client_error("AccessDeniedException", "INSUFFICIENT_PERMISSIONS", 403))
    assert isinstance(mapped, SignInRequired)
    assert mapped.reason == "INSUFFICIENT_PERMISSIONS"
    for name in ("signin:AuthorizeOAuth2Access", "signin:CreateOAuth2Token", "SignInLocalDevelopmentAccess"):
        assert name in mapped.user_message


def test_unknown_access_denied_still_asks_for_a_sign_in() -> None:
    mapped = map_client_error(_client_error("AccessDeniedException", "", 403))
    assert isinstance(mapped, SignInRequired)
    assert mapped.reason == "ACCESS_DENIED"


def test_exception_name_wins_over_status() -> None:
    # The model fixes no status for AccessDeniedException; only its name counts.
    mapped = map_client_error(_client_error("AccessDeniedException", "TOKEN_EXPIRED", 400))
    assert isinstance(mapped, SignInRequired)


def test_validation_is_an_invalid_request() -> None:
    assert type(map_client_error(_client_error("ValidationException", "INVALID_REQUEST", 400))) is InvalidRequestError


@pytest.mark.parametrize(
    ("name", "error", "status"),
    [
        ("TooManyRequestsError", "INVALID_REQUEST", 429),
        ("InternalServerException", "server_error", 500),
        ("ServiceUnavailableException", "service_unavailable", 503),
        ("SomethingNew", "", 502),
    ],
)
def test_throttling_and_server_errors_are_transient(name: str, error: str, status: int) -> None:
    mapped = map_client_error(_client_error(name, error, status))
    assert isinstance(mapped, TransientServiceError)
    assert mapped.status == status


# -- endpoints and the authorize URL ------------------------------------------


def test_base_url_is_the_resolved_sign_in_endpoint() -> None:
    assert SigninClient("eu-central-1").base_url == "https://eu-central-1.signin.aws.amazon.com"


def test_base_url_follows_the_partition() -> None:
    assert SigninClient("cn-north-1").base_url == "https://cn-north-1.signin.amazonaws.cn"


def test_endpoint_override_moves_the_base_and_drops_its_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", "http://127.0.0.1:4567/some/prefix")
    assert SigninClient("us-east-1").base_url == "http://127.0.0.1:4567"


def test_general_endpoint_override_applies_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4568")
    assert SigninClient("us-west-2").base_url == "http://127.0.0.1:4568"


def test_authorize_url_carries_the_protocol_parameters() -> None:
    pkce = PkceSet.generate()
    redirect = "http://127.0.0.1:5555/oauth/callback"
    url = SigninClient("us-east-1").authorize_url(SAME_DEVICE_CLIENT_ID, pkce, redirect)
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://us-east-1.signin.aws.amazon.com/v1/authorize"
    query = parse_qs(parts.query, strict_parsing=True)
    assert query == {
        "response_type": ["code"],
        "client_id": [SAME_DEVICE_CLIENT_ID],
        "state": [pkce.state],
        "code_challenge_method": ["SHA-256"],
        "scope": ["openid"],
        "redirect_uri": [redirect],
        "code_challenge": [pkce.challenge],
    }
    assert list(query) == [
        "response_type",
        "client_id",
        "state",
        "code_challenge_method",
        "scope",
        "redirect_uri",
        "code_challenge",
    ]
    assert pkce.verifier not in url
    assert "redirect_uri=http%3A%2F%2F127.0.0.1%3A5555%2Foauth%2Fcallback" in url
    assert CROSS_DEVICE_CLIENT_ID != SAME_DEVICE_CLIENT_ID


# -- STS ------------------------------------------------------------------------


def _dummy_credentials() -> Credentials:
    return Credentials(
        access_key_id="ASIAEXAMPLEEXAMPLE00",
        secret_access_key="not-a-secret",
        session_token="not-a-token",
        expires_at=datetime(2026, 1, 1, tzinfo=UTC),
        account_id="111122223333",
    )


def test_sts_uses_the_regional_endpoint_even_when_legacy_is_configured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    sts = SigninClient("us-east-1").sts_client(_dummy_credentials())
    assert sts.meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"
    assert SigninClient("eu-west-3").sts_client(_dummy_credentials()).meta.endpoint_url == (
        "https://sts.eu-west-3.amazonaws.com"
    )


def test_sts_endpoint_override_is_honoured(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4599")
    assert SigninClient("us-east-1").sts_client(_dummy_credentials()).meta.endpoint_url == "http://127.0.0.1:4599"


def test_a_session_key_is_loaded_once_and_a_damaged_one_never_kept() -> None:
    client = SigninClient("us-east-1")
    pem = DpopKey.generate().to_pem()
    key = client._key_for(pem)
    assert client._key_for(pem) is key
    assert key.to_pem() == pem
    damaged = "-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n"
    for _ in range(2):
        with pytest.raises(SignInRequired):
            client._key_for(damaged)


def test_the_loaded_keys_stay_few() -> None:
    client = SigninClient("us-east-1")
    pems = [DpopKey.generate().to_pem() for _ in range(MAX_CACHED_KEYS + 3)]
    keys = [client._key_for(pem) for pem in pems]
    assert len(client._keys) == MAX_CACHED_KEYS
    assert [client._key_for(pem).thumbprint() for pem in pems] == [key.thumbprint() for key in keys]
