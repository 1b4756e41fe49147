"""The guided session as data: the steps of a routine, their cues and timings, and where a clock reading falls."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from stretchd.core.routines import Routine

StepKind = Literal["position", "hold", "breathe-in", "breathe-out", "switch"]
Side = Literal["left", "right"]
SIDES: tuple[Side, Side] = ("left", "right")

HOLD_LIMITS = (1, 600)  # seconds per side; the routine itself says 30-60
BREATH_LIMITS = (2.0, 30.0)  # seconds per breath (in and out)
POSITION_LIMITS = (0, 120)  # seconds to get into position or switch sides

DEEP_POSITION = "Front knee at about 90°, not past the toes; back knee down; stomach tight, back not arching."
DEEP_HOLD = "Stomach tight, back not arching; spine straight, front knee not past the toes. Breathe calmly."
GENTLE_FEEL = "A gentle stretch, never pain."


@dataclass(frozen=True)
class Options:
    """How long each part lasts (from the config, overridden on the command line)."""

    hold_seconds: int = 45
    breath_seconds: float = 10.0
    position_seconds: int = 8


@dataclass(frozen=True)
class Step:
    """One timed instruction. ``phase`` numbers runs of steps shown as one countdown (a side's breaths)."""

    kind: StepKind
    side: Side
    round: int  # 1-based
    seconds: float
    cue: str  # the instruction, short
    detail: str  # the key points to keep in mind during it
    phase: int
    breath: int | None = None  # gentle: which of the side's breaths, 1-based

    @property
    def rings(self) -> bool:
        """The bell (and the optional notification) marks a switch of sides."""
        return self.kind == "switch"


@dataclass(frozen=True)
class Plan:
    routine: Routine
    options: Options
    steps: tuple[Step, ...]
    starts: tuple[float, ...]  # offset of each step from the start, seconds
    notes: tuple[str, ...]  # said once before the start (e.g. a practice hold)

    @property
    def total_seconds(self) -> float:
        return self.starts[-1] + self.steps[-1].seconds if self.steps else 0.0

    @property
    def phases(self) -> int:
        return self.steps[-1].phase + 1 if self.steps else 0

    def phase_span(self, phase: int) -> tuple[float, float]:
        """Start and end offsets of a phase."""
        idx = [i for i, s in enumerate(self.steps) if s.phase == phase]
        return self.starts[idx[0]], self.starts[idx[-1]] + self.steps[idx[-1]].seconds

    def at(self, elapsed: float) -> Progress:
        """Where the session is ``elapsed`` seconds after its start."""
        return progress(self, elapsed)


@dataclass(frozen=True)
class Progress:
    index: int  # current step; len(steps) when finished
    step: Step | None
    step_remaining: float
    phase_elapsed: float
    phase_total: float
    elapsed: float
    total: float

    @property
    def finished(self) -> bool:
        return self.step is None

    @property
    def phase_remaining(self) -> float:
        return max(0.0, self.phase_total - self.phase_elapsed)

    @property
    def phase_fraction(self) -> float:
        return 1.0 if self.phase_total <= 0 else min(1.0, self.phase_elapsed / self.phase_total)

    @property
    def fraction(self) -> float:
        return 1.0 if self.total <= 0 else min(1.0, self.elapsed / self.total)


def other(side: Side) -> Side:
    return "right" if side == "left" else "left"


def check_options(options: Options) -> None:
    """ValueError naming the option when a timing is out of bounds."""
    lo, hi = HOLD_LIMITS
    if not lo <= options.hold_seconds <= hi:
        raise ValueError(f"--hold must be {lo}..{hi} seconds, got {options.hold_seconds}")
    blo, bhi = BREATH_LIMITS
    if not (math.isfinite(options.breath_seconds) and blo <= options.breath_seconds <= bhi):
        raise ValueError(f"--breath-seconds must be {blo:g}..{bhi:g}, got {options.breath_seconds:g}")
    plo, phi = POSITION_LIMITS
    if not plo <= options.position_seconds <= phi:
        raise ValueError(f"--position must be {plo}..{phi} seconds, got {options.position_seconds}")


def _deep(routine: Routine, o: Options) -> list[Step]:
    steps: list[Step] = []
    for rnd in range(1, routine.rounds + 1):
        for side in SIDES:
            first = not steps
            stance = f"{side} knee down behind you, {other(side)} foot forward"
            steps.append(
                Step(
                    "position" if first else "switch",
                    side,
                    rnd,
                    float(o.position_seconds),
                    f"{'Kneel in a lunge' if first else 'Now the other side'}: {stance}.",
                    DEEP_POSITION,
                    len(steps),
                )
            )
            steps.append(
                Step(
                    "hold",
                    side,
                    rnd,
                    float(o.hold_seconds),
                    f"Hold: lower slowly until you feel it at the front of the {side} hip.",
                    DEEP_HOLD,
                    len(steps),
                )
            )
    return steps


_BREATH: tuple[tuple[StepKind, str], ...] = (("breathe-in", "in"), ("breathe-out", "out"))


def _gentle(routine: Routine, o: Options) -> list[Step]:
    steps: list[Step] = []
    breaths = routine.hold_breaths or 10
    half = o.breath_seconds / 2
    phase = 0
    for rnd in range(1, routine.rounds + 1):
        for side in SIDES:
            first = not steps
            move = f"draw your {side} knee towards your chest, {other(side)} leg long on the floor"
            if first:
                cue = f"Lie on your back and {move}."
                detail = "Pelvis neutral, shoulder blades flat, spine and head in one line. " + GENTLE_FEEL
            else:
                cue = f"Now the other side: {move[0].upper()}{move[1:]}."
                detail = f"Round {rnd} of {routine.rounds}. " + GENTLE_FEEL
            steps.append(
                Step("position" if first else "switch", side, rnd, float(o.position_seconds), cue, detail, phase)
            )
            phase += 1
            for n in range(1, breaths + 1):
                for kind, word in _BREATH:
                    steps.append(
                        Step(
                            kind,
                            side,
                            rnd,
                            half,
                            f"Breathe {word} slowly ({n}/{breaths}).",
                            f"{side.capitalize()} knee to your chest. " + GENTLE_FEEL,
                            phase,
                            breath=n,
                        )
                    )
            phase += 1
    return steps


def build(routine: Routine, options: Options) -> Plan:
    """The session for ``routine``; ValueError when an option is out of bounds."""
    check_options(options)
    steps = _deep(routine, options) if routine.hold_breaths is None else _gentle(routine, options)
    starts: list[float] = []
    t = 0.0
    for s in steps:
        starts.append(t)
        t += s.seconds
    notes: list[str] = []
    if routine.hold_breaths is None:
        lo, hi = routine.hold_seconds
        if options.hold_seconds < lo:
            notes.append(
                f"Practice: a hold of {options.hold_seconds} s is shorter than the routine's {lo}-{hi} s; "
                "hold longer when you stretch for real."
            )
        elif options.hold_seconds > hi:
            notes.append(f"A hold of {options.hold_seconds} s is longer than the routine's {lo}-{hi} s.")
    return Plan(routine, options, tuple(steps), tuple(starts), tuple(notes))


def progress(plan: Plan, elapsed: float) -> Progress:
    """The step and countdowns at ``elapsed`` seconds; a step owns [start, start + seconds)."""
    elapsed = max(0.0, elapsed)
    total = plan.total_seconds
    index = len(plan.steps)
    for i, (start, step) in enumerate(zip(plan.starts, plan.steps, strict=True)):
        if elapsed < start + step.seconds:
            index = i
            break
    if index == len(plan.steps):
        return Progress(index, None, 0.0, 0.0, 0.0, min(elapsed, total), total)
    step = plan.steps[index]
    p_start, p_end = plan.phase_span(step.phase)
    return Progress(
        index,
        step,
        plan.starts[index] + step.seconds - elapsed,
        elapsed - p_start,
        p_end - p_start,
        elapsed,
        total,
    )


def clock_text(seconds: float) -> str:
    """Remaining time as M:SS, rounded up so a countdown shows 0:00 only when it is over."""
    whole = max(0, math.ceil(seconds - 1e-9))
    return f"{whole // 60}:{whole % 60:02d}"


def duration_text(seconds: float) -> str:
    """A measured duration as M:SS, rounded to the nearest second."""
    whole = max(0, round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def phase_title(plan: Plan, step: Step) -> str:
    """A heading such as "Left side, hold" or "Round 2 of 3, right side, breathing"."""
    what = {"position": "get into position", "switch": "switch sides", "hold": "hold"}.get(step.kind, "10 slow breaths")
    if step.kind in ("breathe-in", "breathe-out") and plan.routine.hold_breaths:
        what = f"{plan.routine.hold_breaths} slow breaths"
    head = f"{step.side.capitalize()} side, {what}"
    if plan.routine.rounds > 1:
        head = f"Round {step.round} of {plan.routine.rounds}, {step.side} side, {what}"
    return head
