"""The store: atomic private writes, refusal of corrupt files, schema versions."""

from __future__ import annotations

import json
import stat
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from stretchd.core.model import Entry
from stretchd.errors import DataError
from stretchd.paths import resolve
from stretchd.store import SCHEMA_VERSION, Store, new_uid

AT = datetime(2026, 11, 24, 8, 0, tzinfo=timezone(timedelta(hours=1)))


def entry(**kw: object) -> Entry:
    return Entry(new_uid(), "stretch", AT, routine="deep").with_(**kw)


def test_round_trip_keeps_every_field_and_the_offset() -> None:
    store = Store(resolve())
    e = entry(pain_before=5, pain_after=2, note="ok <b>", duration_s=95, source="guide")
    store.add(e)
    (got,) = store.entries()
    assert got == e
    assert got.at.utcoffset() == timedelta(hours=1)


def test_files_are_private_and_the_schema_is_recorded(home: Path) -> None:
    paths = resolve()
    Store(paths).add(entry())
    assert stat.S_IMODE(paths.data_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(paths.data_dir.stat().st_mode) == 0o700
    data = json.loads(paths.data_file.read_text())
    assert list(data["meta"].values()) == [{"schema": SCHEMA_VERSION}]
    assert not [p for p in paths.data_dir.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.parametrize(
    "content",
    [b'{"entries": {"1": {"uid": "a"', b"\x00\xff garbage", b"[1, 2]", b'{"entries": []}', b""],
)
def test_a_corrupt_file_is_refused_and_left_byte_for_byte(content: bytes) -> None:
    paths = resolve()
    paths.data_dir.mkdir(parents=True)
    paths.data_file.write_bytes(content)
    store = Store(paths)
    with pytest.raises(DataError) as err:
        store.add(entry())
    assert str(paths.data_file) in str(err.value)
    assert err.value.hint and "untouched" in err.value.hint
    with pytest.raises(DataError):
        store.entries()
    assert paths.data_file.read_bytes() == content


def test_a_file_from_a_newer_stretchd_is_not_touched() -> None:
    paths = resolve()
    paths.data_dir.mkdir(parents=True)
    content = json.dumps({"meta": {"1": {"schema": SCHEMA_VERSION + 1}}, "entries": {}}).encode()
    paths.data_file.write_bytes(content)
    with pytest.raises(DataError, match="newer stretchd"):
        Store(paths).add(entry())
    assert paths.data_file.read_bytes() == content


def test_a_version_0_file_is_migrated_on_the_next_write() -> None:
    paths = resolve()
    paths.data_dir.mkdir(parents=True)
    old = {"entries": {"1": {"uid": "abc", "kind": "stretch", "at": AT.isoformat(), "routine": "gentle"}}}
    paths.data_file.write_text(json.dumps(old))
    store = Store(paths)
    assert [e.uid for e in store.entries()] == ["abc"]
    store.add(entry())
    data = json.loads(paths.data_file.read_text())
    assert list(data["meta"].values()) == [{"schema": SCHEMA_VERSION}]
    assert len(data["entries"]) == 2


def test_each_transaction_sees_writes_of_other_store_objects() -> None:
    # The cross-process cache bugs of stock TinyDB (FINDINGS.md), reproduced with two objects.
    a, b = Store(resolve()), Store(resolve())
    a.add(entry())
    b.add(entry())
    a.add(entry())
    assert len(a.entries()) == len(b.entries()) == 3
    assert sorted(e.seq for e in a.entries()) == [1, 2, 3]


def test_state_and_records() -> None:
    store = Store(resolve())
    with store.transaction() as txn:
        txn.set_state("snooze_until", "x")
        txn.set_state("snooze_until", "y")
        txn.record("sent", {"slot": "2026-11-24T08:00", "outcome": "delivered"})
    assert store.get_state("snooze_until") == "y"
    assert store.records("sent") == [{"slot": "2026-11-24T08:00", "outcome": "delivered"}]
