"""The records stretchd keeps: frozen dataclasses, independent of how they are stored."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any, Literal

Kind = Literal["stretch", "pain", "skip", "pause"]
KINDS: tuple[str, ...] = ("stretch", "pain", "skip", "pause")
PAIN_AREAS: tuple[str, ...] = ("lower-back", "hip", "buttock", "groin", "thigh", "leg", "other")
MAX_NOTE = 2000


@dataclass(frozen=True)
class Entry:
    """One thing that happened. ``at`` is aware and keeps the UTC offset it was logged with.

    stretch: routine, pain_before, pain_after, duration_s, episode (linked pain report uid)
    pain:    level, area, episode (the report this one follows up, if any)
    skip:    day (the excused date), note (the reason)
    pause:   until (reminders off from ``at`` to ``until``)
    """

    uid: str
    kind: Kind
    at: datetime
    routine: str | None = None
    level: int | None = None
    area: str | None = None
    pain_before: int | None = None
    pain_after: int | None = None
    duration_s: int | None = None
    note: str | None = None
    day: date | None = None
    until: datetime | None = None
    episode: str | None = None
    source: str = "cli"
    seq: int = field(default=0, compare=False)  # insertion order in the store; 0 = not stored

    def local_date(self) -> date:
        """The calendar day where it was logged (its own offset), which is the day it counts for."""
        if self.kind == "skip" and self.day is not None:
            return self.day
        return self.at.date()

    def with_(self, **changes: Any) -> Entry:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The stable external form (history --json, export): ``id``, ``kind``, ``at`` and the kind's fields."""
        out: dict[str, Any] = {"id": self.uid, "kind": self.kind, "at": self.at.isoformat()}
        for name in _FIELDS_BY_KIND[self.kind]:
            value = getattr(self, name)
            if isinstance(value, (date, datetime)):
                value = value.isoformat()
            out[name] = value
        out["source"] = self.source
        return out


_FIELDS_BY_KIND: dict[str, tuple[str, ...]] = {
    "stretch": ("routine", "pain_before", "pain_after", "duration_s", "note", "episode"),
    "pain": ("level", "area", "note", "episode"),
    "skip": ("day", "note"),
    "pause": ("until", "note"),
}
EXPORT_COLUMNS: tuple[str, ...] = (
    "id", "kind", "at", "routine", "level", "area", "pain_before", "pain_after",
    "duration_s", "day", "until", "episode", "note", "source",
)  # fmt: skip
