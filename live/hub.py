"""One reader of the event table per web process, handing each new event to
the streams that want it (live.streams).

A stream costs a queue here and nothing else: the hub reads the table once
per wake-up for all of them, woken by Redis (live.wake) or, without Redis,
every LIVE_POLL_MS. The queries run on one thread of the hub's own, so no
stream ever holds one of the web server's threads or a database connection.

Ids are handed out when an insert starts and become visible when it
commits, so on PostgreSQL a lower id can appear after a higher one was read:
the hub remembers the ids it skipped for GAP_SECONDS and reads them again
(a rolled-back insert leaves a gap that never fills).
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection

from . import selectors, wake

log = logging.getLogger(__name__)
GAP_SECONDS = 10.0
GAPS_KEPT = 2000
QUEUE_SIZE = 2000  # events a slow client may fall behind before it is cut off (it resumes)


class Subscriber:
    def __init__(self, scope: selectors.Scope):
        self.scope = scope
        self.queue: asyncio.Queue = asyncio.Queue(maxsize=QUEUE_SIZE)
        self.dropped = False


class Hub:
    def __init__(self) -> None:
        self.subscribers: set[Subscriber] = set()
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="live-hub")
        self.wakeup = asyncio.Event()
        self.last: int | None = None
        self.gaps: dict[int, float] = {}
        self.tasks: list[asyncio.Task] = []

    async def db(self, fn, *args, **kwargs):
        """Run a query on the hub's thread (its own connection, reopened after a failure)."""
        def call():
            try:
                return fn(*args, **kwargs)
            except (OperationalError, InterfaceError):
                connection.close()
                raise
        return await asyncio.get_running_loop().run_in_executor(self.executor, call)

    async def start(self) -> None:
        self.last = await self.db(selectors.last_event_id)
        self.tasks.append(asyncio.create_task(self._read()))
        if settings.LIVE_REDIS_URL:
            self.tasks.append(asyncio.create_task(self._listen()))

    async def stop(self) -> None:
        for task in self.tasks:
            task.cancel()
        for sub in list(self.subscribers):
            self._drop(sub)
        self.executor.shutdown(wait=False)

    def subscribe(self, scope: selectors.Scope) -> Subscriber:
        sub = Subscriber(scope)
        self.subscribers.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        self.subscribers.discard(sub)

    def _drop(self, sub: Subscriber) -> None:
        sub.dropped = True
        self.subscribers.discard(sub)
        try:
            sub.queue.put_nowait(None)
        except asyncio.QueueFull:
            pass

    def _fetch(self, after: int, gaps: list[int]) -> list[dict]:
        rows = selectors.events_since(after)
        if gaps:
            rows = selectors.events_by_id(gaps) + rows
        return rows

    async def _read(self) -> None:
        with_redis = bool(settings.LIVE_REDIS_URL)
        every = (settings.LIVE_SAFETY_POLL_MS if with_redis else settings.LIVE_POLL_MS) / 1000
        while True:
            try:
                await asyncio.wait_for(self.wakeup.wait(), timeout=every)
            except TimeoutError:
                pass
            self.wakeup.clear()
            now = time.monotonic()
            self.gaps = {i: t for i, t in self.gaps.items() if now - t < GAP_SECONDS}
            try:
                rows = await self.db(self._fetch, self.last, sorted(self.gaps))
            except Exception as exc:  # noqa: BLE001 - the database is away: try again
                log.warning("live hub could not read events: %s", exc)
                await asyncio.sleep(1)
                continue
            for row in rows:
                self.gaps.pop(row["id"], None)
                if row["id"] > self.last:
                    for missing in range(self.last + 1, min(row["id"], self.last + GAPS_KEPT)):
                        self.gaps[missing] = now
                    self.last = row["id"]
                self._hand_out(row)
            if len(self.gaps) > GAPS_KEPT:
                for old in sorted(self.gaps)[:len(self.gaps) - GAPS_KEPT]:
                    del self.gaps[old]

    def _hand_out(self, row: dict) -> None:
        for sub in list(self.subscribers):
            if sub.scope.matches(row):
                try:
                    sub.queue.put_nowait(row)
                except asyncio.QueueFull:
                    self._drop(sub)

    async def _listen(self) -> None:
        # Imported only by an installation that has Redis (LIVE_REDIS_URL):
        # without it the hub polls and never loads the client.
        import redis.asyncio as aioredis

        name = await self.db(wake.channel)
        while True:
            client = aioredis.Redis.from_url(settings.LIVE_REDIS_URL)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.subscribe(name)
                    async for message in pubsub.listen():
                        if message.get("type") == "message":
                            self.wakeup.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Redis away: poll meanwhile, reconnect
                log.warning("live hub lost Redis (%s); polling until it is back", exc)
                await asyncio.sleep(2)
            finally:
                await client.aclose()


_hub: Hub | None = None
_starting: asyncio.Lock | None = None


async def hub() -> Hub:
    """This process's hub, started on the first stream."""
    global _hub, _starting
    if _hub is not None:
        return _hub
    if _starting is None:
        _starting = asyncio.Lock()
    async with _starting:
        if _hub is None:
            started = Hub()
            await started.start()
            _hub = started
    return _hub


async def shutdown() -> None:
    global _hub
    if _hub is not None:
        await _hub.stop()
        _hub = None
