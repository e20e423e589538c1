"""The token cache ``aws login`` and botocore's ``LoginProvider`` share.

One JSON file per login session in ``~/.aws/login/cache`` (or
``$AWS_LOGIN_CACHE_DIRECTORY``), named by the lower-case hex SHA-256 of the
session ARN plus ``.json`` (docs/protocol.md §6.2)::

    {"accessToken": {"accessKeyId", "secretAccessKey", "sessionToken",
                     "accountId", "expiresAt": "YYYY-MM-DDTHH:MM:SSZ"},
     "tokenType": "aws_sigv4", "clientId", "refreshToken", "idToken",
     "dpopKey": "-----BEGIN EC PRIVATE KEY-----...", "signInRegion"?}

Reading never puts a secret into an exception message. Writing is atomic,
0600 in a 0700 directory, and keeps fields we do not know about (a newer CLI
may add some).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from core.domain.errors import DAMAGED_KEY, CacheFileError, SignInRequired
from core.domain.model import Credentials, SessionSecrets
from core.domain.timefmt import utc_stamp
from core.storage.atomic import atomic_write_bytes, read_regular_file

TOKEN_TYPE = "aws_sigv4"  # noqa: S105 - a token kind, not a secret
DAMAGED_KEY_MESSAGE = "This session's key was saved damaged by the AWS CLI, so it can never refresh: sign in again."

_REQUIRED_TOP = ("accessToken", "clientId", "refreshToken", "dpopKey")
_REQUIRED_ACCESS = ("accessKeyId", "secretAccessKey", "sessionToken", "accountId", "expiresAt")


@dataclass(frozen=True)
class LoginCacheEntry:
    """The content of one ``aws login`` cache file."""

    credentials: Credentials
    secrets: SessionSecrets
    sign_in_region: str | None = None


def cache_file_path(cache_dir: Path, session_arn: str) -> Path:
    """The cache file of a login session: SHA-256 hex of the ARN plus ``.json``."""
    return cache_dir / (hashlib.sha256(session_arn.encode("utf-8")).hexdigest() + ".json")


def parse_expires_at(text: str) -> datetime:
    """Parse an ISO 8601 time (``Z`` or offset); naive times are taken as UTC.

    Raises:
        ValueError: not a time.
    """
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    if not 1970 <= moment.year <= 9000:
        raise ValueError("time out of range")  # arithmetic near year 1 or 9999 overflows
    return moment.astimezone(UTC)


def dpop_key_loads(pem: str) -> bool:
    """Whether ``pem`` holds a usable P-256 private key."""
    from cryptography.hazmat.primitives.asymmetric import ec  # loaded only to read a key: paths stay cheap
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        key = load_pem_private_key(pem.encode("ascii"), password=None)
    except (ValueError, TypeError, UnicodeEncodeError):
        return False
    return isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1)


def sign_in_marker(secrets: SessionSecrets) -> str:
    """A short digest that tells one sign-in from another (never a secret: it hashes public parts).

    A sign-in is its DPoP key together with its id token. AWS binds the whole
    refresh-token lineage to the key's thumbprint, so a refresh (ours or
    botocore's) keeps the key, and the id token comes only with the code
    exchange, so a refresh keeps it too; every ``aws login`` and every sign-in
    of this app makes a new key and gets a new id token. The public key is
    hashed rather than the PEM text, so a re-serialised key is the same sign-in;
    a key that cannot be loaded is taken by its text.
    """
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat, load_pem_private_key

    try:
        private = load_pem_private_key(secrets.dpop_key_pem.encode("ascii"), password=None)
        key = private.public_key().public_bytes(Encoding.DER, PublicFormat.SubjectPublicKeyInfo)
    except (ValueError, TypeError, UnicodeError, UnsupportedAlgorithm):
        key = secrets.dpop_key_pem.encode("utf-8", "replace")
    digest = hashlib.sha256(key + b"\n" + (secrets.id_token or "").encode("utf-8", "replace"))
    return digest.hexdigest()[:32]


def read_login_cache(path: Path) -> LoginCacheEntry:
    """Read one cache file.

    Raises:
        FileNotFoundError: there is no such file (``aws logout`` removes it).
        CacheFileError: unreadable, not JSON, or a required field is missing or malformed.
        SignInRequired: (reason ``DAMAGED_KEY``) the DPoP key cannot be loaded.
    """
    try:
        raw = read_regular_file(path, limit=1 << 20)
    except FileNotFoundError:
        raise
    except OSError as exc:
        raise CacheFileError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise CacheFileError(f"{path}: is not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        # The decoder's message names a position, never the content.
        raise CacheFileError(f"{path}: is not valid JSON (line {exc.lineno}, column {exc.colno})") from None
    except RecursionError:
        raise CacheFileError(f"{path}: is nested too deeply to be a token cache") from None
    if not isinstance(data, dict):
        raise CacheFileError(f"{path}: is not a JSON object")
    access = data.get("accessToken")
    missing = [name for name in _REQUIRED_TOP if name not in data]
    if isinstance(access, dict):
        missing += [f"accessToken.{name}" for name in _REQUIRED_ACCESS if name not in access]
    elif access is not None:
        raise CacheFileError(f"{path}: accessToken is not an object")
    if missing:
        raise CacheFileError(f"{path}: missing {', '.join(missing)}")
    assert isinstance(access, dict)
    strings = {f"accessToken.{k}": access[k] for k in _REQUIRED_ACCESS} | {k: data[k] for k in _REQUIRED_TOP[1:]}
    wrong = [name for name, value in strings.items() if not isinstance(value, str) or not value]
    for optional in ("idToken", "signInRegion"):
        if data.get(optional) is not None and not isinstance(data[optional], str):
            wrong.append(optional)
    if wrong:
        raise CacheFileError(f"{path}: {', '.join(wrong)} must be non-empty text")
    try:
        expires_at = parse_expires_at(access["expiresAt"])
    except (ValueError, OverflowError):
        raise CacheFileError(f"{path}: accessToken.expiresAt is not a time") from None
    if not dpop_key_loads(data["dpopKey"]):
        raise SignInRequired(DAMAGED_KEY_MESSAGE, reason=DAMAGED_KEY)
    return LoginCacheEntry(
        credentials=Credentials(
            access_key_id=access["accessKeyId"],
            secret_access_key=access["secretAccessKey"],
            session_token=access["sessionToken"],
            expires_at=expires_at,
            account_id=access["accountId"],
        ),
        secrets=SessionSecrets(
            refresh_token=data["refreshToken"],
            dpop_key_pem=data["dpopKey"],
            client_id=data["clientId"],
            id_token=data.get("idToken") or None,
        ),
        sign_in_region=data.get("signInRegion") or None,
    )


def _existing_fields(path: Path) -> dict[str, Any]:
    """The current file's JSON object, or {} when there is none usable."""
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def write_login_cache(path: Path, entry: LoginCacheEntry) -> None:
    """Write ``entry`` atomically (0600, directory 0700), keeping unknown fields of the old file.

    An ``idToken`` or ``signInRegion`` the entry lacks is kept from the old
    file, as botocore does when it refreshes.

    Raises:
        CacheFileError: the file cannot be written.
    """
    data = _existing_fields(path)
    access = data.get("accessToken")
    access = dict(access) if isinstance(access, dict) else {}
    creds = entry.credentials
    access.update(
        {
            "accessKeyId": creds.access_key_id,
            "secretAccessKey": creds.secret_access_key,
            "sessionToken": creds.session_token,
            "accountId": creds.account_id,
            "expiresAt": utc_stamp(creds.expires_at),
        }
    )
    data.update(
        {
            "accessToken": access,
            "tokenType": TOKEN_TYPE,
            "clientId": entry.secrets.client_id,
            "refreshToken": entry.secrets.refresh_token,
            "dpopKey": entry.secrets.dpop_key_pem,
        }
    )
    if entry.secrets.id_token is not None:
        data["idToken"] = entry.secrets.id_token
    if entry.sign_in_region is not None:
        data["signInRegion"] = entry.sign_in_region
    try:
        atomic_write_bytes(path, json.dumps(data).encode("utf-8"))
    except OSError as exc:
        raise CacheFileError(f"{path}: cannot be written ({exc.strerror or exc})") from None
