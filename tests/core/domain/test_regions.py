"""Region names: one rule for the CLI, the tray, role profiles and the config writer."""

from __future__ import annotations

import pytest

from core.domain.regions import is_region_name


@pytest.mark.parametrize("name", ["us-east-1", "eu-central-2", "us-gov-west-1", "ap-southeast-5", "cn-north-1"])
def test_region_names_are_accepted(name: str) -> None:
    assert is_region_name(name)


@pytest.mark.parametrize(
    "text", ["", "Europe", "US-EAST-1", "us-east", "useast1", "us-east-1 ", "us_east_1", "us-east-1\n[x]", "u-east-1"]
)
def test_anything_else_is_refused(text: str) -> None:
    assert not is_region_name(text)
