"""Review finding: an imported `aws login` session keeps refreshing in the Region that issued it."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from cli.context import Cli
from cli.main import main
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
