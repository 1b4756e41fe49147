"""``stretchd guide`` as a user runs it: real processes, a real Ctrl-C, a real terminal (tmux)."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import CliResult, require, run_stretchd, stretchd_env, wait_until


def history() -> list[dict[str, object]]:
    result = run_stretchd("history", "--json")
    assert result.returncode == 0, result.stderr
    return [e for e in json.loads(result.stdout) if e["kind"] == "stretch"]


def test_a_real_run_logs_one_guided_stretch() -> None:
    started = time.monotonic()
    result = run_stretchd("guide", "deep", "--hold", "1", "--position", "2", input="2\n", timeout=30)
    took = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "Practice: a hold of 1 s is shorter than the routine's 30-60 s" in result.stdout
    assert "Cautions:" in result.stdout
    assert "Right side, switch sides" in result.stdout
    assert "Logged deep stretch at" in result.stdout
    assert "Today 1/" in result.stdout
    assert "\x1b" not in result.stdout  # not a terminal: plain lines
    assert 6 <= took < 12
    [entry] = history()
    assert entry["source"] == "guide"
    assert entry["routine"] == "deep"
    assert entry["duration_s"] == 6
    assert entry["pain_after"] == 2


@pytest.fixture
def guided() -> Iterator[Callable[..., subprocess.Popen[str]]]:
    procs: list[subprocess.Popen[str]] = []

    def start(*args: str) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-m", "stretchd", "guide", *args],
            env=stretchd_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        procs.append(proc)
        return proc

    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)


def interrupt_during_hold(proc: subprocess.Popen[str]) -> tuple[float, list[str]]:
    """Wait for the hold to start, let it run a second, press Ctrl-C; returns seconds since the first step."""
    assert proc.stdout is not None
    started = time.monotonic()
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("[0:00]"):
            started = time.monotonic()
        if "Left side, hold" in line:
            break
    time.sleep(1.0)
    proc.send_signal(signal.SIGINT)
    return time.monotonic() - started, seen


@pytest.mark.parametrize("answer", ["n\n", ""])
def test_ctrl_c_logs_nothing_unless_confirmed(guided: Callable[..., subprocess.Popen[str]], answer: str) -> None:
    proc = guided("deep", "--hold", "30", "--position", "1")
    interrupt_during_hold(proc)
    out, err = proc.communicate(answer, timeout=15)
    assert proc.returncode == 130
    assert "Log this partial session? [y/N]" in out
    assert "Nothing logged." in out
    assert "Traceback" not in err
    assert history() == []


def test_ctrl_c_then_yes_logs_the_partial_session(guided: Callable[..., subprocess.Popen[str]]) -> None:
    proc = guided("deep", "--hold", "30", "--position", "1")
    took, _ = interrupt_during_hold(proc)
    out, err = proc.communicate("y\n\n", timeout=15)
    assert proc.returncode == 0, err
    assert re.search(r"Stopped after 0:0\d of 1:02 \(Left side, hold\)\.", out)
    [entry] = history()
    assert entry["source"] == "guide"
    assert isinstance(entry["duration_s"], int)
    assert abs(entry["duration_s"] - took) <= 1
    assert str(entry["note"]).endswith(" of 1:02")
    assert str(entry["note"]).startswith("partial: stopped after 0:0")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["deep", "--hold", "0"], "Invalid value for '--hold': 0 is not in the range 1<=x<=600."),
        (["deep", "--hold", "601"], "Invalid value for '--hold'"),
        (["deep", "--hold", "ten"], "Invalid value for '--hold': 'ten' is not a valid integer"),
        (["gentle", "--hold", "30"], "--hold: the gentle routine is paced by breaths; use --breath-seconds"),
        (["deep", "--breath-seconds", "5"], "--breath-seconds: the deep routine is a timed hold; use --hold"),
        (["gentle", "--breath-seconds", "1"], "Invalid value for '--breath-seconds'"),
        (["deep", "--position", "-1"], "Invalid value for '--position'"),
        (["lunges"], "unknown routine 'lunges' (choose from: deep, gentle)"),
    ],
)
def test_bad_options_exit_2_with_one_line(cli: Callable[..., CliResult], args: list[str], message: str) -> None:
    result = cli("guide", *args)
    assert result.code == 2
    assert result.out == ""
    [line] = result.err.splitlines()
    assert line.startswith("stretchd: error: ")
    assert message in line


def test_bad_hold_as_a_real_process_has_no_traceback() -> None:
    result = run_stretchd("guide", "deep", "--hold", "0")
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert "Traceback" not in result.stderr
    assert history() == []


def test_the_cli_does_not_import_rich_at_start() -> None:
    code = "import sys, stretchd.cli; sys.exit('rich' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], env=stretchd_env(), check=False).returncode == 0


@pytest.mark.e2e
def test_in_a_real_terminal_it_redraws_in_place(tmp_path: Path, home: Path) -> None:
    tmux = require("tmux")
    name = f"stretchd-guide-{time.monotonic_ns()}"
    socket = ["-L", name]  # a private tmux server, never the user's
    env = stretchd_env()
    command = shlex.join([
        "env", f"STRETCHD_HOME={home}", f"PYTHONPATH={env['PYTHONPATH']}", "TERM=xterm-256color",
        sys.executable, "-m", "stretchd", "guide", "deep", "--hold", "2", "--position", "1",
    ])  # fmt: skip
    subprocess.run([tmux, *socket, "new-session", "-d", "-s", name, "-x", "90", "-y", "30",
                    f"{command}; echo EXIT=$?; sleep 30"], check=True, env=env)  # fmt: skip

    def screen() -> str:
        return subprocess.run([tmux, *socket, "capture-pane", "-p", "-t", name], capture_output=True, text=True,
                              check=True).stdout  # fmt: skip

    try:
        wait_until(lambda: "Left side, hold" in screen(), 15, "the hold")
        mid = screen()
        assert "██" in mid  # the big countdown
        assert "░" in mid  # the bar's empty part is drawn
        assert "Stomach tight, back not arching" in mid
        assert "✓ Left side, get into position (0:01)" in mid
        wait_until(lambda: "Pain level now" in screen(), 15, "the pain question")
        end = screen()
        assert "Side 2 of 2" not in end  # the live area is gone, the summary stays
        assert "✓ Right side, hold (0:02)" in end
        subprocess.run([tmux, *socket, "send-keys", "-t", name, "1", "Enter"], check=True)
        wait_until(lambda: "EXIT=0" in screen(), 10, "the end")
        assert "Logged deep stretch" in screen()
    finally:
        subprocess.run([tmux, *socket, "kill-server"], check=False, capture_output=True)
    [entry] = history()
    assert entry["pain_after"] == 1


def write_config(text: str) -> None:
    from stretchd.paths import resolve

    path = resolve().config_file
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def test_without_a_routine_it_guides_the_current_slots_routine(cli: Callable[..., CliResult]) -> None:
    write_config('[[reminders]]\ntime = "00:00"\nroutine = "gentle"\n')
    result = cli("guide", "--hold", "5")
    assert result.code == 2  # proves it chose gentle: a hold belongs to deep only
    assert "the gentle routine is paced by breaths" in result.err


def test_timings_come_from_the_config(cli: Callable[..., CliResult]) -> None:
    write_config("[guide]\nhold_seconds = 1\nposition_seconds = 0\nbell = false\n")
    result = cli("guide", "deep", input="")
    assert result.code == 0, result.err
    assert "both sides, hold 1 s each, about 0:02 in all." in result.out
    [entry] = history()
    assert entry["duration_s"] == 2
