"""Django's cache in Redis, shared by every web process, made safe to share
Redis with the broker and to lose for a moment.

What lives in it (throttle counters, "thumbnails already queued" marks, the
dashboard's broker answer) is worth keeping across processes but never worth
an error: with Redis away (a restart), a read is a miss and a write is
skipped, so a request is let through unthrottled instead of answered 500.
And `clear()` removes this cache's own keys only: Django's flushes the whole
Redis db, where the broker keeps its queues.
"""

from __future__ import annotations

import functools
import logging

from django.core.cache.backends.redis import RedisCache
from redis.exceptions import ConnectionError, TimeoutError

log = logging.getLogger(__name__)
AWAY = (ConnectionError, TimeoutError)


def _forgiving(default):
    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except AWAY as exc:
                log.warning("shared cache unavailable (%s: %s): %s skipped", type(exc).__name__,
                            exc, method.__name__)
                return default(args, kwargs) if callable(default) else default
        return wrapper
    return decorate


def _wanted_default(args, kwargs):
    return kwargs.get("default", args[1] if len(args) > 1 else None)


class SharedRedisCache(RedisCache):
    add = _forgiving(False)(RedisCache.add)
    get = _forgiving(_wanted_default)(RedisCache.get)
    set = _forgiving(None)(RedisCache.set)
    touch = _forgiving(False)(RedisCache.touch)
    delete = _forgiving(False)(RedisCache.delete)
    get_many = _forgiving({})(RedisCache.get_many)
    has_key = _forgiving(False)(RedisCache.has_key)
    set_many = _forgiving(lambda args, kwargs: [])(RedisCache.set_many)
    delete_many = _forgiving(None)(RedisCache.delete_many)

    @_forgiving(False)
    def clear(self) -> bool:
        # KEY_PREFIX is always set (settings): the keys under it are ours.
        client = self._cache.get_client(write=True)
        for keys in _batched(client.scan_iter(match=f"{self.key_prefix}:*", count=500), 500):
            client.delete(*keys)
        return True


def _batched(iterable, size: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
