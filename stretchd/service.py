"""Run the daemon with the session: a systemd user unit (or an XDG autostart entry), installed and inspected."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from stretchd.errors import StorageWriteError, StretchdError, UnavailableError
from stretchd.fsutil import atomic_write, describe_oserror, fsync_dir
from stretchd.paths import Paths

UNIT_NAME = "stretchd.service"
DESKTOP_NAME = "stretchd.desktop"
TARGETS = {"graphical": "graphical-session.target", "default": "default.target"}
TIMEOUT = 30.0
# `start` waits for READY=1 (Type=notify); the unit gives up after TimeoutStartSec=30.
START_TIMEOUT = 60.0
STATUS_PROPERTIES = (
    "LoadState",
    "ActiveState",
    "SubState",
    "UnitFileState",
    "MainPID",
    "StatusText",
    "NRestarts",
    "Result",
)

# ---------------------------------------------------------------- where things go


def _config_home() -> Path:
    value = os.environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if value and os.path.isabs(value) else Path.home() / ".config"


def _sandbox_home() -> Path | None:
    home = os.environ.get("STRETCHD_HOME")
    return Path(home).expanduser().absolute() if home else None


def unit_dir() -> Path:
    """~/.config/systemd/user, or under STRETCHD_HOME (tests never touch the real home)."""
    sandbox = _sandbox_home()
    return sandbox / "systemd" / "user" if sandbox else _config_home() / "systemd" / "user"


def unit_path() -> Path:
    return unit_dir() / UNIT_NAME


def autostart_path() -> Path:
    """~/.config/autostart/stretchd.desktop (XDG autostart), or under STRETCHD_HOME."""
    sandbox = _sandbox_home()
    return (sandbox / "autostart" if sandbox else _config_home() / "autostart") / DESKTOP_NAME


def daemon_command() -> list[str]:
    """This installation's daemon: the interpreter running now (venv, pipx or system)."""
    # Not resolved: a venv's python is a symlink whose path is what selects the venv.
    return [os.path.abspath(sys.executable), "-m", "stretchd", "daemon"]


# ---------------------------------------------------------------- quoting


def _reject_controls(arg: str) -> None:
    if any(ord(c) < 32 or ord(c) == 127 for c in arg):
        raise StretchdError(f"cannot write a service for a path with control characters: {arg!r}")


def exec_quote(arg: str, *, executable: bool = False) -> str:
    """One word of a systemd ``ExecStart=`` line (systemd.service(5) "Command lines")."""
    _reject_controls(arg)
    if executable and any(c in arg for c in "'\"\\"):
        # systemd refuses these in the executable's path ("contains special characters").
        raise StretchdError(
            f"systemd cannot run an interpreter whose path holds quotes or backslashes: {arg}",
            hint="install stretchd under a path without them, or use `stretchd service install --autostart`",
        )
    # % starts a specifier everywhere; $ expands a variable in the arguments only, not in the
    # executable's path (systemd-analyze verify confirms both).
    text = arg.replace("%", "%%")
    if not executable:
        text = text.replace("$", "$$")
    if arg and not any(c in arg for c in " \t\"'\\;"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def exec_line(command: list[str]) -> str:
    return " ".join(exec_quote(a, executable=i == 0) for i, a in enumerate(command))


def env_quote(name: str, value: str) -> str:
    """The value of an ``Environment=`` line (specifiers expand there; variables do not)."""
    _reject_controls(value)
    text = f"{name}={value}".replace("%", "%%")
    if not any(c in text for c in " \t\"'\\"):
        return text
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def desktop_quote(arg: str) -> str:
    """One argument of a desktop entry's ``Exec=`` (Desktop Entry Specification, "The Exec key")."""
    _reject_controls(arg)
    text = arg.replace("%", "%%")  # field codes
    if any(c in arg for c in " \t\"'\\><~|&;$*?#()`"):
        inner = "".join("\\" + c if c in '"`$\\' else c for c in text)
        text = f'"{inner}"'
    # A string value's own escape level: every backslash is written twice.
    return text.replace("\\", "\\\\")


# ---------------------------------------------------------------- the unit and the autostart entry

HEADER = """\
# stretchd: psoas-stretch reminders, as a systemd user service.
#
# `stretchd service install` writes this unit to ~/.config/systemd/user/stretchd.service with
# ExecStart pointing at the Python that ran it, then runs `systemctl --user daemon-reload` and
# `systemctl --user enable --now stretchd.service`. `stretchd service uninstall` undoes that.
# To install by hand: copy this file there, point ExecStart at your interpreter, run both commands.
#
# Bare window managers that never reach graphical-session.target: install with
# `stretchd service install --target default` (no PartOf=/After= on graphical-session.target,
# WantedBy=default.target).
"""

BUS_COMMENT = """\
# Notifications need the session bus, not a display. systemd cannot set a variable only when it
# is unset, so `service install` leaves this line out when the user manager already has
# DBUS_SESSION_BUS_ADDRESS (a bus address imported at an X11 login must not be overridden).
"""

HARDENING = """\
# Hardening that keeps the session bus and the files under ~/.config, ~/.local/share and
# $XDG_RUNTIME_DIR reachable. Mount-namespace options (ProtectSystem=, PrivateTmp=) are left out:
# in a user unit they depend on unprivileged user namespaces, which some systems turn off.
UMask=0077
NoNewPrivileges=yes
LockPersonality=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
SystemCallArchitectures=native
"""


def render_unit(
    command: list[str],
    target: str = "graphical",
    *,
    bus_fallback: bool = True,
    environment: dict[str, str] | None = None,
) -> str:
    """The unit file text; ``systemd/stretchd.service`` is this with ``/usr/bin/python3``."""
    if target not in TARGETS:
        raise StretchdError(f"unknown target {target!r} (choose from: {', '.join(TARGETS)})")
    unit = ["[Unit]", "Description=stretchd psoas-stretch reminders"]
    if target == "graphical":
        unit += ["PartOf=graphical-session.target", "After=graphical-session.target"]
    unit += [
        "# Five failed starts in five minutes: give up; `stretchd service status` shows why.",
        "StartLimitIntervalSec=300",
        "StartLimitBurst=5",
    ]
    service = [
        "[Service]",
        "# The daemon sends READY=1 once it listens, STATUS= lines, and WATCHDOG=1 every 300 s.",
        "Type=notify",
        "NotifyAccess=main",
        "ExecStart=" + exec_line(command),
        "Restart=on-failure",
        "RestartSec=10",
        "TimeoutStartSec=30",
        "WatchdogSec=600",
    ]
    for name, value in (environment or {}).items():
        service.append(f"Environment={env_quote(name, value)}")
    if bus_fallback:
        service += [BUS_COMMENT.rstrip("\n"), "Environment=DBUS_SESSION_BUS_ADDRESS=unix:path=%t/bus"]
    service.append(HARDENING.rstrip("\n"))
    install = ["[Install]", f"WantedBy={TARGETS[target]}"]
    return HEADER + "\n" + "\n\n".join("\n".join(s) for s in (unit, service, install)) + "\n"


def render_desktop_entry(command: list[str], environment: dict[str, str] | None = None) -> str:
    exec_args = ["/usr/bin/env", *(f"{k}={v}" for k, v in environment.items())] if environment else []
    exec_args += command
    return "\n".join(
        [
            "[Desktop Entry]",
            "Type=Application",
            "Name=stretchd",
            "Comment=Psoas-stretch reminders (written by `stretchd service install --autostart`)",
            "Exec=" + " ".join(desktop_quote(a) for a in exec_args),
            "Terminal=false",
            "NoDisplay=true",
            "X-GNOME-Autostart-enabled=true",
            "",
        ]
    )


def _environment() -> dict[str, str]:
    """Variables the daemon must share with the CLI that installed it."""
    sandbox = _sandbox_home()
    return {"STRETCHD_HOME": str(sandbox)} if sandbox else {}


# ---------------------------------------------------------------- systemctl


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def message(self) -> str:
        text = (self.err.strip() or self.out.strip()).splitlines()
        return " ".join(line.strip() for line in text) or f"exit status {self.code}"

    @property
    def shown(self) -> str:
        return " ".join(["systemctl", *self.argv[1:]])


def run(argv: list[str], timeout: float = TIMEOUT) -> Run:
    """Run a tool (argument list, no shell) and keep its output; never raises for its failure."""
    try:
        proc = subprocess.run(
            argv, capture_output=True, text=True, timeout=timeout, check=False, stdin=subprocess.DEVNULL
        )
    except FileNotFoundError:
        return Run(tuple(argv), 127, "", f"{argv[0]}: not found")
    except subprocess.TimeoutExpired:
        return Run(tuple(argv), 124, "", f"no answer within {timeout:g} s")
    except OSError as exc:
        return Run(tuple(argv), 126, "", f"{argv[0]}: {exc.strerror}")
    return Run(tuple(argv), proc.returncode, proc.stdout, proc.stderr)


@dataclass(frozen=True)
class Manager:
    """The systemd user manager as seen from here."""

    systemctl: str | None
    reachable: bool
    detail: str
    environment: dict[str, str] = field(default_factory=dict)

    def call(self, *args: str, timeout: float = TIMEOUT) -> Run:
        assert self.systemctl is not None
        return run([self.systemctl, "--user", *args], timeout)


def user_manager() -> Manager:
    """Find systemctl and ask the user manager for its environment (cheap, and tells us it answers)."""
    exe = shutil.which("systemctl")
    if exe is None:
        return Manager(None, False, "systemctl is not installed")
    r = run([exe, "--user", "show-environment"], timeout=10)
    if not r.ok:
        return Manager(exe, False, f"systemctl --user: {r.message}")
    env = dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)
    return Manager(exe, True, "reachable", env)


NO_MANAGER_HINT = (
    "start stretchd from your desktop's autostart instead: `stretchd service install --autostart` (writes {path})"
)


class SystemctlError(UnavailableError):
    """A systemctl call failed; the message is systemctl's own."""


def _failed(r: Run, undone: str) -> SystemctlError:
    return SystemctlError(
        f"`{r.shown}` failed: {r.message}",
        hint=f"{undone}; see `journalctl --user -u {UNIT_NAME}` for the daemon's own messages",
    )


# ---------------------------------------------------------------- install / uninstall


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise StretchdError(f"cannot read {path}: {exc}") from None


def _remove(path: Path) -> None:
    try:
        path.unlink()
        fsync_dir(path.parent)
    except FileNotFoundError:
        pass
    except OSError as exc:
        raise StorageWriteError(f"could not remove {path}: {describe_oserror(exc)}") from exc


def install_unit(target: str = "graphical", *, start: bool = True, manager: Manager | None = None) -> list[str]:
    """Write the unit, reload, enable (and start); every step done is returned as a line to show.

    Without a reachable user manager nothing is written (UnavailableError). A failed systemctl
    call puts the previous unit back (or removes the new one) before the error is raised.
    """
    manager = manager or user_manager()
    path = unit_path()
    if not manager.reachable:
        raise UnavailableError(
            f"no systemd user manager is reachable ({manager.detail}); nothing was written",
            hint=NO_MANAGER_HINT.format(path=autostart_path()),
        )
    text = render_unit(
        daemon_command(),
        target,
        bus_fallback="DBUS_SESSION_BUS_ADDRESS" not in manager.environment,
        environment=_environment(),
    )
    old = _read(path)
    done: list[str] = []
    changed = old != text
    if changed:
        atomic_write(path, text.encode("utf-8"), private_dir=False)
        done.append(f"{'Updated' if old is not None else 'Wrote'} {path}")
    else:
        done.append(f"{path} is already up to date")
    done.append(f"  ExecStart={exec_line(daemon_command())}")
    done.append(f"  WantedBy={TARGETS[target]}")

    enabled_by_us = False

    def roll_back(r: Run) -> SystemctlError:
        if enabled_by_us and old is None:
            manager.call("disable", UNIT_NAME)
        if changed:
            if old is None:
                _remove(path)
                undone = f"{path} was removed again"
            else:
                atomic_write(path, old.encode("utf-8"), private_dir=False)
                undone = f"the previous {path} was put back"
            manager.call("daemon-reload")
        else:
            undone = f"{path} was already installed and is unchanged"
        return _failed(r, undone)

    steps: list[tuple[str, ...]] = [("daemon-reload",), ("enable", UNIT_NAME)]
    if start:
        # A changed unit (say, a new venv) must replace the running daemon; `start` would keep it.
        steps.append(("restart" if changed and old is not None else "start", UNIT_NAME))
    for step in steps:
        r = manager.call(*step, timeout=START_TIMEOUT if step[0] in ("start", "restart") else TIMEOUT)
        if not r.ok:
            raise roll_back(r)
        enabled_by_us = enabled_by_us or step[0] == "enable"
        done.append(f"Ran `{r.shown}`")
    return done


def install_autostart() -> list[str]:
    path = autostart_path()
    text = render_desktop_entry(daemon_command(), _environment())
    if _read(path) == text:
        return [f"{path} is already up to date"]
    existed = path.exists()
    atomic_write(path, text.encode("utf-8"), private_dir=False)
    exec_line = next(line for line in text.splitlines() if line.startswith("Exec="))
    return [f"{'Updated' if existed else 'Wrote'} {path}", f"  {exec_line}"]


def start_detached(timeout: float = 8.0) -> str:
    """Start the daemon now, outside this terminal's session (the autostart entry's job from the
    next login on), and wait until it answers. Returns one line saying what happened."""
    import subprocess
    import time

    from stretchd import control
    from stretchd.paths import ensure_private_dir, resolve

    paths = resolve()
    running = control.request(paths, {"cmd": "status"}, timeout=1.0)
    if running is not None:
        return f"The daemon is already running (pid {running.get('pid', '?')})."
    log_path = ensure_private_dir(paths.data_dir) / "daemon.log"
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        proc = subprocess.Popen(
            daemon_command(), stdin=subprocess.DEVNULL, stdout=fd, stderr=fd, start_new_session=True, close_fds=True
        )
    except OSError as exc:
        return f"The daemon could not be started: {exc}; run `stretchd daemon`"
    finally:
        os.close(fd)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if control.request(paths, {"cmd": "status"}, timeout=1.0) is not None:
            return f"Started the daemon now (pid {proc.pid}); its log: {log_path}"
        if proc.poll() is not None:
            return f"The daemon stopped at once (exit {proc.returncode}); see {log_path}"
        time.sleep(0.1)
    return f"The daemon was started (pid {proc.pid}) but does not answer yet; check `stretchd status`"


def stop_running_daemon(paths: Paths | None = None, timeout: float = 3.0) -> str:
    """Stop the daemon this user runs outside systemd (autostart, a terminal): SIGTERM by its pid.

    Returns what was done, or "" when no daemon answered. Waits until it no longer answers.
    """
    import signal
    import time

    from stretchd import control
    from stretchd.paths import resolve

    paths = paths or resolve()
    reply = control.request(paths, {"cmd": "status"}, timeout=1.0)
    pid = reply.get("pid") if reply else None
    if not isinstance(pid, int) or pid <= 1:
        return ""
    try:
        os.kill(pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        return ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and control.request(paths, {"cmd": "status"}, timeout=0.2) is not None:
        time.sleep(0.05)
    return f"Stopped the daemon (pid {pid})"


def uninstall(manager: Manager | None = None) -> list[str]:
    """Reverse ``install``: stop and disable the unit, remove it and reload; remove the autostart entry."""
    done: list[str] = []
    path = unit_path()
    if path.exists():
        manager = manager or user_manager()
        if manager.reachable:
            r = manager.call("disable", "--now", UNIT_NAME)
            if not r.ok:
                raise _failed(r, f"{path} was left in place")
            done.append(f"Ran `{r.shown}`")
        else:
            done.append(f"No systemd user manager is reachable ({manager.detail}): nothing to stop")
        _remove(path)
        done.append(f"Removed {path}")
        if manager.reachable:
            r = manager.call("daemon-reload")
            done.append(f"Ran `{r.shown}`" if r.ok else f"`{r.shown}` failed: {r.message}")
    desktop = autostart_path()
    if desktop.exists():
        _remove(desktop)
        done.append(f"Removed {desktop}")
        stopped = stop_running_daemon()
        if stopped:
            done.append(stopped)
    if not done:
        done.append(f"Nothing to remove: neither {path} nor {desktop} exists")
    return done


# ---------------------------------------------------------------- status and logs


def unit_state(manager: Manager | None = None) -> dict[str, Any]:
    """What systemd knows about the unit, plus where the files are."""
    manager = manager or user_manager()
    state: dict[str, Any] = {
        "unit_file": str(unit_path()),
        "installed": unit_path().exists(),
        "autostart_file": str(autostart_path()),
        "autostart": autostart_path().exists(),
        "manager": manager.detail,
        "manager_reachable": manager.reachable,
    }
    if manager.reachable:
        r = manager.call("show", UNIT_NAME, "--property=" + ",".join(STATUS_PROPERTIES))
        if r.ok:
            props = dict(line.split("=", 1) for line in r.out.splitlines() if "=" in line)
            state["systemd"] = {k: props.get(k, "") for k in STATUS_PROPERTIES}
        else:
            state["systemd_error"] = r.message
    return state


def logs_command(follow: bool, lines: int) -> list[str]:
    exe = shutil.which("journalctl")
    if exe is None:
        raise UnavailableError("journalctl is not installed", hint="the daemon's messages go to its stderr")
    argv = [exe, "--user", "-u", UNIT_NAME, "-n", str(lines), "--no-pager"]
    return [*argv, "-f"] if follow else argv
