from __future__ import annotations

from datetime import timedelta

import pytest

from core.domain.timefmt import COMPACT, SPELLED, CountdownStyle, format_countdown, next_countdown_change


@pytest.mark.parametrize(
    ("delta", "compact", "spelled"),
    [
        (None, "-", "—"),
        (timedelta(0), "expired", "ended"),
        (timedelta(seconds=-30), "expired", "ended"),
        (timedelta(milliseconds=999), "expired", "ended"),
        (timedelta(seconds=1), "0m 01s", "0 min 01 s"),
        (timedelta(minutes=14, seconds=58), "14m 58s", "14 min 58 s"),
        (timedelta(minutes=59, seconds=59, milliseconds=999), "59m 59s", "59 min 59 s"),
        (timedelta(hours=1), "1h 00m", "1 h 00 min"),
        (timedelta(hours=11, minutes=59, seconds=59), "11h 59m", "11 h 59 min"),
        (timedelta(hours=12), "12h 00m", "12 h 00 min"),
        (timedelta(days=2, minutes=5), "48h 05m", "48 h 05 min"),
    ],
)
def test_both_styles(delta: timedelta | None, compact: str, spelled: str) -> None:
    assert format_countdown(delta, COMPACT) == compact
    assert format_countdown(delta, SPELLED) == spelled


def test_compact_is_the_default() -> None:
    assert format_countdown(timedelta(minutes=3, seconds=7)) == "3m 07s"


def test_a_custom_style_uses_every_word() -> None:
    style = CountdownStyle(hour="H", minute="M", second="S", gap="_", missing="none", over="done")
    assert format_countdown(timedelta(hours=2, minutes=3), style) == "2_H 03_M"
    assert format_countdown(timedelta(minutes=2, seconds=3), style) == "2_M 03_S"
    assert format_countdown(None, style) == "none"
    assert format_countdown(timedelta(seconds=-1), style) == "done"


def test_the_cli_renders_compact() -> None:
    from cli.context import format_remaining

    assert format_remaining(timedelta(hours=3, minutes=5, seconds=9)) == "3h 05m"
    assert format_remaining(None) == "-"


@pytest.mark.parametrize(
    "seconds", [1.0, 1.5, 59.25, 61.0, 3599.9, 3600.0, 3600.5, 3659.999, 3660.0, 3721.3, 43199.7, 43200.0]
)
def test_next_change_is_exactly_when_the_text_changes(seconds: float) -> None:
    delta = timedelta(seconds=seconds)
    wait = next_countdown_change(delta)
    assert wait is not None
    shown = format_countdown(delta)
    just_before = delta - wait + timedelta(microseconds=1)
    assert format_countdown(just_before) == shown
    assert format_countdown(delta - wait - timedelta(microseconds=1)) != shown
    assert wait <= timedelta(seconds=60 if seconds >= 3600 else 1)


def test_hours_change_once_a_minute_and_an_ended_countdown_never() -> None:
    assert next_countdown_change(timedelta(hours=11, minutes=42, seconds=30)) == timedelta(seconds=30)
    assert next_countdown_change(timedelta(minutes=4, seconds=5.25)) == timedelta(seconds=0.25)
    assert next_countdown_change(timedelta(seconds=0.5)) is None
    assert next_countdown_change(timedelta(seconds=-3)) is None
    assert next_countdown_change(None) is None


def test_utc_stamps_are_utc_to_the_second_and_refuse_naive_times() -> None:
    from datetime import UTC, datetime, timezone

    from core.domain.timefmt import utc_stamp

    berlin = timezone(timedelta(hours=1))
    assert utc_stamp(datetime(2026, 3, 1, 13, 0, 59, 999_999, tzinfo=berlin)) == "2026-03-01T12:00:59Z"
    assert utc_stamp(datetime(2026, 3, 1, 12, tzinfo=UTC)) == "2026-03-01T12:00:00Z"
    with pytest.raises(ValueError, match="timezone"):
        utc_stamp(datetime(2026, 3, 1, 12))
