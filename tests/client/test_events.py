"""artdag.Client.wait over the server's event stream (GET /runs/{id}/events)."""

import threading
import time

import pytest

from cache.services import cache_store_bytes
from cache.store import cache_path
from tests import images
from tests.faults.stack import Gate

pytestmark = pytest.mark.worker


def test_wait_follows_the_runs_event_stream_while_it_renders(client, server):
    item = cache_store_bytes(images.png(64, 48, seed=203), origin="uploaded", owner=server.user)
    gate = Gate(cache_path(item.content_hash))  # the render waits at its input
    seen, done = [], {}
    run_id = client.render("invert", [item.content_hash])["run_id"]
    follower = threading.Thread(target=lambda: done.update(
        client.wait(run_id, on_event=seen.append)))
    follower.start()
    try:
        deadline = time.monotonic() + 60
        while not any(e.kind == "snapshot" for e in seen) and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        gate.release()
    follower.join(120)
    gate.restore()
    assert done["status"] == "completed"
    # The snapshot while it waited, then the events that ended it.
    assert seen[0].kind == "snapshot" and seen[0].data["run"] == run_id
    assert seen[0].data["status"] in ("pending", "running")
    assert len(seen) >= 2 and seen[-1].kind in ("step", "state"), seen
