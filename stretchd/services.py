"""Application services: each CLI command is one call here (parse -> service -> render)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any

from stretchd import config as config_mod
from stretchd.clock import SystemClock
from stretchd.config import Settings
from stretchd.core import routines
from stretchd.core.episodes import episode_for_stretch
from stretchd.core.model import EXPORT_COLUMNS, KINDS, MAX_NOTE, PAIN_AREAS, Entry
from stretchd.core.stats import Summary, summarize
from stretchd.core.timeparse import TimeParseError, format_clock, parse_when
from stretchd.errors import StretchdError, UsageError
from stretchd.paths import Paths, resolve
from stretchd.store import Snapshot, Store, new_uid

FUTURE_TOLERANCE = timedelta(minutes=1)  # clock skew between a click and the write
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)  # nothing in a stretch history is older


class Context:
    """Everything a command needs, wired once (the CLI's composition root)."""

    def __init__(self, paths: Paths, settings: Settings, store: Store, tz: tzinfo, now: datetime) -> None:
        self.paths = paths
        self.settings = settings
        self.store = store
        self.tz = tz
        self.now = now
        self._view: Snapshot | None = None

    def view(self) -> Snapshot:
        """The history as read once for this command (read-only commands look at it several times)."""
        if self._view is None:
            self._view = self.store.snapshot()
        return self._view

    @classmethod
    def load(cls, *, now: datetime | None = None) -> Context:
        paths = resolve()
        settings = config_mod.load(paths.config_file)
        clock = SystemClock()
        return cls(paths, settings, Store(paths), clock.tz, now or clock.now())

    def at(self, now: datetime) -> Context:
        """The same wiring at another moment (e.g. a guided session logs when it ends)."""
        return Context(self.paths, self.settings, self.store, self.tz, now)

    @property
    def today(self) -> date:
        return self.now.date()


# ---------------------------------------------------------------- validation of what users type


def parse_at(text: str | None, ctx: Context) -> datetime:
    if text is None:
        return ctx.now.replace(microsecond=0)
    try:
        at = parse_when(text, ctx.now, ctx.tz)
    except TimeParseError as exc:
        raise UsageError(f"--at: {exc}") from None
    if at > ctx.now + FUTURE_TOLERANCE:
        raise UsageError(f"--at: {at.isoformat(timespec='minutes')} is in the future")
    if at < EARLIEST:
        raise UsageError(f"--at: {at.date().isoformat()} is before 1970")
    return at.replace(microsecond=0)


def check_level(value: int | None, what: str) -> int | None:
    if value is not None and not 0 <= value <= 10:
        raise UsageError(f"{what}: pain level must be 0..10, got {value}")
    return value


def check_note(note: str | None) -> str | None:
    if note is None:
        return None
    cleaned = "".join(ch for ch in note if ch.isprintable() or ch in "\n\t").strip()
    if len(cleaned) > MAX_NOTE:
        raise UsageError(f"--note: at most {MAX_NOTE} characters, got {len(cleaned)}")
    return cleaned or None


def check_routine(routine_id: str) -> str:
    try:
        return routines.get(routine_id).id
    except KeyError as exc:
        raise UsageError(str(exc.args[0])) from None


def current_slot_routine(settings: Settings, now: datetime) -> str:
    """The routine of the slot whose window holds ``now`` (from an hour before it), else the next."""
    chosen = settings.reminders[0] if settings.reminders else None
    for r in settings.reminders:
        start = datetime.combine(now.date(), r.time) - timedelta(hours=1)
        if start <= now.replace(tzinfo=None):
            chosen = r
    return chosen.routine if chosen else "deep"


# ---------------------------------------------------------------- logging


def log_stretch(
    ctx: Context,
    *,
    routine: str | None,
    at: str | None,
    pain_before: int | None = None,
    pain_after: int | None = None,
    note: str | None = None,
    duration_s: int | None = None,
    source: str = "cli",
) -> tuple[Entry, Summary]:
    """Record a completed stretch; returns it with the progress it made."""
    when = parse_at(at, ctx)
    entry = Entry(
        uid=new_uid(),
        kind="stretch",
        at=when,
        routine=check_routine(routine) if routine else current_slot_routine(ctx.settings, when),
        pain_before=check_level(pain_before, "--pain-before"),
        pain_after=check_level(pain_after, "--pain-after"),
        note=check_note(note),
        duration_s=duration_s,
        source=source,
    )
    with ctx.store.transaction() as txn:
        before = txn.entries()
        # A stretch soon after a pain report belongs to that pain episode (issue 5).
        episode = episode_for_stretch(before, entry.at, int(ctx.settings["pain.follow_up_minutes"]))
        entry = txn.add(entry.with_(episode=episode))
        entries = [*before, entry]
    return entry, summarize(entries, ctx.settings.daily_target, ctx.today)


def last_entry(ctx: Context) -> Entry | None:
    entries = ctx.view().entries()
    return max(entries, key=lambda e: e.seq) if entries else None


def undo(ctx: Context, expected: Entry) -> Entry:
    """Remove ``expected`` if it is still the most recent entry (another process may have logged)."""
    with ctx.store.transaction() as txn:
        entries = txn.entries()
        latest = max(entries, key=lambda e: e.seq) if entries else None
        if latest is None or latest.uid != expected.uid:
            raise StretchdError("the history changed meanwhile; run `stretchd undo` again")
        txn.remove(latest.seq)
    return latest


def skip_day(ctx: Context, day_text: str | None, reason: str | None) -> Entry:
    if day_text is None:
        day = ctx.today
    else:
        try:
            day = parse_when(day_text, ctx.now, ctx.tz).date()
        except TimeParseError as exc:
            raise UsageError(f"--date: {exc}") from None
        if day > ctx.today + timedelta(days=366):
            raise UsageError("--date: at most a year ahead")
        if day < EARLIEST.date():
            raise UsageError("--date: before 1970")
    entry = Entry(new_uid(), "skip", ctx.now.replace(microsecond=0), day=day, note=check_note(reason))
    with ctx.store.transaction() as txn:
        for e in txn.entries():
            if e.kind == "skip" and e.day == day:
                raise UsageError(f"{day.isoformat()} is already excused")
        return txn.add(entry)


def stats(ctx: Context, days: int = 56) -> Summary:
    if not 1 <= days <= 3660:
        raise UsageError(f"--days must be 1..3660, got {days}")
    return summarize(ctx.view().entries(), ctx.settings.daily_target, ctx.today, window=days)


def history(ctx: Context, since: str | None) -> list[Entry]:
    entries = ctx.view().entries()
    if since is not None:
        try:
            start = parse_when(since, ctx.now, ctx.tz)
        except TimeParseError as exc:
            raise UsageError(f"--since: {exc}") from None
        entries = [e for e in entries if e.at >= start]
    return entries


# ---------------------------------------------------------------- export / import


def export_text(entries: Iterable[Entry], fmt: str) -> str:
    import csv
    import io

    rows = [e.to_dict() for e in entries]
    if fmt == "json":
        return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_COLUMNS, extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: "" if row.get(k) is None else row.get(k) for k in EXPORT_COLUMNS})
    return buf.getvalue()


def _opt_int(row: dict[str, Any], key: str, lo: int, hi: int) -> int | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError(f"{key} must be a whole number")
    try:
        n = int(value)
    except ValueError:
        raise ValueError(f"{key} must be a whole number, got {value!r}") from None
    if not lo <= n <= hi:
        raise ValueError(f"{key} must be {lo}..{hi}, got {n}")
    return n


def _opt_str(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"{key} must be text")
    return value


def _aware(text: str, key: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        raise ValueError(f"{key} {text!r} has no UTC offset")
    return value


def row_to_entry(row: dict[str, Any], now: datetime) -> Entry:
    """Validate one imported row; ValueError says what is wrong with it."""
    kind = row.get("kind")
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}, got {kind!r}")
    uid = _opt_str(row, "id")
    if uid is None or not (1 <= len(uid) <= 64) or not uid.replace("-", "").isalnum():
        raise ValueError(f"id must be 1-64 letters or digits, got {uid!r}")
    at_text = _opt_str(row, "at")
    if at_text is None:
        raise ValueError("at is missing")
    at = _aware(at_text, "at")
    if at > now + FUTURE_TOLERANCE:
        raise ValueError(f"at {at_text} is in the future")
    if at < EARLIEST:
        raise ValueError(f"at {at_text} is before 1970")
    routine = _opt_str(row, "routine")
    if kind == "stretch" and routine not in routines.ROUTINE_IDS:
        raise ValueError(f"routine must be one of {', '.join(routines.ROUTINE_IDS)}, got {routine!r}")
    area = _opt_str(row, "area")
    if area is not None and area not in PAIN_AREAS:
        raise ValueError(f"area must be one of {', '.join(PAIN_AREAS)}, got {area!r}")
    level = _opt_int(row, "level", 0, 10)
    if kind == "pain" and level is None:
        raise ValueError("a pain row needs a level 0..10")
    day_text = _opt_str(row, "day")
    until_text = _opt_str(row, "until")
    if kind == "skip" and day_text is None:
        raise ValueError("a skip row needs a day")
    if kind == "pause" and until_text is None:
        raise ValueError("a pause row needs an until")
    until = _aware(until_text, "until") if until_text else None
    if until is not None and until <= at:
        raise ValueError(f"until {until_text} is not after at {at_text}")
    day = date.fromisoformat(day_text) if day_text else None
    if day is not None and not EARLIEST.date() <= day <= now.date() + timedelta(days=366):
        raise ValueError(f"day {day_text} is before 1970 or more than a year ahead")
    note = _opt_str(row, "note")
    if note is not None and len(note) > MAX_NOTE:
        raise ValueError(f"note is longer than {MAX_NOTE} characters")
    return Entry(
        uid=uid,
        kind=kind,
        at=at,
        routine=routine if kind == "stretch" else None,
        level=level if kind == "pain" else None,
        area=area if kind == "pain" else None,
        pain_before=_opt_int(row, "pain_before", 0, 10),
        pain_after=_opt_int(row, "pain_after", 0, 10),
        duration_s=_opt_int(row, "duration_s", 0, 86400),
        note=note,
        day=day,
        until=until,
        episode=_opt_str(row, "episode"),
        source=_opt_str(row, "source") or "import",
    )


def read_import(path: Path, now: datetime) -> list[Entry]:
    """Parse and validate every row of an export file before anything is written."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    import csv
    import io

    rows: list[Any]
    if text.lstrip().startswith("["):
        try:
            rows = json.loads(text)
        except ValueError as exc:
            raise UsageError(f"{path}: not valid JSON ({exc})") from None
        where = "item"
    else:
        reader = csv.DictReader(io.StringIO(text))
        try:  # csv.Error (e.g. a field over 128 KiB) is not a ValueError
            if not reader.fieldnames or "kind" not in reader.fieldnames or "at" not in reader.fieldnames:
                raise UsageError(f"{path}: not a stretchd export (expected a JSON array or CSV with kind,at,...)")
            rows = list(reader)
        except csv.Error as exc:
            raise UsageError(f"{path}: not a readable CSV file ({exc}); nothing was imported") from None
        where = "row"
    out: list[Entry] = []
    for i, row in enumerate(rows, 1):
        line = i + 1 if where == "row" else i  # CSV rows start after the header line
        if not isinstance(row, dict):
            raise UsageError(f"{path}: {where} {line}: not an object")
        try:
            out.append(row_to_entry(row, now))
        except (ValueError, TypeError) as exc:
            raise UsageError(f"{path}: {where} {line}: {exc}; nothing was imported") from None
    return out


def import_entries(ctx: Context, path: Path) -> tuple[int, int]:
    """Add the entries not already present (by id). Returns (added, already there)."""
    incoming = read_import(path, ctx.now)
    with ctx.store.transaction() as txn:
        known = {e.uid for e in txn.entries()}
        fresh: list[Entry] = []
        for e in incoming:
            if e.uid not in known:
                fresh.append(e)
                known.add(e.uid)
        if fresh:
            txn.add_many(fresh)
    return len(fresh), len(incoming) - len(fresh)


# ---------------------------------------------------------------- config edits


def edit_config(paths: Paths, change: Callable[[str, Settings], str | None]) -> Settings:
    """Read, change, validate and write the config under its lock, so concurrent edits all land.

    ``change(text, current)`` returns the new text, or None to leave the file as it is. A broken
    config is refused before ``change`` runs and is never overwritten.
    """
    from stretchd.fsutil import atomic_write, locked, remove_stale_temps

    with locked(paths.config_lock_file):
        text = current_config_text(paths)
        current = config_mod.parse_text(text, paths.config_file)
        new_text = change(text, current)
        if new_text is None:
            return current
        settings = config_mod.parse_text(new_text, paths.config_file)
        remove_stale_temps(paths.config_file)
        atomic_write(paths.config_file, new_text.encode("utf-8"))
        return settings


def current_config_text(paths: Paths) -> str:
    try:
        text = paths.config_file.read_text(encoding="utf-8")
    except FileNotFoundError:
        return config_mod.example_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {paths.config_file}: {exc}") from None
    return text


def config_set(paths: Paths, key: str, raw: str) -> Any:
    value = config_mod.coerce_cli_value(key, raw)
    edit_config(paths, lambda text, _current: config_mod.edit_text(text, set_key=key, value=value))
    return value


def schedule_change(paths: Paths, *, add: tuple[time, str] | None = None, remove: time | None = None) -> Settings:
    def change(text: str, current: Settings) -> str:
        reminders = list(current.reminders)
        if add is not None:
            clock, routine = add
            if any(r.time == clock for r in reminders):
                raise UsageError(f"{format_clock(clock)} is already a reminder time")
            reminders.append(config_mod.Reminder(clock, check_routine(routine)))
        if remove is not None:
            if not any(r.time == remove for r in reminders):
                have = ", ".join(r.label for r in reminders) or "none"
                raise UsageError(f"{format_clock(remove)} is not a reminder time (have: {have})")
            reminders = [r for r in reminders if r.time != remove]
        reminders.sort(key=lambda r: r.time)
        return config_mod.edit_text(text, reminders=tuple(reminders))

    return edit_config(paths, change)
