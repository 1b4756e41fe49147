"""The pain follow-up check-in, end to end: the daemon asks, a level button answers the episode."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stretchd.paths import resolve
from stretchd.store import Store
from tests.conftest import MockNotificationServer, run_stretchd, wait_until
from tests.daemon_support import (
    clock_in,
    notify_records,
    notify_summaries,
    press,
    sent_docs,
    start_daemon,
    write_config,
)

pytestmark = [pytest.mark.bus, pytest.mark.e2e]


def pains() -> list[object]:
    return [e for e in Store(resolve()).entries() if e.kind == "pain"]


def followups(server: MockNotificationServer) -> list[int]:
    """Notification ids (the mock numbers them 1, 2, ...) of the check-ins sent so far."""
    return [i for i, s in enumerate(notify_summaries(notify_records(server)), 1) if s == "How is your back now?"]


def test_the_daemon_asks_once_and_a_button_records_the_after_level(
    home: Path, notification_server: MockNotificationServer
) -> None:
    write_config(home, [(clock_in(6 * 3600), "deep")], pain__follow_up_minutes=1)
    d = start_daemon(home)
    try:
        d.wait_ready()
        # Reported 57 s ago with a 1-minute follow-up: the check-in is due in about 3 s.
        r = run_stretchd("pain", "6", "--at", "-57s")
        assert r.returncode == 0, r.stderr
        (report,) = pains()
        wait_until(lambda: followups(notification_server), 10, "the follow-up check-in")
        (nid,) = followups(notification_server)
        call = notify_records(notification_server)[nid - 1]
        assert "you reported pain 6/10" in call
        assert '"pain:0", "0/10"' in call and '"pain:8", "8/10"' in call
        press(notification_server, nid, "pain:2")
        wait_until(lambda: len(pains()) == 2, 5, "the answer recorded")
        answer = pains()[1]
        assert (answer.level, answer.episode, answer.source) == (2, report.uid, "notification")  # type: ignore[attr-defined]
        assert [doc["outcome"] for doc in sent_docs(home) if doc.get("kind") == "pain-followup"] == ["delivered"]
    finally:
        assert d.stop() == 0
    # A restart does not ask again.
    d = start_daemon(home)
    try:
        d.wait_ready()
        wait_until(lambda: "next" in d.text(), 3, "a first tick")
        assert len(followups(notification_server)) == 1
    finally:
        assert d.stop() == 0


def test_answering_in_the_terminal_first_cancels_the_check_in(
    home: Path, notification_server: MockNotificationServer
) -> None:
    write_config(home, [(clock_in(6 * 3600), "deep")], pain__follow_up_minutes=1)
    assert run_stretchd("pain", "6", "--at", "-56s").returncode == 0
    assert run_stretchd("pain", "3").returncode == 0  # the answer, before the check-in is due
    d = start_daemon(home)
    try:
        d.wait_ready()
        time.sleep(6)  # past the time the check-in would have been due
        assert followups(notification_server) == []
    finally:
        assert d.stop() == 0
