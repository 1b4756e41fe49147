"""The text of reminder notifications: which routine, how, today's progress, and the cautions once."""

from __future__ import annotations

from stretchd.core import routines
from stretchd.core.slots import Due
from stretchd.core.stats import Summary
from stretchd.notify import Notification

CAUTION_LINE = (
    "First check with a medical professional that psoas stretches suit you. "
    "Stretch to a gentle pull, never into pain (details: stretchd routines)."
)


def actions(snooze_minutes: int) -> tuple[tuple[str, str], ...]:
    return (("done", "Done"), ("snooze", f"Snooze {snooze_minutes} min"), ("skip", "Skip"))


def summary_line(due: Due) -> str:
    label = due.slot.label
    if due.action == "catch-up":
        return f"Missed at {label}: time for your psoas stretch"
    if due.action == "nudge":
        return f"Still open: your {label} psoas stretch"
    if due.action == "snoozed":
        return f"Snoozed: your {label} psoas stretch"
    return f"Time to stretch ({label})"


def reminder(due: Due, progress: Summary, *, snooze_minutes: int, expire_minutes: int, buttons: bool,
             caution: bool, replaces_id: int = 0) -> Notification:  # fmt: skip
    """The notification for one due reminder; ``buttons`` says whether the server shows actions."""
    r = routines.get(due.slot.routine)
    streak = f"{progress.current_streak} day{'' if progress.current_streak == 1 else 's'}"
    lines = [
        f"{r.name}: {r.summary}",
        f"Today {progress.done_today}/{progress.target}, streak {streak}.",
        ("Press Done when finished" if buttons else "Log it with: stretchd done") + f", or run: stretchd guide {r.id}",
    ]
    if caution:
        lines.append(CAUTION_LINE)
    return Notification(
        summary=summary_line(due),
        body="\n".join(lines),
        actions=actions(snooze_minutes),
        urgency=1,
        expire_ms=expire_minutes * 60 * 1000,
        replaces_id=replaces_id,
        category="x-stretchd.reminder",
    )
