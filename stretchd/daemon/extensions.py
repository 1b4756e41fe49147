"""Plug-in points for other features' timed notifications (e.g. pain follow-ups) in the daemon's tick.

A *planner* is a pure-ish function called on every wake-up with what the daemon knows; it returns
the notifications due now and when it next wants to be asked. The daemon sends each one through
its D-Bus connection and writes ``record`` (plus the delivery outcome) to the "sent" table, so the
planner sees its own records next time and never plans the same thing twice. Button presses on
those notifications go to ``ACTION_HANDLERS[record["kind"]]``.

Feature modules register themselves when imported; the daemon imports the modules named in
``PLANNER_MODULES`` at start-up (a missing one is skipped with a warning).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from stretchd.config import Settings
    from stretchd.core.model import Entry
    from stretchd.notify import Notification
    from stretchd.services import Context


@dataclass(frozen=True)
class Planned:
    notification: Notification
    record: dict[str, Any]  # must hold "kind" (not a slot action) and "at"; the daemon adds outcome/id/detail


Planner = Callable[["datetime", "Sequence[Entry]", "Sequence[dict[str, Any]]", "Settings"],
                   "tuple[Sequence[Planned], datetime | None]"]  # fmt: skip
ActionHandler = Callable[["Context", "dict[str, Any]", str], None]

PLANNERS: list[Planner] = []
ACTION_HANDLERS: dict[str, ActionHandler] = {}
PLANNER_MODULES: tuple[str, ...] = ("stretchd.pain_followup",)


def register(planner: Planner, kind: str | None = None, on_action: ActionHandler | None = None) -> None:
    PLANNERS.append(planner)
    if kind is not None and on_action is not None:
        ACTION_HANDLERS[kind] = on_action
