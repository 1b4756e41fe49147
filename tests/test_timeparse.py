"""What users type for times, dates and durations."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from stretchd.core.timeparse import TimeParseError, format_clock, parse_clock, parse_duration, parse_when

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 24, 10, 30, tzinfo=BERLIN)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", time(8)),
        ("8:05", time(8, 5)),
        ("18:00:30", time(18, 0, 30)),
        ("8am", time(8)),
        ("8 AM", time(8)),
        ("6:30pm", time(18, 30)),
        ("12am", time(0)),
        ("12pm", time(12)),
        ("23:59:59", time(23, 59, 59)),
    ],
)
def test_clock_times_in_every_documented_form(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize("text", ["25:00", "24:00", "12:60", "08:00:60", "13pm", "0am", "noon", "", "8", "08-00"])
def test_impossible_clock_times_are_refused_with_a_reason(text: str) -> None:
    with pytest.raises(TimeParseError, match="time"):
        parse_clock(text)


def test_canonical_clock_keeps_seconds_only_when_they_matter() -> None:
    assert format_clock(time(8)) == "08:00"
    assert format_clock(time(8, 0, 5)) == "08:00:05"


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10m", timedelta(minutes=10)), ("2h", timedelta(hours=2)), ("1d", timedelta(days=1)),
     ("90s", timedelta(seconds=90)), ("1h30m", timedelta(minutes=90)), ("15", timedelta(minutes=15))],
)  # fmt: skip
def test_durations(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize("text", ["", "0m", "abc", "10x", "m10", "-5m", "400d", "1h 30"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(TimeParseError):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("now", NOW),
        ("08:15", datetime(2026, 11, 24, 8, 15, tzinfo=BERLIN)),
        ("8am", datetime(2026, 11, 24, 8, 0, tzinfo=BERLIN)),
        ("yesterday 21:00", datetime(2026, 11, 23, 21, 0, tzinfo=BERLIN)),
        ("-90m", NOW - timedelta(minutes=90)),
        ("-2h", NOW - timedelta(hours=2)),
        ("-1d", NOW - timedelta(days=1)),
        ("2026-11-20", datetime(2026, 11, 20, 0, 0, tzinfo=BERLIN)),
        ("2026-11-20T08:15", datetime(2026, 11, 20, 8, 15, tzinfo=BERLIN)),
        ("2026-11-20 08:15", datetime(2026, 11, 20, 8, 15, tzinfo=BERLIN)),
    ],
)
def test_when_forms_are_local_and_aware(text: str, expected: datetime) -> None:
    got = parse_when(text, NOW, BERLIN)
    assert got == expected
    assert got.utcoffset() is not None


def test_an_explicit_offset_is_kept() -> None:
    got = parse_when("2026-11-20T08:15+05:30", NOW, BERLIN)
    assert got.utcoffset() == timedelta(hours=5, minutes=30)


def test_a_wall_time_in_the_spring_forward_gap_moves_past_it() -> None:
    now = datetime(2026, 3, 29, 12, 0, tzinfo=BERLIN)
    got = parse_when("02:30", now, BERLIN)
    assert got.astimezone(timezone.utc) == datetime(2026, 3, 29, 1, 30, tzinfo=timezone.utc)
    assert got.hour == 3


def test_dates_follow_the_local_day_not_utc() -> None:
    tokyo = ZoneInfo("Asia/Tokyo")
    now = datetime(2026, 11, 24, 1, 0, tzinfo=tokyo)  # still 23 Nov in UTC
    assert parse_when("08:00", now, tokyo).date() == date(2026, 11, 24)


@pytest.mark.parametrize("text", ["25:00", "tomorrowish", "2026-13-01", "yesterday 25:00", "-0m", ""])
def test_bad_when_is_refused(text: str) -> None:
    with pytest.raises(TimeParseError):
        parse_when(text, NOW, BERLIN)
