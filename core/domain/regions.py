"""What an AWS Region's name looks like, decided once for every front end and every file we write."""

from __future__ import annotations

import re

_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+-\d+$")


def is_region_name(text: str) -> bool:
    """True for a Region name such as ``us-east-1``, ``eu-central-2`` or ``us-gov-west-1``.

    Only the shape is checked (lower-case words and a final number), so a
    Region launched after this release is accepted too.
    """
    return _REGION.match(text) is not None
