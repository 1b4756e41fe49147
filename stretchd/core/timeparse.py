"""Parsing what users type for times, dates and durations; ``now`` is always an argument."""

from __future__ import annotations

import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo

_CLOCK_24 = re.compile(r"^(\d{1,2}):(\d{2})(?::(\d{2}))?$")
_CLOCK_12 = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap])\.?m\.?$", re.IGNORECASE)
_DURATION_PART = re.compile(r"(\d+)\s*([smhdw])", re.IGNORECASE)
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
MAX_DURATION = timedelta(days=366)


class TimeParseError(ValueError):
    """The text is not a time we understand; the message says what we expected."""


def parse_clock(text: str) -> time:
    """``HH:MM``, ``HH:MM:SS`` (24 h), ``8am``, ``6:30pm``, ``12pm`` -> a wall-clock time."""
    raw = text.strip()
    m = _CLOCK_24.match(raw)
    if m:
        hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    else:
        m = _CLOCK_12.match(raw)
        if not m:
            raise TimeParseError(f"{text!r} is not a time of day (use HH:MM, HH:MM:SS, 8am or 6:30pm)")
        hour, minute, second = int(m[1]), int(m[2] or 0), int(m[3] or 0)
        if not 1 <= hour <= 12:
            raise TimeParseError(f"{text!r}: the hour of a 12-hour time must be 1..12")
        hour = hour % 12 + (12 if m[4].lower() == "p" else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeParseError(f"{text!r} is not a valid time of day (00:00 to 23:59:59)")
    return time(hour, minute, second)


def format_clock(t: time) -> str:
    """The canonical form stored in config: ``HH:MM``, or ``HH:MM:SS`` when seconds matter."""
    return t.strftime("%H:%M:%S" if t.second else "%H:%M")


def parse_duration(text: str) -> timedelta:
    """``10m``, ``2h``, ``1d``, ``90s``, ``1h30m``, or a bare number of minutes."""
    raw = text.strip().lower().replace(" ", "")
    if raw.isdigit():
        seconds = int(raw) * 60
    else:
        pos, seconds = 0, 0
        for m in _DURATION_PART.finditer(raw):
            if m.start() != pos:
                break
            seconds += int(m[1]) * _UNIT[m[2].lower()]
            pos = m.end()
        if pos != len(raw) or not raw:
            raise TimeParseError(f"{text!r} is not a duration (examples: 10m, 2h, 1d, 1h30m)")
    if seconds > MAX_DURATION.total_seconds():  # before timedelta(), which overflows on huge numbers
        raise TimeParseError(f"{text!r}: a duration can be at most 366 days")
    delta = timedelta(seconds=seconds)
    if delta <= timedelta(0):
        raise TimeParseError(f"{text!r}: a duration must be longer than zero")
    if delta > MAX_DURATION:
        raise TimeParseError(f"{text!r}: a duration can be at most 366 days")
    return delta


def localize(naive: datetime, tz: tzinfo) -> datetime:
    """Attach the local zone to a wall-clock time; a time in a DST gap moves forward past it."""
    aware = naive.replace(tzinfo=tz)
    # Round-trip through UTC: a nonexistent wall time (spring-forward gap) normalises forward.
    # (astimezone(tz) alone is a no-op when the zone is already tz.)
    return aware.astimezone(timezone.utc).astimezone(tz)


def at_local(day: date, clock: time, tz: tzinfo) -> datetime:
    return localize(datetime.combine(day, clock), tz)


def parse_when(text: str, now: datetime, tz: tzinfo) -> datetime:
    """When something happened, as the user says it; aware, in ``tz`` unless an offset was given.

    Accepts ``now``, ``HH:MM[:SS]`` / ``8am`` (today), ``yesterday HH:MM``, ``today HH:MM``,
    ``-90m`` / ``-2h`` / ``-1d`` (ago), an ISO date (its start) or ISO date-time (with or without
    an offset). Does not reject the future: callers decide.
    """
    raw = " ".join(text.strip().split())
    low = raw.lower()
    if not raw:
        raise TimeParseError("an empty time was given")
    if low == "now":
        return now
    if low in ("today", "yesterday"):
        day = now.astimezone(tz).date() - timedelta(days=1 if low == "yesterday" else 0)
        return at_local(day, time(0), tz)
    if low.startswith("-"):
        return now - parse_duration(low[1:])
    for prefix, days_back in (("yesterday ", 1), ("today ", 0)):
        if low.startswith(prefix):
            day = now.astimezone(tz).date() - timedelta(days=days_back)
            return at_local(day, parse_clock(raw[len(prefix) :]), tz)
    try:
        return at_local(now.astimezone(tz).date(), parse_clock(raw), tz)
    except TimeParseError:
        pass
    try:
        if len(raw) <= 10:
            return at_local(date.fromisoformat(raw), time(0), tz)
        parsed = datetime.fromisoformat(raw.replace(" ", "T", 1))
    except ValueError:
        raise TimeParseError(
            f"{text!r} is not a time (use HH:MM, 'yesterday HH:MM', -90m, -2h, -1d, "
            "or an ISO date such as 2026-11-20 or 2026-11-20T08:15)"
        ) from None
    return localize(parsed, tz) if parsed.tzinfo is None else parsed
