"""``stretchd init``: the first run — cautions acknowledged once, reminder times, the service, a test notification."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time

from stretchd import config as config_mod
from stretchd.config import Reminder
from stretchd.core.routines import ROUTINE_IDS
from stretchd.core.timeparse import TimeParseError, format_clock, parse_clock
from stretchd.errors import StretchdError, UnavailableError, UsageError
from stretchd.paths import Paths

CAUTIONS_KEY = "cautions_acknowledged"


def parse_times(text: str, what: str = "--times") -> list[time]:
    """``08:00,18:00`` (commas or spaces) -> sorted clock times; UsageError names the bad one."""
    parts = [p for p in text.replace(",", " ").split() if p]
    if not parts:
        raise UsageError(f"{what}: give at least one time, e.g. 08:00,18:00")
    out: list[time] = []
    for part in parts:
        try:
            clock = parse_clock(part)
        except TimeParseError as exc:
            raise UsageError(f"{what}: {exc}") from None
        if clock in out:
            raise UsageError(f"{what}: {format_clock(clock)} is listed twice")
        out.append(clock)
    return sorted(out)


def check_routine_choice(routine: str | None, what: str = "--routine") -> str | None:
    if routine is not None and routine not in ROUTINE_IDS:
        raise UsageError(f"{what}: unknown routine {routine!r} (choose from: {', '.join(ROUTINE_IDS)})")
    return routine


def acknowledged(paths: Paths) -> str | None:
    from stretchd.store import Store

    value = Store(paths).get_state(CAUTIONS_KEY)
    return str(value) if value else None


def acknowledge(paths: Paths, now: datetime) -> str:
    """Record the acknowledgement once; an earlier one is kept."""
    from stretchd.store import Store

    with Store(paths).transaction() as txn:
        earlier = txn.get_state(CAUTIONS_KEY)
        if earlier:
            return str(earlier)
        stamp = now.isoformat(timespec="seconds")
        txn.set_state(CAUTIONS_KEY, stamp)
        return stamp


def write_reminders(paths: Paths, reminders: tuple[Reminder, ...]) -> bool:
    """Put ``reminders`` into the config (comments kept); False when they already were there."""
    from stretchd import services

    existed = paths.config_file.exists()
    changed = False

    def change(text: str, current: config_mod.Settings) -> str | None:
        nonlocal changed
        if existed and current.reminders == reminders:
            return None
        changed = True
        return config_mod.edit_text(text, reminders=reminders)

    services.edit_config(paths, change)  # a broken config is refused, never overwritten
    return changed


def describe(reminders: tuple[Reminder, ...]) -> str:
    return ", ".join(f"{r.label} ({r.routine})" for r in reminders)


# ---------------------------------------------------------------- service and test notification


@dataclass
class Outcome:
    """What init did and what is still missing, for the closing summary."""

    done: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def install_service(ask: Callable[[str, bool], bool], assume_yes: bool) -> Outcome:
    """systemd user unit if a user manager answers, else (after asking) the autostart entry."""
    from stretchd import service

    out = Outcome()
    manager = service.user_manager()
    if manager.reachable:
        try:
            out.done += service.install_unit("graphical", start=True, manager=manager)
        except StretchdError as exc:
            out.missing.append(f"the service could not be installed: {exc}" + (f" ({exc.hint})" if exc.hint else ""))
        return out
    out.missing.append(
        f"no systemd user manager is reachable ({manager.detail}); "
        "`stretchd service install` works once you run it inside a systemd session"
    )
    if assume_yes or ask(f"Start stretchd with your desktop session via {service.autostart_path()} instead?", True):
        try:
            out.done += service.install_autostart()
        except StretchdError as exc:
            out.missing.append(f"the autostart entry could not be written: {exc}")
            return out
        # "Install, init, reminders from then on" holds without systemd too: start it now as well.
        out.done.append(service.start_detached())
    else:
        out.missing.append(
            "stretchd does not start by itself: `stretchd service install --autostart`, or run `stretchd daemon`"
        )
    return out


def test_notification(reminders: tuple[Reminder, ...], backend: str) -> Outcome:
    from stretchd.doctor import BUS_FIX, SERVER_FIX
    from stretchd.notify import Notification, send_once

    out = Outcome()
    times = " and ".join(r.label for r in reminders) or "no times yet"
    d = send_once(
        Notification("stretchd is set up", f"Stretch reminders at {times}. This is a test.", expire_ms=10_000),
        backend,
    )
    if d.outcome == "delivered":
        out.done.append(f"Sent a test notification ({d.detail})")
    else:
        fix = BUS_FIX if "session bus" in d.detail else SERVER_FIX
        out.missing.append(
            f"no test notification: {d.detail}; fix: {fix}; then check with `stretchd doctor --send-test`"
        )
    return out


def ensure_available(fn: Callable[[], Outcome]) -> Outcome:
    """A missing bus, server or systemd is reported, never fatal for init."""
    try:
        return fn()
    except UnavailableError as exc:
        return Outcome(missing=[str(exc)])


# ---------------------------------------------------------------- the dialog


@dataclass(frozen=True)
class Io:
    """How init talks to the user (typer's functions in the CLI)."""

    echo: Callable[[str], None]
    confirm: Callable[[str, bool], bool]
    prompt: Callable[[str, str], str]


def _ask_times(io: Io, default: tuple[Reminder, ...]) -> list[time]:
    shown = ", ".join(r.label for r in default) or "08:00, 18:00"
    while True:
        try:
            return parse_times(io.prompt("Reminder times (24 h, comma-separated)", shown), "times")
        except UsageError as exc:
            io.echo(str(exc))


def _ask_routine(io: Io, label: str, default: str) -> str:
    while True:
        answer = io.prompt(f"Routine at {label} ({' or '.join(ROUTINE_IDS)})", default).strip().lower()
        if answer in ROUTINE_IDS:
            return answer
        io.echo(f"choose one of: {', '.join(ROUTINE_IDS)}")


def run_init(
    paths: Paths,
    now: datetime,
    io: Io,
    *,
    yes: bool,
    times: str | None,
    routine: str | None,
    with_service: bool = True,
) -> Outcome:
    """The whole first run; bad options raise UsageError before anything is written."""
    from stretchd import render

    chosen = parse_times(times) if times is not None else None
    check_routine_choice(routine)
    settings = config_mod.load(paths.config_file)  # a broken config stops init here, untouched
    out = Outcome()

    io.echo(render.cautions_text())
    earlier = acknowledged(paths)
    if earlier:
        io.echo(f"(You acknowledged these cautions on {earlier}.)")
    elif yes:
        stamp = acknowledge(paths, now)
        out.done.append(f"Cautions acknowledged at {stamp} because of --yes: please read them above")
    elif io.confirm("Have you read these cautions, and will you follow them?", False):
        out.done.append(f"Cautions acknowledged at {acknowledge(paths, now)}")
    else:
        raise StretchdError(
            "setup stopped: the cautions were not acknowledged; nothing was changed",
            hint="run `stretchd init` again when you are ready",
        )

    if chosen is None:
        chosen = [r.time for r in settings.reminders] if yes else _ask_times(io, settings.reminders)
        if not chosen:
            chosen = [parse_clock(t) for t, _ in config_mod.DEFAULT_REMINDERS]
    current = {r.time: r.routine for r in settings.reminders}
    reminders: list[Reminder] = []
    for clock in chosen:
        label = format_clock(clock)
        pick = routine or (current.get(clock, "deep") if yes else _ask_routine(io, label, current.get(clock, "deep")))
        reminders.append(Reminder(clock, pick))
    final = tuple(reminders)
    if write_reminders(paths, final):
        out.done.append(f"Reminders {describe(final)} written to {paths.config_file}")
    else:
        out.done.append(f"Reminders unchanged: {describe(final)} ({paths.config_file})")
    if paths.control_socket.exists():
        from stretchd.control import poke

        if poke(paths, "init"):
            out.done.append("The running daemon reloaded its settings")

    if not with_service:
        out.missing.append("service not installed (--no-service): `stretchd service install`")
    elif yes or io.confirm("Start stretchd now and with every desktop session?", True):
        part = ensure_available(lambda: install_service(io.confirm, yes))
        out.done += part.done
        out.missing += part.missing
    else:
        out.missing.append("stretchd does not start by itself: `stretchd service install` when you want it")

    backend = str(config_mod.load(paths.config_file)["notifications.backend"])
    part = ensure_available(lambda: test_notification(final, backend))
    out.done += part.done
    out.missing += part.missing
    return out
