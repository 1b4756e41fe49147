"""Running a guided session: the timer loop, the live (rich) and plain-line displays, the bell and the prompts."""

from __future__ import annotations

import contextlib
import math
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any, Protocol

from stretchd.core.guide import Plan, Progress, Step, clock_text, duration_text, phase_title

if TYPE_CHECKING:
    from rich.console import Console, RenderableType

    from stretchd.services import Context

EX_STOPPED = 130  # stopped with Ctrl-C and not logged, as a shell reports SIGINT


class Clock(Protocol):
    """Monotonic seconds and a way to wait; tests pass a fake that advances on ``wait``."""

    def monotonic(self) -> float: ...

    def wait(self, seconds: float) -> None: ...


class RealClock:
    # time.sleep fails with EINVAL under libfaketime (FINDINGS.md); a lock wait with a timeout works
    # there, and Ctrl-C still interrupts it.
    def __init__(self) -> None:
        self._never = threading.Event()

    def monotonic(self) -> float:
        return time.monotonic()

    def wait(self, seconds: float) -> None:
        if seconds > 0:
            self._never.wait(seconds)


class Display(Protocol):
    def __enter__(self) -> Display: ...

    def __exit__(self, *exc: object) -> None: ...

    def step(self, plan: Plan, index: int) -> None: ...

    def tick(self, plan: Plan, p: Progress) -> None: ...

    def wait_for(self, p: Progress) -> float: ...


@dataclass(frozen=True)
class Outcome:
    completed: bool
    elapsed: float  # real seconds from the start to the end or the stop
    progress: Progress


def run(plan: Plan, display: Display, clock: Clock, on_switch: Callable[[Step], None] | None = None) -> Outcome:
    """Walk through the plan on ``clock``; Ctrl-C ends it early (the Outcome says so, nothing is raised)."""
    t0 = clock.monotonic()
    announced = -1
    p = plan.at(0.0)
    try:
        with display:
            while True:
                p = plan.at(clock.monotonic() - t0)
                # Announce every step reached, zero-length ones (no positioning time) included.
                last = min(p.index, len(plan.steps) - 1) if p.finished else p.index
                for i in range(announced + 1, last + 1):
                    display.step(plan, i)
                    if plan.steps[i].rings and on_switch is not None:
                        on_switch(plan.steps[i])
                announced = max(announced, last)
                if p.finished:
                    display.step(plan, len(plan.steps))
                    break
                display.tick(plan, p)
                clock.wait(max(0.01, display.wait_for(p)))
    except KeyboardInterrupt:
        elapsed = clock.monotonic() - t0
        return Outcome(False, elapsed, plan.at(elapsed))
    return Outcome(True, clock.monotonic() - t0, p)


# ---------------------------------------------------------------- plain lines (not a terminal, TERM=dumb)


def _stamp(seconds: float) -> str:
    whole = int(seconds)
    return f"[{whole // 60}:{whole % 60:02d}]"


class LineDisplay:
    """One line per step and per countdown milestone; no cursor control, flushed line by line."""

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self._marks: list[float] = []

    def __enter__(self) -> LineDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.out.flush()

    def _line(self, text: str) -> None:
        self.out.write(text + "\n")
        self.out.flush()

    def step(self, plan: Plan, index: int) -> None:
        if index >= len(plan.steps):
            return
        s = plan.steps[index]
        at = _stamp(plan.starts[index])
        new_phase = index == 0 or plan.steps[index - 1].phase != s.phase
        if s.kind in ("breathe-in", "breathe-out"):
            if new_phase:
                self._line(f"{at} {phase_title(plan, s)} ({clock_text(_phase_seconds(plan, s))}). {s.detail}")
            self._line(f"{at}   {s.cue}")
        else:
            self._line(f"{at} {phase_title(plan, s)} ({clock_text(s.seconds)}). {s.cue} {s.detail}")
        # Milestones every 10 s (and at 5 s) for the longer countdowns.
        self._marks = sorted(
            (m for m in (*range(10, int(s.seconds), 10), 5) if 0 < m < s.seconds and s.seconds >= 15),
            reverse=True,
        )

    def tick(self, plan: Plan, p: Progress) -> None:  # noqa: ARG002  # the Display protocol
        crossed = None
        while self._marks and p.step_remaining <= self._marks[0] + 0.05:
            crossed = self._marks.pop(0)
        if crossed is not None:
            self._line(f"{_stamp(p.elapsed)}   {crossed} s left")

    def wait_for(self, p: Progress) -> float:
        if self._marks:
            return p.step_remaining - self._marks[0]
        return p.step_remaining


def _side_number(plan: Plan, index: int) -> int:
    """1-based count of the sides begun up to step ``index`` (each begins with position or switch)."""
    return sum(1 for s in plan.steps[: index + 1] if s.kind in ("position", "switch"))


def _phase_seconds(plan: Plan, s: Step) -> float:
    start, end = plan.phase_span(s.phase)
    return end - start


# ---------------------------------------------------------------- live terminal display (rich)

# A 3x5 font for the remaining time; each cell is drawn two characters wide.
_FONT = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": (".#.", "##.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ":": (".", "#", ".", "#", "."),
}


def big_text(text: str, *, unicode: bool = True) -> list[str]:
    """``text`` (digits and colons) as five lines of block characters."""
    on, off = ("██", "  ") if unicode else ("##", "  ")
    rows = []
    for r in range(5):
        rows.append("  ".join("".join(on if c == "#" else off for c in _FONT[ch][r]) for ch in text).rstrip())
    return rows


def bar_text(fraction: float, width: int, *, unicode: bool = True) -> tuple[str, str]:
    """The filled and the empty part of a bar; both are drawn, so it reads without colour too."""
    filled = round(max(0.0, min(1.0, fraction)) * width)
    full, empty = ("█", "░") if unicode else ("#", "-")
    return full * filled, empty * (width - filled)


class LiveDisplay:
    """A full-width bar, a big countdown, the cue and its key points, redrawn in place (rich Live)."""

    def __init__(self, console: Console) -> None:
        from rich.live import Live

        self.console = console
        self.unicode = console.encoding.lower().startswith("utf")
        self.live = Live(console=console, auto_refresh=False, transient=True, redirect_stdout=False,
                         redirect_stderr=False)  # fmt: skip

    def __enter__(self) -> LiveDisplay:
        self.live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.stop()

    def step(self, plan: Plan, index: int) -> None:
        if index == 0:
            return
        prev = plan.steps[index - 1]
        if index == len(plan.steps) or prev.phase != plan.steps[index].phase:
            tick = "✓" if self.unicode else "+"
            start, end = plan.phase_span(prev.phase)
            self.live.console.print(f"{tick} {phase_title(plan, prev)} ({clock_text(end - start)})", highlight=False)

    def render(self, plan: Plan, p: Progress) -> RenderableType:
        from rich.console import Group
        from rich.text import Text

        assert p.step is not None
        s = p.step
        width = max(10, self.console.width - 1)
        lines: list[RenderableType] = [Text(f"{plan.routine.name} · {phase_title(plan, s)}", style="bold")]
        remaining = clock_text(p.phase_remaining)
        if self.console.height >= 16 and width >= 40:
            lines.append(Text(""))
            lines += [Text("  " + row, style="bold cyan") for row in big_text(remaining, unicode=self.unicode)]
            lines.append(Text(""))
        else:
            lines.append(Text(f"{remaining} left", style="bold cyan"))
        lines.append(Text(s.cue, style="bold"))
        lines.append(Text(s.detail))
        lines.append(Text(""))
        done, todo = bar_text(p.phase_fraction, width, unicode=self.unicode)
        bar = Text(done, style="green")
        bar.append(todo, style="grey50")
        lines.append(bar)
        lines.append(
            Text(
                f"Side {_side_number(plan, p.index)} of {_side_number(plan, len(plan.steps) - 1)} · "
                f"{_stamp(p.elapsed)[1:-1]} of "
                f"{clock_text(p.total)} · Ctrl-C stops",
                style="dim",
            )
        )
        return Group(*lines)

    def tick(self, plan: Plan, p: Progress) -> None:
        self.live.update(self.render(plan, p), refresh=True)

    def wait_for(self, p: Progress) -> float:
        # Redraw on each whole second of the countdown, and often enough for a smooth bar.
        to_second = p.phase_remaining - math.floor(p.phase_remaining)
        return min(p.step_remaining, 0.25, to_second if to_second > 0.02 else 1.0)


# ---------------------------------------------------------------- prompts


class Prompter:
    """Questions on stdout, answers read line by line from stdin; EOF answers with the default."""

    def __init__(self, out: IO[str], inp: IO[str]) -> None:
        self.out = out
        self.inp = inp

    def ask(self, question: str) -> str | None:
        self.out.write(question)
        self.out.flush()
        line = self.inp.readline()
        if not line:
            self.out.write("\n")
            return None
        if not _is_tty(self.inp):  # a terminal echoes what was typed; keep a transcript readable too
            self.out.write(line.strip() + "\n")
        return line.strip()

    def pain(self) -> int | None:
        for _ in range(3):
            answer = self.ask("Pain level now, 0-10 (Enter skips): ")
            if not answer:
                return None
            if answer.isdigit() and 0 <= int(answer) <= 10:
                return int(answer)
            self.out.write(f"Please type a whole number from 0 to 10, or press Enter to skip (got {answer!r}).\n")
        self.out.write("No pain level recorded.\n")
        return None

    def confirm(self, question: str) -> bool:
        """Yes only when the user says so; Enter, EOF and three unclear answers mean no."""
        for _ in range(3):
            answer = self.ask(f"{question} [y/N] ")
            if not answer:
                return False
            if answer.lower() in ("y", "yes"):
                return True
            if answer.lower() in ("n", "no"):
                return False
            self.out.write("Please answer y or n.\n")
        return False


# ---------------------------------------------------------------- the session


@dataclass(frozen=True)
class Session:
    """What the command line asked for."""

    plan: Plan
    log: bool = True
    bell: bool = True
    notify: bool = False


def _is_tty(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)())


def interactive(out: Any) -> bool:
    """Redraw in place only on a real terminal that can move the cursor."""
    return _is_tty(out) and os.environ.get("TERM", "") not in ("dumb", "unknown")


class Alerts:
    """The bell and the optional desktop notification at each switch; neither may fail the session."""

    def __init__(self, *, bell: bool, notify: bool, backend: str, out: IO[str]) -> None:
        self.notify = notify
        self.backend = backend
        self.threads: list[threading.Thread] = []
        self._last_id = 0
        self.failure: str | None = None  # the first undelivered notification, told once at the end
        self.bell_stream: IO[str] | None = None
        if bell:
            # A bell into a pipe or a log file is noise: ring only on a terminal.
            for stream in (out, sys.stderr):
                if _is_tty(stream):
                    self.bell_stream = stream
                    break

    def ring(self) -> None:
        if self.bell_stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self.bell_stream.write("\a")
                self.bell_stream.flush()

    def __call__(self, step: Step) -> None:
        self.ring()
        if self.notify:
            self.send("stretchd: switch sides", step.cue)

    def send(self, summary: str, body: str) -> None:
        # A D-Bus round trip must not hold up the timer: send from a thread.
        thread = threading.Thread(target=self._send, args=(summary, body), daemon=True)
        thread.start()
        self.threads.append(thread)

    def _send(self, summary: str, body: str) -> None:
        try:
            from stretchd.notify import Notification, send_once

            result = send_once(
                Notification(summary, body, expire_ms=10_000, replaces_id=self._last_id, category="x-stretchd.guide"),
                self.backend,
            )
            if result.id:
                self._last_id = result.id
            if result.outcome != "delivered" and self.failure is None:
                self.failure = f"{result.outcome}: {result.detail}" if result.detail else result.outcome
        except Exception as exc:  # a notification is a courtesy; the session goes on without it
            self.failure = self.failure or f"error: {exc}"

    def drain(self, timeout: float = 2.0) -> None:
        for thread in self.threads:
            thread.join(timeout)


@contextlib.contextmanager
def ctrl_c_interrupts() -> Iterator[None]:
    """Ctrl-C raises KeyboardInterrupt here even when started with SIGINT ignored (e.g. a background job)."""
    with _sigint_handled_by(signal.default_int_handler):
        yield


@contextlib.contextmanager
def _sigint_handled_by(handler: Callable[[int, Any], Any]) -> Iterator[None]:
    """SIGINT goes to ``handler`` inside the block, and back to what it was after."""
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:  # not the main thread: signals stay as they are
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def intro_lines(plan: Plan) -> list[str]:
    from stretchd import render

    r = plan.routine
    if r.hold_breaths is None:
        shape = f"both sides, hold {plan.options.hold_seconds} s each"
    else:
        shape = (
            f"{r.rounds} rounds of {r.hold_breaths} slow breaths each side ({plan.options.breath_seconds:g} s a breath)"
        )
    lines = [f"{r.name}: {shape}, about {clock_text(plan.total_seconds)} in all.", *plan.notes, ""]
    lines += [render.cautions_text(), "", r.feel, "Ctrl-C stops at any time.", ""]
    return lines


def _log(ctx: Context, plan: Plan, outcome: Outcome, pain_after: int | None, out: IO[str]) -> None:
    from stretchd import render, services
    from stretchd.clock import SystemClock

    note = None
    if not outcome.completed:
        note = f"partial: stopped after {duration_text(outcome.elapsed)} of {clock_text(plan.total_seconds)}"
    # Logged when it ends, not when it was started (the context was loaded at the start).
    ctx = ctx.at(SystemClock(ctx.tz).now())
    entry, summary = services.log_stretch(
        ctx,
        routine=plan.routine.id,
        at=None,
        pain_after=pain_after,
        note=note,
        duration_s=round(outcome.elapsed),
        source="guide",
    )
    if ctx.paths.control_socket.exists():  # a running daemon stops nudging for this slot at once
        from stretchd.control import poke

        poke(ctx.paths, "stretch logged")
    out.write(render.logged_line(entry) + "\n")
    out.write(render.progress_line(summary) + "\n")


def run_session(
    ctx: Context,
    session: Session,
    *,
    clock: Clock | None = None,
    out: IO[str] | None = None,
    inp: IO[str] | None = None,
) -> int:
    """Guide, ask, log; returns the exit status (0, or 130 when stopped and not logged)."""
    out = out or sys.stdout
    inp = inp or sys.stdin
    plan = session.plan
    if session.log:
        ctx.store.entries()  # a broken data file should stop us before the stretch, not after it
    alerts = Alerts(bell=session.bell, notify=session.notify, backend=ctx.settings["notifications.backend"], out=out)
    prompter = Prompter(out, inp)
    display: Display
    console = None
    if interactive(out):
        from rich.console import Console

        console = Console(file=out, highlight=False, emoji=False, markup=False)
        display = LiveDisplay(console)
    else:
        display = LineDisplay(out)
    with ctrl_c_interrupts():
        intro = intro_lines(plan)
        if not session.log:
            intro.insert(1, "Practice only: this session will not be logged.")
        try:
            for line in intro:
                if console is not None:
                    console.print(line, soft_wrap=False)  # wrapped at words, not mid-word
                else:
                    out.write(line + "\n")
            out.flush()
        except KeyboardInterrupt:
            out.write("\nStopped: nothing logged.\n")
            return EX_STOPPED
        outcome = run(plan, display, clock or RealClock(), alerts)
        try:
            if outcome.completed:
                alerts.ring()
                if session.notify:
                    alerts.send("stretchd: done", f"{plan.routine.name}: well done.")
                out.write(f"Done: {plan.routine.name}, {duration_text(outcome.elapsed)}.\n")
                if not session.log:
                    out.write("Practice only: nothing logged.\n")
                    return 0
                pain_after = prompter.pain()
            else:
                step = outcome.progress.step
                where = f" ({phase_title(plan, step)})" if step else ""
                out.write(
                    f"\nStopped after {duration_text(outcome.elapsed)} of {clock_text(plan.total_seconds)}{where}.\n"
                )
                if not session.log or not prompter.confirm("Log this partial session?"):
                    out.write("Nothing logged.\n")
                    return EX_STOPPED
                pain_after = prompter.pain()
        except KeyboardInterrupt:
            out.write("\nStopped: nothing logged.\n")
            return EX_STOPPED
        finally:
            alerts.drain()
            if alerts.failure:
                sys.stderr.write(f"stretchd: desktop notification not delivered ({alerts.failure})\n")
        # Past the questions a Ctrl-C must not cut the write short; the store's write is atomic anyway.
        with _deferred_sigint():
            _log(ctx, plan, outcome, pain_after, out)
        out.flush()
    return 0


@contextlib.contextmanager
def _deferred_sigint() -> Iterator[None]:
    received: list[int] = []

    def remember(signum: int, _frame: object) -> None:
        received.append(signum)

    with _sigint_handled_by(remember):
        yield


__all__ = [
    "EX_STOPPED",
    "Alerts",
    "Clock",
    "LineDisplay",
    "LiveDisplay",
    "Outcome",
    "Prompter",
    "RealClock",
    "Session",
    "big_text",
    "run",
    "run_session",
]
