"""PKCE values: the RFC 7636 vector, the verifier alphabet and length, the state."""

from __future__ import annotations

import subprocess
import sys
import uuid

import pytest

from core.signin.pkce import CHALLENGE_METHOD, UNRESERVED, PkceSet, make_state, make_verifier, s256_challenge


def test_s256_matches_rfc7636_appendix_b() -> None:
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert s256_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_verifier_is_64_unreserved_characters() -> None:
    verifier = make_verifier()
    assert len(verifier) == 64
    assert set(verifier) <= set(UNRESERVED)


def test_verifiers_differ() -> None:
    assert len({make_verifier() for _ in range(50)}) == 50


@pytest.mark.parametrize("length", [42, 129, 0])
def test_verifier_length_outside_the_rfc_is_refused(length: int) -> None:
    with pytest.raises(ValueError, match="43 to 128"):
        make_verifier(length)


@pytest.mark.parametrize("length", [43, 128])
def test_verifier_length_bounds_are_allowed(length: int) -> None:
    assert len(make_verifier(length)) == length


def test_challenge_is_unpadded_base64url() -> None:
    for _ in range(20):
        challenge = s256_challenge(make_verifier())
        assert len(challenge) == 43
        assert "=" not in challenge
        assert "+" not in challenge
        assert "/" not in challenge


def test_state_is_a_fresh_uuid4() -> None:
    first, second = make_state(), make_state()
    assert uuid.UUID(first).version == 4
    assert first != second


def test_generated_set_is_consistent_and_hides_the_verifier() -> None:
    pkce = PkceSet.generate()
    assert pkce.challenge == s256_challenge(pkce.verifier)
    assert pkce.verifier not in repr(pkce)
    assert CHALLENGE_METHOD == "SHA-256"


def test_the_refresh_path_does_not_load_authlib() -> None:
    # PKCE belongs to a sign-in; a tray that only refreshes never needs the library behind it.
    code = "import sys, core.sessions.manager, core.signin.client; print('authlib' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == "False"
