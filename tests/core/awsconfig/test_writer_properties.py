"""Property tests: on any config file people write, our edits touch only our sections."""

from __future__ import annotations

import configparser
import tempfile
from pathlib import Path

from botocore.configloader import load_config, raw_config_parse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.awsconfig.document import ConfigDocument
from core.awsconfig.writer import AwsConfigWriter, ProfileSpec
from tests.doubles.awsconfig import config_files, names

ARN = "arn:aws:iam::111122223333:user/alice"

ours = st.lists(
    st.builds(
        lambda name, region, proc: ProfileSpec(
            f"tray-{name}",
            region,
            credential_process=f"aws-login-tray credential-process --profile tray-{name}" if proc else None,
            login_session=None if proc else ARN,
        ),
        names,
        st.sampled_from(["us-east-1", "eu-west-1", "ap-southeast-2"]),
        st.booleans(),
    ),
    min_size=1,
    max_size=3,
    unique_by=lambda spec: spec.name,
)


def foreign_blocks(text: str, path: Path) -> dict[str, str]:
    doc = ConfigDocument(text, path)
    return {s.header: s.text for s in doc.sections if not s.owned}


def check_readable(path: Path, specs: list[ProfileSpec]) -> None:
    configparser.RawConfigParser().read_string(path.read_text())
    raw_config_parse(str(path))
    profiles = load_config(str(path))["profiles"]
    for spec in specs:
        got = profiles[spec.name]
        assert got["region"] == spec.region
        assert got["sts_regional_endpoints"] == "regional"
        assert ("credential_process" in got) != ("login_session" in got)
        assert got.get("credential_process") == spec.credential_process
        assert got.get("login_session") == spec.login_session


FAST = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(original=config_files(), specs=ours, changed_region=st.sampled_from(["ca-central-1", "eu-north-1"]))
def test_apply_update_remove_touch_only_our_sections(
    original: str, specs: list[ProfileSpec], changed_region: str
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config"
        path.write_text(original)
        writer = AwsConfigWriter(path, Path(tmp) / "lock")
        writer.apply(specs)
        once = path.read_text()
        expected_prefix = original if not original or original.endswith("\n") else original + "\n"
        assert once.startswith(expected_prefix)
        check_readable(path, specs)
        assert writer.owned_profiles() == [s.name for s in specs]

        writer.apply(specs)
        assert path.read_text() == once  # idempotent

        # Someone appends their own section after ours; then we update ours in place.
        path.write_text(once + "\n# later\n[profile later]\nregion = us-west-1\n")
        before_update = foreign_blocks(path.read_text(), path)
        updated = [ProfileSpec(s.name, changed_region, s.credential_process, s.login_session) for s in specs]
        writer.apply(updated)
        assert foreign_blocks(path.read_text(), path) == before_update
        check_readable(path, updated)

        writer.apply(removals=[s.name for s in specs])
        after = path.read_text()
        # The blank line before "# later" separated it from our section; it goes
        # with ours only when nothing precedes our section.
        separator = "\n" if expected_prefix else ""
        assert after == expected_prefix + separator + "# later\n[profile later]\nregion = us-west-1\n"
        assert writer.owned_profiles() == []


@FAST
@given(original=config_files(), specs=ours)
def test_remove_restores_original(original: str, specs: list[ProfileSpec]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config"
        path.write_text(original)
        writer = AwsConfigWriter(path, Path(tmp) / "lock")
        writer.apply(specs)
        writer.apply(removals=[s.name for s in reversed(specs)])
        expected = original if not original or original.endswith("\n") else original + "\n"
        assert path.read_text() == expected
        writer.undo()  # the backup is the version with our sections
        check_readable(path, specs)


@FAST
@given(original=config_files(), data=st.data())
def test_sts_fix_changes_only_the_chosen_profiles(original: str, data: st.DataObject) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "config"
        path.write_text(original)
        doc = ConfigDocument(original, path)
        profiles = sorted({s.profile for s in doc.profiles() if s.profile is not None})
        if not profiles:
            return
        chosen = data.draw(st.lists(st.sampled_from(profiles), min_size=1, unique=True))
        before = foreign_blocks(original, path)
        AwsConfigWriter(path, Path(tmp) / "lock").set_sts_regional(chosen)
        text = path.read_text()
        after = foreign_blocks(text, path)
        assert after.keys() == before.keys()
        for section in ConfigDocument(text, path).sections:
            if section.profile in chosen:
                assert section.settings["sts_regional_endpoints"] == "regional"
                old_lines = before[section.header].splitlines()
                new_lines = after[section.header].splitlines()
                # One line added or changed, every other line kept in order.
                assert len(new_lines) - len(old_lines) in (0, 1)
                assert sum(1 for line in new_lines if line not in old_lines) <= 1
            else:
                body = after[section.header]
                assert body == before[section.header] or body == before[section.header] + "\n"
        loaded = load_config(str(path))["profiles"]
        assert all(loaded[name]["sts_regional_endpoints"] == "regional" for name in chosen)
