"""The edge that reads the clock and the local time zone; the core only ever receives their values."""

from __future__ import annotations

import os
from datetime import datetime, tzinfo
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...


def local_zone() -> tzinfo:
    """The local zone with its DST rules (zoneinfo), from ``TZ`` or ``/etc/localtime``.

    Falls back to the current fixed offset when the zone has no IANA name.
    """
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    candidates = []
    tz_env = os.environ.get("TZ", "").lstrip(":")
    if tz_env:
        candidates.append(tz_env)
    else:
        try:
            link = os.readlink("/etc/localtime")
            if "zoneinfo/" in link:
                candidates.append(link.split("zoneinfo/", 1)[1])
        except OSError:
            pass
    for key in candidates:
        try:
            return ZoneInfo(key)
        except (ZoneInfoNotFoundError, ValueError, OSError):
            continue
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


class SystemClock:
    """Wall-clock time in the local zone, as an aware datetime."""

    def __init__(self, tz: tzinfo | None = None) -> None:
        self.tz = tz or local_zone()

    def now(self) -> datetime:
        return datetime.now(self.tz)
