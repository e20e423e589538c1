"""JSON documents are written exactly as ``json.dumps(payload, indent=2)`` wrote them."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from core.storage.atomic import json_document

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)  # beyond 64 bits too
    | st.text()  # control characters, DEL, non-ASCII
)
_DOCUMENTS = st.recursive(_SCALARS, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner), max_leaves=40)


def _stdlib(payload: Any) -> bytes:
    return (json.dumps(payload, indent=2) + "\n").encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(_DOCUMENTS)
def test_the_bytes_are_those_of_the_standard_library(payload: Any) -> None:
    assert json_document(payload) == _stdlib(payload)


def test_a_sessions_file_like_document_is_unchanged() -> None:
    history = [
        {"at": f"2026-12-01T17:35:{i:02d}.123456Z", "event_name": "CreateOAuth2Token", "outcome": "ok"}
        for i in range(60)
    ]
    payload = {
        "version": 1,
        "active_session_id": None,
        "sessions": [{"id": "ab" * 32, "state_reason": "Profile « prod »: 5 € / ✓", "made_elsewhere": False,
                      "other_profiles": [], "history": history}],
    }  # fmt: skip
    assert json_document(payload) == _stdlib(payload)
    assert json.loads(json_document(payload)) == payload


def test_what_orjson_refuses_still_encodes() -> None:
    numbered = {1: "one", None: "nothing"}
    assert json_document(numbered) == _stdlib(numbered)
    lone_surrogate = {"name": "\ud800"}
    assert json_document(lone_surrogate) == _stdlib(lone_surrogate)
    deep: Any = "bottom"
    for _ in range(400):
        deep = [deep]
    assert json_document(deep) == _stdlib(deep)
