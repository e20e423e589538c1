"""GET /v1/authorize and the pages behind it: strict validation, choices, automation contract."""

from __future__ import annotations

import base64
import re
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from tests.support.emulator import CROSS_DEVICE, SAME_DEVICE, DpopKey, EmulatorHandle, Reply, http_request


def _get(url: str, **headers: str) -> Reply:
    return http_request(url, headers=headers)


def _form(emulator: EmulatorHandle, path: str, fields: dict[str, str]) -> Reply:
    return http_request(
        emulator.base_url + path,
        "POST",
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )


def _request_id(page: Reply) -> str:
    match = re.search(r"name='request_id' value='([^']+)'", page.body.decode())
    assert match, page.body[:500]
    return match.group(1)


def test_page_lists_every_offered_session(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params()
    page = _get(emulator.authorize_url(params))
    assert page.status == 200
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    html = page.body.decode()
    assert "Sign in to AWS" in html
    assert "Continue with an active session" in html
    assert "Continue with Root or IAM user" in html
    for session in emulator.sessions:
        assert f"data-arn='{session.arn}'" in html
        account = session.account_id
        assert f"{account[:4]}-{account[4:8]}-{account[8:]}" in html
    assert "<script" not in html
    assert "http://" not in html.replace(params.redirect_uri, "")


GOOD = {"redirect_uri": "http://127.0.0.1:50000/oauth/callback"}


@pytest.mark.parametrize(
    "overrides",
    [
        {"response_type": "token"},
        {"response_type": None},
        {"client_id": "arn:aws:signin:::devtools/other"},
        {"client_id": None},
        {"code_challenge_method": "S256"},
        {"code_challenge_method": "plain"},
        {"code_challenge_method": None},
        {"code_challenge": "A" * 42},
        {"code_challenge": "A" * 44},
        {"code_challenge": "A" * 42 + "="},
        {"code_challenge": "A" * 42 + "+"},
        {"code_challenge": None},
        {"scope": "openid profile"},
        {"scope": None},
        {"state": None},
        {"state": ""},
        {"redirect_uri": "http://localhost:50000/oauth/callback"},
        {"redirect_uri": "https://127.0.0.1:50000/oauth/callback"},
        {"redirect_uri": "http://127.0.0.1:50000/callback"},
        {"redirect_uri": "http://127.0.0.1/oauth/callback"},
        {"redirect_uri": "http://127.0.0.1:50000/oauth/callback?next=x"},
        {"redirect_uri": "http://evil.example:50000/oauth/callback"},
        {"redirect_uri": "http://127.0.0.1:50000@evil.example/oauth/callback"},
        {"redirect_uri": None},
    ],
)
def test_invalid_same_device_requests_get_an_error_page_never_a_redirect(
    emulator: EmulatorHandle, overrides: dict[str, Any]
) -> None:
    params = emulator.authorize_params()
    url = emulator.authorize_url(params, **overrides)
    for reply in (_get(url), _get(url, **{"X-Emulator-Approve": "1"})):
        assert reply.status == 400
        assert "location" not in reply.headers
        assert "This sign-in request is not valid" in reply.body.decode()


def test_repeated_parameters_are_refused(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params()
    url = emulator.authorize_url(params) + "&state=second"
    assert _get(url, **{"X-Emulator-Approve": "1"}).status == 400


@pytest.mark.parametrize(
    ("client_id", "redirect"),
    [
        (CROSS_DEVICE, "http://127.0.0.1:50000/oauth/callback"),
        (SAME_DEVICE, "CONFIRMATION"),
        (CROSS_DEVICE, "http://127.0.0.1:1/v1/sessions/confirmation"),
    ],
)
def test_redirect_uri_must_fit_the_client(emulator: EmulatorHandle, client_id: str, redirect: str) -> None:
    redirect = emulator.confirmation_url if redirect == "CONFIRMATION" else redirect
    params = emulator.authorize_params(client_id)
    reply = _get(emulator.authorize_url(params, redirect_uri=redirect), **{"X-Emulator-Approve": "1"})
    assert reply.status == 400


def test_automation_same_device_redirects_with_code_and_state(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params(callback_port=54321)
    reply = _get(emulator.authorize_url(params), **{"X-Emulator-Approve": "2"})
    assert reply.status == 302
    location = urlsplit(reply.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("http", "127.0.0.1:54321", "/oauth/callback")
    query = parse_qs(location.query)
    assert query["state"] == [params.state]
    assert len(query["code"][0]) >= 32
    logins = emulator.tokens()["login_sessions"]
    assert [login["session_arn"] for login in logins] == [emulator.sessions[1].arn]


def test_automation_cross_device_answers_a_padded_standard_base64_code(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params(CROSS_DEVICE)
    reply = _get(emulator.authorize_url(params), **{"X-Emulator-Approve": "1"})
    assert reply.status == 200
    code = reply.json()["verification_code"]
    assert len(code) % 4 == 0
    decoded = base64.b64decode(code, validate=True).decode()
    assert decoded.startswith(f"state={params.state}&code=")
    assert parse_qs(decoded)["state"] == [params.state]


@pytest.mark.parametrize("value", ["0", "6", "x", ""])
def test_automation_rejects_bad_session_numbers(emulator: EmulatorHandle, value: str) -> None:
    params = emulator.authorize_params()
    assert _get(emulator.authorize_url(params), **{"X-Emulator-Approve": value}).status == 400


def test_automation_deny(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params()
    location = emulator.approve(emulator.authorize_url(params), "deny")
    assert parse_qs(urlsplit(location).query) == {"error": ["access_denied"], "state": [params.state]}
    cross = emulator.authorize_params(CROSS_DEVICE)
    reply = _get(emulator.authorize_url(cross), **{"X-Emulator-Approve": "deny"})
    assert reply.json() == {"error": "access_denied", "state": cross.state}


def test_page_buttons_approve_once(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params()
    request_id = _request_id(_get(emulator.authorize_url(params)))
    reply = _form(emulator, "/v1/authorize/approve", {"request_id": request_id, "session": "3"})
    assert reply.status == 303
    code = parse_qs(urlsplit(reply.headers["location"]).query)["code"][0]
    assert reply.headers["location"].startswith(params.redirect_uri + "?")
    # The pending request is answered; a second click does nothing.
    again = _form(emulator, "/v1/authorize/approve", {"request_id": request_id, "session": "1"})
    assert again.status == 400
    token = emulator.token_request(emulator.code_body(params, code), key=DpopKey())
    assert token.status == 200


def test_unknown_request_id_is_refused(emulator: EmulatorHandle) -> None:
    assert _form(emulator, "/v1/authorize/approve", {"request_id": "forged", "session": "1"}).status == 400


def test_pending_request_expires(emulator: EmulatorHandle) -> None:
    request_id = _request_id(_get(emulator.authorize_url(emulator.authorize_params())))
    emulator.advance_clock(601)
    assert _form(emulator, "/v1/authorize/approve", {"request_id": request_id, "session": "1"}).status == 400


def test_cancel_redirects_with_access_denied(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params()
    request_id = _request_id(_get(emulator.authorize_url(params)))
    reply = _form(emulator, "/v1/authorize/deny", {"request_id": request_id})
    assert reply.status == 303
    assert parse_qs(urlsplit(reply.headers["location"]).query) == {"error": ["access_denied"], "state": [params.state]}


def test_cross_device_choice_shows_the_verification_code(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params(CROSS_DEVICE)
    request_id = _request_id(_get(emulator.authorize_url(params)))
    reply = _form(emulator, "/v1/authorize/approve", {"request_id": request_id, "session": "5"})
    assert reply.headers["location"].startswith(emulator.confirmation_url + "?")
    page = _get(reply.headers["location"])
    assert page.status == 200
    match = re.search(r"id='verification-code'>([^<]+)<", page.body.decode())
    assert match
    decoded = parse_qs(base64.b64decode(match.group(1)).decode())
    assert decoded["state"] == [params.state]
    token = emulator.token_request(emulator.code_body(params, decoded["code"][0]), key=DpopKey())
    assert token.status == 200


def test_confirmation_page_refuses_codes_it_did_not_issue(emulator: EmulatorHandle) -> None:
    assert _get(emulator.confirmation_url + "?code=made-up&state=s").status == 400
    same = emulator.authorize_params()
    location = emulator.approve(emulator.authorize_url(same), 1)
    query = urlsplit(location).query
    assert _get(f"{emulator.confirmation_url}?{query}").status == 400  # a same-device code


def test_root_or_iam_user_form(emulator: EmulatorHandle) -> None:
    params = emulator.authorize_params()
    request_id = _request_id(_get(emulator.authorize_url(params)))
    form = _get(f"{emulator.base_url}/v1/authorize/signin?request_id={request_id}")
    assert form.status == 200
    assert "Account ID" in form.body.decode()
    back = re.search(r"href='(/v1/authorize\?[^']+)'", form.body.decode())
    assert back
    assert _get(emulator.base_url + back.group(1).replace("&amp;", "&")).status == 200
    wrong = _form(
        emulator,
        "/v1/authorize/signin",
        {"request_id": request_id, "account": "4444-5555-6666", "user": "mallory", "password": "pw"},
    )
    assert wrong.status == 401
    empty = _form(
        emulator,
        "/v1/authorize/signin",
        {"request_id": request_id, "account": "444455556666", "user": "bob", "password": ""},
    )
    assert empty.status == 401
    right = _form(
        emulator,
        "/v1/authorize/signin",
        {"request_id": request_id, "account": "4444-5555-6666", "user": "bob", "password": "pw"},
    )
    assert right.status == 303
    assert emulator.tokens()["login_sessions"][0]["session_arn"] == "arn:aws:iam::444455556666:user/bob"


def test_root_sign_in_and_configured_password(emulator_factory: Any) -> None:
    emulator: EmulatorHandle = emulator_factory(
        sessions=[{"arn": "arn:aws:iam::777788889999:root", "password": "s3cret"}, "arn:aws:iam::777788889999:user/x"]
    )
    params = emulator.authorize_params()
    request_id = _request_id(_get(emulator.authorize_url(params)))
    fields = {"request_id": request_id, "account": "777788889999", "user": "", "password": "guess"}
    assert _form(emulator, "/v1/authorize/signin", fields).status == 401
    assert _form(emulator, "/v1/authorize/signin", {**fields, "password": "s3cret"}).status == 303
    assert emulator.tokens()["login_sessions"][0]["session_arn"] == "arn:aws:iam::777788889999:root"
