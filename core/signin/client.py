"""The AWS Sign-In client: browser sign-in, token exchange, refresh and identity check.

It speaks the protocol of ``aws login`` (OAuth 2.0 authorization code with
PKCE, DPoP-bound refresh tokens) through botocore's own ``signin`` client, so
partitions, FIPS/dual-stack settings and endpoint overrides
(``AWS_ENDPOINT_URL_SIGNIN``, ``AWS_ENDPOINT_URL``, the config file's
``services`` section) behave exactly as they do for the AWS CLI.

Design notes:

* One botocore ``signin`` client per :class:`SigninClient`, created lazily
  (creating clients is slow) and reused. Requests are unsigned and botocore's
  retries are off: every token request makes exactly one attempt, and the
  caller (the refresh engine) retries with a fresh DPoP proof.
* The DPoP proof is added by a ``before-sign`` handler, so it is built for
  every HTTP attempt from the URL actually requested. The key of the call in
  progress travels to that handler in a thread-local, because botocore runs
  handlers synchronously in the calling thread and one client may serve
  several sessions from several worker threads.
* Every blocking botocore call runs in a worker thread (``asyncio.to_thread``).
* Tokens, keys and secret keys never appear in messages or logs.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from secrets import compare_digest
from typing import Any
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from core.domain.errors import (
    IdentityMismatch,
    InvalidRequestError,
    InvalidVerificationCode,
    LoginTrayError,
    SignInCancelled,
    SignInRequired,
    TransientServiceError,
)
from core.domain.idtoken import subject
from core.domain.model import Credentials, Identity, SessionSecrets
from core.domain.ports import BrowserOpener, Clock, CodePrompt, SystemClock
from core.signin.callback import DEFAULT_TIMEOUT, CallbackServer
from core.signin.dpop import DpopKey
from core.signin.pkce import CHALLENGE_METHOD, PkceSet

logger = logging.getLogger(__name__)

SAME_DEVICE_CLIENT_ID = "arn:aws:signin:::devtools/same-device"
CROSS_DEVICE_CLIENT_ID = "arn:aws:signin:::devtools/cross-device"
TOKEN_OPERATION = "CreateOAuth2Token"  # noqa: S105 - an operation name, not a secret
MAX_CACHED_KEYS = 16
"""DPoP keys a client keeps loaded (a user has at most a handful of sessions per Region)."""
USER_AGENT_APP_ID = "aws-login-tray"
"""Appears in the user agent (``app/aws-login-tray``), so CloudTrail shows which tool called."""

_MESSAGES: Mapping[str, str] = {
    "TOKEN_EXPIRED": (
        "This sign-in session has ended: it reached its time limit (at most 12 hours) or was revoked. "
        "Sign in again to continue."
    ),
    "AUTHCODE_EXPIRED": ("The sign-in took too long, or its one-time code was already used. Start the sign-in again."),
    "USER_CREDENTIALS_CHANGED": (
        "The password or access keys of this identity changed after it signed in, so AWS ended the session. "
        "Sign in again to continue."
    ),
    "INSUFFICIENT_PERMISSIONS": (
        "This identity is not allowed to use its console sign-in for local development. It needs the IAM "
        "permissions signin:AuthorizeOAuth2Access and signin:CreateOAuth2Token, for example through the AWS "
        "managed policy SignInLocalDevelopmentAccess. Ask an administrator to grant them, then sign in again."
    ),
}


@dataclass(frozen=True)
class TokenResult:
    """What one successful token exchange or refresh produced.

    Attributes:
        credentials: the new short-lived credentials; they expire ``expires_in``
            seconds after the moment the request was sent (by the injected clock).
        secrets: what the next refresh needs: the *new* refresh token (the old
            one is spent), the same DPoP key, the client id and the id token.
        identity: the login session's identity (from the id token's ``sub``)
            after a sign-in; None after a refresh.
        expires_in: the lifetime AWS granted, in seconds.
    """

    credentials: Credentials
    secrets: SessionSecrets
    identity: Identity | None
    expires_in: int


@dataclass(frozen=True)
class _Pending:
    """One authorization in progress: its PKCE set, DPoP key and redirect."""

    client_id: str
    pkce: PkceSet
    key: DpopKey
    redirect_uri: str


def session_arn_from_id_token(id_token: str) -> str:
    """The login session ARN (``sub`` claim) of an id token.

    The token's signature is not checked here: it came straight from AWS
    Sign-In over TLS in the same exchange, and :meth:`SigninClient.sign_in_same_device`
    and :meth:`SigninClient.sign_in_remote` confirm the identity with STS.

    Raises:
        InvalidRequestError: the token is not a JWT with a string ``sub``.
    """
    arn = subject(id_token)
    if arn is None:
        raise InvalidRequestError(
            "AWS Sign-In returned an identity token this app cannot read. Please report this problem."
        )
    return arn


def _identity_from_arn(arn: str) -> Identity:
    try:
        return Identity.from_arn(arn)
    except ValueError:
        raise InvalidRequestError(
            "AWS Sign-In signed in an identity this app does not recognise. Please report this problem."
        ) from None


def parse_verification_code(text: str, expected_state: str) -> str:
    """The authorization code inside a cross-device verification code.

    The verification code is standard base64 of ``state=...&code=...``.
    Surrounding whitespace and missing ``=`` padding are tolerated.

    Raises:
        InvalidVerificationCode: the text is not such a code, or its state does
            not belong to this sign-in.
    """
    cleaned = text.strip()
    malformed = InvalidVerificationCode(
        "That is not a valid verification code. Copy the whole code shown on the AWS page and paste it again."
    )
    if not cleaned or len(cleaned) > 4096:
        raise malformed
    try:
        raw = base64.b64decode(cleaned + "=" * (-len(cleaned) % 4), validate=True)
        fields = parse_qs(raw.decode("utf-8"), keep_blank_values=True, strict_parsing=True, max_num_fields=8)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise malformed from None
    states, codes = fields.get("state", []), fields.get("code", [])
    if len(states) != 1 or len(codes) != 1 or not codes[0]:
        raise malformed
    if not compare_digest(states[0].encode("utf-8"), expected_state.encode("utf-8")):
        raise InvalidVerificationCode(
            "That verification code belongs to a different sign-in. Use the code shown for this sign-in, "
            "or start the sign-in again."
        )
    return codes[0]


def _same_identity(a: Identity, b: Identity) -> bool:
    return (
        a.partition == b.partition
        and a.account_id == b.account_id
        and a.principal_type == b.principal_type
        and a.principal_name == b.principal_name
        and a.role_name == b.role_name
    )


def identities_match(signed_in_arn: str, sts_arn: str) -> bool:
    """Whether STS's caller ARN is the login session the id token named.

    Equal ARNs match. Otherwise both are parsed (:meth:`Identity.from_arn`) and
    must agree on partition, account, principal type, role name and
    user/session name; this tolerates differences such as an IAM path
    (``user/dev/alice`` versus ``user/alice``).
    """
    if compare_digest(signed_in_arn.encode("utf-8"), sts_arn.encode("utf-8")):
        return True
    try:
        return _same_identity(Identity.from_arn(signed_in_arn), Identity.from_arn(sts_arn))
    except ValueError:
        return False


def map_client_error(error: Any) -> LoginTrayError:
    """The project error for a botocore ``ClientError`` of the ``signin`` service.

    The exception is identified by its name (botocore's error code, which it
    reads from ``x-amzn-errortype``), refined by the body's ``error`` field.
    """
    response: Mapping[str, Any] = getattr(error, "response", {}) or {}
    name = str(response.get("Error", {}).get("Code", ""))
    detail = str(response.get("error") or response.get("Error", {}).get("error") or "")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if name == "AccessDeniedException":
        if detail in _MESSAGES:
            return SignInRequired(_MESSAGES[detail], reason=detail)
        return SignInRequired(
            "AWS Sign-In refused this session. Sign in again to continue.", reason=detail or "ACCESS_DENIED"
        )
    if name == "ValidationException":
        return InvalidRequestError(
            "AWS Sign-In rejected the request as invalid. This is likely a bug in aws-login-tray; please report it."
        )
    if name == "TooManyRequestsError":
        return TransientServiceError("AWS Sign-In is rate limiting requests; retrying later.", status=status or 429)
    if name in {"InternalServerException", "ServiceUnavailableException"} or (
        isinstance(status, int) and status >= 500
    ):
        return TransientServiceError("AWS Sign-In had a temporary problem; retrying later.", status=status or 500)
    return InvalidRequestError(
        f"AWS Sign-In answered with an unexpected error ({name or 'unknown'}, HTTP {status}). Please report it."
    )


class SigninClient:
    """Signs in to AWS Sign-In in one region and refreshes the resulting sessions.

    Args:
        region: the AWS Region to sign in to.
        clock: the source of "now" for DPoP proofs and expiry times.
        connect_timeout: seconds to wait for a TCP connection.
        read_timeout: seconds to wait for an answer.
    """

    def __init__(
        self,
        region: str,
        *,
        clock: Clock | None = None,
        connect_timeout: float = 10.0,
        read_timeout: float = 30.0,
    ) -> None:
        self.region = region
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._connect_timeout = connect_timeout
        self._read_timeout = read_timeout
        self._lock = threading.Lock()
        self._local = threading.local()
        self._client: Any = None
        self._token_url: str | None = None
        self._keys: dict[str, DpopKey] = {}
        """Keys loaded for refreshes, by their stored PEM (parsed once per session, not once per refresh)."""

    # -- botocore plumbing -----------------------------------------------

    def _signin_client(self) -> Any:
        """The shared botocore client (created on first use, thread-safely)."""
        with self._lock:
            if self._client is None:
                self._client, self._token_url = self._create_client()
            return self._client

    def _create_client(self) -> tuple[Any, str]:
        import botocore
        from botocore.awsrequest import AWSResponse
        from botocore.config import Config

        from core.signin import sdk

        config = Config(
            signature_version=botocore.UNSIGNED,
            retries={"mode": "standard", "total_max_attempts": 1},
            connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout,
            user_agent_appid=USER_AGENT_APP_ID,
        )
        client = sdk.create_client("signin", region_name=self.region, config=config)
        event = f"before-call.signin.{TOKEN_OPERATION}"
        resolved: list[str] = []

        def probe(params: dict[str, Any], **_: Any) -> tuple[Any, dict[str, Any]]:
            # Answer locally: only the URL botocore resolved for the token call is wanted.
            resolved.append(str(params["url"]))
            return AWSResponse(params["url"], 200, {}, None), {"tokenOutput": {}}

        client.meta.events.register(event, probe, unique_id="aws-login-tray-endpoint-probe")
        try:
            client.create_o_auth2_token(tokenInput={"clientId": SAME_DEVICE_CLIENT_ID, "grantType": "refresh_token"})
        finally:
            client.meta.events.unregister(event, unique_id="aws-login-tray-endpoint-probe")
        client.meta.events.register(f"before-sign.signin.{TOKEN_OPERATION}", self._add_dpop_header)
        return client, resolved[0]

    def _add_dpop_header(self, request: Any, **_: Any) -> None:
        """``before-sign`` handler: a fresh DPoP proof for this very HTTP attempt."""
        key: DpopKey | None = getattr(self._local, "key", None)
        if key is None:
            raise RuntimeError("a token request was made without a DPoP key")
        url = urlsplit(request.url)
        htu = f"{url.scheme}://{url.netloc}{url.path}"
        if "DPoP" in request.headers:
            del request.headers["DPoP"]
        request.headers["DPoP"] = key.proof("POST", htu, self._clock.now())

    @property
    def base_url(self) -> str:
        """``scheme://host[:port]`` of the endpoint botocore resolves for the token call.

        Any path of an endpoint override is dropped (AWS Sign-In serves at the
        root). The first access creates the botocore client, which blocks for
        some tens of milliseconds; the async methods do that in a thread.
        """
        self._signin_client()
        assert self._token_url is not None
        parts = urlsplit(self._token_url)
        return f"{parts.scheme}://{parts.netloc}"

    def authorize_url(self, client_id: str, pkce: PkceSet, redirect_uri: str) -> str:
        """The ``/v1/authorize`` URL for one sign-in (docs/protocol.md §2)."""
        query = urlencode(
            [
                ("response_type", "code"),
                ("client_id", client_id),
                ("state", pkce.state),
                ("code_challenge_method", CHALLENGE_METHOD),
                ("scope", "openid"),
                ("redirect_uri", redirect_uri),
                ("code_challenge", pkce.challenge),
            ],
            quote_via=quote,
            safe="-_.~",
        )
        return f"{self.base_url}/v1/authorize?{query}"

    def _create_token(self, body: dict[str, str], key: DpopKey) -> dict[str, Any]:
        """One ``CreateOAuth2Token`` call (blocking; runs in a worker thread)."""
        import botocore.exceptions as bce

        client = self._signin_client()
        self._local.key = key
        try:
            response: dict[str, Any] = client.create_o_auth2_token(tokenInput=body)
        except bce.ClientError as error:
            mapped = map_client_error(error)
            logger.info("token request (%s) refused: %s", body["grantType"], type(mapped).__name__)
            raise mapped from None
        except (bce.ConnectionError, bce.HTTPClientError) as error:
            logger.info("token request (%s) failed: %s", body["grantType"], type(error).__name__)
            raise TransientServiceError(
                "AWS Sign-In could not be reached (network problem or timeout); retrying later."
            ) from None
        except bce.ParamValidationError:
            raise InvalidRequestError(
                "A token request could not be built. This is a bug in aws-login-tray; please report it."
            ) from None
        except bce.BotoCoreError as error:
            logger.info("token request (%s) failed: %s", body["grantType"], type(error).__name__)
            raise TransientServiceError("AWS Sign-In sent an answer that could not be read; retrying later.") from None
        finally:
            self._local.key = None
        return response

    async def _token_call(
        self, body: dict[str, str], key: DpopKey, *, account_id: str | None, id_token: str | None
    ) -> TokenResult:
        sent_at = self._clock.now()
        response = await asyncio.to_thread(self._create_token, body, key)
        try:
            output = response["tokenOutput"]
            access = output["accessToken"]
            expires_in = int(output["expiresIn"])
            refresh_token = output["refreshToken"]
            access_key_id = access["accessKeyId"]
            secret_access_key = access["secretAccessKey"]
            session_token = access["sessionToken"]
            new_id_token = output.get("idToken") or id_token
            fields = (refresh_token, access_key_id, secret_access_key, session_token)
            if expires_in <= 0 or not all(isinstance(value, str) and value for value in fields):
                raise ValueError("incomplete token output")
        except (KeyError, TypeError, ValueError):
            raise TransientServiceError("AWS Sign-In sent an incomplete answer; retrying later.") from None
        identity: Identity | None = None
        if output.get("idToken"):
            identity = _identity_from_arn(session_arn_from_id_token(output["idToken"]))
            account_id = identity.account_id
        if account_id is None:
            raise ValueError("refresh needs the session's account id (pass account_id or keep the id token)")
        credentials = Credentials(
            access_key_id=access_key_id,
            secret_access_key=secret_access_key,
            session_token=session_token,
            expires_at=sent_at + timedelta(seconds=expires_in),
            account_id=account_id,
        )
        session_secrets = SessionSecrets(
            refresh_token=refresh_token, dpop_key_pem=key.to_pem(), client_id=body["clientId"], id_token=new_id_token
        )
        return TokenResult(credentials=credentials, secrets=session_secrets, identity=identity, expires_in=expires_in)

    # -- sign-in ----------------------------------------------------------

    async def _prepare(self, client_id: str, redirect_uri: str | None) -> _Pending:
        base = await asyncio.to_thread(lambda: self.base_url)
        return _Pending(
            client_id=client_id,
            pkce=PkceSet.generate(),
            key=await asyncio.to_thread(DpopKey.generate),
            redirect_uri=redirect_uri or f"{base}/v1/sessions/confirmation",
        )

    async def _exchange(self, pending: _Pending, code: str) -> TokenResult:
        body = {
            "clientId": pending.client_id,
            "grantType": "authorization_code",
            "code": code,
            "codeVerifier": pending.pkce.verifier,
            "redirectUri": pending.redirect_uri,
        }
        result = await self._token_call(body, pending.key, account_id=None, id_token=None)
        assert result.identity is not None
        sts_arn = await self.caller_identity(result.credentials)
        if not identities_match(result.identity.arn, sts_arn):
            logger.warning("identity check failed after sign-in")
            raise IdentityMismatch(
                "The credentials AWS issued belong to a different identity than the one that signed in, so they "
                "were not used. Sign in again; if this repeats, report it."
            )
        return result

    async def sign_in_same_device(
        self,
        open_browser: BrowserOpener,
        *,
        show_url: Callable[[str], None] | None = None,
        timeout: float = DEFAULT_TIMEOUT,  # noqa: ASYNC109 - the agreed interface: how long the user may take
    ) -> TokenResult:
        """Sign in with a browser on this machine.

        Starts the loopback listener, shows (``show_url``) and opens
        (``open_browser``) the authorize page, waits for the redirect, exchanges
        the code with a new DPoP key and confirms the identity with STS.

        Raises:
            SignInCancelled: the browser did not answer within ``timeout`` or
                the user declined.
            SignInRequired: AWS refused (e.g. ``AUTHCODE_EXPIRED``,
                ``INSUFFICIENT_PERMISSIONS``).
            TransientServiceError, InvalidRequestError, IdentityMismatch.
        """
        await asyncio.to_thread(self._signin_client)
        pkce = PkceSet.generate()
        async with CallbackServer(pkce.state) as server:
            pending = _Pending(
                client_id=SAME_DEVICE_CLIENT_ID,
                pkce=pkce,
                key=await asyncio.to_thread(DpopKey.generate),
                redirect_uri=server.redirect_uri,
            )
            url = self.authorize_url(pending.client_id, pending.pkce, pending.redirect_uri)
            if show_url is not None:
                show_url(url)
            open_browser(url)
            code = await server.wait_for_code(timeout)
        return await self._exchange(pending, code)

    async def sign_in_remote(self, prompt: CodePrompt) -> TokenResult:
        """Sign in with a browser elsewhere: the user pastes the verification code.

        Raises:
            SignInCancelled: nothing was entered.
            InvalidVerificationCode: the code is malformed or from another sign-in.
            SignInRequired, TransientServiceError, InvalidRequestError, IdentityMismatch.
        """
        pending = await self._prepare(CROSS_DEVICE_CLIENT_ID, None)
        url = self.authorize_url(pending.client_id, pending.pkce, pending.redirect_uri)
        text = await prompt(url)
        if not text or not text.strip():
            raise SignInCancelled("No verification code was entered, so the sign-in was cancelled.")
        code = parse_verification_code(text, pending.pkce.state)
        return await self._exchange(pending, code)

    # -- refresh and identity ----------------------------------------------

    async def refresh(self, secrets: SessionSecrets, *, account_id: str | None = None) -> TokenResult:
        """One refresh attempt with a fresh DPoP proof (no retries here).

        Args:
            secrets: the session's current refresh token, key and client id.
            account_id: the session's account, copied into the new credentials.
                When omitted it is taken from ``secrets.id_token``.

        Returns:
            New credentials and secrets holding the *new* refresh token (store
            them before using the credentials; the old token is spent) and the
            same DPoP key. ``identity`` is None.

        Raises:
            SignInRequired: the session cannot continue (``TOKEN_EXPIRED``,
                ``USER_CREDENTIALS_CHANGED``, ``INSUFFICIENT_PERMISSIONS``,
                ``DAMAGED_KEY``).
            TransientServiceError: 429, 5xx or a network problem; retry later.
            InvalidRequestError: AWS rejected the request as malformed.
        """
        key = self._key_for(secrets.dpop_key_pem)
        if account_id is None and secrets.id_token:
            account_id = _identity_from_arn(session_arn_from_id_token(secrets.id_token)).account_id
        body = {"clientId": secrets.client_id, "grantType": "refresh_token", "refreshToken": secrets.refresh_token}
        result = await self._token_call(body, key, account_id=account_id, id_token=secrets.id_token)
        # Keep the stored PEM byte for byte: it may come from the AWS CLI's cache.
        kept = SessionSecrets(
            refresh_token=result.secrets.refresh_token,
            dpop_key_pem=secrets.dpop_key_pem,
            client_id=secrets.client_id,
            id_token=secrets.id_token,
        )
        return TokenResult(credentials=result.credentials, secrets=kept, identity=None, expires_in=result.expires_in)

    def _key_for(self, pem: str) -> DpopKey:
        """The session's DPoP key, loaded once (keys never change; a damaged PEM is never kept)."""
        key = self._keys.get(pem)
        if key is None:
            key = DpopKey.from_pem(pem)
            if len(self._keys) >= MAX_CACHED_KEYS:
                self._keys.pop(next(iter(self._keys)), None)  # the oldest: a session signed out or in again
            self._keys[pem] = key
        return key

    async def caller_identity(self, credentials: Credentials) -> str:
        """The ARN STS reports for ``credentials``, from the *regional* STS endpoint.

        Raises:
            SignInRequired: STS rejected the credentials as invalid or expired.
            TransientServiceError: STS could not be reached or failed.
        """
        return await asyncio.to_thread(self._get_caller_identity, credentials)

    def sts_client(self, credentials: Credentials) -> Any:
        """A botocore STS client for ``credentials`` on the regional endpoint of :attr:`region`.

        ``sts_regional_endpoints`` is forced to ``regional`` whatever the
        environment or config file says; ``AWS_ENDPOINT_URL_STS`` still wins,
        as it does for every SDK.
        """
        from botocore.config import Config

        from core.signin import sdk

        config = Config(
            retries={"mode": "standard", "total_max_attempts": 3},
            connect_timeout=self._connect_timeout,
            read_timeout=self._read_timeout,
            user_agent_appid=USER_AGENT_APP_ID,
        )
        return sdk.create_client(
            "sts",
            region_name=self.region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            aws_session_token=credentials.session_token,
            config=config,
        )

    def _get_caller_identity(self, credentials: Credentials) -> str:
        import botocore.exceptions as bce

        sts = self.sts_client(credentials)
        try:
            arn: str = sts.get_caller_identity()["Arn"]
        except bce.ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in {"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "AccessDenied"}:
                raise SignInRequired(
                    "AWS STS did not accept this session's credentials. Sign in again to continue.", reason=code
                ) from None
            raise TransientServiceError(
                f"AWS STS failed ({code or 'unknown error'}); retrying later.", status
            ) from None
        except bce.BotoCoreError as error:
            raise TransientServiceError(
                f"AWS STS could not be reached ({type(error).__name__}); retrying later."
            ) from None
        return arn
