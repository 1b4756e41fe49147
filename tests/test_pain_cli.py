"""`stretchd pain` / `warnings` / the stats pain section, end to end: real files, a real bus, real sockets."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from conftest import CliResult, MockNotificationServer, run_stretchd, stretchd_env, wait_until

from stretchd import pain as pain_service
from stretchd.core import pain as core
from stretchd.services import Context

Cli = Callable[..., CliResult]


def entries(cli: Cli) -> list[dict[str, Any]]:
    r = cli("history", "--json")
    assert r.code == 0, r.err
    data = r.json()
    assert isinstance(data, list)
    return data


def ctx_at(now: datetime) -> Context:
    return Context.load(now=now)


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize("args", [["11"], ["-1"], ["abc"], ["2.5"], [""], ["²"], ["3", "--where", "knee"],
                                  ["3", "--where", "Lower-Back"], ["3", "--at", "tomorrow 9:00"]])  # fmt: skip
def test_bad_levels_and_areas_are_refused_and_nothing_is_written(cli: Cli, home: Path, args: list[str]) -> None:
    r = cli("pain", *args)
    assert r.code == 2
    assert r.err.startswith("stretchd: error:") and len(r.err.strip().splitlines()) == 1, r.err
    assert "Traceback" not in r.err
    assert not (home / "data.json").exists() and entries(cli) == []


@pytest.mark.e2e
def test_negative_level_as_a_real_process_gets_one_clear_line() -> None:
    proc = run_stretchd("pain", "-1")
    assert proc.returncode == 2
    assert proc.stderr.strip() == "stretchd: error: LEVEL must be a whole number 0..10, got '-1'"


# ---------------------------------------------------------------- advice in the terminal


def test_severe_pain_gets_the_gentle_routine_the_cautions_and_an_honest_notification_line(cli: Cli) -> None:
    r = cli("pain", "7", "--where", "hip", "--note", "after gardening")
    assert r.code == 0, r.err
    assert "Logged pain 7/10 (hip)" in r.out
    assert "Gentle psoas stretch (lying down)  [gentle]" in r.out
    assert "Deep psoas stretch" not in r.out
    assert "never into pain" in r.out and "See a doctor if the pain continues" in r.out
    assert "1. Lie on your back" in r.out
    # No session bus in tests by default: the user is told, in one line, without failing.
    assert "The desktop notification could not be shown" in r.out
    (e,) = entries(cli)
    assert (e["kind"], e["level"], e["area"], e["note"], e["episode"]) == ("pain", 7, "hip", "after gardening", None)


def test_moderate_pain_gets_the_deep_routine(cli: Cli) -> None:
    r = cli("pain", "6")
    assert r.code == 0
    assert "Deep psoas stretch (kneeling lunge)  [deep]" in r.out and "Gentle psoas" not in r.out
    assert "Cautions:" in r.out


# ---------------------------------------------------------------- follow-up answers and stretch links


def test_a_second_report_answers_the_open_episode_and_keeps_its_area(cli: Cli) -> None:
    first = cli("pain", "6", "--where", "buttock", "--at", "-30m", "--json").json()
    assert isinstance(first, dict)
    r = cli("pain", "3", "--json")
    data = r.json()
    assert isinstance(data, dict)
    assert data["answers"] == first["entry"]["id"]
    assert data["entry"]["episode"] == first["entry"]["id"] and data["entry"]["area"] == "buttock"
    text = cli("pain", "2", "--where", "hip")  # another area: a new episode
    assert "how it feels after" not in text.out
    assert [e["episode"] for e in entries(cli)] == [None, first["entry"]["id"], None]


def test_done_after_a_pain_report_links_the_stretch_and_still_counts(cli: Cli) -> None:
    report = cli("pain", "5", "--at", "-20m", "--json").json()
    assert isinstance(report, dict)
    done = cli("done", "deep", "--json").json()
    assert isinstance(done, dict)
    assert done["entry"]["episode"] == report["entry"]["id"]
    assert done["today"]["done"] == 1
    csv_text = cli("export", "--format", "csv").out
    header, *rows = csv_text.splitlines()
    col = header.split(",").index("episode")
    assert [row.split(",")[col] for row in rows] == ["", report["entry"]["id"]]


def test_done_outside_the_window_or_with_follow_ups_off_is_not_linked(cli: Cli) -> None:
    cli("pain", "5", "--at", "-61m")
    done = cli("done", "deep", "--json").json()
    assert isinstance(done, dict) and done["entry"]["episode"] is None
    assert cli("config", "set", "pain.follow_up_minutes", "0").code == 0
    cli("pain", "5", "--at", "-5m")
    done = cli("done", "deep", "--json").json()
    assert isinstance(done, dict) and done["entry"]["episode"] is None


def test_follow_up_button_answer_is_recorded_once(home: Path) -> None:
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    res = pain_service.report_pain(ctx_at(t0), 6)
    ctx = ctx_at(t0 + timedelta(minutes=61))
    fu = core.due_follow_up(ctx.store.entries(), ctx.now, 60, ())
    assert fu is not None and fu.report_uid == res.entry.uid
    result = pain_service.answer_follow_up(ctx, fu.report_uid, 2)
    assert result is not None
    answer = result.entry
    assert (answer.episode, answer.level, answer.source) == (res.entry.uid, 2, "notification")
    assert pain_service.answer_follow_up(ctx, fu.report_uid, 4) is None  # already answered
    assert core.due_follow_up(ctx.store.entries(), ctx.now, 60, ()) is None


# ---------------------------------------------------------------- warnings: once per episode, ack


def test_a_warning_is_shown_once_per_episode_and_ack_dismisses_it(cli: Cli) -> None:
    first = cli("pain", "8", "--json").json()
    assert isinstance(first, dict)
    assert [w["rule"] for w in first["new_warnings"]] == ["worse"]
    assert "seek medical attention" in first["new_warnings"][0]["message"].lower()
    second = cli("pain", "9")
    assert "WARNING" not in second.out and "1 earlier warning still active" in second.out
    listed = cli("warnings", "--json").json()
    assert isinstance(listed, dict) and [w["rule"] for w in listed["warnings"]] == ["worse"]
    ack = cli("warnings", "--ack")
    assert ack.code == 0 and "Dismissed 1 warning" in ack.out
    assert cli("warnings").out.strip() == "No active warnings."
    stats = cli("stats", "--json").json()
    assert isinstance(stats, dict) and stats["pain"]["warnings"] == []
    third = cli("pain", "8", "--json").json()
    assert isinstance(third, dict) and third["new_warnings"] == [] and third["active_warnings"] == []


def test_pain_in_a_new_area_warns_in_the_terminal(cli: Cli) -> None:
    assert cli("pain", "4", "--at", "-3h").code == 0
    r = cli("pain", "4", "--where", "thigh")
    assert "! WARNING (changes" in r.out and "Please seek medical attention." in r.out
    assert "pain in the thigh, not reported in the 30 days before" in r.out


def test_a_follow_up_answer_of_8_raises_the_worse_warning(home: Path) -> None:
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=2)
    res = pain_service.report_pain(ctx_at(t0), 5)
    assert res.new_warnings == ()
    result = pain_service.answer_follow_up(ctx_at(t0 + timedelta(minutes=65)), res.entry.uid, 8)
    assert result is not None and [w.rule for w in result.new_warnings] == ["worse"]
    assert pain_service.report_notification(result).summary == "Pain 8/10 (lower-back): gentle stretch only"


def test_a_warning_comes_back_when_its_rule_fires_again_after_a_break(home: Path) -> None:
    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(days=10)
    assert [w.rule for w in pain_service.report_pain(ctx_at(t0), 8).new_warnings] == ["worse"]
    pain_service.ack_warnings(ctx_at(t0 + timedelta(hours=1)))
    assert pain_service.report_pain(ctx_at(t0 + timedelta(days=1)), 9).active_warnings == ()  # same run
    again = pain_service.report_pain(ctx_at(t0 + timedelta(days=6)), 8)  # 3+ days without: a new run
    assert [w.rule for w in again.new_warnings] == ["worse"]


# ---------------------------------------------------------------- stats


def test_stats_gains_a_pain_section(cli: Cli) -> None:
    for args in (["4", "--at", "yesterday 09:00"], ["6", "--at", "-2m"]):
        assert cli("pain", *args).code == 0
    data = cli("stats", "--json").json()
    assert isinstance(data, dict)
    facts = data["pain"]
    assert facts["last"]["level"] == 6
    assert facts["average_7d"] == 5.0
    assert [d["max"] for d in facts["daily_max"][-2:]] == [4, 6]
    assert facts["stretch_effect"] == {"pairs": 0, "average_change": None}
    text = cli("stats").out
    assert "Pain\nLast report  6/10 lower-back" in text
    assert "Average      5.0 last 7 days" in text
    assert "Stretching   not enough data yet (0 of 3" in text


def test_stats_without_pain_reports_prints_no_pain_section(cli: Cli) -> None:
    assert "Last report" not in cli("stats").out
    data = cli("stats", "--json").json()
    assert isinstance(data, dict) and data["pain"]["last"] is None


# ---------------------------------------------------------------- notifications, for real


def notify_lines(server: MockNotificationServer, n: int = 1) -> list[str]:
    """The logged Notify calls, each with its whole (multi-line) body."""
    wait_until(lambda: len(server.notify_calls()) >= n, 10, "the Notify call")
    calls: list[str] = []
    for line in server.log.read_text().splitlines():
        if " Notify " in line:
            calls.append(line)
        elif calls and not line.split(" ", 1)[0].replace(".", "").isdigit():
            calls[-1] += "\n" + line  # a continuation line of the body
    return calls


@pytest.mark.bus
@pytest.mark.e2e
def test_pain_8_notifies_through_a_real_session_bus(notification_server: MockNotificationServer) -> None:
    proc = run_stretchd("pain", "8", env=stretchd_env())
    assert proc.returncode == 0, proc.stderr
    assert "could not be shown" not in proc.stdout
    (call,) = notify_lines(notification_server)
    assert '"Pain 8/10 (lower-back): gentle stretch only"' in call
    assert "Gentle psoas stretch (lying down)" in call
    assert "never into pain" in call
    assert "Warning: Your pain is getting worse. Please seek medical attention." in call


@pytest.mark.bus
def test_follow_up_notification_offers_level_buttons_on_a_real_server(
    notification_server: MockNotificationServer,
) -> None:
    from stretchd.notify import send_once

    t0 = datetime.now(timezone.utc).replace(microsecond=0) - timedelta(hours=1)
    pain_service.report_pain(ctx_at(t0), 6)
    ctx = ctx_at(t0 + timedelta(minutes=60))
    fu = core.due_follow_up(ctx.store.entries(), ctx.now, 60, ())
    assert fu is not None
    delivery = send_once(pain_service.follow_up_notification(fu, 60))
    assert delivery.outcome == "delivered", delivery
    (call,) = notify_lines(notification_server)
    assert '"How is your back now?"' in call
    for key in ("pain:0", "pain:2", "pain:4", "pain:6", "pain:8"):
        assert f'"{key}"' in call


@pytest.fixture
def fake_daemon(home: Path) -> Iterator[Callable[[dict[str, Any]], list[dict[str, Any]]]]:
    """A real control socket that answers one fixed reply per request and keeps what it got."""
    from stretchd.paths import ensure_private_dir, resolve

    paths = resolve()
    ensure_private_dir(paths.control_socket.parent)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(paths.control_socket))
    server.listen(4)
    server.settimeout(0.2)
    got: list[dict[str, Any]] = []
    reply: dict[str, Any] = {}
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            with conn:
                got.append(json.loads(conn.makefile().readline()))
                conn.sendall(json.dumps(reply).encode() + b"\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()

    def configure(answer: dict[str, Any]) -> list[dict[str, Any]]:
        reply.clear()
        reply.update(answer)
        return got

    yield configure
    stop.set()
    thread.join(2)
    server.close()


def test_a_running_daemon_shows_the_notification(
    cli: Cli, fake_daemon: Callable[[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    got = fake_daemon({"ok": True})
    r = cli("pain", "3")
    assert r.code == 0 and "could not be shown" not in r.out
    notify = [m for m in got if m.get("cmd") == "notify"]
    assert len(notify) == 1
    assert notify[0]["kind"] == "pain" and notify[0]["summary"] == "Pain 3/10 (lower-back): time for the deep stretch"
    assert any(m.get("cmd") == "reload" for m in got)  # and it hears about the new report


def test_a_daemon_reply_without_ok_falls_back_to_sending_directly(
    cli: Cli, fake_daemon: Callable[[dict[str, Any]], list[dict[str, Any]]]
) -> None:
    fake_daemon({"error": "unknown command"})
    r = cli("pain", "3")
    assert r.code == 0
    assert "The desktop notification could not be shown: no session bus" in r.out  # the direct try, told honestly


@pytest.mark.e2e
def test_the_pain_core_is_pure_and_done_does_not_load_the_pain_service() -> None:
    code = (
        "import sys\n"
        "import stretchd.core.pain\n"
        "heavy = ('tinydb', 'jeepney', 'typer', 'plyer', 'apscheduler', 'rich', 'stretchd.store')\n"
        "assert not [m for m in sys.modules if m.startswith(heavy)], sorted(sys.modules)\n"
        "from stretchd.cli import main\n"
        "assert main(['done', 'deep']) == 0\n"
        "print(sorted(m for m in sys.modules if m.startswith(('stretchd.pain', 'stretchd.notify', 'jeepney'))))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], env=stretchd_env(), capture_output=True, text=True,
                          timeout=60, check=False)  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == "[]"
