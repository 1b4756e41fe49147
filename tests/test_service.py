"""`stretchd service`: the unit it writes, systemd's verdict on it, rollback, and the autostart fallback."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import REPO, CliResult
from service_support import FakeSystemctl, daemon_stand_in, fake_systemctl, no_user_manager, systemd_verify

from stretchd import service

__all__ = ["daemon_stand_in", "fake_systemctl", "no_user_manager"]  # fixtures, used by name

Cli = Callable[..., CliResult]


def this_exec_start() -> str:
    return "ExecStart=" + service.exec_line([sys.executable, "-m", "stretchd", "daemon"])


def test_the_documented_template_is_what_install_renders() -> None:
    template = (REPO / "systemd" / "stretchd.service").read_text()
    assert template == service.render_unit(["/usr/bin/python3", "-m", "stretchd", "daemon"])


def test_the_documented_template_passes_systemd_analyze_verify(tmp_path: Path) -> None:
    if not Path("/usr/bin/python3").exists():
        pytest.skip("the template's ExecStart names /usr/bin/python3, which this machine lacks")
    unit = tmp_path / "stretchd.service"
    unit.write_text((REPO / "systemd" / "stretchd.service").read_text())
    r = systemd_verify(unit, tmp_path)
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr  # unknown keys are only warnings: none allowed


def test_install_no_start_writes_a_unit_for_this_interpreter_and_enables_it(
    cli: Cli, fake_systemctl: FakeSystemctl, tmp_path: Path
) -> None:
    r = cli("service", "install", "--no-start")
    assert r.code == 0, r.err
    unit = service.unit_path()
    text = unit.read_text()
    assert this_exec_start() in text.splitlines()
    for line in (
        "Type=notify",
        "NotifyAccess=main",
        "WatchdogSec=600",
        "Restart=on-failure",
        "PartOf=graphical-session.target",
        "After=graphical-session.target",
        "WantedBy=graphical-session.target",
        "Environment=DBUS_SESSION_BUS_ADDRESS=unix:path=%t/bus",
        f"Environment=STRETCHD_HOME={os.environ['STRETCHD_HOME']}",
    ):
        assert line in text.splitlines(), line
    assert stat.S_IMODE(unit.stat().st_mode) == 0o600
    assert fake_systemctl.calls() == [["show-environment"], ["daemon-reload"], ["enable", "stretchd.service"]]
    assert f"Wrote {unit}" in r.out
    assert "Ran `systemctl --user enable stretchd.service`" in r.out
    verdict = systemd_verify(unit, tmp_path)
    assert verdict.returncode == 0, verdict.stderr
    assert verdict.stderr.strip() == "", verdict.stderr


def test_install_starts_it_and_a_rerun_changes_nothing(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    assert cli("service", "install").code == 0
    first = service.unit_path().read_text()
    assert ["start", "stretchd.service"] in fake_systemctl.calls()
    again = cli("service", "install")
    assert again.code == 0
    assert "is already up to date" in again.out
    assert service.unit_path().read_text() == first
    # Unchanged unit: `start` (a no-op when running), never a restart that would interrupt it.
    assert ["restart", "stretchd.service"] not in fake_systemctl.calls()


def test_a_changed_unit_is_rewritten_and_the_daemon_restarted(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    assert cli("service", "install").code == 0
    r = cli("service", "install", "--target", "default")
    assert r.code == 0, r.err
    text = service.unit_path().read_text()
    assert "WantedBy=default.target" in text
    assert "graphical-session.target" not in text.split("[Unit]")[1]
    assert f"Updated {service.unit_path()}" in r.out
    assert fake_systemctl.calls()[-1] == ["restart", "stretchd.service"]


def test_the_bus_fallback_is_left_out_when_the_manager_has_a_bus_address(
    cli: Cli, fake_systemctl: FakeSystemctl
) -> None:
    fake_systemctl.manager_env("HOME=/home/u\nDBUS_SESSION_BUS_ADDRESS=unix:abstract=/tmp/dbus-x11\n")
    assert cli("service", "install", "--no-start").code == 0
    assert "Environment=DBUS_SESSION_BUS_ADDRESS" not in service.unit_path().read_text()


def test_a_failed_start_is_reported_and_leaves_no_unit(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    fake_systemctl.fail("start")
    r = cli("service", "install")
    assert r.code == 5
    assert "`systemctl --user start stretchd.service` failed: Job for stretchd.service failed" in r.err
    assert "was removed again" in r.err
    assert not service.unit_path().exists()
    calls = fake_systemctl.calls()
    assert calls[-2:] == [["disable", "stretchd.service"], ["daemon-reload"]]
    assert not list(service.unit_dir().iterdir())  # no temp files either


def test_a_failed_update_puts_the_previous_unit_back(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    assert cli("service", "install", "--no-start").code == 0
    before = service.unit_path().read_text()
    fake_systemctl.fail("daemon-reload")
    r = cli("service", "install", "--no-start", "--target", "default")
    assert r.code == 5
    assert "the previous" in r.err
    assert service.unit_path().read_text() == before


def test_uninstall_reverses_install(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    assert cli("service", "install").code == 0
    r = cli("service", "uninstall")
    assert r.code == 0, r.err
    assert not service.unit_path().exists()
    assert fake_systemctl.calls()[-2:] == [["disable", "--now", "stretchd.service"], ["daemon-reload"]]
    assert f"Removed {service.unit_path()}" in r.out
    assert "Nothing to remove" in cli("service", "uninstall").out


def test_status_shows_the_unit_state_and_that_no_daemon_answers(cli: Cli, fake_systemctl: FakeSystemctl) -> None:
    assert cli("service", "install").code == 0
    r = cli("service", "status")
    assert r.code == 1  # the daemon does not answer: scripts can tell
    assert 'enabled, active (running), pid 4242, "next reminder 18:00"' in r.out
    assert "daemon     not running" in r.out
    data = cli("service", "status", "--json").json()
    assert isinstance(data, dict)
    assert data["installed"] is True
    assert data["systemd"]["MainPID"] == "4242"
    assert data["daemon"] is None


# ---------------------------------------------------------------- no user manager


def test_install_without_a_user_manager_says_so_writes_nothing_and_offers_autostart(
    cli: Cli, no_user_manager: Path
) -> None:
    if not any((Path(d) / "systemctl").exists() for d in os.environ["PATH"].split(os.pathsep)):
        pytest.skip("systemctl is not installed (covered by the next test)")
    r = cli("service", "install", "--no-start")
    assert r.code == 5
    assert r.err.startswith("stretchd: error: no systemd user manager is reachable (systemctl --user: ")
    assert "nothing was written" in r.err
    assert "stretchd service install --autostart" in r.err
    assert str(service.autostart_path()) in r.err
    assert not service.unit_dir().exists()
    assert not service.autostart_path().exists()


def test_install_without_systemctl_at_all(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    r = cli("service", "install")
    assert r.code == 5
    assert "systemctl is not installed" in r.err
    assert not service.unit_dir().exists()


def test_autostart_entry_runs_this_interpreter(cli: Cli, no_user_manager: Path) -> None:
    r = cli("service", "install", "--autostart")
    assert r.code == 0, r.err
    path = service.autostart_path()
    lines = path.read_text().splitlines()
    assert lines[0] == "[Desktop Entry]"
    assert "Type=Application" in lines
    exec_line = next(line for line in lines if line.startswith("Exec="))
    home = os.environ["STRETCHD_HOME"]
    assert exec_line == "Exec=" + " ".join(
        service.desktop_quote(a)
        for a in ["/usr/bin/env", f"STRETCHD_HOME={home}", sys.executable, "-m", "stretchd", "daemon"]
    )
    assert sys.executable in exec_line
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "already up to date" in cli("service", "install", "--autostart").out
    r = cli("service", "uninstall")
    assert f"Removed {path}" in r.out
    assert not path.exists()


# ---------------------------------------------------------------- quoting, checked by systemd itself


def test_an_interpreter_path_with_spaces_percent_and_dollar_is_quoted_for_systemd(tmp_path: Path) -> None:
    odd = tmp_path / "my venv 100% $HOME;x"
    odd.mkdir()
    python = odd / "python3"
    python.symlink_to(sys.executable)
    unit = tmp_path / "stretchd.service"
    # The path again as an argument: there $ must be doubled, in the executable it must not.
    unit.write_text(service.render_unit([str(python), "-m", "stretchd", "daemon", str(python)]))
    r = systemd_verify(unit, tmp_path)
    # A wrong quote makes systemd look for another path and report it "is not executable".
    assert r.returncode == 0, r.stderr
    assert r.stderr.strip() == "", r.stderr


def test_an_interpreter_path_systemd_refuses_is_refused_before_anything_is_written(
    cli: Cli, fake_systemctl: FakeSystemctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    odd = tmp_path / "it's here"
    odd.mkdir()
    monkeypatch.setattr(sys, "executable", str(odd / "python3"))
    r = cli("service", "install")
    assert r.code == 1
    assert "systemd cannot run an interpreter whose path holds quotes or backslashes" in r.err
    assert "--autostart" in r.err
    assert not service.unit_path().exists()
    assert fake_systemctl.calls() == [["show-environment"]]


@pytest.mark.parametrize(
    ("arg", "quoted"),
    [
        ("/usr/bin/python3", "/usr/bin/python3"),
        ("/opt/my env/bin/python", '"/opt/my env/bin/python"'),
        ("/a/100%/py", "/a/100%%/py"),
        ("/a/$HOME/py", "/a/$$HOME/py"),
        ('/a/"q"/py', '"/a/\\"q\\"/py"'),
    ],
)
def test_exec_quote(arg: str, quoted: str) -> None:
    assert service.exec_quote(arg) == quoted
    if '"' not in arg:
        assert service.exec_quote(arg, executable=True) == quoted.replace("$$", "$")


def test_desktop_quote() -> None:
    assert service.desktop_quote("/usr/bin/python3") == "/usr/bin/python3"
    assert service.desktop_quote("/opt/my env/py") == '"/opt/my env/py"'
    assert service.desktop_quote("/a/$x/py") == '"/a/\\\\$x/py"'  # \$ inside quotes, then \\ for the file
    assert service.desktop_quote("/a/50%/py") == "/a/50%%/py"


def test_status_shows_what_the_daemon_reports(
    cli: Cli, fake_systemctl: FakeSystemctl, daemon_stand_in: list[dict[str, object]]
) -> None:
    r = cli("service", "status")
    assert r.code == 0
    assert "daemon     running (pid 4242); next reminder 18:00 deep" in r.out
    assert daemon_stand_in == [{"cmd": "status"}]


def test_uninstall_without_a_user_manager_still_removes_the_unit(
    cli: Cli, fake_systemctl: FakeSystemctl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert cli("service", "install", "--no-start").code == 0
    empty = tmp_path / "no-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    r = cli("service", "uninstall")
    assert r.code == 0, r.err
    assert "No systemd user manager is reachable (systemctl is not installed): nothing to stop" in r.out
    assert not service.unit_path().exists()


def test_logs_reads_the_user_journal_for_the_unit(cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    argv = service.logs_command(follow=True, lines=20) if shutil.which("journalctl") else None
    if argv is not None:
        assert argv[1:] == ["--user", "-u", "stretchd.service", "-n", "20", "--no-pager", "-f"]
    empty = tmp_path / "no-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    r = cli("service", "logs")
    assert r.code == 5
    assert r.err.startswith("stretchd: error: journalctl is not installed")


def test_autostart_install_starts_the_daemon_and_uninstall_stops_it(cli: Cli, no_user_manager: Path) -> None:
    from stretchd import control
    from stretchd.paths import resolve

    r = cli("service", "install", "--autostart")
    assert r.code == 0, r.err
    assert "Started the daemon now (pid" in r.out
    reply = control.request(resolve(), {"cmd": "status"})
    assert reply is not None and reply["running"] is True
    r = cli("service", "uninstall")
    assert f"Stopped the daemon (pid {reply['pid']})" in r.out
    assert control.request(resolve(), {"cmd": "status"}, timeout=0.5) is None
