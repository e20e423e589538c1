"""The sign-in client against the AWS Sign-In emulator: real boto3, real HTTP, real DPoP."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Callable
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from core.domain.errors import (
    IdentityMismatch,
    InvalidRequestError,
    InvalidVerificationCode,
    SignInCancelled,
    SignInRequired,
    TransientServiceError,
)
from core.domain.model import Credentials, SessionSecrets
from core.signin.client import CROSS_DEVICE_CLIENT_ID, SAME_DEVICE_CLIENT_ID, SigninClient, TokenResult
from core.signin.dpop import DpopKey
from tests.doubles.browser import ApprovingBrowser
from tests.doubles.clock import OffsetClock
from tests.support.emulator import EmulatorHandle, http_request


@pytest.fixture
def clock() -> OffsetClock:
    return OffsetClock()


@pytest.fixture
def pointed(emulator: EmulatorHandle, monkeypatch: pytest.MonkeyPatch) -> EmulatorHandle:
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    return emulator


@pytest.fixture
def client(pointed: EmulatorHandle, clock: OffsetClock) -> SigninClient:
    return SigninClient(pointed.region, clock=clock)


def _sign_in(client: SigninClient, emulator: EmulatorHandle, session: int = 1) -> TokenResult:
    browser = ApprovingBrowser(emulator, session)
    result = asyncio.run(client.sign_in_same_device(browser, timeout=30))
    browser.join()
    assert browser.callback_statuses == [200]
    return result


def _advance(emulator: EmulatorHandle, clock: OffsetClock, seconds: float) -> None:
    emulator.advance_clock(seconds)
    clock.offset += seconds


# -- same device ------------------------------------------------------------


def test_same_device_sign_in(client: SigninClient, pointed: EmulatorHandle, clock: OffsetClock) -> None:
    shown: list[str] = []
    browser = ApprovingBrowser(pointed, 1)
    clock.offset = 7.0  # expiry must come from the injected clock, not the OS
    before = clock.now()
    result = asyncio.run(client.sign_in_same_device(browser, show_url=shown.append, timeout=30))
    after = clock.now()
    browser.join()

    assert shown == browser.opened
    url = urlsplit(shown[0])
    assert f"{url.scheme}://{url.netloc}" == pointed.base_url
    assert parse_qs(url.query)["client_id"] == [SAME_DEVICE_CLIENT_ID]
    session = pointed.sessions[0]
    assert result.identity is not None
    assert result.identity.arn == session.arn
    assert result.credentials.account_id == session.account_id
    assert result.secrets.client_id == SAME_DEVICE_CLIENT_ID
    assert result.secrets.refresh_token.startswith("ASOR")
    assert result.secrets.id_token
    assert 0 < result.expires_in <= 900
    lifetime = timedelta(seconds=result.expires_in)
    assert before + lifetime <= result.credentials.expires_at <= after + lifetime
    DpopKey.from_pem(result.secrets.dpop_key_pem)
    issued = pointed.tokens()["issued"]
    assert [(record["grant_type"], record["session_arn"]) for record in issued] == [("authorization_code", session.arn)]


def test_another_offered_session_can_be_chosen(client: SigninClient, pointed: EmulatorHandle) -> None:
    result = _sign_in(client, pointed, 2)
    assert result.identity is not None
    assert result.identity.arn == pointed.sessions[1].arn


def test_caller_identity_returns_the_session_arn(client: SigninClient, pointed: EmulatorHandle) -> None:
    result = _sign_in(client, pointed)
    assert asyncio.run(client.caller_identity(result.credentials)) == pointed.sessions[0].arn


def test_hostile_callback_requests_leave_the_sign_in_intact(client: SigninClient, pointed: EmulatorHandle) -> None:
    hostile_statuses: list[int] = []

    def attack(location: str) -> None:
        parts = urlsplit(location)
        port = parts.port
        wrong_state = location.replace("state=", "state=x")
        hostile_statuses.append(http_request(wrong_state).status)
        hostile_statuses.append(http_request(f"http://127.0.0.1:{port}/oauth/callback?code=stolen").status)
        hostile_statuses.append(
            http_request(location, headers={"Host": f"attacker.example:{port}"}).status  # DNS rebinding
        )
        hostile_statuses.append(http_request(location, "POST", body=b"x").status)

    browser = ApprovingBrowser(pointed, 1, before_callback=attack)
    result = asyncio.run(client.sign_in_same_device(browser, timeout=30))
    browser.join()
    assert hostile_statuses == [400, 400, 403, 405]
    assert browser.callback_statuses == [200]
    assert result.identity is not None
    assert result.identity.arn == pointed.sessions[0].arn


def test_declining_in_the_browser_cancels(client: SigninClient, pointed: EmulatorHandle) -> None:
    browser = ApprovingBrowser(pointed, "deny")
    with pytest.raises(SignInCancelled):
        asyncio.run(client.sign_in_same_device(browser, timeout=30))
    browser.join()
    assert pointed.tokens()["issued"] == []


def test_no_answer_times_out(client: SigninClient, pointed: EmulatorHandle) -> None:
    opened: list[str] = []
    with pytest.raises(SignInCancelled, match="did not complete the sign-in"):
        asyncio.run(client.sign_in_same_device(opened.append, timeout=0.3))
    assert len(opened) == 1
    port = urlsplit(parse_qs(urlsplit(opened[0]).query)["redirect_uri"][0]).port
    with pytest.raises(ConnectionRefusedError):
        http_request(f"http://127.0.0.1:{port}/oauth/callback")


def test_slow_code_exchange_is_authcode_expired(
    client: SigninClient, pointed: EmulatorHandle, clock: OffsetClock
) -> None:
    browser = ApprovingBrowser(pointed, 1, before_callback=lambda _: _advance(pointed, clock, 900))
    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.sign_in_same_device(browser, timeout=30))
    browser.join()
    assert caught.value.reason == "AUTHCODE_EXPIRED"
    assert "start the sign-in again" in caught.value.user_message.lower()


# -- cross device -------------------------------------------------------------


def test_remote_sign_in_with_the_verification_code(client: SigninClient, pointed: EmulatorHandle) -> None:
    prompted: list[str] = []

    async def prompt(url: str) -> str:
        prompted.append(url)
        code = await asyncio.to_thread(pointed.approve, url, 2)
        return f"  {code.rstrip('=')}\n"  # pasted with whitespace, padding lost

    result = asyncio.run(client.sign_in_remote(prompt))
    query = parse_qs(urlsplit(prompted[0]).query)
    assert query["client_id"] == [CROSS_DEVICE_CLIENT_ID]
    assert query["redirect_uri"] == [pointed.confirmation_url]
    assert result.identity is not None
    assert result.identity.arn == pointed.sessions[1].arn
    assert result.secrets.client_id == CROSS_DEVICE_CLIENT_ID
    refreshed = asyncio.run(client.refresh(result.secrets))
    assert refreshed.secrets.client_id == CROSS_DEVICE_CLIENT_ID


def test_remote_sign_in_refuses_a_code_of_another_sign_in(client: SigninClient, pointed: EmulatorHandle) -> None:
    async def prompt(url: str) -> str:
        code = await asyncio.to_thread(pointed.approve, url, 1)
        fields = parse_qs(base64.b64decode(code).decode())
        forged = f"state=00000000-0000-4000-8000-000000000000&code={fields['code'][0]}"
        return base64.b64encode(forged.encode()).decode()

    with pytest.raises(InvalidVerificationCode, match="different sign-in"):
        asyncio.run(client.sign_in_remote(prompt))
    assert pointed.tokens()["issued"] == []


@pytest.mark.parametrize(("pasted", "error"), [("garbage!", InvalidVerificationCode), ("   ", SignInCancelled)])
def test_remote_sign_in_refuses_bad_input(
    client: SigninClient, pointed: EmulatorHandle, pasted: str, error: type[Exception]
) -> None:
    async def prompt(url: str) -> str:
        return pasted

    with pytest.raises(error):
        asyncio.run(client.sign_in_remote(prompt))


# -- refresh ------------------------------------------------------------------


def test_refresh_rotates_the_token_and_the_old_one_is_refused(client: SigninClient, pointed: EmulatorHandle) -> None:
    signed_in = _sign_in(client, pointed)
    first = asyncio.run(client.refresh(signed_in.secrets))
    assert first.identity is None
    assert first.secrets.refresh_token != signed_in.secrets.refresh_token
    assert first.secrets.dpop_key_pem == signed_in.secrets.dpop_key_pem
    assert first.secrets.id_token == signed_in.secrets.id_token
    assert first.credentials.access_key_id != signed_in.credentials.access_key_id
    assert first.credentials.account_id == pointed.sessions[0].account_id

    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.refresh(signed_in.secrets))
    assert caught.value.reason == "TOKEN_EXPIRED"

    second = asyncio.run(client.refresh(first.secrets, account_id="999988887777"))
    assert second.credentials.account_id == "999988887777"
    assert asyncio.run(client.caller_identity(second.credentials)) == pointed.sessions[0].arn


def test_every_request_carries_a_fresh_proof(client: SigninClient, pointed: EmulatorHandle) -> None:
    # The emulator refuses a reused jti; five refreshes in a row only pass with a new proof each time.
    result = _sign_in(client, pointed)
    for _ in range(5):
        result = asyncio.run(client.refresh(result.secrets))
    assert [record["grant_type"] for record in pointed.tokens()["issued"]].count("refresh_token") == 5
    assert pointed.tokens()["refused"] == []


def test_refresh_with_another_key_is_refused(client: SigninClient, pointed: EmulatorHandle) -> None:
    result = _sign_in(client, pointed)
    stolen = SessionSecrets(
        refresh_token=result.secrets.refresh_token,
        dpop_key_pem=DpopKey.generate().to_pem(),
        client_id=result.secrets.client_id,
        id_token=result.secrets.id_token,
    )
    with pytest.raises(InvalidRequestError):
        asyncio.run(client.refresh(stolen))


def test_damaged_key_asks_for_a_sign_in_without_calling_aws(client: SigninClient, pointed: EmulatorHandle) -> None:
    result = _sign_in(client, pointed)
    damaged = SessionSecrets(
        refresh_token=result.secrets.refresh_token,
        dpop_key_pem="-----BEGIN EC PRIVATE KEY-----\nMAA=\n-----END EC PRIVATE KEY-----\n",
        client_id=result.secrets.client_id,
        id_token=result.secrets.id_token,
    )
    requests_before = pointed.tokens()["requests"]
    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.refresh(damaged))
    assert caught.value.reason == "DAMAGED_KEY"
    assert pointed.tokens()["requests"] == requests_before


# -- errors of docs/protocol.md §4 -----------------------------------------------------------


@pytest.mark.parametrize(("fault", "status"), [("500", 500), ("429", 429)])
def test_throttling_and_server_faults_are_transient_and_burn_nothing(
    client: SigninClient, pointed: EmulatorHandle, fault: str, status: int
) -> None:
    result = _sign_in(client, pointed)
    pointed.inject_fault(fault, 1)
    with pytest.raises(TransientServiceError) as caught:
        asyncio.run(client.refresh(result.secrets))
    assert caught.value.status == status
    assert pointed.tokens()["requests"] == 2  # one attempt: botocore's retries are off
    # The same refresh token still works: the next attempt goes out with a fresh proof.
    assert asyncio.run(client.refresh(result.secrets)).secrets.refresh_token != result.secrets.refresh_token


@pytest.mark.parametrize("fault", ["USER_CREDENTIALS_CHANGED", "INSUFFICIENT_PERMISSIONS"])
def test_access_denied_faults_ask_for_a_sign_in(client: SigninClient, pointed: EmulatorHandle, fault: str) -> None:
    result = _sign_in(client, pointed)
    pointed.inject_fault(fault, 1)
    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.refresh(result.secrets))
    assert caught.value.reason == fault
    if fault == "INSUFFICIENT_PERMISSIONS":
        assert "SignInLocalDevelopmentAccess" in caught.value.user_message
        assert "signin:CreateOAuth2Token" in caught.value.user_message


def test_insufficient_permissions_during_sign_in(client: SigninClient, pointed: EmulatorHandle) -> None:
    pointed.inject_fault("INSUFFICIENT_PERMISSIONS", 1)
    browser = ApprovingBrowser(pointed, 1)
    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.sign_in_same_device(browser, timeout=30))
    browser.join()
    assert "signin:AuthorizeOAuth2Access" in caught.value.user_message


def test_revoked_session_is_token_expired(client: SigninClient, pointed: EmulatorHandle) -> None:
    result = _sign_in(client, pointed)
    assert pointed.revoke(pointed.sessions[0].arn) >= 1
    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.refresh(result.secrets))
    assert caught.value.reason == "TOKEN_EXPIRED"


def test_session_limit_is_token_expired(
    emulator_factory: Callable[..., EmulatorHandle], monkeypatch: pytest.MonkeyPatch, clock: OffsetClock
) -> None:
    emulator = emulator_factory(session_duration=120)
    for name, value in emulator.env().items():
        monkeypatch.setenv(name, value)
    client = SigninClient(emulator.region, clock=clock)
    result = _sign_in(client, emulator)
    assert result.expires_in <= 120
    _advance(emulator, clock, 60)
    result = asyncio.run(client.refresh(result.secrets))
    assert result.expires_in <= 60
    _advance(emulator, clock, 61)
    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.refresh(result.secrets))
    assert caught.value.reason == "TOKEN_EXPIRED"
    assert "12 hours" in caught.value.user_message


def test_malformed_request_is_an_invalid_request(client: SigninClient, pointed: EmulatorHandle) -> None:
    result = _sign_in(client, pointed)
    wrong_client = SessionSecrets(
        refresh_token=result.secrets.refresh_token,
        dpop_key_pem=result.secrets.dpop_key_pem,
        client_id=CROSS_DEVICE_CLIENT_ID,
        id_token=result.secrets.id_token,
    )
    with pytest.raises(InvalidRequestError) as caught:
        asyncio.run(client.refresh(wrong_client))
    assert type(caught.value) is InvalidRequestError
    assert pointed.tokens()["refused"][-1]["exception"] == "ValidationException"


def test_unreachable_service_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("AWS_ENDPOINT_URL_SIGNIN", f"http://127.0.0.1:{port}")
    secrets = SessionSecrets(
        refresh_token="ASOR" + "x" * 40,
        dpop_key_pem=DpopKey.generate().to_pem(),
        client_id=SAME_DEVICE_CLIENT_ID,
    )
    with pytest.raises(TransientServiceError, match="could not be reached"):
        asyncio.run(SigninClient("us-east-1", connect_timeout=2).refresh(secrets, account_id="111122223333"))


def test_slow_service_times_out_as_transient(pointed: EmulatorHandle, clock: OffsetClock) -> None:
    client = SigninClient(pointed.region, clock=clock, read_timeout=0.5)
    result = _sign_in(client, pointed)
    pointed.control("POST", "/_emulator/delay", {"seconds": 2})
    try:
        with pytest.raises(TransientServiceError):
            asyncio.run(client.refresh(result.secrets))
    finally:
        pointed.control("POST", "/_emulator/delay", {"seconds": 0})


def test_messages_never_carry_secrets(client: SigninClient, pointed: EmulatorHandle) -> None:
    result = _sign_in(client, pointed)
    asyncio.run(client.refresh(result.secrets))
    with pytest.raises(SignInRequired) as caught:
        asyncio.run(client.refresh(result.secrets))
    text = f"{caught.value} {caught.value!r} {caught.value.__cause__!r} {caught.value.__context__!r}"
    assert result.secrets.refresh_token not in text
    assert "PRIVATE KEY" not in text
    assert result.credentials.secret_access_key not in repr(result)
    assert result.secrets.refresh_token not in repr(result)


def test_concurrent_refreshes_of_different_sessions_use_their_own_keys(
    client: SigninClient, pointed: EmulatorHandle
) -> None:
    sessions = [_sign_in(client, pointed, n) for n in (1, 2, 3)]

    async def refresh_all() -> list[TokenResult]:
        results: list[TokenResult] = []
        current = sessions
        for _ in range(3):
            current = list(await asyncio.gather(*(client.refresh(s.secrets) for s in current)))
            results.extend(current)
        return results

    results = asyncio.run(refresh_all())
    assert len(results) == 9
    assert pointed.tokens()["refused"] == []
    for before, after in zip(sessions, results[-3:], strict=True):
        assert after.secrets.dpop_key_pem == before.secrets.dpop_key_pem
        assert after.credentials.account_id == before.credentials.account_id


def test_identity_mismatch_after_sign_in_is_refused(
    client: SigninClient, pointed: EmulatorHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def other_identity(credentials: Credentials) -> str:
        return "arn:aws:sts::444455556666:assumed-role/Admin/mallory"

    monkeypatch.setattr(client, "caller_identity", other_identity)
    browser = ApprovingBrowser(pointed, 1)
    with pytest.raises(IdentityMismatch, match="different identity"):
        asyncio.run(client.sign_in_same_device(browser, timeout=30))
    browser.join()
