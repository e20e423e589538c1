"""Which credentials a profile already holds, in the words ``aws login`` uses, and what [DEFAULT] adds to it."""

from __future__ import annotations

import configparser

from core.awsconfig.document import ConfigDocument
from core.domain.errors import ConfigFileError
from core.domain.roles import ROLE_KEYS

SOURCE_KEYS = ("credential_process", "login_session", *ROLE_KEYS)
"""Every key that says where a profile we write takes its credentials from."""

CREDENTIAL_KEYS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "role_arn",
        "source_profile",
        "credential_source",
        "web_identity_token_file",
        "sso_session",
    }
)

_STYLE_WEB_IDENTITY = "Web Identity"
_STYLE_SSO = "SSO"
_STYLE_ACCESS_KEY = "Access Key"
_STYLE_ROLE = "Assume Role"
_STYLE_PROCESS = "Credential Process"
_STYLE_LOGIN = "another aws login session"


def credential_style(settings: dict[str, str], login_session: str | None) -> str | None:
    """The credential style a profile already holds, named as ``aws login`` names it."""
    if "web_identity_token_file" in settings:
        return _STYLE_WEB_IDENTITY
    if any(key == "sso_session" or key.startswith("sso_") for key in settings):
        return _STYLE_SSO
    if any(key in settings for key in ("aws_access_key_id", "aws_secret_access_key", "aws_session_token")):
        return _STYLE_ACCESS_KEY
    if any(key in settings for key in ("role_arn", "source_profile", "credential_source")):
        return _STYLE_ROLE
    if "credential_process" in settings and "aws-login-tray" not in settings["credential_process"]:
        return _STYLE_PROCESS
    existing = settings.get("login_session")
    if existing is not None and (login_session is None or existing.strip() != login_session):
        return _STYLE_LOGIN
    return None


def check_defaults(doc: ConfigDocument) -> None:
    """Refuse to write a profile that ``[DEFAULT]`` would give other credentials (configparser merges them in)."""
    for section in doc.sections:
        if section.header != configparser.DEFAULTSECT:
            continue
        for key in section.settings:
            if key in CREDENTIAL_KEYS or key.startswith("sso_") or key in SOURCE_KEYS:
                raise ConfigFileError(
                    f"{doc.path}: line {section.lineno}: [DEFAULT] sets {key} for every profile, so the AWS tools"
                    " would not use the sign-in written to a profile; move it into the profiles that need it;"
                    " nothing was changed"
                )
