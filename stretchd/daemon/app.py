"""The daemon's composition root: config, store, clock, scheduler, D-Bus and control socket in one loop.

Every wake-up (a slot's cron fire, the next nudge/snooze/retry, a resume, start-up, a reload,
the coarse periodic check, a button press) calls :meth:`Daemon.tick`, which asks the pure core
what is due, sends it, and records it in the store's "sent" table: at most one reminder per slot.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import signal
import sys
import time as _time
from datetime import datetime, timedelta
from typing import Any, ClassVar

from stretchd import config as config_mod
from stretchd.clock import SystemClock, local_zone
from stretchd.config import Settings
from stretchd.core import slots
from stretchd.core.stats import summarize
from stretchd.daemon import extensions, messages, ops, sdnotify
from stretchd.daemon.control_server import ControlServer
from stretchd.errors import StretchdError
from stretchd.notify import Delivery, Notification
from stretchd.paths import Paths, ensure_private_dir, resolve
from stretchd.services import Context
from stretchd.store import Store

log = logging.getLogger("stretchd")
PERIODIC_CHECK = 120.0  # seconds: the coarse safety net (missed resumes, clock jumps, store retries)
CLOCK_JUMP = 30.0  # seconds of wall-vs-monotonic drift that count as a suspend or a clock change
FLOOR_SLACK = timedelta(seconds=5)


class AlreadyRunning(StretchdError):
    exit_code = 1


# ---------------------------------------------------------------- logging


class _JournalFormatter(logging.Formatter):
    """``<N>message`` for journald (it adds its own timestamps), else a timestamped line."""

    PRIORITY: ClassVar[dict[int, int]] = {
        logging.DEBUG: 7,
        logging.INFO: 6,
        logging.WARNING: 4,
        logging.ERROR: 3,
        logging.CRITICAL: 2,
    }

    def __init__(self, journal: bool) -> None:
        super().__init__("%(message)s" if journal else "%(asctime)s stretchd[%(process)d] %(levelname)s %(message)s")
        self.journal = journal

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if self.journal:
            return f"<{self.PRIORITY.get(record.levelno, 6)}>" + text.replace("\n", "\n  ")
        return text


def setup_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_JournalFormatter(bool(os.environ.get("JOURNAL_STREAM"))))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    logging.getLogger("apscheduler").setLevel(logging.INFO if verbose else logging.WARNING)
    logging.getLogger("asyncio").setLevel(logging.WARNING)


# ---------------------------------------------------------------- one daemon per user


def acquire_daemon_lock(paths: Paths) -> int:
    """Hold an flock on the daemon lock file for the life of the process; AlreadyRunning if taken."""
    ensure_private_dir(paths.runtime_dir)
    fd = os.open(paths.daemon_lock_file, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        from stretchd.control import request

        reply = request(paths, {"cmd": "status"}, timeout=1.0)
        pid = f" (pid {reply['pid']})" if reply and reply.get("pid") else ""
        raise AlreadyRunning(
            f"another stretchd daemon is already running{pid}", hint="see `stretchd status`; stop it first"
        ) from None
    return fd


# ---------------------------------------------------------------- the daemon


class Daemon:
    def __init__(self, paths: Paths, settings: Settings) -> None:
        self.paths = paths
        self.settings = settings
        self.tz = local_zone()
        self.clock = SystemClock(self.tz)
        self.store = Store(paths)
        self.stop_event = asyncio.Event()
        self.pending: list[dict[str, Any]] = []  # "sent" records the store refused (disk full): kept, retried
        self.by_id: dict[int, dict[str, Any]] = {}  # notification id -> its "sent" record
        self.next_wakeup: datetime | None = None
        self.scheduler: Any = None
        self.notifier: Any = None
        self.sleep_watcher: Any = None
        self.control = ControlServer(paths.control_socket, self.handle)
        self._tick_lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._last_status = ""

    # -- wiring

    async def start(self) -> None:
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        from stretchd.daemon.logind import SleepWatcher
        from stretchd.notify.dbus_async import SessionNotifier

        loop = asyncio.get_running_loop()
        grace = int(self.settings["reminder.grace_minutes"]) * 60
        # Generous grace + coalesce: a late run (after suspend) still runs, once (FINDINGS.md).
        self.scheduler = AsyncIOScheduler(
            event_loop=loop,
            timezone=self.tz,
            job_defaults={"misfire_grace_time": max(grace, 60), "coalesce": True, "max_instances": 1},
        )
        self._schedule_slots()
        self.scheduler.start()
        self.notifier = SessionNotifier(self._on_action, self._on_closed, self._on_server)
        if self.settings["notifications.backend"] != "plyer":
            if await self.notifier.connect():
                info = self.notifier.info
                log.info("notification server: %s", f"{info.name} {info.version}, {', '.join(info.capabilities)}"
                         if info else f"none yet ({self.notifier.last_error})")  # fmt: skip
            else:
                log.warning("%s; will retry", self.notifier.last_error)
        self.sleep_watcher = SleepWatcher(self._on_resume)
        await self.sleep_watcher.start()
        await self.control.start()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.stop_event.set)
        loop.add_signal_handler(signal.SIGHUP, lambda: self._spawn(self.reload("SIGHUP")))
        self._load_extensions()
        self._mark_since()
        await self.tick("start-up")
        self._spawn(self._periodic())
        interval = sdnotify.watchdog_interval()
        if interval:
            self._spawn(self._watchdog(interval))
        sdnotify.notify("READY=1\n" + self._status_line())
        log.info("stretchd daemon ready (pid %d); %s", os.getpid(), self._status_line()[len("STATUS=") :])

    @staticmethod
    def _load_extensions() -> None:
        import importlib

        for name in extensions.PLANNER_MODULES:
            try:
                importlib.import_module(name)
            except ImportError as exc:
                log.warning("extension %s not loaded: %s", name, exc)

    async def run(self) -> None:
        try:
            await self.start()
            await self.stop_event.wait()
        finally:
            await self.shutdown()

    async def shutdown(self) -> None:
        sdnotify.notify("STOPPING=1")
        for task in list(self._tasks):
            task.cancel()
        if self.scheduler is not None and self.scheduler.running:
            self.scheduler.shutdown(wait=False)
        await self.control.close()
        for part in (self.notifier, self.sleep_watcher):
            if part is not None:
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(part.close(), 0.5)
        log.info("stopped")

    def _spawn(self, coro: Any) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _schedule_slots(self) -> None:
        from apscheduler.triggers.cron import CronTrigger

        for job in self.scheduler.get_jobs():
            if job.id.startswith("slot-"):
                job.remove()
        for r in self.settings.reminders:
            trigger = CronTrigger(hour=r.time.hour, minute=r.time.minute, second=r.time.second, timezone=self.tz)
            self.scheduler.add_job(self._slot_fired, trigger, args=[r.label], id=f"slot-{r.label}",
                                   name=f"reminder {r.label}", replace_existing=True)  # fmt: skip

    async def _slot_fired(self, label: str) -> None:
        # Timers may wake a hair early; the slot has begun by definition when its job runs.
        now = self.clock.now()
        floor = None
        for s in slots.slots_of_day(now.date(), self.settings.reminders, self.tz):
            if s.label == label and abs(s.at - now) < FLOOR_SLACK:
                floor = s.at
        await self.tick(f"slot {label}", floor=floor)

    def _set_wakeup(self, when: datetime | None) -> None:
        from apscheduler.triggers.date import DateTrigger

        if when == self.next_wakeup:
            return  # rescheduling wakes the scheduler: only when something changed
        self.next_wakeup = when
        with contextlib.suppress(Exception):
            self.scheduler.remove_job("wake")
        if when is not None:
            self.scheduler.add_job(self._wake, DateTrigger(run_date=when, timezone=self.tz), id="wake", name="wake")

    async def _wake(self) -> None:
        self.next_wakeup = None
        await self.tick("timer")

    async def _periodic(self) -> None:
        wall, mono = _time.time(), _time.monotonic()
        while True:
            await asyncio.sleep(PERIODIC_CHECK)
            now_wall, now_mono = _time.time(), _time.monotonic()
            drift = (now_wall - wall) - (now_mono - mono)
            wall, mono = now_wall, now_mono
            if abs(drift) > CLOCK_JUMP:
                log.info("wall clock moved %+.0f s against the monotonic clock (suspend or clock change)", drift)
                self.scheduler.wakeup()
                self.next_wakeup = None  # re-add the wake job so it is computed from the new wall time
            retry = False
            if self.notifier is not None and not self.notifier.connected and self._uses_dbus():
                retry = await self.notifier.connect()
            await self.tick("periodic check", retry=retry)

    async def _watchdog(self, interval: float) -> None:
        while True:
            sdnotify.notify("WATCHDOG=1")
            await asyncio.sleep(interval)

    def _uses_dbus(self) -> bool:
        return str(self.settings["notifications.backend"]) != "plyer"

    # -- events

    def _on_resume(self) -> None:
        self.scheduler.wakeup()
        self.next_wakeup = None
        self._spawn(self.tick("resume"))

    def _on_server(self, present: bool) -> None:
        if present:
            self._spawn(self.tick("notification server appeared", retry=True))

    def _on_closed(self, nid: int, reason: int) -> None:
        log.debug("notification %d closed (reason %d)", nid, reason)

    def _on_action(self, nid: int, key: str) -> None:
        self._spawn(self._action(nid, key))

    def _find_sent(self, nid: int) -> dict[str, Any] | None:
        """The record of notification ``nid``: this run's, else a recent one (a press after a restart)."""
        if nid in self.by_id:
            return self.by_id[nid]
        cutoff = self.clock.now() - timedelta(days=1)
        try:
            docs: list[dict[str, Any]] = self.store.records("sent")
        except StretchdError:
            return None
        for doc in reversed(docs):
            at = ops.parse_stamp(doc.get("at"))
            if doc.get("id") == nid and doc.get("outcome") == "delivered" and at is not None and at >= cutoff:
                return dict(doc)
        return None

    async def _action(self, nid: int, key: str) -> None:
        # Sending and recording a notification happen under the tick lock: a press that arrives
        # right after Notify's reply waits here until its record exists, instead of being lost.
        async with self._tick_lock:
            doc = self._find_sent(nid)
        if doc is None or key == "default":
            return
        now = self.clock.now()
        kind = str(doc.get("kind"))
        day, label = str(doc.get("day", "")), str(doc.get("slot", ""))
        ctx = Context(self.paths, self.settings, self.store, self.tz, now)
        try:
            if kind not in slots.SENDING_KINDS:
                handler = extensions.ACTION_HANDLERS.get(str(doc.get("notify_kind") or kind))
                if handler is not None:
                    handler(ctx, doc, key)
                else:
                    self._record({"kind": "action", "of": doc.get("notify_kind") or kind, "ref": doc.get("ref"),
                                  "key": key, "id": nid, "at": now.isoformat(), "outcome": None})  # fmt: skip
            elif key == "done":
                from stretchd import services

                routine = doc.get("routine") or self.settings.routine_for(label)
                entry, summary = services.log_stretch(ctx, routine=str(routine), at=None, source="notification")
                log.info("Done pressed: logged %s stretch for %s (today %d/%d)", entry.routine, label,
                         summary.done_today, summary.target)  # fmt: skip
            elif key == "snooze":
                minutes = int(self.settings["reminder.snooze_minutes"])
                until = ops.snooze(ctx, timedelta(minutes=minutes))
                log.info("Snooze pressed: %s reminded again at %s", label, until.strftime("%H:%M:%S"))
            elif key == "skip":
                self._record({"kind": "skipped", "day": day, "slot": label, "at": now.isoformat(), "outcome": None})
                log.info("Skip pressed: no more reminders for the %s slot of %s", label, day)
            else:
                return
        except StretchdError as exc:
            log.error(  # noqa: TRY400 (an expected failure: one line, no traceback)
                "could not act on %r for %s: %s", key, label or kind, exc
            )
            await self._send(Notification("stretchd could not save that", f"{exc}. Please try again from a terminal."))
            return
        except Exception:  # another feature's handler must not end the daemon
            log.exception("handling %r on notification %d failed", key, nid)
            return
        await self.tick(f"button {key}")

    # -- the one idempotent wake-up

    def _record(self, doc: dict[str, Any]) -> None:
        """Write a "sent" record; on a write error keep it in memory and retry later (never crash)."""
        self.pending.append(doc)
        self._flush()

    def _flush(self) -> None:
        if not self.pending:
            return
        try:
            with self.store.transaction() as txn:
                for doc in self.pending:
                    txn.record("sent", doc)
            self.pending.clear()
        except StretchdError as exc:
            log.error(  # noqa: TRY400 (an expected failure: one line, no traceback)
                "cannot write to the history (%s); %d record(s) kept in memory, retrying later",
                      exc, len(self.pending))  # fmt: skip

    async def tick(self, reason: str, *, retry: bool = False, floor: datetime | None = None) -> None:
        try:
            async with self._tick_lock:
                await self._tick(reason, retry, floor)
        except Exception:  # a tick must never end the daemon: log and let the next wake-up retry
            log.exception("tick (%s) failed", reason)

    async def _tick(self, reason: str, retry: bool, floor: datetime | None) -> None:
        now = self.clock.now()
        if floor is not None and floor > now:
            now = floor.astimezone(self.tz)  # local: today's progress is counted for the local date
        self._flush()
        try:
            entries = self.store.entries()
            docs = self.store.records("sent")
            snooze = ops.parse_stamp(self.store.get_state(ops.SNOOZE_KEY))
            since = ops.parse_stamp(self.store.get_state(ops.SINCE_KEY))
            caution = not self.store.get_state(ops.CAUTIONS_ACK_KEY) and not self.store.get_state(
                ops.CAUTIONS_SHOWN_KEY
            )
        except StretchdError as exc:
            log.error(  # noqa: TRY400 (an expected failure: one line, no traceback)
                "cannot read the history (%s); retrying at the next check", exc
            )
            return
        docs = docs + self.pending
        decision = slots.decide(now, self.settings.reminders, self.tz, entries, ops.sent_records(docs),
                                ops.policy(self.settings), snooze, retry_failed_now=retry, since=since)  # fmt: skip
        log.debug("tick (%s) at %s: %d due, next wake-up %s", reason, now.isoformat(timespec="seconds"),
                  len(decision.due), decision.next_wakeup)  # fmt: skip
        for due in decision.due:
            if due.action == "missed":
                log.info("recorded as missed: %s %s (no reminder was shown in time)", due.slot.day, due.slot.label)
                self._record(slots.to_record(due, now, None))
                continue
            progress = summarize(entries, self.settings.daily_target, now.date(), window=1)
            buttons = self.notifier is not None and self.notifier.info is not None and self.notifier.info.actions
            note = messages.reminder(
                due, progress,
                snooze_minutes=int(self.settings["reminder.snooze_minutes"]),
                expire_minutes=int(self.settings["reminder.expire_minutes"]),
                buttons=bool(buttons) or self.notifier is None, caution=caution,
                replaces_id=self._last_id(docs, due) if due.action in ("nudge", "snoozed") else 0,
            )  # fmt: skip
            delivery = await self._send(note)
            doc = slots.to_record(due, now, delivery.outcome)
            doc.update(routine=due.slot.routine, backend=delivery.backend, id=delivery.id, detail=delivery.detail,
                       sent_at=self.clock.now().isoformat())  # fmt: skip
            self._record(doc)
            if delivery.outcome == "delivered":
                log.info("%s for %s %s sent (%s, id %s)", due.action, due.slot.day, due.slot.label,
                         delivery.backend, delivery.id)  # fmt: skip
                if delivery.id is not None:
                    self.by_id[delivery.id] = doc
                if caution:
                    caution = False
                    self._set_state(ops.CAUTIONS_SHOWN_KEY, now.isoformat())
            else:
                log.warning("%s for %s %s not delivered: %s (%s); will retry", due.action, due.slot.day,
                            due.slot.label, delivery.outcome, delivery.detail)  # fmt: skip
        await self._withdraw_done(now, entries)
        extra_wakeups = await self._run_planners(now, entries, docs)
        if decision.due:
            # What we just recorded changes what is next (nudges): ask once more, without sending.
            try:
                docs = self.store.records("sent") + self.pending
            except StretchdError:
                docs = docs + self.pending
            decision = slots.decide(now, self.settings.reminders, self.tz, entries, ops.sent_records(docs),
                                    ops.policy(self.settings), snooze, since=since)  # fmt: skip
        self._set_wakeup(min([w for w in (decision.next_wakeup, *extra_wakeups) if w is not None], default=None))
        status = self._status_line()
        if status != self._last_status:
            self._last_status = status
            sdnotify.notify(status)

    async def _withdraw_done(self, now: datetime, entries: list[Any]) -> None:
        """A reminder still on screen for a slot now done (logged in the terminal, say) is closed."""
        if self.notifier is None or not self.by_id:
            return
        today = now.date()
        done = slots.satisfied(today, self.settings.reminders, self.tz, entries)
        for nid, doc in list(self.by_id.items()):
            if (
                doc.get("kind") in slots.SENDING_KINDS
                and doc.get("day") == today.isoformat()
                and doc.get("slot") in done
            ):
                del self.by_id[nid]
                if await self.notifier.withdraw(nid):
                    log.info("reminder for %s withdrawn: the stretch is logged", doc.get("slot"))

    async def _run_planners(self, now: datetime, entries: list[Any], docs: list[dict[str, Any]]) -> list[datetime]:
        """Other features' timed notifications (extensions.PLANNERS): sent and recorded like reminders."""
        wakeups: list[datetime] = []
        for planner in extensions.PLANNERS:
            try:
                planned, wake = planner(now, entries, docs, self.settings)
            except Exception:  # another feature's bug must not stop reminders
                log.exception("planner %s failed", getattr(planner, "__name__", planner))
                continue
            if wake is not None and wake > now:
                wakeups.append(wake)
            for item in planned:
                delivery = await self._send(item.notification)
                doc = {"day": now.date().isoformat(), "slot": "", "at": now.isoformat(), **item.record,
                       "outcome": delivery.outcome, "backend": delivery.backend, "id": delivery.id,
                       "detail": delivery.detail}  # fmt: skip
                self._record(doc)
                if delivery.outcome == "delivered" and delivery.id is not None:
                    self.by_id[delivery.id] = doc
                log.info("%s sent: %s", doc.get("kind"), delivery.outcome)
        return wakeups

    def _mark_since(self) -> None:
        """Remember when reminders were first on: slots before that (minus the grace) are never judged."""
        try:
            if ops.parse_stamp(self.store.get_state(ops.SINCE_KEY)) is None:
                grace = timedelta(minutes=int(self.settings["reminder.grace_minutes"]))
                self._set_state(ops.SINCE_KEY, (self.clock.now() - grace).isoformat())
        except StretchdError as exc:
            log.error("cannot read the history: %s", exc)  # noqa: TRY400 (expected: one line)

    def _set_state(self, key: str, value: Any) -> None:
        try:
            with self.store.transaction() as txn:
                txn.set_state(key, value)
        except StretchdError as exc:
            log.error(  # noqa: TRY400 (an expected failure: one line, no traceback)
                "cannot write %s: %s", key, exc
            )

    @staticmethod
    def _last_id(docs: list[dict[str, Any]], due: slots.Due) -> int:
        day = due.slot.day.isoformat()
        for doc in reversed(docs):
            if doc.get("day") == day and doc.get("slot") == due.slot.label and isinstance(doc.get("id"), int):
                return int(doc["id"])
        return 0

    async def _send(self, n: Notification) -> Delivery:
        backend = str(self.settings["notifications.backend"])
        delivery: Delivery | None = None
        if backend != "plyer" and self.notifier is not None:
            delivery = await self.notifier.send(n)
            if delivery.outcome == "delivered" or backend == "dbus" or sys.platform.startswith("linux"):
                return delivery  # on Linux plyer would only reach the same bus, and hide its failure
        from stretchd.notify import plyer_backend

        try:
            return await asyncio.wait_for(asyncio.to_thread(plyer_backend.send, n), 10)
        except asyncio.TimeoutError:
            return Delivery("error", "plyer", detail="plyer did not return within 10 s")

    def _status_line(self) -> str:
        upcoming = slots.upcoming(self.clock.now(), self.settings.reminders, self.tz, count=1)
        if not upcoming:
            return "STATUS=no reminder times configured"
        s = upcoming[0]
        return (
            f"STATUS=next reminder {s.label} ({s.routine}) at {s.at.astimezone(self.tz).isoformat(timespec='seconds')}"
        )

    # -- reload and control

    async def reload(self, reason: str) -> dict[str, Any]:
        try:
            settings = config_mod.load(self.paths.config_file)
        except StretchdError as exc:
            problems = getattr(exc, "problems", None) or [str(exc)]
            log.error(  # noqa: TRY400 (an expected failure: one line, no traceback)
                "reload (%s): config is invalid, keeping the previous one: %s", reason, "; ".join(problems)
            )
            await self.tick(f"reload ({reason})")
            return {"ok": False, "error": f"invalid config, kept the previous one: {exc}"}
        changed = settings.reminders != self.settings.reminders
        self.settings = settings
        if changed:
            self._schedule_slots()
            log.info("reload (%s): reminder times now %s", reason, ", ".join(r.label for r in settings.reminders))
        else:
            log.debug("reload (%s)", reason)
        self.next_wakeup = None
        await self.tick(f"reload ({reason})")
        return {"ok": True}

    def _context(self) -> Context:
        return Context(self.paths, self.settings, self.store, self.tz, self.clock.now())

    async def status(self) -> dict[str, Any]:
        out = ops.status(self._context(), running=True)
        out["pid"] = os.getpid()
        info = self.notifier.info if self.notifier is not None else None
        out["server"] = (
            {"name": info.name, "vendor": info.vendor, "version": info.version, "capabilities": list(info.capabilities)}
            if info
            else None
        )
        out["backend"] = str(self.settings["notifications.backend"])
        out["resume_watch"] = "logind" if self.sleep_watcher is not None and self.sleep_watcher.active else "periodic"
        out["next_wakeup"] = self.next_wakeup.isoformat() if self.next_wakeup else None
        out["pending_writes"] = len(self.pending)
        return out

    async def handle(self, req: dict[str, Any]) -> dict[str, Any]:
        cmd = req["cmd"]
        try:
            if cmd == "reload":
                return await self.reload(str(req.get("reason", "control")))
            if cmd == "status":
                return {"ok": True, **(await self.status())}
            if cmd in ("snooze", "pause", "resume"):
                # The CLI already wrote the new state to the store; re-evaluate with it.
                self.next_wakeup = None
                await self.tick(cmd)
                return {"ok": True}
            if cmd == "notify":
                return await self._notify_command(req)
        except StretchdError as exc:
            return {"ok": False, "error": str(exc)}
        return {"ok": False, "error": f"unknown command {cmd!r}"}

    async def _notify_command(self, req: dict[str, Any]) -> dict[str, Any]:
        summary, body, kind = req.get("summary"), req.get("body", ""), req.get("kind", "message")
        raw_actions = req.get("actions") or []
        if not isinstance(summary, str) or not summary or not isinstance(body, str) or not isinstance(kind, str):
            return {"ok": False, "error": "notify needs a non-empty summary and text body and kind"}
        try:
            acts = tuple((str(k), str(label)) for k, label in raw_actions)
        except (TypeError, ValueError):
            return {"ok": False, "error": "actions must be a list of [key, label] pairs"}
        n = Notification(summary, body, acts, expire_ms=int(self.settings["reminder.expire_minutes"]) * 60_000,
                         category=f"x-stretchd.{kind}")  # fmt: skip
        async with self._tick_lock:  # recorded before a press on it is looked up (see _action)
            delivery = await self._send(n)
            now = self.clock.now()
            doc = {"kind": "notify", "notify_kind": kind, "ref": req.get("ref"), "day": now.date().isoformat(),
                   "slot": "", "at": now.isoformat(), "outcome": delivery.outcome, "backend": delivery.backend,
                   "id": delivery.id, "detail": delivery.detail}  # fmt: skip
            self._record(doc)
            if delivery.id is not None and delivery.outcome == "delivered":
                self.by_id[delivery.id] = doc
        return {"ok": True, "delivery": {"outcome": delivery.outcome, "backend": delivery.backend,
                                         "id": delivery.id, "detail": delivery.detail}}  # fmt: skip


def run(verbose: bool = False) -> int:
    """``stretchd daemon``: returns the exit status."""
    if hasattr(signal, "SIGXFSZ"):
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a size limit becomes a write error we log
    setup_logging(verbose)
    paths = resolve()
    settings = config_mod.load(paths.config_file)  # an invalid config at start-up is the user's to fix
    for warning in settings.warnings:
        log.warning("config: %s", warning)
    lock_fd = acquire_daemon_lock(paths)
    try:
        daemon_ = Daemon(paths, settings)
        asyncio.run(daemon_.run())
    finally:
        os.close(lock_fd)
    return 0
