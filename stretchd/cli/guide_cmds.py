"""CLI command ``stretchd guide``: a guided stretch with a live timer, logged at the end."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from stretchd.cli import registry
from stretchd.cli.common import load_context


@registry.command("guide")
def guide(
    routine: Annotated[
        Optional[str],
        typer.Argument(
            help="gentle or deep; default: the routine of the current or next reminder.", show_default=False
        ),
    ] = None,
    hold: Annotated[
        Optional[int],
        typer.Option(
            "--hold",
            min=1,
            max=600,
            metavar="SECONDS",
            help="deep: hold per side (routine 30-60; shorter is practice). Default: guide.hold_seconds.",
            show_default=False,
        ),
    ] = None,
    breath_seconds: Annotated[
        Optional[float],
        typer.Option(
            "--breath-seconds",
            min=2,
            max=30,
            metavar="S",
            help="gentle: seconds per breath, in and out. Default: guide.breath_seconds.",
            show_default=False,
        ),
    ] = None,
    position: Annotated[
        Optional[int],
        typer.Option(
            "--position",
            min=0,
            max=120,
            metavar="SECONDS",
            help="Time to get into position and to switch sides. Default: guide.position_seconds.",
            show_default=False,
        ),
    ] = None,
    log: Annotated[
        bool, typer.Option("--log/--no-log", help="Log the stretch at the end (--no-log: practise).")
    ] = True,
    notify: Annotated[
        bool, typer.Option("--notify/--no-notify", help="Also a desktop notification at each switch of sides.")
    ] = False,
    bell: Annotated[
        Optional[bool],
        typer.Option(
            "--bell/--no-bell", help="Ring the terminal bell at each switch. Default: guide.bell.", show_default=False
        ),
    ] = None,
) -> None:
    """Guided stretch with a live timer, then log it.

    Cues for each step, a bell at each switch of sides; Ctrl-C stops.
    """  # fmt: skip
    from stretchd import guide as runner
    from stretchd import services
    from stretchd.core import guide as core
    from stretchd.core import routines
    from stretchd.errors import UsageError

    ctx = load_context()
    routine_id = services.check_routine(routine) if routine else services.current_slot_routine(ctx.settings, ctx.now)
    chosen = routines.get(routine_id)
    if chosen.hold_breaths is not None and hold is not None:
        raise UsageError("--hold: the gentle routine is paced by breaths; use --breath-seconds")
    if chosen.hold_breaths is None and breath_seconds is not None:
        raise UsageError("--breath-seconds: the deep routine is a timed hold; use --hold")
    s = ctx.settings
    options = core.Options(
        hold_seconds=s["guide.hold_seconds"] if hold is None else hold,
        breath_seconds=s["guide.breath_seconds"] if breath_seconds is None else breath_seconds,
        position_seconds=s["guide.position_seconds"] if position is None else position,
    )
    try:
        plan = core.build(chosen, options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    session = runner.Session(plan, log=log, bell=s["guide.bell"] if bell is None else bell, notify=notify)
    code = runner.run_session(ctx, session)
    if code:
        raise typer.Exit(code)
