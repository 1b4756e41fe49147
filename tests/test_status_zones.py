"""`stretchd status` speaks local wall time in any zone (slots are computed in UTC inside)."""

from __future__ import annotations

import time as time_mod
from collections.abc import Callable, Iterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


@pytest.fixture(params=["Europe/Berlin", "America/Los_Angeles", "Asia/Kolkata", "Pacific/Chatham"])
def zone(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[ZoneInfo]:
    monkeypatch.setenv("TZ", request.param)
    time_mod.tzset()
    yield ZoneInfo(request.param)
    monkeypatch.undo()
    time_mod.tzset()


def test_next_reminders_are_shown_at_their_configured_local_times(cli: Cli, zone: ZoneInfo) -> None:
    with time_machine.travel(datetime(2026, 11, 24, 6, 0, tzinfo=zone), tick=False):
        r = cli("status")
        assert "Next reminders: 08:00 deep, 18:00 deep" in r.out, r.out
        data = cli("status", "--json").json()
        assert [n["at"][11:16] for n in data["next"]] == ["08:00", "18:00"]  # type: ignore[index]
    with time_machine.travel(datetime(2026, 11, 24, 12, 0, tzinfo=zone), tick=False):
        assert "Next reminders: 18:00 deep, tomorrow 08:00 deep" in cli("status").out
