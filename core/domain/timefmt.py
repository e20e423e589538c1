"""Times as text: countdowns shared by the command line and the tray, and the one UTC timestamp format.

The terminal wants terse columns (``11h 59m``); the tray spells units out
(``11 h 59 min``). Both round the same way, so one function renders both and
a :class:`CountdownStyle` holds the words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

UTC_SECONDS = "%Y-%m-%dT%H:%M:%SZ"
"""ISO 8601 in UTC to the second: the AWS CLI's ``expiresAt``, what SDKs read as ``Expiration``, our logs."""


def utc_stamp(moment: datetime) -> str:
    """``moment`` as ``YYYY-MM-DDTHH:MM:SSZ``.

    Raises:
        ValueError: ``moment`` has no time zone (it would be taken for local time).
    """
    if moment.tzinfo is None:
        raise ValueError("times written out must be timezone-aware")
    return moment.astimezone(UTC).strftime(UTC_SECONDS)


@dataclass(frozen=True)
class CountdownStyle:
    """The words one surface uses for a countdown.

    Attributes:
        hour: Unit after the hours.
        minute: Unit after the minutes.
        second: Unit after the seconds.
        gap: Text between a number and its unit.
        missing: Shown when there is no deadline.
        over: Shown when the deadline has passed.
    """

    hour: str
    minute: str
    second: str
    gap: str
    missing: str
    over: str


COMPACT = CountdownStyle(hour="h", minute="m", second="s", gap="", missing="-", over="expired")
"""Terminal columns: ``3h 05m``, ``14m 10s``, ``expired``, ``-``."""

SPELLED = CountdownStyle(hour="h", minute="min", second="s", gap=" ", missing="—", over="ended")
"""Tray and switcher: ``11 h 42 min``, ``4 min 05 s``, ``ended``, ``—``."""


def format_countdown(delta: timedelta | None, style: CountdownStyle = COMPACT) -> str:
    """Hours and minutes when an hour or more is left, else minutes and seconds.

    Args:
        delta: Time left, or None when there is no deadline.
        style: The words to use.

    Returns:
        The countdown; whole seconds, truncated toward zero.
    """
    if delta is None:
        return style.missing
    seconds = int(delta.total_seconds())
    if seconds <= 0:
        return style.over
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    gap = style.gap
    if hours:
        return f"{hours}{gap}{style.hour} {minutes:02d}{gap}{style.minute}"
    return f"{minutes}{gap}{style.minute} {secs:02d}{gap}{style.second}"


def next_countdown_change(delta: timedelta | None) -> timedelta | None:
    """How long until :func:`format_countdown` shows another text for this countdown (None: never again).

    A countdown on screen is re-rendered then, at the resolution it shows:
    once a minute while hours are shown, once a second in the last hour.
    The text changes the moment the time left drops below the returned span.
    """
    if delta is None:
        return None
    total = delta.total_seconds()
    if total < 1:
        return None
    whole = int(total)
    step = 60 if whole >= 3600 else 1
    return timedelta(seconds=total - whole // step * step)
