"""CLI commands for the reminder daemon: daemon, status, snooze, pause, resume."""

from __future__ import annotations

from typing import Annotated, Any, Optional

import typer

from stretchd.cli import registry
from stretchd.cli.common import echo_json, load_context

START_HINT = "Start them with `stretchd daemon` (or install the user service: `stretchd service install`)."


@registry.command("daemon")
def daemon(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug details to stderr.")] = False,
) -> None:
    """Run the reminder daemon (in the foreground).

    One per user; logs to stderr (journald-friendly). Usually started by the service.
    """
    from stretchd.daemon.app import run

    raise typer.Exit(run(verbose))


def _ask(paths: Any, payload: dict[str, Any]) -> dict[str, Any] | None:
    if not paths.control_socket.exists():
        return None
    from stretchd.control import request

    return request(paths, payload)


def _clock(stamp: str | None, today: Any) -> str:
    from datetime import datetime

    if not stamp:
        return "-"
    from datetime import timedelta

    at = datetime.fromisoformat(stamp)
    clock = at.strftime("%H:%M:%S" if at.second else "%H:%M")
    if at.date() == today:
        return clock
    if at.date() == today + timedelta(days=1):
        return f"tomorrow {clock}"
    return at.strftime("%a %d %b ") + clock


def status_text(st: dict[str, Any], today: Any) -> str:
    lines = []
    if st["running"]:
        lines.append(f"Reminders are on: the daemon is running (pid {st['pid']}).")
    else:
        lines.append("Reminders are off: the daemon is not running.")
        lines.append(START_HINT)
    t = st["today"]
    done_slots = ", ".join(f"{s['slot']} {'done' if s['done'] else 'open'}" for s in t["slots"]) or "no reminder times"
    lines.append(
        f"Today {t['done']}/{t['target']}, streak {t['streak']} day{'' if t['streak'] == 1 else 's'} ({done_slots})."
    )
    nxt = ", ".join(
        f"{_clock(n['at'], today)} {n['routine']}" + (" (paused)" if n["paused"] else "") for n in st["next"]
    )
    lines.append(f"Next reminders: {nxt or 'none configured (stretchd schedule add TIME)'}")
    if st.get("paused_until"):
        lines.append(f"Paused until {_clock(st['paused_until'], today)} (`stretchd resume` ends it).")
    if st.get("snoozed_until"):
        lines.append(f"Snoozed until {_clock(st['snoozed_until'], today)}.")
    server = st.get("server")
    if st["running"]:
        if server:
            lines.append(
                f"Notification server: {server['name']} {server['version']} ({', '.join(server['capabilities'])})"
            )
        else:
            lines.append("Notification server: none found (reminders are retried when one appears)")
    last = st.get("last_delivery")
    if last:
        lines.append(f"Last delivery: {last['kind']} {last['slot']} at {_clock(last['at'], today)}: {last['outcome']}"
                     + (f" ({last['detail']})" if last.get("detail") else ""))  # fmt: skip
    return "\n".join(lines)


@registry.command("status")
def status(as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")] = False) -> None:
    """Are reminders on? The next ones, and today.

    Whether the daemon runs, the next reminders, snooze/pause state, today's progress and the
    notification server.
    """
    from stretchd.daemon import ops

    ctx = load_context()
    reply = _ask(ctx.paths, {"cmd": "status"})
    st = reply if reply and reply.get("ok") else ops.status(ctx, running=False)
    st.pop("ok", None)
    if as_json:
        echo_json(st)
    else:
        typer.echo(status_text(st, ctx.today))


def _after_change(ctx: Any, cmd: str, message: str) -> None:
    reply = _ask(ctx.paths, {"cmd": cmd})
    typer.echo(message)
    if reply is None:
        typer.echo("The daemon is not running, so no reminders are sent anyway; this is kept for when it starts.")


@registry.command("snooze")
def snooze(
    duration: Annotated[
        Optional[str],
        typer.Argument(help="How long: 10m, 90s, 1h, ... (default reminder.snooze_minutes).", show_default=False),
    ] = None,
) -> None:
    """Postpone the current reminder (and its repeats)."""
    from datetime import timedelta

    from stretchd.core.timeparse import TimeParseError, parse_duration
    from stretchd.daemon import ops
    from stretchd.errors import UsageError

    ctx = load_context()
    length = timedelta(minutes=int(ctx.settings["reminder.snooze_minutes"]))
    if duration is not None:
        try:
            length = parse_duration(duration)
        except TimeParseError as exc:
            raise UsageError(str(exc)) from None
    until = ops.snooze(ctx, length)
    _after_change(ctx, "snooze", f"Snoozed until {_clock(until.isoformat(), ctx.today)}.")


@registry.command("pause")
def pause(
    duration: Annotated[
        Optional[str], typer.Argument(help="How long: 2h, 1d, ... (default 1h).", show_default=False)
    ] = None,
    until: Annotated[
        Optional[str], typer.Option("--until", help="Until when: HH:MM, an ISO date/time, ...", show_default=False)
    ] = None,
) -> None:
    """Stop all reminders for a while.

    The days a pause covers are excused in stats.
    """
    from datetime import timedelta

    from stretchd.core.timeparse import TimeParseError, parse_duration, parse_when
    from stretchd.daemon import ops
    from stretchd.errors import UsageError

    ctx = load_context()
    if duration is not None and until is not None:
        raise UsageError("give a duration or --until, not both")
    try:
        if until is not None:
            end = parse_when(until, ctx.now, ctx.tz)
            if end <= ctx.now and ":" in until and "T" not in until:
                end += timedelta(days=1)  # "--until 07:00" at night means tomorrow
        else:
            end = ctx.now + parse_duration(duration or "1h")
    except TimeParseError as exc:
        raise UsageError(str(exc)) from None
    end = ops.pause(ctx, end)
    _after_change(ctx, "pause", f"Reminders paused until {_clock(end.isoformat(), ctx.today)}.")


@registry.command("resume")
def resume() -> None:
    """End a pause or snooze: reminders are on again."""
    from stretchd.daemon import ops

    ctx = load_context()
    changed = ops.resume(ctx)
    _after_change(ctx, "resume", "Reminders resumed." if changed else "Reminders were not paused.")
