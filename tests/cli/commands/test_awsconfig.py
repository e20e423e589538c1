"""The AWS-config commands: ``import`` keeps the Sign-In Region of a cache, ``undo-config`` restores the file."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from cli.context import Cli
from cli.main import main
from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from core.domain.model import Credentials, SessionSecrets
from core.storage.logincache import LoginCacheEntry, cache_file_path, read_login_cache, write_login_cache
from core.storage.paths import AppPaths
from core.storage.store import SessionStore
from tests.doubles.logincache import fresh_pem

ARN = "arn:aws:sts::111122223333:assumed-role/Admin/alice"


def test_import_keeps_the_sign_in_region_of_the_cache_when_the_profile_region_differs() -> None:
    # botocore refreshes in the cache's signInRegion: the token belongs to that Region's
    # AWS Sign-In, whatever `region` the profile names for other services.
    paths = AppPaths.from_environment()
    pem = fresh_pem()
    credentials = Credentials("ASIA1", "secret", "token", datetime.now(UTC) + timedelta(minutes=14), "111122223333")
    secrets = SessionSecrets("ASOR-1", pem, "arn:aws:signin:::devtools/same-device", None)
    cache = cache_file_path(paths.login_cache_dir, ARN)
    write_login_cache(cache, LoginCacheEntry(credentials, secrets, "us-east-1"))
    paths.aws_config_file.write_text(f"[profile work]\nregion = eu-west-1\nlogin_session = {ARN}\n")

    out, err = io.StringIO(), io.StringIO()
    assert main(["import"], cli=Cli(stdout=out, stderr=err, paths=paths)) == 0, err.getvalue()

    (session,) = SessionStore(paths).load().sessions
    assert session.region == "eu-west-1"
    assert session.refresh_region == "us-east-1"
    assert read_login_cache(cache).sign_in_region == "us-east-1"


def test_undo_config_restores_the_file_as_it_was_before_our_last_change() -> None:
    paths = AppPaths.from_environment()
    mine = "# my notes\n[profile mine]\nregion = eu-west-3\n"
    paths.aws_config_file.write_text(mine, encoding="utf-8")
    writer = AwsConfigWriter(paths.aws_config_file, paths.locks_dir / "aws-config.lock")
    writer.apply([ProfileSpec("work", "eu-west-1", login_session=ARN)])
    assert "[profile work]" in paths.aws_config_file.read_text(encoding="utf-8")

    out, err = io.StringIO(), io.StringIO()
    assert main(["undo-config"], cli=Cli(stdin=io.StringIO(), stdout=out, stderr=err, paths=paths)) == 0
    assert paths.aws_config_file.read_text(encoding="utf-8") == mine
    assert "Restored" in out.getvalue()

    again = io.StringIO()
    assert main(["undo-config"], cli=Cli(stdin=io.StringIO(), stdout=io.StringIO(), stderr=again, paths=paths)) == 6
    assert "no earlier version" in again.getvalue()
    assert paths.aws_config_file.read_text(encoding="utf-8") == mine
