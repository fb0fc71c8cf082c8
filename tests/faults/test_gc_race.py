"""cache_gc racing renders: it never deletes what a pending or running run
needs, and a submission that loses the race is refused, not broken."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from cache.maintenance import cache_gc
from cache.models import CacheItem
from cache.store import cache_path
from runs.models import Run
from tests import images

from .conftest import client
from .stack import Gate, tally, wait_until

pytestmark = pytest.mark.faults


def age(*hashes: str) -> None:
    """Make uploads old enough to collect (past the GC grace period)."""
    CacheItem.objects.filter(pk__in=hashes).update(created_at=timezone.now() - timedelta(days=3))


def test_gc_during_a_render_keeps_its_input_and_the_render_completes(make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    stack.worker(concurrency=1)
    digest = api.upload(images.png(120, 80, seed=91), "gc-input.png")
    spare = api.upload(images.png(20, 20, seed=92), "gc-spare.png")
    age(digest, spare)
    gate = Gate(cache_path(digest))
    run_id = api.submit("invert", [digest])["run_id"]
    wait_until(lambda: Run.objects.filter(pk=run_id, status="running").exists(), "the render")

    collected = cache_gc(keep_days=0)

    assert collected.deleted == [spare]  # the unused upload goes; the input stays
    assert CacheItem.objects.filter(pk=digest).exists()
    gate.release()
    run = api.wait_finished(run_id)
    assert run["status"] == "completed", run["error"]
    assert cache_path(run["output_hash"]).exists()
    report(fault="gc-a", **tally(stack, api, [run_id], gc_deleted=len(collected.deleted)))


def test_submissions_racing_gc_either_render_or_are_refused_never_broken(
        make_stack, seeded, report):
    stack = make_stack()
    api = client(stack.web(), seeded)
    stack.worker(concurrency=2)
    inputs = [api.upload(images.png(24 + i, 16, seed=200 + i), f"race{i}.png") for i in range(16)]
    age(*inputs)

    def collect():
        try:
            return cache_gc(keep_days=1)
        finally:
            connection.close()

    with ThreadPoolExecutor(5) as pool:
        gc_job = pool.submit(collect)
        answers = list(pool.map(lambda d: api.post("/runs", json={"recipe": "invert", "inputs": [d]}),
                                inputs))
        deleted = set(gc_job.result().deleted)

    accepted = [a.json()["run_id"] for a in answers if a.status_code == 201]
    refused = [d for d, a in zip(inputs, answers) if a.status_code != 201]
    assert all(a.status_code in (201, 400) for a in answers)
    assert all(a.json()["error"]["code"] == "unknown_input" for a in answers if a.status_code == 400)
    # A refusal only ever means GC took the input first...
    assert set(refused) <= deleted
    # ...and every accepted run rendered: GC never took an input from under a
    # pending or running run (it may take it once that run finished).
    finished = [api.wait_finished(r) for r in accepted]
    assert [r["status"] for r in finished] == ["completed"] * len(accepted), [r["error"] for r in finished]
    assert CacheItem.objects.filter(pk=seeded["cat"]).exists()
    report(fault="gc-b", **tally(stack, api, accepted, submissions=len(inputs),
                                 refused=len(refused), gc_deleted=len(deleted)))
