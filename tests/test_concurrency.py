"""Many real processes writing the history at once: nothing is lost and the file stays valid JSON."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import run_stretchd, stretchd_env
from tests.proof_support import (
    SPIN_UNTIL_GO,
    go_file,
    past_iso,
    python_worker,
    release,
    stored,
    stored_entries,
    wait_all,
)

pytestmark = pytest.mark.fault
PER_LANE = 15

# Each worker logs N stretches through the real entry point, in-process (no start-up cost per call).
CLI_WORKER = (
    SPIN_UNTIL_GO
    + """
import contextlib, io
from datetime import datetime, timedelta
from stretchd.cli import main
wid, n = int(sys.argv[2]), int(sys.argv[3])
base = datetime.fromisoformat(sys.argv[4])
for i in range(n):
    at = (base + timedelta(seconds=wid * 1000 + i)).isoformat()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["done", "deep", "--at", at, "--note", f"w{wid}-{i}"])
    if code != 0:
        sys.exit(f"worker {wid}: done #{i} exited {code}")
"""
)

SERVICE_WORKER = (
    SPIN_UNTIL_GO
    + """
from stretchd.services import Context, log_stretch
wid, n = int(sys.argv[2]), int(sys.argv[3])
ctx = Context.load()
for i in range(n):
    log_stretch(ctx, routine="gentle", at=None, note=f"w{wid}-{i}")
"""
)

# What the daemon writes: its delivery records and its state, in transactions of its own.
DAEMON_LIKE = (
    SPIN_UNTIL_GO
    + """
from stretchd.paths import resolve
from stretchd.store import Store
n = int(sys.argv[2])
store = Store(resolve())
for i in range(n):
    with store.transaction() as txn:
        txn.entries()  # the daemon reads what was logged before it decides
        txn.record("sent", {"slot": f"slot-{i}", "outcome": "delivered", "i": i})
        txn.set_state("last_slot", i)
"""
)


def notes(home: Path) -> list[str]:
    return sorted(e.get("note", "") for e in stored_entries(home))


def test_four_processes_times_fifty_done_in_process_lose_nothing(home: Path, tmp_path: Path) -> None:
    go = go_file(tmp_path)
    base = past_iso(24 * 60)
    procs = [
        python_worker(
            CLI_WORKER, str(go), str(w), "50", base, home=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        for w in range(4)
    ]
    release(go)
    for code, output in wait_all(procs):
        assert code == 0, output
    assert notes(home) == sorted(f"w{w}-{i}" for w in range(4) for i in range(50))
    assert len({e["uid"] for e in stored_entries(home)}) == 200


@pytest.mark.slow
def test_four_processes_times_fifty_real_cli_done_lose_nothing(home: Path) -> None:
    """The real entry point as separate processes, four at any moment (4 x 15: each start costs ~0.1 s CPU;
    the 4 x 50 test above runs the same main() in-process)."""
    base = past_iso(24 * 60)
    failures: list[str] = []
    env = stretchd_env(STRETCHD_HOME=str(home), PYTHONDONTWRITEBYTECODE="1")

    def lane(w: int) -> None:
        from datetime import datetime, timedelta

        for i in range(PER_LANE):
            at = (datetime.fromisoformat(base) + timedelta(seconds=w * 1000 + i)).isoformat()
            r = run_stretchd("done", "deep", "--at", at, "--note", f"w{w}-{i}", env=env)
            if r.returncode != 0 or "Traceback" in r.stderr:
                failures.append(f"w{w}-{i}: {r.returncode} {r.stderr}")

    threads = [threading.Thread(target=lane, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert failures == []
    assert notes(home) == sorted(f"w{w}-{i}" for w in range(4) for i in range(PER_LANE))
    r = run_stretchd("history", "--json", env=env)
    assert r.returncode == 0
    assert len(json.loads(r.stdout)) == 4 * PER_LANE


def test_eight_writers_and_a_daemon_like_writer_lose_nothing(home: Path, tmp_path: Path) -> None:
    go = go_file(tmp_path)
    writers = [
        python_worker(SERVICE_WORKER, str(go), str(w), "25", home=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for w in range(8)
    ]
    daemon = python_worker(DAEMON_LIKE, str(go), "100", home=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    release(go)
    for code, output in wait_all([*writers, daemon]):
        assert code == 0, output
    data = stored(home)
    assert notes(home) == sorted(f"w{w}-{i}" for w in range(8) for i in range(25))
    sent = sorted(doc["i"] for doc in data["sent"].values())
    assert sent == list(range(100))
    state = [doc for doc in data["state"].values() if doc["key"] == "last_slot"]
    assert [doc["value"] for doc in state] == [99]


def test_readers_never_see_a_half_written_file(home: Path, tmp_path: Path) -> None:
    """`stats --json` keeps answering (exit 0, valid JSON) while four processes write."""
    go = go_file(tmp_path)
    writers = [
        python_worker(SERVICE_WORKER, str(go), str(w), "30", home=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for w in range(4)
    ]
    release(go)
    reader = (
        "import sys, json, contextlib, io\n"
        "from stretchd.cli import main\n"
        "for _ in range(40):\n"
        "    buf = io.StringIO()\n"
        "    with contextlib.redirect_stdout(buf):\n"
        "        code = main(['stats', '--json'])\n"
        "    assert code == 0, code\n"
        "    json.loads(buf.getvalue())\n"
    )
    r = subprocess.run([sys.executable, "-c", reader], env=stretchd_env(STRETCHD_HOME=str(home)),
                       capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    for code, output in wait_all(writers):
        assert code == 0, output
    assert r.returncode == 0, r.stderr
    assert len(stored_entries(home)) == 120


SCHEDULE_WORKER = (
    SPIN_UNTIL_GO
    + """
from datetime import time as clock
from stretchd import services
from stretchd.paths import resolve
w = int(sys.argv[2])
for i in range(5):
    services.schedule_change(resolve(), add=(clock(w + 1, i * 5 + 1), "deep"))
"""
)


def test_concurrent_schedule_changes_lose_nothing(home: Path, tmp_path: Path) -> None:
    go = go_file(tmp_path)
    procs = [
        python_worker(SCHEDULE_WORKER, str(go), str(w), home=home, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for w in range(4)
    ]
    release(go)
    for code, output in wait_all(procs):
        assert code == 0, output
    r = run_stretchd("schedule", "list", "--json", env=stretchd_env(STRETCHD_HOME=str(home)))
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)["reminders"]) == 2 + 4 * 5
