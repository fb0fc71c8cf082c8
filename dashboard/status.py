"""Queue depth and live workers, for the home page's status panel. Both ask
the broker, so the panel loads on its own (htmx) and never holds up a page."""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)


def queue_depth() -> int | None:
    """Messages waiting in the render queue; None when the broker cannot say."""
    from l1site.celery import app

    try:
        with app.connection_for_read() as conn:
            declared = conn.default_channel.queue_declare(
                queue=app.conf.task_default_queue, passive=True)
            return declared.message_count
    except Exception as exc:  # noqa: BLE001 - an unknown figure, not a broken page
        # A queue no worker has declared yet does not exist: nothing waits in it.
        if "NOT_FOUND" in str(exc) or "no queue" in str(exc).lower():
            return 0
        log.warning("queue depth unavailable: %s", exc)
        return None


def workers(timeout: float = 1.0) -> list[str] | None:
    """Names of the workers that answered a ping within `timeout`; None when
    the broker could not be asked."""
    from l1site.celery import app

    try:
        replies = app.control.inspect(timeout=timeout).ping() or {}
    except Exception as exc:  # noqa: BLE001
        log.warning("worker ping failed: %s", exc)
        return None
    return sorted(replies)
