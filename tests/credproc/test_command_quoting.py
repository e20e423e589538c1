"""The ``credential_process`` line survives the config file and botocore's own command splitting, on every OS.

botocore splits the line with :func:`botocore.compat.compat_shell_split`:
``shlex`` rules on Linux and macOS, the Windows C runtime's rules on
``win32``. Each platform's line is checked with that platform's splitter,
after a round trip through our config writer and botocore's config reader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from botocore.compat import compat_shell_split
from botocore.configloader import raw_config_parse
from hypothesis import given
from hypothesis import strategies as st

from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from credproc.command import credential_process_command, helper_words, quote_command
from credproc.frozen import HELPER_EXECUTABLE

SESSION = "0123456789abcdef" * 4

# Where each platform's installation puts the helper, and its data directory (see docs/platforms.md).
PLATFORM_CASES = [
    (
        "linux",
        ["/home/jo smith/.local/share/uv/tools/aws-login-tray/bin/python", "-I", "-S",
         "/home/jo smith/.local/share/uv/tools/aws-login-tray/lib/python3.11/site-packages/cli/credproc_entry.py"],
        "/home/jo smith/.local/share/aws-login-tray",
    ),
    (
        "linux",
        ["/usr/lib/aws-login-tray/aws-login-tray-credential-process"],
        "/home/o'brien/.local/share/aws-login-tray",
    ),
    (
        "darwin",
        ["/Applications/AWS Login Tray.app/Contents/MacOS/aws-login-tray-credential-process"],
        "/Users/jo/Library/Application Support/aws-login-tray",
    ),
    (
        "win32",
        [r"C:\Program Files\AWS Login Tray\aws-login-tray-credential-process.exe"],
        r"C:\Users\Jo Smith\AppData\Local\aws-login-tray",
    ),
    (
        "win32",
        [r"C:\Users\Jo Smith\AppData\Local\Programs\Python\Python311\python.exe", "-I", "-S",
         r"C:\Users\Jo Smith\pipx\venvs\aws-login-tray\Lib\site-packages\cli\credproc_entry.py"],
        "C:\\Users\\Jo Smith\\data dir\\",
    ),
]  # fmt: skip


def through_the_config_file(line: str, tmp_path: Path) -> str:
    """Write the line with our writer, read it back with botocore's config reader."""
    config = tmp_path / "config"
    AwsConfigWriter(config, tmp_path / "config.lock").apply((ProfileSpec("p", "us-east-1", credential_process=line),))
    return str(raw_config_parse(str(config))["profile p"]["credential_process"])


@pytest.mark.parametrize(("platform", "helper", "home"), PLATFORM_CASES)
def test_each_platform_splits_its_line_back_into_the_words(
    platform: str, helper: list[str], home: str, tmp_path: Path
) -> None:
    line = credential_process_command(SESSION, home=home, helper=helper, platform=platform)
    read_back = through_the_config_file(line, tmp_path)
    assert read_back == line
    assert compat_shell_split(read_back, platform) == [*helper, "--session", SESSION, "--home", home]


@pytest.mark.parametrize("platform", ["linux", "darwin", "win32"])
@given(words=st.lists(st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1), min_size=1))
def test_any_words_round_trip_through_botocores_splitter(platform: str, words: list[str]) -> None:
    assert compat_shell_split(quote_command(words, platform), platform) == words


def test_the_frozen_bundle_names_the_helper_beside_its_executable() -> None:
    words = helper_words(frozen=True, executable="/usr/lib/aws-login-tray/aws-login-tray")
    assert words == [f"/usr/lib/aws-login-tray/{HELPER_EXECUTABLE}"]


def test_from_source_the_line_runs_the_interpreter_isolated() -> None:
    words = helper_words(frozen=False, python="/venv/bin/python")
    assert words[:3] == ["/venv/bin/python", "-I", "-S"]
    assert words[3].endswith("credproc_entry.py")
