"""Configuration: one spec drives defaults, validation, ``config get/set`` and the example file."""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from typing import Any, NamedTuple

from stretchd.core.routines import ROUTINE_IDS
from stretchd.core.timeparse import TimeParseError, format_clock, parse_clock
from stretchd.errors import ConfigError, UsageError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


class Spec(NamedTuple):
    """One setting: its dotted key, type, default, range and the comment shown in the example."""

    key: str
    type: type
    default: Any
    doc: str
    min: float | None = None
    max: float | None = None
    choices: tuple[str, ...] | None = None


DEFAULT_REMINDERS: tuple[tuple[str, str], ...] = (("08:00", "deep"), ("18:00", "deep"))

SPECS: tuple[Spec, ...] = (
    Spec("daily_target", str, "auto",
         "Stretches a day that make the day complete: a number, or \"auto\" for one per reminder time.",
         choices=("auto",)),
    Spec("reminder.grace_minutes", int, 180,
         "A reminder missed while the computer slept or was off is still sent this many minutes late; "
         "older ones are only recorded as missed.", 0, 1440),
    Spec("reminder.nudge_minutes", int, 30,
         "Remind again after this many minutes if the stretch is still not logged.", 1, 720),
    Spec("reminder.max_nudges", int, 2, "At most this many repeat reminders per slot (0 = none).", 0, 10),
    Spec("reminder.snooze_minutes", int, 10, "How long the Snooze button and `stretchd snooze` wait.", 1, 720),
    Spec("reminder.expire_minutes", int, 15,
         "How long a reminder stays on screen if untouched (0 = until dismissed).", 0, 1440),
    Spec("notifications.backend", str, "auto",
         "auto: the desktop's notification server over D-Bus, else plyer; or force \"dbus\" or \"plyer\".",
         choices=("auto", "dbus", "plyer")),
    Spec("pain.severe", int, 7,
         "From this pain level (0-10) on, only the gentle routine is suggested.", 1, 10),
    Spec("pain.follow_up_minutes", int, 60,
         "Ask how your back feels this many minutes after a pain report (0 = never).", 0, 1440),
    Spec("pain.continues_level", int, 3, "Warning \"continues\": pain at or above this level ...", 0, 10),
    Spec("pain.continues_days", int, 5, "... reported on at least this many days ...", 1, 60),
    Spec("pain.continues_window_days", int, 7, "... of the last this many days.", 1, 60),
    Spec("pain.worse_level", int, 8, "Warning \"grows worse\": any report at or above this level ...", 1, 10),
    Spec("pain.worse_delta", float, 2.0,
         "... or the average of the last 3 days above that of the 4 days before by this much.", 0.5, 10),
    Spec("pain.changes_lookback_days", int, 30,
         "Warning \"changes\": pain in an area not reported in this many days before.", 1, 365),
    Spec("guide.hold_seconds", int, 45, "Hold time per side in `stretchd guide deep` (the routine: 30-60).", 1, 600),
    Spec("guide.breath_seconds", float, 10.0,
         "One calm breath (in and out) in `stretchd guide gentle`, in seconds.", 2, 30),
    Spec("guide.position_seconds", int, 8, "Time to get into position before each hold.", 0, 120),
    Spec("guide.bell", bool, True, "Ring the terminal bell when it is time to switch sides.", None, None),
)  # fmt: skip
SPEC_BY_KEY: dict[str, Spec] = {s.key: s for s in SPECS}
REMINDER_KEYS = ("time", "routine")


class Reminder(NamedTuple):
    """One reminder time and the routine it asks for."""

    time: time
    routine: str

    @property
    def label(self) -> str:
        return format_clock(self.time)


@dataclass(frozen=True)
class Settings:
    """The validated, effective configuration. Build it with :func:`load` or :func:`from_mapping`."""

    reminders: tuple[Reminder, ...]
    values: Mapping[str, Any] = field(repr=False)
    warnings: tuple[str, ...] = ()

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    @property
    def daily_target(self) -> int:
        raw = self.values["daily_target"]
        return max(1, len(self.reminders)) if raw == "auto" else int(raw)

    def routine_for(self, label: str) -> str:
        for r in self.reminders:
            if r.label == label:
                return r.routine
        return "deep"


def defaults() -> Settings:
    return from_mapping({})


# ---------------------------------------------------------------- validation


def _locate(text: str) -> dict[str, int]:
    """Map each key path (``reminder.grace_minutes``, ``reminders[1].time``) to its 1-based line."""
    lines: dict[str, int] = {}
    table = ""
    aot_index: dict[str, int] = {}
    for n, line in enumerate(text.splitlines(), 1):
        s = line.strip()
        if m := re.match(r"^\[\[\s*([^\]]+?)\s*\]\]", s):
            name = m[1].replace('"', "")
            aot_index[name] = aot_index.get(name, -1) + 1
            table = f"{name}[{aot_index[name]}]"
            lines.setdefault(table, n)
            lines.setdefault(name, n)
        elif m := re.match(r"^\[\s*([^\]]+?)\s*\]", s):
            table = m[1].replace('"', "")
            lines.setdefault(table, n)
        elif m := re.match(r"^([A-Za-z0-9_.\"' -]+?)\s*=", s):
            key = re.sub(r"\s*\.\s*", ".", m[1].replace('"', "").replace("'", ""))
            lines.setdefault(f"{table}.{key}" if table else key, n)
    return lines


def _check_value(spec: Spec, value: Any) -> tuple[Any, str | None]:
    """Return (normalised value, problem or None)."""
    if spec.key == "daily_target":
        if value == "auto":
            return value, None
        if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= 24:
            return value, None
        return value, f'must be "auto" or a whole number 1..24, got {value!r}'
    if spec.type is bool:
        if isinstance(value, bool):
            return value, None
        return value, f"must be true or false, got {value!r}"
    if spec.type is int:
        if not isinstance(value, int) or isinstance(value, bool):
            return value, f"must be a whole number, got {value!r}"
    elif spec.type is float:
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            return value, f"must be a number, got {value!r}"
        value = float(value)
    elif spec.type is str and not isinstance(value, str):
        return value, f"must be a string, got {value!r}"
    if spec.choices is not None and value not in spec.choices:
        return value, f"must be one of {', '.join(spec.choices)}, got {value!r}"
    if (spec.min is not None and value < spec.min) or (spec.max is not None and value > spec.max):
        return value, f"must be between {_num(spec.min)} and {_num(spec.max)}, got {value!r}"
    return value, None


def _num(x: float | None) -> str:
    return str(int(x)) if x is not None and float(x).is_integer() else str(x)


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and not any(s.key == path for s in SPECS):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = value
    return out


def from_mapping(data: Mapping[str, Any], text: str = "", path: object = "<config>") -> Settings:
    """Validate parsed TOML. Raises ConfigError listing every problem with its key path and line."""
    lines = _locate(text) if text else {}
    problems: list[str] = []
    warnings: list[str] = []

    def where(key: str) -> str:
        line = lines.get(key)
        return f"{key} (line {line})" if line else key

    raw_reminders = data.get("reminders", None)
    reminders: list[Reminder] = []
    if raw_reminders is None:
        reminders = [Reminder(parse_clock(t), r) for t, r in DEFAULT_REMINDERS]
    elif not isinstance(raw_reminders, list):
        problems.append(f"{where('reminders')}: must be a list of [[reminders]] tables")
    else:
        seen: set[time] = set()
        for i, item in enumerate(raw_reminders):
            base = f"reminders[{i}]"
            if not isinstance(item, Mapping):
                problems.append(f"{where(base)}: must be a table with time and routine")
                continue
            for extra in sorted(set(item) - set(REMINDER_KEYS)):
                warnings.append(f"{where(f'{base}.{extra}')}: unknown key, ignored")
            t_raw = item.get("time")
            routine = item.get("routine", "deep")
            clock = None
            if not isinstance(t_raw, str):
                problems.append(f'{where(f"{base}.time")}: must be a time such as "08:00", got {t_raw!r}')
            else:
                try:
                    clock = parse_clock(t_raw)
                except TimeParseError as exc:
                    problems.append(f"{where(f'{base}.time')}: {exc}")
            if routine not in ROUTINE_IDS:
                problems.append(
                    f"{where(f'{base}.routine')}: unknown routine {routine!r} (choose from: {', '.join(ROUTINE_IDS)})"
                )
            if clock is not None and clock in seen:
                problems.append(f"{where(f'{base}.time')}: {format_clock(clock)} is listed twice")
            elif clock is not None:
                seen.add(clock)
                if routine in ROUTINE_IDS:
                    reminders.append(Reminder(clock, routine))
    values: dict[str, Any] = {s.key: s.default for s in SPECS}
    flat = _flatten({k: v for k, v in data.items() if k != "reminders"})
    for key, raw in flat.items():
        spec = SPEC_BY_KEY.get(key)
        if spec is None:
            warnings.append(f"{where(key)}: unknown key, ignored")
            continue
        value, problem = _check_value(spec, raw)
        if problem:
            problems.append(f"{where(key)}: {problem}")
        else:
            values[key] = value
    if problems:
        # In file order: the user fixes them top to bottom.
        problems.sort(key=lambda p: int(m[1]) if (m := re.search(r"\(line (\d+)\)", p)) else 0)
        raise ConfigError(path, problems)
    return Settings(tuple(sorted(reminders, key=lambda r: r.time)), values, tuple(warnings))


def parse_text(text: str, path: object = "<config>") -> Settings:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(path, [f"not valid TOML: {exc}"]) from None
    return from_mapping(data, text, path)


def load(path: Path) -> Settings:
    """The settings in ``path``, or the defaults when it does not exist. Never writes."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return defaults()
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, [f"cannot read: {exc}"]) from None
    return parse_text(text, path)


# ---------------------------------------------------------------- the example file


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)


def example_text() -> str:
    """The documented example config: every setting with its default and what it does."""
    import textwrap

    out = [
        "# stretchd configuration. Every setting is optional; the values shown are the defaults.",
        "# Check it with `stretchd config check`; change it with `stretchd config set KEY VALUE`",
        "# and `stretchd schedule add|remove TIME`. A running daemon picks up changes at once.",
        "",
    ]
    section = ""
    for spec in SPECS:
        head, _, name = spec.key.rpartition(".")
        if head != section:
            out.append("")
            out.append(f"[{head}]")
            section = head
        limits = ""
        if spec.min is not None and spec.max is not None:
            limits = f" ({_num(spec.min)}-{_num(spec.max)})"
        out += [f"# {line}" for line in textwrap.wrap(spec.doc + limits, 92)]
        out.append(f"{name} = {_toml_value(spec.default)}")
        if spec.key == "daily_target":
            out.append("")
            out.append("# Reminder times, one [[reminders]] table each: time as HH:MM or HH:MM:SS (24 h),")
            out.append('# or 8am / 6:30pm; routine "deep" (kneeling lunge) or "gentle" (lying down).')
            for t, r in DEFAULT_REMINDERS:
                out += ["[[reminders]]", f'time = "{t}"', f'routine = "{r}"', ""]
    return "\n".join(out).replace("\n\n\n", "\n\n") + "\n"


# ---------------------------------------------------------------- edits


def coerce_cli_value(key: str, raw: str) -> Any:
    """Turn ``config set KEY VALUE`` text into the setting's type; UsageError if it cannot be."""
    spec = SPEC_BY_KEY.get(key)
    if spec is None:
        if key == "reminders" or key.startswith("reminders"):
            raise UsageError("reminder times are changed with `stretchd schedule add|remove TIME`")
        raise UsageError(f"unknown config key {key!r} (see `stretchd config show` for the keys)")
    text = raw.strip()
    value: Any = text
    if spec.key == "daily_target":
        value = "auto" if text == "auto" else _to_int(key, text)
    elif spec.type is bool:
        low = text.lower()
        if low not in ("true", "false", "yes", "no", "on", "off", "1", "0"):
            raise UsageError(f"{key}: must be true or false, got {raw!r}")
        value = low in ("true", "yes", "on", "1")
    elif spec.type is int:
        value = _to_int(key, text)
    elif spec.type is float:
        try:
            value = float(text)
        except ValueError:
            raise UsageError(f"{key}: must be a number, got {raw!r}") from None
        if not math.isfinite(value):
            raise UsageError(f"{key}: must be a finite number, got {raw!r}")
    value, problem = _check_value(spec, value)
    if problem:
        raise UsageError(f"{key}: {problem}")
    return value


def _to_int(key: str, text: str) -> int:
    try:
        return int(text, 10)
    except ValueError:
        raise UsageError(f"{key}: must be a whole number, got {text!r}") from None


def edit_text(text: str, *, set_key: str | None = None, value: Any = None,
              reminders: tuple[Reminder, ...] | None = None) -> str:  # fmt: skip
    """Return ``text`` with one setting or the reminder list changed, keeping the user's comments."""
    import tomlkit  # only edits pay for it

    doc = tomlkit.parse(text)
    if set_key is not None:
        head, _, name = set_key.rpartition(".")
        container: Any = doc
        if head:
            if head not in doc:
                doc.add(head, tomlkit.table())
            container = doc[head]
        container[name] = value
    if reminders is not None and not reminders:
        doc["reminders"] = tomlkit.array()  # explicit: an absent key would bring the defaults back
    elif reminders is not None:
        aot = tomlkit.aot()
        for r in reminders:
            t = tomlkit.table()
            t.add("time", r.label)
            t.add("routine", r.routine)
            aot.append(t)
        doc["reminders"] = aot
    return tomlkit.dumps(doc)
