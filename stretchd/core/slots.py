"""Reminder slots and what is due when: the daemon's whole decision logic, with time as an argument.

A *slot* is one reminder time on one local date; its identity is ``(day, label)`` so that a
wall time that happens twice on a DST fall-back day is still one slot (it fires at the first
occurrence), and one that does not exist on a spring-forward day moves forward past the gap.

Every wake-up of the daemon asks :func:`decide` what to do at ``now`` and records what it
sent; :func:`decide` reads those records, so asking twice never sends twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Literal, Protocol

from stretchd.core.model import Entry
from stretchd.core.stats import active_pause
from stretchd.core.timeparse import at_local, format_clock

WINDOW_LEAD = timedelta(hours=1)  # a stretch this long before a slot already counts for it
ON_TIME = timedelta(minutes=2)  # later than this after the slot, a reminder says "missed at ..."
RETRY_AFTER = timedelta(minutes=10)  # a failed delivery is tried again after this (or when a server appears)

UTC = timezone.utc
Action = Literal["reminder", "catch-up", "nudge", "snoozed", "missed"]
SENDING_KINDS = ("reminder", "catch-up", "nudge", "snoozed")
DELIVERED = "delivered"


class ReminderSpec(Protocol):
    """A configured reminder time (config.Reminder satisfies it)."""

    @property
    def time(self) -> time: ...

    @property
    def routine(self) -> str: ...


@dataclass(frozen=True)
class Slot:
    day: date  # the local date the slot belongs to
    label: str  # "08:00" or "08:00:30": the configured wall time
    routine: str
    at: datetime  # the instant it fires (UTC)
    end: datetime  # (UTC) the next slot's instant (the end of its window and of its nudges)

    @property
    def key(self) -> tuple[str, str]:
        return (self.day.isoformat(), self.label)

    @property
    def window_start(self) -> datetime:
        return self.at - WINDOW_LEAD


@dataclass(frozen=True)
class Sent:
    """One record of the daemon's "sent" table, as the core needs it."""

    day: str  # ISO date
    slot: str  # label
    kind: str  # an Action, "skipped" (the Skip button), or "notify" (another feature's message)
    at: datetime
    outcome: str | None = None  # delivered | no-server | error; None for missed/skipped
    snooze_until: str | None = None  # for kind "snoozed": which snooze it answered

    @property
    def key(self) -> tuple[str, str]:
        return (self.day, self.slot)


@dataclass(frozen=True)
class Policy:
    grace: timedelta = timedelta(minutes=180)
    nudge_every: timedelta = timedelta(minutes=30)
    max_nudges: int = 2
    retry_after: timedelta = RETRY_AFTER


@dataclass(frozen=True)
class Due:
    """One thing to do now: send a notification of ``action`` for ``slot``, or record it missed."""

    slot: Slot
    action: Action
    nudge: int = 0  # 1-based number of the nudge
    snooze_until: str | None = None


@dataclass(frozen=True)
class Decision:
    due: tuple[Due, ...]
    next_wakeup: datetime | None  # the next instant something may become due (besides new slots)


# ---------------------------------------------------------------- slots and windows


def slots_of_day(day: date, reminders: Sequence[ReminderSpec], tz: tzinfo) -> list[Slot]:
    """The slots of ``day`` in time order; ``end`` of the last one is the next day's first slot."""
    ordered = sorted(reminders, key=lambda r: r.time)
    if not ordered:
        return []
    # In UTC: aware datetimes sharing one zone object compare by wall time, wrong on DST days.
    starts = [at_local(day, r.time, tz).astimezone(UTC) for r in ordered]
    starts.append(at_local(day + timedelta(days=1), ordered[0].time, tz).astimezone(UTC))
    return [
        Slot(day, format_clock(r.time), r.routine, starts[i], max(starts[i + 1], starts[i]))
        for i, r in enumerate(ordered)
    ]


def slots_between(start: date, end: date, reminders: Sequence[ReminderSpec], tz: tzinfo) -> list[Slot]:
    out: list[Slot] = []
    d = start
    while d <= end:
        out += slots_of_day(d, reminders, tz)
        d += timedelta(days=1)
    return out


def satisfied(day: date, reminders: Sequence[ReminderSpec], tz: tzinfo, entries: Iterable[Entry]) -> dict[str, Entry]:
    """Which slot of ``day`` each logged stretch satisfies: label -> stretch.

    A stretch satisfies the earliest not-yet-satisfied slot of that day whose window (an hour
    before it until the next slot's time; the last one until the end of the day) holds it.
    """
    slots = slots_of_day(day, reminders, tz)
    day_end = at_local(day + timedelta(days=1), time(0), tz).astimezone(UTC)
    stretches = sorted((e for e in entries if e.kind == "stretch" and e.local_date() == day), key=lambda e: e.at)
    done: dict[str, Entry] = {}
    for e in stretches:
        for i, s in enumerate(slots):
            if s.label in done:
                continue
            end = slots[i + 1].at if i + 1 < len(slots) else day_end
            if s.window_start <= e.at < end:
                done[s.label] = e
                break
    return done


def current_slot(now: datetime, reminders: Sequence[ReminderSpec], tz: tzinfo) -> Slot | None:
    """The slot that has begun most recently at ``now`` (its nudges and snoozes belong to it)."""
    today = now.astimezone(tz).date()
    begun = [s for s in slots_between(today - timedelta(days=1), today, reminders, tz) if s.at <= now]
    return begun[-1] if begun else None


def upcoming(now: datetime, reminders: Sequence[ReminderSpec], tz: tzinfo, count: int = 3) -> list[Slot]:
    """The next ``count`` slots that begin after ``now``."""
    today = now.astimezone(tz).date()
    future = [s for s in slots_between(today, today + timedelta(days=2), reminders, tz) if s.at > now]
    return future[:count]


# ---------------------------------------------------------------- what is due


def _closed_days(entries: Sequence[Entry]) -> set[date]:
    return {e.local_date() for e in entries if e.kind == "skip"}


def _paused_at(entries: Sequence[Entry], instant: datetime) -> bool:
    return active_pause(entries, instant) is not None


def decide(
    now: datetime,
    reminders: Sequence[ReminderSpec],
    tz: tzinfo,
    entries: Sequence[Entry],
    sent: Sequence[Sent],
    policy: Policy,
    snooze_until: datetime | None = None,
    *,
    retry_failed_now: bool = False,
    since: datetime | None = None,
) -> Decision:
    """What to do at ``now``. Idempotent: once the caller records each Due, asking again yields nothing.

    Only the slot begun most recently can be reminded; earlier slots that were never reminded
    are recorded as missed (no bursts); slots before ``since`` (when reminders were first turned
    on) are not judged at all. A slot is closed by a stretch that satisfies it, a Skip
    (button) record, an excused day (``stretchd skip``), or a pause covering its time.
    """
    today = now.astimezone(tz).date()
    now = now.astimezone(UTC)
    slots = slots_between(today - timedelta(days=1), today + timedelta(days=1), reminders, tz)
    begun = [s for s in slots if s.at <= now and (since is None or s.at >= since)]
    wakeups: list[datetime] = [s.at for s in slots if s.at > now]
    by_slot: dict[tuple[str, str], list[Sent]] = {}
    for r in sent:
        by_slot.setdefault(r.key, []).append(r)
    sat_cache: dict[date, dict[str, Entry]] = {}
    closed_days = _closed_days(entries)
    paused_now = _paused_at(entries, now)
    pause = active_pause(entries, now)
    if pause is not None and pause.until is not None:
        wakeups.append(pause.until)
    snoozed = snooze_until is not None and now < snooze_until
    if snoozed and snooze_until is not None:
        wakeups.append(snooze_until)

    def is_closed(s: Slot) -> bool:
        if s.day in closed_days or _paused_at(entries, s.at):
            return True
        if s.day not in sat_cache:
            sat_cache[s.day] = satisfied(s.day, reminders, tz, entries)
        if s.label in sat_cache[s.day]:
            return True
        return any(r.kind in ("skipped", "missed") for r in by_slot.get(s.key, []))

    due: list[Due] = []
    for i, s in enumerate(begun):
        records = by_slot.get(s.key, [])
        latest = i == len(begun) - 1
        if is_closed(s):
            continue
        delivered = [r for r in records if r.kind in SENDING_KINDS and r.outcome == DELIVERED]
        if not latest:
            if not delivered:
                due.append(Due(s, "missed"))
            continue
        if paused_now:
            continue
        if not delivered:
            if now - s.at > policy.grace:
                due.append(Due(s, "missed"))
                continue
            failed = [r for r in records if r.kind in SENDING_KINDS]
            if snoozed:
                continue
            if failed and not retry_failed_now:
                retry_at = max(r.at for r in failed) + policy.retry_after
                if now < retry_at:
                    wakeups.append(retry_at)
                    continue
            due.append(Due(s, "reminder" if now - s.at <= ON_TIME else "catch-up"))
            continue
        # Reminded and still open: a snooze answer, else nudges, never after the next slot began.
        if now >= s.end:
            continue
        if snoozed:
            continue
        if snooze_until is not None and snooze_until > s.at:
            marker = snooze_until.isoformat()
            answered = any(r.kind == "snoozed" and r.snooze_until == marker for r in records)
            last_sent = max(r.at for r in delivered)
            if not answered and last_sent < snooze_until:
                due.append(Due(s, "snoozed", snooze_until=marker))
                continue
        nudges = [r for r in records if r.kind == "nudge" and r.outcome == DELIVERED]
        if len(nudges) >= policy.max_nudges:
            continue
        last = max((r for r in records if r.kind in SENDING_KINDS), key=lambda r: r.at)
        at = last.at + (policy.nudge_every if last.outcome == DELIVERED else policy.retry_after)
        if at >= s.end:
            continue
        if now >= at or (retry_failed_now and last.outcome != DELIVERED):
            due.append(Due(s, "nudge", nudge=len(nudges) + 1))
        else:
            wakeups.append(at)
    future = [w for w in wakeups if w > now]
    return Decision(tuple(due), min(future) if future else None)


def to_record(d: Due, now: datetime, outcome: str | None) -> dict[str, object]:
    """The "sent" document for a Due (the store layer adds delivery details)."""
    doc: dict[str, object] = {"day": d.slot.day.isoformat(), "slot": d.slot.label, "kind": d.action,
                              "at": now.isoformat(), "outcome": outcome, "slot_at": d.slot.at.isoformat()}  # fmt: skip
    if d.snooze_until is not None:
        doc["snooze_until"] = d.snooze_until
    return doc


def from_record(doc: dict[str, object]) -> Sent | None:
    """A stored "sent" document, or None for one the core does not understand."""
    try:
        at = datetime.fromisoformat(str(doc["at"]))
        outcome = doc.get("outcome")
        until = doc.get("snooze_until")
        return Sent(str(doc["day"]), str(doc["slot"]), str(doc["kind"]), at,
                    None if outcome is None else str(outcome), None if until is None else str(until))  # fmt: skip
    except (KeyError, ValueError, TypeError):
        return None
