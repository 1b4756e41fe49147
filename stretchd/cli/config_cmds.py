"""CLI commands for the configuration and the reminder schedule."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from stretchd.cli import registry
from stretchd.cli.common import echo_json, poke_daemon, printable

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]

# ---------------------------------------------------------------- config

config_app = typer.Typer(help="Show, check and change the configuration.", no_args_is_help=True)
registry.group("config", config_app)


@config_app.command("path")
def config_path() -> None:
    """Print where the config and data files live."""
    from stretchd.paths import resolve

    p = resolve()
    typer.echo(f"config   {p.config_file}")
    typer.echo(f"data     {p.data_file}")
    typer.echo(f"runtime  {p.runtime_dir}")


def _effective(settings: object) -> dict[str, object]:
    from stretchd.config import Settings

    assert isinstance(settings, Settings)
    out: dict[str, object] = dict(settings.values)
    out["reminders"] = [{"time": r.label, "routine": r.routine} for r in settings.reminders]
    return out


@config_app.command("show")
def config_show(as_json: JsonFlag = False) -> None:
    """Print the effective configuration (your file merged over the defaults)."""
    from stretchd import config
    from stretchd.paths import resolve

    paths = resolve()
    settings = config.load(paths.config_file)
    data = _effective(settings)
    if as_json:
        echo_json(data)
        return
    typer.echo(f"# {paths.config_file}{'' if paths.config_file.exists() else ' (not created yet: defaults)'}")
    for key, value in data.items():
        if key == "reminders":
            continue
        suffix = f"  (= {settings.daily_target})" if key == "daily_target" and value == "auto" else ""
        typer.echo(f"{key} = {json.dumps(value)}{suffix}")
    for r in settings.reminders:
        typer.echo(f"reminder {r.label} {r.routine}")
    for w in settings.warnings:
        typer.echo(printable(f"warning: {w}"), err=True)


@config_app.command("get")
def config_get(key: Annotated[str, typer.Argument(help="A dotted key, e.g. pain.severe.")]) -> None:
    """Print one setting's effective value."""
    from stretchd import config
    from stretchd.errors import UsageError
    from stretchd.paths import resolve

    data = _effective(config.load(resolve().config_file))
    if key not in data:
        raise UsageError(f"unknown config key {key!r} (see `stretchd config show` for the keys)")
    value = data[key]
    typer.echo(value if isinstance(value, str) else json.dumps(value))


@config_app.command("set")
def config_set(
    key: Annotated[str, typer.Argument(help="A dotted key, e.g. reminder.nudge_minutes.")],
    value: Annotated[str, typer.Argument(help="The new value.")],
) -> None:
    """Change one setting (comments in the file are kept; a running daemon reloads)."""
    from stretchd import services
    from stretchd.paths import resolve

    paths = resolve()
    new = services.config_set(paths, key, value)
    typer.echo(f"{key} = {json.dumps(new)}")
    poke_daemon(paths, "config changed")


@config_app.command("check")
def config_check() -> None:
    """Validate the config file; every problem is listed with its key and line."""
    from stretchd import config
    from stretchd.errors import ConfigError
    from stretchd.paths import resolve

    path = resolve().config_file
    try:
        settings = config.load(path)
    except ConfigError as exc:
        for problem in exc.problems:
            typer.echo(printable(f"{path}: {problem}"), err=True)
        raise typer.Exit(2) from None
    for w in settings.warnings:
        typer.echo(printable(f"{path}: warning: {w}"), err=True)
    typer.echo(f"{path}: ok" if path.exists() else f"{path} does not exist: using the defaults (ok)")


# ---------------------------------------------------------------- schedule

schedule_app = typer.Typer(help="List, add and remove reminder times.", no_args_is_help=True)
registry.group("schedule", schedule_app)


@schedule_app.command("list")
def schedule_list(as_json: JsonFlag = False) -> None:
    """List the reminder times and their routines."""
    from stretchd import config
    from stretchd.paths import resolve

    settings = config.load(resolve().config_file)
    if as_json:
        echo_json({"reminders": [{"time": r.label, "routine": r.routine} for r in settings.reminders],
                   "daily_target": settings.daily_target})  # fmt: skip
        return
    if not settings.reminders:
        typer.echo("No reminder times. Add one: stretchd schedule add 08:00")
    for r in settings.reminders:
        typer.echo(f"{r.label}  {r.routine}")
    typer.echo(f"Daily target: {settings.daily_target}")


def _clock(text: str) -> object:
    from stretchd.core.timeparse import TimeParseError, parse_clock
    from stretchd.errors import UsageError

    try:
        return parse_clock(text)
    except TimeParseError as exc:
        raise UsageError(str(exc)) from None


@schedule_app.command("add")
def schedule_add(
    time: Annotated[str, typer.Argument(help="HH:MM, HH:MM:SS, 8am or 6:30pm.")],
    routine: Annotated[str, typer.Option("--routine", "-r", help="deep or gentle.")] = "deep",
) -> None:
    """Add a reminder time."""
    from datetime import time as time_t

    from stretchd import services
    from stretchd.paths import resolve

    clock = _clock(time)
    assert isinstance(clock, time_t)
    paths = resolve()
    settings = services.schedule_change(paths, add=(clock, routine))
    typer.echo(f"Reminders: {', '.join(f'{r.label} {r.routine}' for r in settings.reminders)}")
    poke_daemon(paths, "schedule changed")


@schedule_app.command("remove")
def schedule_remove(time: Annotated[str, typer.Argument(help="The reminder time to remove.")]) -> None:
    """Remove a reminder time."""
    from datetime import time as time_t

    from stretchd import services
    from stretchd.paths import resolve

    clock = _clock(time)
    assert isinstance(clock, time_t)
    paths = resolve()
    settings = services.schedule_change(paths, remove=clock)
    typer.echo(f"Reminders: {', '.join(f'{r.label} {r.routine}' for r in settings.reminders) or 'none'}")
    poke_daemon(paths, "schedule changed")
