"""Helpers for the service, init and doctor tests: no reachable user manager, and a recording systemctl."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from conftest import require

from stretchd.paths import resolve

# This machine (and CI containers) has no systemd user manager, so the success path of
# `service install` cannot meet a real one. This stand-in is a real executable found on PATH, as
# systemctl would be; it records its argv, answers `show-environment` and `show`, and fails the
# verb named in FAKE_SYSTEMCTL_FAIL with a systemctl-like message.
FAKE_SYSTEMCTL = """\
#!{python}
import json, os, sys
with open(os.environ["FAKE_SYSTEMCTL_LOG"], "a") as log:
    log.write(json.dumps(sys.argv[1:]) + "\\n")
args = [a for a in sys.argv[1:] if a != "--user"]
verb = args[0] if args else ""
if verb == os.environ.get("FAKE_SYSTEMCTL_FAIL"):
    sys.stderr.write("Job for stretchd.service failed because the control process exited with error code.\\n")
    sys.exit(1)
if verb == "show-environment":
    sys.stdout.write(os.environ.get("FAKE_SYSTEMCTL_ENV", "HOME=/home/someone\\nLANG=C.UTF-8\\n"))
elif verb == "show":
    sys.stdout.write("LoadState=loaded\\nActiveState=active\\nSubState=running\\nUnitFileState=enabled\\n"
                     "MainPID=4242\\nStatusText=next reminder 18:00\\nNRestarts=0\\nResult=success\\n")
"""


@dataclass
class FakeSystemctl:
    log: Path
    monkeypatch: pytest.MonkeyPatch

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [[a for a in json.loads(line) if a != "--user"] for line in self.log.read_text().splitlines()]

    def fail(self, verb: str) -> None:
        self.monkeypatch.setenv("FAKE_SYSTEMCTL_FAIL", verb)

    def manager_env(self, text: str) -> None:
        self.monkeypatch.setenv("FAKE_SYSTEMCTL_ENV", text)


@pytest.fixture
def fake_systemctl(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeSystemctl:
    bindir = tmp_path / "fakebin"
    bindir.mkdir()
    exe = bindir / "systemctl"
    exe.write_text(FAKE_SYSTEMCTL.format(python=sys.executable))
    exe.chmod(0o755)
    log = tmp_path / "systemctl.log"
    monkeypatch.setenv("PATH", f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}")
    monkeypatch.setenv("FAKE_SYSTEMCTL_LOG", str(log))
    monkeypatch.delenv("FAKE_SYSTEMCTL_FAIL", raising=False)
    monkeypatch.delenv("FAKE_SYSTEMCTL_ENV", raising=False)
    return FakeSystemctl(log, monkeypatch)


@pytest.fixture
def no_user_manager(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The real systemctl, with nothing to talk to: an empty runtime dir and no session bus.

    This holds on any machine, with or without systemd, so tests never reach a real user manager.
    """
    runtime = tmp_path / "xdg-runtime"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    return runtime


def systemd_verify(unit: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """``systemd-analyze --user verify`` (it needs a runtime dir even offline)."""
    tool = require("systemd-analyze")
    runtime = tmp_path / "verify-runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    return subprocess.run(
        [tool, "--user", "verify", str(unit)],
        env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


@pytest.fixture
def daemon_stand_in() -> Iterator[list[dict[str, Any]]]:
    """A peer on the control socket that answers ``status`` as the daemon's protocol says.

    The daemon itself is another issue's work; this checks how doctor reads and shows a reply.
    """
    paths = resolve()
    paths.runtime_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    seen: list[dict[str, Any]] = []
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(paths.control_socket))
    server.listen()
    server.settimeout(0.2)
    done = threading.Event()

    def serve() -> None:
        while not done.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                request = json.loads(conn.makefile("rb").readline())
                seen.append(request)
                reply = {"ok": True, "running": True, "pid": 4242, "server": "mock 1.0",  # the daemon's shape
                         "next": [{"slot": "18:00", "routine": "deep", "at": "2026-11-24T18:00:00+01:00"}]}  # fmt: skip
                conn.sendall(json.dumps(reply).encode() + b"\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield seen
    done.set()
    thread.join(2)
    server.close()
