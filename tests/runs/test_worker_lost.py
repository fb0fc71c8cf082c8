"""A worker process killed in the middle of a render does not lose the run."""

import hashlib
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest

from cache.store import cache_path
from runs.demo import seed_demo
from runs.models import Run
from tests import images
from tests.factories import UserFactory
from tests.helpers import upload, wait_for_run

pytestmark = pytest.mark.worker


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(c) for c in path.read_text().split()] if path.exists() else []


def test_a_run_whose_worker_is_killed_mid_render_is_delivered_again_and_completes(worker, api):
    seed_demo()
    api.force_authenticate(UserFactory(username="patient"))
    # Big enough that the render is still going when we kill it.
    big = images.encode(np.tile(images.pattern(512, 512, seed=8), (6, 6, 1)))
    digest = upload(api, big, "big.png")
    run_id = api.post("/runs", {"recipe": "dog", "inputs": [digest]}, format="json").json()["run_id"]

    deadline = time.monotonic() + 60
    while Run.objects.get(pk=run_id).status != "running":
        assert time.monotonic() < deadline, "the run never started"
        time.sleep(0.02)
    for child in children(worker.pid):  # the pool processes; the main worker survives
        os.kill(child, signal.SIGKILL)

    run = wait_for_run(api, run_id, timeout=180)
    assert run["status"] == "completed", run["error"]
    assert run["attempts"] >= 2
    assert run["output_hash"]
    # What the cache shows under the output hash is whole: its bytes hash to it.
    assert hashlib.sha3_256(cache_path(run["output_hash"]).read_bytes()).hexdigest() == run["output_hash"]
