"""The assets' read queries, for the API (GET /assets) and the pages alike,
and the cache search that finds files by an asset's name as well as by hash
(here, because assets know the cache and the cache knows no assets)."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from cache.models import CacheItem
from cache.selectors import cache_items

from .models import Asset

HEX = re.compile(r"^[0-9a-f]{1,64}$")
# How many asset names a search turns into literal keys at the most.
NAMED_LIMIT = 500


def assets_listed() -> QuerySet[Asset]:
    """Assets by name, each with the file it names and its owner (every face
    shows both)."""
    return Asset.objects.select_related("content", "owner").order_by("name")


def cache_search(*, q: str = "", media_type: str = "", origin: str = "") -> QuerySet[CacheItem]:
    """cache_items, narrowed by a search box: files whose hash starts with q,
    and files named by an asset whose name starts with q."""
    items = cache_items(media_type=media_type, origin=origin)
    if not (q := q.strip()):
        return items
    # Asset names first, as literal keys (assets are few): a subquery inside
    # the OR below would hide the primary key from the planner.
    named = list(Asset.objects.filter(name__istartswith=q)
                 .values_list("content_id", flat=True)[:NAMED_LIMIT])
    if HEX.match(prefix := q.lower()):
        # A prefix as a range on the primary key, so the btree serves it in
        # any collation ("g" sorts after every hex digit).
        return items.filter(Q(content_hash__gte=prefix, content_hash__lt=prefix + "g")
                            | Q(pk__in=named))
    return items.filter(pk__in=named)
