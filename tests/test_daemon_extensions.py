"""Other features plug timed notifications into the daemon's tick (extensions.PLANNERS) — in-process."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pytest

from stretchd import config as config_mod
from stretchd.daemon import extensions
from stretchd.daemon.app import Daemon
from stretchd.notify import Delivery, Notification, ServerInfo
from stretchd.paths import resolve
from stretchd.store import Store


class FakeAsyncNotifier:
    """The daemon's notifier port, recording what it was asked to send (clock and bus are not the point here)."""

    def __init__(self) -> None:
        self.sent: list[Notification] = []
        self.info = ServerInfo("fake", "test", "1", "1.2", ("actions", "body"))
        self.connected = True

    async def send(self, n: Notification) -> Delivery:
        self.sent.append(n)
        return Delivery("delivered", "fake", 100 + len(self.sent))

    async def connect(self) -> bool:
        return True

    async def close(self) -> None:
        pass


@pytest.fixture
def planner() -> Iterator[list[tuple[str, str]]]:
    pressed: list[tuple[str, str]] = []

    def follow_up(now: datetime, entries: Sequence[Any], sent: Sequence[dict[str, Any]],
                  settings: Any) -> tuple[list[extensions.Planned], datetime | None]:  # fmt: skip
        # a failed attempt (start-up has no session bus here) is tried again; a delivered one is done
        if any(d.get("kind") == "pain-follow-up" and d.get("ref") == "r1" and d.get("outcome") == "delivered"
               for d in sent):  # fmt: skip
            return [], None
        n = Notification("How is your back now?", "Answer with a button.", (("3", "3"), ("5", "5")))
        return [extensions.Planned(n, {"kind": "pain-follow-up", "ref": "r1"})], None

    extensions.register(follow_up, "pain-follow-up", lambda ctx, doc, key: pressed.append((doc["ref"], key)))
    yield pressed
    extensions.PLANNERS.remove(follow_up)
    extensions.ACTION_HANDLERS.pop("pain-follow-up")


def test_a_planned_notification_is_sent_once_recorded_and_its_buttons_reach_the_feature(planner) -> None:
    paths = resolve()
    (paths.config_dir).mkdir(parents=True, exist_ok=True)
    paths.config_file.write_text("reminders = []\n")

    async def scenario() -> FakeAsyncNotifier:
        d = Daemon(paths, config_mod.load(paths.config_file))
        await d.start()
        fake = FakeAsyncNotifier()
        d.notifier = fake
        try:
            await d.tick("test")
            await d.tick("test again")
            d._on_action(101, "5")
            for _ in range(50):
                if planner:
                    break
                await asyncio.sleep(0.02)
        finally:
            await d.shutdown()
        return fake

    fake = asyncio.run(scenario())
    assert [n.summary for n in fake.sent] == ["How is your back now?"]
    docs = [d for d in Store(paths).records("sent") if d["kind"] == "pain-follow-up"]
    assert [d["outcome"] for d in docs] == ["no-server", "delivered"]  # every attempt is recorded
    doc = docs[-1]
    assert doc["outcome"] == "delivered" and doc["id"] == 101 and doc["ref"] == "r1"
    assert planner == [("r1", "5")]
