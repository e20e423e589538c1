"""Clean after crashes: temporary files a killed writer left are removed at the next write,
and every directory the app creates is private whatever the umask."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from core.storage.atomic import atomic_write_bytes, probe_writable
from core.storage.settings import Settings, save_settings

ARN = "arn:aws:sts::111122223333:assumed-role/Admin/alice"
REPO = Path(__file__).resolve().parents[3]

# Runs one config write that hangs at its Nth fsync, so the parent can kill -9 it mid-write.
_HANGING_WRITER = """
import os, sys, time
from pathlib import Path
from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
calls = []
def hang(fd):
    calls.append(fd)
    if len(calls) == int(sys.argv[3]):
        print("writing", flush=True)
        time.sleep(60)
os.fsync = hang
AwsConfigWriter(Path(sys.argv[1]), Path(sys.argv[2])).apply(
    [ProfileSpec("p1", "us-east-1", login_session="arn:aws:sts::111122223333:assumed-role/Admin/alice")]
)
"""


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _temps(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


@pytest.fixture
def umask_000() -> Iterator[None]:
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _kill_during_write(config: Path, lock: Path, fsync_number: int) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _HANGING_WRITER, str(config), str(lock), str(fsync_number)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline() == "writing\n"
    finally:
        child.kill()  # SIGKILL: no cleanup handler runs
        child.wait(10)


def test_temporary_files_of_a_killed_config_write_go_at_the_next_write(tmp_path: Path) -> None:
    aws = tmp_path / ".aws"
    aws.mkdir()
    config = aws / "config"
    original = "[profile mine]\nregion = eu-west-1\n"
    config.write_text(original)
    lock = tmp_path / "locks" / "aws-config.lock"
    _kill_during_write(config, lock, 1)  # while saving the backup
    assert [name.startswith(".config.aws-login-tray.bak.") for name in _temps(aws)] == [True]
    _kill_during_write(config, lock, 3)  # while writing the file itself (fsync 2 is the directory's)
    # That write removed the first one's leftover before it was killed in turn.
    assert [name.startswith(".config.") and "bak" not in name for name in _temps(aws)] == [True]
    assert config.read_text() == original  # the file itself was never half-written

    AwsConfigWriter(config, lock).apply([ProfileSpec("p2", "us-east-1", login_session=ARN)])
    assert _temps(aws) == []
    assert config.read_text().startswith(original)


def test_a_recent_temporary_file_of_another_writer_is_left_alone(tmp_path: Path) -> None:
    target = tmp_path / "sessions.json"
    fd, stale = tempfile.mkstemp(prefix=".sessions.json.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    old = time.time() - 3600
    os.utime(stale, (old, old))
    fd, fresh = tempfile.mkstemp(prefix=".sessions.json.", suffix=".tmp", dir=tmp_path)
    os.close(fd)
    unrelated = tmp_path / ".other.abcdefgh.tmp"
    unrelated.write_bytes(b"")
    os.utime(unrelated, (old, old))
    atomic_write_bytes(target, b"{}")
    assert not Path(stale).exists()
    assert Path(fresh).exists()  # may be a writer still at work
    assert unrelated.exists()  # not a temporary file of this file


@pytest.mark.usefixtures("umask_000")
def test_directories_created_under_umask_000_are_private(tmp_path: Path) -> None:
    home = tmp_path / "user"
    home.mkdir(mode=0o755)
    atomic_write_bytes(home / ".aws" / "login" / "cache" / "token.json", b"{}")
    for directory in (home / ".aws", home / ".aws" / "login", home / ".aws" / "login" / "cache"):
        assert _mode(directory) == 0o700, directory

    other = tmp_path / "other"
    other.mkdir(mode=0o755)
    config = other / ".aws" / "config"
    locks = other / "app" / "state" / "locks"
    AwsConfigWriter(config, locks / "aws-config.lock").apply([ProfileSpec("p1", "us-east-1", login_session=ARN)])
    for directory in (other / ".aws", other / "app", other / "app" / "state", locks):
        assert _mode(directory) == 0o700, directory
    assert _mode(config) == 0o600

    save_settings(tmp_path / "app2" / "conf" / "settings.json", Settings())
    assert _mode(tmp_path / "app2") == 0o700
    assert _mode(tmp_path / "app2" / "conf") == 0o700


def test_an_existing_directory_keeps_its_mode(tmp_path: Path) -> None:
    aws = tmp_path / ".aws"
    aws.mkdir()
    os.chmod(aws, 0o755)
    AwsConfigWriter(aws / "config", tmp_path / "lock").apply([ProfileSpec("p1", "us-east-1", login_session=ARN)])
    assert _mode(aws) == 0o755  # ~/.aws is the user's: never chmodded


def test_a_probe_killed_before_its_cleanup_is_cleaned_by_the_next_probe(tmp_path: Path) -> None:
    cache = tmp_path / ".aws" / "login" / "cache"
    cache.mkdir(parents=True)
    fd, left = tempfile.mkstemp(prefix=".probe.", suffix=".tmp", dir=cache)
    os.close(fd)
    old = time.time() - 3600
    os.utime(left, (old, old))
    probe_writable(cache)
    assert list(cache.iterdir()) == []
