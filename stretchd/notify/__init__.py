"""Desktop notifications: the message model, the Notifier port, and a one-shot sender for the CLI."""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Protocol

APP_NAME = "stretchd"
ICON = Path(__file__).resolve().parent.parent / "data" / "stretchd.svg"
Outcome = Literal["delivered", "no-server", "error"]


@dataclass(frozen=True)
class Notification:
    """What to show. ``body`` is plain text: backends escape it for servers that parse markup."""

    summary: str
    body: str
    actions: tuple[tuple[str, str], ...] = ()  # (key, label); shown only where the server has buttons
    urgency: int = 1  # 0 low, 1 normal, 2 critical
    expire_ms: int = 15 * 60 * 1000  # 0 = until dismissed
    replaces_id: int = 0
    category: str = "x-stretchd.reminder"


@dataclass(frozen=True)
class Delivery:
    """The outcome of one attempt; every attempt is recorded, none is silent."""

    outcome: Outcome
    backend: str
    id: int | None = None
    detail: str = ""


@dataclass(frozen=True)
class ServerInfo:
    name: str
    vendor: str
    version: str
    spec_version: str
    capabilities: tuple[str, ...] = field(default=())

    @property
    def actions(self) -> bool:
        return "actions" in self.capabilities

    @property
    def markup(self) -> bool:
        return "body-markup" in self.capabilities


class Notifier(Protocol):
    def send(self, notification: Notification) -> Delivery: ...


class RecordingNotifier:
    """A real, small notifier for tests of code that sends: it keeps what it was given."""

    def __init__(self, outcome: Outcome = "delivered") -> None:
        self.sent: list[Notification] = []
        self.outcome: Outcome = outcome

    def send(self, notification: Notification) -> Delivery:
        self.sent.append(notification)
        return Delivery(self.outcome, "recording", len(self.sent))


def escape_markup(text: str) -> str:
    """Escape for servers that advertise ``body-markup`` (a subset of HTML)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def send_once(notification: Notification, backend: str = "auto") -> Delivery:
    """Send one notification without a daemon (CLI paths): D-Bus first, then plyer.

    Never raises for delivery problems; the Delivery says what happened.
    """
    if backend in ("auto", "dbus"):
        from stretchd.notify import dbus_blocking

        result = dbus_blocking.send(notification)
        # On Linux plyer ends up on the same session bus (and hides its failures): no point.
        if result.outcome == "delivered" or backend == "dbus" or sys.platform.startswith("linux"):
            return result
    from stretchd.notify import plyer_backend

    return plyer_backend.send(notification)
