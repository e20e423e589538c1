"""``sts:AssumeRole`` with a session's credentials, and AWS's refusals in words a user can act on.

Used once when a role profile is added (to prove the role can be assumed
before it is written) and by ``exec``/``env`` for a role profile. The
credentials it returns live in memory only.

The call goes to the *regional* STS endpoint of the role profile's Region
(``sts_regional_endpoints`` is forced to ``regional``; ``AWS_ENDPOINT_URL_STS``
still wins, as for every SDK), exactly where the SDKs send it for a profile we
write.

AWS answers "not authorized to perform: sts:AssumeRole" alike when the
caller lacks the permission, when the role's trust policy does not name the
caller, when the external id is missing or wrong, and when the role does not
exist. :func:`refusal_message` therefore lists what to check, most likely
first, with the names filled in.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from core.domain.errors import RoleRefused, SignInRequired, TransientServiceError
from core.domain.model import Credentials, Identity, PrincipalType
from core.domain.roles import RoleArn, RoleSettings

USER_AGENT_APP_ID = "aws-login-tray"
_SIGN_IN_AGAIN = {"InvalidClientTokenId", "ExpiredToken", "ExpiredTokenException", "UnrecognizedClientException"}


def _sts_client(credentials: Credentials, region: str) -> Any:
    from botocore.config import Config

    from core.signin import sdk

    return sdk.create_client(
        "sts",
        region_name=region,
        aws_access_key_id=credentials.access_key_id,
        aws_secret_access_key=credentials.secret_access_key,
        aws_session_token=credentials.session_token,
        config=Config(
            retries={"mode": "standard", "total_max_attempts": 3},
            connect_timeout=10,
            read_timeout=20,
            user_agent_appid=USER_AGENT_APP_ID,
        ),
    )


def sts_endpoint(credentials: Credentials, region: str) -> str:
    """The STS endpoint :func:`assume_role` would call for ``region`` (no network)."""
    return str(_sts_client(credentials, region).meta.endpoint_url)


def assume_role(credentials: Credentials, settings: RoleSettings, region: str, identity: Identity) -> Credentials:
    """Assume ``settings.role_arn`` with a session's ``credentials`` (blocking; run it off the event loop).

    Args:
        credentials: the session's current credentials (the source).
        settings: role ARN, session name, duration and external id, as the profile says.
        region: the role profile's Region (its regional STS endpoint answers).
        identity: who the session is, for the words of a refusal.

    Raises:
        RoleRefused: AWS refused (not authorised, no trust, external id, duration, Region).
        SignInRequired: STS did not accept the session's own credentials.
        TransientServiceError: STS could not be reached or failed.
    """
    import botocore.exceptions as bce

    role = RoleArn.parse(settings.role_arn)
    request: dict[str, Any] = {
        "RoleArn": role.arn,
        "RoleSessionName": settings.role_session_name or identity.principal_name,
    }
    if settings.duration_seconds is not None:
        request["DurationSeconds"] = settings.duration_seconds
    if settings.external_id:
        request["ExternalId"] = settings.external_id
    try:
        reply = _sts_client(credentials, region).assume_role(**request)
    except bce.ClientError as error:
        raise _refusal(error.response, role, settings, region, identity) from None
    except bce.BotoCoreError as error:
        raise TransientServiceError(
            f"AWS STS in {region} could not be reached ({type(error).__name__}); try again in a moment."
        ) from None
    issued = reply["Credentials"]
    expires = issued["Expiration"]
    return Credentials(
        access_key_id=issued["AccessKeyId"],
        secret_access_key=issued["SecretAccessKey"],
        session_token=issued["SessionToken"],
        expires_at=expires.astimezone(UTC) if isinstance(expires, datetime) else datetime.fromisoformat(expires),
        account_id=role.account_id,
    )


def _refusal(
    response: dict[str, Any], role: RoleArn, settings: RoleSettings, region: str, identity: Identity
) -> Exception:
    error = response.get("Error", {})
    code = str(error.get("Code", ""))
    aws_words = str(error.get("Message", "")).strip()
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    if code in _SIGN_IN_AGAIN:
        return SignInRequired(
            f"AWS STS did not accept the credentials of this session ({code}); sign in again, then add the role.",
            reason=code,
        )
    if code == "AccessDenied":
        return RoleRefused(refusal_message(role, settings, identity, aws_words), code)
    if code == "RegionDisabledException":
        return RoleRefused(
            f"STS is not activated in {region} for account {role.account_id}: choose another Region for this "
            "role profile, or ask an administrator of that account to activate the Region.",
            code,
        )
    if code in ("ValidationError", "InvalidParameterValue", "MalformedPolicyDocument"):
        return RoleRefused(f"AWS refused the request: {aws_words or code}. {_validation_hint(aws_words)}", code)
    if code in ("Throttling", "ThrottlingException") or (isinstance(status, int) and status >= 500):
        return TransientServiceError(f"AWS STS failed ({code or status}); try again in a moment.", status)
    return RoleRefused(f"AWS STS refused to assume {role.arn}: {code}: {aws_words}", code)


def _validation_hint(aws_words: str) -> str:
    if "DurationSeconds" in aws_words:
        return "Choose a shorter duration: a role assumed from a console session lasts at most one hour."
    return "Check the role ARN, the session name and the external ID."


def _trusted_principal(identity: Identity) -> str:
    """The principal a trust policy names to let this session in."""
    if identity.principal_type is PrincipalType.ASSUMED_ROLE and identity.role_name:
        return f"arn:{identity.partition}:iam::{identity.account_id}:role/{identity.role_name}"
    return identity.arn


def refusal_message(role: RoleArn, settings: RoleSettings, identity: Identity, aws_words: str) -> str:
    """What to check after AWS answered ``AccessDenied`` to AssumeRole."""
    who = f"{identity.display_name} (account {identity.account_id})"
    if identity.principal_type is PrincipalType.ROOT:
        return (
            f"AWS refused: the root user cannot assume roles ({aws_words}). Sign in as an IAM user or with a role, "
            "then add the role to that session."
        )
    if settings.external_id:
        external = (
            f"External ID: the one you entered ({settings.external_id!r}) must be exactly the one in the role's "
            "trust policy; ask the role's owner."
        )
    else:
        external = (
            "External ID: if the role's owner gave you an external ID (third-party access often needs one), enter it."
        )
    checks = [
        f"Trust: the trust policy of role {role.name} in account {role.account_id} must allow "
        f"{_trusted_principal(identity)} (or account {identity.account_id}) to call sts:AssumeRole.",
        f"Permission: the policies of {who} must allow sts:AssumeRole on {role.arn}.",
        external,
        f"The role ARN must be exact: a role that does not exist is refused the same way ({role.arn}).",
    ]
    if settings.external_id:
        checks.insert(0, checks.pop(2))
    lines = "\n".join(f"  • {check}" for check in checks)
    return (
        f"AWS refused to let {who} assume role {role.name} in account {role.account_id}. "
        f"AWS said: “{aws_words or 'AccessDenied'}”.\nAWS gives the same answer for each of these; check them:\n"
        f"{lines}"
    )
