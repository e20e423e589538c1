"""Fuzzed ~/.aws/config files through the real commands: a clear error or the user's bytes kept.

Configs are built from the pieces people (and editors) really leave in the
file: CR, CRLF and LF line ends (mixed too), a byte-order mark, [DEFAULT],
duplicate sections and keys, indented headers, nested values, comments,
lines that are not settings, bytes that are not UTF-8, our own sections.
``doctor``, ``doctor --fix`` and ``use`` each either succeed, keeping every
line outside our sections, or fail with exit 6 and a message naming the
file (and the line, where configparser names one), leaving the file as it
was. Never "Unexpected", never a traceback. Where botocore reads the file,
the read-only doctor must read it too, and a written file must stay
readable by botocore.
"""

from __future__ import annotations

import configparser
import io
import re
from pathlib import Path

from botocore.configloader import load_config, raw_config_parse
from botocore.exceptions import ConfigParseError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli.context import Cli
from cli.main import main
from core.awsconfig.document import MARKER
from core.storage.paths import AppPaths
from credproc.exitcodes import ExitCode
from tests.doubles.sessions import build_session, stored_document

HEADERS = [
    "[default]",
    "[profile p1]",
    "[profile p2]",
    "[profile  p1 ]",
    "[DEFAULT]",
    "[sso-session corp]",
    "[services local]",
    "  [profile p3]",
]
SETTINGS = [
    "region = eu-west-1",
    "region=us-east-1",
    "output = json",
    "sts_regional_endpoints = legacy",
    "sts_regional_endpoints = regional",
    "STS_Regional_Endpoints: legacy",
    "credential_process = /usr/bin/other-tool",
    "aws_access_key_id = AKIAEXAMPLE",
    "role_arn = arn:aws:iam::111122223333:role/R",
    "source_profile = default",
    "s3 =",
    "  addressing_style = path",
    "endpoint_url = https://sts.amazonaws.com",
    "# a comment",
    "  ; an indented comment",
    "",
    "key with spaces = value",
    MARKER,
]
ODD = ["just words", "= no key", "region = twice", "  [profile p3]", "[DEFAULT]"]
LINES = SETTINGS * 4 + ODD  # mostly files botocore reads, some it does not
ENDS = ["\n", "\r\n", "\r"]


@st.composite
def config_bytes(draw: st.DrawFn) -> bytes:
    usual_end = draw(st.sampled_from(ENDS))
    ends = st.one_of(st.just(usual_end), st.sampled_from(ENDS)) if draw(st.booleans()) else st.just(usual_end)
    lines: list[str] = []
    for _ in range(draw(st.integers(0, 5))):
        lines.append(draw(st.sampled_from(HEADERS)))
        lines += draw(st.lists(st.sampled_from(LINES), max_size=5))
    text = "".join(line + draw(ends) for line in lines)
    if text and draw(st.integers(0, 5)) == 0:
        text = text.rstrip("\r\n")  # no line end at the end of the file
    data = text.encode("utf-8")
    extra = draw(st.integers(0, 12))
    if extra == 0:
        data = b"\xef\xbb\xbf" + data  # saved "with BOM" by an editor
    elif extra == 1:
        data += b"# caf\xe9\n"  # Latin-1, not UTF-8
    return data


def run(*argv: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), cli=Cli(stdout=out, stderr=err))
    return code, err.getvalue()


def botocore_reads(path: Path) -> bool:
    try:
        raw_config_parse(str(path))
    except ConfigParseError:
        return False
    return True


def configparser_reads(path: Path) -> bool:
    try:
        configparser.RawConfigParser().read(path, encoding="utf-8")
    except (configparser.Error, UnicodeDecodeError):
        return False
    return True


_HEADER = re.compile(r"^\[.*\]\s*$")


def lines_outside_our_sections(data: bytes) -> list[str]:
    """Every non-blank line that is not in a section of ours, without its line end."""
    kept: list[str] = []
    ours = False
    lines = re.findall(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$", data.decode("utf-8"))
    for index, line in enumerate(lines):
        if _HEADER.match(line):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            ours = following.lstrip().startswith("# managed by aws-login-tray")
        if not ours and line.strip():
            kept.append(line.rstrip("\r\n"))
    return kept


def without_sts_lines(data: bytes) -> list[str]:
    """The lines outside our sections but those of sts_regional_endpoints (with the continuation lines of its value)."""
    kept: list[str] = []
    in_sts_value = False
    for line in lines_outside_our_sections(data):
        if line.strip()[:1] in ("#", ";"):
            kept.append(line)  # comments stay, and do not end a value
        elif in_sts_value and line[:1] in (" ", "\t"):
            continue  # a continuation line of the old value goes with it
        else:
            in_sts_value = line.split("=")[0].split(":")[0].strip().lower() == "sts_regional_endpoints"
            if not in_sts_value:
                kept.append(line)
    return kept


FUZZ = settings(
    max_examples=80,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


@FUZZ
@given(original=config_bytes())
def test_every_command_keeps_the_users_bytes_or_fails_clearly(original: bytes) -> None:
    paths = AppPaths.from_environment()
    config = paths.aws_config_file
    if not paths.sessions_file.exists():
        stored_document(build_session(profile="p1"))  # one session whose profile is p1
    config.parent.mkdir(parents=True, exist_ok=True)
    for command in (["doctor"], ["doctor", "--fix"], ["use", "p1"]):
        config.write_bytes(original)
        readable = botocore_reads(config)
        code, err = run(*command)
        after = config.read_bytes()
        assert "Unexpected" not in err, (command, err)
        assert "Traceback" not in err, (command, err)
        if code == ExitCode.FILE_ERROR:
            assert str(config) in err, (command, err)
            assert after == original, command
            if command == ["doctor"]:
                assert not readable, f"botocore reads this file but the doctor did not: {err}"
            continue
        assert code in (0, 1), (command, code, err)  # the doctor says 1 when findings remain
        assert configparser_reads(config), command
        if readable:
            assert botocore_reads(config), command
        if command == ["doctor"]:
            assert after == original
        elif command == ["doctor", "--fix"]:
            assert without_sts_lines(after) == without_sts_lines(original)
        else:
            assert lines_outside_our_sections(after) == lines_outside_our_sections(original)
            if readable:
                assert "credential_process" in load_config(str(config))["profiles"]["default"]
