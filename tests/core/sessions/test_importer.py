"""Discovering `aws login` sessions: usable ones come with their token, the rest with a reason."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest

from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from core.domain.errors import DAMAGED_KEY, ConfigFileError, SignInRequired
from core.sessions.importer import (
    DAMAGED_CACHE,
    EXPIRED,
    MISSING_CACHE,
    discover,
    discover_login_sessions,
)
from core.storage.logincache import cache_file_path, write_login_cache
from core.storage.paths import AppPaths
from tests.doubles.logincache import SECRET, damaged_pem, make_entry

GOOD = "arn:aws:iam::111122223333:user/alice"
MISSING = "arn:aws:iam::111122223333:user/gone"
DAMAGED = "arn:aws:sts::111122223333:assumed-role/Admin/bob"
CORRUPT = "arn:aws:iam::111122223333:root"
OLD = "arn:aws:sts::444455556666:assumed-role/Dev/carol"


def id_token(issued: datetime) -> str:
    def part(obj: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(obj).encode()).decode().rstrip("=")

    return f"{part({'alg': 'ES384'})}.{part({'sub': OLD, 'iat': int(issued.timestamp())})}.sig"


@pytest.fixture
def paths() -> AppPaths:
    paths = AppPaths.from_environment()
    paths.aws_config_file.write_text(
        f"""[default]
region = eu-west-1
login_session = {GOOD}

[profile gone]
login_session = {MISSING}

[profile broken-key]
region = us-east-1
login_session = {DAMAGED}

[profile broken-json]
login_session = {CORRUPT}

[profile stale]
login_session = {OLD}

[profile keys]
aws_access_key_id = AKIAEXAMPLE
"""
    )
    cache = paths.login_cache_dir
    write_login_cache(cache_file_path(cache, GOOD), make_entry(timedelta(minutes=-30)))
    damaged = cache_file_path(cache, DAMAGED)
    write_login_cache(damaged, make_entry())
    data = json.loads(damaged.read_text())
    data["dpopKey"] = damaged_pem()
    damaged.write_text(json.dumps(data))
    cache_file_path(cache, CORRUPT).write_text("{not json")
    stale = make_entry(timedelta(hours=-2), id_token=id_token(datetime.now(UTC) - timedelta(hours=13)))
    write_login_cache(cache_file_path(cache, OLD), stale)
    return paths


def test_each_session_gets_its_entry_or_a_reason(paths: AppPaths) -> None:
    found = {c.profile: c for c in discover_login_sessions(paths.aws_config_file, paths.login_cache_dir)}
    assert set(found) == {"default", "gone", "broken-key", "broken-json", "stale"}

    good = found["default"]
    assert good.entry is not None
    assert not good.needs_sign_in
    assert good.error is None
    assert good.problem is None
    assert (good.arn, good.region) == (GOOD, "eu-west-1")
    assert good.cache_path == cache_file_path(paths.login_cache_dir, GOOD)
    assert good.entry.credentials.secret_access_key == SECRET  # expired credentials, live session: importable

    expected = {"gone": MISSING_CACHE, "broken-key": DAMAGED_KEY, "broken-json": DAMAGED_CACHE, "stale": EXPIRED}
    for profile, reason in expected.items():
        candidate = found[profile]
        assert candidate.entry is None
        assert candidate.needs_sign_in
        assert candidate.reason == reason
        assert candidate.error is not None
        assert "sign in again" in candidate.error.lower()
        assert SECRET not in candidate.error
        assert isinstance(candidate.problem, SignInRequired)
        assert candidate.problem.reason == reason
    assert "damaged by the AWS CLI" in str(found["broken-key"].error)
    assert "12-hour" in str(found["stale"].error)
    assert found["broken-key"].region == "us-east-1"
    assert found["gone"].region is None


def test_owned_profiles_are_not_offered(paths: AppPaths) -> None:
    text = paths.aws_config_file.read_text()
    paths.aws_config_file.write_text(text.replace(f"[default]\nregion = eu-west-1\nlogin_session = {GOOD}\n\n", ""))
    AwsConfigWriter(paths.aws_config_file).apply([ProfileSpec("mine", "eu-west-1", login_session=GOOD)])
    profiles = [c.profile for c in discover(paths)]
    assert "mine" not in profiles
    assert profiles == ["gone", "broken-key", "broken-json", "stale"]


def test_long_expired_credentials_mean_the_session_is_over(paths: AppPaths) -> None:
    later = datetime.now(UTC) + timedelta(hours=13)
    found = {c.profile: c for c in discover_login_sessions(paths.aws_config_file, paths.login_cache_dir, now=later)}
    assert found["default"].reason == EXPIRED


def test_corrupt_config_is_a_config_error(paths: AppPaths) -> None:
    paths.aws_config_file.write_text("[default]\nregion\n")
    with pytest.raises(ConfigFileError, match="line 2"):
        discover(paths)


def test_no_config_means_nothing_to_import(paths: AppPaths) -> None:
    paths.aws_config_file.unlink()
    assert discover(paths) == []
