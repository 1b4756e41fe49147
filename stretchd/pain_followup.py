"""The pain follow-up check-in, planned and answered inside the daemon (a daemon extension)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from stretchd.core import pain as core_pain
from stretchd.daemon import extensions, ops

if TYPE_CHECKING:
    from stretchd.config import Settings
    from stretchd.core.model import Entry
    from stretchd.services import Context

KIND = "pain-followup"
RETRY = timedelta(minutes=10)  # after a failed delivery; a server that appears is noticed sooner
log = logging.getLogger("stretchd.daemon")


def plan(
    now: datetime, entries: Sequence[Entry], docs: Sequence[dict[str, Any]], settings: Settings
) -> tuple[list[extensions.Planned], datetime | None]:
    """The check-in due now (once per pain report), or when to look again."""
    from stretchd import pain as pain_service

    minutes = int(settings["pain.follow_up_minutes"])
    mine = [d for d in docs if d.get("kind") == KIND]
    sent = {str(d.get("ref")) for d in mine if d.get("outcome") == "delivered"}
    fu = core_pain.due_follow_up(entries, now, minutes, sent, grace_minutes=int(settings["reminder.grace_minutes"]))
    if fu is None:
        pending = core_pain.pending_follow_up(entries, minutes, sent)
        return [], pending.due_at if pending is not None and pending.due_at > now else None
    failed = [t for d in mine if d.get("ref") == fu.key and (t := ops.parse_stamp(d.get("at"))) is not None]
    if failed and now - max(failed) < RETRY:
        return [], max(failed) + RETRY
    record = {"kind": KIND, "ref": fu.key, "report": fu.report_uid, "at": now.isoformat()}
    return [extensions.Planned(pain_service.follow_up_notification(fu, minutes), record)], None


def on_action(ctx: Context, record: dict[str, Any], key: str) -> None:
    """A level button on the check-in: recorded as the episode's after-level, as `stretchd pain` would."""
    from stretchd import pain as pain_service
    from stretchd.notify import send_once

    level = core_pain.parse_action_key(key)
    if level is None:
        return
    result = pain_service.answer_follow_up(ctx, str(record.get("report")), level, source="notification")
    if result is None:
        log.info("follow-up answer %d/10 ignored: that episode was already answered", level)
        return
    log.info("follow-up answered: pain now %d/10", level)
    if result.new_warnings:
        # A new warning sign must reach the user now; a one-shot connection, the daemon's own
        # control socket would wait on this very loop.
        send_once(pain_service.report_notification(result), str(ctx.settings["notifications.backend"]))


extensions.register(plan, KIND, on_action)
