"""Section-by-section parsing gives exactly what a whole-file parse gives, and refuses what it refuses."""

from __future__ import annotations

import configparser
from pathlib import Path

import pytest
from botocore.configloader import build_profile_map, load_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.awsconfig import doctor
from core.awsconfig import document as awsconfig
from core.awsconfig.document import MARKER, ConfigDocument, ConfigSection, profile_name_of
from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from core.domain.errors import ConfigFileError, ProfileConflict
from tests.doubles.awsconfig import config_files

ALICE = "arn:aws:iam::111122223333:user/alice"
BOB = "arn:aws:sts::444455556666:assumed-role/Dev/bob"
PATH = Path("config")

FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def whole_parse(text: str) -> tuple[list[str | ConfigSection], list[ConfigSection]]:
    """The general parse (configupdater over the whole file) that files with unusual headers take."""
    parser = configparser.RawConfigParser()
    parser.read_string(text)
    return awsconfig._parse_whole(text, PATH, parser)


def describe(section: ConfigSection) -> tuple[object, ...]:
    return (
        section.header,
        section.profile,
        section.owned,
        section.lineno,
        section.header_line,
        section.text,
        section.settings,
        section.parts,
    )


@st.composite
def files_with_ours(draw: st.DrawFn) -> str:
    """Generated files, some with sections of ours (marker possibly indented) in between."""
    text = draw(config_files())
    if draw(st.booleans()):
        lead = draw(st.sampled_from(["", "  ", "\t"]))
        ours = f"[profile tray-x]\n{lead}{MARKER}\nregion = us-east-1\nlogin_session = {ALICE}\n"
        text = (text if not text or text.endswith("\n") else text + "\n") + ours
        if draw(st.booleans()):
            text += draw(config_files()).replace("[default]", "[profile other-default]")
    lines = text.split("\n")
    headers = [i for i, line in enumerate(lines) if line.startswith("[")]
    if headers and draw(st.integers(0, 3)) == 0:
        # An indented header: a header under a header, a continuation under a setting.
        index = draw(st.sampled_from(headers))
        lines[index] = draw(st.sampled_from([" ", "\t", "  "])) + lines[index]
        text = "\n".join(lines)
    if draw(st.integers(0, 4)) == 0:
        text = text.replace("\n", "\r\n")
    return text


@FAST
@given(text=files_with_ours())
def test_section_scan_matches_the_whole_file_parse(text: str) -> None:
    try:
        chunks, sections = whole_parse(text)
    except (configparser.Error, ConfigFileError):
        with pytest.raises(ConfigFileError):
            ConfigDocument(text, PATH)
        return
    expected = [describe(s) for s in sections]
    for validate in (True, False):
        doc = ConfigDocument(text, PATH, validate=validate)
        assert [describe(s) for s in doc.sections] == expected
        assert doc.render({}) == text
        for section, whole in zip(doc.sections, sections, strict=True):
            assert doc.text_before(section) == "".join(
                c if isinstance(c, str) else c.text for c in chunks[: chunks.index(whole)]
            )


headers = st.text(alphabet="profile dx'\"\\\t \xa0-", min_size=0, max_size=14)


@FAST
@given(header=st.one_of(headers, headers.map(lambda h: "profile" + h)))
def test_profile_names_are_read_like_botocore(header: str) -> None:
    # botocore's own mapping is the oracle (any header starting with "profile" that splits in two).
    profiles = build_profile_map({header: {"region": "x"}})["profiles"]
    assert profile_name_of(header) == next(iter(profiles), None)


@pytest.mark.parametrize(
    "original",
    [
        "[a]\n  [b]\nx = 1\n",  # an indented header right under a header is a header
        "[a]\nx = 1\n  [b]\n",  # ... but under a setting it continues that setting's value
        "  [a]\nx = 1\n",
    ],
)
def test_indented_headers_take_the_general_parse_and_stay_byte_for_byte(original: str, tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text(original)
    writer = AwsConfigWriter(path, tmp_path / "lock")
    writer.apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])
    assert path.read_text().startswith(original)
    assert load_config(str(path))["profiles"]["dev"]["login_session"] == ALICE
    writer.apply([ProfileSpec("dev", "eu-west-1", login_session=ALICE)])
    writer.apply(removals=["dev"])
    assert path.read_text() == original


def test_an_indented_header_under_a_setting_is_not_a_profile(tmp_path: Path) -> None:
    original = "[a]\nx = 1\n  [profile dev]\n"
    path = tmp_path / "config"
    path.write_text(original)
    writer = AwsConfigWriter(path, tmp_path / "lock")
    writer.apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])
    assert path.read_text().startswith(original + "\n[profile dev]\n")
    assert writer.owned_profiles() == ["dev"]


def test_a_default_section_is_read_as_botocore_reads_it(tmp_path: Path) -> None:
    # configparser (and so botocore) gives [DEFAULT]'s settings to every section.
    original = "[DEFAULT]\nregion = us-east-1\noutput = json\n\n[profile a]\nregion = eu-west-1\n"
    path = tmp_path / "config"
    path.write_text(original)
    writer = AwsConfigWriter(path, tmp_path / "lock")
    assert writer.profile_settings("a") == {"region": "eu-west-1", "output": "json"}
    writer.apply([ProfileSpec("dev", "eu-central-1", login_session=ALICE)])
    assert path.read_text().startswith(original + "\n[profile dev]\n")
    assert writer.profile_settings("dev") == {
        "region": "eu-central-1",
        "output": "json",
        "sts_regional_endpoints": "regional",
        "login_session": ALICE,
    }
    assert load_config(str(path))["profiles"]["dev"]["login_session"] == ALICE


def test_the_doctor_reads_a_default_section(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_text("[DEFAULT]\nsts_regional_endpoints = regional\n\n[profile a]\nregion = eu-west-1\n")
    assert doctor.scan(path, environ={}) == []


def test_credentials_in_the_default_section_are_refused_with_its_line(tmp_path: Path) -> None:
    original = "[profile a]\nregion = eu-west-1\n\n[DEFAULT]\naws_access_key_id = AKIAEXAMPLE\n"
    path = tmp_path / "config"
    path.write_text(original)
    with pytest.raises(ConfigFileError, match=r"line 4: \[DEFAULT\] sets aws_access_key_id for every profile"):
        AwsConfigWriter(path, tmp_path / "lock").apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])
    assert path.read_text() == original


def test_a_lone_carriage_return_ends_a_line_as_it_does_for_botocore(tmp_path: Path) -> None:
    # Old Mac line ends: botocore reads two sections here, so must we.
    original = b"[profile a]\rregion = us-east-1\r[default]\rregion = eu-west-1\r"
    path = tmp_path / "config"
    path.write_bytes(original)
    writer = AwsConfigWriter(path, tmp_path / "lock")
    assert writer.profile_settings("default") == {"region": "eu-west-1"}
    writer.apply([ProfileSpec("default", "eu-west-1", login_session=ALICE)], adopt=["default"])
    written = path.read_bytes()
    assert written.startswith(b"[profile a]\rregion = us-east-1\r[default]\r# managed by aws-login-tray")
    assert b"\n" not in written  # new lines follow the file's own line end
    profiles = load_config(str(path))["profiles"]  # one [default], readable by botocore
    assert profiles["default"]["login_session"] == ALICE
    assert profiles["a"] == {"region": "us-east-1"}
    assert [s.header for s in ConfigDocument.load(path).sections] == ["profile a", "default"]


def test_a_lone_carriage_return_line_is_named_in_errors(tmp_path: Path) -> None:
    path = tmp_path / "config"
    path.write_bytes(b"[profile a]\rregion = us-east-1\rjust words\r")
    with pytest.raises(ConfigFileError, match=r"line 3: a line is neither"):
        doctor.scan(path, environ={})


def test_a_byte_order_mark_is_a_clear_error(tmp_path: Path) -> None:
    # botocore cannot read such a file either ("\ufeff[default]" is no section header).
    path = tmp_path / "config"
    path.write_bytes(b"\xef\xbb\xbf[default]\nregion = us-east-1\n")
    with pytest.raises(ConfigFileError, match=r"line 1: the file starts with a byte-order mark"):
        doctor.scan(path, environ={})
    with pytest.raises(ConfigFileError, match=r"byte-order mark"):
        AwsConfigWriter(path, tmp_path / "lock").apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])
    assert path.read_bytes() == b"\xef\xbb\xbf[default]\nregion = us-east-1\n"


OWNED_WITH_KEYS = f"[profile dev]\n{MARKER}\nregion = us-east-1\naws_access_key_id = AKIA\naws_secret_access_key = x\n"


def test_damage_after_a_rewritten_section_names_the_original_line(tmp_path: Path) -> None:
    # Rewriting our section drops two lines, so the bad line moves in the
    # result; the message must still name its line in the file on disk.
    original = OWNED_WITH_KEYS + "\n[b]\nx = 1\njust words\n"
    path = tmp_path / "config"
    path.write_text(original)
    writer = AwsConfigWriter(path, tmp_path / "lock")
    with pytest.raises(ConfigFileError, match=r"line 9: a line is neither"):
        writer.apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])
    assert path.read_text() == original
    assert not writer.backup_path.exists()


@pytest.mark.parametrize(
    ("damage", "line", "words"),
    [
        ("[b]\nx = 1\nx = 2\n", 5, "appears twice"),
        ("[b]\nx = 1\njust words\n", 5, "neither"),
    ],
)
def test_damage_is_reported_before_a_conflict_and_on_a_no_op(
    tmp_path: Path, damage: str, line: int, words: str
) -> None:
    path = tmp_path / "config"
    writer = AwsConfigWriter(path, tmp_path / "lock")
    taken = f"[profile taken]\nlogin_session = {BOB}\n"
    path.write_text(taken + damage)
    with pytest.raises(ConfigFileError) as caught:
        writer.apply([ProfileSpec("taken", "us-east-1", login_session=ALICE)])
    assert not isinstance(caught.value, ProfileConflict)
    assert f"line {line}: " in str(caught.value)
    assert words in str(caught.value)

    ours = f"[profile dev]\n{MARKER}\nregion = us-east-1\nsts_regional_endpoints = regional\nlogin_session = {ALICE}\n"
    path.write_text(ours + damage.replace("[b]", "\n[b]"))
    with pytest.raises(ConfigFileError, match=rf"line {line + 4}: "):
        writer.apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])  # nothing would change
    assert path.read_text() == ours + damage.replace("[b]", "\n[b]")


def test_damage_inside_the_section_we_rewrite_names_its_line(tmp_path: Path) -> None:
    original = "[a]\nx = 1\n\n" + OWNED_WITH_KEYS + "region = eu-west-1\n"
    path = tmp_path / "config"
    path.write_text(original)
    with pytest.raises(ConfigFileError, match=r"line 9: 'region' appears twice"):
        AwsConfigWriter(path, tmp_path / "lock").apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])
    assert path.read_text() == original


def test_only_touched_sections_are_parsed_for_an_edit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lines = [f"[profile p{i}]\nrole_arn = arn:aws:iam::1:role/R\nsource_profile = base\n\n" for i in range(200)]
    path = tmp_path / "config"
    path.write_text("".join(lines))
    writer = AwsConfigWriter(path, tmp_path / "lock")
    writer.apply([ProfileSpec("dev", "us-east-1", login_session=ALICE)])
    structured: list[str] = []
    real = awsconfig._section_parts

    def spy(section: ConfigSection) -> tuple[awsconfig.ConfigPart, ...]:
        structured.append(section.header)
        return real(section)

    monkeypatch.setattr(awsconfig, "_section_parts", spy)
    writer.apply([ProfileSpec("dev", "eu-west-1", login_session=BOB)])
    assert set(structured) == {"profile dev"}
    assert load_config(str(path))["profiles"]["dev"]["login_session"] == BOB
    assert path.read_text().startswith("".join(lines))
