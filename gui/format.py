"""Words and numbers for sessions: pure rendering, no decisions.

Everything here takes a snapshot and ``now`` (core's clock) and returns
text, so the tray menu, the switcher and the notifications agree. What
needs attention is decided by :mod:`core.sessions.attention`.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from core.domain.model import Session, SessionState
from core.domain.timefmt import SPELLED, format_countdown
from core.sessions.attention import Attention, attention_of, next_attempt_in

STATE_LABELS: dict[SessionState, str] = {
    SessionState.FRESH: "Fresh",
    SessionState.REFRESHING: "Refreshing…",
    SessionState.RETRYING: "Retrying",
    SessionState.NEEDS_SIGN_IN: "Needs sign-in",
    SessionState.ENDED: "Ended",
    SessionState.SIGNED_OUT: "Signed out",
}


def state_label(session: Session) -> str:
    """The short state word (states added later show their own value)."""
    return STATE_LABELS.get(session.state, session.state.value.replace("_", " ").capitalize())


def plural(count: int, word: str, many: str | None = None) -> str:
    """``1 problem``, ``2 problems``."""
    return f"{count} {word if count == 1 else (many or word + 's')}"


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


def sentence(text: str | None) -> str:
    """``text`` ending in exactly one full stop (core's reasons already end in one)."""
    text = (text or "").strip()
    return text if not text or text.endswith((".", "!", "?")) else text + "."


def format_wait(delta: timedelta) -> str:
    """A short wait: ``42 s`` under a minute, else as :func:`format_remaining`."""
    seconds = max(0, round(delta.total_seconds()))
    return f"{seconds} s" if seconds < 60 else format_remaining(delta)


def next_attempt_text(session: Session, now: datetime) -> str:
    """``next attempt in 42 s`` while retrying, from the time the engine really planned."""
    wait = next_attempt_in(session, now)
    if wait is None:
        return "next attempt soon"
    if wait <= timedelta(seconds=1):
        return "next attempt now"
    return f"next attempt in {format_wait(wait)}"


def time_left_label(session: Session, now: datetime) -> str:
    """What the menu shows at the end of a session's row."""
    if session.state is SessionState.SIGNED_OUT:
        return "signed out with aws logout: choose to sign in again or sign out"
    if not session.state.live:
        return "needs sign-in: choose to sign in again"
    left = f"{format_remaining(session.session_remaining(now))} left"
    if session.state is SessionState.RETRYING:
        return f"retrying, {next_attempt_text(session, now)} · {left}"
    return left


def menu_label(session: Session, now: datetime) -> str:
    """One tray menu row: the profile, then (right-aligned by Qt after the tab) who, where and how long."""
    return (
        f"{session.profile_name}\t{session.account_id} · {principal_label(session)} · {session.region}"
        f" · {time_left_label(session, now)}"
    )


def state_text(session: Session, now: datetime) -> str:
    """The switcher's full state sentence for one session."""
    ends = f"Session ends in {format_remaining(session.session_remaining(now))}."
    reason = sentence(session.state_reason)
    match session.state:
        case SessionState.FRESH:
            return f"Fresh: credentials are renewed automatically before they run low. {ends}"
        case SessionState.REFRESHING:
            return f"Refreshing now. {ends}"
        case SessionState.RETRYING:
            attempt = next_attempt_text(session, now)
            left = format_remaining(session.credentials_remaining(now))
            return f"Retrying: {reason} {attempt.capitalize()}. Current credentials valid for {left}. {ends}"
        case SessionState.ENDED:
            return f"Ended: {reason or 'it reached its session limit.'} Sign in again to continue."
        case SessionState.SIGNED_OUT:
            return reason or "Signed out with `aws logout`."
    label = "Needs a new sign-in" if session.state is SessionState.NEEDS_SIGN_IN else state_label(session)
    return f"{label}: {reason}" if reason else f"{label}."


def attention_lines(sessions: list[Session], now: datetime, lead_minutes: tuple[int, ...]) -> list[str]:
    """One line per session that needs the user, worst first."""
    marked = [(attention_of(s, now, lead_minutes), s) for s in sessions]
    lines = []
    for level, session in sorted(marked, key=lambda pair: -pair[0]):
        if level is Attention.SIGN_IN:
            lines.append(f"{session.profile_name}: needs sign-in")
        elif level is Attention.RETRYING:
            lines.append(f"{session.profile_name}: retrying, {next_attempt_text(session, now)}")
        elif level is Attention.EXPIRING:
            lines.append(f"{session.profile_name}: ends in {format_minutes(session.session_remaining(now))}")
    return lines


def tooltip_text(
    active: Session | None, sessions: list[Session], now: datetime, lead_minutes: tuple[int, ...] = ()
) -> str:
    """The tray tooltip: the active profile, then every session that needs attention."""
    if not sessions:
        return "AWS Login Tray: no sessions. Click to sign in."
    if active is None:
        head = f"AWS Login Tray: {plural(len(sessions), 'session')}, none active"
    else:
        head = (
            f"AWS Login Tray: {active.profile_name} ({active.account_id}, {principal_label(active)})\n"
            f"{format_remaining(active.session_remaining(now))} left"
            if active.state.live
            else f"AWS Login Tray: {active.profile_name} needs sign-in"
        )
    trouble = attention_lines(sessions, now, lead_minutes)
    if not trouble:
        return head
    return head + f"\n\n{plural(len(trouble), 'session needs', 'sessions need')} attention:\n" + "\n".join(trouble)
