"""Waking the streams when an event is written: a Redis PUBLISH when the
installation has Redis (PG+Redis), nothing otherwise (the streams poll the
table every LIVE_POLL_MS). The message only says "look": the event itself is
read from the table, so a lost message delays an event by one poll at most
and loses nothing."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)
_client = None
_quiet_until = 0.0


def channel() -> str:
    # Pub/sub ignores Redis db numbers: the database's name keeps two
    # installations (or two test sessions) on one Redis apart.
    return f"artdag-live:{connection.settings_dict['NAME']}"


def publish(event_id: int) -> None:
    global _client, _quiet_until
    if not settings.LIVE_REDIS_URL:
        return
    try:
        if _client is None:
            # Imported only by an installation that has Redis: one on the
            # filesystem queue never loads the client.
            import redis

            _client = redis.Redis.from_url(settings.LIVE_REDIS_URL, socket_timeout=2,
                                           socket_connect_timeout=2)
        _client.publish(channel(), str(event_id))
    except Exception as exc:  # noqa: BLE001 - the streams' poll picks the event up
        _client = None
        if time.monotonic() > _quiet_until:
            _quiet_until = time.monotonic() + 60
            log.warning("could not publish live event %s to Redis (streams will poll): %s",
                        event_id, exc)
