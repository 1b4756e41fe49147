"""Benchmark of the reminder daemon: reminder precision on a real bus, then its idle footprint.

``run(quick)`` returns {"name": "daemon", "rows": [...]}; ``python3 bench/bench_daemon.py [--quick]``
prints a table. Needs dbus-daemon and python3-dbusmock (Debian) like the end-to-end tests.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
REMINDERS = 10
SPACING = 2.0  # seconds between the benchmark's reminder slots


def _dbusmock_python() -> str:
    for candidate in (os.environ.get("DBUSMOCK_PYTHON"), sys.executable, "/usr/bin/python3"):
        if candidate and subprocess.run([candidate, "-c", "import dbusmock"], capture_output=True,
                                        check=False).returncode == 0:  # fmt: skip
            return candidate
    raise RuntimeError("python-dbusmock is not installed")


def _owned(env: dict[str, str]) -> bool:
    r = subprocess.run(["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus", "/org/freedesktop/DBus",
                        "org.freedesktop.DBus.NameHasOwner", "string:org.freedesktop.Notifications"],
                       env=env, capture_output=True, text=True, check=False)  # fmt: skip
    return "boolean true" in r.stdout


def _proc_counters(pid: int) -> tuple[float, int, float]:
    """(RSS MiB, voluntary context switches summed over all threads, CPU seconds)."""
    rss = 0.0
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            rss = int(line.split()[1]) / 1024
    switches = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            for line in (task / "status").read_text().splitlines():
                if line.startswith("voluntary_ctxt_switches:"):
                    switches += int(line.split()[1])
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    cpu = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return rss, switches, cpu


def _notify_times(log: Path) -> list[float]:
    return [float(line.split()[0]) for line in log.read_text().splitlines()
            if re.match(r"^\d+\.\d+ Notify ", line)]  # fmt: skip


PEERS = {"Workrave": ["workrave"], "Safe Eyes": ["safeeyes"]}  # Debian packages workrave, safeeyes


def _start_xvfb() -> tuple[subprocess.Popen[bytes], str] | None:
    if not shutil.which("Xvfb"):
        return None
    read, write = os.pipe()
    proc = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
                            pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    os.close(write)
    with os.fdopen(read) as f:
        number = f.readline().strip()
    return proc, f":{number}"


def _start_peers(env: dict[str, str], tmp: Path) -> dict[str, subprocess.Popen[bytes]]:
    """Workrave and Safe Eyes where installed, on the same bus, each with its own empty HOME."""
    started = {}
    for name, argv in PEERS.items():
        if shutil.which(argv[0]) is None:
            continue
        home = tmp / f"peer-{argv[0]}"
        home.mkdir()
        peer_env = {**env, "HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config")}
        started[name] = subprocess.Popen(argv, env=peer_env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return started


def run(quick: bool) -> dict[str, Any]:
    idle_seconds = 60.0 if quick else 300.0
    peers: dict[str, subprocess.Popen[bytes]] = {}
    peer_rows: list[dict[str, Any]] = []
    notes: list[str] = []
    xvfb = None
    with tempfile.TemporaryDirectory(prefix="sdb") as tmp_name:
        tmp = Path(tmp_name)
        home = tmp / "h"
        (home / "config").mkdir(parents=True)
        bus = subprocess.Popen(["dbus-daemon", "--session", "--nofork", "--print-address=1"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)  # fmt: skip
        assert bus.stdout is not None
        address = bus.stdout.readline().decode().strip()
        env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "STRETCHD_HOME": str(home),
               "DBUS_SYSTEM_BUS_ADDRESS": "unix:path=/nonexistent", "PYTHONPATH": str(REPO)}  # fmt: skip
        env.pop("NOTIFY_SOCKET", None)
        log = tmp / "notify.log"
        server = subprocess.Popen([_dbusmock_python(), "-m", "dbusmock", "--template", "notification_daemon",
                                   "-l", str(log), "-p", json.dumps({"capabilities": "body actions body-markup"})],
                                  env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        daemon = None
        try:
            if not quick:  # the peers, measured in the same idle window under the same conditions
                x = _start_xvfb()
                if x is not None:
                    xvfb, display = x
                    peers = _start_peers({**env, "DISPLAY": display}, tmp)
                if not peers:
                    notes.append("Workrave / Safe Eyes not installed here (Debian: apt install workrave safeeyes)")
            deadline = time.monotonic() + 15
            while not _owned(env) and time.monotonic() < deadline:
                time.sleep(0.05)
            first = datetime.now().astimezone().replace(microsecond=0) + timedelta(seconds=5)
            slots = [first + timedelta(seconds=SPACING * i) for i in range(REMINDERS)]
            text = "[reminder]\nmax_nudges = 0\n\n" + "".join(
                f'[[reminders]]\ntime = "{s.strftime("%H:%M:%S")}"\nroutine = "deep"\n\n' for s in slots
            )
            (home / "config" / "config.toml").write_text(text)
            daemon = subprocess.Popen([sys.executable, "-m", "stretchd", "daemon"], env=env, cwd=REPO,
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)  # fmt: skip
            end = slots[-1].timestamp() + 2.0
            while time.time() < end:
                time.sleep(0.2)
            times = _notify_times(log)
            delays = [t - s.timestamp() for t, s in zip(times, slots, strict=False)]
            worst = max(delays) if delays else float("nan")
            # Idle: from now until idle_seconds later nothing is due (next slot is tomorrow).
            time.sleep(1.0)
            rss0, sw0, cpu0 = _proc_counters(daemon.pid)
            peer0 = {n: _proc_counters(p.pid) for n, p in peers.items() if p.poll() is None}
            time.sleep(idle_seconds)
            rss1, sw1, cpu1 = _proc_counters(daemon.pid)
            per_min = (sw1 - sw0) / (idle_seconds / 60)
            for name, proc in peers.items():
                if name not in peer0 or proc.poll() is not None:
                    notes.append(f"{name} could not run headless here (exit {proc.poll()})")
                    continue
                p_rss, p_sw, p_cpu = _proc_counters(proc.pid)
                peer_rows += [
                    {"metric": f"{name}: idle RSS (same window)", "value": round(p_rss, 1), "unit": "MiB",
                     "target": None, "ok": None},
                    {"metric": f"{name}: idle wake-ups", "value": round((p_sw - peer0[name][1]) / (idle_seconds / 60), 1),
                     "unit": "/min", "target": None, "ok": None},
                    {"metric": f"{name}: idle CPU", "value": round(p_cpu - peer0[name][2], 2), "unit": "s",
                     "target": None, "ok": None},
                ]  # fmt: skip
        finally:
            for proc in (daemon, server, bus, *peers.values(), xvfb):
                if proc is not None and proc.poll() is None:
                    proc.terminate()
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        proc.wait(5)
    window = f"{idle_seconds:.0f} s"
    return {
        "name": "daemon",
        "rows": [
            {"metric": "reminders sent / scheduled", "value": f"{len(times)}/{REMINDERS}", "unit": "",
             "target": f"{REMINDERS}/{REMINDERS}", "ok": len(times) == REMINDERS},
            {"metric": "reminder precision, worst (slot -> Notify on the bus)", "value": round(worst, 3), "unit": "s",
             "target": "<= 1", "ok": len(delays) == REMINDERS and min(delays) >= 0 and worst <= 1.0},
            {"metric": "reminder precision, median", "value": round(sorted(delays)[len(delays) // 2], 3)
             if delays else None, "unit": "s", "target": "<= 1", "ok": bool(delays)},
            {"metric": "idle RSS", "value": round(rss1, 1), "unit": "MiB", "target": "<= 35", "ok": rss1 <= 35},
            {"metric": f"idle wake-ups (voluntary context switches) over {window}", "value": round(per_min, 2),
             "unit": "/min", "target": "<= 1", "ok": per_min <= 1.0},
            {"metric": f"idle CPU over {window}", "value": round(cpu1 - cpu0, 3), "unit": "s", "target": "~0",
             "ok": cpu1 - cpu0 <= 0.1},
            {"metric": "RSS growth while idle", "value": round(rss1 - rss0, 2), "unit": "MiB", "target": "~0",
             "ok": rss1 - rss0 <= 1},
            *peer_rows,
        ],
        "notes": notes,
    }  # fmt: skip


def main() -> None:
    result = run("--quick" in sys.argv[1:])
    rows = result["rows"]
    width = max(len(r["metric"]) for r in rows)
    print(f"{'metric':<{width}}  {'value':>10} {'unit':<5} {'target':<8} ok")
    for r in rows:
        print(
            f"{r['metric']:<{width}}  {r['value']!s:>10} {r['unit']:<5} {r['target']:<8} {'yes' if r['ok'] else 'NO'}"
        )


if __name__ == "__main__":
    main()
