"""Store-level reminder operations shared by the CLI and the daemon: snooze, pause, resume, status.

They work without a running daemon (the state persists in the store) and import nothing heavy.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from stretchd.config import Settings
from stretchd.core import slots
from stretchd.core.stats import active_pause, summarize
from stretchd.errors import UsageError
from stretchd.services import Context
from stretchd.store import new_uid

SNOOZE_KEY = "snooze_until"
SINCE_KEY = "reminders_since"
CAUTIONS_ACK_KEY = "cautions_acknowledged"
CAUTIONS_SHOWN_KEY = "cautions_shown_in_reminder"


def policy(settings: Settings) -> slots.Policy:
    return slots.Policy(
        grace=timedelta(minutes=settings["reminder.grace_minutes"]),
        nudge_every=timedelta(minutes=settings["reminder.nudge_minutes"]),
        max_nudges=settings["reminder.max_nudges"],
    )


def parse_stamp(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else None


def sent_records(docs: list[dict[str, Any]]) -> list[slots.Sent]:
    return [r for r in (slots.from_record(d) for d in docs) if r is not None]


def snooze(ctx: Context, length: timedelta) -> datetime:
    """No reminders until now + ``length``; then the open slot is reminded again."""
    if not timedelta(0) < length <= timedelta(hours=12):
        raise UsageError(f"snooze: at most 12 hours, got {length}")
    until = (ctx.now + length).replace(microsecond=0)
    with ctx.store.transaction() as txn:
        txn.set_state(SNOOZE_KEY, until.isoformat())
    return until


def pause(ctx: Context, until: datetime) -> datetime:
    """All reminders off from now until ``until`` (a "pause" entry; the days it covers are excused)."""
    if until <= ctx.now:
        raise UsageError(f"pause: {until.isoformat(timespec='minutes')} is not in the future")
    if until > ctx.now + timedelta(days=366):
        raise UsageError("pause: at most a year")
    from stretchd.core.model import Entry

    with ctx.store.transaction() as txn:
        txn.add(Entry(new_uid(), "pause", ctx.now.replace(microsecond=0), until=until.replace(microsecond=0)))
    return until


def resume(ctx: Context) -> bool:
    """End the active pause (its ``until`` becomes now) and any snooze; False if neither was on."""
    changed = False
    with ctx.store.transaction() as txn:
        active = active_pause(txn.entries(), ctx.now)
        if active is not None:
            txn.replace(active.with_(until=ctx.now.replace(microsecond=0)))
            changed = True
        snoozed = parse_stamp(txn.get_state(SNOOZE_KEY))
        if snoozed is not None and snoozed > ctx.now:
            changed = True
        if txn.get_state(SNOOZE_KEY) is not None:
            txn.set_state(SNOOZE_KEY, None)
    return changed


def status(ctx: Context, *, running: bool = False) -> dict[str, Any]:
    """What ``stretchd status`` shows, computed from the store (the daemon adds its live parts)."""
    view = ctx.view()
    entries = view.entries()
    settings = ctx.settings
    summary = summarize(entries, settings.daily_target, ctx.today, window=1)
    snooze_until = parse_stamp(view.get_state(SNOOZE_KEY))
    pause = active_pause(entries, ctx.now)
    nxt = []
    for s in slots.upcoming(ctx.now, settings.reminders, ctx.tz, count=len(settings.reminders) or 1):
        nxt.append({"slot": s.label, "routine": s.routine, "at": s.at.astimezone(ctx.tz).isoformat(),
                    "paused": pause is not None and pause.until is not None and s.at < pause.until})  # fmt: skip
    done = slots.satisfied(ctx.today, settings.reminders, ctx.tz, entries)
    today_slots = [
        {"slot": s.label, "routine": s.routine, "at": s.at.astimezone(ctx.tz).isoformat(), "done": s.label in done}
        for s in slots.slots_of_day(ctx.today, settings.reminders, ctx.tz)
    ]
    last = None
    for doc in reversed(view.records("sent")):
        if doc.get("outcome") is not None:
            last = {k: doc.get(k) for k in ("at", "kind", "slot", "outcome", "backend", "detail")}
            break
    return {
        "running": running,
        "pid": None,
        "next": nxt,
        "today": {
            "date": ctx.today.isoformat(),
            "done": summary.done_today,
            "target": summary.target,
            "streak": summary.current_streak,
            "slots": today_slots,
        },
        "snoozed_until": snooze_until.isoformat() if snooze_until and snooze_until > ctx.now else None,
        "paused_until": pause.until.isoformat() if pause is not None and pause.until is not None else None,
        "server": None,
        "last_delivery": last,
    }
