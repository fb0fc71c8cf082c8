"""The cache browser at 100,000 items: any page is an index walk, never a sort
or an OFFSET scan, and a hash prefix is a primary-key lookup (checked on the
query plans, not the clock)."""

import hashlib

import pytest
from django.db import connection
from django.utils import timezone

from assets.models import Asset
from cache.models import CacheItem
from dashboard import selectors

pytestmark = pytest.mark.django_db

N = 100_000


def test_at_100000_items_deep_pages_and_searches_walk_indexes(browser):
    start = timezone.now() - timezone.timedelta(days=30)
    rows = [CacheItem(content_hash=hashlib.sha3_256(str(i).encode()).hexdigest(), size=i + 1,
                      media_type="image/png" if i % 3 else "image/gif",
                      origin=("imported", "uploaded", "rendered")[i % 3],
                      # Pairs share a timestamp: the hash must break the tie.
                      created_at=start + timezone.timedelta(seconds=i // 2))
            for i in range(N)]
    CacheItem.objects.bulk_create(rows, batch_size=10_000)
    Asset.objects.create(name="lighthouse", content=rows[7])
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE cache_cacheitem")
    ordered = sorted(rows, key=lambda r: (r.created_at, r.content_hash), reverse=True)

    # A page 90,000 rows deep: the plan seeks the index, the rows are the right ones.
    last = ordered[90_000 - 1]
    cursor = f"{last.created_at.isoformat()}~{last.content_hash}"
    plan = selectors.after(selectors.cache_items(), cursor, "content_hash")[:49].explain()
    assert "cache_newest" in plan and "Sort" not in plan, plan
    page = selectors.cache_browse(cursor=cursor, limit=48)
    assert [r.content_hash for r in page.rows] == [r.content_hash for r in ordered[90_000:90_048]]

    # The last page through the view itself.
    last = ordered[N - 11]
    response = browser.get("/cache", {"after": f"{last.created_at.isoformat()}~{last.content_hash}"})
    assert response.status_code == 200 and response.context["page"].next_cursor is None
    assert [r.content_hash for r in response.context["page"].rows] == \
        [r.content_hash for r in ordered[N - 10:]]

    # A hash prefix goes through the primary key, asset names included.
    prefix = rows[12345].content_hash[:5]
    plan = selectors.cache_items(q=prefix)[:49].explain()
    assert "cache_cacheitem_pkey" in plan, plan
    assert rows[12345].content_hash in [r.content_hash for r in selectors.cache_browse(q=prefix).rows]
    assert [r.content_hash for r in selectors.cache_browse(q="light").rows] == [rows[7].content_hash]
