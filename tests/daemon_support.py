"""Helpers for daemon tests: a config with reminders seconds ahead, the daemon as a real process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import REPO, stretchd_env, wait_until


def clock_in(seconds: float, now: datetime | None = None) -> str:
    """The local wall time ``seconds`` from now as HH:MM:SS (the config accepts seconds)."""
    at = (now or datetime.now().astimezone()) + timedelta(seconds=seconds)
    return at.strftime("%H:%M:%S")


def write_config(home: Path, times: list[tuple[str, str]], **settings: Any) -> None:
    lines = []
    sections: dict[str, list[str]] = {}
    for key, value in settings.items():
        section, name = key.split("__")
        sections.setdefault(section, []).append(
            f"{name} = {value!r}" if isinstance(value, str) else f"{name} = {value}"
        )
    for section, items in sections.items():
        lines += [f"[{section}]", *items, ""]
    for t, routine in times:
        lines += ["[[reminders]]", f'time = "{t}"', f'routine = "{routine}"', ""]
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "config.toml").write_text("\n".join(lines).replace("'", '"'))


@dataclass
class DaemonProc:
    process: subprocess.Popen[str]
    log: Path
    home: Path

    def text(self) -> str:
        return self.log.read_text()

    def wait_ready(self, timeout: float = 10) -> None:
        wait_until(lambda: "daemon ready" in self.text() or self.process.poll() is not None, timeout, "daemon ready")
        assert self.process.poll() is None, self.text()

    def stop(self) -> int:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        return self.process.returncode


def start_daemon(home: Path, *, env: dict[str, str] | None = None, prefix: tuple[str, ...] = (),
                 verbose: bool = True) -> DaemonProc:  # fmt: skip
    log = home / f"daemon-{time.monotonic_ns()}.log"
    out = log.open("w")
    args = [*prefix, sys.executable, "-m", "stretchd", "daemon", *(["--verbose"] if verbose else [])]
    proc = subprocess.Popen(args, env=env or stretchd_env(), stdout=out, stderr=subprocess.STDOUT, text=True,
                            cwd=REPO)  # fmt: skip
    out.close()
    return DaemonProc(proc, log, home)


def sent_docs(home: Path) -> list[dict[str, Any]]:
    from stretchd.paths import resolve
    from stretchd.store import Store

    old = os.environ.get("STRETCHD_HOME")
    os.environ["STRETCHD_HOME"] = str(home)
    try:
        return Store(resolve()).records("sent")
    finally:
        if old is not None:
            os.environ["STRETCHD_HOME"] = old


def notify_summaries(calls: list[str]) -> list[str]:
    """The summary (4th string argument) of each Notify line in the dbusmock log."""
    out = []
    for line in calls:
        parts = line.split('"')
        out.append(parts[5] if len(parts) > 5 else line)
    return out


def notify_times(calls: list[str]) -> list[float]:
    return [float(line.split()[0]) for line in calls]


def notify_records(server: Any) -> list[str]:
    """Whole Notify calls from the dbusmock log (a body's newlines continue the record)."""
    import re

    records: list[str] = []
    for line in server.log.read_text().splitlines():
        if re.match(r"^\d+\.\d+ ", line):
            records.append(line)
        elif records:
            records[-1] += "\n" + line
    return [r for r in records if " Notify " in r]


def emit_signal(address: str, bus_name: str, path: str, interface: str, member: str, signature: str,
                *args: Any) -> None:  # fmt: skip
    """Make a dbusmock server emit a signal from its own connection (Mock.EmitSignal takes ``av``:
    dbus-send cannot build that, so conftest's ``emit`` fails; jeepney can)."""
    from jeepney import DBusAddress, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    variants = [(sig, value) for sig, value in zip(signature, args, strict=True)]
    with open_dbus_connection(address) as conn:
        msg = new_method_call(DBusAddress(path, bus_name=bus_name, interface="org.freedesktop.DBus.Mock"),
                              "EmitSignal", "sssav", (interface, member, signature, variants))  # fmt: skip
        reply = conn.send_and_get_reply(msg, timeout=5)
        assert reply.header.message_type.name != "error", reply.body


def press(server: Any, nid: int, key: str) -> None:
    """The user presses a button: the notification server emits ActionInvoked."""
    emit_signal(server.address, "org.freedesktop.Notifications", "/org/freedesktop/Notifications",
                "org.freedesktop.Notifications", "ActionInvoked", "us", nid, key)  # fmt: skip
