"""The guided session's steps and timings (pure core): what the user is told to do, and when."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stretchd.core import guide
from stretchd.core.routines import DEEP, GENTLE


class FakeClock:
    """Elapsed seconds under the test's control, read the way the runner reads a clock."""

    def __init__(self) -> None:
        self.t = 0.0

    def advance(self, seconds: float) -> float:
        self.t += seconds
        return self.t


def test_deep_is_position_hold_switch_hold_with_the_key_cues() -> None:
    plan = guide.build(DEEP, guide.Options(hold_seconds=45, position_seconds=10))
    assert [(s.kind, s.side, s.seconds) for s in plan.steps] == [
        ("position", "left", 10),
        ("hold", "left", 45),
        ("switch", "right", 10),
        ("hold", "right", 45),
    ]
    assert plan.starts == (0, 10, 55, 65)
    assert plan.total_seconds == 110
    position = plan.steps[0]
    for cue in ("90°", "not past the toes", "back knee down", "stomach tight", "not arching"):
        assert cue in position.cue + " " + position.detail
    assert "not arching" in plan.steps[1].detail
    assert [s.rings for s in plan.steps] == [False, False, True, False]  # the bell marks the switch only
    assert plan.notes == ()  # 45 s is within the routine's 30-60 s


def test_a_short_hold_is_allowed_for_practice_and_says_so() -> None:
    plan = guide.build(DEEP, guide.Options(hold_seconds=5, position_seconds=2))
    assert plan.total_seconds == 14
    assert len(plan.notes) == 1
    assert "Practice" in plan.notes[0]
    assert "30-60" in plan.notes[0]
    assert "longer than" in guide.build(DEEP, guide.Options(hold_seconds=90)).notes[0]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (guide.Options(hold_seconds=0), "--hold must be 1..600"),
        (guide.Options(hold_seconds=601), "--hold must be 1..600"),
        (guide.Options(breath_seconds=1.5), "--breath-seconds must be 2..30"),
        (guide.Options(breath_seconds=float("nan")), "--breath-seconds"),
        (guide.Options(position_seconds=-1), "--position must be 0..120"),
    ],
)
def test_out_of_bounds_timings_are_refused(options: guide.Options, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        guide.build(DEEP, options)


def test_gentle_is_ten_paced_breaths_per_side_for_three_rounds() -> None:
    plan = guide.build(GENTLE, guide.Options(breath_seconds=8.0, position_seconds=5))
    sides = [(s.round, s.side) for s in plan.steps if s.kind in ("position", "switch")]
    assert sides == [(1, "left"), (1, "right"), (2, "left"), (2, "right"), (3, "left"), (3, "right")]
    breaths = [s for s in plan.steps if s.kind.startswith("breathe")]
    assert len(breaths) == 6 * 10 * 2
    assert {s.seconds for s in breaths} == {4.0}  # half a breath in, half out
    first_side = [s for s in breaths if s.round == 1 and s.side == "left"]
    assert [s.kind for s in first_side[:4]] == ["breathe-in", "breathe-out", "breathe-in", "breathe-out"]
    assert [s.breath for s in first_side[::2]] == list(range(1, 11))
    assert first_side[0].cue == "Breathe in slowly (1/10)."
    assert plan.total_seconds == 6 * 5 + 6 * 10 * 8
    assert all("never pain" in s.detail for s in plan.steps)
    # The bell rings at each of the five switches, never during the breathing.
    assert sum(s.rings for s in plan.steps) == 5
    assert plan.notes == ()


def test_the_gentle_countdown_covers_a_sides_ten_breaths() -> None:
    plan = guide.build(GENTLE, guide.Options(breath_seconds=10.0, position_seconds=10))
    clock = FakeClock()
    p = plan.at(clock.advance(10 + 22))  # 2.2 breaths into the first side
    assert p.step is not None
    assert p.step.kind == "breathe-in"
    assert p.step.breath == 3
    assert p.phase_total == 100
    assert p.phase_remaining == pytest.approx(78)
    assert p.step_remaining == pytest.approx(3)
    assert plan.at(clock.advance(3)).step.kind == "breathe-out"  # type: ignore[union-attr]
    assert guide.phase_title(plan, p.step) == "Round 1 of 3, left side, 10 slow breaths"


def test_progress_follows_the_clock_through_a_deep_session() -> None:
    plan = guide.build(DEEP, guide.Options(hold_seconds=30, position_seconds=10))
    clock = FakeClock()
    seen = []
    for _ in range(80):
        p = plan.at(clock.t)
        seen.append((clock.t, p.index, guide.clock_text(p.phase_remaining)))
        clock.advance(1)
    assert seen[0] == (0, 0, "0:10")
    assert seen[9] == (9, 0, "0:01")
    assert seen[10] == (10, 1, "0:30")  # a step owns [start, end): the hold starts on the dot
    assert seen[39] == (39, 1, "0:01")
    assert seen[40] == (40, 2, "0:10")  # switch sides
    assert seen[50] == (50, 3, "0:30")
    end = plan.at(80)
    assert end.finished
    assert end.fraction == 1.0
    assert plan.at(79.5).step_remaining == pytest.approx(0.5)


def test_without_positioning_time_the_switch_is_still_a_step() -> None:
    plan = guide.build(DEEP, guide.Options(hold_seconds=3, position_seconds=0))
    assert [s.kind for s in plan.steps] == ["position", "hold", "switch", "hold"]
    assert plan.total_seconds == 6
    assert plan.at(0).step is not None
    assert plan.at(0).step.kind == "hold"  # zero-length steps are passed at once
    assert plan.at(3).index == 3


def test_clock_text_never_shows_zero_before_the_end() -> None:
    assert guide.clock_text(0.2) == "0:01"
    assert guide.clock_text(0) == "0:00"
    assert guide.clock_text(59.01) == "1:00"
    assert guide.clock_text(600) == "10:00"
    assert guide.duration_text(4.4) == "0:04"


@given(
    hold=st.integers(1, 600),
    position=st.integers(0, 120),
    breath=st.floats(2, 30),
    gentle=st.booleans(),
    times=st.lists(st.floats(0, 5000), min_size=2, max_size=20),
)
def test_progress_only_moves_forward_and_stays_within_its_step(
    hold: int, position: int, breath: float, gentle: bool, times: list[float]
) -> None:
    plan = guide.build(GENTLE if gentle else DEEP, guide.Options(hold, breath, position))
    last = -1
    for t in sorted(times):
        p = plan.at(t)
        assert p.index >= last
        last = p.index
        if p.step is not None:
            assert 0 < p.step_remaining <= p.step.seconds + 1e-9
            assert 0 <= p.phase_fraction <= 1
            assert p.phase_remaining >= p.step_remaining - 1e-9
        else:
            assert t >= plan.total_seconds - 1e-9


def test_option_defaults_are_the_config_defaults() -> None:
    from stretchd.config import SPEC_BY_KEY

    defaults = guide.Options()
    assert defaults.hold_seconds == SPEC_BY_KEY["guide.hold_seconds"].default
    assert defaults.breath_seconds == SPEC_BY_KEY["guide.breath_seconds"].default
    assert defaults.position_seconds == SPEC_BY_KEY["guide.position_seconds"].default
    # `guide deep --hold 1` with the default positioning ends within ~20 s (issue 6).
    plan = guide.build(DEEP, guide.Options(hold_seconds=1))
    assert plan.total_seconds <= 20
