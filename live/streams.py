"""Server-Sent Events: the text of an event, and the streams themselves.

Under ASGI (scripts/web.sh) a stream is a coroutine waiting on the hub
(live.hub): thousands cost no thread. Under a WSGI server (Django's
runserver, the test server) the same stream polls the table from the
request's thread, which that server then keeps for it.

A stream starts with what the client missed (every event after its
Last-Event-ID) or, on a first connection to one run, with that run's state
as of now; then each new event as it is written. It ends after
LIVE_STREAM_SECONDS and the client reconnects with the last id it saw.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import AsyncIterator, Callable, Iterator

from django.conf import settings
from django.db import connection

from . import hub as hubs, selectors
from .hub import GAP_SECONDS


def sse(event_id: int | None, kind: str, data: dict) -> str:
    text = json.dumps(data, separators=(",", ":"), default=str)
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {kind}\ndata: {text}\n\n"


def _row_text(row: dict) -> str:
    # "at": when it was recorded, so a client can tell how old a state is.
    return sse(row["id"], row["kind"], {**row["data"], "id": row["id"],
                                        "at": row["created_at"].isoformat()})


def _opening(scope: selectors.Scope, after: int | None,
             snapshot: Callable[[], dict] | None) -> tuple[list[str], set[int], int]:
    """Blocking: the backlog after ``after``, or the state as of now; the
    ids of the events it covers, which the hub may hand over again; and the
    id a poll goes on after."""
    if after is not None:
        rows = selectors.events_after(scope, after)
        return ([_row_text(row) for row in rows], {row["id"] for row in rows},
                max([after] + [row["id"] for row in rows]))
    last = selectors.last_event_id()
    # The events already written when the state is read are in it; one
    # committed later under a lower id (live.hub) is not, and still comes.
    covered = selectors.recent_ids(scope, last)
    if snapshot is not None:
        # Read after the id: whatever happens between is sent again (an
        # event is a state to show, so twice does no harm), never lost.
        return [sse(last, "snapshot", {**snapshot(), "id": last})], covered, last
    return [sse(last, "ready", {"id": last})], covered, last


async def stream_async(scope: selectors.Scope, after: int | None,
                       snapshot: Callable[[], dict] | None) -> AsyncIterator[str]:
    hub = await hubs.hub()
    sub = hub.subscribe(scope)  # before the backlog is read: nothing falls between
    try:
        yield f"retry: 2000\n: artdag L1 events\n\n"
        opening, seen, _ = await hub.db(_opening, scope, after, snapshot)
        for text in opening:
            yield text
        ends = time.monotonic() + settings.LIVE_STREAM_SECONDS
        while (left := ends - time.monotonic()) > 0:
            try:
                row = await asyncio.wait_for(sub.queue.get(),
                                             timeout=min(settings.LIVE_KEEPALIVE_SECONDS, left))
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            if row is None:  # fell too far behind: reconnecting resumes from the table
                return
            if row["id"] not in seen:
                yield _row_text(row)
    finally:
        hub.unsubscribe(sub)


def stream_sync(scope: selectors.Scope, after: int | None,
                snapshot: Callable[[], dict] | None) -> Iterator[str]:
    try:
        yield "retry: 2000\n: artdag L1 events\n\n"
        opening, covered, last = _opening(scope, after, snapshot)
        for text in opening:
            yield text
        # As the hub does (live.hub): the last few seconds are read again, for
        # an event committed after a later one; ``sent`` keeps them from repeating.
        sent = dict.fromkeys(covered | selectors.recent_ids(scope, last), time.monotonic())
        ends = time.monotonic() + settings.LIVE_STREAM_SECONDS
        quiet = time.monotonic()
        while time.monotonic() < ends:
            rows = selectors.events_recent(scope, last, seconds=GAP_SECONDS)
            # The thread is the stream's, its connection is not: hand it back
            # between polls (a test database must be droppable, a server's
            # connections few).
            connection.close()
            now = time.monotonic()
            for row in rows:
                if row["id"] in sent:
                    continue
                sent[row["id"]] = now
                last = max(last, row["id"])
                quiet = now
                yield _row_text(row)
            sent = {i: t for i, t in sent.items() if now - t < 3 * GAP_SECONDS}
            if now - quiet > settings.LIVE_KEEPALIVE_SECONDS:
                quiet = now
                yield ": keep-alive\n\n"
            time.sleep(settings.LIVE_POLL_MS / 1000)
    finally:
        connection.close()
