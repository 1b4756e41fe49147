"""CLI benchmarks: start-up of done/stats/status against bare Python and `import typer`, and scale with history size.

Every command runs as a real process (``python -m stretchd``) on a temporary STRETCHD_HOME; the
commands are interleaved round by round so that machine noise hits all of them alike.
"""

from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from datetime import time as clock
from pathlib import Path
from typing import Any

PY = sys.executable
REPO = Path(__file__).resolve().parent.parent
YEARS = (1, 10, 50)


def env_for(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["STRETCHD_HOME"] = str(home)
    env["PYTHONPATH"] = str(REPO) + os.pathsep + env.get("PYTHONPATH", "")
    env["NO_COLOR"] = "1"
    env.pop("DBUS_SESSION_BUS_ADDRESS", None)  # never reach a running daemon or the user's bus
    return env


def make_history(home: Path, days: int, end: date | None = None) -> int:
    """Write ``days`` days of history (2 stretches + 1 pain report a day) in one store transaction."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from stretchd.clock import local_zone
    from stretchd.core.model import Entry
    from stretchd.paths import Paths
    from stretchd.store import Store, new_uid

    # The layout paths.resolve() uses for STRETCHD_HOME (not read from the environment here on purpose).
    paths = Paths(home / "config", home / "data", home / "run")
    tz = local_zone()
    end = end or date.today()
    entries = []
    for back in range(days, 0, -1):
        day = end - timedelta(days=back)
        entries.append(Entry(new_uid(), "stretch", datetime.combine(day, clock(8, 5), tzinfo=tz), routine="deep"))
        entries.append(
            Entry(new_uid(), "pain", datetime.combine(day, clock(12, 30), tzinfo=tz), level=back % 7, area="lower-back")
        )
        entries.append(
            Entry(
                new_uid(),
                "stretch",
                datetime.combine(day, clock(18, 10), tzinfo=tz),
                routine="gentle",
                pain_before=back % 5 + 2,
                pain_after=back % 3,
            )
        )
    with Store(paths).transaction() as txn:
        txn.add_many(entries)
    return len(entries)


def measure(argv: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Wall seconds and exit status of one run."""
    started = time.perf_counter()
    code = subprocess.call(argv, env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)  # fmt: skip
    return time.perf_counter() - started, code


# A child's ru_maxrss starts at its parent's RSS when it forks (Linux records the old address
# space's high-water mark at exec), and this benchmark process holds 50 years of generated
# history. So peak RSS is measured from a bare Python launcher (~10 MiB) that forks and execs.
RSS_LAUNCHER = """
import os, sys
pid = os.fork()
if pid == 0:
    fd = os.open(os.devnull, os.O_RDWR)
    for n in (0, 1, 2):
        os.dup2(fd, n)
    os.execv(sys.argv[1], sys.argv[1:])
_, status, usage = os.wait4(pid, 0)
print(os.waitstatus_to_exitcode(status), usage.ru_maxrss)
"""


def peak_rss_mib(argv: list[str], env: dict[str, str]) -> float:
    out = subprocess.run([PY, "-c", RSS_LAUNCHER, *argv], env=env, capture_output=True, text=True, check=True)
    return int(out.stdout.split()[1]) / 1024


def probe(argv: list[str], env: dict[str, str]) -> tuple[int, str]:
    r = subprocess.run(argv, env=env, capture_output=True, text=True, check=False, timeout=120)
    return r.returncode, r.stderr


def interleaved(commands: dict[str, tuple[list[str], dict[str, str]]], rounds: int) -> dict[str, dict[str, Any]]:
    """Run every command once per round (one warm-up round discarded); medians of wall time."""
    walls: dict[str, list[float]] = {name: [] for name in commands}
    codes: dict[str, set[int]] = {name: set() for name in commands}
    for rnd in range(rounds + 1):
        for name, (argv, env) in commands.items():
            wall, code = measure(argv, env)
            if rnd == 0:
                continue
            walls[name].append(wall)
            codes[name].add(code)
    return {
        name: {
            "median_ms": statistics.median(w) * 1000,
            "min_ms": min(w) * 1000,
            "runs": len(w),
            "exit": sorted(codes[name]),
        }
        for name, w in walls.items()
    }


def import_offenders(env: dict[str, str], top: int = 8) -> tuple[float, list[tuple[str, float]], list[str]]:
    """`python -X importtime -m stretchd done`: total import ms and the top modules by self time."""
    r = subprocess.run([PY, "-X", "importtime", "-m", "stretchd", "done"], env=env, capture_output=True,
                       text=True, check=False)  # fmt: skip
    rows: list[tuple[str, int, int]] = []
    for line in r.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if m:
            rows.append((m.group(4), int(m.group(1)), int(m.group(2))))
    total_ms = sum(self_us for _, self_us, _ in rows) / 1000
    by_self = sorted(rows, key=lambda r: r[1], reverse=True)[:top]
    # Top-level imports (one leading space in -X importtime's tree) with their cumulative cost.
    top_level = []
    for line in r.stderr.splitlines():
        m = re.match(r"import time:\s+(\d+) \|\s+(\d+) \| (\S+)$", line)
        if m:
            top_level.append((m.group(3), int(m.group(2)) / 1000))
    top_level.sort(key=lambda x: x[1], reverse=True)
    return (
        total_ms,
        [(name, self_us / 1000) for name, self_us, _ in by_self],
        [f"{name} {ms:.1f} ms" for name, ms in top_level[:top]],
    )


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float]:
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum((x - mx) ** 2 for x in xs)
    return slope, my - slope * mx


def row(metric: str, value: float, unit: str, target: str | None = None, ok: bool | None = None,
        **extra: Any) -> dict[str, Any]:  # fmt: skip
    return {"metric": metric, "value": round(value, 3), "unit": unit, "target": target, "ok": ok, **extra}


def byte_compile() -> str:
    """Measure stretchd as an installed copy runs: byte-compiled, as `pip install` leaves it.

    Without this a checkout is compiled from source on every start when PYTHONDONTWRITEBYTECODE
    is set (it is on this machine), while typer in site-packages is not: an unfair ~35 ms.
    """
    import compileall

    ok = compileall.compile_dir(str(REPO / "stretchd"), quiet=1)
    return "stretchd byte-compiled first, as an installed copy is" if ok else "byte-compiling stretchd failed"


def run(quick: bool) -> dict[str, Any]:
    rounds = 10 if quick else 20
    scale_rounds = 5 if quick else 10
    rows: list[dict[str, Any]] = []
    notes: list[str] = [byte_compile()]
    with tempfile.TemporaryDirectory(prefix="stretchd-bench-") as tmp:
        root = Path(tmp)
        small = root / "small"
        make_history(small, 14)  # two weeks: a typical young history
        homes: dict[int, Path] = {}
        sizes: dict[int, int] = {}
        gen_s: dict[int, float] = {}
        for years in YEARS:
            homes[years] = root / f"y{years}"
            t0 = time.perf_counter()
            n = make_history(homes[years], round(years * 365.25))
            gen_s[years] = time.perf_counter() - t0
            sizes[years] = n
        small_env = env_for(small)
        env10 = env_for(homes[10])

        stretchd = [PY, "-m", "stretchd"]
        start_cmds: dict[str, tuple[list[str], dict[str, str]]] = {
            "python -c pass": ([PY, "-c", "pass"], small_env),
            "python -c 'import typer'": ([PY, "-c", "import typer"], small_env),
        }
        for cmd in ("done", "stats", "status"):
            code, err = probe([*stretchd, cmd], small_env)
            if "No such command" in err:
                notes.append(f"`{cmd}` skipped: this build has no such command")
                continue
            if code != 0:
                notes.append(f"`{cmd}` exits {code} on the small history: {err.strip().splitlines()[-1:]}")
            start_cmds[f"stretchd {cmd}"] = ([*stretchd, cmd], small_env)
        # Same rounds: `done` and `stats` on ten years of history, for the "stats <= 2 x done" target.
        start_cmds["stretchd done (10 y history)"] = ([*stretchd, "done"], env10)
        start_cmds["stretchd stats (10 y history)"] = ([*stretchd, "stats"], env10)
        start = interleaved(start_cmds, rounds)

        rss = {name: peak_rss_mib(*cmd) for name, cmd in start_cmds.items()}
        for name, res in start.items():
            rows.append(row(f"{name}: wall, median of {res['runs']}", res["median_ms"], "ms",
                            min_ms=round(res["min_ms"], 1), exit=res["exit"], peak_rss_mib=round(rss[name], 1)))  # fmt: skip
        for name in ("python -c 'import typer'", "stretchd done", "stretchd stats (10 y history)"):
            rows.append(row(f"{name}: peak RSS", rss[name], "MiB"))
        typer_ms = start["python -c 'import typer'"]["median_ms"]
        done_ms = start["stretchd done"]["median_ms"]
        ratio = done_ms / typer_ms
        rows.append(row("done / import typer", ratio, "x", "<= 1.5", ratio <= 1.5))
        if "stretchd stats" in start:
            r_stats = start["stretchd stats"]["median_ms"] / typer_ms
            rows.append(row("stats / import typer (informational)", r_stats, "x"))
        if "stretchd status" in start:
            r_status = start["stretchd status"]["median_ms"] / typer_ms
            rows.append(row("status / import typer (informational)", r_status, "x"))
        stats10 = start["stretchd stats (10 y history)"]["median_ms"]
        done10 = start["stretchd done (10 y history)"]["median_ms"]
        rows.append(row("stats (10 y) / done (small history)", stats10 / done_ms, "x", "<= 2", stats10 / done_ms <= 2))
        rows.append(row("stats (10 y) / done (10 y history)", stats10 / done10, "x", "<= 2 (informational)"))
        rows.append(row("done (10 y) / done (small history)", done10 / done_ms, "x"))

        total_ms, by_self, top_level = import_offenders(small_env)
        rows.append(row("done: sum of import times (-X importtime)", total_ms, "ms"))
        notes.append("done, top imports by self time: " + ", ".join(f"{n} {ms:.1f} ms" for n, ms in by_self))
        notes.append("done, top-level imports by cumulative time: " + ", ".join(top_level))

        # Scale: stats and history --json on 1, 10 and 50 years, interleaved.
        scale_cmds: dict[str, tuple[list[str], dict[str, str]]] = {
            "stats 0y": ([*stretchd, "stats"], small_env),
            "history --json 0y": ([*stretchd, "history", "--json"], small_env),
        }
        for years in YEARS:
            env = env_for(homes[years])
            scale_cmds[f"stats {years}y"] = ([*stretchd, "stats"], env)
            scale_cmds[f"history --json {years}y"] = ([*stretchd, "history", "--json"], env)
        scale = interleaved(scale_cmds, scale_rounds)
        for years in YEARS:
            size_mib = (homes[years] / "data" / "history.json").stat().st_size / 2**20
            rows.append(row(f"data file, {years} y ({sizes[years]} entries)", size_mib, "MiB",
                            generate_s=round(gen_s[years], 2)))  # fmt: skip
        for cmd in ("stats", "history --json"):
            base = scale[f"{cmd} 0y"]["median_ms"]
            rows.append(row(f"{cmd}, 14 days: wall, median of {scale_rounds}", base, "ms"))
            ys = [scale[f"{cmd} {y}y"]["median_ms"] for y in YEARS]
            for years, ms in zip(YEARS, ys, strict=True):
                codes = scale[f"{cmd} {years}y"]["exit"]
                rows.append(row(f"{cmd}, {years} y: wall, median of {scale_rounds}", ms, "ms",
                                ok=None if codes == [0] else False, exit=codes))  # fmt: skip
            slope, intercept = linear_fit([float(y) for y in YEARS], ys)
            rows.append(row(f"{cmd}: fitted slope over 1/10/50 y", slope, "ms/year", intercept_ms=round(intercept, 1)))
            growth = ys[2] / ys[1]
            rows.append(row(f"{cmd}: 50 y / 10 y", growth, "x", "<= 5 (linear)", growth <= 5))
            # Cost per year of history above the 14-day start-up cost: constant if growth is linear.
            per10 = (ys[1] - base) / 10
            per50 = (ys[2] - base) / 50
            drift = per50 / per10 if per10 > 0 else float("inf")
            rows.append(row(f"{cmd}: ms per year at 50 y vs at 10 y", drift, "x", "<= 1.5 (roughly constant)",
                            drift <= 1.5, ms_per_year_10y=round(per10, 2), ms_per_year_50y=round(per50, 2)))  # fmt: skip
        rows.append(row("stats, 50 y: peak RSS", peak_rss_mib(*scale_cmds["stats 50y"]), "MiB"))
        rows.append(row("history --json, 50 y: peak RSS", peak_rss_mib(*scale_cmds["history --json 50y"]), "MiB"))
        rows.append(row("stats, 10 y: peak RSS", peak_rss_mib(*scale_cmds["stats 10y"]), "MiB"))
        notes.append(
            f"start-up: {rounds} interleaved rounds (+1 warm-up discarded); scale: {scale_rounds} rounds; "
            "small history = 14 days; generated history = 2 stretches + 1 pain report a day"
        )
    return {"name": "cli", "rows": rows, "notes": notes}


if __name__ == "__main__":
    import json

    print(json.dumps(run("--quick" in sys.argv), indent=2))
