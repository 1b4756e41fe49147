"""The pure slot rules: windows, which slot a stretch satisfies, reminders, nudges, catch-up, DST."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from stretchd.core import slots
from stretchd.core.model import Entry
from stretchd.core.slots import Policy, Sent, decide, satisfied, slots_of_day
from stretchd.daemon.control_server import parse_request, peer_allowed

BERLIN = ZoneInfo("Europe/Berlin")
DAY = date(2026, 6, 10)


@dataclass(frozen=True)
class R:
    time: time
    routine: str = "deep"


TWICE = (R(time(8)), R(time(18), "gentle"))
POLICY = Policy(grace=timedelta(minutes=180), nudge_every=timedelta(minutes=30), max_nudges=2)


def at(h: int, m: int = 0, s: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, h, m, s, tzinfo=BERLIN)


def stretch(when: datetime) -> Entry:
    return Entry("s" + when.isoformat(), "stretch", when, routine="deep")


def record(d: slots.Due, now: datetime, outcome: str | None = "delivered") -> Sent:
    doc = slots.to_record(d, now, outcome)
    r = slots.from_record(doc)
    assert r is not None
    return r


def run(now: datetime, entries=(), sent=(), snooze=None, reminders=TWICE, **kw) -> slots.Decision:
    local = now.astimezone(BERLIN)
    kw.setdefault("since", datetime(local.year, local.month, local.day, tzinfo=BERLIN))  # reminders on since midnight
    return decide(now, reminders, BERLIN, list(entries), list(sent), POLICY, snooze, **kw)


def actions(d: slots.Decision) -> list[tuple[str, str]]:
    return [(x.action, x.slot.label) for x in d.due]


# ---------------------------------------------------------------- slots and windows


def test_slots_of_a_day_end_at_the_next_slot() -> None:
    s = slots_of_day(DAY, TWICE, BERLIN)
    assert [x.label for x in s] == ["08:00", "18:00"]
    assert s[0].end == at(18) and s[1].end == at(8, day=DAY + timedelta(days=1))
    assert s[1].routine == "gentle"


def test_stretch_before_the_slot_spares_it_and_done_on_morning_does_not_spare_evening() -> None:
    assert set(satisfied(DAY, TWICE, BERLIN, [stretch(at(7, 30))])) == {"08:00"}
    assert set(satisfied(DAY, TWICE, BERLIN, [stretch(at(6, 30))])) == set()  # before the window
    assert set(satisfied(DAY, TWICE, BERLIN, [stretch(at(8, 5))])) == {"08:00"}
    # the earliest open slot whose window holds it: 17:30 is in both windows, 08:00 is still open
    assert set(satisfied(DAY, TWICE, BERLIN, [stretch(at(17, 30))])) == {"08:00"}
    assert set(satisfied(DAY, TWICE, BERLIN, [stretch(at(8, 5)), stretch(at(17, 30))])) == {"08:00", "18:00"}
    assert set(satisfied(DAY, TWICE, BERLIN, [stretch(at(18, 30))])) == {"18:00"}


# ---------------------------------------------------------------- reminders, nudges, catch-up


def test_reminder_at_the_slot_then_nothing_twice() -> None:
    assert actions(run(at(7, 59, 59))) == []
    assert run(at(7, 59, 59)).next_wakeup == at(8)
    d = run(at(8))
    assert actions(d) == [("reminder", "08:00")]
    sent = [record(d.due[0], at(8))]
    again = run(at(8, 0, 1), sent=sent)
    assert actions(again) == []
    assert again.next_wakeup == at(8, 30)  # the first nudge


def test_no_reminder_for_a_slot_already_done() -> None:
    assert actions(run(at(8), entries=[stretch(at(7, 30))])) == []


def test_nudges_at_most_max_and_never_after_next_slot() -> None:
    sent = [record(run(at(8)).due[0], at(8))]
    d = run(at(8, 30), sent=sent)
    assert [(x.action, x.nudge) for x in d.due] == [("nudge", 1)]
    sent.append(record(d.due[0], at(8, 30)))
    d = run(at(9), sent=sent)
    assert [(x.action, x.nudge) for x in d.due] == [("nudge", 2)]
    sent.append(record(d.due[0], at(9)))
    assert actions(run(at(9, 30), sent=sent)) == []
    # a late reminder: its nudge would fall after 18:00, so there is none
    late = [record(run(at(17, 45), sent=[]).due[0], at(17, 45))]
    assert actions(run(at(17, 59), sent=late)) == []
    assert run(at(17, 59), sent=late).next_wakeup == at(18)


def test_logging_skipping_or_snoozing_stops_nudges() -> None:
    sent = [record(run(at(8)).due[0], at(8))]
    assert actions(run(at(8, 30), sent=sent, entries=[stretch(at(8, 20))])) == []
    skipped = Sent(DAY.isoformat(), "08:00", "skipped", at(8, 10))
    assert actions(run(at(8, 30), sent=[*sent, skipped])) == []
    assert actions(run(at(8, 30), sent=sent, snooze=at(8, 40))) == []
    d = run(at(8, 40), sent=sent, snooze=at(8, 40))
    assert actions(d) == [("snoozed", "08:00")]
    sent.append(record(d.due[0], at(8, 40)))
    assert actions(run(at(8, 41), sent=sent, snooze=at(8, 40))) == []  # answered once


def test_catch_up_once_within_grace_and_older_ones_recorded_missed() -> None:
    d = run(at(10, 30))
    assert actions(d) == [("catch-up", "08:00")]
    assert actions(run(at(10, 31), sent=[record(d.due[0], at(10, 30))])) == []
    # older than the grace: recorded as missed, not sent
    d = run(at(11, 1))
    assert actions(d) == [("missed", "08:00")]
    assert actions(run(at(11, 2), sent=[record(d.due[0], at(11, 1), None)])) == []


def test_no_burst_after_a_long_absence() -> None:
    d = run(at(18, 30))  # off all day: only the current slot is reminded
    assert sorted(actions(d)) == [("catch-up", "18:00"), ("missed", "08:00")]


def test_failed_delivery_is_retried_later_or_when_the_server_appears() -> None:
    first = run(at(8)).due[0]
    failed = [record(first, at(8), "no-server")]
    d = run(at(8, 1), sent=failed)
    assert actions(d) == [] and d.next_wakeup == at(8, 10)
    assert actions(run(at(8, 1), sent=failed, retry_failed_now=True)) == [("reminder", "08:00")]
    assert actions(run(at(8, 10), sent=failed)) == [("catch-up", "08:00")]


def test_pause_and_excused_day_mean_no_reminders() -> None:
    pause = Entry("p", "pause", at(7), until=at(9))
    assert actions(run(at(8), entries=[pause])) == []
    assert run(at(8), entries=[pause]).next_wakeup == at(9)
    assert actions(run(at(9, 1), entries=[pause])) == []  # its slot fell in the pause: excused
    skip = Entry("k", "skip", at(6), day=DAY)
    assert actions(run(at(8), entries=[skip])) == []


# ---------------------------------------------------------------- DST (Europe/Berlin)


def test_spring_forward_slot_in_the_gap_moves_forward_and_fires_once() -> None:
    day = date(2026, 3, 29)  # 02:00 -> 03:00
    rems = (R(time(2, 30)),)
    (s,) = slots_of_day(day, rems, BERLIN)
    assert s.at.astimezone(BERLIN).hour == 3 and s.at == datetime(2026, 3, 29, 1, 30, tzinfo=ZoneInfo("UTC"))
    d = run(s.at, reminders=rems)
    assert actions(d) == [("reminder", "02:30")]
    assert actions(run(s.at + timedelta(seconds=1), reminders=rems, sent=[record(d.due[0], s.at)])) == []


def test_fall_back_slot_fires_once_although_cron_fires_twice() -> None:
    day = date(2026, 10, 25)  # 03:00 -> 02:00: 02:30 happens twice
    rems = (R(time(2, 30)), R(time(18)))
    first = datetime(2026, 10, 25, 0, 30, tzinfo=ZoneInfo("UTC"))  # 02:30 CEST
    second = datetime(2026, 10, 25, 1, 30, tzinfo=ZoneInfo("UTC"))  # 02:30 CET
    assert slots_of_day(day, rems, BERLIN)[0].at == first
    d = run(first.astimezone(BERLIN), reminders=rems)
    assert actions(d) == [("reminder", "02:30")]
    sent = [record(d.due[0], first)]
    second_fire = run(second.astimezone(BERLIN), reminders=rems, sent=sent)
    assert [x.action for x in second_fire.due] != ["reminder"]  # the second cron fire sends no new reminder
    assert all(x.action == "nudge" for x in second_fire.due)  # only the (configured) nudge 60 min later


# ---------------------------------------------------------------- control protocol, pure parts


def test_only_the_same_user_may_use_the_control_socket() -> None:
    assert peer_allowed(1000, 1000)
    assert not peer_allowed(0, 1000)
    assert not peer_allowed(1001, 1000)
    assert not peer_allowed(None, 1000)


def test_bad_control_requests_are_refused() -> None:
    assert parse_request(b'{"cmd": "status"}\n') == {"cmd": "status"}
    for bad in (b"[]", b'{"x": 1}', b"not json"):
        try:
            parse_request(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


# ---------------------------------------------------------------- properties

clock_times = st.lists(
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])), min_size=1, max_size=4, unique=True
)


@settings(max_examples=150, deadline=None)
@given(
    times=clock_times,
    start=st.sampled_from(
        [
            datetime(2026, 10, 24, 12, tzinfo=BERLIN),
            datetime(2026, 3, 28, 12, tzinfo=BERLIN),
            datetime(2026, 6, 10, 0, tzinfo=BERLIN),
        ]
    ),
    steps=st.lists(st.integers(1, 200), min_size=1, max_size=60),
)
def test_waking_at_any_times_never_sends_a_slot_twice_or_after_its_end(times, start, steps) -> None:
    """Whatever the wake-up times (cron, resume, checks), recording what was due keeps every rule."""
    reminders = tuple(R(t) for t in times)
    sent: list[Sent] = []
    now = start
    for minutes in steps:
        now = now + timedelta(minutes=minutes)
        d = decide(now, reminders, BERLIN, [], sent, POLICY, since=start)
        for due in d.due:
            if due.action != "missed":
                assert due.slot.at <= now < due.slot.end  # only while the slot is the current one
                assert now - due.slot.at <= POLICY.grace or due.action == "nudge"
            sent.append(record(due, now, None if due.action == "missed" else "delivered"))
        assert decide(now, reminders, BERLIN, [], sent, POLICY, since=start).due == ()  # idempotent
        assert d.next_wakeup is None or d.next_wakeup > now
    per_slot: dict[tuple[str, str], list[str]] = {}
    for r in sent:
        per_slot.setdefault(r.key, []).append(r.kind)
    for kinds in per_slot.values():
        assert sum(k in ("reminder", "catch-up") for k in kinds) <= 1
        assert kinds.count("nudge") <= POLICY.max_nudges
        assert not ("missed" in kinds and any(k in ("reminder", "catch-up") for k in kinds))
