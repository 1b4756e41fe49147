"""One-shot notifications over a real private session bus with a real (mock) notification server."""

from __future__ import annotations

from pathlib import Path

import pytest

from stretchd.notify import Notification, send_once
from stretchd.notify.dbus_blocking import server_info
from tests.conftest import Bus, MockNotificationServer, start_mock_notification_server, stop

pytestmark = pytest.mark.bus


def test_delivered_with_buttons_escaped_body_and_icon(notification_server: MockNotificationServer) -> None:
    n = Notification("Time to stretch", "Hold <30-60 s> & breathe", (("done", "Done"), ("snooze", "Snooze 10 min")))
    d = send_once(n)
    assert d.outcome == "delivered" and d.backend == "dbus" and d.id
    (call,) = notification_server.notify_calls()
    assert '"stretchd"' in call
    assert '"Time to stretch"' in call
    assert '"Hold &lt;30-60 s&gt; &amp; breathe"' in call
    assert '["done", "Done", "snooze", "Snooze 10 min"]' in call
    assert "stretchd.svg" in call
    assert call.rstrip().endswith(str(15 * 60 * 1000))


def test_server_without_actions_or_markup_gets_plain_text_and_no_buttons(session_bus: Bus, tmp_path: Path) -> None:
    server = start_mock_notification_server(session_bus, tmp_path, capabilities="body")
    try:
        assert server_info().capabilities == ("body",)
        d = send_once(Notification("Stretch", "a < b", (("done", "Done"),)))
        assert d.outcome == "delivered"
        (call,) = server.notify_calls()
        assert '"a < b"' in call and "[]" in call
    finally:
        stop(server.process)


def test_a_bus_without_a_notification_server_is_reported_not_raised(session_bus: Bus) -> None:
    d = send_once(Notification("x", "y"))
    assert d.outcome == "no-server"
    assert "no notification server" in d.detail


def test_no_session_bus_at_all_is_reported() -> None:
    d = send_once(Notification("x", "y"))
    assert d.outcome == "no-server" and "session bus" in d.detail
