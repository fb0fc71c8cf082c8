"""Queue depth and live workers, for the home page's status panel. Both ask
the broker, so the panel loads on its own (htmx) and never holds up a page."""

from __future__ import annotations

import logging

from l1site.celery import app
from l1site.queues import KINDS, queue_name

log = logging.getLogger(__name__)


def _depth(conn, queue: str) -> int | None:
    try:
        return conn.default_channel.queue_declare(queue=queue, passive=True).message_count
    except Exception as exc:  # noqa: BLE001
        # A queue no worker has declared yet does not exist: nothing waits in it.
        if "NOT_FOUND" in str(exc) or "no queue" in str(exc).lower():
            return 0
        log.warning("queue depth unavailable: %s", exc)
        return None


def broker_status(ping_timeout: float = 1.0) -> dict:
    """{"queue_depth": messages waiting in all the queues, "queues": the same
    by kind of work (stills, video, upkeep, other), "workers": names
    of the workers that answered a ping}; None for what the broker could not say.

    One connection, tried once: with the broker down, the panel says so in a
    moment instead of waiting out kombu's default reconnect loop."""
    result = {"queue_depth": None, "queues": None, "workers": None}
    try:
        conn = app.connection_for_write()
        conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0.2,
                               interval_max=0.2)
    except Exception as exc:  # noqa: BLE001 - an unknown figure, not a broken page
        log.warning("broker unreachable: %s", exc)
        return result
    with conn:
        # Each queue by kind of work (l1site.queues), and the base queue.
        base = app.conf.task_default_queue
        depths = {kind: _depth(conn, queue_name(base, kind)) for kind in KINDS}
        depths["other"] = _depth(conn, base)
        if None not in depths.values():
            result["queue_depth"], result["queues"] = sum(depths.values()), depths
        try:
            replies = app.control.inspect(timeout=ping_timeout, connection=conn).ping() or {}
            result["workers"] = sorted(replies)
        except Exception as exc:  # noqa: BLE001
            log.warning("worker ping failed: %s", exc)
    return result
