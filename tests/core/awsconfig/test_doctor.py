"""The STS doctor: finds global-endpoint profiles, fixes only the line it is asked to."""

from __future__ import annotations

import gc
import io
from pathlib import Path

import pytest
from botocore.configloader import load_config

from core.awsconfig import doctor
from core.awsconfig.document import MARKER, ConfigDocument, gc_paused
from core.awsconfig.writer import AwsConfigWriter
from core.domain.errors import ConfigFileError
from core.storage.paths import AppPaths

CONFIG = """# team config
[default]
region = eu-west-1

[profile regional]
region = eu-central-1
sts_regional_endpoints = regional

[profile old]
region = us-east-1
sts_regional_endpoints = legacy
# keep me

[profile pinned]
region = eu-west-2
sts_regional_endpoints = regional
endpoint_url = https://sts.amazonaws.com

[profile via-services]
region = eu-west-2
sts_regional_endpoints = regional
services = globalsts

[profile fine-services]
region = eu-west-2
sts_regional_endpoints = regional
services = local

[services globalsts]
sts =
  endpoint_url = https://sts.amazonaws.com/

[services local]
sts =
  endpoint_url = https://sts.eu-west-2.amazonaws.com
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "config"
    path.write_text(CONFIG)
    return path


def by_profile(findings: list[doctor.Finding]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for finding in findings:
        out.setdefault(finding.profile, []).append(finding.reason)
    return out


def test_scan_finds_missing_legacy_and_overrides(cfg: Path) -> None:
    findings = doctor.scan(cfg, environ={})
    assert by_profile(findings) == {
        "default": [doctor.REASON_MISSING],
        "old": [doctor.REASON_LEGACY],
        "pinned": [doctor.REASON_ENDPOINT],
        "via-services": [doctor.REASON_ENDPOINT],
    }
    fixable = {f.profile for f in findings if f.fixable}
    assert fixable == {"default", "old"}
    explanation = findings[0].explanation
    for words in ("single Region", "US East (N. Virginia)", "latency", "CloudTrail", "Region that served it"):
        assert words in explanation
    assert "AWS CLI v1" in next(f.detail for f in findings if f.profile == "default")


def test_scan_is_read_only(cfg: Path) -> None:
    before = cfg.stat()
    doctor.scan(cfg, environ={})
    after = cfg.stat()
    assert cfg.read_text() == CONFIG
    assert (after.st_mtime_ns, after.st_ino) == (before.st_mtime_ns, before.st_ino)


def test_environment_overrides(cfg: Path) -> None:
    regional = by_profile(doctor.scan(cfg, environ={"AWS_STS_REGIONAL_ENDPOINTS": "regional"}))
    assert "default" not in regional
    assert "old" not in regional  # the variable wins over the file
    legacy = by_profile(doctor.scan(cfg, environ={"AWS_STS_REGIONAL_ENDPOINTS": "legacy"}))
    assert legacy["regional"] == [doctor.REASON_ENV_LEGACY]
    assert len(legacy) == 6
    pinned = by_profile(doctor.scan(cfg, environ={"AWS_ENDPOINT_URL_STS": "https://sts.amazonaws.com"}))
    assert doctor.REASON_ENDPOINT in pinned["regional"]
    ok = by_profile(doctor.scan(cfg, environ={"AWS_ENDPOINT_URL_STS": "http://127.0.0.1:4566"}))
    assert "regional" not in ok


def test_fix_changes_only_that_line_and_can_be_undone(cfg: Path, tmp_path: Path) -> None:
    lock = tmp_path / "lock"
    assert doctor.fix(cfg, ["default", "old"], lock_path=lock) == ["default", "old"]
    expected = CONFIG.replace(
        "[default]\nregion = eu-west-1\n", "[default]\nregion = eu-west-1\nsts_regional_endpoints = regional\n"
    ).replace("sts_regional_endpoints = legacy\n", "sts_regional_endpoints = regional\n")
    assert cfg.read_text() == expected
    assert by_profile(doctor.scan(cfg, environ={})).keys() == {"pinned", "via-services"}
    profiles = load_config(str(cfg))["profiles"]
    assert profiles["old"]["sts_regional_endpoints"] == "regional"
    assert AwsConfigWriter(cfg, lock).owned_profiles() == []  # fixing does not take ownership
    AwsConfigWriter(cfg, lock).undo()
    assert cfg.read_text() == CONFIG


def test_fix_refuses_unknown_profile_and_corrupt_file(cfg: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="no profile"):
        doctor.fix(cfg, ["ghost"], lock_path=tmp_path / "lock")
    assert cfg.read_text() == CONFIG
    cfg.write_text("[default]\nregion = a\n[default]\n")
    with pytest.raises(ConfigFileError, match="line 3"):
        doctor.scan(cfg, environ={})


def test_run_cli_reports_then_fixes(monkeypatch: pytest.MonkeyPatch) -> None:
    paths = AppPaths.from_environment()
    paths.aws_config_file.write_text(CONFIG)
    out = io.StringIO()
    assert doctor.run_cli(paths, fix=False, profiles=[], out=out) == 1
    assert "old: sts_regional_endpoints = legacy" in out.getvalue()
    assert "--fix" in out.getvalue()
    out = io.StringIO()
    assert doctor.run_cli(paths, fix=True, profiles=[], out=out) == 1  # overrides are reported, not edited
    assert "Set sts_regional_endpoints = regional in profile 'old'" in out.getvalue()
    assert "endpoint_url = https://sts.amazonaws.com" in paths.aws_config_file.read_text()
    paths.aws_config_file.write_text("[default]\nregion = us-east-1\nsts_regional_endpoints = regional\n")
    assert doctor.run_cli(paths, fix=False, profiles=[], out=io.StringIO()) == 0


def test_fix_parses_again_when_the_file_changed_after_the_scan(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("[profile a]\nregion = eu-west-1\n")
    seen = ConfigDocument.load(path)
    path.write_text("[profile a]\nregion = eu-west-1\n\n[profile b]\nregion = us-east-1\n")
    writer = AwsConfigWriter(path, tmp_path / "lock")
    changed, now = writer.fix_sts_regional(["a", "b"], seen=seen)
    assert changed == ["a", "b"]
    assert [s.settings["sts_regional_endpoints"] for s in now.profiles()] == ["regional", "regional"]
    assert now.text == path.read_text()


def test_the_collector_pause_nests_and_restores_the_collector() -> None:
    assert gc.isenabled()
    with gc_paused():
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()
    assert gc.isenabled()


def test_a_users_role_profile_chained_from_a_session_is_flagged_with_why(tmp_path: Path) -> None:
    from core.awsconfig.writer import ProfileSpec

    path = tmp_path / "config"
    path.write_text(
        "[profile mine]\n"
        "role_arn = arn:aws:iam::444455556666:role/Deploy\n"
        "source_profile = work\n"
        "\n"
        "[profile mine-regional]\n"
        "role_arn = arn:aws:iam::444455556666:role/Deploy\n"
        "source_profile = work\n"
        "sts_regional_endpoints = regional\n"
        "\n"
        "[profile elsewhere]\n"
        "role_arn = arn:aws:iam::444455556666:role/Deploy\n"
        "source_profile = keys\n",
        encoding="utf-8",
    )
    AwsConfigWriter(path, tmp_path / "lock").apply(
        [ProfileSpec("work", "eu-west-1", login_session="arn:aws:iam::111122223333:user/alice")]
    )

    findings = {f.profile: f for f in doctor.scan(path, environ={})}
    assert set(findings) == {"mine", "elsewhere"}
    assert "with the aws-login-tray session profile 'work'" in findings["mine"].detail
    assert "AssumeRole" in findings["mine"].detail
    assert "aws-login-tray session" not in findings["elsewhere"].detail
    assert findings["mine"].fixable


def test_fixing_a_section_of_ours_without_settings_keeps_the_marker_under_the_header(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(f"[profile p1]\n{MARKER}\n")
    AwsConfigWriter(path, tmp_path / "lock").set_sts_regional(["p1"])
    assert path.read_text() == f"[profile p1]\n{MARKER}\nsts_regional_endpoints = regional\n"
    assert [s.owned for s in ConfigDocument.load(path).sections] == [True]
