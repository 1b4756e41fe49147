"""Resume from suspend: logind's PrepareForSleep(false) on the system bus wakes the scheduler at once."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger("stretchd.logind")
PATH = "/org/freedesktop/login1"
INTERFACE = "org.freedesktop.login1.Manager"


class SleepWatcher:
    """Calls ``on_resume()`` after every resume; with no system bus it says so once and does nothing."""

    def __init__(self, on_resume: Callable[[], None]) -> None:
        self.on_resume = on_resume
        self.active = False
        self._conn: Any = None
        self._router: Any = None
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> bool:
        from jeepney import MatchRule, message_bus
        from jeepney.io.asyncio import DBusRouter, Proxy, open_dbus_connection

        try:
            self._conn = await asyncio.wait_for(open_dbus_connection("SYSTEM"), 5)
            self._router = DBusRouter(self._conn)
            rule = MatchRule(type="signal", interface=INTERFACE, member="PrepareForSleep", path=PATH)
            queue: asyncio.Queue[Any] = asyncio.Queue(16)
            self._router.filter(rule, queue=queue)
            await asyncio.wait_for(Proxy(message_bus, self._router).AddMatch(rule), 5)
        except Exception as exc:  # no system bus, or it refused us: the periodic check covers resumes
            log.warning("no system bus (%s): resumes are noticed by a periodic check only", exc or type(exc).__name__)
            await self.close()
            return False
        self._task = asyncio.create_task(self._listen(queue))
        self.active = True
        log.debug("listening for logind PrepareForSleep on the system bus")
        return True

    async def _listen(self, queue: asyncio.Queue[Any]) -> None:
        while True:
            msg = await queue.get()
            if msg.body and msg.body[0] is False:
                log.info("resumed from suspend: checking for missed reminders")
                self.on_resume()

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        from stretchd.notify.dbus_async import close_quietly

        await close_quietly(self._router, self._conn)
        self._router = self._conn = None
        self.active = False
