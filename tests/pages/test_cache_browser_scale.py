"""The cache browser at scale: any page is an index walk, never a sort or an
OFFSET scan, a hash prefix is a primary-key lookup, and a media kind
("image/") is a walk of its own index (checked on the query plans, not the
clock)."""

import hashlib

import pytest
from django.db import connection
from django.utils import timezone

from assets.models import Asset
from assets.selectors import cache_search
from cache.models import CacheItem
from dashboard import selectors
from tests.pages.conftest import bench_rows

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
    plan = selectors.after(cache_search(), cursor, "content_hash")[:49].explain()
    assert "cache_newest" in plan and "Sort" not in plan, plan
    page = selectors.cache_browse(cursor=cursor, limit=48)
    assert [r.content_hash for r in page.rows] == [r.content_hash for r in ordered[90_000:90_048]]

    # A media type or an origin is a walk of an index in the same order,
    # ties included: no sort, not even an incremental one, on a deep page.
    # A rare type (here one no row has) walks its own index, cache_by_type.
    for filtered in (cache_search(media_type="image/gif"),
                     cache_search(origin="rendered"),
                     cache_search(media_type="image/webp")):
        plan = selectors.after(filtered, cursor, "content_hash")[:49].explain()
        assert "Index Scan" in plan and "Sort" not in plan and "Seq Scan" not in plan, plan
    assert "cache_by_type" in plan, plan
    gifs = [r for r in ordered[90_000:] if r.media_type == "image/gif"][:48]
    page = selectors.cache_browse(cursor=cursor, media_type="image/gif", limit=48)
    assert [r.content_hash for r in page.rows] == [r.content_hash for r in gifs]

    # The last page through the view itself.
    last = ordered[N - 11]
    response = browser.get("/cache", {"after": f"{last.created_at.isoformat()}~{last.content_hash}"})
    assert response.status_code == 200 and response.context["page"].next_cursor is None
    assert [r.content_hash for r in response.context["page"].rows] == \
        [r.content_hash for r in ordered[N - 10:]]

    # A hash prefix goes through the primary key, asset names included.
    prefix = rows[12345].content_hash[:5]
    plan = cache_search(q=prefix)[:49].explain()
    assert "cache_cacheitem_pkey" in plan, plan
    assert rows[12345].content_hash in [r.content_hash for r in selectors.cache_browse(q=prefix).rows]
    assert [r.content_hash for r in selectors.cache_browse(q="light").rows] == [rows[7].content_hash]


def test_a_media_kind_walks_an_index_whether_it_matches_nothing_or_everything(browser):
    # The newest rows, beside 20,000 of bench_seed's images (every one image/*).
    soon = timezone.now() + timezone.timedelta(minutes=1)
    extra = {media_type: CacheItem.objects.create(
                 content_hash=hashlib.sha3_256(media_type.encode()).hexdigest(), size=1,
                 media_type=media_type, origin="uploaded", created_at=soon + timezone.timedelta(seconds=i))
             for i, media_type in enumerate(["image/png", "application/x-image", "image/jpeg",
                                             "video/mp4", "imagery/png"])}
    bench_rows(items=20_000, runs=0)

    # A kind no row has is a seek into cache_by_kind, not a walk of every row
    # in cache_newest; one nearly every row has may walk either, never a sort.
    plan = cache_search(media_type="audio/")[:49].explain()
    assert "Index Scan using cache_by_kind" in plan and "Sort" not in plan, plan
    rows = cache_search(media_type="image/")
    last = rows[15_000 - 1]
    for query in (rows, selectors.after(rows, f"{last.created_at.isoformat()}~{last.content_hash}",
                                        "content_hash")):
        plan = query[:49].explain()
        assert "Index Scan" in plan and "Seq Scan" not in plan and "Sort" not in plan, plan

    def listed(kind: str) -> list[str]:
        response = browser.get("/cache", {"media_type": kind})
        return [r.content_hash for r in response.context["page"].rows]

    images = listed("image/")
    assert images[:2] == [extra["image/jpeg"].pk, extra["image/png"].pk] and len(images) == 48
    assert cache_search(media_type="image/").count() == 20_002
    assert listed("video/") == [extra["video/mp4"].pk]
    assert listed("application/") == [extra["application/x-image"].pk]
    assert listed("audio/") == []
