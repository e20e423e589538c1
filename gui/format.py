"""Words and numbers for sessions: pure rendering, no decisions.

Everything here takes a snapshot and ``now`` (core's clock) and returns
text, so the tray menu, the switcher and the notifications agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.domain.model import Session, SessionState
from core.domain.timefmt import SPELLED, format_countdown

STATE_LABELS: dict[SessionState, str] = {
    SessionState.FRESH: "Fresh",
    SessionState.REFRESHING: "Refreshing…",
    SessionState.RETRYING: "Retrying",
    SessionState.NEEDS_SIGN_IN: "Needs sign-in",
    SessionState.ENDED: "Ended",
}


def format_remaining(delta: timedelta | None) -> str:
    """A countdown such as ``11 h 42 min``, ``4 min 05 s`` or ``ended``."""
    return format_countdown(delta, SPELLED)


def format_minutes(delta: timedelta) -> str:
    """A coarse countdown for notifications: ``30 min``, ``1 h 05 min`` (rounded up)."""
    minutes = max(0, -(-int(delta.total_seconds()) // 60))
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def format_clock(moment: datetime | None) -> str:
    """A local wall-clock time such as ``2026-11-28 14:05:09``."""
    if moment is None:
        return "never"
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def principal_label(session: Session) -> str:
    """``Role/session`` for roles, the user name otherwise."""
    return session.identity.display_name


def is_live(session: Session) -> bool:
    """True while the session can still hand out credentials."""
    return session.state not in (SessionState.NEEDS_SIGN_IN, SessionState.ENDED)


def time_left_label(session: Session, now: datetime) -> str:
    """What the menu shows in its right-hand column for one session."""
    if session.state is SessionState.NEEDS_SIGN_IN:
        return "needs sign-in"
    if session.state is SessionState.ENDED:
        return "ended"
    left = format_remaining(session.session_remaining(now))
    return f"{left} left"


def menu_label(session: Session, now: datetime) -> str:
    """One tray menu line: identity on the left, time left after a tab (right-aligned by Qt)."""
    return (
        f"{session.profile_name}   {session.account_id} · {principal_label(session)} · {session.region}"
        f"\t{time_left_label(session, now)}"
    )


def tooltip_text(active: Session | None, count: int, now: datetime) -> str:
    """The tray tooltip: the active profile and how long its session has left."""
    if count == 0:
        return "AWS Login Tray: no sessions. Click to sign in."
    if active is None:
        return f"AWS Login Tray: {count} session(s), none active"
    return (
        f"AWS Login Tray: {active.profile_name} ({active.account_id}, {principal_label(active)})\n"
        f"{time_left_label(active, now)}"
    )
