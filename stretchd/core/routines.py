"""The built-in stretch routines and the safety cautions, from ROUTINES.md in our own words."""

from __future__ import annotations

from typing import NamedTuple


class Routine(NamedTuple):
    """A built-in routine: how to do it, in steps, with its holds and rounds."""

    id: str
    name: str
    position: str
    steps: tuple[str, ...]
    hold: str  # how long, in words
    hold_seconds: tuple[int, int]  # the routine's range for one hold
    hold_breaths: int | None  # gentle routine holds by breaths
    rounds: int  # rounds of both sides
    sides: str
    summary: str  # one line for a reminder
    feel: str


CAUTIONS: tuple[str, ...] = (
    "Check with a medical professional before you start psoas stretches: for some people they "
    "do more harm than good. One clinician's view: a problem in the sacroiliac joint (SIJ) can "
    "make the psoas tight, fixing the joint loosens it, and stretching the psoas can make that "
    "joint problem worse.",
    "See a doctor if the pain continues, gets worse, or changes.",
    "Stretch only to a gentle pull, never into pain. Stop if it hurts.",
)

GENTLE = Routine(
    id="gentle",
    name="Gentle psoas stretch (lying down)",
    position="Lie on your back on the floor.",
    steps=(
        "Lie on your back on the floor: pelvis neutral, shoulder blades flat on the floor, "
        "spine and head in one long, straight line.",
        "Draw one knee up towards your chest; keep the other leg stretched out along the floor.",
        "Breathe deeply and evenly and hold for 10 breaths.",
        "Change sides and repeat.",
        "Do 3 rounds: each side 3 times.",
    ),
    hold="10 breaths",
    hold_seconds=(30, 60),
    hold_breaths=10,
    rounds=3,
    sides="each side",
    summary="Lie on your back, draw one knee to your chest, hold 10 slow breaths, switch sides; 3 rounds.",
    feel="You should feel a gentle stretch, never pain.",
)

DEEP = Routine(
    id="deep",
    name="Deep psoas stretch (kneeling lunge)",
    position="Kneel in a lunge.",
    steps=(
        "Step into a lunge: front knee bent so thigh and calf make about a right angle (90°), "
        "the other leg stretched out behind you with its knee resting on the floor.",
        "Slowly lower yourself into the stretch until you feel it at the front of the hip on the side of the back leg.",
        "Tighten your stomach muscles as you come forward so your lower back does not arch "
        "more: the psoas links the back to the front of the hip.",
        "Keep your spine straight, and keep the front knee from going past your toes.",
        "Hold for 30 to 60 seconds, then change sides.",
    ),
    hold="30-60 seconds",
    hold_seconds=(30, 60),
    hold_breaths=None,
    rounds=1,
    sides="each side",
    summary="Kneeling lunge, stomach tight, back not arching; hold 30-60 s each side.",
    feel="You should feel a stretch at the front of the hip, never pain.",
)

ROUTINES: dict[str, Routine] = {r.id: r for r in (DEEP, GENTLE)}
ROUTINE_IDS: tuple[str, ...] = tuple(ROUTINES)

ADVICE = (
    "Stretch twice a day, and when your back hurts. A regular routine that includes "
    "stretching, such as Pilates or yoga, helps keep the psoas aligned, strong and flexible."
)

ABOUT_PSOAS = (
    "The psoas is a pair of muscles, one on each side of the lower spine. Each runs from the "
    "lower back through the pelvis to the top of the thigh bone, and bends you at the hip. "
    "A tight psoas is a common source of low-back and hip pain; gentle, regular stretching "
    "keeps it long and flexible."
)


def get(routine_id: str) -> Routine:
    """The routine with this id; KeyError names the valid ids."""
    try:
        return ROUTINES[routine_id]
    except KeyError:
        raise KeyError(f"unknown routine {routine_id!r} (choose from: {', '.join(ROUTINE_IDS)})") from None
