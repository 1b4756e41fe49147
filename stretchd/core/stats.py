"""Adherence: day states, streaks, adherence and the habit score, computed from entries and ``today``."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from stretchd.core.model import Entry

DayState = Literal["complete", "partial", "missed", "excused"]
SCORE_DECAY = 0.5 ** (1 / 13)  # Loop Habit Tracker's daily multiplier


@dataclass(frozen=True)
class DayStat:
    date: date
    count: int
    state: DayState


@dataclass(frozen=True)
class Summary:
    today: date
    done_today: int
    target: int
    current_streak: int
    best_streak: int
    adherence_7d: float | None  # None when there are no countable days yet
    adherence_30d: float | None
    score: float  # 0..1
    days: tuple[DayStat, ...]  # the last ``window`` days, oldest first, today last
    first_day: date | None


def stretch_counts(entries: Iterable[Entry]) -> dict[date, int]:
    counts: dict[date, int] = {}
    for e in entries:
        if e.kind == "stretch":
            d = e.local_date()
            counts[d] = counts.get(d, 0) + 1
    return counts


def excused_days(entries: Iterable[Entry], today: date) -> set[date]:
    """Days the user excused: skipped days, and every day a pause covered any part of."""
    days: set[date] = set()
    for e in entries:
        if e.kind == "skip":
            days.add(e.local_date())
        elif e.kind == "pause" and e.until is not None:
            start = e.at.date()
            # A pause that ends exactly at midnight does not excuse the day after.
            end = (e.until - timedelta(microseconds=1)).astimezone(e.at.tzinfo).date()
            end = min(end, today)
            d = start
            while d <= end:
                days.add(d)
                d += timedelta(days=1)
    return days


def day_state(count: int, target: int, excused: bool) -> DayState:
    if count >= target:
        return "complete"
    if excused:
        return "excused"
    return "partial" if count > 0 else "missed"


def first_day(entries: Iterable[Entry]) -> date | None:
    return min((e.local_date() for e in entries if e.kind != "pause"), default=None)


def summarize(entries: Iterable[Entry], target: int, today: date, window: int = 56) -> Summary:
    """Everything ``stretchd stats`` shows. Today being incomplete never breaks a streak."""
    if target < 1:
        raise ValueError("daily target must be at least 1")
    entries = list(entries)
    counts = stretch_counts(entries)
    excused = excused_days(entries, today)
    start = first_day(entries)
    one = timedelta(days=1)

    def state(d: date) -> DayState:
        return day_state(counts.get(d, 0), target, d in excused)

    best = run = 0
    score = 0.0
    if start is not None and start <= today:
        d = start
        while d < today:  # completed days only; today is still in progress
            s = state(d)
            if s == "complete":
                run += 1
            elif s != "excused":
                run = 0
            best = max(best, run)
            if s != "excused":
                v = min(1.0, counts.get(d, 0) / target)
                score = score * SCORE_DECAY + v * (1 - SCORE_DECAY)
            d += one
    # ``run`` is now the streak ending yesterday; today adds to it only once complete.
    current = run + (1 if state(today) == "complete" else 0)
    best = max(best, current)

    def adherence(n: int) -> float | None:
        done = possible = 0
        for i in range(1, n + 1):
            d = today - timedelta(days=i)
            if start is None or d < start or (d in excused and counts.get(d, 0) < target):
                continue
            done += min(counts.get(d, 0), target)
            possible += target
        return done / possible if possible else None

    days = tuple(
        DayStat(d, counts.get(d, 0), state(d)) for d in (today - timedelta(days=i) for i in range(window - 1, -1, -1))
    )
    return Summary(
        today=today,
        done_today=counts.get(today, 0),
        target=target,
        current_streak=current,
        best_streak=best,
        adherence_7d=adherence(7),
        adherence_30d=adherence(30),
        score=score,
        days=days,
        first_day=start,
    )


def active_pause(entries: Iterable[Entry], now: datetime) -> Entry | None:
    """The pause in force at ``now``, if any (the latest one that has begun and not ended)."""
    current = None
    for e in entries:
        if (e.kind == "pause" and e.until is not None and e.at <= now < e.until
                and (current is None or e.at >= current.at)):  # fmt: skip
            current = e
    return current
