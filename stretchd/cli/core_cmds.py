"""CLI commands for logging, history, stats, routines, config and schedule."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from stretchd.cli import registry
from stretchd.cli.common import echo_json, load_context, poke_daemon

Level = Annotated[Optional[int], typer.Option(min=0, max=10, help="Pain level 0..10.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


@registry.command("done")
def done(
    routine: Annotated[
        Optional[str],
        typer.Argument(
            help="gentle or deep; default: the routine of the current or next reminder.", show_default=False
        ),
    ] = None,
    at: Annotated[
        Optional[str],
        typer.Option(
            "--at", help="When: HH:MM, 'yesterday HH:MM', -90m, -2h, -1d, or an ISO date/time.", show_default=False
        ),
    ] = None,
    pain_before: Annotated[
        Optional[int], typer.Option("--pain-before", min=0, max=10, help="Pain before, 0..10.", show_default=False)
    ] = None,
    pain_after: Annotated[
        Optional[int], typer.Option("--pain-after", min=0, max=10, help="Pain after, 0..10.", show_default=False)
    ] = None,
    note: Annotated[Optional[str], typer.Option("--note", help="A short note.", show_default=False)] = None,
    as_json: JsonFlag = False,
) -> None:
    """Log a completed stretch."""
    from stretchd import render, services

    ctx = load_context()
    entry, summary = services.log_stretch(
        ctx, routine=routine, at=at, pain_before=pain_before, pain_after=pain_after, note=note
    )
    poke_daemon(ctx.paths, "stretch logged")
    if as_json:
        out = render.summary_json(summary)
        echo_json({"entry": entry.to_dict(), "today": out["today"], "current_streak": summary.current_streak,
                   "best_streak": summary.best_streak})  # fmt: skip
        return
    typer.echo(f"{render.logged_line(entry, ctx.today)} {render.progress_line(summary)}")


@registry.command("undo")
def undo(
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
) -> None:
    """Remove the last entry (shows it first).

    Asks for confirmation unless --yes is given.
    """
    from stretchd import render, services

    ctx = load_context()
    last = services.last_entry(ctx)
    if last is None:
        typer.echo("Nothing to undo: the history is empty.")
        return
    typer.echo(f"Most recent entry: {render.entry_line(last)}")
    if not yes and not typer.confirm("Remove it?", default=False):
        typer.echo("Kept.")
        raise typer.Exit(1)
    services.undo(ctx, last)
    poke_daemon(ctx.paths, "entry removed")
    typer.echo("Removed.")


@registry.command("skip")
def skip(
    date: Annotated[
        Optional[str],
        typer.Option(
            "--date", help="The day to excuse (default today): an ISO date, 'yesterday', ...", show_default=False
        ),
    ] = None,
    reason: Annotated[
        Optional[str], typer.Option("--reason", help="Why (sick, travel, ...).", show_default=False)
    ] = None,
) -> None:
    """Excuse a day (sick, travel): no streak break.

    An excused day neither breaks nor extends your streak.
    """
    from stretchd import services

    ctx = load_context()
    entry = services.skip_day(ctx, date, reason)
    poke_daemon(ctx.paths, "day skipped")
    assert entry.day is not None
    typer.echo(
        f"Excused {entry.day.isoformat()}{f' ({entry.note})' if entry.note else ''}: it will not break your streak."
    )


@registry.command("history")
def history(
    since: Annotated[
        Optional[str],
        typer.Option("--since", help="Only entries from then on (same forms as done --at).", show_default=False),
    ] = None,
    as_json: JsonFlag = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
) -> None:
    """Show what you logged, oldest first."""
    from stretchd import render, services

    ctx = load_context()
    entries = services.history(ctx, since)
    if as_json:
        echo_json([e.to_dict() for e in entries])
    elif as_csv:
        typer.echo(services.export_text(entries, "csv"), nl=False)
    elif not entries:
        typer.echo("No entries yet. Log a stretch with `stretchd done`.")
    else:
        for e in entries:
            typer.echo(render.entry_line(e))


@registry.command("export")
def export(
    fmt: Annotated[str, typer.Option("--format", "-f", help="csv or json.")] = "json",
    output: Annotated[
        Optional[Path], typer.Option("--output", "-o", help="Write to this file instead of stdout.", show_default=False)
    ] = None,
) -> None:
    """Export the whole history as CSV or JSON.

    The file is private (0600) and `stretchd import` reads it back.
    """
    from stretchd import services
    from stretchd.errors import UsageError
    from stretchd.fsutil import atomic_write

    if fmt not in ("csv", "json"):
        raise UsageError(f"--format must be csv or json, got {fmt!r}")
    if output is not None:
        output = output.expanduser().absolute()
        if not output.parent.is_dir():
            raise UsageError(f"--output: the directory {output.parent} does not exist")
        if output.is_dir():
            raise UsageError(f"--output: {output} is a directory")
    ctx = load_context()
    text = services.export_text(ctx.view().entries(), fmt)
    if output is None:
        typer.echo(text, nl=False)
    else:
        # The user's directory keeps its mode; the file itself is private (health data).
        atomic_write(output, text.encode("utf-8"), private_dir=False)
        typer.echo(f"Wrote {output} (private: mode 0600).")


@registry.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A file written by `stretchd export` (CSV or JSON).")],
) -> None:
    """Import an export (importing twice adds nothing).

    Every row is checked before anything is written; entries already present are left alone.
    """
    from stretchd import services

    ctx = load_context()
    added, present = services.import_entries(ctx, file)
    poke_daemon(ctx.paths, "history imported")
    typer.echo(f"Imported {added} new entr{'y' if added == 1 else 'ies'}; {present} already present.")


@registry.command("stats")
def stats(
    days: Annotated[int, typer.Option("--days", help="Days shown in the calendar.")] = 56,
    as_json: JsonFlag = False,
) -> None:
    """Streaks, adherence, habit score and a heatmap.

    Today's progress, current and best streak, adherence over 7 and 30 days, the habit score,
    a calendar heatmap, and the pain section once you report pain. Alias: streak.
    """
    from stretchd import render, services
    from stretchd.cli import extensions

    ctx = load_context()
    summary = services.stats(ctx, days)
    extensions.load_stats_providers()
    if as_json:
        data = render.summary_json(summary)
        for hook in extensions.STATS_JSON:
            data.update(hook(ctx))
        echo_json(data)
        return
    if render.use_color():
        render.print_stats_rich(summary)
    else:
        typer.echo(render.stats_text(summary))
    for text_hook in extensions.STATS_TEXT:
        text = text_hook(ctx)
        if text:
            typer.echo("")
            typer.echo(text)


registry.command("streak", help="Alias of `stats`.")(stats)


@registry.command("routines")
def routines_cmd(
    routine: Annotated[Optional[str], typer.Argument(help="Show this routine in full.", show_default=False)] = None,
    as_json: JsonFlag = False,
) -> None:
    """List the routines, or show one in full.

    Each routine with its steps, holds and rounds, and the cautions.
    """
    from stretchd import render, services
    from stretchd.core import routines

    chosen = [routines.get(services.check_routine(routine))] if routine else list(routines.ROUTINES.values())
    if as_json:
        echo_json({"routines": [r._asdict() for r in chosen], "cautions": list(routines.CAUTIONS)})
        return
    if routine:
        typer.echo(render.routine_text(chosen[0]))
        return
    for r in chosen:
        typer.echo(f"{r.id:<7} {r.name}")
        typer.echo(f"        {r.summary}")
    typer.echo("")
    typer.echo("Show one in full: stretchd routines deep")
    typer.echo("")
    typer.echo(render.cautions_text())
