"""What only the pages read: their lists a page at a time, and the home
page's counts. The queries themselves are the apps' (runs.selectors,
cache.selectors, assets.selectors), the same ones the API reads.

Lists use keyset pagination: the next page starts after the last row's
(created_at, key), a row comparison that walks the same index as the first
page, so page 2,000 costs what page 1 costs (OFFSET would scan and throw away
every earlier row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from assets.selectors import cache_search
from l1site.errors import DomainError
from runs.selectors import runs_listed, server_counts

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
    return _keyset(cache_search(media_type=media_type, origin=origin, q=q), cursor,
                   "content_hash", limit)


def runs_browse(*, status: str = "", recipe: str = "", owner: str = "", cursor: str = "",
                limit: int = 50) -> Page:
    runs = runs_listed(status=status, recipe=recipe, owner=owner).select_related("owner", "output")
    return _keyset(runs, cursor, "id", limit)


def counts() -> dict:
    """The server's counts (GET / gives them too), and all its runs together."""
    held = server_counts()
    return {**held, "runs_total": sum(held["runs"].values())}
