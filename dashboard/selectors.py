"""The dashboard's read queries. Lists use keyset pagination: the next page
starts after the last row's (created_at, key), a row comparison that walks the
same index as the first page, so page 2,000 costs what page 1 costs (OFFSET
would scan and throw away every earlier row)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import Count, Q, QuerySet

from assets.models import Asset
from cache.models import CacheItem
from l1site.exceptions import DomainError
from runs.models import Recipe, Run

HEX = re.compile(r"^[0-9a-f]{1,64}$")
# The media type filter's choices: "kind/" matches every subtype (as the API's ?media_type= does).
MEDIA_TYPE_CHOICES = [("", "any type"), ("image/", "images"), ("image/png", "PNG"),
                      ("image/jpeg", "JPEG"), ("image/webp", "WebP"), ("image/gif", "GIF"),
                      ("video/", "video"), ("audio/", "audio"),
                      ("application/octet-stream", "unknown binary")]


@dataclass
class Page:
    rows: list
    next_cursor: str | None


def _parse_cursor(cursor: str) -> tuple[datetime, str]:
    stamp, sep, key = cursor.rpartition("~")
    try:
        if not sep or not key:
            raise ValueError
        return datetime.fromisoformat(stamp), key
    except ValueError:
        raise DomainError("invalid page cursor; start again from the first page",
                          code="invalid_cursor") from None


def after(rows: QuerySet, cursor: str, key: str) -> QuerySet:
    """The rows after a cursor. rows must be ordered by (-created_at, -key);
    the (created_at, key) row comparison is the index's own order, so
    PostgreSQL seeks straight to it (Django has no row-comparison lookup)."""
    if not cursor:
        return rows
    stamp, last = _parse_cursor(cursor)
    table, quoted = rows.model._meta.db_table, connection.ops.quote_name
    return rows.extra(where=[f"({quoted(table)}.{quoted('created_at')}, {quoted(table)}."
                             f"{quoted(key)}) < (%s, %s)"], params=[stamp, last])


def _keyset(rows: QuerySet, cursor: str, key: str, limit: int) -> Page:
    found = list(after(rows, cursor, key)[:limit + 1])
    more = len(found) > limit
    found = found[:limit]
    next_cursor = f"{found[-1].created_at.isoformat()}~{getattr(found[-1], key)}" if more else None
    return Page(found, next_cursor)


def cache_browse(*, media_type: str = "", origin: str = "", q: str = "", cursor: str = "",
                 limit: int = 48) -> Page:
    return _keyset(cache_items(media_type=media_type, origin=origin, q=q), cursor,
                   "content_hash", limit)


def cache_items(*, media_type: str = "", origin: str = "", q: str = "") -> QuerySet:
    items = CacheItem.objects.order_by("-created_at", "-content_hash")
    if media_type:
        items = items.of_media_type(media_type)  # cache_by_type, or cache_by_kind for "image/"
    if origin:
        if origin not in CacheItem.Origin.values:
            raise DomainError(f"origin must be one of {', '.join(CacheItem.Origin.values)}",
                              code="invalid_filter")
        items = items.filter(origin=origin)
    if q := q.strip():
        # Asset names first, as literal keys (assets are few): a subquery inside
        # the OR below would hide the primary key from the planner.
        named = list(Asset.objects.filter(name__istartswith=q)
                     .values_list("content_id", flat=True)[:500])
        if HEX.match(q.lower()):
            prefix = q.lower()
            # A prefix as a range on the primary key, so the btree serves it in
            # any collation ("g" sorts after every hex digit).
            items = items.filter(Q(content_hash__gte=prefix, content_hash__lt=prefix + "g")
                                 | Q(pk__in=named))
        else:
            items = items.filter(pk__in=named)
    return items


def runs_browse(*, status: str = "", recipe: str = "", owner: str = "", cursor: str = "",
                limit: int = 50) -> Page:
    return _keyset(runs_listed(status=status, recipe=recipe, owner=owner), cursor, "id", limit)


def runs_listed(*, status: str = "", recipe: str = "", owner: str = "") -> QuerySet:
    # Unfiltered, the run_newest index (-created_at, -id) is this order itself.
    runs = Run.objects.select_related("owner", "output").order_by("-created_at", "-id")
    if status:
        if status not in Run.Status.values:
            raise DomainError(f"status must be one of {', '.join(Run.Status.values)}",
                              code="invalid_filter")
        runs = runs.filter(status=status)  # run_by_status
    if recipe:
        runs = runs.filter(recipe_name=recipe)  # run_by_recipe
    if owner:
        user = get_user_model().objects.filter(username=owner).first()
        runs = runs.filter(owner=user) if user else runs.none()  # run_by_owner
    return runs


def runs_consuming(content_hash: str, limit: int = 20) -> list[Run]:
    """Runs that took this item as an input, a list input's members included
    (RunInput rows, index run_input_by_hash)."""
    runs = Run.objects.select_related("owner", "output").filter(
        input_rows__content_hash=content_hash).distinct()
    return list(runs.order_by("-created_at")[:limit])


def counts() -> dict:
    by_status = dict(Run.objects.values_list("status").annotate(n=Count("id")))
    return {
        "cache_items": CacheItem.objects.count(),
        "assets": Asset.objects.count(),
        "recipes": Recipe.objects.count(),
        "runs": {s: by_status.get(s, 0) for s in Run.Status.values},
        "runs_total": sum(by_status.values()),
    }
