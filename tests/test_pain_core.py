"""The pure pain rules with fixed histories: advice, the three warnings, follow-ups, episodes, stats facts."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from itertools import count

import pytest
from hypothesis import given
from hypothesis import strategies as st

from stretchd.core import episodes, pain
from stretchd.core.model import Entry
from stretchd.core.pain import PainRules
from stretchd.core.routines import CAUTIONS

TODAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc)
RULES = PainRules()
_ids = count(1)


def p(days_ago: int, level: int, area: str = "lower-back", hour: int = 9, **kw: object) -> Entry:
    """A pain report ``days_ago`` days before TODAY at ``hour``:00."""
    at = datetime.combine(TODAY - timedelta(days=days_ago), datetime.min.time(), timezone.utc) + timedelta(hours=hour)
    uid = str(kw.pop("uid", f"p{next(_ids)}"))
    return Entry(uid=uid, kind="pain", at=at, level=level, area=area, **kw)  # type: ignore[arg-type]


def at(minutes: float, base: datetime = NOW) -> datetime:
    return base + timedelta(minutes=minutes)


def rules_fired(entries: list[Entry], rules: PainRules = RULES, now: datetime = NOW) -> set[str]:
    return {w.rule for w in pain.evaluate(entries, now, rules)}


# ---------------------------------------------------------------- advice


def test_level_below_severe_gets_the_deep_routine() -> None:
    a = pain.advice(6, RULES)
    assert (a.routine.id, a.severe) == ("deep", False)


def test_level_at_severe_gets_only_the_gentle_routine_with_the_cautions() -> None:
    a = pain.advice(7, RULES)
    assert (a.routine.id, a.severe) == ("gentle", True)
    assert pain.GENTLE_ONLY in a.lines  # do not stretch into pain
    assert CAUTIONS[1] in a.lines  # see a doctor if it continues, gets worse, or changes


def test_severe_threshold_comes_from_config() -> None:
    assert pain.advice(5, PainRules(severe=5)).routine.id == "gentle"
    assert pain.advice(9, PainRules(severe=10)).routine.id == "deep"


# ---------------------------------------------------------------- continues


def test_continues_fires_on_5_of_7_days_not_on_4() -> None:
    four = [p(d, 3) for d in (0, 2, 4, 6)]
    assert "continues" not in rules_fired(four)
    five = [*four, p(5, 3)]
    assert "continues" in rules_fired(five)


def test_continues_counts_days_not_reports_and_ignores_low_levels_and_old_days() -> None:
    many_on_one_day = [p(0, 4, hour=h) for h in range(8, 16)]
    assert "continues" not in rules_fired(many_on_one_day)
    below_level = [p(d, 2) for d in range(7)]
    assert "continues" not in rules_fired(below_level)
    one_too_old = [p(d, 3) for d in (0, 1, 2, 3, 7)]  # day 7 ago is outside the 7-day window
    assert "continues" not in rules_fired(one_too_old)


def test_continues_warning_tells_to_seek_medical_attention_and_key_is_stable_over_the_run() -> None:
    history = [p(d, 3) for d in range(7)]
    (w,) = [w for w in pain.evaluate(history, NOW, RULES) if w.rule == "continues"]
    assert "seek medical attention" in w.message.lower()
    assert "5 of the last 7" not in w.detail and "7 of the last 7 days" in w.detail
    # The window ending two days ago already held 5 of 7: the run started then.
    assert w.key == f"continues:{(TODAY - timedelta(days=2)).isoformat()}"
    tomorrow = [*history, p(-1, 4)]
    (w2,) = [w for w in pain.evaluate(tomorrow, NOW + timedelta(days=1), RULES) if w.rule == "continues"]
    assert w2.key == w.key


def test_continues_thresholds_from_config() -> None:
    history = [p(d, 5) for d in (0, 1, 2)]
    assert "continues" not in rules_fired(history)
    custom = PainRules(continues_level=5, continues_days=3, continues_window_days=3)
    assert "continues" in rules_fired(history, custom)


# ---------------------------------------------------------------- grows worse


def test_any_report_at_worse_level_fires_7_does_not() -> None:
    assert "worse" in rules_fired([p(0, 8)])
    assert "worse" not in rules_fired([p(0, 7)])
    assert "worse" in rules_fired([p(2, 8)])  # within the last 3 days
    assert "worse" not in rules_fired([p(3, 8)])  # older


@pytest.mark.parametrize(
    ("before", "recent", "fires"),
    [
        ([3, 3, 3, 3], [5, 5, 5], True),  # exactly 2.0 points
        ([2, 3, 3, 3], [5, 5, 4], False),  # 4.67 - 2.75 = 1.92: just below
        ([3, 3, 3, 3], [5, 5, 4], False),  # 1.67
        ([1, 1, 1, 2], [3, 4, 3], True),  # 3.33 - 1.25 = 2.08
        ([5, 5, 5, 5], [3, 3, 3], False),  # falling
    ],
)
def test_worse_trend_compares_daily_maxima_of_3_days_with_the_4_before(
    before: list[int], recent: list[int], fires: bool
) -> None:
    history = [p(6 - i, v) for i, v in enumerate(before)] + [p(2 - i, v) for i, v in enumerate(recent)]
    history.append(p(0, 0, hour=7))  # a lower report the same day: the daily maximum counts
    assert ("worse" in rules_fired(history)) is fires


def test_worse_trend_uses_only_days_with_reports_and_needs_both_windows() -> None:
    assert "worse" in rules_fired([p(5, 3), p(0, 5)])  # one day in each window: 5 vs 3
    assert "worse" not in rules_fired([p(0, 7)])  # nothing before: no trend
    assert "worse" not in rules_fired([p(5, 3), p(4, 3)])  # nothing recent


def test_worse_delta_from_config() -> None:
    history = [p(6 - i, 3) for i in range(4)] + [p(2 - i, 5) for i in range(3)]
    assert "worse" not in rules_fired(history, PainRules(worse_delta=2.5))


# ---------------------------------------------------------------- changes


def test_area_seen_29_days_ago_is_not_a_change_31_days_ago_is() -> None:
    seen_29 = [p(29, 4, "hip"), p(10, 4), p(0, 4, "hip")]
    assert "changes" not in rules_fired(seen_29)
    seen_31 = [p(31, 4, "hip"), p(10, 4), p(0, 4, "hip")]
    assert "changes" in rules_fired(seen_31)


def test_no_earlier_history_to_compare_with_is_not_a_change() -> None:
    assert "changes" not in rules_fired([p(0, 4, "hip")])  # the first report ever
    assert "changes" not in rules_fired([p(40, 4, "buttock"), p(0, 4, "hip")])  # nothing in the 30 days


def test_leg_or_groin_for_the_first_time_is_a_change() -> None:
    for area in ("leg", "groin"):
        (w,) = [w for w in pain.evaluate([p(0, 2, area)], NOW, RULES) if w.rule == "changes"]
        assert f"first report of pain in the {area}" in w.detail
        assert "seek medical attention" in w.message.lower()
    assert "changes" not in rules_fired([p(10, 2, "leg"), p(0, 2, "leg")])  # not the first time


def test_change_stays_active_for_3_days() -> None:
    assert "changes" in rules_fired([p(12, 3), p(2, 3, "thigh")])
    assert "changes" not in rules_fired([p(12, 3), p(3, 3, "thigh")])


def test_lookback_from_config() -> None:
    history = [p(20, 4, "hip"), p(5, 4), p(0, 4, "hip")]
    assert "changes" not in rules_fired(history)
    assert "changes" in rules_fired(history, PainRules(changes_lookback_days=14))


def test_reports_after_now_are_not_evaluated() -> None:
    assert rules_fired([p(-1, 9)]) == set()


# ---------------------------------------------------------------- follow-up


def test_follow_up_due_exactly_after_the_configured_minutes() -> None:
    r = p(0, 6, hour=10)
    assert pain.due_follow_up([r], at(59, r.at), 60, ()) is None
    fu = pain.due_follow_up([r], at(60, r.at), 60, ())
    assert fu is not None
    assert (fu.key, fu.report_uid, fu.level, fu.area) == (f"followup:{r.uid}", r.uid, 6, "lower-back")
    assert fu.due_at == at(60, r.at)


def test_follow_up_not_sent_twice_not_when_answered_not_when_off_not_when_stale() -> None:
    r = p(0, 6, hour=10)
    later = at(61, r.at)
    assert pain.due_follow_up([r], later, 60, {f"followup:{r.uid}"}) is None
    answer = Entry("a1", "pain", at(30, r.at), level=3, area="lower-back", episode=r.uid)
    assert pain.due_follow_up([r, answer], later, 60, ()) is None
    assert pain.due_follow_up([r], later, 0, ()) is None
    assert pain.due_follow_up([r], at(60 + 181, r.at), 60, (), grace_minutes=180) is None


def test_a_new_report_supersedes_the_earlier_follow_up() -> None:
    first, second = p(0, 6, hour=10), p(0, 4, "hip", hour=11)
    fu = pain.pending_follow_up([first, second], 60, ())
    assert fu is not None and fu.report_uid == second.uid and fu.area == "hip"


def test_follow_up_message_offers_levels_as_buttons() -> None:
    r = p(0, 6, hour=10)
    fu = pain.pending_follow_up([r], 60, ())
    assert fu is not None
    msg = pain.follow_up_message(fu, 60)
    assert msg.summary == "How is your back now?"
    assert "An hour ago you reported pain 6/10 (lower-back)" in msg.body
    assert [k for k, _ in msg.actions] == ["pain:0", "pain:2", "pain:4", "pain:6", "pain:8"]
    assert "90 minutes ago" in pain.follow_up_message(fu, 90).body.lower()


@pytest.mark.parametrize(("key", "level"), [("pain:0", 0), ("pain:8", 8), ("pain:11", None), ("done", None),
                                            ("pain:-1", None), ("pain:x", None)])  # fmt: skip
def test_parse_action_key(key: str, level: int | None) -> None:
    assert pain.parse_action_key(key) == level


# ---------------------------------------------------------------- episodes


def test_a_report_within_twice_the_window_answers_the_open_episode() -> None:
    r = p(0, 7, "hip", hour=10)
    assert pain.open_episode([r], at(90, r.at), 60, None) == r
    assert pain.open_episode([r], at(120, r.at), 60, "hip") == r
    assert pain.open_episode([r], at(121, r.at), 60, None) is None  # too late
    assert pain.open_episode([r], at(30, r.at), 60, "leg") is None  # another area: a new report
    assert pain.open_episode([r], at(30, r.at), 0, None) is None  # follow-ups off
    answer = pain.follow_up_answer(r, uid="a1", level=3, at=at(30, r.at))
    assert (answer.episode, answer.area, answer.kind) == (r.uid, "hip", "pain")
    assert pain.open_episode([r, answer], at(40, r.at), 60, None) is None  # already answered


def test_a_stretch_within_the_window_links_to_the_episode() -> None:
    r = p(0, 5, hour=10)
    assert episodes.episode_for_stretch([r], at(60, r.at), 60) == r.uid
    assert episodes.episode_for_stretch([r], at(61, r.at), 60) is None
    assert episodes.episode_for_stretch([r], at(-1, r.at), 60) is None
    assert episodes.episode_for_stretch([r], at(10, r.at), 0) is None
    answer = pain.follow_up_answer(r, uid="a1", level=3, at=at(30, r.at))
    assert episodes.episode_for_stretch([r, answer], at(80, r.at), 60) == r.uid  # via its answer


# ---------------------------------------------------------------- stats facts


def test_trend_compares_last_7_days_with_the_7_before() -> None:
    def trend(before: int, recent: int) -> str | None:
        return pain.trend(pain.daily_max([p(10, before), p(1, recent)]), TODAY)

    assert trend(3, 4) == "rising"
    assert trend(4, 3) == "falling"
    assert trend(4, 4) == "flat"
    assert pain.trend(pain.daily_max([p(1, 4)]), TODAY) is None


def test_sparkline_unicode_and_ascii() -> None:
    assert pain.sparkline([0, 5, 10, None]) == "▁▅█·"
    assert pain.sparkline([0, 5, 10, None], unicode=False) == "05X."


def test_facts_average_daily_maxima_and_skip_acked_warnings() -> None:
    history = [p(0, 8), p(0, 2, hour=8), p(1, 4), p(20, 1)]
    f = pain.facts(history, NOW, RULES)
    assert f.last is not None and f.last.level == 8
    assert f.average_7d == pytest.approx(6.0)  # (8 + 4) / 2 days
    assert f.average_30d == pytest.approx(13 / 3)
    assert [v for _, v in f.daily][-2:] == [4, 8] and len(f.daily) == pain.SPARK_DAYS
    assert [w.rule for w in f.warnings] == ["worse"]
    assert pain.facts(history, NOW, RULES, acked=[f.warnings[0].key]).warnings == ()
    d = f.to_dict()
    assert d["last"]["level"] == 8 and d["sparkline"].endswith("▄▇")


def test_stretch_effect_needs_3_pairs_and_uses_linked_episodes() -> None:
    def stretch(uid: str, hour: int, **kw: object) -> Entry:
        return Entry(uid, "stretch", datetime(2026, 11, 20, hour, tzinfo=timezone.utc), routine="deep", **kw)  # type: ignore[arg-type]

    own = [stretch("s1", 8, pain_before=6, pain_after=4), stretch("s2", 9, pain_before=5, pain_after=4)]
    assert pain.stretch_effect(own) == pain.StretchEffect(2, None)
    report = Entry("r1", "pain", datetime(2026, 11, 20, 10, tzinfo=timezone.utc), level=7, area="hip")
    linked = stretch("s3", 10, episode="r1")
    answer = Entry("a1", "pain", datetime(2026, 11, 20, 11, tzinfo=timezone.utc), level=4, area="hip", episode="r1")
    eff = pain.stretch_effect([*own, report, linked, answer])
    assert eff.pairs == 3
    assert eff.average_change == pytest.approx((-2 - 1 - 3) / 3)


@given(st.lists(st.tuples(st.integers(0, 40), st.integers(0, 10), st.sampled_from(["lower-back", "hip", "leg"]))))
def test_warnings_always_say_seek_medical_attention_and_keys_are_unique(
    reports: list[tuple[int, int, str]],
) -> None:
    history = [p(d, lvl, area) for d, lvl, area in reports]
    warnings = pain.evaluate(history, NOW, RULES)
    assert len({w.key for w in warnings}) == len(warnings)
    for w in warnings:
        assert "seek medical attention" in w.message.lower()
        assert w.since <= TODAY


def test_area_seen_exactly_lookback_days_before_counts_as_seen() -> None:
    now_report = p(0, 4, "hip")
    exactly = Entry("h30", "pain", now_report.at - timedelta(days=30), level=4, area="hip")
    assert "changes" not in rules_fired([exactly, p(10, 4), now_report])
