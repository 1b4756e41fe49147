"""The guide's runner on a fake clock: what is printed, when the bell rings, what is asked and what is logged."""

from __future__ import annotations

import io
import os
import re

import pytest

from stretchd import guide as runner
from stretchd.core import guide
from stretchd.core.routines import DEEP, GENTLE
from stretchd.services import Context


class FakeClock:
    """Advances only when the runner waits; optionally the user presses Ctrl-C at ``interrupt_at``."""

    def __init__(self, interrupt_at: float | None = None) -> None:
        self.t = 1000.0
        self.start = self.t
        self.interrupt_at = interrupt_at
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.t

    def wait(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.t += seconds
        if self.interrupt_at is not None and self.t - self.start >= self.interrupt_at:
            raise KeyboardInterrupt


def deep(hold: int = 30, position: int = 10) -> guide.Plan:
    return guide.build(DEEP, guide.Options(hold_seconds=hold, position_seconds=position))


def session(plan: guide.Plan, answers: str, *, log: bool = True, clock: FakeClock | None = None,
            notify: bool = False) -> tuple[int, str]:  # fmt: skip
    out = io.StringIO()
    code = runner.run_session(
        Context.load(),
        runner.Session(plan, log=log, bell=True, notify=notify),
        clock=clock or FakeClock(),
        out=out,
        inp=io.StringIO(answers),
    )
    return code, out.getvalue()


def stretches() -> list[dict[str, object]]:
    return [e.to_dict() for e in Context.load().store.entries() if e.kind == "stretch"]


def test_plain_lines_one_per_step_and_milestone_without_cursor_control() -> None:
    out = io.StringIO()
    switches: list[guide.Step] = []
    clock = FakeClock()
    outcome = runner.run(deep(), runner.LineDisplay(out), clock, switches.append)
    assert outcome.completed
    assert outcome.elapsed == pytest.approx(80)
    lines = out.getvalue().splitlines()
    stamps = [line.split("]")[0] + "]" for line in lines]
    assert stamps == [
        "[0:00]",
        "[0:10]",
        "[0:20]",
        "[0:30]",
        "[0:35]",
        "[0:40]",
        "[0:50]",
        "[1:00]",
        "[1:10]",
        "[1:15]",
    ]
    assert lines[1].startswith("[0:10] Left side, hold (0:30). Hold:")
    assert lines[2] == "[0:20]   20 s left"
    assert lines[4] == "[0:35]   5 s left"
    assert "Right side, switch sides" in lines[5]
    assert "\x1b" not in out.getvalue()
    assert [s.side for s in switches] == ["right"]
    # It waits for what comes next instead of polling.
    assert clock.waits == [10, 10, 10, 5, 5, 10, 10, 10, 5, 5]


def test_ctrl_c_ends_the_run_with_the_time_done() -> None:
    outcome = runner.run(deep(), runner.LineDisplay(io.StringIO()), FakeClock(interrupt_at=25))
    assert not outcome.completed
    assert outcome.elapsed == pytest.approx(30)  # the wait that was under way when Ctrl-C came
    assert outcome.progress.step is not None
    assert outcome.progress.step.kind == "hold"


def test_a_finished_session_asks_for_pain_and_logs_it_with_its_duration() -> None:
    code, out = session(deep(), "11\nthree\n3\n")
    assert code == 0
    assert "Cautions:" in out
    assert "never pain" in out
    assert out.count("Pain level now, 0-10 (Enter skips): ") == 3
    assert "Please type a whole number from 0 to 10, or press Enter to skip (got '11')." in out
    assert "Logged deep stretch at" in out
    assert re.search(r"Today 1/\d+, streak", out)
    [entry] = stretches()
    assert entry["source"] == "guide"
    assert entry["routine"] == "deep"
    assert entry["duration_s"] == 80
    assert entry["pain_after"] == 3
    assert entry["note"] is None


def test_enter_skips_the_pain_level() -> None:
    code, _ = session(deep(hold=5, position=1), "\n")
    assert code == 0
    [entry] = stretches()
    assert entry["pain_after"] is None
    assert entry["duration_s"] == 12


@pytest.mark.parametrize("answer", ["", "\n", "n\n", "no\n", "maybe\nwhat\n?\n"])
def test_stopped_is_not_logged_unless_confirmed(answer: str) -> None:
    code, out = session(deep(), answer, clock=FakeClock(interrupt_at=25))
    assert code == runner.EX_STOPPED
    assert "Stopped after 0:30 of 1:20 (Left side, hold)." in out
    assert "Log this partial session? [y/N]" in out
    assert "Nothing logged." in out
    assert stretches() == []


def test_a_confirmed_partial_session_is_logged_with_its_real_duration() -> None:
    code, out = session(deep(), "y\n4\n", clock=FakeClock(interrupt_at=25))
    assert code == 0
    [entry] = stretches()
    assert entry["duration_s"] == 30
    assert entry["pain_after"] == 4
    assert entry["note"] == "partial: stopped after 0:30 of 1:20"
    assert "Logged deep stretch" in out


def test_practice_logs_nothing_and_asks_nothing() -> None:
    code, out = session(deep(hold=2, position=1), "5\n", log=False)
    assert code == 0
    assert "Practice only: this session will not be logged." in out
    assert "Pain level" not in out
    assert stretches() == []
    code, out = session(deep(hold=2, position=1), "y\n", log=False, clock=FakeClock(interrupt_at=2))
    assert code == runner.EX_STOPPED
    assert "partial session" not in out


def test_gentle_paces_each_breath() -> None:
    plan = guide.build(GENTLE, guide.Options(breath_seconds=4.0, position_seconds=3))
    code, out = session(plan, "\n")
    assert code == 0
    assert out.count("Breathe in slowly") == 60
    assert out.count("Breathe out slowly") == 60
    assert "[0:03] Round 1 of 3, left side, 10 slow breaths (0:40)." in out
    assert "[0:07]   Breathe in slowly (2/10)." in out
    [entry] = stretches()
    assert entry["routine"] == "gentle"
    assert entry["duration_s"] == 6 * 3 + 60 * 4


def test_notification_failure_never_fails_the_session(capsys: pytest.CaptureFixture[str]) -> None:
    # No session bus here (the autouse fixture removes it): the notification cannot be delivered.
    code, out = session(deep(hold=2, position=1), "\n", notify=True)
    assert code == 0
    assert "Logged deep stretch" in out
    assert len(stretches()) == 1
    [line] = capsys.readouterr().err.splitlines()  # said once, not at every switch
    assert line.startswith("stretchd: desktop notification not delivered (no-server: no session bus")


@pytest.mark.bus
def test_switches_send_a_desktop_notification(notification_server: object) -> None:
    code, _ = session(deep(hold=2, position=1), "\n", notify=True)
    assert code == 0
    calls = notification_server.notify_calls()  # type: ignore[attr-defined]
    assert any("switch sides" in c for c in calls)
    assert any("stretchd: done" in c for c in calls)


def test_bell_rings_on_a_terminal_only() -> None:
    master, slave = os.openpty()
    with open(slave, "w", encoding="utf-8", closefd=True) as tty:
        alerts = runner.Alerts(bell=True, notify=False, backend="auto", out=tty)
        alerts(deep().steps[2])
        assert os.read(master, 10) == b"\x07"
        quiet = runner.Alerts(bell=False, notify=False, backend="auto", out=tty)
        assert quiet.bell_stream is None
    os.close(master)
    piped = runner.Alerts(bell=True, notify=False, backend="auto", out=io.StringIO())
    assert piped.bell_stream is None  # pytest captures stderr too: nothing is a terminal


def test_live_frame_has_big_time_full_width_bar_and_cue() -> None:
    from rich.console import Console

    buf = io.StringIO()
    console = Console(file=buf, width=60, height=30, force_terminal=True, color_system=None)
    display = runner.LiveDisplay(console)
    plan = deep(hold=45)
    console.print(display.render(plan, plan.at(10 + 13.5)))  # 31.5 s of the hold left
    text = buf.getvalue()
    assert "Left side, hold" in text
    assert runner.big_text("0:32")[0] in text
    bar = next(line for line in text.splitlines() if "█" in line and "░" in line)
    assert len(bar) == 59
    assert 0.25 < bar.count("█") / len(bar) < 0.35
    assert "not arching" in text
    assert "Side 1 of 2 · 0:23 of 1:50" in text


def test_big_digits_have_a_plain_ascii_form() -> None:
    rows = runner.big_text("1:05", unicode=False)
    assert len(rows) == 5
    assert all(set(r) <= {"#", " "} for r in rows)
    assert runner.bar_text(0.5, 10, unicode=False) == ("#####", "-----")


class CtrlCOnRead(io.StringIO):
    def readline(self, size: int | None = -1) -> str:  # type: ignore[override]
        raise KeyboardInterrupt


@pytest.mark.parametrize("clock", [FakeClock(), FakeClock(interrupt_at=25)], ids=["at-pain", "at-confirm"])
def test_ctrl_c_at_a_question_logs_nothing(clock: FakeClock) -> None:
    out = io.StringIO()
    code = runner.run_session(Context.load(), runner.Session(deep()), clock=clock, out=out, inp=CtrlCOnRead())
    assert code == runner.EX_STOPPED
    assert out.getvalue().endswith("Stopped: nothing logged.\n")
    assert stretches() == []
