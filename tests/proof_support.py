"""Helpers for the fault-injection and concurrency tests: generated histories and worker processes."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

from tests.conftest import REPO, stretchd_env


def home_paths(home: Path) -> Any:
    from stretchd.paths import Paths

    return Paths(home / "config", home / "data", home / "run")  # the STRETCHD_HOME layout


def data_file(home: Path) -> Path:
    return home / "data" / "history.json"


def make_history(home: Path, days: int) -> int:
    """``days`` days before today, 2 stretches + 1 pain report each, written in one transaction."""
    from stretchd.clock import local_zone
    from stretchd.core.model import Entry
    from stretchd.store import Store, new_uid

    tz = local_zone()
    today = date.today()
    entries = []
    for back in range(days, 0, -1):
        day = today - timedelta(days=back)
        entries += [
            Entry(new_uid(), "stretch", datetime.combine(day, clock(8, 5), tzinfo=tz), routine="deep"),
            Entry(new_uid(), "pain", datetime.combine(day, clock(12, 30), tzinfo=tz), level=back % 7, area="hip"),
            Entry(new_uid(), "stretch", datetime.combine(day, clock(18, 10), tzinfo=tz), routine="gentle"),
        ]
    with Store(home_paths(home)).transaction() as txn:
        txn.add_many(entries)
    return len(entries)


def stored(home: Path) -> dict[str, Any]:
    """The data file parsed as plain JSON (fails the test if it is not valid JSON)."""
    return json.loads(data_file(home).read_bytes())


def stored_entries(home: Path) -> list[dict[str, Any]]:
    return list(stored(home).get("entries", {}).values())


def leftovers(home: Path) -> list[str]:
    """Files in the data dir other than the history and its lock (e.g. orphaned temp files)."""
    return sorted(p.name for p in (home / "data").iterdir() if p.name not in ("history.json", "history.lock"))


def python_worker(code: str, *args: str, home: Path, **popen: Any) -> subprocess.Popen[str]:
    """A real Python process running ``code`` (sys.argv[1:] = args) against STRETCHD_HOME=home."""
    env = stretchd_env(STRETCHD_HOME=str(home), PYTHONDONTWRITEBYTECODE="1")
    return subprocess.Popen(
        [sys.executable, "-c", code, *args], env=env, cwd=REPO, text=True, **popen
    )  # fmt: skip


def past_iso(minutes_ago: int) -> str:
    """A local wall-clock ISO time (no offset, as a user types it) ``minutes_ago`` minutes back."""
    return (datetime.now() - timedelta(minutes=minutes_ago)).replace(microsecond=0).isoformat()


def wait_all(procs: list[subprocess.Popen[str]], timeout: float = 120) -> list[tuple[int, str]]:
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=timeout)
        out.append((p.returncode, (stdout or "") + (stderr or "")))
    return out


def go_file(tmp: Path) -> Path:
    """Workers spin until this file exists, so that they all start writing at the same moment."""
    return tmp / "go"


SPIN_UNTIL_GO = """
import os, sys, time
_go = sys.argv[1]
while not os.path.exists(_go):
    time.sleep(0.002)
"""


def release(go: Path) -> None:
    go.write_text("go")
