"""Streaks, adherence and the habit score: the exact rules of the core issue."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stretchd.core.model import Entry
from stretchd.core.stats import SCORE_DECAY, summarize

TODAY = date(2026, 11, 24)
TZ = timezone(timedelta(hours=1))
_ids = itertools.count(1)


def stretch(day: date, hour: int = 8) -> Entry:
    return Entry(f"s{next(_ids)}", "stretch", datetime.combine(day, time(hour), TZ), routine="deep")


def skip(day: date) -> Entry:
    return Entry(f"k{next(_ids)}", "skip", datetime.combine(day, time(7), TZ), day=day)


def days_ago(n: int) -> date:
    return TODAY - timedelta(days=n)


def history(pattern: str, target: int = 2) -> list[Entry]:
    """One character a day ending today: digit = stretches that day, 's' = skipped."""
    out: list[Entry] = []
    for i, ch in enumerate(reversed(pattern)):
        d = days_ago(i)
        if ch == "s":
            out.append(skip(d))
        else:
            out += [stretch(d, 8 + k) for k in range(int(ch))]
    return out


def test_empty_history() -> None:
    s = summarize([], 2, TODAY)
    assert (s.current_streak, s.best_streak, s.done_today) == (0, 0, 0)
    assert s.adherence_7d is None and s.adherence_30d is None
    assert s.score == 0


def test_incomplete_today_does_not_break_the_streak_before_the_day_is_over() -> None:
    s = summarize(history("2220"), 2, TODAY)
    assert s.current_streak == 3
    s = summarize(history("2221"), 2, TODAY)
    assert s.current_streak == 3
    assert s.days[-1].state == "partial"


def test_completing_today_extends_the_streak() -> None:
    assert summarize(history("2222"), 2, TODAY).current_streak == 4


def test_a_missed_or_partial_yesterday_breaks_the_streak() -> None:
    assert summarize(history("22202"), 2, TODAY).current_streak == 1
    assert summarize(history("22210"), 2, TODAY).current_streak == 0


def test_excused_days_neither_break_nor_add() -> None:
    s = summarize(history("22s2s0"), 2, TODAY)
    assert s.current_streak == 3
    assert s.best_streak == 3


def test_best_streak_is_the_longest_run_in_the_whole_history() -> None:
    s = summarize(history("2222202220"), 2, TODAY)
    assert s.best_streak == 5
    assert s.current_streak == 3


def test_more_than_the_target_is_still_one_complete_day() -> None:
    s = summarize(history("52"), 2, TODAY)
    assert s.current_streak == 2
    assert s.days[-2].count == 5


def test_adherence_counts_capped_stretches_over_non_excused_days_before_today() -> None:
    # The 7 days before today: 2,2,1,0,skip,2,3 -> (2+2+1+0+2+2) / (6 days x 2) = 0.75.
    # The day before them (1) and today (0) do not count towards the 7-day figure.
    s = summarize(history("1" + "2210s23" + "0"), 2, TODAY)
    assert s.adherence_7d == 0.75
    assert s.adherence_30d == pytest.approx(10 / 14)


def test_adherence_ignores_days_before_the_first_entry() -> None:
    s = summarize(history("20"), 2, TODAY)  # first entry yesterday
    assert s.adherence_7d == 1.0
    assert s.adherence_30d == 1.0


def test_habit_score_follows_loop_habit_trackers_formula() -> None:
    entries = history("2120s0")
    expected = 0.0
    for ch in "2120s":  # through yesterday, oldest first
        if ch == "s":
            continue
        expected = expected * SCORE_DECAY + min(1.0, int(ch) / 2) * (1 - SCORE_DECAY)
    assert summarize(entries, 2, TODAY).score == pytest.approx(expected)


def test_habit_score_approaches_one_with_perfect_adherence() -> None:
    s = summarize(history("2" * 200), 2, TODAY)
    assert 0.99 < s.score <= 1.0


def test_a_day_counts_where_the_stretch_was_logged() -> None:
    # Logged at 23:30 in UTC-5 is still that day there, whatever the zone of `today`.
    late = Entry("x", "stretch", datetime(2026, 11, 23, 23, 30, tzinfo=timezone(timedelta(hours=-5))), routine="deep")
    s = summarize([late], 1, TODAY)
    assert s.days[-2].count == 1 and s.days[-1].count == 0


def test_a_pause_excuses_the_days_it_covers() -> None:
    start = datetime.combine(days_ago(3), time(12), TZ)
    pause = Entry("p", "pause", start, until=start + timedelta(days=1))
    s = summarize([*history("1000"), pause], 2, TODAY)
    states = {d.date: d.state for d in s.days}
    assert states[days_ago(3)] == "excused" and states[days_ago(2)] == "excused"
    assert states[days_ago(1)] == "missed"


def test_days_window_ends_today_oldest_first() -> None:
    s = summarize(history("2"), 2, TODAY, window=10)
    assert len(s.days) == 10
    assert s.days[-1].date == TODAY and s.days[0].date == days_ago(9)


pattern_st = st.text(alphabet="0123s", min_size=1, max_size=60)


@settings(max_examples=200, deadline=None)
@given(pattern=pattern_st, target=st.integers(1, 3), extra_day=st.integers(0, 59))
def test_logging_one_more_stretch_never_lowers_a_streak(pattern: str, target: int, extra_day: int) -> None:
    entries = history(pattern, target)
    before = summarize(entries, target, TODAY)
    after = summarize([*entries, stretch(days_ago(min(extra_day, len(pattern) - 1)), 20)], target, TODAY)
    assert after.current_streak >= before.current_streak
    assert after.best_streak >= before.best_streak
    assert after.score >= before.score - 1e-12


@settings(max_examples=200, deadline=None)
@given(pattern=pattern_st, target=st.integers(1, 3))
def test_bounds_hold_for_any_history(pattern: str, target: int) -> None:
    s = summarize(history(pattern, target), target, TODAY)
    for a in (s.adherence_7d, s.adherence_30d):
        assert a is None or 0.0 <= a <= 1.0
    assert 0.0 <= s.score <= 1.0
    assert 0 <= s.current_streak <= s.best_streak <= len(pattern)
    assert all(d.state in ("complete", "partial", "missed", "excused") for d in s.days)
