"""The daemon's one long-lived session-bus connection (jeepney asyncio): Notify, buttons, server changes.

ActionInvoked/NotificationClosed reach only the connection that sent the notification, and a
match on the well-known name matches nothing (FINDINGS.md): we resolve the server's unique name
with GetNameOwner, follow NameOwnerChanged, and accept signals only from that unique name.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

from stretchd.notify import Delivery, Notification, ServerInfo
from stretchd.notify.dbus_blocking import BUS_NAME, INTERFACE, OBJECT_PATH, notify_args

log = logging.getLogger("stretchd.notify")
CALL_TIMEOUT = 5.0

ActionHandler = Callable[[int, str], None]
ClosedHandler = Callable[[int, int], None]
ServerHandler = Callable[[bool], None]


class SessionNotifier:
    """Sends notifications and reports button presses; reconnects when asked after a failure."""

    def __init__(self, on_action: ActionHandler, on_closed: ClosedHandler, on_server: ServerHandler) -> None:
        self.on_action = on_action
        self.on_closed = on_closed
        self.on_server = on_server
        self.info: ServerInfo | None = None
        self.owner: str | None = None
        self._conn: Any = None
        self._router: Any = None
        self._queue: asyncio.Queue[Any] = asyncio.Queue(256)
        self._filter: Any = None
        self._consumer: asyncio.Task[None] | None = None
        self.last_error = ""

    @property
    def connected(self) -> bool:
        return self._router is not None and not self._router._rcv_task.done()

    async def connect(self) -> bool:
        """Open the session bus; False (and ``last_error``) when there is none."""
        if self.connected:
            return True
        await self.close()
        from jeepney import MatchRule, message_bus
        from jeepney.io.asyncio import DBusRouter, Proxy, open_dbus_connection

        try:
            self._conn = await asyncio.wait_for(open_dbus_connection("SESSION"), CALL_TIMEOUT)
        except (OSError, ValueError, KeyError, asyncio.TimeoutError) as exc:
            self.last_error = f"cannot connect to the session bus: {exc or type(exc).__name__}"
            self._conn = None
            return False
        self._router = DBusRouter(self._conn)
        self._filter = self._router.filter(MatchRule(type="signal"), queue=self._queue)
        self._consumer = asyncio.create_task(self._consume())
        bus = Proxy(message_bus, self._router)
        owner_rule = MatchRule(type="signal", sender="org.freedesktop.DBus", interface="org.freedesktop.DBus",
                               member="NameOwnerChanged", path="/org/freedesktop/DBus")  # fmt: skip
        owner_rule.add_arg_condition(0, BUS_NAME)
        try:
            await asyncio.wait_for(bus.AddMatch(owner_rule), CALL_TIMEOUT)
            await asyncio.wait_for(
                bus.AddMatch(MatchRule(type="signal", interface=INTERFACE, path=OBJECT_PATH)), CALL_TIMEOUT
            )
        except Exception as exc:  # a bus that refuses match rules is as good as none
            self.last_error = f"session bus refused a match rule: {exc}"
            await self.close()
            return False
        await self.refresh_server()
        return True

    async def refresh_server(self) -> ServerInfo | None:
        """Resolve the server's unique name and capabilities; None when no server owns the name."""
        from jeepney import DBusErrorResponse, message_bus, new_method_call
        from jeepney.io.asyncio import Proxy

        from stretchd.notify.dbus_blocking import _address

        self.info, self.owner = None, None
        if not self.connected:
            return None
        try:
            (owner,) = await asyncio.wait_for(Proxy(message_bus, self._router).GetNameOwner(BUS_NAME), CALL_TIMEOUT)
            addr = _address()
            reply = await asyncio.wait_for(
                self._router.send_and_get_reply(new_method_call(addr, "GetServerInformation")), CALL_TIMEOUT
            )
            caps = await asyncio.wait_for(
                self._router.send_and_get_reply(new_method_call(addr, "GetCapabilities")), CALL_TIMEOUT
            )
            if reply.header.message_type.name == "error" or caps.header.message_type.name == "error":
                self.last_error = "the notification server answered with an error"
                return None
            name, vendor, version, spec = reply.body
            self.owner = str(owner)
            self.info = ServerInfo(name, vendor, version, spec, tuple(caps.body[0]))
        except DBusErrorResponse as exc:
            self.last_error = f"no notification server on the session bus ({exc.name})"
        except (OSError, asyncio.TimeoutError, ValueError) as exc:
            self.last_error = f"notification server did not answer: {exc or type(exc).__name__}"
        return self.info

    async def send(self, n: Notification) -> Delivery:
        """One Notify call; never raises. no-server when the bus or the server is missing."""
        from jeepney import new_method_call

        from stretchd.notify.dbus_blocking import _address

        if not await self.connect():
            return Delivery("no-server", "dbus", detail=self.last_error)
        if self.info is None and await self.refresh_server() is None:
            return Delivery("no-server", "dbus", detail=self.last_error)
        msg = new_method_call(_address(), "Notify", "susssasa{sv}i", notify_args(n, self.info))
        try:
            reply = await asyncio.wait_for(self._router.send_and_get_reply(msg), CALL_TIMEOUT)
        except (OSError, asyncio.TimeoutError, ValueError, RuntimeError) as exc:
            await self.close()  # a broken connection is reopened on the next attempt
            return Delivery("error", "dbus", detail=f"Notify failed: {exc or type(exc).__name__}")
        if reply.header.message_type.name == "error":
            error_name = reply.header.fields.get(_error_name_field(), "?")
            self.info = None  # the server may have gone; ask again next time
            return Delivery("error", "dbus", detail=f"Notify failed: {error_name}: {reply.body}")
        assert self.info is not None
        return Delivery("delivered", "dbus", int(reply.body[0]), detail=f"{self.info.name} {self.info.version}")

    async def withdraw(self, nid: int) -> bool:
        """CloseNotification: take a reminder off the screen once it no longer applies; never raises."""
        from jeepney import new_method_call

        from stretchd.notify.dbus_blocking import _address

        if self._router is None:
            return False
        msg = new_method_call(_address(), "CloseNotification", "u", (nid,))
        try:
            reply = await asyncio.wait_for(self._router.send_and_get_reply(msg), CALL_TIMEOUT)
        except (OSError, asyncio.TimeoutError, ValueError, RuntimeError):
            return False
        return bool(reply.header.message_type.name != "error")

    async def _consume(self) -> None:
        from jeepney import HeaderFields

        while True:
            msg = await self._queue.get()
            try:
                member = msg.header.fields.get(HeaderFields.member)
                sender = msg.header.fields.get(HeaderFields.sender)
                if member == "NameOwnerChanged" and msg.body and msg.body[0] == BUS_NAME:
                    new_owner = msg.body[2]
                    log.info("notification server %s", "appeared" if new_owner else "went away")
                    if new_owner:
                        await self.refresh_server()
                    else:
                        self.info, self.owner = None, None
                    self.on_server(bool(new_owner))
                elif sender is None or sender != self.owner:
                    continue  # from anyone but the server: ignore (a forged button press)
                elif member == "ActionInvoked":
                    self.on_action(int(msg.body[0]), str(msg.body[1]))
                elif member == "NotificationClosed":
                    self.on_closed(int(msg.body[0]), int(msg.body[1]))
            except Exception:  # one bad message must not end the listener
                log.exception("could not handle a D-Bus signal")

    async def close(self) -> None:
        if self._consumer is not None:
            self._consumer.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._consumer
            self._consumer = None
        if self._filter is not None:
            self._filter.close()
            self._filter = None
        await close_quietly(self._router, self._conn)
        self._router = self._conn = None
        self.info, self.owner = None, None


async def close_quietly(router: Any, conn: Any) -> None:
    """Close a jeepney router and its connection; errors on the way out change nothing."""
    if router is not None:
        with contextlib.suppress(Exception):
            await router.__aexit__(None, None, None)
    if conn is not None:
        with contextlib.suppress(Exception):
            await conn.close()


def _error_name_field() -> Any:
    from jeepney import HeaderFields

    return HeaderFields.error_name
