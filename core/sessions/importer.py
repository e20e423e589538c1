"""Find the sessions ``aws login`` already made, so they can be adopted.

Every profile with ``login_session`` in the AWS config file is a candidate;
its token lives in the login cache. A candidate whose cache is missing,
unreadable, holds a damaged key, or whose session is certainly past AWS's
12-hour limit comes back with a plain reason and ``needs_sign_in`` set, so
the caller offers a fresh sign-in instead of showing a stack trace.

Profiles aws-login-tray already manages are skipped: they are ours already.
The adoption itself is :meth:`core.sessions.manager.SessionManager.adopt_session`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.awsconfig.document import ConfigDocument
from core.domain.errors import CacheFileError, LoginTrayError, SignInRequired
from core.domain.idtoken import issued_at
from core.storage.logincache import LoginCacheEntry, cache_file_path, read_login_cache
from core.storage.paths import AppPaths

SESSION_LIMIT = timedelta(hours=12)
"""The longest a console session (and so an ``aws login`` session) can last."""

MISSING_CACHE = "MISSING_CACHE"
DAMAGED_CACHE = "DAMAGED_CACHE"
EXPIRED = "EXPIRED"


@dataclass(frozen=True)
class ImportCandidate:
    """One ``login_session`` profile and what its cache holds."""

    profile: str
    arn: str
    region: str | None
    cache_path: Path
    entry: LoginCacheEntry | None = None
    error: str | None = None
    """Why this session cannot be imported, in words for the user (None when it can)."""
    reason: str | None = None
    """``MISSING_CACHE``, ``DAMAGED_CACHE``, ``DAMAGED_KEY`` or ``EXPIRED`` (None when importable)."""

    @property
    def needs_sign_in(self) -> bool:
        """True when the only way forward is a fresh sign-in for this profile."""
        return self.entry is None

    @property
    def profile_name(self) -> str:
        """Alias of :attr:`profile`."""
        return self.profile

    @property
    def session_arn(self) -> str:
        """Alias of :attr:`arn`."""
        return self.arn

    @property
    def problem(self) -> LoginTrayError | None:
        """The error as an exception a presenter understands (a :class:`SignInRequired`)."""
        if self.error is None:
            return None
        return SignInRequired(self.error, reason=self.reason or DAMAGED_CACHE)


def _certainly_ended(entry: LoginCacheEntry, now: datetime) -> bool:
    """True when the session is past the 12-hour limit whatever its principal's duration.

    The login (id token ``iat``) happened after the console session began,
    and the last refresh happened before the cached credentials expire, so a
    session is surely over once 12 hours have passed since either moment.
    """
    latest_known_alive = entry.credentials.expires_at
    issued = issued_at(entry.secrets.id_token)
    if issued is not None and now - issued > SESSION_LIMIT:
        return True
    return now - latest_known_alive > SESSION_LIMIT


def discover_login_sessions(
    config_path: Path, cache_dir: Path, *, now: datetime | None = None
) -> list[ImportCandidate]:
    """Every ``login_session`` profile not managed by aws-login-tray, with its cache state.

    Raises:
        ConfigFileError: the config file cannot be read or parsed.
    """
    moment = now or datetime.now(UTC)
    doc = ConfigDocument.load(config_path)
    found: list[ImportCandidate] = []
    for section in doc.profiles():
        arn = section.settings.get("login_session", "").strip()
        if not arn or section.owned or section.profile is None:
            continue
        profile = section.profile
        region = section.settings.get("region", "").strip() or None
        path = cache_file_path(cache_dir, arn)

        def problem(
            error: str,
            reason: str,
            *,
            profile: str = profile,
            arn: str = arn,
            region: str | None = region,
            path: Path = path,
        ) -> None:
            found.append(ImportCandidate(profile, arn, region, path, error=error, reason=reason))

        try:
            entry = read_login_cache(path)
        except FileNotFoundError:
            problem(
                f"Profile {profile!r} has no cached `aws login` token (it was logged out, or signed in on "
                "another machine): sign in again.",
                MISSING_CACHE,
            )
            continue
        except SignInRequired as exc:
            problem(exc.user_message, exc.reason)
            continue
        except CacheFileError as exc:
            problem(f"The cached `aws login` token cannot be used ({exc.user_message}): sign in again.", DAMAGED_CACHE)
            continue
        if _certainly_ended(entry, moment):
            problem(
                f"The `aws login` session of profile {profile!r} is past AWS's 12-hour limit: sign in again.",
                EXPIRED,
            )
            continue
        found.append(ImportCandidate(profile, arn, region, path, entry=entry))
    return found


def discover(paths: AppPaths) -> list[ImportCandidate]:
    """:func:`discover_login_sessions` for the app's configured paths."""
    return discover_login_sessions(paths.aws_config_file, paths.login_cache_dir)
