"""Two Celery workers on "different hosts": each has its own data and cache
dir, and they share only PostgreSQL, Redis and the bucket. A chain of runs
goes a -> b -> a, each run's input being the previous run's output, so each
worker must fetch what the other rendered from the bucket."""

import hashlib
from contextlib import contextmanager

import pytest
from django.conf import settings

from runs.demo import seed_demo
from tests import images
from tests.helpers import upload, wait_for_run
from tests.store.conftest import listing

pytestmark = pytest.mark.worker


@contextmanager
def routed_to(worker):
    """Send the next run to one worker's own queue."""
    from l1site.celery import app

    before = app.conf.task_default_queue
    app.conf.task_default_queue = worker.queue
    try:
        yield
    finally:
        app.conf.task_default_queue = before


def render_on(worker, api, recipe: str, input_hash: str) -> str:
    with routed_to(worker):
        response = api.post("/runs", {"recipe": recipe, "inputs": [input_hash]}, format="json")
    assert response.status_code == 201, response.json()
    run = wait_for_run(api, response.json()["run_id"])
    assert run["status"] == "completed", run["error"]
    # The worker that rendered it signed the record with its own actor.
    assert run["provenance"]["signed_by"] == f"@worker-{worker.name}"
    return run["output_hash"]


def local(worker, digest: str):
    return worker.cache_dir / digest[:2] / digest[2:4] / digest


def test_each_worker_fetches_the_other_s_outputs_from_the_bucket(two_workers, bucket, artist_api):
    seed_demo()
    a, b = two_workers["a"], two_workers["b"]
    assert a.cache_dir != b.cache_dir and settings.CACHE_DIR not in (a.cache_dir, b.cache_dir)
    source = upload(artist_api, images.png(64, 48, seed=7))

    first = render_on(a, artist_api, "invert", source)        # rendered on a
    assert local(a, first).exists() and not local(b, first).exists()
    second = render_on(b, artist_api, "sepia-print", first)   # b needs a's output
    assert local(b, second).exists() and not local(a, second).exists()
    third = render_on(a, artist_api, "pixel-art", second)     # a needs b's output

    assert a.fetched() == [source, second]  # the upload, then b's output
    assert b.fetched() == [first]           # a's output
    for digest in (first, second):
        # Both hosts now hold both files, and the copies are the right bytes.
        for w in (a, b):
            assert hashlib.sha3_256(local(w, digest).read_bytes()).hexdigest() == digest
    assert {source, first, second, third} <= set(listing(bucket))

    # The web side never rendered: it fetches the last output to serve it.
    response = artist_api.get(f"/cache/{third}")
    assert hashlib.sha3_256(b"".join(response.streaming_content)).hexdigest() == third
