"""Shared fixtures: an isolated STRETCHD_HOME for every test, the CLI in-process, and real D-Bus peers."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
ON_CI = bool(os.environ.get("CI"))


@pytest.fixture(autouse=True)
def home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Every test gets its own STRETCHD_HOME and never touches the user's session bus.

    A daemon still answering in that home afterwards (started detached by `init`, say) is stopped.
    """
    # Short path: the control socket lives under it and AF_UNIX paths are limited to 108 bytes.
    path = tmp_path_factory.mktemp("h")
    monkeypatch.setenv("STRETCHD_HOME", str(path))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/stretchd-test-system-bus")
    monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    yield path
    stop_daemon_in(path)


def stop_daemon_in(home: Path) -> None:
    from stretchd.paths import Paths
    from stretchd.service import stop_running_daemon

    paths = Paths(home / "config", home / "data", home / "run")
    if paths.control_socket.exists():
        stop_running_daemon(paths, timeout=5.0)


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> object:
        return json.loads(self.out)


@pytest.fixture
def cli() -> Callable[..., CliResult]:
    """Run ``stretchd ARGS`` in-process through the real entry point (error handler included)."""
    from stretchd.cli import main

    def run(*args: str, input: str | None = None) -> CliResult:
        runner = CliRunner()
        with runner.isolation(input=input) as (out, err, *_):
            code = main(list(args))
            return CliResult(code, out.getvalue().decode(), err.getvalue().decode())

    return run


def stretchd_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


def run_stretchd(*args: str, env: dict[str, str] | None = None, timeout: float = 60,
                 input: str | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``stretchd ARGS`` as a real process (same interpreter, this checkout)."""
    return subprocess.run(
        [sys.executable, "-m", "stretchd", *args],
        env=env or stretchd_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        input=input,
        check=False,
    )


def require(binary: str) -> str:
    """The path of a system tool the test needs; on CI its absence is a failure, not a skip."""
    path = shutil.which(binary)
    if path is None:
        if ON_CI:
            pytest.fail(f"{binary} is not installed; .ci/run must install it")
        pytest.skip(f"{binary} is not installed")
    return path


def wait_until(predicate: Callable[[], object], timeout: float = 10.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@dataclass
class Bus:
    address: str
    process: subprocess.Popen[bytes]


def start_bus(tmp: Path, kind: str = "session") -> Bus:
    require("dbus-daemon")
    conf = tmp / f"{kind}-bus.conf"
    sock = tmp / f"{kind}-bus.sock"
    conf.write_text(
        f"""<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>{kind}</type>
  <listen>unix:path={sock}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""
    )
    proc = subprocess.Popen(
        ["dbus-daemon", f"--config-file={conf}", "--nofork", "--nosyslog", "--print-address=1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    address = proc.stdout.readline().decode().strip()
    if not address:
        proc.kill()
        raise AssertionError("dbus-daemon did not print its address")
    return Bus(address, proc)


def stop(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


@pytest.fixture
def session_bus(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Bus]:
    """A private session bus; DBUS_SESSION_BUS_ADDRESS points at it for the test and its children."""
    bus = start_bus(tmp_path, "session")
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", bus.address)
    yield bus
    stop(bus.process)


def dbusmock_python() -> str:
    """An interpreter that can import dbusmock (Debian's python3-dbusmock lives in /usr/bin/python3)."""
    for candidate in (os.environ.get("DBUSMOCK_PYTHON"), sys.executable, "/usr/bin/python3"):
        if candidate and Path(candidate).exists():
            ok = subprocess.run([candidate, "-c", "import dbusmock"], capture_output=True, check=False)
            if ok.returncode == 0:
                return candidate
    if ON_CI:
        pytest.fail("python-dbusmock is not installed; .ci/run must install python3-dbusmock")
    pytest.skip("python-dbusmock is not installed")


@dataclass
class MockNotificationServer:
    """python-dbusmock's notification_daemon template, as a separate process on the test bus."""

    process: subprocess.Popen[bytes]
    log: Path
    address: str

    def notify_calls(self) -> list[str]:
        return [line for line in self.log.read_text().splitlines() if " Notify " in line]


def start_mock_notification_server(
    bus: Bus, tmp: Path, capabilities: str = "body actions body-markup"
) -> MockNotificationServer:
    python = dbusmock_python()
    log = tmp / f"notify-{time.monotonic_ns()}.log"
    proc = subprocess.Popen(
        [python, "-m", "dbusmock", "--template", "notification_daemon", "-l", str(log),
         "-p", json.dumps({"capabilities": capabilities})],
        env={**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": bus.address}

    def owned() -> bool:
        r = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
             "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"],
            env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        return "boolean true" in r.stdout

    wait_until(owned, 15, "the mock notification server")
    return MockNotificationServer(proc, log, bus.address)


@pytest.fixture
def notification_server(session_bus: Bus, tmp_path: Path) -> Iterator[MockNotificationServer]:
    server = start_mock_notification_server(session_bus, tmp_path)
    yield server
    stop(server.process)
