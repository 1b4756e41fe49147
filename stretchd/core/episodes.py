"""Pain episodes: which pain reports a stretch belongs to (kept apart so `done` imports little)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from stretchd.core.model import Entry


def pain_reports(entries: Iterable[Entry], until: datetime | None = None) -> list[Entry]:
    """Pain entries (reports and follow-up answers), oldest first, up to ``until`` inclusive."""
    out = [e for e in entries if e.kind == "pain" and e.level is not None and (until is None or e.at <= until)]
    out.sort(key=lambda e: (e.at, e.seq))
    return out


def episode_for_stretch(entries: Iterable[Entry], at: datetime, minutes: int) -> str | None:
    """The episode (original report uid) of the latest pain report within ``minutes`` before ``at``."""
    if minutes <= 0:
        return None
    window = timedelta(minutes=minutes)
    before = [r for r in pain_reports(entries) if r.at <= at and at - r.at <= window]
    if not before:
        return None
    last = before[-1]
    return last.episode or last.uid
