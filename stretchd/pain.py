"""Pain services: record a report (linking follow-up answers), the warnings' shown/acked state, notifications."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from stretchd.core import pain as core
from stretchd.core.model import PAIN_AREAS, Entry
from stretchd.errors import UsageError
from stretchd.notify import Delivery, Notification
from stretchd.services import Context, check_note, parse_at
from stretchd.store import Txn, new_uid

SHOWN_KEY = "pain.warnings.shown"  # warning keys already shown once (terminal + notification)
ACKED_KEY = "pain.warnings.acked"  # warning keys dismissed with `warnings --ack`
KEEP_KEYS = 200  # both lists are trimmed to the most recent keys


@dataclass(frozen=True)
class ReportResult:
    entry: Entry
    answered: Entry | None  # the report whose episode this one answers (its after-level)
    advice: core.Advice
    new_warnings: tuple[core.PainWarning, ...]  # shown now, for the first time in their episode
    active_warnings: tuple[core.PainWarning, ...]  # every active, not dismissed warning


def rules(ctx: Context) -> core.PainRules:
    return core.PainRules.from_settings(ctx.settings)


def check_level_text(text: str) -> int:
    """LEVEL as typed: a whole number 0..10 (``2.5``, ``abc``, ``-1`` and ``11`` are refused)."""
    raw = text.strip()
    if not (raw.isascii() and raw.isdigit()) or not 0 <= int(raw) <= 10:
        raise UsageError(f"LEVEL must be a whole number 0..10, got {text!r}")
    return int(raw)


def check_area(area: str | None) -> str | None:
    if area is None:
        return None
    if area not in PAIN_AREAS:
        raise UsageError(f"--where must be one of {', '.join(PAIN_AREAS)}, got {area!r}")
    return area


def _keys(value: Any) -> list[str]:
    return [k for k in value if isinstance(k, str)] if isinstance(value, list) else []


def _mark_warnings(
    txn: Txn, entries: list[Entry], now: datetime, r: core.PainRules
) -> tuple[list[core.PainWarning], list[core.PainWarning]]:
    """Evaluate the rules; returns (new, active) and remembers the new ones as shown."""
    acked = set(_keys(txn.get_state(ACKED_KEY)))
    shown = _keys(txn.get_state(SHOWN_KEY))
    active = [w for w in core.evaluate(entries, now, r) if w.key not in acked]
    new = [w for w in active if w.key not in shown]
    if new:
        txn.set_state(SHOWN_KEY, (shown + [w.key for w in new])[-KEEP_KEYS:])
    return new, active


def report_pain(
    ctx: Context, level: int, where: str | None = None, note: str | None = None, at: str | None = None,
    *, source: str = "cli",
) -> ReportResult:  # fmt: skip
    """Record a pain report; link it to an open episode; evaluate and mark the warnings, in one transaction."""
    if isinstance(level, bool) or not isinstance(level, int) or not 0 <= level <= 10:
        raise UsageError(f"LEVEL must be a whole number 0..10, got {level!r}")
    area = check_area(where)
    clean_note = check_note(note)
    when = parse_at(at, ctx)
    r = rules(ctx)
    with ctx.store.transaction() as txn:
        entries = txn.entries()
        answered = core.open_episode(entries, when, r.follow_up_minutes, area)
        if answered is not None:
            entry = core.follow_up_answer(answered, uid=new_uid(), level=level, at=when, source=source,
                                          note=clean_note)  # fmt: skip
        else:
            entry = Entry(uid=new_uid(), kind="pain", at=when, level=level, area=area or "lower-back",
                          note=clean_note, source=source)  # fmt: skip
        entry = txn.add(entry)
        new, active = _mark_warnings(txn, [*entries, entry], max(ctx.now, when), r)
    return ReportResult(entry, answered, core.advice(level, r), tuple(new), tuple(active))


def answer_follow_up(ctx: Context, report_uid: str, level: int, *, source: str = "notification") -> ReportResult | None:
    """Record a follow-up button press as the after-level of ``report_uid``'s episode (for the daemon).

    Warnings are evaluated and marked as for any report. None when that report is gone or its
    episode was already answered (e.g. from the terminal).
    """
    if not 0 <= level <= 10:
        raise UsageError(f"pain level must be 0..10, got {level}")
    r = rules(ctx)
    with ctx.store.transaction() as txn:
        entries = txn.entries()
        report = next((e for e in entries if e.uid == report_uid and e.kind == "pain"), None)
        if report is None or any(e.kind == "pain" and e.episode == report_uid for e in entries):
            return None
        answer = core.follow_up_answer(report, uid=new_uid(), level=level, at=ctx.now.replace(microsecond=0),
                                       source=source)  # fmt: skip
        entry = txn.add(answer)
        new, active = _mark_warnings(txn, [*entries, entry], ctx.now, r)
    return ReportResult(entry, report, core.advice(level, r), tuple(new), tuple(active))


def active_warnings(ctx: Context) -> list[core.PainWarning]:
    view = ctx.view()
    acked = set(_keys(view.get_state(ACKED_KEY)))
    return [w for w in core.evaluate(view.entries(), ctx.now, rules(ctx)) if w.key not in acked]


def ack_warnings(ctx: Context) -> list[core.PainWarning]:
    """Dismiss the active warnings until a rule fires again (a new run gets a new key)."""
    with ctx.store.transaction() as txn:
        acked = _keys(txn.get_state(ACKED_KEY))
        active = [w for w in core.evaluate(txn.entries(), ctx.now, rules(ctx)) if w.key not in acked]
        if active:
            txn.set_state(ACKED_KEY, (acked + [w.key for w in active])[-KEEP_KEYS:])
            shown = _keys(txn.get_state(SHOWN_KEY))
            txn.set_state(SHOWN_KEY, (shown + [w.key for w in active if w.key not in shown])[-KEEP_KEYS:])
    return active


def facts(ctx: Context) -> core.PainFacts:
    view = ctx.view()
    acked = _keys(view.get_state(ACKED_KEY))
    return core.facts(view.entries(), ctx.now, rules(ctx), acked)


# ---------------------------------------------------------------- notifications


def to_notification(message: core.Message, *, urgency: int = 1) -> Notification:
    return Notification(message.summary, message.body, actions=message.actions, urgency=urgency,
                        category="x-stretchd.pain")  # fmt: skip


def report_notification(result: ReportResult) -> Notification:
    e = result.entry
    assert e.level is not None
    msg = core.report_message(e.level, e.area or "lower-back", result.advice, result.new_warnings)
    return to_notification(msg, urgency=2 if result.new_warnings else 1)


def follow_up_notification(fu: core.FollowUp, minutes: int) -> Notification:
    """The check-in the daemon sends when :func:`stretchd.core.pain.due_follow_up` returns one."""
    return to_notification(core.follow_up_message(fu, minutes))


def notify(ctx: Context, n: Notification) -> Delivery:
    """Through the running daemon when it answers, otherwise directly; never raises."""
    if ctx.paths.control_socket.exists():
        from stretchd.control import request

        reply = request(ctx.paths, {"cmd": "notify", "summary": n.summary, "body": n.body,
                                    "actions": [list(a) for a in n.actions], "urgency": n.urgency, "kind": "pain"})  # fmt: skip
        if reply is not None and reply.get("ok"):
            return Delivery("delivered", "daemon", detail=str(reply.get("detail", "")))
    from stretchd.notify import send_once

    return send_once(n, backend=str(ctx.settings["notifications.backend"]))
