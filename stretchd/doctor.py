"""``stretchd doctor``: check each part reminders depend on and say how to fix what is broken."""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from stretchd.paths import Paths

Level = Literal["needed", "advisory"]

# Needed: without it no reminder reaches the user, or their data is at risk.
# Advisory: reminders still work (the daemon can be started by hand; without logind a reminder
# due during a suspend comes late; without buttons the user logs with `stretchd done`).
NEEDED: tuple[str, ...] = ("config", "data", "permissions", "daemon", "session-bus", "notification-server", "send-test")


@dataclass(frozen=True)
class Check:
    check: str
    ok: bool
    level: Level
    detail: str
    fix: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _check(name: str, ok: bool, detail: str, fix: str = "") -> Check:
    return Check(name, ok, "needed" if name in NEEDED else "advisory", detail, "" if ok else fix)


# ---------------------------------------------------------------- files


def check_config(paths: Paths) -> Check:
    from stretchd import config
    from stretchd.errors import ConfigError

    path = paths.config_file
    try:
        settings = config.load(path)
    except ConfigError as exc:
        return _check(
            "config", False, "; ".join(exc.problems), f"edit {path} (`stretchd config check` lists every problem)"
        )
    times = ", ".join(f"{r.label} {r.routine}" for r in settings.reminders) or "none"
    where = f"{path}" if path.exists() else f"{path} not created yet, defaults"
    warn = f"; {len(settings.warnings)} warning(s): `stretchd config check`" if settings.warnings else ""
    return _check("config", True, f"{where}; reminders: {times}{warn}")


def check_data(paths: Paths) -> Check:
    from stretchd.errors import DataError
    from stretchd.store import Store

    store = Store(paths)
    if not store.exists():
        return _check("data", True, f"{paths.data_file} not created yet (no history)")
    try:
        n = len(store.entries())
    except DataError as exc:
        return _check("data", False, str(exc), exc.hint or f"move {paths.data_file} aside")
    return _check("data", True, f"{paths.data_file}: {n} entr{'y' if n == 1 else 'ies'}")


def check_permissions(paths: Paths) -> Check:
    wrong: list[str] = []
    fixes: list[str] = []
    dirs = (paths.config_dir, paths.data_dir, paths.runtime_dir)
    for path, want in [*((d, 0o700) for d in dirs), (paths.config_file, 0o600), (paths.data_file, 0o600)]:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            continue
        except OSError as exc:
            wrong.append(f"{path}: {exc.strerror}")
            continue
        if mode & 0o077:
            wrong.append(f"{path} is {mode:04o}")
            fixes.append(f"chmod {want:o} {path}")
    if wrong:
        return _check("permissions", False, "; ".join(wrong) + " (others can read it)", "; ".join(fixes))
    return _check("permissions", True, "files 0600, directories 0700")


def check_cautions(paths: Paths) -> Check:
    from stretchd.errors import DataError
    from stretchd.store import Store

    try:
        when = Store(paths).get_state("cautions_acknowledged")
    except DataError:
        when = None
    if when:
        return _check("cautions", True, f"acknowledged {when}")
    return _check(
        "cautions",
        False,
        "not acknowledged yet: the first reminder shows them",
        "stretchd init (shows them and asks once)",
    )


# ---------------------------------------------------------------- processes


DAEMON_FIXES = {
    "systemd": "systemctl --user start stretchd.service (`stretchd service logs` shows why it stopped)",
    "autostart": "it starts at your next login; until then run `stretchd daemon &`",
    "": "stretchd service install (or run `stretchd daemon` in a terminal)",
}


def check_daemon(paths: Paths, installed_as: str) -> Check:
    from stretchd.control import request

    reply = request(paths, {"cmd": "status"})
    if reply is None:
        fix = DAEMON_FIXES.get(installed_as, DAEMON_FIXES[""])
        return _check("daemon", False, f"not running (nothing answers on {paths.control_socket})", fix)
    return _check("daemon", True, describe_daemon(reply))


def describe_daemon(reply: dict[str, Any]) -> str:
    """One line from the daemon's status reply: ``running (pid 4242); next reminder 18:00 deep``."""
    parts = [f"running (pid {reply.get('pid', '?')})"]
    upcoming = reply.get("next") or []
    if upcoming and isinstance(upcoming[0], dict):
        parts.append(f"next reminder {upcoming[0].get('slot')} {upcoming[0].get('routine')}")
    if reply.get("paused_until"):
        parts.append(f"paused until {reply['paused_until']}")
    last = reply.get("last_delivery")
    if isinstance(last, dict) and last.get("outcome"):
        parts.append(f"last delivery {last['outcome']}")
    return "; ".join(parts)


def check_service() -> tuple[Check, str]:
    """The service check, and how the daemon is started: "systemd", "autostart" or ""."""
    from stretchd import service

    state = service.unit_state()
    systemd = state.get("systemd") or {}
    if state["installed"]:
        enabled = systemd.get("UnitFileState", "")
        active = systemd.get("ActiveState", "")
        if not state["manager_reachable"]:
            return _check(
                "service",
                False,
                f"{state['unit_file']} exists but {state['manager']}",
                "run this inside your desktop session, or use `stretchd service install --autostart`",
            ), "systemd"
        if enabled not in ("enabled", "enabled-runtime", "linked"):
            return (
                _check(
                    "service",
                    False,
                    f"{service.UNIT_NAME} is {enabled or 'unknown'}",
                    "systemctl --user enable --now stretchd.service",
                ),
                "systemd",
            )
        return _check("service", True, f"{service.UNIT_NAME} {enabled}, {active or 'unknown'}"), "systemd"
    if state["autostart"]:
        return _check("service", True, f"autostart entry {state['autostart_file']}"), "autostart"
    fix = "stretchd service install" if state["manager_reachable"] else "stretchd service install --autostart"
    return _check("service", False, "not installed: the daemon does not start with your session", fix), ""


# ---------------------------------------------------------------- D-Bus


def _session_bus_address() -> str | None:
    address = os.environ.get("DBUS_SESSION_BUS_ADDRESS")
    if address:
        return address
    default = Path(f"/run/user/{os.getuid()}/bus")
    return f"unix:path={default}" if default.exists() else None


BUS_FIX = (
    "run stretchd inside your desktop session, or export "
    "DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/bus (Debian: apt install dbus-user-session)"
)
SERVER_FIX = (
    "start your desktop's notification service, or install and start one such as dunst "
    "(`dunst &`, Debian: apt install dunst)"
)


def check_dbus(send_test: bool) -> list[Check]:
    """Session bus, notification server and (optionally) a real test notification."""
    from jeepney import DBusErrorResponse
    from jeepney.io.blocking import open_dbus_connection

    from stretchd.notify import dbus_blocking

    checks: list[Check] = []
    address = _session_bus_address()
    unchecked = _check("notification-server", False, "not checked: no session bus", BUS_FIX)
    if address is None:
        checks += [_check("session-bus", False, "DBUS_SESSION_BUS_ADDRESS is not set", BUS_FIX), unchecked]
    else:
        try:
            conn = open_dbus_connection(bus=address)
        except (OSError, ValueError, KeyError) as exc:
            checks += [_check("session-bus", False, f"cannot connect to {address}: {exc}", BUS_FIX), unchecked]
        else:
            with conn:
                checks.append(_check("session-bus", True, address))
                try:
                    info = dbus_blocking.server_info(conn)
                except DBusErrorResponse as exc:
                    checks.append(
                        _check("notification-server", False, f"none on the session bus ({exc.name})", SERVER_FIX)
                    )
                except (OSError, TimeoutError, ValueError) as exc:
                    checks.append(_check("notification-server", False, f"no answer: {exc}", SERVER_FIX))
                else:
                    caps = f"actions {'yes' if info.actions else 'no'}, markup {'yes' if info.markup else 'no'}"
                    checks.append(
                        _check("notification-server", True, f"{info.name} {info.version} ({info.vendor}); {caps}")
                    )
                    if not info.actions:
                        checks.append(
                            _check(
                                "buttons",
                                False,
                                f"{info.name} shows no buttons",
                                "log stretches with `stretchd done` (or use a server with actions)",
                            )
                        )
    if send_test:
        checks.append(check_send_test())
    return checks


def check_send_test() -> Check:
    from stretchd.notify import Notification, send_once

    d = send_once(
        Notification("stretchd test", "If you can read this, reminders will reach you.", expire_ms=10_000),
        backend="dbus",
    )
    if d.outcome == "delivered":
        return _check("send-test", True, f"accepted by {d.detail} (id {d.id})")
    fix = BUS_FIX if "session bus" in d.detail else SERVER_FIX
    return _check("send-test", False, f"{d.outcome}: {d.detail}", fix)


def check_logind() -> Check:
    """logind on the system bus tells the daemon about resume (PrepareForSleep), so reminders are not late."""
    from jeepney import DBusErrorResponse
    from jeepney.bus_messages import message_bus
    from jeepney.io.blocking import open_dbus_connection

    fix = "without logind a reminder due during a suspend may come late; nothing to do on systems without it"
    address = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/var/run/dbus/system_bus_socket")
    try:
        conn = open_dbus_connection(bus="SYSTEM")
    except (OSError, ValueError, KeyError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return _check("logind", False, f"system bus not reachable ({address}): {reason}", fix)
    with conn:
        try:
            (owned,) = conn.send_and_get_reply(message_bus.NameHasOwner("org.freedesktop.login1"), timeout=5).body
            if not owned:
                (names,) = conn.send_and_get_reply(message_bus.ListActivatableNames(), timeout=5).body
                owned = "org.freedesktop.login1" in names
        except (DBusErrorResponse, OSError, TimeoutError) as exc:
            return _check("logind", False, f"system bus: {exc}", fix)
    if owned:
        return _check("logind", True, "org.freedesktop.login1 on the system bus (resume detection)")
    return _check("logind", False, "org.freedesktop.login1 is not on the system bus", fix)


# ---------------------------------------------------------------- all of them


def run_checks(paths: Paths, *, send_test: bool = False) -> list[Check]:
    def guarded(name: str, fn: Callable[[], Check]) -> Check:
        # A check that crashes is a failed check, not a crashed doctor.
        try:
            return fn()
        except Exception as exc:
            return _check(name, False, f"check crashed: {type(exc).__name__}: {exc}", "please report this")

    checks = [
        guarded("config", lambda: check_config(paths)),
        guarded("data", lambda: check_data(paths)),
        guarded("permissions", lambda: check_permissions(paths)),
        guarded("cautions", lambda: check_cautions(paths)),
    ]
    installed_as = ""
    try:
        service_check, installed_as = check_service()
    except Exception as exc:
        service_check = _check("service", False, f"check crashed: {exc}", "please report this")
    checks.append(guarded("daemon", lambda: check_daemon(paths, installed_as)))
    checks.append(service_check)
    try:
        checks += check_dbus(send_test)
    except Exception as exc:
        checks.append(_check("session-bus", False, f"check crashed: {exc}", "please report this"))
    checks.append(guarded("logind", check_logind))
    return checks


def failing_needed(checks: list[Check]) -> bool:
    return any(not c.ok and c.level == "needed" for c in checks)


def render(checks: list[Check], utf8: bool) -> str:
    marks = ("✓", "✗", "!") if utf8 else ("ok", "FAIL", "warn")
    width = max(len(c.check) for c in checks)
    lines = []
    for c in checks:
        mark = marks[0] if c.ok else marks[1] if c.level == "needed" else marks[2]
        lines.append(f"{mark:<{max(len(m) for m in marks)}} {c.check:<{width}}  {c.detail}")
        if c.fix:
            lines.append(f"{'':<{max(len(m) for m in marks)}} {'':<{width}}  fix: {c.fix}")
    return "\n".join(lines)
