"""The reminder daemon end to end: a real process, a private session bus, dbusmock's notification server."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest

from stretchd.paths import resolve
from stretchd.store import Store
from tests.conftest import (
    REPO,
    MockNotificationServer,
    dbusmock_python,
    require,
    start_bus,
    stop,
    stretchd_env,
    wait_until,
)
from tests.daemon_support import (
    clock_in,
    emit_signal,
    notify_records,
    notify_summaries,
    notify_times,
    press,
    sent_docs,
    start_daemon,
    write_config,
)

pytestmark = [pytest.mark.bus, pytest.mark.e2e]
LATER = clock_in(4 * 3600)  # a second slot far away, so the first one's nudges have room


def stretches(home: Path) -> list[object]:
    return [e for e in Store(resolve()).entries() if e.kind == "stretch"]


def test_reminder_at_the_slot_time_and_done_logs_the_stretch(
    home: Path, notification_server: MockNotificationServer
) -> None:
    slot = clock_in(3)
    write_config(home, [(slot, "gentle"), (LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        assert notify_records(notification_server) == []
        wait_until(lambda: notify_records(notification_server), 8, "the reminder")
        (call,) = notify_records(notification_server)
        assert notify_summaries([call]) == [f"Time to stretch ({slot})"]
        assert "Gentle psoas stretch" in call and "stretchd guide gentle" in call and "Today 0/2" in call
        assert '"done", "Done", "snooze", "Snooze 10 min", "skip", "Skip"' in call
        assert "medical professional" in call  # cautions not acknowledged yet: shown once
        slot_at = datetime.combine(datetime.now().date(), datetime.strptime(slot, "%H:%M:%S").time()).astimezone()
        assert 0 <= notify_times([call])[0] - slot_at.timestamp() <= 1.0
        press(notification_server, 1, "done")
        wait_until(lambda: stretches(home), 5, "the stretch logged by Done")
        (entry,) = stretches(home)
        assert entry.routine == "gentle" and entry.source == "notification"
        assert [doc["kind"] for doc in sent_docs(home)] == ["reminder"]
        assert sent_docs(home)[0]["outcome"] == "delivered"
    finally:
        assert d.stop() == 0


def test_forged_button_press_from_another_connection_is_ignored(
    home: Path, notification_server: MockNotificationServer
) -> None:
    write_config(home, [(clock_in(2), "deep"), (LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        wait_until(lambda: notify_records(notification_server), 6, "the reminder")
        # dbus-send emits from its own connection, not the notification server's
        subprocess.run(["dbus-send", "--session", "/org/freedesktop/Notifications",
                        "org.freedesktop.Notifications.ActionInvoked", "uint32:1", "string:done"], check=True)  # fmt: skip
        time.sleep(1)
        assert stretches(home) == []
    finally:
        d.stop()


def test_snooze_button_then_reminded_again(home: Path, notification_server: MockNotificationServer, cli) -> None:
    write_config(home, [(clock_in(2), "deep"), (LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        wait_until(lambda: notify_records(notification_server), 6, "the reminder")
        press(notification_server, 1, "snooze")
        wait_until(lambda: cli("status", "--json").json()["snoozed_until"], 5, "the snooze")  # type: ignore[index]
        # Snooze 10 min is persisted; shorten it from the CLI so the test does not wait 10 minutes.
        r = cli("snooze", "3s")
        assert r.code == 0, r.err
        assert len(notify_records(notification_server)) == 1
        wait_until(lambda: len(notify_records(notification_server)) == 2, 8, "the snoozed reminder")
        assert notify_summaries(notify_records(notification_server))[1].startswith("Snoozed:")
        assert "medical professional" not in notify_records(notification_server)[1]  # the caution only once
    finally:
        d.stop()


def test_skip_button_records_the_slot_skipped(home: Path, notification_server: MockNotificationServer) -> None:
    write_config(home, [(clock_in(2), "deep"), (LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        wait_until(lambda: notify_records(notification_server), 6, "the reminder")
        press(notification_server, 1, "skip")
        wait_until(lambda: any(doc["kind"] == "skipped" for doc in sent_docs(home)), 5, "the skip record")
        assert stretches(home) == []
    finally:
        d.stop()


def test_an_already_done_slot_is_not_reminded(home: Path, notification_server: MockNotificationServer, cli) -> None:
    slot = clock_in(2)
    write_config(home, [(slot, "deep"), (LATER, "deep")])
    assert cli("done").code == 0
    d = start_daemon(home)
    try:
        d.wait_ready()
        time.sleep(3.5)
        assert notify_records(notification_server) == []
        st = cli("status", "--json").json()
        assert st["running"] is True and st["today"]["slots"][0]["done"] is True  # type: ignore[index]
    finally:
        d.stop()


def test_restart_after_a_missed_slot_reminds_once(home: Path, notification_server: MockNotificationServer) -> None:
    missed = clock_in(-600)  # ten minutes ago: within the grace
    write_config(home, [(missed, "deep"), (LATER, "deep")])
    first = start_daemon(home)
    first.wait_ready()
    assert first.stop() == 0
    calls = notify_records(notification_server)
    assert notify_summaries(calls) == [f"Missed at {missed}: time for your psoas stretch"]
    second = start_daemon(home)
    second.wait_ready()
    time.sleep(0.5)
    assert second.stop() == 0
    assert len(notify_records(notification_server)) == 1


def test_no_server_is_recorded_then_delivered_when_a_server_appears(home: Path, session_bus, tmp_path: Path) -> None:
    from tests.conftest import start_mock_notification_server

    write_config(home, [(clock_in(-60), "deep"), (LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        wait_until(lambda: sent_docs(home), 5, "the failed attempt")
        assert sent_docs(home)[0]["outcome"] == "no-server"
        server = start_mock_notification_server(session_bus, tmp_path)
        try:
            wait_until(lambda: notify_records(server), 5, "the retried reminder")
            # The server logs the Notify before the daemon has its reply and records it.
            wait_until(lambda: len(sent_docs(home)) == 2, 5, "the delivery recorded")
            assert [doc["outcome"] for doc in sent_docs(home)] == ["no-server", "delivered"]
            assert d.process.poll() is None
        finally:
            stop(server.process)
    finally:
        d.stop()


def test_sigterm_exits_cleanly_fast_and_second_daemon_is_refused(
    home: Path, notification_server: MockNotificationServer
) -> None:
    write_config(home, [(LATER, "deep")])
    d = start_daemon(home)
    d.wait_ready()
    paths = resolve()
    assert stat.S_IMODE(paths.control_socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.runtime_dir.stat().st_mode) == 0o700
    second = subprocess.run([*__import__("shlex").split(f"{os.sys.executable} -m stretchd daemon")],
                            env=stretchd_env(), capture_output=True, text=True, timeout=10, check=False)  # fmt: skip
    assert second.returncode != 0
    assert "already running" in second.stderr and f"pid {d.process.pid}" in second.stderr
    started = time.monotonic()
    d.process.send_signal(signal.SIGTERM)
    assert d.process.wait(5) == 0
    assert time.monotonic() - started < 2.0
    assert not paths.control_socket.exists()
    assert "Traceback" not in d.text()


def test_status_without_daemon_says_reminders_are_off(cli) -> None:
    r = cli("status")
    assert r.code == 0
    assert "Reminders are off" in r.out and "stretchd daemon" in r.out
    assert cli("status", "--json").json()["running"] is False  # type: ignore[index]


def test_pause_and_resume_persist_without_a_daemon(cli) -> None:
    r = cli("pause", "2h")
    assert r.code == 0 and "paused until" in r.out
    assert cli("status", "--json").json()["paused_until"]  # type: ignore[index]
    assert cli("pause", "--until", "nonsense").code == 2
    r = cli("resume")
    assert r.code == 0 and "resumed" in r.out
    assert cli("status", "--json").json()["paused_until"] is None  # type: ignore[index]
    assert cli("snooze", "abc").code == 2


def test_control_socket_commands(home: Path, notification_server: MockNotificationServer) -> None:
    from stretchd.control import request

    write_config(home, [(LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        paths = resolve()
        reply = request(paths, {"cmd": "notify", "summary": "How is your back?", "body": "a < b & c",
                                "actions": [["0", "0"], ["5", "5"]], "kind": "pain-follow-up"})  # fmt: skip
        assert reply is not None and reply["delivery"]["outcome"] == "delivered"
        call = notify_records(notification_server)[-1]
        assert "a &lt; b &amp; c" in call and "How is your back?" in call
        press(notification_server, reply["delivery"]["id"], "5")
        wait_until(lambda: any(doc["kind"] == "action" and doc["key"] == "5" for doc in sent_docs(home)), 5, "action")
        assert request(paths, {"cmd": "nope"}) == {"ok": False, "error": "unknown command 'nope'"}
        # an invalid config on reload keeps the old one
        (home / "config" / "config.toml").write_text("reminder.grace_minutes = -5\n")
        reply = request(paths, {"cmd": "reload"})
        assert reply is not None and reply["ok"] is False and "kept the previous one" in reply["error"]
        assert request(paths, {"cmd": "status"})["next"][0]["slot"] == LATER  # type: ignore[index]
    finally:
        d.stop()


def test_resume_from_suspend_triggers_the_catch_up(home: Path, notification_server: MockNotificationServer,
                                                  tmp_path: Path) -> None:  # fmt: skip
    """libfaketime jumps the wall clock (monotonic runs on, as in a suspend); logind says we resumed."""
    require("faketime")
    lib = next((p for p in ("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
                            "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1") if Path(p).exists()), None)  # fmt: skip
    if lib is None:
        pytest.skip("libfaketime not found")
    system = start_bus(tmp_path, "system")
    logind = subprocess.Popen([dbusmock_python(), "-m", "dbusmock", "--system", "--template", "logind"],
                              env={**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": system.address},
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    stamp = tmp_path / "faketime"
    stamp.write_text("+0\n")

    def sleep_signal(going_to_sleep: bool) -> None:
        emit_signal(system.address, "org.freedesktop.login1", "/org/freedesktop/login1",
                    "org.freedesktop.login1.Manager", "PrepareForSleep", "b", going_to_sleep)  # fmt: skip

    def logind_up() -> bool:
        try:
            sleep_signal(True)
        except Exception:
            return False
        return True

    wait_until(logind_up, 10, "mock logind")
    write_config(home, [(clock_in(1800), "deep"), (LATER, "deep")])
    env = stretchd_env(DBUS_SYSTEM_BUS_ADDRESS=system.address, LD_PRELOAD=lib, FAKETIME_TIMESTAMP_FILE=str(stamp),
                       FAKETIME_NO_CACHE="1", DONT_FAKE_MONOTONIC="1")  # fmt: skip
    d = start_daemon(home, env=env)
    try:
        d.wait_ready()
        assert "periodic check only" not in d.text()
        stamp.write_text("+1830\n")  # "slept" 30.5 minutes: the slot passed during the suspend
        time.sleep(1.5)
        assert notify_records(notification_server) == []  # the scheduler still sleeps on the monotonic clock
        sleep_signal(False)
        wait_until(lambda: notify_records(notification_server), 5, "the catch-up after resume")
        assert len(notify_records(notification_server)) == 1
    finally:
        d.stop()
        stop(logind)
        stop(system.process)


def test_status_json_shape_with_daemon(home: Path, notification_server: MockNotificationServer, cli) -> None:
    write_config(home, [(LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        st = cli("status", "--json").json()
        assert st["running"] is True and st["pid"] == d.process.pid  # type: ignore[index]
        assert st["server"]["name"] == "mock-notify" and "actions" in st["server"]["capabilities"]  # type: ignore[index]
        text = cli("status").out
        assert "Reminders are on" in text and "mock-notify" in text
        json.dumps(st)
    finally:
        d.stop()


@pytest.mark.fault
def test_a_store_that_refuses_writes_never_stops_reminders(
    home: Path, notification_server: MockNotificationServer
) -> None:
    """Disk full stand-in: a file-size limit of 0 makes every write fail (EFBIG; SIGXFSZ is ignored)."""
    import resource
    import sys

    from stretchd.control import request

    write_config(home, [(clock_in(2), "deep"), (LATER, "deep")])
    proc = subprocess.Popen(
        [sys.executable, "-m", "stretchd", "daemon"], env=stretchd_env(), stderr=subprocess.PIPE, text=True,
        preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0)),  # noqa: PLW1509 (no threads here)
    )  # fmt: skip
    try:
        wait_until(lambda: notify_records(notification_server), 8, "the reminder despite the full disk")
        assert request(resolve(), {"cmd": "reload"}) == {"ok": True}  # a second tick: nothing is sent twice
        press(notification_server, 1, "done")  # cannot be saved: the user is told so
        wait_until(lambda: len(notify_records(notification_server)) == 2, 5, "the could-not-save message")
        assert "could not save" in notify_records(notification_server)[1]
        assert proc.poll() is None
    finally:
        stop(proc)
    err = proc.stderr.read() if proc.stderr else ""
    assert "cannot write to the history" in err and "Traceback" not in err
    assert proc.returncode == 0


def test_cli_status_does_not_import_the_daemon_stack() -> None:
    import sys

    code = ("import sys; from stretchd.cli import main; main(['status']); "
            "print(sorted(m for m in ('apscheduler', 'jeepney', 'rich', 'plyer') if m in sys.modules))")  # fmt: skip
    r = subprocess.run([sys.executable, "-c", code], env=stretchd_env(), capture_output=True, text=True, check=True)
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_systemd_readiness_status_watchdog_and_sighup(home: Path, notification_server: MockNotificationServer) -> None:
    import socket

    write_config(home, [(LATER, "gentle")])
    name = f"@stretchd-test-{os.getpid()}-{time.monotonic_ns()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name[1:])
        sock.settimeout(5)
        d = start_daemon(home, env=stretchd_env(NOTIFY_SOCKET=name, WATCHDOG_USEC="400000"))
        try:
            got: list[str] = []
            while not any("WATCHDOG=1" in m for m in got[1:]):
                got.append(sock.recv(4096).decode())
            first = next(m for m in got if "READY=1" in m)
            assert f"STATUS=next reminder {LATER} (gentle)" in first
            write_config(home, [(LATER, "deep")])
            d.process.send_signal(signal.SIGHUP)
            wait_until(lambda: "reload (SIGHUP)" in d.text(), 5, "the SIGHUP reload")
            while not any(f"STATUS=next reminder {LATER} (deep)" in m for m in got):
                got.append(sock.recv(4096).decode())
        finally:
            assert d.stop() == 0


DUNST_DRIVER = r"""
import os, subprocess, sys, time
from pathlib import Path
from stretchd.paths import resolve
from stretchd.store import Store

store = Store(resolve())
def wait(pred, timeout):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False

daemon = subprocess.Popen([sys.executable, "-m", "stretchd", "daemon"])
try:
    if not wait(lambda: any(d.get("outcome") == "delivered" for d in store.records("sent")), 10):
        sys.exit("no reminder was delivered to dunst: %s" % store.records("sent"))
    Path(os.environ["NOTIFY_HARNESS_DIR"], "dmenu-pick").write_text("Done")
    subprocess.run(["dunstctl", "context"], check=True, timeout=10)
    if not wait(lambda: any(e.kind == "stretch" for e in store.entries()), 10):
        sys.exit("pressing Done in dunst logged nothing")
finally:
    daemon.terminate()
    daemon.wait(5)
"""


@pytest.mark.slow
def test_done_pressed_in_dunst_logs_the_stretch(home: Path, tmp_path: Path) -> None:
    """A real notification server: dunst under Xvfb (../shared/notify-harness.sh), its context menu's Done."""
    harness = REPO.parent / "shared" / "notify-harness.sh"  # CI clones the repo with shared/ beside it
    if not harness.exists():
        pytest.skip("notify-harness.sh is not available")
    for tool in ("dunst", "Xvfb", "dunstctl", "dbus-monitor"):
        require(tool)
    write_config(home, [(clock_in(3), "deep"), (LATER, "deep")])
    driver = tmp_path / "driver.py"
    driver.write_text(DUNST_DRIVER)
    r = subprocess.run([str(harness), "--", os.sys.executable, str(driver)], env=stretchd_env(NOTIFY_HARNESS_QUIET="1"),
                       capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
    assert r.returncode == 0, r.stderr[-2000:]
    (entry,) = [e for e in Store(resolve()).entries() if e.kind == "stretch"]
    assert entry.source == "notification"


def test_logging_in_the_terminal_takes_the_reminder_off_the_screen(
    home: Path, notification_server: MockNotificationServer
) -> None:
    write_config(home, [(clock_in(2), "deep"), (LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        wait_until(lambda: notify_records(notification_server), 6, "the reminder")
        assert not [line for line in notification_server.log.read_text().splitlines() if "CloseNotification" in line]
        r = subprocess.run([os.sys.executable, "-m", "stretchd", "done"], env=stretchd_env(), capture_output=True,
                           text=True, timeout=30, check=False)  # fmt: skip
        assert r.returncode == 0, r.stderr
        wait_until(lambda: "CloseNotification 1" in notification_server.log.read_text(), 5, "the reminder closed")
        assert d.process.poll() is None
    finally:
        assert d.stop() == 0
