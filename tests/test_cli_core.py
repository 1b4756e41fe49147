"""The core commands as a user runs them: output, JSON, exit statuses, and refusal of bad input."""

from __future__ import annotations

import csv
import io
import json
import time as time_mod
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine

from stretchd.paths import resolve
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time_mod.tzset()
    yield
    monkeypatch.undo()
    time_mod.tzset()


@pytest.fixture
def at_0930(berlin: None) -> Iterator[time_machine.Coordinates]:
    with time_machine.travel(datetime(2026, 11, 24, 9, 30, tzinfo=BERLIN), tick=False) as t:
        yield t


def data_bytes() -> bytes | None:
    p = resolve().data_file
    return p.read_bytes() if p.exists() else None


def test_done_logs_and_prints_progress(cli: Cli, at_0930: None) -> None:
    r = cli("done")
    assert r.code == 0, r.err
    assert r.out.splitlines() == ["Logged deep stretch at 09:30. Today 1/2, streak 0 days (best 0)."]
    r = cli("done", "gentle", "--at", "-1h", "--pain-before", "5", "--pain-after", "2", "--note", "stiff")
    assert r.out.splitlines() == [
        "Logged gentle stretch at 08:30 (pain 5 -> 2). Today 2/2, streak 1 day (best 1). Today's target is reached."
    ]


def test_done_json_is_one_object_with_the_entry_and_progress(cli: Cli, at_0930: None) -> None:
    data = cli("done", "--json").json()
    assert isinstance(data, dict)
    assert data["entry"]["kind"] == "stretch" and data["entry"]["routine"] == "deep"
    assert data["entry"]["at"] == "2026-11-24T09:30:00+01:00"
    assert data["today"] == {"date": "2026-11-24", "done": 1, "target": 2}
    assert data["current_streak"] == 0


def test_default_routine_is_that_of_the_current_or_next_slot(cli: Cli, berlin: None) -> None:
    assert cli("schedule", "add", "12:00", "--routine", "gentle").code == 0
    for clock, expected in (("06:00", "deep"), ("10:59", "deep"), ("11:00", "gentle"), ("16:59", "gentle"),
                            ("17:00", "deep"), ("23:00", "deep")):  # fmt: skip
        h, m = map(int, clock.split(":"))
        with time_machine.travel(datetime(2026, 11, 24, h, m, tzinfo=BERLIN), tick=False):
            assert cli("done", "--json").json()["entry"]["routine"] == expected, clock  # type: ignore[index]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("done", "yoga"), "unknown routine 'yoga'"),
        (("done", "--pain-before", "11"), "0<=x<=10"),
        (("done", "--pain-after", "-1"), "0<=x<=10"),
        (("done", "--pain-before", "abc"), "not a valid integer"),
        (("done", "--at", "25:00"), "'25:00' is not a time"),
        (("done", "--at", "+2h"), "is not a time"),
        (("done", "--at", "23:59"), "is in the future"),
        (("done", "--at", "2027-01-01"), "is in the future"),
        (("done", "--note", "x" * 2001), "at most 2000 characters"),
        (("done", "--bogus"), "No such option"),
        (("skip", "--date", "someday"), "--date"),
        (("history", "--since", "lately"), "--since"),
        (("stats", "--days", "0"), "--days"),
        (("export", "--format", "xml"), "csv or json"),
        (("export", "-o", "/nonexistent-dir/x.csv"), "directory /nonexistent-dir does not exist"),
        (("routines", "pilates"), "unknown routine"),
        (("config", "set", "pain.severe", "eleven"), "whole number"),
        (("config", "set", "colour", "blue"), "unknown config key"),
        (("config", "get", "colour"), "unknown config key"),
        (("schedule", "add", "25:00"), "not a valid time of day"),
        (("schedule", "add", "08:00"), "already a reminder time"),
        (("schedule", "remove", "09:00"), "not a reminder time"),
        (("schedule", "add", "09:00", "--routine", "yoga"), "unknown routine"),
        (("nonsense",), "No such command"),
    ],
)
def test_bad_input_is_one_line_exit_2_and_nothing_changes(
    cli: Cli, at_0930: None, args: tuple[str, ...], message: str
) -> None:
    cli("done", "--at", "08:00")
    config_before = cli("config", "show", "--json").out
    before = data_bytes()
    r = cli(*args)
    assert r.code == 2, (r.out, r.err)
    lines = r.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("stretchd: error: "), r.err
    assert message in lines[0]
    assert "Traceback" not in r.err + r.out
    assert data_bytes() == before
    assert cli("config", "show", "--json").out == config_before
    assert not resolve().config_file.exists()


def test_undo_shows_the_entry_and_asks(cli: Cli, at_0930: None) -> None:
    cli("done", "--at", "08:00")
    cli("done", "gentle")
    r = cli("undo", input="n\n")
    assert "2026-11-24 09:30  stretch  gentle" in r.out
    assert r.code == 1 and "Kept." in r.out
    r = cli("undo", input="y\n")
    assert r.code == 0 and "Removed." in r.out
    assert [e["routine"] for e in cli("history", "--json").json()] == ["deep"]  # type: ignore[union-attr,index]
    assert cli("undo", "--yes").code == 0
    assert "Nothing to undo" in cli("undo", "--yes").out


def test_skip_excuses_a_day_once(cli: Cli, at_0930: None) -> None:
    r = cli("skip", "--reason", "flu")
    assert r.code == 0 and "Excused 2026-11-24 (flu)" in r.out
    r = cli("skip")
    assert r.code == 2 and "already excused" in r.err
    assert cli("skip", "--date", "yesterday").code == 0
    days = cli("stats", "--json").json()["days"]  # type: ignore[index]
    assert days[-2]["state"] == "excused"


def test_history_json_is_one_array_oldest_first_with_ids_kinds_and_offsets(cli: Cli, at_0930: None) -> None:
    cli("done", "--at", "09:00", "--note", "second")
    cli("done", "gentle", "--at", "yesterday 20:00")
    cli("skip", "--date", "2026-11-20", "--reason", "travel")
    rows = cli("history", "--json").json()
    assert isinstance(rows, list)
    assert [r["kind"] for r in rows] == ["stretch", "stretch", "skip"]
    assert rows[0]["at"] == "2026-11-23T20:00:00+01:00" and rows[0]["routine"] == "gentle"
    assert rows[1]["note"] == "second"
    assert rows[2]["day"] == "2026-11-20" and rows[2]["note"] == "travel"
    assert len({r["id"] for r in rows}) == 3
    since = cli("history", "--json", "--since", "08:00").json()
    assert [r["note"] for r in since] == ["second", "travel"]  # the skip was logged at 09:30  # type: ignore[union-attr,index]


def test_export_import_round_trip_is_idempotent(cli: Cli, at_0930: None, tmp_path: Path) -> None:
    cli("done", "--at", "08:00", "--pain-before", "4", "--note", 'says "hi", <b>&')
    cli("skip", "--date", "yesterday")
    for fmt in ("csv", "json"):
        out = tmp_path / f"export.{fmt}"
        r = cli("export", "--format", fmt, "-o", str(out))
        assert r.code == 0, r.err
        assert oct(out.stat().st_mode & 0o777) == "0o600"
        assert "Imported 0 new entries; 2 already present." in cli("import", str(out)).out
    exported = (tmp_path / "export.json").read_text()
    # Into an empty history: everything arrives, then a second import adds nothing.
    resolve().data_file.unlink()
    assert "Imported 2 new entries" in cli("import", str(tmp_path / "export.csv")).out
    assert "Imported 0 new entries" in cli("import", str(tmp_path / "export.json")).out
    assert cli("export", "--format", "json").out == exported


def test_csv_export_has_a_header_and_one_row_per_entry(cli: Cli, at_0930: None) -> None:
    cli("done", "--at", "08:00", "--note", "a,b")
    rows = list(csv.DictReader(io.StringIO(cli("history", "--csv").out)))
    assert len(rows) == 1 and rows[0]["kind"] == "stretch" and rows[0]["note"] == "a,b"


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"kind": "stretch", "at": "2026-11-20T08:00:00+01:00", "routine": "yoga"}, "routine"),
        ({"kind": "pain", "at": "2026-11-20T08:00:00+01:00", "level": 11}, "level"),
        ({"kind": "stretch", "at": "2026-11-20T08:00:00", "routine": "deep"}, "no UTC offset"),
        ({"kind": "stretch", "at": "2030-01-01T08:00:00+01:00", "routine": "deep"}, "future"),
        ({"kind": "dance", "at": "2026-11-20T08:00:00+01:00"}, "kind"),
        ({"kind": "stretch", "at": "yesterday", "routine": "deep"}, "Invalid isoformat"),
    ],
)
def test_a_malformed_import_row_is_refused_and_nothing_is_written(
    cli: Cli, at_0930: None, tmp_path: Path, row: dict[str, object], message: str
) -> None:
    cli("done", "--at", "08:00")
    before = data_bytes()
    good = {"id": "aaaa1111", "kind": "stretch", "at": "2026-11-19T08:00:00+01:00", "routine": "deep"}
    f = tmp_path / "in.json"
    f.write_text(json.dumps([good, {"id": "bbbb2222", **row}]))
    r = cli("import", str(f))
    assert r.code == 2
    assert "item 2" in r.err and message in r.err and "nothing was imported" in r.err
    assert data_bytes() == before


def test_stats_json_is_the_documented_object(cli: Cli, at_0930: None) -> None:
    for when in ("yesterday 08:00", "yesterday 18:00", "-3d", "08:00"):
        cli("done", "--at", when)
    data = cli("stats", "--json", "--days", "7").json()
    assert isinstance(data, dict)
    assert set(data) >= {"today", "current_streak", "best_streak", "adherence", "score", "days"}
    assert data["today"] == {"date": "2026-11-24", "done": 1, "target": 2}
    assert data["current_streak"] == 1 and data["best_streak"] == 1
    assert data["adherence"] == {"7d": 0.5, "30d": 0.5}  # 3 of 6 since the first entry
    assert 0 < data["score"] < 1
    assert [d["state"] for d in data["days"]][-4:] == ["partial", "missed", "complete", "partial"]
    assert len(data["days"]) == 7


def test_stats_text_has_the_heatmap_and_legend(cli: Cli, at_0930: None) -> None:
    cli("done", "--at", "yesterday 08:00")
    out = cli("streak").out
    assert "Today        0/2" in out and "Habit score" in out
    assert "# complete  + partial  . missed  - excused" in out
    assert any(line.startswith("Mon ") for line in out.splitlines())


def test_a_corrupt_history_is_named_with_a_way_out_and_untouched(cli: Cli, at_0930: None) -> None:
    paths = resolve()
    paths.data_dir.mkdir(parents=True)
    paths.data_file.write_bytes(b'{"entries": {"1": ')
    for args in (("done",), ("stats",), ("history",), ("undo", "--yes"), ("skip",), ("export",)):
        r = cli(*args)
        assert r.code == 3, args
        assert str(paths.data_file) in r.err and "mv " in r.err
        assert "Traceback" not in r.err
    assert paths.data_file.read_bytes() == b'{"entries": {"1": '


def test_config_set_get_check_and_comments_survive(cli: Cli) -> None:
    assert cli("config", "set", "reminder.nudge_minutes", "20").out.strip() == "reminder.nudge_minutes = 20"
    path = resolve().config_file
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    text = path.read_text()
    assert "# Remind again after this many minutes" in text  # the documented example was the start
    path.write_text("# mine\n" + text)
    cli("config", "set", "pain.severe", "6")
    assert path.read_text().startswith("# mine\n")
    assert cli("config", "get", "pain.severe").out.strip() == "6"
    assert cli("config", "get", "reminder.nudge_minutes").out.strip() == "20"
    assert cli("config", "check").code == 0


def test_a_broken_config_lists_every_error_and_is_never_overwritten(cli: Cli) -> None:
    path = resolve().config_file
    path.parent.mkdir(parents=True)
    broken = '[reminder]\nnudge_minutes = "x"\ngrace_minutes = -1\n'
    path.write_text(broken)
    r = cli("config", "check")
    assert r.code == 2
    assert "reminder.nudge_minutes (line 2)" in r.err and "reminder.grace_minutes (line 3)" in r.err
    for args in (("config", "set", "pain.severe", "5"), ("schedule", "add", "09:00"), ("done",), ("stats",)):
        r = cli(*args)
        assert r.code == 2, args
        assert "line 2" in r.err and "(+1 more)" in r.err
    assert path.read_text() == broken
    assert not resolve().data_file.exists()


def test_schedule_add_remove_list(cli: Cli) -> None:
    assert cli("schedule", "add", "1:15pm", "--routine", "gentle").out.strip() == (
        "Reminders: 08:00 deep, 13:15 gentle, 18:00 deep"
    )
    cli("schedule", "remove", "8am")
    data = cli("schedule", "list", "--json").json()
    assert data == {"reminders": [{"time": "13:15", "routine": "gentle"}, {"time": "18:00", "routine": "deep"}],
                    "daily_target": 2}  # fmt: skip
    cli("schedule", "remove", "13:15")
    cli("schedule", "remove", "18:00")
    assert "No reminder times" in cli("schedule", "list").out


def test_routines_list_and_show_carry_the_cautions(cli: Cli) -> None:
    out = cli("routines").out
    assert "deep" in out and "gentle" in out and "Cautions:" in out and "medical professional" in out
    deep = cli("routines", "deep").out
    for fact in ("(90°)", "30 to 60 seconds", "past your toes", "Tighten your stomach", "never into pain",
                 "Hold: 30-60 seconds each side"):  # fmt: skip
        assert fact in deep, fact
    gentle = cli("routines", "gentle").out
    for fact in ("hold for 10 breaths", "Rounds: 3", "gentle stretch, never pain", "sacroiliac"):
        assert fact in gentle, fact


def test_version_and_help(cli: Cli) -> None:
    assert cli("--version").out.startswith("stretchd ")
    r = cli("--help")
    assert r.code == 0 and "done" in r.out and "stats" in r.out
    r = cli()
    assert r.code == 2 and "Usage:" in r.err
