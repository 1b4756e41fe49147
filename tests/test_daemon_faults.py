"""Daemon fault injection: the notification server dies and comes back; another user knocks."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from stretchd.paths import resolve
from tests.conftest import Bus, require, run_stretchd, start_mock_notification_server, stop, wait_until
from tests.daemon_support import clock_in, notify_records, notify_summaries, sent_docs, start_daemon, write_config

pytestmark = [pytest.mark.fault, pytest.mark.bus, pytest.mark.e2e]
LATER = clock_in(4 * 3600)


def outcomes(home: Path, slot: str) -> list[str]:
    return [str(d.get("outcome")) for d in sent_docs(home) if d.get("slot") == slot and d.get("kind") == "reminder"]


def test_the_server_disappears_and_comes_back(home: Path, session_bus: Bus, tmp_path: Path) -> None:
    first, second = clock_in(3), clock_in(8)
    write_config(home, [(first, "deep"), (second, "gentle"), (LATER, "deep")])
    server = start_mock_notification_server(session_bus, tmp_path)
    d = start_daemon(home)
    try:
        d.wait_ready()
        wait_until(lambda: outcomes(home, first) == ["delivered"], 8, "the first reminder")
        stop(server.process)  # the desktop's notification server crashes
        wait_until(lambda: outcomes(home, second), 10, "the attempt at the second slot")
        assert outcomes(home, second)[0] in ("no-server", "error")
        assert d.process.poll() is None, d.text()
        again = start_mock_notification_server(session_bus, tmp_path)  # ... and is started again
        try:
            wait_until(lambda: notify_records(again), 8, "the retried reminder")
            assert notify_summaries(notify_records(again)) == [f"Time to stretch ({second})"]
            wait_until(lambda: outcomes(home, second)[-1:] == ["delivered"], 5, "the delivery recorded")
            assert d.process.poll() is None
        finally:
            stop(again.process)
    finally:
        assert d.stop() == 0
    assert "Traceback" not in d.text()


def test_the_control_socket_refuses_another_user(monkeypatch: pytest.MonkeyPatch) -> None:
    """A real process of another uid (setpriv; tests run as root). The directory (0700) and the
    socket (0600) already keep it out; the test opens both up to reach the daemon's own check of
    the peer's uid, the last line of defence."""
    if os.geteuid() != 0:
        pytest.skip("needs root to run a client as another uid")
    setpriv = require("setpriv")
    # pytest's own temp root is 0700: another user could not even reach the socket's directory.
    home = Path(tempfile.mkdtemp(prefix="stretchd-uid-"))
    monkeypatch.setenv("STRETCHD_HOME", str(home))
    write_config(home, [(LATER, "deep")])
    d = start_daemon(home)
    try:
        d.wait_ready()
        paths = resolve()
        probe = (
            "import socket,sys; s=socket.socket(socket.AF_UNIX); s.settimeout(3)\n"
            'try:\n s.connect(sys.argv[1]); s.sendall(b\'{"cmd": "status"}\\n\'); print(repr(s.recv(4096)))\n'
            "except OSError as e:\n print('refused', type(e).__name__)\n"
        )
        as_other = [setpriv, "--reuid=1000", "--regid=1000", "--clear-groups", sys.executable, "-c", probe,
                    str(paths.control_socket)]  # fmt: skip

        def knock() -> str:
            r = subprocess.run(as_other, capture_output=True, text=True, timeout=20, check=False, cwd="/")
            return r.stdout.strip() or r.stderr.strip()

        assert knock() == "refused PermissionError"  # the 0700 directory
        home.chmod(0o755)
        paths.runtime_dir.chmod(0o711)
        paths.control_socket.chmod(0o666)
        answer = knock()  # connected: the daemon itself must refuse, telling nothing about us
        assert "permission denied: not the daemon" in answer
        assert "running" not in answer and "next" not in answer
        assert "refused a control connection from uid 1000" in d.text()
        assert d.process.poll() is None
        assert json.loads(run_stretchd("status", "--json").stdout)["running"] is True  # we still get in
    finally:
        d.stop()
        shutil.rmtree(home, ignore_errors=True)
