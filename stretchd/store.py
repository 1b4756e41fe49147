"""The store owns the history file: TinyDB on an atomic, locked storage; dataclasses at the boundary."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from tinydb import TinyDB
from tinydb.storages import Storage

from stretchd.core.model import KINDS, Entry
from stretchd.errors import DataError
from stretchd.fsutil import atomic_write, locked, remove_stale_temps
from stretchd.paths import Paths

SCHEMA_VERSION = 1
ENTRIES = "entries"
SENT = "sent"  # what the daemon sent or recorded as missed, one document per attempt
STATE = "state"  # small key/value documents: {"key": ..., "value": ...}
META = "meta"


def _migrate_0_to_1(data: dict[str, Any]) -> None:
    """Version 0 is a file without a meta table (TinyDB's own layout); it only gains one."""
    data.setdefault(ENTRIES, {})


# Ordered: MIGRATIONS[i] turns version i into version i + 1.
MIGRATIONS: tuple[Callable[[dict[str, Any]], None], ...] = (_migrate_0_to_1,)
assert len(MIGRATIONS) == SCHEMA_VERSION


def _recover_hint(path: Path) -> str:
    return (
        f"the file was left untouched; restore it from a backup, or move it aside "
        f"(mv {path} {path}.broken) to start a new history"
    )


def read_raw(path: Path) -> dict[str, Any] | None:
    """Parse the data file by path (every read sees the latest replace). None if it does not exist."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror}", hint=_recover_hint(path)) from None
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is corrupt ({exc})", hint=_recover_hint(path)) from None
    if not isinstance(data, dict) or not all(isinstance(v, dict) for v in data.values()):
        raise DataError(f"{path} is not a stretchd history file", hint=_recover_hint(path))
    return data


def schema_version(data: dict[str, Any]) -> int:
    meta = data.get(META) or {}
    for doc in meta.values():
        if isinstance(doc, dict) and isinstance(doc.get("schema"), int):
            return int(doc["schema"])
    return 0


def migrate(data: dict[str, Any], path: Path) -> dict[str, Any]:
    version = schema_version(data)
    if version > SCHEMA_VERSION:
        raise DataError(
            f"{path} was written by a newer stretchd (schema {version}, this one knows {SCHEMA_VERSION})",
            hint="upgrade stretchd; the file was left untouched",
        )
    for step in MIGRATIONS[version:]:
        step(data)
    data[META] = {"1": {"schema": SCHEMA_VERSION}}
    return data


class AtomicJSONStorage(Storage):
    """TinyDB storage for one transaction: write temp + fsync + replace + fsync dir.

    The caller holds the exclusive lock for the storage's whole life (see
    :meth:`Store.transaction`), so no other process can change the file meanwhile: the first
    read parses it by path, and later reads reuse what was last read or written instead of
    parsing the whole history again for every TinyDB call. A new transaction gets a new storage
    and sees other processes' writes. TinyDB's own JSONStorage overwrites in place and is not
    safe across processes (FINDINGS.md).
    """

    def __init__(self, path: Path, preloaded: dict[str, Any] | None = None) -> None:
        self.path = path
        self._data = preloaded  # the file's content as of the last read or write, under the lock

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self._data = migrate(read_raw(self.path) or {}, self.path)
        return self._data

    def write(self, data: dict[str, dict[str, Any]]) -> None:
        payload = json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=False)
        try:
            atomic_write(self.path, payload.encode("utf-8"))
        except BaseException:
            # TinyDB changed the cached dict before asking us to write it: forget it, so a later
            # read sees the file as it really is (unchanged).
            self._data = None
            raise
        self._data = data

    def close(self) -> None:
        pass


# ---------------------------------------------------------------- the boundary


def new_uid() -> str:
    return os.urandom(8).hex()  # 64 random bits, like a short uuid4 without importing uuid


def entry_to_doc(e: Entry) -> dict[str, Any]:
    doc: dict[str, Any] = {"uid": e.uid, "kind": e.kind, "at": e.at.isoformat()}
    for name in ("routine", "level", "area", "pain_before", "pain_after", "duration_s", "note", "episode"):
        value = getattr(e, name)
        if value is not None:
            doc[name] = value
    if e.day is not None:
        doc["day"] = e.day.isoformat()
    if e.until is not None:
        doc["until"] = e.until.isoformat()
    if e.source != "cli":
        doc["source"] = e.source
    return doc


_OPTIONAL_TYPES: dict[str, type] = {
    "routine": str, "level": int, "area": str, "pain_before": int, "pain_after": int,
    "duration_s": int, "note": str, "episode": str, "source": str, "day": str, "until": str,
}  # fmt: skip


def check_doc(doc: Any) -> None:
    """Raise ValueError naming what is wrong with one stored entry (cheap: no Entry is built)."""
    if not isinstance(doc, dict):
        raise ValueError("an entry is not an object")
    uid, kind, at = doc.get("uid"), doc.get("kind"), doc.get("at")
    if not isinstance(uid, str) or not uid:
        raise ValueError("an entry has no id")
    if kind not in KINDS:
        raise ValueError(f"entry {uid} has an unknown kind {kind!r}")
    if not isinstance(at, str) or datetime.fromisoformat(at).tzinfo is None:
        raise ValueError(f"entry {uid} has no valid time with an offset")
    for name, expected in _OPTIONAL_TYPES.items():
        value = doc.get(name)
        if value is not None and (not isinstance(value, expected) or isinstance(value, bool)):
            raise ValueError(f"entry {uid}: {name} must be {expected.__name__}")
    if doc.get("day") is not None:
        date.fromisoformat(doc["day"])
    if doc.get("until") is not None and datetime.fromisoformat(doc["until"]).tzinfo is None:
        raise ValueError(f"entry {uid}: until has no offset")


def check_entries(data: dict[str, Any], path: Path) -> None:
    """Refuse a file with a malformed entry before anything reads it as history or writes to it."""
    for key, doc in data.get(ENTRIES, {}).items():
        try:
            check_doc(doc)
        except (ValueError, TypeError) as exc:
            raise DataError(f"{path} holds a malformed entry (#{key}: {exc})", hint=_recover_hint(path)) from None


def doc_to_entry(doc: dict[str, Any], seq: int = 0) -> Entry:
    day = doc.get("day")
    until = doc.get("until")
    return Entry(
        uid=doc["uid"],
        kind=doc["kind"],
        at=datetime.fromisoformat(doc["at"]),
        routine=doc.get("routine"),
        level=doc.get("level"),
        area=doc.get("area"),
        pain_before=doc.get("pain_before"),
        pain_after=doc.get("pain_after"),
        duration_s=doc.get("duration_s"),
        note=doc.get("note"),
        day=date.fromisoformat(day) if day else None,
        until=datetime.fromisoformat(until) if until else None,
        episode=doc.get("episode"),
        source=doc.get("source", "cli"),
        seq=seq,
    )


class Txn:
    """One locked read-modify-write on a fresh TinyDB (its caches never outlive the lock)."""

    def __init__(self, db: TinyDB) -> None:
        self.db = db

    def entries(self) -> list[Entry]:
        return [doc_to_entry(dict(d), d.doc_id) for d in self.db.table(ENTRIES).all()]

    def add(self, entry: Entry) -> Entry:
        doc_id = self.db.table(ENTRIES).insert(entry_to_doc(entry))
        return entry.with_(seq=doc_id)

    def add_many(self, entries: Iterable[Entry]) -> list[Entry]:
        entries = list(entries)
        ids = self.db.table(ENTRIES).insert_multiple(entry_to_doc(e) for e in entries)
        return [e.with_(seq=i) for e, i in zip(entries, ids, strict=True)]

    def remove(self, seq: int) -> None:
        self.db.table(ENTRIES).remove(doc_ids=[seq])

    def replace(self, entry: Entry) -> None:
        self.db.table(ENTRIES).update(entry_to_doc(entry), doc_ids=[entry.seq])

    def records(self, table: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self.db.table(table).all()]

    def record(self, table: str, doc: dict[str, Any]) -> int:
        return self.db.table(table).insert(doc)

    def get_state(self, key: str, default: Any = None) -> Any:
        for d in self.db.table(STATE).all():
            if d.get("key") == key:
                return d.get("value")
        return default

    def set_state(self, key: str, value: Any) -> None:
        table = self.db.table(STATE)
        for d in table.all():
            if d.get("key") == key:
                table.update({"value": value}, doc_ids=[d.doc_id])
                return
        table.insert({"key": key, "value": value})


class Snapshot:
    """The history as read once: a command that looks at it several times parses it once."""

    def __init__(self, path: Path, data: dict[str, Any]) -> None:
        self.path = path
        self.data = data
        self._entries: list[Entry] | None = None

    def entries(self) -> list[Entry]:
        """All entries, oldest first by time (ties: insertion order)."""
        if self._entries is None:
            table = self.data.get(ENTRIES, {})
            try:
                out = [doc_to_entry(doc, int(k)) for k, doc in table.items()]
            except (KeyError, TypeError, ValueError, AttributeError):
                check_entries(self.data, self.path)  # names the bad entry
                raise DataError(f"{self.path} holds a malformed entry", hint=_recover_hint(self.path)) from None
            out.sort(key=lambda e: (e.at, e.seq))
            self._entries = out
        return list(self._entries)

    def records(self, table: str) -> list[dict[str, Any]]:
        return [dict(d) for d in self.data.get(table, {}).values()]

    def get_state(self, key: str, default: Any = None) -> Any:
        for d in self.data.get(STATE, {}).values():
            if d.get("key") == key:
                return d.get("value")
        return default


class Store:
    """The history of one user. Reads parse the file by path; writes go through :meth:`transaction`."""

    def __init__(self, paths: Paths) -> None:
        self.path = paths.data_file
        self.lock_path = paths.lock_file

    def snapshot(self) -> Snapshot:
        """Read the file now (by path, so the latest replace is seen)."""
        data = read_raw(self.path)
        return Snapshot(self.path, {} if data is None else migrate(data, self.path))

    def entries(self) -> list[Entry]:
        """All entries, oldest first by time (ties: insertion order)."""
        return self.snapshot().entries()

    def records(self, table: str) -> list[dict[str, Any]]:
        return self.snapshot().records(table)

    def get_state(self, key: str, default: Any = None) -> Any:
        return self.snapshot().get_state(key, default)

    @contextmanager
    def transaction(self) -> Iterator[Txn]:
        """Exclusive lock, fresh TinyDB, and every write inside it atomic.

        A corrupt file raises DataError before anything is written.
        """
        with locked(self.lock_path):
            # Refuse corrupt data before TinyDB sees it, so nothing is ever written to such a file.
            raw = read_raw(self.path)
            data = migrate(raw or {}, self.path)
            check_entries(data, self.path)
            remove_stale_temps(self.path)  # left by a writer killed mid-write; we hold the lock
            db = TinyDB(self.path, storage=AtomicJSONStorage, preloaded=data)  # parsed once per transaction
            try:
                yield Txn(db)
            finally:
                db.close()

    def add(self, entry: Entry) -> Entry:
        with self.transaction() as txn:
            return txn.add(entry)

    def exists(self) -> bool:
        return os.path.exists(self.path)
