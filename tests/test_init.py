"""`stretchd init`: cautions acknowledged once, times and routines written, what is missing said plainly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from conftest import CliResult, MockNotificationServer, run_stretchd, stretchd_env
from service_support import FakeSystemctl, fake_systemctl, no_user_manager

from stretchd import config, service
from stretchd.paths import resolve
from stretchd.store import Store

__all__ = ["fake_systemctl", "no_user_manager"]  # fixtures, used by name

Cli = Callable[..., CliResult]


def reminders() -> list[tuple[str, str]]:
    return [(r.label, r.routine) for r in config.load(resolve().config_file).reminders]


def test_init_yes_end_to_end_in_a_fresh_home(no_user_manager: Path, home: Path) -> None:
    # A real process, as a user would run it: no session bus, no systemd user manager.
    r = run_stretchd("init", "--yes", env=stretchd_env(STRETCHD_HOME=str(home), XDG_RUNTIME_DIR=str(no_user_manager)))
    assert r.returncode == 0, r.stderr
    assert "Check with a medical professional" in r.stdout  # the cautions are shown
    assert "Cautions acknowledged at" in r.stdout and "because of --yes" in r.stdout
    assert "Reminders 08:00 (deep), 18:00 (deep) written to" in r.stdout
    # What is missing, with what to do about it:
    assert "no systemd user manager is reachable" in r.stdout
    assert "no test notification: no session bus" in r.stdout
    assert "DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus" in r.stdout
    # The autostart fallback was accepted as the default.
    assert f"Wrote {home / 'autostart' / 'stretchd.desktop'}" in r.stdout
    assert (home / "autostart" / "stretchd.desktop").exists()
    # ... and reminders start now, not only at the next login: the daemon runs and answers.
    assert "Started the daemon now (pid" in r.stdout
    status = run_stretchd("status", "--json")
    assert status.returncode == 0 and json.loads(status.stdout)["running"] is True
    assert reminders() == [("08:00", "deep"), ("18:00", "deep")]
    assert Store(resolve()).get_state("cautions_acknowledged")
    text = resolve().config_file.read_text()
    assert "# Reminder times" in text  # the documented example, comments kept


def test_init_yes_with_times_and_routine(cli: Cli, no_user_manager: Path) -> None:
    r = cli("init", "--yes", "--times", "7:30, 12:00,19:15", "--routine", "gentle", "--no-service")
    assert r.code == 0, r.err
    assert reminders() == [("07:30", "gentle"), ("12:00", "gentle"), ("19:15", "gentle")]
    assert "service not installed (--no-service)" in r.out
    assert not service.autostart_path().exists()


def test_bad_times_exit_2_with_one_line_and_nothing_written(cli: Cli, no_user_manager: Path) -> None:
    for bad in ("25:00", "08:00,08:00", ",", "soon"):
        r = cli("init", "--yes", "--times", bad)
        assert r.code == 2, bad
        assert len(r.err.strip().splitlines()) == 1, r.err
        assert r.err.startswith("stretchd: error: --times: "), r.err
        assert r.out == ""
    assert cli("init", "--yes", "--routine", "hard").code == 2
    paths = resolve()
    assert not paths.config_file.exists()
    assert not paths.data_file.exists()
    assert not service.autostart_path().exists()


def test_interactive_first_run_asks_and_declining_the_cautions_changes_nothing(cli: Cli, no_user_manager: Path) -> None:
    r = cli("init", input="n\n")
    assert r.code == 1
    assert "setup stopped: the cautions were not acknowledged" in r.err
    assert not resolve().config_file.exists()
    assert not Store(resolve()).get_state("cautions_acknowledged")

    r = cli("init", input="y\n09:00 21:00\ngentle\n\nn\n")
    assert r.code == 0, r.err
    assert "Reminder times (24 h, comma-separated) [08:00, 18:00]" in r.out
    assert "Routine at 09:00 (deep or gentle) [deep]" in r.out
    assert reminders() == [("09:00", "gentle"), ("21:00", "deep")]
    assert "stretchd does not start by itself" in r.out


def test_a_rerun_offers_the_current_settings_and_keeps_the_acknowledgement(cli: Cli, no_user_manager: Path) -> None:
    assert cli("init", "--yes", "--times", "06:45", "--routine", "gentle", "--no-service").code == 0
    first = Store(resolve()).get_state("cautions_acknowledged")
    r = cli("init", input="\n\nn\n")  # accept the offered time and routine, decline the service
    assert r.code == 0, r.err
    assert f"You acknowledged these cautions on {first}" in r.out
    assert "[06:45]" in r.out
    assert "Routine at 06:45 (deep or gentle) [gentle]" in r.out
    assert "Reminders unchanged: 06:45 (gentle)" in r.out
    assert Store(resolve()).get_state("cautions_acknowledged") == first


def test_init_installs_the_systemd_service_when_a_user_manager_answers(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    r = cli("init", "--yes")
    assert r.code == 0, r.err
    assert service.unit_path().exists()
    assert ["enable", "stretchd.service"] in fake_systemctl.calls()
    assert ["start", "stretchd.service"] in fake_systemctl.calls()
    assert "Ran `systemctl --user start stretchd.service`" in r.out


def test_a_failing_systemctl_does_not_fail_init(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    fake_systemctl.fail("enable")
    r = cli("init", "--yes")
    assert r.code == 0, r.err
    assert "the service could not be installed: `systemctl --user enable stretchd.service` failed" in r.out
    assert not service.unit_path().exists()
    assert reminders() == [("08:00", "deep"), ("18:00", "deep")]


def test_init_sends_a_test_notification_to_the_server(cli: Cli, notification_server: MockNotificationServer) -> None:
    r = cli("init", "--yes", "--no-service")
    assert r.code == 0, r.err
    assert "Sent a test notification" in r.out
    calls = notification_server.notify_calls()
    assert len(calls) == 1
    assert "stretchd is set up" in calls[0]


def test_a_broken_config_stops_init_before_anything_is_written(cli: Cli, no_user_manager: Path) -> None:
    paths = resolve()
    paths.config_dir.mkdir(mode=0o700, parents=True)
    paths.config_file.write_text('[[reminders]]\ntime = "8 oclock"\n')
    r = cli("init", "--yes")
    assert r.code == 2
    assert "reminders[0].time (line 2)" in r.err
    assert paths.config_file.read_text() == '[[reminders]]\ntime = "8 oclock"\n'
    assert not paths.data_file.exists()
    assert not service.autostart_path().exists()


def test_interactive_init_offers_autostart_when_systemd_is_missing(cli: Cli, no_user_manager: Path) -> None:
    # cautions yes, default times, default routines, service yes, then the autostart offer yes.
    r = cli("init", input="y\n\n\n\ny\ny\n")
    assert r.code == 0, r.err
    assert f"Start stretchd with your desktop session via {service.autostart_path()} instead? [Y/n]" in r.out
    assert service.autostart_path().exists()
    assert "no systemd user manager is reachable" in r.out
