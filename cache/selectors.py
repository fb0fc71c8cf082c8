"""The cache's read queries, for the API (GET /cache) and the pages (the cache
browser) alike, so a filter means the same on both. They return querysets in
the order the cache_* indexes hold (-created_at, -content_hash); the related
rows to load are for each caller to add, as what it shows needs them.

Searching by asset name is assets.selectors' (the cache knows no assets)."""

from __future__ import annotations

from django.db.models import QuerySet

from l1site.errors import DomainError

from .models import CacheItem


def cache_items(*, media_type: str = "", origin: str = "") -> QuerySet[CacheItem]:
    """Cached files newest first, of one media type ("image/png") or kind
    ("image/"), and of one origin, when asked."""
    items = CacheItem.objects.order_by("-created_at", "-content_hash")  # cache_newest
    if media_type:
        items = items.of_media_type(media_type)  # cache_by_type, or cache_by_kind for "image/"
    if origin:
        if origin not in CacheItem.Origin.values:
            raise DomainError(f"origin must be one of {', '.join(CacheItem.Origin.values)}",
                              code="invalid_filter")
        items = items.filter(origin=origin)  # cache_by_origin
    return items
