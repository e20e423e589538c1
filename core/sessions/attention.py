"""Which sessions need the user's eye, and how urgently: one rule for the tray, the switcher and the CLI.

Front ends render these answers (an icon, a row mark, a tooltip line); they
do not decide them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from enum import IntEnum

from core.domain.errors import SecretStoreUnavailable, SignInRequired, TransientServiceError
from core.domain.model import Session, SessionState


class Attention(IntEnum):
    """How much a session needs the user, least first (so ``max`` is the worst)."""

    NONE = 0
    EXPIRING = 1
    """Inside the first warning lead time before the session's end."""
    RETRYING = 2
    """Refreshes fail for now; the engine keeps trying."""
    SIGN_IN = 3
    """Cannot continue without a browser sign-in (ended, revoked, signed out in the console)."""


def needs_sign_in(session: Session) -> bool:
    """True when only a new browser sign-in brings the session back (:attr:`SessionState.live` is False)."""
    return not session.state.live


def attention_of(session: Session, now: datetime, lead_minutes: Iterable[int]) -> Attention:
    """How much ``session`` needs the user at ``now``."""
    if session.state is SessionState.SIGNED_OUT:
        return Attention.NONE  # the user signed out on purpose with `aws logout`: nothing to alarm about
    if needs_sign_in(session):
        return Attention.SIGN_IN
    if session.state is SessionState.RETRYING:
        return Attention.RETRYING
    if session.session_remaining(now) <= timedelta(minutes=max(lead_minutes, default=0)):
        return Attention.EXPIRING
    return Attention.NONE


def overall_attention(sessions: Iterable[Session], now: datetime, lead_minutes: Iterable[int]) -> Attention:
    """The worst attention over every session."""
    leads = tuple(lead_minutes)
    return max((attention_of(s, now, leads) for s in sessions), default=Attention.NONE)


def next_attempt_in(session: Session, now: datetime) -> timedelta | None:
    """While retrying: how long until the engine really tries again (zero: any moment now)."""
    if session.state is not SessionState.RETRYING or session.next_attempt_at is None:
        return None
    return max(session.next_attempt_at - now, timedelta(0))


def shown_as_state(exc: BaseException) -> bool:
    """True for a refresh failure the engine also published as the session's state (retrying, needs sign-in).

    A front end that shows session states has then said it once already and
    should not report the exception a second time.
    """
    return isinstance(exc, TransientServiceError | SignInRequired | SecretStoreUnavailable)
