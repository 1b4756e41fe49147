"""The ``stretchd`` command line: one Typer app, one error handler, commands registered per feature."""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Sequence

import click
import typer

from stretchd import __version__
from stretchd.errors import EX_USAGE, StretchdError


def _version(value: bool) -> None:
    if value:
        typer.echo(f"stretchd {__version__}")
        raise typer.Exit()


def _root(
    version: bool = typer.Option(False, "--version", callback=_version, is_eager=True, help="Show the version."),
) -> None:
    """Psoas-stretch reminders and a habit tracker for low-back and hip pain."""


# Which module defines each top-level command. Only the module of the command being run is
# imported (each import and each Typer command built costs start-up time, a product feature);
# `stretchd --help` imports them all. tests/test_cli_registry.py keeps this table true.
COMMAND_MODULES: dict[str, str] = {
    "done": "core_cmds",
    "undo": "core_cmds",
    "skip": "core_cmds",
    "history": "core_cmds",
    "export": "core_cmds",
    "import": "core_cmds",
    "stats": "core_cmds",
    "streak": "core_cmds",
    "routines": "core_cmds",
    "config": "config_cmds",
    "schedule": "config_cmds",
    "pain": "pain_cmds",
    "warnings": "pain_cmds",
    "service": "service_cmds",
    "init": "service_cmds",
    "doctor": "service_cmds",
    "guide": "guide_cmds",
    "daemon": "daemon_cmds",
    "status": "daemon_cmds",
    "snooze": "daemon_cmds",
    "pause": "daemon_cmds",
    "resume": "daemon_cmds",
}
FEATURE_MODULES: tuple[str, ...] = (
    "core_cmds",
    "config_cmds",
    "pain_cmds",
    "guide_cmds",
    "daemon_cmds",
    "service_cmds",
)


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app; with ``only``, just that command (building all of them costs ~20 ms)."""
    import importlib

    from stretchd.cli.registry import ADDERS

    for module in [COMMAND_MODULES[only]] if only in COMMAND_MODULES else FEATURE_MODULES:
        importlib.import_module(f"stretchd.cli.{module}")
    app = typer.Typer(
        name="stretchd",
        help="Psoas-stretch reminders and a habit tracker for low-back and hip pain.",
        no_args_is_help=True,
        add_completion=False,
        rich_markup_mode=None,
        pretty_exceptions_enable=False,
        suggest_commands=False,  # click already adds "Did you mean ...?"; Typer would say it twice
        context_settings={"help_option_names": ["-h", "--help"]},
    )
    app.callback()(_root)
    for name, add in ADDERS.items():
        if only is None or name == only:
            add(app)
    return app


def err(message: str) -> None:
    """One line on stderr (what the user typed may be in it: see ``printable``)."""
    from stretchd.cli.common import printable

    click.echo(f"stretchd: {printable(message)}", err=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; every error a user can cause becomes one line on stderr and an exit status."""
    if hasattr(signal, "SIGXFSZ"):
        # A file-size limit must surface as an error we report, not kill us mid-write.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    args = list(sys.argv[1:] if argv is None else argv)
    only = args[0] if args and args[0] in COMMAND_MODULES else None
    command = typer.main.get_command(build_app(only))
    try:
        result = command.main(args=args, prog_name="stretchd", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "", err=True)
        return EX_USAGE
    except click.UsageError as exc:
        path = exc.ctx.command_path if exc.ctx else "stretchd"
        err(f"error: {exc.format_message()} (see '{path} --help')")
        return EX_USAGE
    except click.ClickException as exc:
        err(f"error: {exc.format_message()}")
        return exc.exit_code
    except click.exceptions.Abort:
        err("aborted")
        return 130
    except StretchdError as exc:
        err(f"error: {exc}")
        if exc.hint:
            err(f"hint: {exc.hint}")
        return exc.exit_code
    except BrokenPipeError:
        return 1
    except KeyboardInterrupt:
        return 130
    finally:
        with contextlib.suppress(BrokenPipeError):
            sys.stdout.flush()
    return result if isinstance(result, int) else 0
