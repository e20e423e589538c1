"""The read-only listing reads the files as they are, and hands over to the manager when it has work to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.domain.errors import ConfigFileError
from core.domain.model import CredentialMode, Session, SessionState
from core.domain.ports import SystemClock
from core.sessions.listing import read_listing
from core.storage.logincache import cache_file_path, sign_in_marker, write_login_cache
from core.storage.paths import AppPaths
from core.storage.settings import Settings, save_settings
from core.storage.store import SessionStore, StoreState
from tests.doubles.logincache import make_entry
from tests.doubles.sessions import build_session, sample_sessions


def store(*sessions: Session, role: str | None = None) -> AppPaths:
    paths = AppPaths.from_environment()
    SessionStore(paths).save(StoreState(sessions[0].id if sessions else None, tuple(sessions), role))
    return paths


def followed_session(**changes: Any) -> Session:
    """A ``login_session`` session (the mode whose ``aws login`` file the follower looks at)."""
    changes = {"credential_mode": CredentialMode.LOGIN_SESSION, **changes}
    return build_session("arn:aws:sts::111122223333:assumed-role/Admin/alice", now=datetime.now(UTC), **changes)


def test_it_shows_what_the_files_hold() -> None:
    sessions = sample_sessions(datetime.now(UTC), 5)
    paths = store(*sessions, role="deploy")
    save_settings(paths.settings_file, Settings(active_profile_name="work"))

    listing = read_listing(paths, SystemClock())

    assert listing is not None
    assert [s.id for s in listing.sessions] == [s.id for s in sorted(sessions, key=lambda s: (s.signed_in_at, s.id))]
    assert listing.active_session_id == sessions[0].id
    assert listing.active_role == "deploy"
    assert listing.settings.active_profile_name == "work"
    assert not paths.locks_dir.exists() or not any(paths.locks_dir.iterdir()), "reading takes no lock"


def test_no_sessions_file_is_no_sessions() -> None:
    listing = read_listing(AppPaths.from_environment(), SystemClock())
    assert listing is not None
    assert listing.sessions == ()


def test_a_damaged_sessions_file_is_an_error_naming_it() -> None:
    paths = AppPaths.from_environment()
    paths.sessions_file.parent.mkdir(parents=True, exist_ok=True)
    paths.sessions_file.write_text('{"version": 1, "sessions": 5}')
    with pytest.raises(ConfigFileError, match=r"sessions\.json"):
        read_listing(paths, SystemClock())


def test_a_live_session_whose_aws_login_file_is_gone_goes_to_the_manager() -> None:
    """``aws logout`` acted while nothing watched: the manager marks it signed out."""
    paths = store(followed_session())
    assert read_listing(paths, SystemClock()) is None


def test_a_session_already_signed_out_with_no_file_is_listed() -> None:
    paths = store(followed_session(state=SessionState.SIGNED_OUT))
    listing = read_listing(paths, SystemClock())
    assert listing is not None
    assert listing.sessions[0].state is SessionState.SIGNED_OUT


def test_the_sign_in_a_session_follows_is_listed_and_another_goes_to_the_manager() -> None:
    entry = make_entry()
    session = followed_session(sign_in_marker=sign_in_marker(entry.secrets))
    paths = store(session)
    path = cache_file_path(paths.login_cache_dir, session.identity.arn)
    write_login_cache(path, entry)
    assert read_listing(paths, SystemClock()) is not None

    write_login_cache(path, make_entry(timedelta(minutes=12)))  # `aws login` again: a new key
    assert read_listing(paths, SystemClock()) is None


def test_secrets_left_behind_by_a_sign_out_go_to_the_manager() -> None:
    paths = store(followed_session(credential_mode=CredentialMode.CREDENTIAL_PROCESS))
    paths.pending_deletions_file.write_text('{"v": 1, "entries": []}')
    assert read_listing(paths, SystemClock()) is None
