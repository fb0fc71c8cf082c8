"""manage.py bench_seed: many realistic rows, quickly, and listable."""

import pytest
from django.core.management import CommandError, call_command

from cache.models import CacheItem
from engine.canonical import is_content_hash
from runs.models import Run


def test_bench_seed_fills_cache_items_and_runs_that_the_api_lists(db, api, capsys):
    call_command("bench_seed", items=230, runs=170, batch=50)
    assert "seeded 230 cache items and 170 runs" in capsys.readouterr().out
    assert CacheItem.objects.count() == 230 and Run.objects.count() == 170
    assert all(is_content_hash(h) for h in CacheItem.objects.values_list("pk", flat=True))
    assert set(Run.objects.values_list("status", flat=True)) >= {"completed", "failed", "pending"}
    assert not Run.objects.filter(status="completed", output__isnull=True).exists()
    assert Run.objects.values("owner").distinct().count() > 1

    seen, url = [], "/runs?limit=50"
    while url:
        page = api.get(url).json()
        seen += [r["run_id"] for r in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 170  # every row once, in a total order
    first = api.get("/cache?limit=5").json()["results"]
    newest = CacheItem.objects.order_by("-created_at")[:5]
    assert [i["content_hash"] for i in first] == [i.pk for i in newest]


def test_bench_seed_run_again_adds_nothing(db):
    call_command("bench_seed", items=40, runs=30, batch=7)
    call_command("bench_seed", items=40, runs=30, batch=7)
    assert CacheItem.objects.count() == 40 and Run.objects.count() == 30


def test_bench_seed_refuses_runs_without_items(db):
    with pytest.raises(CommandError, match="give --items"):
        call_command("bench_seed", items=0, runs=5)
    assert Run.objects.count() == 0
