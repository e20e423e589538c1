"""The AWS config writer: our sections only, every other byte kept, never half a file."""

from __future__ import annotations

import logging
import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.configloader import load_config, raw_config_parse

from core.awsconfig import writer as awsconfig
from core.awsconfig.document import MARKER
from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from core.domain.errors import ConfigFileError, ProfileConflict
from core.storage.paths import AppPaths

ALICE = "arn:aws:iam::111122223333:user/alice"
BOB = "arn:aws:sts::444455556666:assumed-role/Dev/bob"
PROCESS = "aws-login-tray credential-process --profile work"

ORIGINAL = """# My AWS config. Hand-written; keep my notes!
[default]
region = eu-west-1
output=json

;  work account
[profile  work-old ]
Role_Arn =  arn:aws:iam::111122223333:role/Admin
source_profile=default
s3 =
  max_concurrent_requests = 20
    # indented note
  addressing_style = path

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = us-east-1

[profile sso-dev]
sso_session = corp
sso_account_id = 111122223333
sso_role_name = Dev
"""


@pytest.fixture
def cfg(tmp_path: Path) -> Path:
    path = tmp_path / "aws" / "config"
    path.parent.mkdir()
    path.write_text(ORIGINAL)
    os.chmod(path, 0o640)
    return path


@pytest.fixture
def writer(cfg: Path, tmp_path: Path) -> AwsConfigWriter:
    return AwsConfigWriter(cfg, tmp_path / "locks" / "aws-config.lock")


def login(name: str, region: str = "us-east-2", arn: str = ALICE) -> ProfileSpec:
    return ProfileSpec(name, region, login_session=arn)


def process(name: str, region: str = "us-east-2") -> ProfileSpec:
    return ProfileSpec(name, region, credential_process=PROCESS)


def leftovers(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


def test_new_profile_is_appended_and_everything_else_is_untouched(cfg: Path, writer: AwsConfigWriter) -> None:
    writer.apply([login("dev")])
    text = cfg.read_text()
    assert text.startswith(ORIGINAL)
    assert text[len(ORIGINAL) :] == (
        f"\n[profile dev]\n{MARKER}\nregion = us-east-2\nsts_regional_endpoints = regional\nlogin_session = {ALICE}\n"
    )
    assert stat.S_IMODE(cfg.stat().st_mode) == 0o640
    profile = load_config(str(cfg))["profiles"]["dev"]
    assert profile == {"region": "us-east-2", "sts_regional_endpoints": "regional", "login_session": ALICE}
    assert writer.owned_profiles() == ["dev"]
    assert leftovers(cfg.parent) == []


def test_new_file_is_private_and_parent_created(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / ".aws" / "config"
    AwsConfigWriter(path, tmp_path / "l.lock").apply([process("default", "ap-south-1")])
    assert path.read_text() == (
        f"[default]\n{MARKER}\nregion = ap-south-1\nsts_regional_endpoints = regional\ncredential_process = {PROCESS}\n"
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_apply_is_idempotent_and_does_not_rewrite(cfg: Path, writer: AwsConfigWriter) -> None:
    writer.apply([login("dev"), process("ci")])
    once = cfg.read_bytes()
    inode = cfg.stat().st_ino
    writer.apply([login("dev"), process("ci")])
    assert cfg.read_bytes() == once
    assert cfg.stat().st_ino == inode  # nothing to change: no write at all


def test_remove_restores_the_original_bytes(cfg: Path, writer: AwsConfigWriter) -> None:
    writer.apply([login("dev"), process("ci")])
    writer.apply(removals=["ci", "dev"])
    assert cfg.read_text() == ORIGINAL
    assert writer.owned_profiles() == []


def test_remove_in_the_middle_keeps_the_comment_of_the_next_section(cfg: Path, writer: AwsConfigWriter) -> None:
    writer.apply([login("dev")])
    with cfg.open("a") as handle:
        handle.write("\n# my prod account\n[profile prod]\nregion = us-west-2\n")
    before = cfg.read_text()
    writer.apply(removals=["dev"])
    assert cfg.read_text() == ORIGINAL + "\n# my prod account\n[profile prod]\nregion = us-west-2\n"
    assert before != cfg.read_text()


def test_unowned_and_missing_profiles_are_never_removed(
    cfg: Path, writer: AwsConfigWriter, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        writer.apply(removals=["default", "sso-dev", "nope"])
    assert cfg.read_text() == ORIGINAL
    assert "not managed by aws-login-tray" in caplog.text


def test_owned_section_keeps_user_additions_and_switches_mode(cfg: Path, writer: AwsConfigWriter) -> None:
    writer.apply([login("dev")])
    text = cfg.read_text().replace(f"login_session = {ALICE}\n", f"login_session = {ALICE}\noutput = table\n# mine\n")
    cfg.write_text(text + "\n# next one\n[profile z]\nregion = us-east-1\n")
    writer.apply([process("dev", "eu-north-1")])
    profiles = load_config(str(cfg))["profiles"]
    assert profiles["dev"] == {
        "region": "eu-north-1",
        "sts_regional_endpoints": "regional",
        "credential_process": PROCESS,
        "output": "table",
    }
    assert "# mine\n" in cfg.read_text()
    assert cfg.read_text().endswith("\n# next one\n[profile z]\nregion = us-east-1\n")
    assert cfg.read_text().startswith(ORIGINAL)


@pytest.mark.parametrize(
    ("lines", "style"),
    [
        ("aws_access_key_id = AKIAEXAMPLE\naws_secret_access_key = x\n", "Access Key"),
        ("role_arn = arn:aws:iam::111122223333:role/R\nsource_profile = default\n", "Assume Role"),
        ("credential_process = /usr/bin/other-tool\n", "Credential Process"),
        ("sso_session = corp\nsso_account_id = 1\n", "SSO"),
        ("sso_start_url = https://x\n", "SSO"),
        ("web_identity_token_file = /tmp/t\nrole_arn = r\n", "Web Identity"),
        (f"login_session = {BOB}\n", "another aws login session"),
    ],
)
def test_other_credential_styles_are_refused(
    cfg: Path, writer: AwsConfigWriter, lines: str, style: str, tmp_path: Path
) -> None:
    cfg.write_text(ORIGINAL + "\n[profile taken]\n" + lines)
    before = cfg.read_bytes()
    attempts: list[Callable[[], None]] = [
        lambda: writer.apply([login("taken")]),
        lambda: writer.apply([login("taken")], adopt=["taken"]),
        lambda: writer.check_available("taken", login_session=ALICE, adopt=True),
    ]
    for attempt in attempts:
        with pytest.raises(ProfileConflict) as caught:
            attempt()
        assert style in str(caught.value)
        assert caught.value.profile == "taken"
        assert caught.value.suggestion == "taken-login"
        assert cfg.read_bytes() == before
    assert not writer.backup_path.exists()


def test_suggestion_is_free(cfg: Path, writer: AwsConfigWriter) -> None:
    cfg.write_text(ORIGINAL + "\n[profile x]\nrole_arn = r\n\n[profile x-login]\nregion = a\n")
    with pytest.raises(ProfileConflict) as caught:
        writer.check_available("x")
    assert caught.value.suggestion == "x-login-2"


def test_harmless_profile_needs_adopt_then_keeps_its_other_settings(cfg: Path, writer: AwsConfigWriter) -> None:
    with pytest.raises(ProfileConflict) as caught:
        writer.check_available("default")
    assert "not created by aws-login-tray" in str(caught.value)
    writer.check_available("default", adopt=True)
    writer.apply([process("default", "eu-west-1")], adopt=["default"])
    assert load_config(str(cfg))["profiles"]["default"] == {
        "region": "eu-west-1",
        "sts_regional_endpoints": "regional",
        "credential_process": PROCESS,
        "output": "json",
    }
    text = cfg.read_text()
    assert text.startswith(f"# My AWS config. Hand-written; keep my notes!\n[default]\n{MARKER}\n")
    assert text.split(";  work account\n", 1)[1] == ORIGINAL.split(";  work account\n", 1)[1]
    assert writer.owned_profiles() == ["default"]


def test_same_arn_from_aws_login_is_adoptable(cfg: Path, writer: AwsConfigWriter) -> None:
    cfg.write_text(ORIGINAL + f"\n[profile mine]\nlogin_session = {ALICE}\nregion = us-east-1\n")
    with pytest.raises(ProfileConflict):
        writer.check_available("mine", login_session=ALICE)
    writer.check_available("mine", login_session=ALICE, adopt=True)
    writer.apply([login("mine", "us-east-1")], adopt=["mine"])
    assert writer.owned_profiles() == ["mine"]


def test_profile_default_header_counts_as_default(cfg: Path, writer: AwsConfigWriter) -> None:
    cfg.write_text("[profile default]\naws_access_key_id = AKIA\n")
    with pytest.raises(ProfileConflict):
        writer.check_available("default")


@pytest.mark.parametrize("name", ["has space", "", "-dash", "semi;colon", "a]b", "x" * 80])
def test_unusable_names_are_refused_with_a_suggestion(writer: AwsConfigWriter, name: str) -> None:
    with pytest.raises(ProfileConflict) as caught:
        writer.apply([login(name)])
    assert caught.value.suggestion
    writer.check_available(caught.value.suggestion)


@pytest.mark.parametrize(
    "spec",
    [
        ProfileSpec("a", "us-east-1"),
        ProfileSpec("a", "us-east-1", credential_process="x", login_session=ALICE),
        ProfileSpec("a", "not a region", login_session=ALICE),
        ProfileSpec("a", "us-east-1", login_session=ALICE + "\n[profile evil]"),
        ProfileSpec("a", "us-east-1", credential_process=" padded"),
    ],
)
def test_bad_specs_are_rejected_before_touching_the_file(cfg: Path, writer: AwsConfigWriter, spec: ProfileSpec) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - every case has its own message
        writer.apply([spec])
    assert cfg.read_text() == ORIGINAL


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        ("[a]\nx = 1\n\n[a]\ny = 2\n", 4, "appears twice"),
        ("[a]\nx = 1\nX = 2\n", 3, "appears twice"),
        ("x = 1\n[a]\n", 1, "before any [section]"),
        ("[a]\nx = 1\njust words\n", 3, "neither"),
        ("[a\nx = 1\n", 1, "before any [section]"),
    ],
)
def test_corrupt_config_is_reported_with_line_and_left_alone(
    cfg: Path, writer: AwsConfigWriter, text: str, line: int, words: str
) -> None:
    cfg.write_text(text)
    with pytest.raises(ConfigFileError) as caught:
        writer.apply([login("dev")])
    message = str(caught.value)
    assert str(cfg) in message
    assert f"line {line}" in message
    assert words in message
    assert cfg.read_text() == text
    assert leftovers(cfg.parent) == []
    with pytest.raises(ConfigFileError):
        writer.owned_profiles()


def test_bad_encoding_is_reported_with_line(cfg: Path, writer: AwsConfigWriter) -> None:
    data = b"[default]\nregion = us-east-1\n# caf\xe9\n"
    cfg.write_bytes(data)
    with pytest.raises(ConfigFileError, match=r"line 3: not valid UTF-8"):
        writer.apply([login("dev")])
    assert cfg.read_bytes() == data


def test_failed_replace_leaves_original_and_no_temp_files(
    cfg: Path, writer: AwsConfigWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "replace", refuse)
    with pytest.raises(ConfigFileError, match="cannot be written"):
        writer.apply([login("dev")])
    assert cfg.read_text() == ORIGINAL
    assert leftovers(cfg.parent) == []


def test_a_file_where_the_directory_must_be(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    writer = AwsConfigWriter(blocker / "config", tmp_path / "l.lock")
    with pytest.raises(ConfigFileError):
        writer.apply([login("dev")])
    assert blocker.read_text() == "x"


def test_unwritable_lock_location_is_a_config_error(cfg: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "locks-file"
    blocker.write_text("")
    with pytest.raises(ConfigFileError, match="lock"):
        AwsConfigWriter(cfg, blocker / "aws-config.lock").apply([login("dev")])
    assert cfg.read_text() == ORIGINAL


def test_backup_and_one_step_undo(cfg: Path, writer: AwsConfigWriter) -> None:
    writer.apply([login("dev")])
    first = cfg.read_text()
    writer.apply([login("dev", "ca-central-1")])
    assert writer.backup_path == cfg.with_name("config.aws-login-tray.bak")
    assert writer.backup_path.read_text() == first
    assert stat.S_IMODE(writer.backup_path.stat().st_mode) == 0o640
    writer.undo()
    assert cfg.read_text() == first
    with pytest.raises(ConfigFileError, match="no earlier version"):
        writer.undo()


def test_symlinked_config_is_edited_through_the_link(cfg: Path, tmp_path: Path) -> None:
    link = tmp_path / "link-config"
    link.symlink_to(cfg)
    AwsConfigWriter(link, tmp_path / "l.lock").apply([login("dev")])
    assert link.is_symlink()
    assert cfg.read_text().startswith(ORIGINAL)
    assert "[profile dev]" in cfg.read_text()


def test_crlf_files_stay_crlf(cfg: Path, writer: AwsConfigWriter) -> None:
    original = ORIGINAL.replace("\n", "\r\n").encode()
    cfg.write_bytes(original)
    writer.apply([login("dev")])
    data = cfg.read_bytes()
    assert data.startswith(original)
    assert b"\n" not in data.replace(b"\r\n", b"")
    writer.apply(removals=["dev"])
    assert cfg.read_bytes() == original


def test_default_lock_lives_with_the_app_locks(cfg: Path) -> None:
    writer = AwsConfigWriter(cfg)
    assert writer.lock_path == AppPaths.from_environment().locks_dir / "aws-config.lock"
    writer.apply([login("dev")])
    assert writer.lock_path.parent.is_dir()


def test_a_held_lock_makes_us_wait_then_give_up(
    cfg: Path, writer: AwsConfigWriter, monkeypatch: pytest.MonkeyPatch
) -> None:
    writer.lock_path.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock, sys, time\n"
            f"lock = filelock.FileLock({str(writer.lock_path)!r}); lock.acquire()\n"
            "print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        monkeypatch.setattr(awsconfig, "LOCK_TIMEOUT_SECONDS", 0.2)
        with pytest.raises(ConfigFileError, match="another program"):
            writer.apply([login("dev")])
        assert cfg.read_text() == ORIGINAL
    finally:
        holder.kill()
        holder.wait()
    writer.apply([login("dev")])
    assert "[profile dev]" in cfg.read_text()


def test_botocore_reads_the_whole_result(cfg: Path, writer: AwsConfigWriter) -> None:
    writer.apply([login("dev"), process("ci"), process("default", "eu-west-1")], adopt=["default"])
    parsed = raw_config_parse(str(cfg))
    assert parsed["profile  work-old "]["s3"] == {"max_concurrent_requests": "20", "addressing_style": "path"}
    profiles = load_config(str(cfg))["profiles"]
    assert profiles["work-old"]["role_arn"] == "arn:aws:iam::111122223333:role/Admin"
    assert profiles["ci"]["credential_process"] == PROCESS
    assert profiles["sso-dev"]["sso_session"] == "corp"
    assert writer.owned_profiles() == ["default", "dev", "ci"]
    assert writer.profile_settings("sso-dev") == {
        "sso_session": "corp",
        "sso_account_id": "111122223333",
        "sso_role_name": "Dev",
    }
    assert writer.profile_settings("nope") is None


def test_set_sts_regional_changes_one_line_only(cfg: Path, writer: AwsConfigWriter) -> None:
    cfg.write_text(ORIGINAL + "\n[profile legacy]\nregion = us-east-1\nSTS_Regional_Endpoints  =  legacy\n# end\n")
    before = cfg.read_text().splitlines(keepends=True)
    assert writer.set_sts_regional(["work-old", "legacy", "default"]) == ["work-old", "legacy", "default"]
    after = cfg.read_text().splitlines(keepends=True)
    added = [line for line in after if line not in before]
    assert added == ["sts_regional_endpoints = regional\n"] * 2 + ["STS_Regional_Endpoints  =  regional\n"]
    assert [line for line in before if line not in after] == ["STS_Regional_Endpoints  =  legacy\n"]
    # The new line goes after the last setting (after the nested s3 block), before blank lines and comments.
    text = cfg.read_text()
    assert "  addressing_style = path\nsts_regional_endpoints = regional\n\n[sso-session corp]" in text
    assert "output=json\nsts_regional_endpoints = regional\n\n;  work account" in text
    profiles = load_config(str(cfg))["profiles"]
    assert all(profiles[n]["sts_regional_endpoints"] == "regional" for n in ("work-old", "legacy", "default"))
    assert writer.set_sts_regional(["legacy"]) == []
    with pytest.raises(ConfigFileError, match="no profile"):
        writer.set_sts_regional(["missing"])
    assert writer.owned_profiles() == []


def test_indented_comments_are_comments_as_botocore_reads_them(cfg: Path, writer: AwsConfigWriter) -> None:
    original = "  # indented first line\n[default]\n  ; note under header\nregion = us-east-1\n   # after value\n"
    cfg.write_text(original)
    assert writer.profile_settings("default") == {"region": "us-east-1"}
    writer.apply([login("dev")])
    assert cfg.read_text().startswith(original)
    writer.set_sts_regional(["default"])
    assert cfg.read_text().startswith(
        "  # indented first line\n[default]\n  ; note under header\nregion = us-east-1\n"
        "sts_regional_endpoints = regional\n   # after value\n"
    )
    assert load_config(str(cfg))["profiles"]["default"]["sts_regional_endpoints"] == "regional"
