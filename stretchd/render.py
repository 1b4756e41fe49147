"""Turning results into text for people (plain, with colour only on a terminal) and into JSON."""

from __future__ import annotations

import os
import sys
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stretchd.core.model import Entry
    from stretchd.core.routines import Routine
    from stretchd.core.stats import DayStat, Summary


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def percent(x: float | None) -> str:
    return "-" if x is None else f"{round(x * 100)}%"


def progress_line(s: Summary) -> str:
    """The one line every logging command ends with."""
    line = f"Today {s.done_today}/{s.target}, streak {plural(s.current_streak, 'day')} (best {s.best_streak})."
    if s.done_today >= s.target:
        line += " Today's target is reached."
    return line


def logged_line(e: Entry, today: date | None = None) -> str:
    """``Logged deep stretch at 08:12`` (+ the date when it is not ``today``, + pain change)."""
    when = e.at.strftime("%H:%M")
    extra = []
    if e.pain_before is not None and e.pain_after is not None:
        extra.append(f"pain {e.pain_before} -> {e.pain_after}")
    elif e.pain_before is not None:
        extra.append(f"pain before {e.pain_before}")
    elif e.pain_after is not None:
        extra.append(f"pain after {e.pain_after}")
    tail = f" ({', '.join(extra)})" if extra else ""
    on = "" if today is None or e.at.date() == today else f" on {e.at.date().isoformat()}"
    return f"Logged {e.routine} stretch at {when}{on}{tail}."


def entry_line(e: Entry) -> str:
    stamp = e.at.strftime("%Y-%m-%d %H:%M")
    if e.kind == "stretch":
        what = f"stretch  {e.routine}"
        if e.pain_before is not None or e.pain_after is not None:
            what += f"  pain {'-' if e.pain_before is None else e.pain_before}->{'-' if e.pain_after is None else e.pain_after}"
    elif e.kind == "pain":
        what = f"pain     {e.level}/10 {e.area or ''}".rstrip()
    elif e.kind == "skip":
        what = f"skip     {e.day.isoformat() if e.day else ''} excused"
    else:
        until = e.until.strftime("%Y-%m-%d %H:%M") if e.until else "?"
        what = f"pause    until {until}"
    note = f'  "{e.note}"' if e.note else ""
    return f"{stamp}  {what}{note}"


def summary_json(s: Summary) -> dict[str, Any]:
    """The documented, stable ``stats --json`` object (fractions 0..1)."""
    return {
        "today": {"date": s.today.isoformat(), "done": s.done_today, "target": s.target},
        "current_streak": s.current_streak,
        "best_streak": s.best_streak,
        "adherence": {"7d": s.adherence_7d, "30d": s.adherence_30d},
        "score": round(s.score, 4),
        "days": [{"date": d.date.isoformat(), "count": d.count, "state": d.state} for d in s.days],
    }


def use_color(stream: Any = None) -> bool:
    stream = stream or sys.stdout
    if os.environ.get("NO_COLOR") or os.environ.get("TERM") == "dumb":
        return False
    return bool(getattr(stream, "isatty", lambda: False)())


HEAT_CHARS = {"complete": "#", "partial": "+", "missed": ".", "excused": "-"}
HEAT_STYLES = {"complete": "bold green", "partial": "green", "missed": "grey50", "excused": "blue"}
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def heatmap_grid(days: tuple[DayStat, ...], first: date | None) -> tuple[list[date], list[list[DayStat | None]]]:
    """Columns are weeks (Monday first), rows weekdays, like GitHub's contribution calendar."""
    if not days or first is None:
        return [], []
    start = days[0].date - timedelta(days=days[0].date.weekday())
    weeks = (days[-1].date - start).days // 7 + 1
    grid: list[list[DayStat | None]] = [[None] * weeks for _ in range(7)]
    for d in days:
        if first is not None and d.date < first:
            continue
        col = (d.date - start).days // 7
        grid[d.date.weekday()][col] = d
    return [start + timedelta(weeks=w) for w in range(weeks)], grid


def heatmap_lines(s: Summary) -> list[tuple[str, list[tuple[str, str]]]]:
    """Rows of (label, [(char, style)]), shared by the plain and the colour renderer."""
    mondays, grid = heatmap_grid(s.days, s.first_day)
    rows = []
    for wd in range(7):
        cells = []
        for cell in grid[wd] if grid else []:
            if cell is None:
                cells.append((" ", ""))
            elif cell.date == s.today and cell.state != "complete":
                cells.append(("o" if cell.count == 0 else "+", "yellow"))
            else:
                cells.append((HEAT_CHARS[cell.state], HEAT_STYLES[cell.state]))
        rows.append((WEEKDAYS[wd], cells))
    # Month names above the week where a month begins; a label never overwrites its neighbour.
    header = [" "] * (4 + 2 * len(mondays) + 2)
    last_month, free_from = None, 0
    for col, monday in enumerate(mondays):
        thursday = monday + timedelta(days=3)  # a week belongs to the month of its Thursday (ISO 8601)
        month = thursday.month
        pos = 4 + 2 * col
        if month != last_month and pos >= free_from:
            header[pos : pos + 3] = thursday.strftime("%b")
            free_from = pos + 4
        last_month = month
    return [("", [("".join(header).rstrip(), "dim")]), *rows]


HEAT_LEGEND = "# complete  + partial  . missed  - excused  o today (in progress)"


def stats_text(s: Summary) -> str:
    if s.first_day is None:
        return "Nothing logged yet. After a stretch, run: stretchd done"
    lines = [
        f"Today        {s.done_today}/{s.target}",
        f"Streak       {plural(s.current_streak, 'day')} (best {s.best_streak})",
        f"Adherence    {percent(s.adherence_7d)} last 7 days, {percent(s.adherence_30d)} last 30 days",
        f"Habit score  {percent(s.score)}",
        "",
    ]
    for label, cells in heatmap_lines(s):
        lines.append(f"{label:<4}" + " ".join(ch for ch, _ in cells) if label else cells[0][0])
    lines.append(HEAT_LEGEND)
    return "\n".join(lines)


def print_stats_rich(s: Summary) -> None:
    from rich.console import Console
    from rich.text import Text

    console = Console(highlight=False)
    if s.first_day is None:
        console.print(stats_text(s))
        return
    console.print(f"[bold]Today[/]        {s.done_today}/{s.target}")
    console.print(f"[bold]Streak[/]       {plural(s.current_streak, 'day')} (best {s.best_streak})")
    console.print(
        f"[bold]Adherence[/]    {percent(s.adherence_7d)} last 7 days, {percent(s.adherence_30d)} last 30 days"
    )
    console.print(f"[bold]Habit score[/]  {percent(s.score)}")
    console.print()
    for label, cells in heatmap_lines(s):
        text = Text(f"{label:<4}" if label else "")
        if not label:
            text.append(cells[0][0], style="dim")
        else:
            for i, (ch, style) in enumerate(cells):
                text.append(("■" if ch in "#+.-o" else ch) if console.encoding.startswith("utf") else ch, style=style)
                if i < len(cells) - 1:
                    text.append(" ")
        console.print(text)
    legend = Text()
    for name, style in (("complete", "bold green"), ("partial", "green"), ("missed", "grey50"),
                        ("excused", "blue"), ("today", "yellow")):  # fmt: skip
        legend.append("■ " if console.encoding.startswith("utf") else HEAT_CHARS.get(name, "o") + " ", style=style)
        legend.append(name + "  ")
    console.print(legend)


def routine_text(r: Routine, *, cautions: bool = True) -> str:
    lines = [f"{r.name}  [{r.id}]", ""]
    lines += [f"  {i}. {step}" for i, step in enumerate(r.steps, 1)]
    lines += ["", f"  Hold: {r.hold} {r.sides}.  Rounds: {r.rounds}.", f"  {r.feel}"]
    if cautions:
        lines += ["", cautions_text()]
    return "\n".join(lines)


def cautions_text() -> str:
    from stretchd.core.routines import CAUTIONS

    return "Cautions:\n" + "\n".join(f"  ! {c}" for c in CAUTIONS)
