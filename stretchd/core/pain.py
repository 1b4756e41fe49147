"""Pain reports: advice, the three warning rules, follow-up check-ins, episode links and pain stats.

Everything here is pure: entries, ``now``/``today`` and the thresholds come in as arguments.

Definitions (documented in the README section of this feature):

- A day's pain is the **daily maximum** of the pain reports logged on that calendar day (the
  entry's own local date). Averages, the sparkline, the trend and the "grows worse" rule all
  work on daily maxima, so three follow-ups on one bad day do not outweigh the rest of the week.
- A **pain episode** is one pain report (``episode`` is None) plus the follow-up answer that
  names it in ``episode``. A stretch logged within ``follow_up_minutes`` after a report is linked
  to that report's episode.
- A **warning** rule is evaluated for each day; a warning episode is the run of consecutive
  days, ending today, on which the rule holds. Its key is ``<rule>:<first day of the run>``,
  so it stays the same while the run lasts and a new key appears only when the rule fires again
  after a break. That key is what "shown once" and ``warnings --ack`` remember.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal, Protocol

from stretchd.core.episodes import pain_reports
from stretchd.core.model import Entry
from stretchd.core.routines import CAUTIONS, Routine, get

Rule = Literal["continues", "worse", "changes"]
Trend = Literal["rising", "falling", "flat"]

RECENT_DAYS = 3  # "the average of the last 3 days ..."
BEFORE_DAYS = 4  # "... exceeds that of the 4 days before"
FIRST_TIME_AREAS: tuple[str, ...] = ("leg", "groin")  # pain here for the first time is a change
TREND_DAYS = 7  # the stats trend compares the last 7 days with the 7 before
TREND_STEP = 1.0  # a difference of daily-maximum averages below this is "flat"
SPARK_DAYS = 14
EFFECT_MIN_PAIRS = 3  # stretches with a before and an after level needed to show the effect
FOLLOW_UP_LEVELS: tuple[int, ...] = (0, 2, 4, 6, 8)
EPSILON = 1e-9  # averages such as 10/3 are compared with a tolerance, so 2.0 means 2.0

SEEK = "Please seek medical attention."
GENTLE_ONLY = "Stretch only to a gentle pull, never into pain; stop if it hurts."


class Lookup(Protocol):
    def __getitem__(self, key: str) -> Any: ...


@dataclass(frozen=True)
class PainRules:
    """The pain thresholds (config ``pain.*``)."""

    severe: int = 7
    follow_up_minutes: int = 60
    continues_level: int = 3
    continues_days: int = 5
    continues_window_days: int = 7
    worse_level: int = 8
    worse_delta: float = 2.0
    changes_lookback_days: int = 30

    @classmethod
    def from_settings(cls, settings: Lookup) -> PainRules:
        return cls(
            severe=int(settings["pain.severe"]),
            follow_up_minutes=int(settings["pain.follow_up_minutes"]),
            continues_level=int(settings["pain.continues_level"]),
            continues_days=int(settings["pain.continues_days"]),
            continues_window_days=int(settings["pain.continues_window_days"]),
            worse_level=int(settings["pain.worse_level"]),
            worse_delta=float(settings["pain.worse_delta"]),
            changes_lookback_days=int(settings["pain.changes_lookback_days"]),
        )


# ---------------------------------------------------------------- advice


@dataclass(frozen=True)
class Advice:
    level: int
    severe: bool
    routine: Routine
    lines: tuple[str, ...]  # what to keep in mind, cautions included


def advice(level: int, rules: PainRules) -> Advice:
    """Which routine to do now: ``deep`` below ``severe``, only ``gentle`` at or above it."""
    if level >= rules.severe:
        return Advice(
            level,
            True,
            get("gentle"),
            (
                f"Your pain is {level}/10: do only the gentle lying-down stretch now, not the deep lunge.",
                GENTLE_ONLY,
                CAUTIONS[1],
            ),
        )
    return Advice(level, False, get("deep"), (GENTLE_ONLY,))


# ---------------------------------------------------------------- daily values


def daily_max(reports: Iterable[Entry]) -> dict[date, int]:
    out: dict[date, int] = {}
    for e in reports:
        if e.level is None:
            continue
        day = e.local_date()
        out[day] = max(out.get(day, e.level), e.level)
    return out


def _days(end: date, n: int) -> list[date]:
    """The ``n`` days ending with ``end``, oldest first."""
    return [end - timedelta(days=i) for i in range(n - 1, -1, -1)]


def window_average(daily: Mapping[date, int], end: date, n: int) -> float | None:
    """Mean of the daily maxima of the days with a report among the ``n`` days ending ``end``."""
    values = [daily[d] for d in _days(end, n) if d in daily]
    return sum(values) / len(values) if values else None


# ---------------------------------------------------------------- warning rules


@dataclass(frozen=True)
class PainWarning:
    rule: Rule
    key: str  # "<rule>:<first day of the run>", stable while the run lasts
    since: date
    message: str  # one paragraph, always telling the user to seek medical attention
    detail: str  # the numbers that made it fire

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "key": self.key, "since": self.since.isoformat(),
                "message": self.message, "detail": self.detail}  # fmt: skip


def continues_on(daily: Mapping[date, int], day: date, rules: PainRules) -> int | None:
    """Days with pain >= continues_level in the window ending ``day``, if that reaches continues_days."""
    n = sum(1 for d in _days(day, rules.continues_window_days) if daily.get(d, -1) >= rules.continues_level)
    return n if n >= rules.continues_days else None


def worse_on(daily: Mapping[date, int], day: date, rules: PainRules) -> str | None:
    """Why the "grows worse" rule holds on ``day`` (None if it does not).

    Holds when a daily maximum in the last RECENT_DAYS days reached ``worse_level``, or when the
    average of the daily maxima of the last RECENT_DAYS days exceeds that of the BEFORE_DAYS days
    before by ``worse_delta`` or more (days without a report are left out of an average; each
    window needs at least one reported day).
    """
    recent = _days(day, RECENT_DAYS)
    high = [daily[d] for d in recent if daily.get(d, -1) >= rules.worse_level]
    if high:
        return f"a report of {max(high)}/10 in the last {RECENT_DAYS} days"
    now_avg = window_average(daily, day, RECENT_DAYS)
    before_avg = window_average(daily, day - timedelta(days=RECENT_DAYS), BEFORE_DAYS)
    if now_avg is not None and before_avg is not None and now_avg - before_avg >= rules.worse_delta - EPSILON:
        return (
            f"average {now_avg:.1f}/10 over the last {RECENT_DAYS} days against {before_avg:.1f}/10 "
            f"in the {BEFORE_DAYS} days before"
        )
    return None


def changed_reports(reports: Sequence[Entry], rules: PainRules) -> list[tuple[Entry, str]]:
    """Reports that count as a change, with the reason.

    A report changes the picture when its area was not reported in the ``changes_lookback_days``
    before it although other areas were (with no report at all in that window there is nothing
    to compare with), or when it is the first report ever in ``leg`` or ``groin``.
    """
    out: list[tuple[Entry, str]] = []
    lookback = timedelta(days=rules.changes_lookback_days)
    seen_ever: set[str] = set()
    in_window: dict[str, int] = {}  # area -> reports in the lookback window before reports[i]
    lo = 0
    for i, r in enumerate(reports):
        while lo < i and reports[lo].at < r.at - lookback:  # a sliding window: linear, not quadratic
            gone = reports[lo].area or "lower-back"
            in_window[gone] -= 1
            lo += 1
        area = r.area or "lower-back"
        if area in FIRST_TIME_AREAS and area not in seen_ever:
            out.append((r, f"first report of pain in the {area}"))
        elif i > lo and in_window.get(area, 0) == 0:
            out.append((r, f"pain in the {area}, not reported in the {rules.changes_lookback_days} days before"))
        seen_ever.add(area)
        in_window[area] = in_window.get(area, 0) + 1
    return out


def _changes_on(changed: Mapping[date, str], day: date) -> str | None:
    """The rule holds for RECENT_DAYS days from the day of a changed report (the latest reason wins)."""
    hits = [changed[d] for d in _days(day, RECENT_DAYS) if d in changed]
    return hits[-1] if hits else None


def evaluate(entries: Iterable[Entry], now: datetime, rules: PainRules) -> list[PainWarning]:
    """The warnings whose rule holds today, each with the key of its current run."""
    reports = pain_reports(entries, until=now)
    if not reports:
        return []
    today = now.date()
    daily = daily_max(reports)
    changed = {r.local_date(): why for r, why in changed_reports(reports, rules)}
    first = min(daily)

    def check(rule: Rule, day: date) -> str | None:
        if rule == "continues":
            n = continues_on(daily, day, rules)
            if n is None:
                return None
            return f"pain of {rules.continues_level}/10 or more on {n} of the last {rules.continues_window_days} days"
        if rule == "worse":
            return worse_on(daily, day, rules)
        return _changes_on(changed, day)

    messages = {
        "continues": "Your pain keeps coming back: it continues day after day.",
        "worse": "Your pain is getting worse.",
        "changes": "Your pain has changed: it is in a new place.",
    }
    out: list[PainWarning] = []
    rule: Rule
    for rule in ("continues", "worse", "changes"):
        detail = check(rule, today)
        if detail is None:
            continue
        start = today
        # No rule holds before the first report, so the trace ends (and the key is exact).
        while start > first and check(rule, start - timedelta(days=1)) is not None:
            start -= timedelta(days=1)
        out.append(PainWarning(rule, f"{rule}:{start.isoformat()}", start, f"{messages[rule]} {SEEK}", detail))
    return out


# ---------------------------------------------------------------- follow-up and episodes


@dataclass(frozen=True)
class FollowUp:
    key: str  # "followup:<pain report uid>": record it once sent
    report_uid: str
    report_at: datetime
    due_at: datetime
    level: int
    area: str


@dataclass(frozen=True)
class Message:
    """Notification content (the service layer turns it into a Notification)."""

    summary: str
    body: str
    actions: tuple[tuple[str, str], ...] = ()


def follow_up_key(report_uid: str) -> str:
    return f"followup:{report_uid}"


def pending_follow_up(entries: Iterable[Entry], minutes: int, sent_keys: Iterable[str]) -> FollowUp | None:
    """The follow-up still to send (due now or later), or None.

    Only the latest pain report can be waiting: any later pain report (its answer or a new
    report) already says how the back feels. Off when ``minutes`` is 0.
    """
    if minutes <= 0:
        return None
    reports = pain_reports(entries)
    if not reports:
        return None
    last = reports[-1]
    if last.episode is not None or last.level is None:
        return None  # the latest one is an answer: nothing is open
    key = follow_up_key(last.uid)
    if key in set(sent_keys):
        return None
    return FollowUp(key, last.uid, last.at, last.at + timedelta(minutes=minutes), last.level, last.area or "lower-back")


def due_follow_up(
    entries: Iterable[Entry], now: datetime, minutes: int, sent_keys: Iterable[str], grace_minutes: int = 180
) -> FollowUp | None:
    """The follow-up to send at ``now``: due, not answered, not sent, and not older than the grace."""
    fu = pending_follow_up(entries, minutes, sent_keys)
    if fu is None or now < fu.due_at or now > fu.due_at + timedelta(minutes=grace_minutes):
        return None
    return fu


def open_episode(entries: Iterable[Entry], at: datetime, minutes: int, area: str | None) -> Entry | None:
    """The report a new pain report at ``at`` answers, if any.

    It answers the latest report when that one is an original report (not an answer), was made
    before ``at`` and at most twice ``minutes`` earlier (the follow-up window and as long again to
    answer), and ``area`` is None (not given) or the same area. Off when ``minutes`` is 0.
    """
    if minutes <= 0:
        return None
    reports = [r for r in pain_reports(entries) if r.at < at]
    if not reports:
        return None
    last = reports[-1]
    if last.episode is not None or at - last.at > timedelta(minutes=2 * minutes):
        return None
    if area is not None and area != (last.area or "lower-back"):
        return None
    return last


def follow_up_answer(report: Entry, *, uid: str, level: int, at: datetime, source: str = "cli",
                     note: str | None = None) -> Entry:  # fmt: skip
    """The pain entry that records the after-level of ``report``'s episode."""
    return Entry(uid=uid, kind="pain", at=at, level=level, area=report.area or "lower-back",
                 note=note, episode=report.uid, source=source)  # fmt: skip


def parse_action_key(key: str) -> int | None:
    """The level of a follow-up button key such as ``pain:4``; None for any other key."""
    prefix, _, rest = key.partition(":")
    if prefix != "pain" or not rest.isdigit():
        return None
    level = int(rest)
    return level if 0 <= level <= 10 else None


def _minutes_text(minutes: int) -> str:
    if minutes % 60 == 0:
        hours = minutes // 60
        return "an hour" if hours == 1 else f"{hours} hours"
    return f"{minutes} minutes"


def follow_up_message(fu: FollowUp, minutes: int) -> Message:
    body = (
        f"{_minutes_text(minutes).capitalize()} ago you reported pain {fu.level}/10 ({fu.area}). "
        "How does it feel now? Pick a level, or run: stretchd pain LEVEL"
    )
    actions = tuple((f"pain:{n}", f"{n}/10") for n in FOLLOW_UP_LEVELS)
    return Message("How is your back now?", body, actions)


def report_message(level: int, area: str, adv: Advice, new_warnings: Sequence[PainWarning]) -> Message:
    """The notification shown right after a pain report."""
    r = adv.routine
    if adv.severe:
        summary = f"Pain {level}/10 ({area}): gentle stretch only"
    else:
        summary = f"Pain {level}/10 ({area}): time for the {r.id} stretch"
    lines = [f"{r.name}: {r.summary}", *(adv.lines[1:] if adv.severe else adv.lines)]
    lines += [f"Warning: {w.message}" for w in new_warnings]
    return Message(summary, "\n".join(lines))


# ---------------------------------------------------------------- stats


@dataclass(frozen=True)
class StretchEffect:
    pairs: int
    average_change: float | None  # after minus before; negative = less pain; None below EFFECT_MIN_PAIRS


@dataclass(frozen=True)
class PainFacts:
    last: Entry | None
    average_7d: float | None
    average_30d: float | None
    trend: Trend | None  # None: not enough data (no report in one of the two weeks)
    daily: tuple[tuple[date, int | None], ...]  # the last SPARK_DAYS days, oldest first
    warnings: tuple[PainWarning, ...]
    effect: StretchEffect

    def to_dict(self) -> dict[str, Any]:
        last = self.last
        return {
            "last": None if last is None else
            {"at": last.at.isoformat(), "level": last.level, "area": last.area, "id": last.uid},
            "average_7d": _round(self.average_7d),
            "average_30d": _round(self.average_30d),
            "trend": self.trend,
            "daily_max": [{"date": d.isoformat(), "max": v} for d, v in self.daily],
            "sparkline": sparkline([v for _, v in self.daily]),
            "warnings": [w.to_dict() for w in self.warnings],
            "stretch_effect": {"pairs": self.effect.pairs, "average_change": _round(self.effect.average_change)},
        }  # fmt: skip


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 2)


def trend(daily: Mapping[date, int], today: date) -> Trend | None:
    """Rising/falling when the average of the last 7 days differs from the 7 before by >= 1 point."""
    now_avg = window_average(daily, today, TREND_DAYS)
    before_avg = window_average(daily, today - timedelta(days=TREND_DAYS), TREND_DAYS)
    if now_avg is None or before_avg is None:
        return None
    diff = now_avg - before_avg
    if diff >= TREND_STEP - EPSILON:
        return "rising"
    if diff <= -TREND_STEP + EPSILON:
        return "falling"
    return "flat"


SPARK_UNICODE = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "0123456789X"  # one character per level; 10 is X


def sparkline(values: Sequence[int | None], *, unicode: bool = True) -> str:
    """One character per day: a block of the day's maximum (or its digit), a dot for no report."""
    out = []
    for v in values:
        if v is None:
            out.append("·" if unicode else ".")
        elif unicode:
            out.append(SPARK_UNICODE[min(len(SPARK_UNICODE) - 1, round(v * (len(SPARK_UNICODE) - 1) / 10))])
        else:
            out.append(SPARK_ASCII[max(0, min(10, v))])
    return "".join(out)


def stretch_effect(entries: Iterable[Entry]) -> StretchEffect:
    """Average change in pain across stretches that have a before and an after level.

    A stretch's before/after come from its own ``pain_before``/``pain_after``; when one is
    missing and the stretch is linked to an episode, the episode's report gives "before" and the
    episode's follow-up answer logged after the stretch gives "after".
    """
    items = list(entries)
    by_uid = {e.uid: e for e in items if e.kind == "pain"}
    answers: dict[str, list[Entry]] = {}
    for e in pain_reports(items):
        if e.episode is not None:
            answers.setdefault(e.episode, []).append(e)
    changes: list[int] = []
    for s in items:
        if s.kind != "stretch":
            continue
        before, after = s.pain_before, s.pain_after
        if s.episode is not None:
            report = by_uid.get(s.episode)
            if before is None and report is not None and report.at <= s.at:
                before = report.level
            if after is None:
                later = [a for a in answers.get(s.episode, []) if a.at >= s.at]
                if later:
                    after = later[0].level
        if before is not None and after is not None:
            changes.append(after - before)
    avg = sum(changes) / len(changes) if len(changes) >= EFFECT_MIN_PAIRS else None
    return StretchEffect(len(changes), avg)


def facts(entries: Iterable[Entry], now: datetime, rules: PainRules, acked: Iterable[str] = ()) -> PainFacts:
    items = list(entries)
    reports = pain_reports(items, until=now)
    today = now.date()
    daily = daily_max(reports)
    gone = set(acked)
    return PainFacts(
        last=reports[-1] if reports else None,
        average_7d=window_average(daily, today, 7),
        average_30d=window_average(daily, today, 30),
        trend=trend(daily, today),
        daily=tuple((d, daily.get(d)) for d in _days(today, SPARK_DAYS)),
        warnings=tuple(w for w in evaluate(items, now, rules) if w.key not in gone),
        effect=stretch_effect(items),
    )
