"""Run every benchmark in bench/ (modules named bench_*.py), print one table and write the JSON results.

Usage: python3 bench/run.py [--quick] [--json-out PATH] [--only NAME ...]

Each module exposes ``run(quick: bool) -> dict`` returning
``{"name": str, "rows": [{"metric", "value", "unit", "target", "ok", ...}], "notes": [str, ...]}``.
A module that fails is reported in the table and the JSON; the others still run.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
DEFAULT_OUT = BENCH / "results" / "latest.json"


def machine() -> dict[str, Any]:
    """What the figures were measured on (they mean little without it)."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram_gib = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                ram_gib = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    os_name = platform.platform()
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                os_name = f"{line.split('=', 1)[1].strip(chr(34))} ({platform.release()})"
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": ram_gib,
        "python": platform.python_version(),
        "os": os_name,
        "date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
    }


def discover(only: list[str] | None) -> list[Path]:
    found = sorted(BENCH.glob("bench_*.py"))
    if only:
        found = [p for p in found if p.stem.removeprefix("bench_") in only or p.stem in only]
    return found


def run_module(path: Path, quick: bool) -> dict[str, Any]:
    started = time.perf_counter()
    try:
        spec = importlib.util.spec_from_file_location(f"stretchd_bench_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        result = dict(module.run(quick))
        result.setdefault("name", path.stem.removeprefix("bench_"))
        result.setdefault("rows", [])
        result.setdefault("notes", [])
    except Exception as exc:  # a broken benchmark is reported, never fatal for the others
        result = {
            "name": path.stem.removeprefix("bench_"),
            "rows": [],
            "notes": [],
            "error": f"{type(exc).__name__}: {exc}",
            "traceback": traceback.format_exc(),
        }
    result["module"] = path.name
    result["seconds"] = round(time.perf_counter() - started, 1)
    return result


def fmt_value(value: Any) -> str:
    if isinstance(value, float):
        if value == 0 or abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def fmt_ok(ok: Any) -> str:
    if ok is None:
        return ""
    return "ok" if ok else "NOT OK"


def table(results: list[dict[str, Any]], info: dict[str, Any]) -> str:
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} cores, {info['ram_gib']} GiB RAM, "
        f"Python {info['python']}, {info['os']}; {info['date']}",
        "",
        "| benchmark | metric | value | unit | target | ok |",
        "|---|---|---:|---|---|---|",
    ]
    for res in results:
        if res.get("error"):
            lines.append(f"| {res['name']} | FAILED: {res['error']} | | | | NOT OK |")
            continue
        for row in res["rows"]:
            lines.append(
                f"| {res['name']} | {row['metric']} | {fmt_value(row['value'])} | {row.get('unit', '')} "
                f"| {row.get('target') or ''} | {fmt_ok(row.get('ok'))} |"
            )
    notes = [(res["name"], note) for res in results for note in res.get("notes", [])]
    if notes:
        lines.append("")
        lines.extend(f"- {name}: {note}" for name, note in notes)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer repetitions and shorter runs (under a minute)")
    parser.add_argument(
        "--json-out", type=Path, default=DEFAULT_OUT, help=f"where to write JSON (default {DEFAULT_OUT})"
    )
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (e.g. cli daemon)")
    args = parser.parse_args(argv)

    # The benchmarks measure this checkout, in-process and in their child processes.
    sys.path.insert(0, str(REPO))
    os.environ["PYTHONPATH"] = str(REPO) + os.pathsep + os.environ.get("PYTHONPATH", "")

    info = machine()
    results = []
    for path in discover(args.only):
        print(f"running {path.name}{' (quick)' if args.quick else ''} ...", file=sys.stderr, flush=True)
        res = run_module(path, args.quick)
        if res.get("error"):
            print(f"{path.name} failed:\n{res['traceback']}", file=sys.stderr)
        results.append(res)
    text = table(results, info)
    print(text)
    out = {"machine": info, "quick": args.quick, "results": results, "table": text}
    args.json_out.parent.mkdir(parents=True, exist_ok=True)
    args.json_out.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"\nwrote {args.json_out}", file=sys.stderr)
    failed = [r["name"] for r in results if r.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
