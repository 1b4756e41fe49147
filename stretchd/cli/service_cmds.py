"""CLI commands that get stretchd running: ``service install|uninstall|status|logs``, ``init``, ``doctor``."""

from __future__ import annotations

import sys
from typing import Annotated, Any, Optional

import typer

from stretchd.cli import registry
from stretchd.cli.common import echo_json

service_app = typer.Typer(help="Start stretchd with your session (systemd or autostart).", no_args_is_help=True)
registry.group("service", service_app)

JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of text.")]


def _utf8() -> bool:
    encoding = getattr(sys.stdout, "encoding", None) or ""
    return encoding.lower().replace("-", "") == "utf8"


@service_app.command("install")
def service_install(
    target: Annotated[
        str,
        typer.Option("--target", help="graphical: with the desktop session; default: bare window managers too."),
    ] = "graphical",
    no_start: Annotated[bool, typer.Option("--no-start", help="Enable only; start at the next login.")] = False,
    autostart: Annotated[
        bool, typer.Option("--autostart", help="Write an XDG autostart entry instead (no systemd needed).")
    ] = False,
) -> None:
    """Install and start the systemd user service (or, with --autostart, an autostart entry)."""
    from stretchd import service
    from stretchd.errors import UsageError

    if target not in service.TARGETS:
        raise UsageError(f"--target: choose graphical or default, got {target!r}")
    if autostart:
        for line in service.install_autostart():
            typer.echo(line)
        typer.echo("stretchd starts with every desktop login.")
        if not no_start:
            typer.echo(service.start_detached())
        return
    for line in service.install_unit(target, start=not no_start):
        typer.echo(line)
    if no_start:
        typer.echo("Enabled: stretchd starts with your next session (`systemctl --user start stretchd` for now).")
    else:
        typer.echo("stretchd is running and starts with every session. Check it with `stretchd doctor`.")


@service_app.command("uninstall")
def service_uninstall() -> None:
    """Stop and disable the service and remove its unit (and any autostart entry)."""
    from stretchd import service

    for line in service.uninstall():
        typer.echo(line)


def _status_lines(state: dict[str, Any], reply: dict[str, Any] | None) -> list[str]:
    from stretchd.doctor import describe_daemon

    unit = f"{state['unit_file']} ({'installed' if state['installed'] else 'not installed'})"
    lines = [f"unit       {unit}"]
    systemd = state.get("systemd")
    if systemd:
        main = f", pid {systemd['MainPID']}" if systemd.get("MainPID") not in ("", "0") else ""
        text = f', "{systemd["StatusText"]}"' if systemd.get("StatusText") else ""
        lines.append(
            f"systemd    {systemd['UnitFileState'] or systemd['LoadState']}, {systemd['ActiveState']} "
            f"({systemd['SubState']}){main}{text}, restarts {systemd.get('NRestarts') or 0}"
        )
    elif "systemd_error" in state:
        lines.append(f"systemd    {state['systemd_error']}")
    else:
        lines.append(f"systemd    {state['manager']}")
    lines.append(f"autostart  {state['autostart_file']} ({'present' if state['autostart'] else 'absent'})")
    if reply is None:
        lines.append("daemon     not running (no answer on the control socket)")
    else:
        lines.append(f"daemon     {describe_daemon(reply)}")
    return lines


@service_app.command("status")
def service_status(as_json: JsonFlag = False) -> None:
    """The unit's state in systemd plus what the running daemon reports."""
    from stretchd import service
    from stretchd.control import request
    from stretchd.paths import resolve

    state = service.unit_state()
    reply = request(resolve(), {"cmd": "status"})
    if as_json:
        echo_json({**state, "daemon": reply})
    else:
        for line in _status_lines(state, reply):
            typer.echo(line)
    if reply is None:
        raise typer.Exit(1)


@service_app.command("logs")
def service_logs(
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep printing new messages.")] = False,
    lines: Annotated[int, typer.Option("--lines", "-n", min=1, max=100_000, help="How many recent lines.")] = 50,
) -> None:
    """Show the daemon's journal (journalctl --user -u stretchd)."""
    import subprocess

    from stretchd import service

    argv = service.logs_command(follow, lines)
    try:
        # Output goes straight to the terminal. -f runs until Ctrl-C, so only the one-shot form has a timeout.
        code = subprocess.run(argv, check=False, timeout=None if follow else 60).returncode
    except subprocess.TimeoutExpired:
        code = 1
    except KeyboardInterrupt:
        code = 0
    raise typer.Exit(code)


@registry.command("init")
def init(
    yes: Annotated[
        bool, typer.Option("--yes", "-y", help="Accept every default (and the cautions) without asking.")
    ] = False,
    times: Annotated[
        Optional[str], typer.Option("--times", help="Reminder times, e.g. 08:00,18:00.", show_default=False)
    ] = None,
    routine: Annotated[
        Optional[str], typer.Option("--routine", help="deep or gentle, for every time.", show_default=False)
    ] = None,
    no_service: Annotated[bool, typer.Option("--no-service", help="Do not install the service.")] = False,
) -> None:
    """First-time setup: cautions, times, service.

    Shows the cautions, asks the reminder times and routines, installs the service and sends a
    test notification.
    """
    from stretchd import setup_wizard
    from stretchd.clock import SystemClock
    from stretchd.paths import resolve

    io = setup_wizard.Io(
        echo=typer.echo,
        confirm=lambda text, default: typer.confirm(text, default=default),
        prompt=lambda text, default: str(typer.prompt(text, default=default)),
    )
    out = setup_wizard.run_init(
        resolve(), SystemClock().now(), io, yes=yes, times=times, routine=routine, with_service=not no_service
    )
    typer.echo("")
    typer.echo("Done:")
    for line in out.done:
        typer.echo(f"  {line}")
    if out.missing:
        typer.echo("Still missing (init succeeded; reminders need these):")
        for line in out.missing:
            typer.echo(f"  - {line}")
    typer.echo("Check everything any time with `stretchd doctor`.")


@registry.command("doctor")
def doctor(
    send_test: Annotated[bool, typer.Option("--send-test", help="Also send a real test notification.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Check that reminders can work, and how to fix it.

    Config, data, daemon, service, session bus, notification server and logind.
    """
    from stretchd import doctor as doctor_mod
    from stretchd.paths import resolve

    checks = doctor_mod.run_checks(resolve(), send_test=send_test)
    if as_json:
        echo_json([c.to_dict() for c in checks])
    else:
        typer.echo(doctor_mod.render(checks, _utf8()))
    if doctor_mod.failing_needed(checks):
        raise typer.Exit(1)
